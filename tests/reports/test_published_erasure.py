"""Erasing the person who published a report (issue 16): no published artefact names them.

The stored files of a published version never carry the publisher's name (the PDF says
"an administrator of <buyer>"); the page shows the version's ``published_by`` account, by
name while the person is there and by "Former contact #id" once erased. The figures and
the stored files stay exactly as they were.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal import storage
from portal.models import PublishedReport
from tests.auth.helpers import post, text
from tests.conftest import login

YEAR = 2024
PUBLISHER = "Ingeborg Publisertsen"
PUBLISHER_EMAIL = "ingeborg.publisertsen@kommune.example"


def _readable(fmt: str, body: bytes, tmp_path: Any) -> str:
    """The text a reader of the file sees: PDF text, every XLSX cell, JSON and CSV as text."""
    if fmt == "pdf":
        pdf = tmp_path / "report.pdf"
        pdf.write_bytes(body)
        return subprocess.run(["pdftotext", str(pdf), "-"], check=True,  # noqa: S603, S607
                              capture_output=True, text=True).stdout
    if fmt == "xlsx":
        book = load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(str(cell) for sheet in book.worksheets
                         for row in sheet.iter_rows(values_only=True) for cell in row
                         if cell is not None)
    return body.decode("utf-8-sig")


def _artefacts(client: Any, published: PublishedReport, tmp_path: Any) -> dict[str, str]:
    found = {}
    for stored in published.files:
        path = (f"/reports/published/{published.id}"
                + (f"/{stored.name}.csv" if stored.name else f".{stored.format}")
                + f"?lang={stored.locale}")
        reply = client.get(path)
        assert reply.status_code == 200, path
        found[path] = _readable(stored.format, reply.data, tmp_path)
    return found


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext")
def test_no_published_artefact_names_the_publisher_after_erasure(client, town, login_as, make, db,
                                                                tmp_path):
    publisher = login_as("admin", locale="en", name=PUBLISHER, email=PUBLISHER_EMAIL)
    publisher_id = publisher.id
    assert post(client, f"/reports/{YEAR}/publish").status_code == 302
    published = db.session.scalar(select(PublishedReport))
    documents = published.documents
    stored = {(f.format, f.locale, f.name): f.sha256 for f in published.files}
    assert len(stored) > 4
    # While the person is there, the page says who published; no stored file does.
    assert PUBLISHER in text(client.get(f"/reports?year={YEAR}"))
    before = _artefacts(client, published, tmp_path)
    assert any("Published version 1" in body and "by an administrator of" in body
               for body in before.values())
    for path, body in before.items():
        assert PUBLISHER not in body, path
        assert PUBLISHER_EMAIL not in body, path

    colleague = make.user(role="admin", locale="en")
    db.session.commit()
    client = client.application.test_client()
    assert login(client, colleague.email).status_code == 302
    reply = post(client, f"/admin/users/{publisher_id}/erase", {"confirm": "y"})
    assert reply.status_code == 302, text(reply)[:2000]

    db.session.expire_all()
    published = db.session.scalar(select(PublishedReport))
    page = text(client.get(f"/reports?year={YEAR}"))
    assert PUBLISHER not in page
    assert f"Former contact #{publisher_id}" in page
    assert published.published_by_id == publisher_id
    after = _artefacts(client, published, tmp_path)
    for path, body in after.items():
        assert PUBLISHER not in body, path
        assert PUBLISHER_EMAIL not in body, path
    # The figures and the files are the ones published.
    assert published.documents == documents
    assert {(f.format, f.locale, f.name): f.sha256 for f in published.files} == stored
    assert after == before
    for f in published.files:
        assert storage.exists(f.stored_name)
