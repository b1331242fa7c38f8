"""Retention never costs a report a figure: figures are counted from records, not files."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import func, select

from portal import storage
from portal.demo import DEMO_PASSWORD, load_demo_data
from portal.models import Answer, ClarificationReply, EvidenceFile, Submission
from portal.privacy import retention
from tests.auth.helpers import sign_in, text

YEARS = (2023, 2024)


def _documents(client: Any) -> dict[int, Any]:
    found = {}
    for year in YEARS:
        document = json.loads(client.get(f"/reports/{year}.json").get_data(as_text=True))
        document.pop("generated_at", None)
        found[year] = document
    return found


def test_report_figures_stay_when_every_file_and_answer_has_expired(client, db, app):
    load_demo_data()
    db.session.commit()
    keys = list(db.session.scalars(select(EvidenceFile.stored_name)))
    keys += list(db.session.scalars(select(Submission.receipt_name).where(Submission.receipt_name.is_not(None))))
    assert keys
    assert db.session.scalar(select(func.count()).select_from(Answer))
    replies = db.session.scalar(select(func.count()).select_from(ClarificationReply))
    assert replies
    assert sign_in(client, "admin@kommune.example", DEMO_PASSWORD).status_code == 302
    before = _documents(client)
    page_before = text(client.get("/reports?year=2024"))
    for agreement_years in ("RETENTION_EVIDENCE_YEARS", "RETENTION_RECEIPTS_YEARS", "RETENTION_ANSWERS_YEARS"):
        app.config[agreement_years] = 0
    # Every demo agreement that has an end date has ended by then.
    deleted = retention.apply_retention(date(2100, 1, 1))
    db.session.commit()

    assert {e.kind for e in deleted} == set(retention.KINDS)
    # Among them the answers of agreements these reports count.
    reported = json.dumps(before, ensure_ascii=False)
    assert any(e.agreement_reference in reported for e in deleted if e.kind == "answers")
    assert _documents(client) == before
    # The supplier's replies to reviewers went with the answers of their responses.
    expired = {e.record_id for e in deleted if e.kind == "answers"}
    left = db.session.scalars(select(ClarificationReply)).all()
    assert len(left) < replies
    assert not [r for r in left if r.clarification.response_id in expired]
    assert text(client.get("/reports?year=2024")) == page_before
    gone = [e.key for e in deleted if e.key]
    assert gone
    # A file of the supplier's company answers (issue 14) is frozen into each submission by its
    # storage key: the expired response's copy goes, the object stays while the company answers
    # (the supplier's own, not the agreement's) still use it.
    in_company_answers = set(db.session.scalars(
        select(EvidenceFile.stored_name).where(EvidenceFile.company_set_id.is_not(None))))
    assert not any(storage.exists(key) for key in gone if key not in in_company_answers)
    assert all(storage.exists(key) for key in in_company_answers)
