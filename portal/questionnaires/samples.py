"""Plausible complete answers for a questionnaire: demo data and tests use the same filler."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from portal.questionnaires.definition import Part, Question, Section
from portal.questionnaires.types import options_of

SITES = [
    ("Dhaka Apparel Works Ltd", "Plot 12, Ashulia", "Dhaka", "BD", 1450),
    ("Ningbo Safety Textiles Co.", "88 Industrial Rd", "Ningbo", "CN", 620),
    ("Tiruppur Knit Exports", "4 Avinashi Road", "Tiruppur", "IN", 380),
    ("Anatolia Workwear A.S.", "Organize Sanayi 3", "Izmir", "TR", 240),
]


def _number(part: Part, rng: random.Random) -> str:
    low = int(part.min) if part.min is not None else 0
    high = int(part.max) if part.max is not None else max(low + 50, 50)
    return str(rng.randint(max(low, 1 if high >= 1 else low), high))


TEXTS = {
    "name": "Kari Nordmann",
    "job_title": "Bærekraftsansvarlig",
    "email": "kari.nordmann@leverandor.example",
    "products": "Arbeidsbukser, varselklær",
    "indicator": "Andel arbeidere som har deltatt i dialogmøter",
    "target": "Alle fabrikker har valgt arbeiderkomité",
    "responsible": "Innkjøpssjef",
    "description": "Avvik registrert ved revisjon; tiltaksplan avtalt med fabrikken.",
}


def sample_part(part: Part, rng: random.Random, today: date, rows: dict[str, list[str]]) -> Any:
    """A valid raw value for one part (never for file parts, which are evidence rows)."""
    options = [o.value for o in options_of(part)]
    if part.type in ("yes_no", "yes_no_unknown"):
        return "yes"
    if part.type == "single":
        return options[0] if options else ""
    if part.type == "multi":
        return options[: max(1, min(3, len(options)))]
    if part.type == "text":
        if part.id in TEXTS:
            return TEXTS[part.id]
        return "Beskrevet i vedlagt rutine, revidert av ledelsen i år." if part.multiline else "Se vedlegg"
    if part.type == "number":
        return _number(part, rng)
    if part.type == "date":
        return (today - timedelta(days=rng.randint(30, 300))).isoformat()
    if part.type == "url":
        return "https://leverandor.example/redegjorelse"
    if part.type == "confirm":
        return {"confirmed": "yes", "name": "Per Hansen", "title": "Daglig leder", "date": today.isoformat()}
    if part.type == "ref":
        chosen = rows.get(part.table or "", [])
        return chosen[:2] if part.multiple else (chosen[0] if chosen else "")
    return ""


def sample_answers(sections: Sequence[Section], *, seed: int = 1, today: date | None = None) -> dict[str, dict[str, Any]]:
    """Answers to every question shown, complete enough to submit."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    today = today or date.today()
    answers: dict[str, dict[str, Any]] = {}
    rows: dict[str, list[str]] = {}
    for section in sections:
        for question in section.questions:
            answers[question.id] = _sample_question(question, rng, today, rows)
    return answers


def _sample_question(question: Question, rng: random.Random, today: date, rows: dict[str, list[str]]) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for part in question.parts:
        if part.type == "file":
            continue
        if part.type == "table":
            count = max(part.min_rows, 1) if question.id != "C5" else 3
            table_rows = []
            for index in range(count):
                row: dict[str, Any] = {"_id": f"r{question.id.lower()}{index:04d}"}
                for column in part.columns:
                    if column.type == "file":
                        continue
                    row[column.id] = sample_part(column, rng, today, rows)
                if question.id == "C5" and index < len(SITES):
                    name, address, city, country, workers = SITES[index]
                    row.update(site_name=name, address=address, city=city, country=country,
                               workers_total=str(workers))
                table_rows.append(row)
            value[part.id] = table_rows
            rows[question.id] = [r["_id"] for r in table_rows]
        else:
            value[part.id] = sample_part(part, rng, today, rows)
    for part in question.parts:
        # A number that may not exceed another part of the question (B5: trained <= total).
        if part.at_most and str(value.get(part.id, "")).isdigit() and str(value.get(part.at_most, "")).isdigit():
            value[part.id] = str(min(int(value[part.id]), int(value[part.at_most])))
    return value
