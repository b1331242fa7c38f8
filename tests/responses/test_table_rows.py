"""Table questions (C5 production sites): a new row is not an error, and each cell error names its place."""

from __future__ import annotations

import re

from portal.models import Answer
from tests.conftest import csrf_token


def _section_c(make_response, db, login_as, locale="nb"):
    user = login_as("supplier")
    user.locale = locale
    response = make_response(user.supplier)
    db.session.commit()
    return response, f"/responses/{response.id}/sections/C"


def _add_row(client, path, rows=()):
    reply = client.post(path, data={"csrf_token": csrf_token(client, path), "present-C5": "1",
                                    "q-C5-sites-rows": list(rows), "action": "add_row:C5:sites"})
    assert reply.status_code == 302


def test_adding_a_row_shows_no_errors_for_the_empty_row(client, make_response, db, login_as):
    response, path = _section_c(make_response, db, login_as)
    _add_row(client, path)
    page = client.get(path, headers={"Accept-Language": "nb"}).get_data(as_text=True)
    assert "Fyll inn denne cellen" not in page
    assert "aria-invalid" not in page
    assert "ds-error-summary" not in page


def test_a_row_heading_never_shows_a_raw_value(client, make_response, db, login_as):
    response, path = _section_c(make_response, db, login_as)
    _add_row(client, path)
    page = client.get(path).get_data(as_text=True)
    legends = re.findall(r"<legend[^>]*>([^<]*)</legend>", page)
    assert "Produksjonssted 1" in legends
    assert not any(": yes" in legend or ": ja" in legend.lower() for legend in legends)


def test_each_cell_error_names_the_row_and_the_column(client, make_response, db, login_as):
    response, path = _section_c(make_response, db, login_as)
    _add_row(client, path)
    _add_row(client, path, [r["_id"] for r in db.session.query(Answer).filter_by(question_id="C5").one().value["sites"]])
    db.session.expire_all()
    rows = db.session.query(Answer).filter_by(question_id="C5").one().value["sites"]
    first, second = rows[0]["_id"], rows[1]["_id"]
    cells = {"site_name": "Fabrikk", "address": "Gate 1", "city": "Dhaka", "country": "BD", "tier": "T1",
             "products": "Jakker", "workers_total": "100"}
    data = {"csrf_token": csrf_token(client, path), "present-C5": "1", "rev-C5": "2",
            "q-C5-sites-rows": [first, second]}
    data.update({f"q-C5-sites-{first}-{k}": v for k, v in cells.items()})
    data.update({f"q-C5-sites-{second}-{k}": v for k, v in cells.items() if k != "country"})
    assert client.post(path, data=data).status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert "Produksjonssted 2, Land: Du må velge land" in page
    assert "Produksjonssted 1, Land" not in page
    # Kept as typed: the rest of row 2 is there.
    assert page.count('value="Fabrikk"') == 2
