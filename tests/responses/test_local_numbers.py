"""Numbers in the user's locale: examples from Babel, input read as the user writes numbers
(nb "1 234,5", en "1,234.5", plain digits in both) and stored in one form for everyone."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask_babel import force_locale

from portal.models import Answer
from portal.questionnaires.definition import Part
from portal.questionnaires.types import (
    canonical_number,
    number_example,
    parse_local_number,
    type_of,
)
from tests.auth.helpers import markup, post, sign_in, tr

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(("typed", "number"), [
    ("1 234,5", "1234.5"), (f"1{NBSP}234,5", "1234.5"), (f"1{NNBSP}234,5", "1234.5"),
    ("1234,5", "1234.5"), ("12,5", "12.5"), ("1234", "1234"), ("1 234 567", "1234567"),
    ("1234.5", "1234.5"), ("-3,5", "-3.5"), ("\u22123,5", "-3.5"), ("12,5 %", "12.5"), (" 7 ", "7"),
])
def test_nb_reads_norwegian_writing_and_plain_digits(typed, number):
    assert parse_local_number(typed, "nb") == Decimal(number)


@pytest.mark.parametrize(("typed", "number"), [
    ("1,234.5", "1234.5"), ("1234.5", "1234.5"), ("1234", "1234"), ("1,234,567", "1234567"),
    ("1,234", "1234"), ("-3.5", "-3.5"), ("12.5%", "12.5"), ("1 234.5", "1234.5"),
])
def test_en_reads_english_writing_and_plain_digits(typed, number):
    assert parse_local_number(typed, "en") == Decimal(number)


@pytest.mark.parametrize(("typed", "locale"), [
    ("12,5", "en"), ("1,23", "en"), ("1 23,5", "nb"), ("1,234.5", "nb"), ("tolv", "nb"), ("twelve", "en"),
    ("1e3", "en"), ("1e3", "nb"), ("NaN", "en"), ("Infinity", "nb"), ("", "nb"), ("1" * 60, "nb"),
])
def test_what_is_not_a_number_in_the_users_locale_is_refused(typed, locale):
    assert parse_local_number(typed, locale) is None


def test_examples_come_from_babel_for_the_locale():
    integer = Part(id="n", type="number", integer=True)
    decimal = Part(id="d", type="number")
    percent = Part(id="p", type="number", percent=True)
    assert number_example(integer, "nb") == f"1{NBSP}234"
    assert number_example(decimal, "nb") == f"1{NBSP}234,5"
    assert number_example(percent, "nb") == "12,5"
    assert number_example(integer, "en") == "1,234"
    assert number_example(decimal, "en") == "1,234.5"
    assert number_example(percent, "en") == "12.5"


def test_stored_numbers_are_canonical_and_shown_for_editing_in_the_users_locale(app):
    part = Part(id="d", type="number")
    number = type_of(part)
    assert canonical_number(Decimal("1234.50")) == "1234.50"
    with app.test_request_context():
        with force_locale("nb"):
            assert number.edit_value("1234.5", part) == f"1{NBSP}234,5"
            assert number.edit_value("0.0000001", part) == "0,0000001"  # every decimal kept
            assert number.edit_value("tolv", part) == "tolv"  # not a number: as typed
            assert number.edit_value("12,5", part) == "12,5"  # stored before: as typed
        with force_locale("en"):
            assert number.edit_value("1234.5", part) == "1,234.5"


def _supplier(app, make, make_response, db, locale):
    user = make.user(role="supplier", locale=locale)
    response = make_response(user.supplier)
    db.session.commit()
    client = app.test_client()
    sign_in(client, user.email)
    return client, response


def _stored(db, question_id):
    db.session.expire_all()
    return db.session.query(Answer).filter_by(question_id=question_id).one().value


@pytest.mark.parametrize(("locale", "trained", "total", "shown"), [
    ("nb", "1 234", f"1{NBSP}500", (f"1{NBSP}234", f"1{NBSP}500")),
    ("en", "1,234", "1500", ("1,234", "1,500")),
])
def test_a_number_is_stored_in_one_form_and_shown_in_the_users(app, db, make, make_response,
                                                              locale, trained, total, shown):
    client, response = _supplier(app, make, make_response, db, locale)
    path = f"/responses/{response.id}/sections/B"

    saved = post(client, path, {"present-B5": "1", "q-B5-trained": trained, "q-B5-total": total})

    assert saved.status_code == 302
    assert _stored(db, "B5") == {"trained": "1234", "total": "1500"}
    page = markup(client.get(path))
    assert f'value="{shown[0]}"' in page
    assert f'value="{shown[1]}"' in page
    example = tr("For example %(example)s", locale, example=number_example(Part(id="n", type="number", integer=True), locale))
    assert f'<div class="field-hint" data-field="description" id="q-B5-trained-hint">{example}</div>' in page
    assert 'aria-describedby="q-B5-trained-hint"' in page
    assert "aria-invalid" not in page.split('id="q-B5"', 1)[1].split("</section>", 1)[0]


@pytest.mark.parametrize(("locale", "typed", "example"), [
    ("nb", "12.5.1", "12,5"), ("nb", "1,234.5", "12,5"), ("en", "12,5", "12.5"), ("en", "tolv", "12.5"),
])
def test_bad_input_is_kept_as_typed_with_an_example_in_the_users_locale(app, db, make, make_response,
                                                                       locale, typed, example):
    client, response = _supplier(app, make, make_response, db, locale)
    path = f"/responses/{response.id}/sections/C"

    post(client, path, {"present-C6": "1", "q-C6-answer": typed})

    assert _stored(db, "C6") == {"answer": typed}  # nothing lost
    page = markup(client.get(path))
    c6 = page.split('id="q-C6"', 1)[1].split("</section>", 1)[0]
    assert f'value="{typed}"' in c6
    assert tr("Enter a number written like %(example)s", locale, example=example) in c6
    assert 'aria-invalid="true"' in c6
    assert tr("For example %(example)s", locale, example=example) in c6


def test_a_number_stored_in_the_old_form_is_not_changed_by_a_save_that_changes_nothing(
    app, db, make, make_response
):
    client, response = _supplier(app, make, make_response, db, "en")
    response.answers.append(Answer(question_id="C6", value={"answer": "12,5"}, is_copied=True))
    db.session.commit()
    path = f"/responses/{response.id}/sections/C"

    # The page shows the stored text; posting the same number written in English keeps it.
    post(client, path, {"present-C6": "1", "q-C6-answer": "12.5"})

    db.session.expire_all()
    answer = db.session.query(Answer).filter_by(question_id="C6").one()
    assert answer.value == {"answer": "12,5"}
    assert answer.is_copied  # still awaiting the supplier's confirmation
    post(client, path, {"present-C6": "1", "q-C6-answer": "13.5"})
    assert _stored(db, "C6") == {"answer": "13.5"}
