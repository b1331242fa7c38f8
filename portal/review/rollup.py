"""Rolling verdicts and deviations up into section statuses and a traffic light (DOMAIN 4.6).

Pure functions over plain values: the inbox and the review page give them the same
inputs, so a response shows the same light everywhere.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, TypeVar

from portal.codes import OPEN_DEVIATION_STATUSES

MEETS, PARTLY, NOT_MET, NA = "meets", "partly", "not_met", "na"
# Section statuses: M (meets), P (partly), N (does not meet), or None while not yet assessed.
M, P, N = "M", "P", "N"
GREEN, YELLOW, RED = "green", "yellow", "red"


@dataclass(frozen=True)
class QuestionFacts:
    """What the roll-up needs to know about one question of a section."""

    id: str
    gate: bool = False
    required: bool = False
    scored: bool = True
    conditional: bool = False


@dataclass(frozen=True)
class SectionFacts:
    id: str
    questions: tuple[QuestionFacts, ...]


@dataclass(frozen=True)
class DeviationFacts:
    status: str
    deadline: date | None = None
    closed_date: date | None = None


@dataclass(frozen=True)
class SectionResult:
    id: str
    status: str | None
    reviewed: int
    total: int


@dataclass(frozen=True)
class Rollup:
    sections: tuple[SectionResult, ...]
    light: str | None

    def section(self, section_id: str) -> SectionResult | None:
        return next((s for s in self.sections if s.id == section_id), None)


def section_status(
    section: SectionFacts,
    verdicts: Mapping[str, str | None],
    gates_said_no: Collection[str] = frozenset(),
) -> SectionResult:
    """N if the gate or any required question is N; else P if any is P; else M.

    A gate question the supplier answered "No" counts as N until the reviewer gives it a
    verdict (DFØ: a "No" to a part's opening question is a breach of contract).

    A "does not meet" on an optional question makes the section P rather than M. A section
    is M only when every scored question has a verdict; a conditional question that has
    none is taken as not shown (the roll-up never needs the answers). Sections without
    scored questions have no status.
    """
    scored = [q for q in section.questions if q.scored]
    given = {q.id: verdicts.get(q.id) for q in scored if verdicts.get(q.id)}
    countable = [q for q in scored if not q.conditional or q.id in given]
    reviewed, total = len(given), len(countable)
    if any(q.gate and q.id in gates_said_no and not verdicts.get(q.id) for q in section.questions):
        return SectionResult(section.id, N, reviewed, total)
    if any(given.get(q.id) == NOT_MET and (q.gate or q.required) for q in scored):
        return SectionResult(section.id, N, reviewed, total)
    if any(verdict in (PARTLY, NOT_MET) for verdict in given.values()):
        return SectionResult(section.id, P, reviewed, total)
    if total and reviewed == total:
        return SectionResult(section.id, M, reviewed, total)
    return SectionResult(section.id, None, reviewed, total)


#: A deviation in these statuses is red whatever its dates.
RED_STATUSES = ("ESCALATED", "CLOSED_NOT_OK")

B = TypeVar("B")
C = TypeVar("C", covariant=True)


class Logic(Protocol[B, C]):
    """What the traffic-light rule needs: on Python values (``PYTHON``) for the inbox and the
    review page, or on SQL expressions (``portal.reports.queries.SQL``) for the report's
    counts of thousands of responses; ``B`` is a truth value, ``C`` a colour."""

    def any(self, *terms: B) -> B: ...
    def all(self, *terms: B) -> B: ...
    def negate(self, term: B) -> B: ...
    def is_in(self, value: Any, options: Collection[str]) -> B: ...
    def before(self, first: Any, second: Any) -> B:
        """Both known and ``first`` < ``second``."""
        ...
    def choose(self, cases: Sequence[tuple[B, str]], otherwise: str | None) -> C: ...


def deviation_colours(logic: Logic[B, Any], status: Any, deadline: Any, closed_date: Any,
                      today: Any) -> tuple[B, B]:
    """(red, yellow) of one deviation (DOMAIN 4.6), the one place the rule is written.

    Red: escalated, closed not remedied, open past its deadline, or closed after it;
    yellow: open within its deadline (red wins for an escalated one); green otherwise.
    """
    is_open = logic.is_in(status, OPEN_DEVIATION_STATUSES)
    late_open = logic.all(is_open, logic.before(deadline, today))
    closed_late = logic.all(logic.is_in(status, ("CLOSED_OK",)), logic.before(deadline, closed_date))
    red = logic.any(logic.is_in(status, RED_STATUSES), late_open, closed_late)
    yellow = logic.all(is_open, logic.negate(late_open))
    return red, yellow


def light(logic: Logic[B, C], red: B, yellow: B, green: B, otherwise: str | None = None) -> C:
    """The colour of a response or a deviation: red before yellow before green."""
    return logic.choose(((red, RED), (yellow, YELLOW), (green, GREEN)), otherwise)


class _Python:
    """The rule on plain values."""

    def any(self, *terms: bool) -> bool:
        return any(terms)

    def all(self, *terms: bool) -> bool:
        return all(terms)

    def negate(self, term: bool) -> bool:
        return not term

    def is_in(self, value: Any, options: Collection[str]) -> bool:
        return value in options

    def before(self, first: Any, second: Any) -> bool:
        return first is not None and second is not None and first < second

    def choose(self, cases: Sequence[tuple[bool, str]], otherwise: str | None) -> str | None:
        return next((colour for condition, colour in cases if condition), otherwise)


PYTHON = _Python()


def deviation_light(deviation: DeviationFacts, today: date) -> str | None:
    """A deviation's own colour (``deviation_colours``); None once withdrawn."""
    if deviation.status == "WITHDRAWN":
        return None
    red, yellow = deviation_colours(PYTHON, deviation.status, deviation.deadline,
                                    deviation.closed_date, today)
    return light(PYTHON, red, yellow, True)


def overall_light(
    sections: Iterable[SectionResult], deviations: Iterable[DeviationFacts], today: date
) -> str | None:
    """Red on any N or a deviation not fixed in time; yellow on any P or a deviation being
    handled; green when every section meets; None while the review is incomplete."""
    statuses = [s.status for s in sections if s.total]
    colours = {deviation_light(d, today) for d in deviations}
    return light(PYTHON, N in statuses or RED in colours, P in statuses or YELLOW in colours,
                 bool(statuses) and all(status == M for status in statuses))


def rollup(
    sections: Sequence[SectionFacts],
    verdicts: Mapping[str, str | None],
    deviations: Iterable[DeviationFacts],
    today: date,
    gates_said_no: Collection[str] = frozenset(),
) -> Rollup:
    results = tuple(section_status(section, verdicts, gates_said_no) for section in sections)
    return Rollup(results, overall_light(results, list(deviations), today))
