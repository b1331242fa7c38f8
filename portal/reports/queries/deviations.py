"""4.A.3: deviations identified in the year, and those still open from earlier years."""

from __future__ import annotations

import heapq
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    cast,
    func,
    or_,
    select,
)

from portal.codes import OPEN_DEVIATION_STATUSES
from portal.models import (
    Deviation,
)
from portal.reports.queries.base import (
    EHN_STATUS_KEY,
    EHN_STATUS_ORDER,
    _counted_deviation,
    _dated_in,
    _joint,
    _run,
    deviation_status_at,
    first_day,
)

# 4.A.3


@dataclass(frozen=True)
class DeviationRow:
    """One deviation as the public report shows it: never a site or a supplier.

    The JSON export writes these fields as they are (orjson serialises data classes
    natively), so each one is public and its name is part of schema ``aktsom.report/1``.
    """

    type: str
    tier: str
    country: str | None
    measures: tuple[str, ...]
    measures_text: str
    status: str
    #: The status as Etisk handel Norge's 4.A.3 table words it (``EHN_STATUS_KEY``).
    ehn_status: str
    severity: str
    detected_date: date


@dataclass(frozen=True)
class DeviationGroup:
    """Equal rows (type, tier, country, measures, EHN status) with their count."""

    type: str
    tier: str
    country: str | None
    measures: tuple[str, ...]
    ehn_status: str
    count: int


@dataclass(frozen=True)
class DeviationSummary:
    """Rows grouped by (type, tier) as DOMAIN 7.2 suggests: bounded, for the PDF.

    ``measures`` are the most used ones (``SUMMARY_MEASURES`` at most).
    """

    type: str
    tier: str
    count: int
    countries: tuple[str, ...]
    measures: tuple[str, ...]
    statuses: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class DeviationTypeSummary:
    """Rows grouped by type only, the places in the chain counted: the shortest 4.A.3 table.

    ``measures`` are the most used ones (``SUMMARY_MEASURES`` at most).
    """

    type: str
    count: int
    tiers: tuple[tuple[str, int], ...]
    measures: tuple[str, ...]
    statuses: tuple[tuple[str, int], ...]


#: A summary row names at most this many measures: the most used ones.
SUMMARY_MEASURES = 3


def _most_used(counts: dict[str, int]) -> tuple[str, ...]:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple(code for code, _n in ranked[:SUMMARY_MEASURES])


def _summarise(groups: Iterable[DeviationGroup]) -> tuple[DeviationSummary, ...]:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    countries: dict[tuple[str, str], set[str]] = defaultdict(set)
    measures: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    statuses: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for g in groups:
        key = (g.type, g.tier)
        counts[key] += g.count
        if g.country:
            countries[key].add(g.country)
        for m in g.measures:
            measures[key][m] += g.count
        statuses[key][g.ehn_status] += g.count
    return tuple(
        DeviationSummary(
            type=key[0], tier=key[1], count=counts[key], countries=tuple(sorted(countries[key])),
            measures=_most_used(measures[key]),
            statuses=tuple((s, statuses[key][s]) for s in EHN_STATUS_ORDER if statuses[key].get(s)),
        )
        for key in sorted(counts, key=lambda k: (-counts[k], k))
    )


def _summarise_types(groups: Iterable[DeviationGroup]) -> tuple[DeviationTypeSummary, ...]:
    counts: dict[str, int] = defaultdict(int)
    tiers: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    measures: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    statuses: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for g in groups:
        counts[g.type] += g.count
        tiers[g.type][g.tier] += g.count
        for m in g.measures:
            measures[g.type][m] += g.count
        statuses[g.type][g.ehn_status] += g.count
    return tuple(
        DeviationTypeSummary(
            type=t, count=counts[t],
            tiers=tuple(sorted(tiers[t].items(), key=lambda item: (-item[1], item[0]))),
            measures=_most_used(measures[t]),
            statuses=tuple((s, statuses[t][s]) for s in EHN_STATUS_ORDER if statuses[t].get(s)),
        )
        for t in sorted(counts, key=lambda k: (-counts[k], k))
    )


@dataclass(frozen=True)
class DeviationSet:
    """One group of 4.A.3 (the year's deviations, or earlier ones still open in it)."""

    count: int
    #: (type, tier, count): always there, small, for the charts.
    by_type_tier: tuple[tuple[str, str, int], ...]
    #: Equal rows grouped, largest first: all of them, or the first ``group_limit``; empty
    #: when the caller did not ask for them. ``summary`` and ``type_summary`` need them all.
    groups: tuple[DeviationGroup, ...]
    #: How many groups there are in all.
    group_count: int
    #: The rows by detection date: all of them, or the first ``row_limit``.
    rows: tuple[DeviationRow, ...]

    @property
    def has_every_row(self) -> bool:
        return len(self.rows) == self.count

    @property
    def summary(self) -> tuple[DeviationSummary, ...]:
        return _summarise(self.groups)

    @property
    def type_summary(self) -> tuple[DeviationTypeSummary, ...]:
        return _summarise_types(self.groups)

    def count_by(self, attribute: str) -> tuple[tuple[str, int], ...]:
        """Counts by "type" or "tier", largest first."""
        counts: dict[str, int] = defaultdict(int)
        for type_, tier, n in self.by_type_tier:
            counts[type_ if attribute == "type" else tier] += n
        return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


@dataclass(frozen=True)
class Deviations:
    """4.A.3: the yes/no answer follows from whether the year has any rows."""

    year: int
    detected: DeviationSet
    earlier_open: DeviationSet
    #: Proposed (unconfirmed) deviations detected in the year: not counted, but worth a look.
    proposed: int
    #: Of the deviations detected in the year, those found on joint agreements led by others.
    joint_detected: int = 0

    @property
    def found(self) -> bool:
        return self.detected.count > 0


@lru_cache(maxsize=4096)
def _measures(value: str | None) -> tuple[str, ...]:
    """The stored JSON list (as text) as a sorted tuple, so equal sets group together.

    Few distinct lists exist, so parsing is cached: a year's rows repeat them.
    """
    parsed = json.loads(value) if value else []
    return tuple(sorted(str(m) for m in (parsed or ())))


def proposed_in(year: int) -> ColumnElement[bool]:
    """Proposed deviations detected in Y, neither confirmed nor discarded."""
    return and_(Deviation.is_proposed.is_(True), Deviation.status != "WITHDRAWN",
                _dated_in(Deviation.detected_date, year))


def _detected_in(year: int) -> ColumnElement[bool]:
    return and_(_counted_deviation(), _dated_in(Deviation.detected_date, year))


def _earlier_open_in(year: int) -> ColumnElement[bool]:
    """Detected before Y and still open in Y: open now, or closed on or after 1.1.Y."""
    return and_(
        _counted_deviation(),
        Deviation.detected_date < first_day(year),
        or_(
            Deviation.status.in_(OPEN_DEVIATION_STATUSES),
            Deviation.closed_date >= first_day(year),
        ),
    )


def _deviation_set(where: ColumnElement[bool], row_limit: int | None, with_groups: bool,
                   group_limit: int | None = None, as_of: date | None = None) -> DeviationSet:
    groups: tuple[DeviationGroup, ...] = ()
    group_count = 0
    if with_groups:
        # The status (on ``as_of``) is worked out per row first, then grouped on.
        chosen_rows = (
            select(
                Deviation.id, Deviation.type, Deviation.tier, Deviation.country,
                cast(Deviation.measures, String).label("measures"),  # groupable on PG
                deviation_status_at(as_of).label("status"),
            )
            .where(where)
            .subquery("chosen")
        )
        c = chosen_rows.c
        merged: dict[tuple[str, str, str | None, tuple[str, ...], str], int] = defaultdict(int)
        for type_, tier, country, measures, status, number in _run(
            select(c.type, c.tier, c.country, c.measures, c.status, func.count(c.id))
            .group_by(c.type, c.tier, c.country, c.measures, c.status)
        ):
            key = (type_, tier, country, _measures(measures), EHN_STATUS_KEY.get(status, status))
            merged[key] += int(number)
        def largest_first(item: tuple[tuple[str, str, str | None, tuple[str, ...], str], int]
                          ) -> tuple[object, ...]:
            (type_, tier, country, measures, ehn_status), n = item
            return (-n, type_, tier, country or "", measures, ehn_status)

        # The page shows the first groups only: those are picked without sorting them all.
        chosen = (sorted(merged.items(), key=largest_first) if group_limit is None
                  else heapq.nsmallest(group_limit, merged.items(), key=largest_first))
        groups = tuple(
            DeviationGroup(type=k[0], tier=k[1], country=k[2], measures=k[3], ehn_status=k[4],
                           count=n)
            for k, n in chosen
        )
        group_count = len(merged)
        by_type_tier: dict[tuple[str, str], int] = defaultdict(int)
        for (type_, tier, *_rest), n in merged.items():
            by_type_tier[(type_, tier)] += n
        type_tier = tuple((t, r, n) for (t, r), n in sorted(by_type_tier.items()))
    else:
        type_tier = tuple(
            (t, r, int(n))
            for t, r, n in _run(
                select(Deviation.type, Deviation.tier, func.count(Deviation.id))
                .where(where)
                .group_by(Deviation.type, Deviation.tier)
                .order_by(Deviation.type, Deviation.tier)
            )
        )
    count = sum(n for _t, _r, n in type_tier)
    rows: tuple[DeviationRow, ...] = ()
    if row_limit != 0 and count:
        rows = tuple(
            DeviationRow(type_, tier, country, _measures(measures), text or "", status,
                         EHN_STATUS_KEY.get(status, status), severity, detected)
            # Only the public columns are selected: the site is never read.
            for type_, tier, country, measures, text, status, severity, detected in _run(
                select(
                    Deviation.type, Deviation.tier, Deviation.country,
                    cast(Deviation.measures, String), Deviation.measures_text,
                    deviation_status_at(as_of), Deviation.severity, Deviation.detected_date,
                )
                .where(where)
                .order_by(Deviation.detected_date, Deviation.id)
                .limit(row_limit)
            )
        )
    return DeviationSet(count=count, by_type_tier=type_tier, groups=groups,
                        group_count=group_count, rows=rows)


def deviations(year: int, *, row_limit: int | None = None, with_groups: bool = True,
               earlier_groups: bool | None = None, group_limit: int | None = None,
               as_of: date | None = None) -> Deviations:
    """The year's deviations and the earlier ones still open in it.

    At most ``row_limit`` rows are read (None: all of them, 0: none). Counts cover
    everything; equal rows are grouped only ``with_groups`` (the page's default view
    and the charts need just the counts by type and tier), and the earlier ones only
    ``earlier_groups`` (default: the same); ``group_limit`` keeps the largest groups only.
    Statuses are those on ``as_of`` (None: today).
    """
    proposed, joint = _run(
        select(
            func.count(Deviation.id).filter(Deviation.is_proposed.is_(True)),
            func.count(Deviation.id).filter(_detected_in(year), _joint(Deviation.buyer_id)),
        ).where(Deviation.status != "WITHDRAWN", _dated_in(Deviation.detected_date, year))
    ).one()
    return Deviations(
        year=year,
        detected=_deviation_set(_detected_in(year), row_limit, with_groups, group_limit, as_of),
        earlier_open=_deviation_set(
            _earlier_open_in(year), row_limit,
            with_groups if earlier_groups is None else earlier_groups, group_limit, as_of,
        ),
        proposed=int(proposed or 0),
        joint_detected=int(joint or 0),
    )


