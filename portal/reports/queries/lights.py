"""Traffic lights of the year's responses by DFØ category (the rule: portal.review.rollup)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    false,
    func,
    literal,
    or_,
    select,
    true,
)

from portal.codes import DFO_CATEGORIES
from portal.extensions import db
from portal.models import (
    Agreement,
    Answer,
    Deviation,
    FollowUpRound,
    QuestionnaireVersion,
    QuestionReview,
    Response,
)
from portal.reports.queries.base import LIGHT_KEYS, _counted_deviation, _run, deviation_status_at
from portal.review import rollup

# Traffic lights


@dataclass(frozen=True)
class TrafficLights:
    """Responses of the year's rounds by DFØ category (None: none) and light."""

    category: str | None
    green: int
    yellow: int
    red: int
    #: Not assessed yet: the review's roll-up has no light for them either.
    none: int = 0

    @property
    def total(self) -> int:
        return self.green + self.yellow + self.red + self.none


@dataclass(frozen=True)
class _ShownQuestions:
    """The questions of one questionnaire version as one kind of agreement shows them."""

    #: Every scored question: only verdicts on these colour the light.
    scored: tuple[str, ...]
    #: Gate and required ones: a "does not meet" makes the section N and the light red.
    critical: tuple[str, ...]
    #: Those without a condition: the light is green only once each has a verdict.
    assessed: tuple[str, ...]
    #: Gate questions and their opening yes/no part: a "No" not yet judged makes it red.
    gates: tuple[tuple[str, str], ...] = ()


# (questionnaire version id, variant, social-dialogue requirement) -> the questions shown
_Shown = dict[tuple[int, str, bool], _ShownQuestions]


def _shown_questions(year: int) -> _Shown:
    """The review's roll-up inputs (``portal.review.services.section_facts``) for every kind
    of agreement and every questionnaire version of the year's rounds."""
    from portal.questionnaires.definition import VARIANTS, DefinitionError
    from portal.questionnaires.engine import definition_of

    shown: _Shown = {}
    for version in db.session.scalars(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.id.in_(
                select(FollowUpRound.questionnaire_version_id).where(FollowUpRound.year == year)
            )
        )
    ):
        try:
            definition = definition_of(version)
        except DefinitionError:
            continue  # a stored version that no longer parses colours nothing
        for variant in VARIANTS:
            for social_dialogue in (False, True):
                scored = [q for section in definition.sections_for(variant, social_dialogue)
                          for q in section.questions if q.scored]
                shown[(version.id, variant, social_dialogue)] = _ShownQuestions(
                    scored=tuple(q.id for q in scored),
                    critical=tuple(q.id for q in scored if q.gate or q.required),
                    assessed=tuple(q.id for q in scored if q.condition is None),
                    gates=tuple((q.id, q.parts[0].id) for q in scored if q.gate),
                )
    return shown


def _kind_of_response(key: tuple[int, str, bool]) -> ColumnElement[bool]:
    version_id, variant, social_dialogue = key
    return and_(FollowUpRound.questionnaire_version_id == version_id,
                Agreement.questionnaire_variant == variant,
                Agreement.social_dialogue_required.is_(social_dialogue))


def _verdict_on(shown: _Shown, part: str) -> ColumnElement[bool]:
    """A verdict on one of the ``part`` questions (scored, critical, assessed) as its response's
    questionnaire and agreement show them."""
    return or_(false(), *(
        and_(_kind_of_response(key), QuestionReview.question_id.in_(getattr(questions, part)))
        for key, questions in shown.items() if getattr(questions, part)
    ))


def _assessed_needed(shown: _Shown) -> ColumnElement[int]:
    """How many verdicts a response needs before its light can be green."""
    if not shown:
        return literal(0)
    return case(
        *((_kind_of_response(key), len(questions.assessed)) for key, questions in shown.items()),
        else_=0,
    )


def _deviation_colours(today: date, as_of: date | None = None
                       ) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """(red, yellow) of one deviation, exactly as ``portal.review.rollup.deviation_light``.

    ``today`` judges "overdue"; the status is the one on ``as_of`` (None: now).
    """
    return rollup.deviation_colours(SQL, deviation_status_at(as_of), Deviation.deadline,
                                    Deviation.closed_date, today)


class _Sql:
    """The traffic-light rule of ``portal.review.rollup`` on SQL expressions."""

    def any(self, *terms: ColumnElement[bool]) -> ColumnElement[bool]:
        return or_(*terms)

    def all(self, *terms: ColumnElement[bool]) -> ColumnElement[bool]:
        return and_(*terms)

    def negate(self, term: ColumnElement[bool]) -> ColumnElement[bool]:
        return ~term

    def is_in(self, value: Any, options: Collection[str]) -> ColumnElement[bool]:
        return value == next(iter(options)) if len(options) == 1 else value.in_(tuple(options))

    def before(self, first: Any, second: Any) -> ColumnElement[bool]:
        # A column (or a mapped attribute) may be NULL; a Python date given for "today" is not.
        known = [term.is_not(None) for term in (first, second) if not isinstance(term, date)]
        return and_(*known, first < second)

    def choose(self, cases: Sequence[tuple[ColumnElement[bool], str]],
               otherwise: str | None) -> ColumnElement[str]:
        return case(*((condition, literal(colour)) for condition, colour in cases),
                    else_=literal(otherwise))


SQL = _Sql()


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """1 when any row of the group meets the condition, else 0."""
    return func.max(case((condition, 1), else_=0))


def traffic_lights(year: int, today: date, as_of: date | None = None) -> tuple[TrafficLights, ...]:
    """One light per response of the year's rounds, counted by the agreement's DFØ category.

    The light is the review's roll-up (``portal.review.rollup``, DOMAIN 4.6) in SQL, so
    that thousands of responses need no per-response Python, and a response has the same
    light here as in the inbox: red on a "does not meet" on a gate or required question or
    a red deviation; yellow on any "partly" or "does not meet" or a deviation being
    handled; green once every scored question without a condition has a verdict and
    nothing above; otherwise not assessed. The questions are those the response's
    questionnaire shows its agreement (variant, social dialogue); the deviations are those
    found through the response (the response's own state: another deviation of the same
    supplier is no part of its light), and a gate question the supplier answered "No" in a
    submitted response is red until the reviewer has judged it.
    """
    counts: dict[str | None, dict[str, int]] = defaultdict(lambda: dict.fromkeys(LIGHT_KEYS, 0))
    shown = _shown_questions(year)
    for category, colour, number in _run(_lights_statement(year, today, as_of, tuple(shown.items()))):
        counts[category][colour] = int(number)
    order = {code: i for i, code in enumerate(DFO_CATEGORIES.codes)}
    return tuple(
        TrafficLights(category, c["green"], c["yellow"], c["red"], c["none"])
        for category, c in sorted(counts.items(), key=lambda item: order.get(item[0] or "", 99))
    )


@lru_cache(maxsize=64)
def _lights_statement(year: int, today: date, as_of: date | None,
                      shown_items: tuple[tuple[tuple[int, str, bool], _ShownQuestions], ...]) -> Any:
    """The traffic lights' statement, built once per year, day and questionnaires (some 200
    terms: building it cost more than a tenth of the report page). SQL constructs are
    immutable, so one is shared safely between requests, threads and buyers: the buyer's
    criteria are added at execution (portal/tenancy.py)."""
    shown = dict(shown_items)
    red_deviation, yellow_deviation = _deviation_colours(today, as_of)
    # Each deviation's colour first (its status may need its history), then one per response.
    coloured = (
        select(Deviation.response_id.label("response_id"),
               case((red_deviation, 1), else_=0).label("red"),
               case((yellow_deviation, 1), else_=0).label("yellow"))
        .where(_counted_deviation(), Deviation.response_id.is_not(None),
               # On a past day, only what had been found by then.
               true() if as_of is None else Deviation.detected_date <= as_of)
        .subquery("coloured")
    )
    through_response = (
        select(coloured.c.response_id, func.max(coloured.c.red).label("red"),
               func.max(coloured.c.yellow).label("yellow"))
        .group_by(coloured.c.response_id)
        .subquery("through_response")
    )
    # Every verdict of the year's responses is read, since green needs them all; the
    # question lists are tested only where the verdict itself does not decide.
    verdicts = (
        select(
            QuestionReview.response_id.label("response_id"),
            _flag(and_(QuestionReview.verdict == "not_met", _verdict_on(shown, "critical")))
            .label("n"),
            _flag(and_(QuestionReview.verdict.in_(("partly", "not_met")),
                       _verdict_on(shown, "scored"))).label("p"),
            func.sum(case((_verdict_on(shown, "assessed"), 1), else_=0)).label("assessed"),
        )
        .join(Response, Response.id == QuestionReview.response_id)
        .join(FollowUpRound, FollowUpRound.id == Response.round_id)
        .join(Agreement, Agreement.id == Response.agreement_id)
        .where(FollowUpRound.year == year, QuestionReview.verdict.is_not(None))
        .group_by(QuestionReview.response_id)
        .subquery("verdicts")
    )
    judged = (
        select(QuestionReview.id)
        .where(QuestionReview.response_id == Answer.response_id,
               QuestionReview.question_id == Answer.question_id,
               QuestionReview.verdict.is_not(None))
        .exists()
    )
    said_no = or_(false(), *(
        and_(_kind_of_response(key), Answer.question_id == question_id,
             Answer.value[part_id].as_string() == "no")
        for key, questions in shown.items() for question_id, part_id in questions.gates
    ))
    gates_no = (
        select(Answer.response_id.label("response_id"))
        .join(Response, Response.id == Answer.response_id)
        .join(FollowUpRound, FollowUpRound.id == Response.round_id)
        .join(Agreement, Agreement.id == Response.agreement_id)
        .where(FollowUpRound.year == year, said_no, ~judged,
               Response.status.not_in(("not_started", "in_progress")))
        .group_by(Answer.response_id)
        .subquery("gates_no")
    )
    needed = _assessed_needed(shown)
    light = rollup.light(
        SQL,
        or_(verdicts.c.n == 1, through_response.c.red == 1, gates_no.c.response_id.is_not(None)),
        or_(verdicts.c.p == 1, through_response.c.yellow == 1),
        and_(needed > 0, verdicts.c.assessed == needed),
        otherwise="none",
    ).label("light")
    inner = (
        select(Agreement.dfo_category.label("category"), light)
        .select_from(Response)
        .join(FollowUpRound, FollowUpRound.id == Response.round_id)
        .join(Agreement, Agreement.id == Response.agreement_id)
        .outerjoin(verdicts, verdicts.c.response_id == Response.id)
        .outerjoin(through_response, through_response.c.response_id == Response.id)
        .outerjoin(gates_no, gates_no.c.response_id == Response.id)
        .where(FollowUpRound.year == year)
        .subquery()
    )
    return select(inner.c.category, inner.c.light, func.count()).group_by(inner.c.category, inner.c.light)


