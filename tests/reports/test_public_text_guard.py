"""The public text guard: public texts that name a site, sub-supplier, supplier, person or
organisation number raise a warning that links to the text."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.models import Answer, Deviation
from portal.reports import guard
from portal.reports.guard import ORG_NUMBER, PERSON, SITE, SUPPLIER, Hit, Terms
from portal.tenancy import scope_to
from tests.auth.helpers import flashed, markup, post, text
from tests.deviations.helpers import deviation_form
from tests.reports.conftest import SECRET_SITE, add_deviation

TERMS = Terms([
    (SITE, "Secret Factory Ltd"),
    (SUPPLIER, "Alfa Tekstil AS"),
    (ORG_NUMBER, "923456789"),
    (PERSON, "Kari Nordmann"),
    (PERSON, "Ola"),  # too short to look for: it would match ordinary words
])


def test_names_are_found_as_whole_words_in_any_case():
    assert TERMS.find("Revisjon hos SECRET FACTORY i Dhaka.") == (Hit(SITE, "Secret Factory Ltd"),)
    assert TERMS.find("Secret Factory Ltd. er fulgt opp") == (Hit(SITE, "Secret Factory Ltd"),)
    assert TERMS.find("Alfa Tekstil har betalt; kontakt Kari Nordmann, org.nr. 923 456 789") == (
        Hit(SUPPLIER, "Alfa Tekstil AS"), Hit(PERSON, "Kari Nordmann"), Hit(ORG_NUMBER, "923456789"))
    # Not inside other words, not short names, not other numbers.
    assert TERMS.find("Alfa Tekstilhuset, Olaf, 9234567890 og 1923456789") == ()
    assert TERMS.find("") == ()
    assert Terms([]).find("Secret Factory") == ()


def test_the_longest_name_that_ends_at_a_word_wins_as_with_a_plain_list_of_names():
    """The names are searched as a prefix tree (thousands of them on a large buyer); it must
    find exactly what one alternation of every name, longest first, finds."""
    import random
    import re

    names = ["Fabrikk Nord", "Fabrikk", "Fabrikken Nord AS", "Nord", "Nordic Wear", "Tekstil & Co",
             "Tekstil", "Øst-Sko", "923456789", "Kari Nå"]
    terms = Terms([(SITE, name) for name in names])
    assert terms.find("Fabrikken Nord ble besøkt") == (Hit(SITE, "Fabrikken Nord AS"),)
    assert terms.find("Fabrikk Nordic Wear") == (Hit(SITE, "Fabrikk"), Hit(SITE, "Nordic Wear"))
    assert terms.find("Fabrikk Nordland") == (Hit(SITE, "Fabrikk"),)

    rng = random.Random(12)
    for _ in range(200):
        names.append(" ".join(rng.choice(names[:10]) + rng.choice(["", "s", "1", " Ltd"])
                              for _ in range(rng.randint(1, 3))))
    terms = Terms([(SITE, name) for name in names])
    keys = sorted(terms.kind_of, key=len, reverse=True)
    flat = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, keys)) + r")(?!\w)", re.IGNORECASE)
    words = [*names[:10], "og", "FABRIKK", "tekstil", ",", "Nordland"]
    for _ in range(500):
        text = " ".join(rng.choice(words) + rng.choice(["", "s", ".", "1"]) for _ in range(10))
        expected = dict.fromkeys(Hit(*terms.kind_of[m.group(0).casefold()]) for m in flat.finditer(text))
        assert terms.find(text) == tuple(expected), text


def _scoped(db, buyer_id):
    scope_to(db.session(), buyer_id)


def test_the_report_warns_of_each_public_text_that_names_someone(client, town, login_as, db):
    # Counted by hand: of the 2025 deviations' measures, one names the site of another
    # deviation and one the supplier Beta (as «Beta Leverandør»); the 2025 measures of
    # conftest name nobody. A withdrawn deviation is not in the report: not checked.
    named_site = add_deviation(db, town.s1, town.a1, measures_text=f"Ny revisjon hos {SECRET_SITE}.",
                               detected_date=date(2025, 8, 1))
    named_supplier = add_deviation(db, town.s2, town.a3, measures_text="Beta Leverandør betaler.",
                                   detected_date=date(2025, 8, 2))
    add_deviation(db, town.s2, town.a3, measures_text=f"{SECRET_SITE}", status="WITHDRAWN",
                  detected_date=date(2025, 8, 3))
    db.session.commit()
    login_as("reviewer", locale="en")

    reply = client.get("/reports?year=2025&live=1")

    page = text(reply)
    assert f"The measures of a deviation (4.A.3) are public and name «{SECRET_SITE}» (production site or sub-supplier)." in page
    assert "are public and name «Beta Leverandør AB» (supplier)" in page
    assert page.count("The measures of a deviation (4.A.3) are public") == 2
    body = markup(reply)
    assert f'href="/deviations/{named_site.id}/edit#measures_text"' in body
    assert f'href="/deviations/{named_supplier.id}/edit#measures_text"' in body


def test_c5_sites_and_people_are_known_terms(town, db, make):
    response = town.response(town.s1, town.a1)
    db.session.add(Answer(response=response, question_id="C5",
                          value={"sites": [{"_id": "r1", "site_name": "Dhaka Stitching Co"}]}))
    make.user(role="supplier", supplier=town.s1, name="Rahim Uddin", email="rahim@alfa.example")
    db.session.commit()
    _scoped(db, town.reviewer.buyer_id)
    try:
        terms = guard.known_terms()
        assert terms.find("Tiltak hos Dhaka Stitching") == (Hit(SITE, "Dhaka Stitching Co"),)
        assert terms.find("Rahim Uddin fulgte opp") == (Hit(PERSON, "Rahim Uddin"),)
    finally:
        _scoped(db, None)


def test_another_buyers_names_are_not_looked_for(town, db, make):
    other = make.buyer(name="Annen kommune")
    theirs = make.supplier(name="Hemmelig Leverandør AS", buyer=other)
    make.agreement(suppliers=[theirs], buyer=other)
    db.session.commit()
    _scoped(db, town.reviewer.buyer_id)
    try:
        assert guard.known_terms().find("Hemmelig Leverandør") == ()
    finally:
        _scoped(db, None)


def test_saving_a_deviation_whose_measures_name_a_site_warns(client, town, login_as, db):
    deviation = db.session.scalar(select(Deviation).where(Deviation.measures_text == "Etterbetaling avtalt"))
    login_as("reviewer", locale="en")
    path = f"/deviations/{deviation.id}/edit"
    form_page = text(client.get(path))
    assert "Public: published as written in the annual report (4.A.3)." in form_page

    reply = post(client, path, deviation_form(measures_text=f"Revisjon hos {SECRET_SITE}",
                                              agreement_id=str(town.a1.id)), token_from=path)

    assert reply.status_code == 302
    messages = flashed(client)
    assert any("This text is public, and it names" in m and SECRET_SITE in m for m in messages)
    # A warning, not a refusal: the text is saved.
    db.session.expire_all()
    assert db.session.get(Deviation, deviation.id).measures_text == f"Revisjon hos {SECRET_SITE}"


def test_saving_4a1_that_names_a_registry_id_warns(client, town, login_as, db):
    login_as("reviewer", locale="en")
    registry_id = town.s1.registry_id

    post(client, "/reports/2025/text", {"text": f"Vi fulgte opp {registry_id}."})

    assert any(f"«{registry_id}» (organisation number)" in m for m in flashed(client))
    page = text(client.get("/reports?year=2025&live=1"))
    assert "The text for 4.A.1 is public and names" in page


def test_publishing_a_report_whose_public_texts_name_someone_warns(client, town, login_as, db):
    add_deviation(db, town.s1, town.a1, measures_text=f"Hos {SECRET_SITE}.",
                  detected_date=date(2025, 8, 1))
    db.session.commit()
    login_as("admin", locale="en")

    post(client, "/reports/2025/publish")

    assert any("1 public text of the published report names" in m for m in flashed(client))


def test_register_sites_are_known_terms_and_never_in_a_public_output(client, town, db, make, login_as):
    from portal.models import ProductionSite

    db.session.add(ProductionSite(supplier_id=town.s1.id, year=2025, name="Narayanganj Knitwear",
                                  country="BD", tier="T1", is_confidential=False))
    other = make.buyer(name="Annen kommune")
    theirs = make.supplier(name="Hemmelig Leverandør AS", buyer=other)
    make.agreement(suppliers=[theirs], buyer=other)
    db.session.add(ProductionSite(supplier_id=theirs.id, year=2025, name="Elsewhere Weaving Mill",
                                  country="CN", tier="T2"))
    db.session.commit()
    _scoped(db, town.reviewer.buyer_id)
    try:
        terms = guard.known_terms()
        assert terms.find("Tiltak hos Narayanganj Knitwear") == (Hit(SITE, "Narayanganj Knitwear"),)
        assert terms.find("Elsewhere Weaving Mill") == ()  # another buyer's supplier's register
    finally:
        _scoped(db, None)
    login_as("reviewer", locale="en")
    for path in ("/reports?year=2025", "/reports/2025.json", "/reports/2025.xlsx", "/reports/2025/4a3.csv"):
        reply = client.get(path)
        assert reply.status_code == 200, path
        assert b"Narayanganj" not in reply.data, path


def test_the_search_is_made_once_for_a_set_of_names_and_again_when_one_is_added():
    names = [(SUPPLIER, "Nordlys Tekstil AS"), (SITE, "Dhaka Apparel Works Ltd")]
    first, again = Terms(names), Terms(list(reversed(names)))
    assert first._pattern is again._pattern  # the same names, in any order: one pattern
    more = Terms([*names, (PERSON, "Kari Nordmann")])
    assert more._pattern is not first._pattern
    assert more.find("Kari Nordmann besøkte Nordlys Tekstil") == (
        Hit(PERSON, "Kari Nordmann"), Hit(SUPPLIER, "Nordlys Tekstil AS"))
    assert first.find("Kari Nordmann besøkte Nordlys Tekstil") == (Hit(SUPPLIER, "Nordlys Tekstil AS"),)
