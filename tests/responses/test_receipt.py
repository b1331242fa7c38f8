"""The receipt is the supplier's proof of what was sent: every cell of every table is in it."""

from __future__ import annotations

import random
import subprocess

from portal import clock
from portal.models import Answer
from portal.questionnaires import engine
from portal.questionnaires.samples import sample_answers, sample_part
from portal.responses import services

WIDE = ("C5", "E3")


def pdf_words(data: bytes) -> str:
    """The PDF's text in drawing order with all whitespace removed, so wrapped lines join up again."""
    out = subprocess.run(["pdftotext", "-raw", "-", "-"], input=data, capture_output=True, check=True)  # noqa: S603, S607
    return "".join(out.stdout.decode("utf-8").split())


def _long_rows(part, count, sites):
    """Rows where every text cell is long and unique, one of them without any space to break at."""
    rows = []
    for index in range(count):
        row = {"_id": f"wide{part.id[:4]}{index:04d}"}
        for column in part.columns:
            if column.type == "text":
                row[column.id] = (f"{column.id}-{index}: " + "Lang forklaring med mange ord om forholdene. " * 6
                                  + f"slutt-{column.id}-{index}")
            elif column.type == "number":
                row[column.id] = str(1000 + index * 37 + len(column.id))
            elif column.type == "date":
                row[column.id] = f"2025-0{index % 9 + 1}-1{index % 9}"
            elif column.type != "file":
                row[column.id] = sample_part(column, random.Random(index), clock.today(), sites)
        if "address" in row:
            row["address"] = f"https://leverandor.example/fabrikk/{index}/" + "adressedel" * 15
        rows.append(row)
    return rows


def test_every_cell_of_wide_tables_is_in_the_receipt(app, client, make_response, db, login_as):
    user = login_as("supplier")
    response = make_response(user.supplier, social_dialogue=True)
    definition = engine.definition_of(response.round.questionnaire_version)
    sections = engine.sections_for_agreement(definition, response.agreement)
    answers = sample_answers(sections)
    sites: dict[str, list[str]] = {}
    for question_id in WIDE:
        question = definition.question(question_id)
        table = question.table_part
        assert len([c for c in table.columns if c.type != "file"]) >= 12
        answers[question_id] = {**answers[question_id], table.id: _long_rows(table, 3, sites)}
        sites[question_id] = [row["_id"] for row in answers[question_id][table.id]]
    for question_id, value in answers.items():
        if question_id != "I1":
            response.answers.append(Answer(question_id=question_id, value=value, updated_by=user))
    db.session.flush()
    declaration = {"I1": {"confirm": {"confirmed": "yes", "name": "Kari Nå", "title": "Daglig leder"}}}
    submission = services.submit_response(response, sections, actor=user, locale="nb",
                                          declaration=declaration, today=clock.today())
    with app.test_request_context():
        services.store_receipt(response, definition, sections, submission)
    db.session.commit()

    receipt = client.get(f"/responses/{response.id}/submissions/1/receipt.pdf")

    assert receipt.status_code == 200
    words = pdf_words(receipt.data)
    files = services.files_of(response)
    with app.test_request_context():  # answers are shown with the request's number format
        tables = [(question_id, shown) for question_id in WIDE
                  for _part, shown in engine.show_answer(definition.question(question_id),
                                                         submission.answers, files, "nb")
                  if shown.is_table]
    checked = 0
    for question_id, shown in tables:
        assert len(shown.rows) == 3
        for header in shown.headers:
            assert "".join(header.split()) in words, header
        for row in shown.rows:
            for cell in row:
                if cell:
                    assert "".join(cell.split()) in words, (question_id, cell)
                    checked += 1
    assert checked >= 2 * 3 * 14  # all but the odd empty cell (e.g. no certification)
