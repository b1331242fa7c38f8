"""DOMAIN 4.6: section status from verdicts, the overall light from sections and deviations."""

from __future__ import annotations

from datetime import date

import pytest

from portal.review.rollup import (
    GREEN,
    RED,
    YELLOW,
    DeviationFacts,
    QuestionFacts,
    SectionFacts,
    SectionResult,
    deviation_light,
    overall_light,
    rollup,
    section_status,
)

TODAY = date(2025, 6, 1)
SECTION = SectionFacts("B", (
    QuestionFacts("B1", gate=True, required=True),
    QuestionFacts("B2"),
    QuestionFacts("B3", required=True),
    QuestionFacts("B4", conditional=True),
    QuestionFacts("B9", scored=False),
))


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        ({"B1": "not_met", "B2": "meets", "B3": "meets"}, "N"),  # gate N
        ({"B1": "meets", "B2": "meets", "B3": "not_met"}, "N"),  # required N
        ({"B1": "meets", "B2": "not_met", "B3": "meets"}, "P"),  # optional N counts as partly
        ({"B1": "meets", "B2": "partly", "B3": "meets"}, "P"),
        ({"B1": "meets", "B2": "na", "B3": "meets"}, "M"),  # NA is neutral
        ({"B1": "meets", "B2": "meets", "B3": "meets", "B4": "meets"}, "M"),
        ({"B1": "meets", "B3": "meets"}, None),  # B2 not yet assessed
        ({}, None),
        ({"B1": "not_met"}, "N"),  # a breach shows before the rest is assessed
        ({"B1": "meets", "B2": "meets", "B3": "meets", "B9": "not_met"}, "M"),  # unscored ignored
    ],
)
def test_section_status(verdicts, expected):
    assert section_status(SECTION, verdicts).status == expected


def test_conditional_question_without_verdict_does_not_block_and_counts_when_given():
    assert section_status(SECTION, {"B1": "meets", "B2": "meets", "B3": "meets"}).total == 3
    result = section_status(SECTION, {"B1": "meets", "B2": "meets", "B3": "meets", "B4": "partly"})
    assert (result.status, result.reviewed, result.total) == ("P", 4, 4)


@pytest.mark.parametrize(
    ("deviation", "expected"),
    [
        (DeviationFacts("REGISTERED", date(2025, 7, 1)), YELLOW),
        (DeviationFacts("IN_PROGRESS", None), YELLOW),
        (DeviationFacts("IN_PROGRESS", date(2025, 5, 31)), RED),  # overdue
        (DeviationFacts("ESCALATED", date(2025, 7, 1)), RED),
        (DeviationFacts("CLOSED_NOT_OK", None, date(2025, 1, 1)), RED),
        (DeviationFacts("CLOSED_OK", date(2025, 3, 1), date(2025, 2, 1)), GREEN),
        (DeviationFacts("CLOSED_OK", date(2025, 3, 1), date(2025, 4, 1)), RED),  # closed late
        (DeviationFacts("WITHDRAWN", date(2025, 1, 1)), None),
    ],
)
def test_deviation_light(deviation, expected):
    assert deviation_light(deviation, TODAY) == expected


def _sections(*statuses):
    return [SectionResult(str(i), status, 1, 1) for i, status in enumerate(statuses)]


@pytest.mark.parametrize(
    ("statuses", "deviations", "expected"),
    [
        (("M", "M"), [], GREEN),
        (("M", "M"), [DeviationFacts("CLOSED_OK", date(2025, 3, 1), date(2025, 2, 1))], GREEN),
        (("M", "P"), [], YELLOW),
        (("M", "M"), [DeviationFacts("NOTIFIED", date(2025, 9, 1))], YELLOW),
        (("M", "N"), [], RED),
        (("P", "M"), [DeviationFacts("NOTIFIED", date(2025, 1, 1))], RED),
        (("M", None), [], None),
        ((None, None), [], None),
        (("P", None), [], YELLOW),
    ],
)
def test_overall_light(statuses, deviations, expected):
    assert overall_light(_sections(*statuses), deviations, TODAY) == expected


def test_sections_without_scored_questions_are_left_out():
    declaration = SectionFacts("I", (QuestionFacts("I1", scored=False),))
    result = rollup([SECTION, declaration], {"B1": "meets", "B2": "meets", "B3": "meets"}, [],
                    TODAY)
    assert result.section("I").total == 0
    assert result.light == GREEN
