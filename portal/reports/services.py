"""Changes the report makes: saving and resetting its editable texts (flush, never commit)."""

from __future__ import annotations

from sqlalchemy import select

from portal import audit
from portal.extensions import db
from portal.models import ReportText, User, utcnow
from portal.tenancy import owner_id


def save_report_text(year: int, key: str, text: str, *, actor: User) -> ReportText:
    stored = db.session.scalar(select(ReportText).where(ReportText.year == year, ReportText.key == key))
    before = stored.text if stored else None
    if stored is None:
        stored = ReportText(year=year, key=key, text=text, updated_by_id=actor.id,
                            buyer_id=owner_id(actor))
        db.session.add(stored)
    else:
        stored.text = text
        stored.updated_by_id = actor.id
        stored.updated_at = utcnow()
    db.session.flush()
    audit.record("report_text.saved", stored, actor=actor, field=key, before=before, after=text)
    return stored


def reset_report_text(year: int, key: str, *, actor: User) -> bool:
    """Drop the saved text so the generated draft shows again; False if there was none."""
    stored = db.session.scalar(select(ReportText).where(ReportText.year == year, ReportText.key == key))
    if stored is None:
        return False
    audit.record("report_text.reset", stored, actor=actor, field=key, before=stored.text, after=None)
    db.session.delete(stored)
    db.session.flush()
    return True
