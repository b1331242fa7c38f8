"""The last five years and the 4.A.1 draft's data."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import (
    case,
    distinct,
    func,
    literal,
    select,
    union_all,
)

from portal.models import (
    Agreement,
    Deviation,
    FollowUpActivity,
    FollowUpRound,
    ReportText,
    Response,
    Role,
    User,
)
from portal.reports.queries.base import (
    FIVE_YEARS,
    REPORT_TEXT_4A1,
    RESPONSE_STATUS_ORDER,
    _counted_deviation,
    _dated_in,
    _joint,
    _qualifying_activities,
    _run,
    active_in,
    first_day,
    last_day,
)

# Five years


@dataclass(frozen=True)
class YearFigures:
    """The key numbers of one year, for the side-by-side table."""

    year: int
    active_agreements: int
    agreements_with_follow_up: int
    suppliers_followed_up: int
    activities: int
    deviations: int
    responses: tuple[tuple[str, int], ...]

    @property
    def invited(self) -> int:
        return sum(n for _s, n in self.responses)

    def responses_in(self, status: str) -> int:
        return dict(self.responses).get(status, 0)


def five_years(year: int, years: Iterable[int],
               known: dict[int, tuple[int, int, int]] | None = None) -> tuple[YearFigures, ...]:
    """The year and up to four before it that have data (4 statements whatever the range).

    ``known`` maps years whose 4.A.2 figures the caller already has to (suppliers,
    agreements, activities), so they are not counted again.
    """
    chosen = sorted(y for y in years if year - FIVE_YEARS < y <= year)
    if not chosen:
        return ()
    first, last = chosen[0], chosen[-1]
    active_row = _run(
        select(*(func.sum(case((active_in(y), 1), else_=0)) for y in chosen))
        .select_from(Agreement)  # names the entity, so the buyer's scope applies
    ).one()
    active = {y: int(n or 0) for y, n in zip(chosen, active_row, strict=True)}

    # One statement, one indexed date range per year, each with the agreements active in
    # that year (DOMAIN 7.2): cheaper than grouping every activity by its year.
    followed = dict(known or {})
    missing = [y for y in chosen if y not in followed]
    if missing:
        per_year = union_all(*(
            select(
                literal(y).label("year"),
                func.count(distinct(FollowUpActivity.supplier_id)),
                func.count(distinct(FollowUpActivity.agreement_id)),
                func.count(FollowUpActivity.id),
            )
            .join(Agreement, Agreement.id == FollowUpActivity.agreement_id)
            .where(_qualifying_activities(y))
            for y in missing
        ))
        followed.update(
            (int(y), (int(s), int(a), int(n))) for y, s, a, n in _run(per_year)
        )

    found_row = _run(
        select(*(func.sum(case((_dated_in(Deviation.detected_date, y), 1), else_=0)) for y in chosen))
        .select_from(Deviation)
        .where(_counted_deviation(),
               Deviation.detected_date.between(first_day(first), last_day(last)))
    ).one()
    found = {y: int(n or 0) for y, n in zip(chosen, found_row, strict=True)}

    responses: dict[int, dict[str, int]] = defaultdict(dict)
    for y, status, n in _run(
        select(FollowUpRound.year, Response.status, func.count(Response.id))
        .join(FollowUpRound, FollowUpRound.id == Response.round_id)
        .where(FollowUpRound.year.between(first, last))
        .group_by(FollowUpRound.year, Response.status)
    ):
        responses[int(y)][status] = int(n)

    return tuple(
        YearFigures(
            year=y, active_agreements=active[y],
            agreements_with_follow_up=followed.get(y, (0, 0, 0))[1],
            suppliers_followed_up=followed.get(y, (0, 0, 0))[0],
            activities=followed.get(y, (0, 0, 0))[2],
            deviations=found.get(y, 0),
            responses=tuple((s, responses[y].get(s, 0)) for s in RESPONSE_STATUS_ORDER),
        )
        for y in chosen
    )


# 4.A.1


@dataclass(frozen=True)
class StaffRole:
    """Staff who recorded follow-up in the year, by role and job title (never by name)."""

    role: str
    job_title: str
    people: int
    activities: int


def follow_up_staff(year: int) -> tuple[StaffRole, ...]:
    """Who recorded the buyer's own follow-up of the year: the same activities as the own
    rows of 4.A.2 by method (dated in the year, on an agreement active in it, not joint)."""
    rows = _run(
        select(User.role, User.job_title, func.count(distinct(User.id)),
               func.count(FollowUpActivity.id))
        .join(Agreement, Agreement.id == FollowUpActivity.agreement_id)
        .join(User, User.id == FollowUpActivity.created_by_id)
        .where(_qualifying_activities(year), ~_joint(Agreement.buyer_id),
               User.role.in_((Role.REVIEWER.value, Role.ADMIN.value)))
        .group_by(User.role, User.job_title)
        .order_by(func.count(FollowUpActivity.id).desc(), User.job_title)
    )
    return tuple(StaffRole(r[0], r[1] or "", int(r[2]), int(r[3])) for r in rows)


@dataclass(frozen=True)
class SavedText:
    text: str
    updated_at: object
    updated_by_id: int | None


def saved_text(year: int, key: str = REPORT_TEXT_4A1) -> SavedText | None:
    row = _run(
        select(ReportText.text, ReportText.updated_at, ReportText.updated_by_id)
        .where(ReportText.year == year, ReportText.key == key)
    ).first()
    return None if row is None else SavedText(row[0], row[1], row[2])


