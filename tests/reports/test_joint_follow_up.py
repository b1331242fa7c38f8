"""Chapter 4 of a buyer taking part in a joint agreement: the lead's follow-up counts for it.

Hand-counted world (YEAR): the cooperation leads a joint workwear agreement in which the
municipality takes part, with supplier Felles AS on it. The cooperation records two
activities for Felles AS (a questionnaire review and a site audit) and finds one deviation
(plus a proposal it has not confirmed). The municipality has its own agreement with Egen AS,
one status meeting and one deviation of its own. A third buyer takes part in nothing.

For the municipality: 4.A.2 = 2 suppliers (Egen AS, Felles AS), 2 agreements, 3 activities;
of these 1 supplier, 1 agreement and 2 activities are joint follow-up led by the cooperation.
4.A.3 = 2 deviations, 1 of them joint. 2.A.2 lists both agreements, the joint one with its lead.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
import pytest
from flask import Flask
from flask_babel import force_locale

from portal.extensions import db as _db
from portal.reports import jsondoc, queries, tables, texts
from portal.tenancy import scope_to
from tests.auth.helpers import sign_in, tr
from tests.reports.conftest import YEAR, add_activity, add_deviation

TODAY = date(YEAR + 1, 3, 1)
LEAD = "Innkjøpssamarbeidet Test"


@pytest.fixture
def joint(db: Any, make: Any) -> dict[str, Any]:
    municipality = make.default_buyer
    cooperation = make.buyer(name=LEAD, kind="cooperation")
    third = make.buyer(name="Tredje kommune")
    shared = make.supplier(name="Felles AS")
    own_supplier = make.supplier(name="Egen AS")
    joint_agreement = make.agreement(suppliers=[shared], buyer=cooperation, reference="IS-1",
                                     name_nb="Felles arbeidstøy", name_en="Joint workwear")
    joint_agreement.participants.append(municipality)
    own_agreement = make.agreement(suppliers=[own_supplier], reference="LK-1")
    lead_reviewer = make.user(role="reviewer", buyer=cooperation)
    add_activity(db, "questionnaire_reviewed", date(YEAR, 4, 1), joint_agreement, shared, lead_reviewer)
    add_activity(db, "site_audit", date(YEAR, 9, 1), joint_agreement, shared, lead_reviewer)
    add_activity(db, "status_meeting", date(YEAR, 5, 1), own_agreement, own_supplier, None)
    add_deviation(db, shared, joint_agreement, internal_note="Bare for samarbeidet")
    add_deviation(db, shared, joint_agreement, is_proposed=True)
    add_deviation(db, own_supplier, own_agreement, type="HOURS")
    db.session.commit()
    return {"municipality": municipality, "cooperation": cooperation, "third": third,
            "joint": joint_agreement, "own": own_agreement}


def _report(app: Flask, buyer_id: int) -> queries.YearReport:
    scope_to(_db.session(), buyer_id, joint_reads=True)
    try:
        with app.test_request_context():
            return queries.year_report(YEAR, TODAY)
    finally:
        scope_to(_db.session(), None)


def test_the_participant_counts_the_leads_follow_up_as_joint(app, joint):
    report = _report(app, joint["municipality"].id)
    f = report.follow_up

    assert (f.suppliers, f.agreements, f.activities) == (2, 2, 3)
    assert (f.joint_suppliers, f.joint_agreements, f.joint_activities) == (1, 1, 2)
    assert [(m.kind, m.activities, m.suppliers, m.lead) for m in f.by_method] == [
        ("status_meeting", 1, 1, None),
        (queries.JOINT_METHOD, 2, 1, LEAD),
    ]
    assert {(a.reference, a.suppliers_followed_up, a.activities, a.lead) for a in f.by_agreement} == {
        ("IS-1", 1, 2, LEAD), ("LK-1", 1, 1, None),
    }
    assert report.deviations.detected.count == 2
    assert report.deviations.joint_detected == 1
    assert report.deviations.proposed == 0  # the lead's proposal is its own working note
    assert {(q.reference, q.lead) for q in report.requirements} == {("IS-1", LEAD), ("LK-1", None)}
    joint_warning = next(w for w in report.warnings if w.code == "joint_follow_up")
    assert joint_warning.numbers == {"suppliers": 1, "agreements": 1, "activities": 2, "deviations": 1}


def test_the_lead_counts_its_own_follow_up_once_and_nothing_as_joint(app, joint):
    report = _report(app, joint["cooperation"].id)
    f = report.follow_up

    assert (f.suppliers, f.agreements, f.activities) == (1, 1, 2)
    assert (f.joint_suppliers, f.joint_agreements, f.joint_activities) == (0, 0, 0)
    assert [m.lead for m in f.by_method] == [None, None]
    assert report.deviations.detected.count == 1
    assert report.deviations.joint_detected == 0
    assert report.deviations.proposed == 1
    assert all(w.code != "joint_follow_up" for w in report.warnings)


def test_a_buyer_in_no_joint_agreement_sees_none_of_it(app, joint):
    report = _report(app, joint["third"].id)

    assert (report.follow_up.suppliers, report.deviations.detected.count) == (0, 0)
    assert report.requirements == ()


def test_the_4a1_draft_and_the_check_say_which_figures_are_joint(app, joint):
    report = _report(app, joint["municipality"].id)
    with app.test_request_context(), force_locale("en"):
        draft = texts.draft_4a1(report)
        check = texts.warning_message(next(w for w in report.warnings if w.code == "joint_follow_up"))
        method_table = tables.table(report, "4a2_by_method")

    assert (f"Of these, 1 suppliers on 1 agreements were followed up jointly, on joint agreements we "
            f"take part in, led by {LEAD}; 1 of the deviations were found in that joint follow-up.") in draft
    assert f"Joint follow-up led by {LEAD} (2)" in draft
    assert "1 of the suppliers in 4.A.2, 1 of the agreements with follow-up" in check
    assert (f"Joint follow-up led by {LEAD}", queries.JOINT_METHOD, 2, 1) in method_table.rows


def test_the_exports_of_the_participant_name_the_lead(app, client, make, joint):
    reviewer = make.user(role="reviewer", buyer=joint["municipality"])
    _db.session.commit()
    assert sign_in(client, reviewer.email).status_code == 302

    document = orjson.loads(client.get(f"/reports/{YEAR}.json").data)
    page = client.get(f"/reports?year={YEAR}").get_data(as_text=True)
    csv = client.get(f"/reports/{YEAR}/4a2_by_method.csv").get_data(as_text=True)

    follow = document["follow_up_4a2"]
    assert follow["suppliers"] == 2
    assert follow["joint_follow_up"] == {"suppliers": 1, "agreements": 1, "activities": 2,
                                         "deviations_4a3": 1}
    assert {"kind": queries.JOINT_METHOD, "activities": 2, "suppliers": 1, "led_by": LEAD,
            "label": tr("Joint follow-up led by %(buyer)s", buyer=LEAD)} in follow["by_method"]
    assert {r["reference"]: r.get("led_by") for r in document["requirements_2a2"]} == {
        "IS-1": LEAD, "LK-1": None}
    assert document["deviations_4a3"]["count"] == 2
    assert tr("Joint follow-up led by %(buyer)s", buyer=LEAD) in page
    assert tr("Joint follow-up led by %(buyer)s", buyer=LEAD) in csv
    assert "Bare for samarbeidet" not in page + csv + orjson.dumps(document).decode()


def test_the_json_document_of_a_buyer_without_joint_agreements_keeps_its_shape(app, joint):
    scope_to(_db.session(), joint["third"].id, joint_reads=True)
    try:
        with app.test_request_context():
            document = jsondoc.document(queries.year_report(YEAR, TODAY), "nb", "Tredje kommune")
    finally:
        scope_to(_db.session(), None)

    assert all("led_by" not in m for m in document["follow_up_4a2"]["by_method"])
    assert document["follow_up_4a2"]["joint_follow_up"]["suppliers"] == 0


def test_the_participant_publishes_the_joint_follow_up_the_report_page_shows(app, client, make, joint):
    """Publishing is a POST, whose queries see the buyer's own records only; what it stores
    must still be the report the page shows, joint follow-up included, so that right after
    publishing nothing is listed as changed (it listed the joint agreement, its activities
    and deviation as added), and the stored files carry the same figures."""
    from portal.models import PublishedReport
    from portal.reports import publishing
    from tests.auth.helpers import post, text

    admin = make.user(role="admin", buyer=joint["municipality"])
    _db.session.commit()
    assert sign_in(client, admin.email).status_code == 302
    assert post(client, f"/reports/{YEAR}/publish").status_code == 302

    published = _db.session.scalar(_db.select(PublishedReport))
    follow = published.document("nb")["follow_up_4a2"]
    assert (follow["suppliers"], follow["agreements"], follow["activities"]) == (2, 2, 3)
    assert follow["joint_follow_up"]["activities"] == 2
    assert published.document("nb")["deviations_4a3"]["count"] == 2
    assert tr("Nothing in the report has changed since publication.") in text(
        client.get(f"/reports?year={YEAR}"))
    publishing.store_published_exports(published.id)
    _db.session.refresh(published)
    assert published.exports_problem in (None, "")
    assert published.exports_stored_at is not None
