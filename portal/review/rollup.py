"""Rolling verdicts and deviations up into section statuses and a traffic light (DOMAIN 4.6).

Pure functions over plain values: the inbox and the review page give them the same
inputs, so a response shows the same light everywhere.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

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


def deviation_light(deviation: DeviationFacts, today: date) -> str | None:
    """A deviation's own colour: red when escalated, closed unremedied or not fixed in time."""
    status = deviation.status
    if status == "WITHDRAWN":
        return None
    if status in ("ESCALATED", "CLOSED_NOT_OK"):
        return RED
    if status in OPEN_DEVIATION_STATUSES:
        late = deviation.deadline is not None and deviation.deadline < today
        return RED if late else YELLOW
    # CLOSED_OK: green when closed on time (or without a deadline), red when closed late.
    late = (
        deviation.deadline is not None
        and deviation.closed_date is not None
        and deviation.closed_date > deviation.deadline
    )
    return RED if late else GREEN


def overall_light(
    sections: Iterable[SectionResult], deviations: Iterable[DeviationFacts], today: date
) -> str | None:
    """Red on any N or a deviation not fixed in time; yellow on any P or a deviation being
    handled; green when every section meets; None while the review is incomplete."""
    statuses = [s.status for s in sections if s.total]
    colours = {deviation_light(d, today) for d in deviations}
    if N in statuses or RED in colours:
        return RED
    if P in statuses or YELLOW in colours:
        return YELLOW
    if statuses and all(status == M for status in statuses):
        return GREEN
    return None


def rollup(
    sections: Sequence[SectionFacts],
    verdicts: Mapping[str, str | None],
    deviations: Iterable[DeviationFacts],
    today: date,
    gates_said_no: Collection[str] = frozenset(),
) -> Rollup:
    results = tuple(section_status(section, verdicts, gates_said_no) for section in sections)
    return Rollup(results, overall_light(results, list(deviations), today))
