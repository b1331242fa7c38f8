"""Plausible complete answers for a questionnaire: demo data and tests use the same filler."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date
from typing import Any

from portal import clock
from portal.questionnaires.definition import Part, Question, Section
from portal.questionnaires.types import TableType, type_of
from portal.sites.answers import ROLE as SITES_ROLE

SITES = [
    ("Dhaka Apparel Works Ltd", "Plot 12, Ashulia", "Dhaka", "BD", 1450),
    ("Ningbo Safety Textiles Co.", "88 Industrial Rd", "Ningbo", "CN", 620),
    ("Tiruppur Knit Exports", "4 Avinashi Road", "Tiruppur", "IN", 380),
    ("Anatolia Workwear A.S.", "Organize Sanayi 3", "Izmir", "TR", 240),
]
TABLE = TableType()


def sample_part(part: Part, rng: random.Random, today: date, rows: dict[str, list[str]],
                question_id: str = "") -> Any:
    """A valid raw value for one part (``None`` for file parts, which are evidence rows)."""
    return type_of(part).sample(part, rng, today, rows, question_id)


def sample_answers(sections: Sequence[Section], *, seed: int = 1, today: date | None = None) -> dict[str, dict[str, Any]]:
    """Answers to every question shown, complete enough to submit."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    today = today or clock.today()
    answers: dict[str, dict[str, Any]] = {}
    rows: dict[str, list[str]] = {}
    for section in sections:
        for question in section.questions:
            answers[question.id] = _sample_question(question, rng, today, rows)
    return answers


def _sample_question(question: Question, rng: random.Random, today: date, rows: dict[str, list[str]]) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for part in question.parts:
        if part.role == SITES_ROLE:
            value[part.id] = _site_rows(question, part, rng, today, rows)
        elif type_of(part).stores_value:
            value[part.id] = sample_part(part, rng, today, rows, question.id)
    for part in question.parts:
        # A number that may not exceed another part of the question (B5: trained <= total).
        if part.at_most and str(value.get(part.id, "")).isdigit() and str(value.get(part.at_most, "")).isdigit():
            value[part.id] = str(min(int(value[part.id]), int(value[part.at_most])))
    return value


def _site_rows(question: Question, part: Part, rng: random.Random, today: date,
               rows: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Three production sites, the first ones named after real-looking factories."""
    table_rows: list[dict[str, Any]] = TABLE.sample(part, rng, today, rows, question.id, count=3)
    for row, (name, address, city, country, workers) in zip(table_rows, SITES, strict=False):
        row.update(site_name=name, address=address, city=city, country=country, workers_total=str(workers))
    return table_rows
