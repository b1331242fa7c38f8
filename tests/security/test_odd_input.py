"""Odd input never gives a server error (issue 11, security item 6).

Every query parameter and hand-read form field goes through ``portal.inputs``: control
characters are dropped, lengths bounded, and integers outside the INTEGER column range
ignored. Before, NUL bytes failed on PostgreSQL and digits such as "²" (``str.isdigit``
is true for them, ``int`` refuses them) failed everywhere.
"""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pytest

from portal.inputs import clean, to_int
from portal.models import Answer, EvidenceFile
from tests.conftest import csrf_token

PORTAL = Path(__file__).resolve().parents[2] / "portal"


def test_clean_drops_control_characters_but_keeps_line_breaks_and_tabs():
    assert clean("a\x00b\x07c\x1bd\x7fe\x85f\tg\nh\r\n") == "abcdef\tg\nh\r\n"
    assert clean("æøå 🙂", 3) == "æøå"


@pytest.mark.parametrize(("raw", "expected"), [
    ("12", 12), (" 7 ", 7), ("2147483647", 2**31 - 1), ("2147483648", None), ("99999999999999999999", None),
    ("²", None), ("١٢", None), ("-1", None), ("1e3", None), ("", None), (None, None),
])
def test_to_int_accepts_only_ascii_digits_within_the_column_range(raw, expected):
    assert to_int(raw) == expected


def test_routes_read_request_values_only_through_portal_inputs():
    direct = re.compile(r"request\.(args|form|values)\b")
    offenders = [str(path.relative_to(PORTAL)) for path in PORTAL.rglob("*.py")
                 if path.name != "inputs.py" and direct.search(path.read_text(encoding="utf-8"))]
    assert offenders == []


@pytest.mark.parametrize("path", [
    "/admin/suppliers?q=a%00b", "/admin/suppliers?q=%00&page=%C2%B2", "/admin/users?q=x%00y",
    "/admin/users?page=99999999999999999999", "/review/audit?action=a%00b&object_type=%00&actor=%C2%B2",
    "/admin/agreements?supplier=2147483648", "/admin/agreements?supplier=%C2%B2&category=%00",
    "/admin/users/invite?supplier=%C2%B2", "/review?supplier=%C2%B2&page=%C2%B2&round=2147483648",
    "/deviations?supplier=%C2%B2&year=%00", "/review/activities?year=%C2%B2&kind=%00",
])
def test_staff_list_filters_survive_nul_bytes_and_odd_numbers(client, login_as, make, db, path):
    make.supplier(name="Leverandør")
    login_as("admin")
    reply = client.get(path)
    assert reply.status_code == 200
    assert "\x00" not in reply.get_data(as_text=True)


@pytest.fixture
def supplier_section(client, login_as, make_response, db):
    user = login_as("supplier")
    response = make_response(user.supplier)
    db.session.commit()
    return response, f"/responses/{response.id}/sections/B"


def test_a_nul_byte_in_a_file_description_keeps_the_answer_and_the_file(client, supplier_section, db):
    response, path = supplier_section
    reply = client.post(path, content_type="multipart/form-data", data={
        "csrf_token": csrf_token(client, path), "present-B1": "1", "q-B1-answer": "yes",
        "q-B1-file-upload": (BytesIO(b"%PDF-1.4\n%%EOF\n"), "policy.pdf"), "q-B1-file-tag": "Pol\x00icy\x07",
    })

    assert reply.status_code == 302
    assert db.session.query(Answer).filter_by(question_id="B1").one().value["answer"] == "yes"
    evidence = db.session.query(EvidenceFile).one()
    assert evidence.tag == "Policy"


@pytest.mark.parametrize("field", [{"rev-B4": "²"}, {"action": "remove_file:²"}, {"action": "remove_file:2147483648"}])
def test_odd_digits_in_hidden_section_fields_are_ignored(client, supplier_section, db, field):
    _response, path = supplier_section
    reply = client.post(path, data={"csrf_token": csrf_token(client, path), "present-B4": "1",
                                    "q-B4-answer": "Vi har en rutine.", **field})
    assert reply.status_code in (302, 409)
    assert db.session.query(Answer).filter_by(question_id="B4").count() == (1 if reply.status_code == 302 else 0)

