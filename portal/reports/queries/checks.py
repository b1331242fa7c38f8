"""Consistency checks (DOMAIN 7.4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    func,
    or_,
    select,
)

from portal.models import (
    Agreement,
    Deviation,
    FollowUpActivity,
    FollowUpRound,
    Response,
    ResponseStatus,
)
from portal.reports.queries.base import (
    UNANSWERED,
    _counted_activity,
    _dated_in,
    _run,
    active_in,
    first_day,
    response_status_at,
)
from portal.reports.queries.deviations import Deviations, _detected_in
from portal.reports.queries.followup import FollowUp

# Consistency checks (DOMAIN 7.4)


@dataclass(frozen=True)
class ReportWarning:
    """A consistency problem to show; ``code`` picks the translated message."""

    code: str
    numbers: dict[str, int] = field(default_factory=dict)


def unanswered_without_pdoc(year: int, today: date, as_of: date | None = None) -> int:
    """Not-answered questionnaires of the year with no P-DOC deviation for that supplier."""
    return int(
        _run(
            select(func.count(Response.id))
            .join(FollowUpRound, FollowUpRound.id == Response.round_id)
            .where(unanswered_without_pdoc_in(year, today, as_of))
        ).scalar()
        or 0
    )


def unanswered_without_pdoc_in(year: int, today: date, as_of: date | None = None
                               ) -> ColumnElement[bool]:
    """Responses of Y's rounds not answered by the deadline, the supplier without a P-DOC
    deviation since 1.1.Y (join FollowUpRound)."""
    has_pdoc = exists().where(
        Deviation.supplier_id == Response.supplier_id,
        Deviation.type == "P-DOC",
        Deviation.status != "WITHDRAWN",
        Deviation.detected_date >= first_day(year),
    )
    return and_(FollowUpRound.year == year, response_status_at(as_of).in_(UNANSWERED),
                Response.deadline < today, ~has_pdoc)


def consistency_warnings(
    follow: FollowUp, found: Deviations, unanswered_no_pdoc: int
) -> tuple[ReportWarning, ...]:
    warnings: list[ReportWarning] = []
    if follow.suppliers < follow.agreements and not follow.agreements_without_suppliers:
        warnings.append(ReportWarning("suppliers_below_agreements",
                                {"suppliers": follow.suppliers, "agreements": follow.agreements}))
    if not found.found and found.earlier_open.count:
        warnings.append(ReportWarning("none_found_but_open", {"open": found.earlier_open.count}))
    if found.proposed:
        warnings.append(ReportWarning("proposed_unconfirmed", {"proposed": found.proposed}))
    if follow.activities_not_counted:
        warnings.append(ReportWarning("activities_not_counted", {"activities": follow.activities_not_counted}))
    if unanswered_no_pdoc:
        warnings.append(ReportWarning("unanswered_without_pdoc", {"responses": unanswered_no_pdoc}))
    if follow.joint_agreements or found.joint_detected:
        warnings.append(ReportWarning("joint_follow_up", {
            "suppliers": follow.joint_suppliers, "agreements": follow.joint_agreements,
            "activities": follow.joint_activities, "deviations": found.joint_detected,
        }))
    return tuple(warnings)


#: How each way of finding a deviation (DOMAIN 5.7) shows as a follow-up activity; the
#: other ways (grievances, media, the supplier's own report) need none.
DETECTION_ACTIVITY = {
    "SAQ": "questionnaire_reviewed",
    "DESK": "document_review",
    "SITE": "site_audit",
    "MEETING": "status_meeting",
    "SPOT": "spot_check",
}


def not_counted_activity_in(year: int) -> ColumnElement[bool]:
    """Activities dated in Y on an agreement not active in Y (join Agreement)."""
    return and_(_dated_in(FollowUpActivity.date, year), _counted_activity(), ~active_in(year))


def outside_agreement_in(year: int) -> ColumnElement[bool]:
    """Counted activities of Y dated before their agreement started or after it ended
    (join Agreement); those on agreements not active in Y have their own warning."""
    return and_(
        _dated_in(FollowUpActivity.date, year), _counted_activity(), active_in(year),
        or_(FollowUpActivity.date < Agreement.start_date,
            and_(Agreement.end_date.is_not(None), FollowUpActivity.date > Agreement.end_date)),
    )


def unreviewed_in(year: int, today: date, days: int) -> ColumnElement[bool]:
    """Responses of Y's rounds submitted more than ``days`` days ago and still waiting for
    review (join FollowUpRound)."""
    before = datetime.combine(today - timedelta(days=days), time.min, tzinfo=UTC)
    return and_(FollowUpRound.year == year,
                Response.status.in_((ResponseStatus.SUBMITTED.value, ResponseStatus.RESUBMITTED.value)),
                Response.submitted_at < before)


def without_method_activity_in(year: int) -> ColumnElement[bool]:
    """Deviations of 4.A.3 found by a method that is a follow-up activity (a site audit, a
    questionnaire ...) while the supplier has no counted activity of that kind dated in Y."""
    kind = case(DETECTION_ACTIVITY, value=Deviation.detected_by)
    matching = exists().where(
        FollowUpActivity.supplier_id == Deviation.supplier_id, FollowUpActivity.kind == kind,
        _dated_in(FollowUpActivity.date, year), _counted_activity(),
    )
    return and_(_detected_in(year), Deviation.detected_by.in_(DETECTION_ACTIVITY), ~matching)


def more_warnings(year: int, today: date, unreviewed_days: int) -> tuple[ReportWarning, ...]:
    """The checks that name records (issue 16), counted in one statement."""
    outside, unreviewed, without = _run(select(
        select(func.count(FollowUpActivity.id))
        .join(Agreement, Agreement.id == FollowUpActivity.agreement_id)
        .where(outside_agreement_in(year)).scalar_subquery(),
        select(func.count(Response.id))
        .join(FollowUpRound, FollowUpRound.id == Response.round_id)
        .where(unreviewed_in(year, today, unreviewed_days)).scalar_subquery(),
        select(func.count(Deviation.id)).where(without_method_activity_in(year)).scalar_subquery(),
    )).one()
    warnings: list[ReportWarning] = []
    if outside:
        warnings.append(ReportWarning("activity_outside_agreement", {"activities": int(outside)}))
    if unreviewed:
        warnings.append(ReportWarning("unreviewed_submissions",
                                      {"responses": int(unreviewed), "days": unreviewed_days}))
    if without:
        warnings.append(ReportWarning("deviation_without_activity", {"deviations": int(without)}))
    return tuple(warnings)


