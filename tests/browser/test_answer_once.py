"""Answer once (issue 14, "Done when") in the browser, driven through the pages.

One supplier has agreements at two municipalities and on the cooperation's joint agreement.
Both municipalities ask for this year's self-assessment on the questionnaire with company
questions (2026.2). The supplier fills its company answers ONCE, under /company/answers/;
each of its three responses (two agreements at Lillestrøm, one at Fjordvik) shows them
read-only with "edit in the company answers", and it submits all three. It shares Fjordvik's
response with the cooperation, the lead of the joint agreement. Each buyer's reviewer sees the
same company answers and gives its own verdict on B1; none sees another's. Each buyer's year
report counts the supplier once in 4.A.2: the municipalities by their accepted
questionnaires, the cooperation by the shared self-assessment it accepted as its own
follow-up, with Fjordvik named as the source. Finally the supplier downloads a submission's
answer package (answers.zip) and imports it into a draft of a fourth agreement.

Made in Python (the starting records, as test_journey's demo data): the buyers, their staff,
the supplier, the agreements and the two rounds (creating a round through the admin pages is
covered by test_journey), and each response's *agreement* answers (sections A1, B3, C, E3:
the parts that differ per agreement; the company answers are the subject here and are typed
in the browser). The year is this year: accepting dates the follow-up activity today, so the
rounds' year and the report's year are both today's year.

The package's import into *another installation* is proven by
tests/responses/test_answer_package.py::test_a_package_imports_into_a_fresh_installation
(a wiped database and a new storage folder); here it is imported into a draft of another
agreement on the same installation, through the import page.
"""

from __future__ import annotations

import re
import zipfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

from portal import clock
from portal.models import Answer, BuyerKind, Response
from portal.questionnaires import engine
from portal.questionnaires.samples import sample_answers
from portal.rounds.services import add_agreement_to_round, create_round, ensure_shipped_versions
from tests.browser.helpers import _catalog, accept_response, login, logout, tr
from tests.conftest import PASSWORD
from tests.factories import Factories

SHOTS = Path("test-results") / "supplier-screens"
TODAY = clock.today()
YEAR = TODAY.year
LILLESTROM = "Lillestrøm kommune (test)"
FJORDVIK = "Fjordvik kommune (test)"
COOPERATION = "Innkjøpssamarbeidet (test)"
SUPPLIER_NAME = "Nordlys Arbeidsklær AS (test)"
SUPPLIER = "leverandor@nordlys.example"
REVIEWERS = {LILLESTROM: "fagansvarlig@lillestrom.example", FJORDVIK: "fagansvarlig@fjordvik.example",
             COOPERATION: "fagansvarlig@samarbeid.example"}
B4_TEXT = "Bærekraftsansvarlig rapporterer til daglig leder hvert kvartal."
ACCOUNT_URL = "https://nordlys.example/apenhetsloven"
IMPORTED = ("%(num)s question was filled from the package. Check each one and confirm or change it.",
            "%(num)s questions were filled from the package. Check each one and confirm or change it.")
#: Each buyer's verdict on the company question B1, and its comment to the supplier.
VERDICTS = {LILLESTROM: ("Meets", "Lillestrøm: retningslinjene holder."),
            FJORDVIK: ("Does not meet", "Fjordvik: retningslinjene mangler underskrift."),
            COOPERATION: ("Partly meets", "Samarbeidet: delvis oppfylt.")}


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def flash(page: Page) -> Locator:
    return page.get_by_role("status")


def question(page: Page, question_id: str) -> Locator:
    return page.get_by_role("region", name=re.compile(rf"^{question_id} "))


# The starting records


def _agreement_answers(response: Response, author: Any) -> None:
    """The agreement-scope answers of a response, complete enough to submit (no declaration)."""
    definition = engine.definition_of(response.round.questionnaire_version)
    sections = engine.sections_for_agreement(definition, response.agreement)
    for question_id, value in sample_answers(sections, seed=response.id, today=TODAY).items():
        if definition.question(question_id).is_company or question_id.startswith("I"):
            continue
        response.answers.append(Answer(question_id=question_id, value=value, updated_by=author))
    response.status = "in_progress"


def starting_records(world: Any) -> dict[str, Any]:
    make = Factories(world, PASSWORD)
    lillestrom = make.buyer(name=LILLESTROM)
    fjordvik = make.buyer(name=FJORDVIK)
    cooperation = make.buyer(name=COOPERATION, kind=BuyerKind.COOPERATION.value)
    supplier = make.supplier(name=SUPPLIER_NAME, buyer=lillestrom)
    author = make.user(role="supplier", supplier=supplier, email=SUPPLIER, name="Per Hansen",
                       job_title="Bærekraftsansvarlig")
    for buyer in (lillestrom, fjordvik, cooperation):
        make.user(role="reviewer", buyer=buyer, email=REVIEWERS[buyer.name], name=f"Fagansvarlig {buyer.name}")
    common = {"suppliers": [supplier], "start_date": date(YEAR - 2, 1, 1), "end_date": date(YEAR + 2, 12, 31),
              "social_dialogue_required": False, "questionnaire_variant": "full", "dfo_category": "workwear"}
    technical = make.agreement(buyer=lillestrom, reference="LK-1", name_nb="Arbeidstøy teknisk",
                               name_en="Workwear technical", **common)
    kitchen = make.agreement(buyer=lillestrom, reference="LK-2", name_nb="Arbeidstøy kjøkken",
                             name_en="Workwear kitchens", **common)
    draft_agreement = make.agreement(buyer=lillestrom, reference="LK-3", name_nb="Verneklær",
                                     name_en="Protective clothing", **common)
    cleaning = make.agreement(buyer=fjordvik, reference="FK-1", name_nb="Arbeidsklær renhold",
                              name_en="Workwear cleaning", **common)
    joint = make.agreement(buyer=cooperation, reference="IS-1", name_nb="Arbeidsklær felles",
                           name_en="Workwear joint", **common)
    joint.participants = [lillestrom, fjordvik]

    version = next(v for v in ensure_shipped_versions() if v.version == "2026.2")
    responses: dict[str, Response] = {}
    for buyer, agreements in ((lillestrom, (technical, kitchen, draft_agreement)), (fjordvik, (cleaning,))):
        round_ = create_round(year=YEAR, name_nb=f"Oppfølging {YEAR}", name_en=f"Follow-up {YEAR}",
                              version=version, deadline=TODAY + timedelta(days=60), actor=None, buyer=buyer)
        for agreement in agreements:
            (response,) = add_agreement_to_round(round_, agreement, actor=None)
            responses[agreement.reference] = response
    world.session.flush()
    for reference in ("LK-1", "LK-2", "FK-1"):
        _agreement_answers(responses[reference], author)
    ids = {reference: response.id for reference, response in responses.items()}
    ids["version"] = version.id
    ids["joint"] = "IS-1"
    world.session.commit()
    return ids


# 1. The company answers, once


def save_and_continue(page: Page, next_heading: str | re.Pattern[str]) -> None:
    page.get_by_role("button", name=tr("nb", "Save and continue"), exact=True).click()
    expect(heading(page)).to_have_text(next_heading)


def fill_company_answers(page: Page) -> None:
    page.goto("/company/answers/")
    expect(heading(page)).to_have_text(tr("nb", "Company answers"))
    page.get_by_role("link", name=tr("nb", "Company answers for %(year)s", year=YEAR)).click()
    expect(heading(page)).to_have_text(tr("nb", "Company answers for %(year)s", year=YEAR))
    using = page.get_by_role("region", name=tr("nb", "Responses that use these answers")).first
    expect(using.get_by_role("table").get_by_role("row")).to_have_count(5)  # a header and the year's four
    page.get_by_role("link", name=re.compile(r"^A\. ")).click()

    expect(heading(page)).to_have_text(re.compile(r"^A\. "))
    expect(question(page, "A1")).to_have_count(0)  # who answers for an agreement: per response
    question(page, "A2").get_by_role("radio", name="Ja", exact=True).check()
    a3 = question(page, "A3")
    a3.get_by_label("Lenke til redegjørelsen").fill(ACCOUNT_URL)
    a3.get_by_label("Publiseringsdato").fill(f"{YEAR}-06-20")
    save_and_continue(page, "B. Forankring")

    question(page, "B1").get_by_role("radio", name="Ja", exact=True).check()
    b2 = question(page, "B2")
    b2.get_by_role("checkbox", name="Egen virksomhet").check()
    b2.get_by_role("checkbox", name="Leverandører i første ledd").check()
    expect(question(page, "B3")).to_have_count(0)  # speaks of the agreement's goods: per response
    question(page, "B4").get_by_role("textbox").fill(B4_TEXT)
    b5 = question(page, "B5")
    b5.get_by_label("Antall som har fått opplæring").fill("3")
    b5.get_by_label("Antall totalt").fill("5")
    save_and_continue(page, "D. Tiltak")

    question(page, "D1").get_by_role("radio", name="Ja", exact=True).check()
    save_and_continue(page, "E. Overvåking")
    question(page, "E1").get_by_role("radio", name="Ja", exact=True).check()
    save_and_continue(page, "F. Kommunikasjon")
    question(page, "F1").get_by_role("radio", name="Ja", exact=True).check()
    question(page, "F1").get_by_label("Lenke").fill(ACCOUNT_URL)
    f2 = question(page, "F2")  # shown because A2 is «Ja»
    f2.get_by_label("Antall mottatt").fill("2")
    f2.get_by_label("Antall besvart innen tre uker").fill("2")
    save_and_continue(page, "G. Gjenoppretting og klagemekanismer")
    question(page, "G1").get_by_role("radio", name="Ja", exact=True).check()
    save_and_continue(page, tr("nb", "Company answers for %(year)s", year=YEAR))
    expect(page.get_by_role("definition").filter(has_text=re.compile(r"(\d+) av \1 "))).to_be_visible()


# 2. Three responses show them read-only, and are submitted


def shoot_draft_section(page: Page) -> None:
    """Screenshots of a draft's section with company answers read-only and the links to edit
    them, at 1280 and 375 px in nb and en (kept with test_supplier_screens' in test-results/)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for lang, switch in (("nb", "English"), ("en", "Norsk (bokmål)")):
        expect(page.locator("html")).to_have_attribute("lang", lang)
        for width in (1280, 375):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=str(SHOTS / f"section-company-draft-{lang}-{width}.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.set_viewport_size({"width": 1280, "height": 900})
        page.get_by_role("button", name=switch, exact=True).click()  # saved on the account
    expect(page.locator("html")).to_have_attribute("lang", "nb")


def submit_showing_company_answers(page: Page, response_id: int, first: int) -> None:
    page.goto(f"/responses/{response_id}/sections/B")
    b4 = question(page, "B4")
    expect(b4).to_contain_text(B4_TEXT)
    expect(b4.get_by_role("textbox")).to_have_count(0)  # read-only here
    edit = page.get_by_role("link", name=f"{tr('nb', 'Edit in the company answers')} (B4)")
    expect(edit).to_have_attribute("href", re.compile(rf"/company/answers/{YEAR}/\d+/sections/B#q-B4$"))
    expect(question(page, "B3").get_by_role("radio").first).to_be_editable()  # the agreement's own

    if response_id == first:
        shoot_draft_section(page)

    page.goto(f"/responses/{response_id}/submit")
    answers = page.get_by_role("region", name=tr("nb", "Your answers"))
    expect(answers).to_contain_text(B4_TEXT)
    page.get_by_role("checkbox", name="Jeg bekrefter erklæringen ovenfor").check()
    page.get_by_role("button", name=tr("nb", "Submit the response")).click()
    expect(flash(page)).to_contain_text("sendt inn")


# 3. Shared with the cooperation


def share_with_cooperation(page: Page, response_id: int) -> None:
    page.goto(f"/responses/{response_id}/sharing")
    expect(heading(page)).to_have_text(tr("nb", "Share the response with another buyer"))
    page.get_by_label(tr("nb", "Buyer to share with")).select_option(label=COOPERATION)
    page.get_by_role("checkbox").check()  # the consent, the form's only box
    page.get_by_role("button", name=tr("nb", "Share the response")).click()
    shared = page.get_by_role("table").get_by_role("row", name=re.compile(re.escape(COOPERATION)))
    expect(shared).to_be_visible()


# 4. Each reviewer: the same company answers, its own verdicts


def give_verdict(page: Page, buyer: str) -> None:
    verdict, comment = VERDICTS[buyer]
    b1 = question(page, "B1")
    b1.get_by_role("radio", name=tr("nb", verdict), exact=True).check()
    b1.get_by_label(re.compile(tr("nb", "Comment to the supplier") + "|" + tr("nb", "Our comment"))).fill(comment)
    page.get_by_role("button", name=tr("nb", "Save verdicts")).first.click()
    expect(flash(page)).to_be_visible()


def sees_only_its_own(page: Page, buyer: str, *, open_review: bool) -> None:
    """The same company answer (B4) as every buyer, and on B1 this buyer's verdict only: in the
    verdict form while the review is open, read-only once it is accepted."""
    expect(question(page, "B4")).to_contain_text(B4_TEXT)
    b1 = question(page, "B1")
    verdict, comment = VERDICTS[buyer]
    if open_review:
        expect(b1.get_by_role("radio", name=tr("nb", verdict), exact=True)).to_be_checked()
    else:
        shown = b1.locator(".review-verdict")
        expect(shown.get_by_role("definition").first).to_have_text(tr("nb", verdict))
        expect(shown).to_contain_text(comment)
    for other, (other_verdict, other_comment) in VERDICTS.items():
        if other == buyer:
            continue
        if open_review:
            expect(b1.get_by_role("radio", name=tr("nb", other_verdict), exact=True)).not_to_be_checked()
        assert other_comment not in page.content(), f"{buyer} sees {other}'s comment"


def municipality_reviews(page: Page, buyer: str, response_ids: list[int]) -> None:
    login(page, REVIEWERS[buyer], PASSWORD)
    for number, response_id in enumerate(response_ids):
        page.goto(f"/review/responses/{response_id}")
        expect(heading(page)).to_have_text(tr("nb", "Review: %(supplier)s", supplier=SUPPLIER_NAME))
        if number == 0:
            give_verdict(page, buyer)
        accept_response(page, "nb")
    logout(page)


def cooperation_reviews_and_accepts(page: Page) -> None:
    login(page, REVIEWERS[COOPERATION], PASSWORD)
    page.goto("/review/received")
    page.get_by_role("link", name=re.compile(re.escape(SUPPLIER_NAME))).first.click()
    expect(heading(page)).to_have_text(tr("nb", "Received response: %(supplier)s", supplier=SUPPLIER_NAME))
    give_verdict(page, COOPERATION)
    sees_only_its_own(page, COOPERATION, open_review=True)
    accept = page.get_by_role("button", name=tr("nb", "Accept as our follow-up"))
    ours = page.locator("form", has=accept).get_by_label(tr("nb", "Our agreement"), exact=True)
    ours.select_option(label=(ours.locator("option", has_text="IS-1").text_content() or "").strip())
    accept.click()
    expect(flash(page)).to_be_visible()
    # The activity it records, with the source buyer named.
    expect(heading(page)).to_have_text(tr("nb", "Shared self-assessment"))
    expect(page.get_by_role("definition").filter(has_text=FJORDVIK)).to_be_visible()
    logout(page)


def municipality_sees_its_own(page: Page, buyer: str, response_id: int) -> None:
    login(page, REVIEWERS[buyer], PASSWORD)
    page.goto(f"/review/responses/{response_id}")
    sees_only_its_own(page, buyer, open_review=False)
    logout(page)


# 5. Each buyer's report counts the supplier once, with its method


def report_counts_once(page: Page, buyer: str, method: str) -> None:
    login(page, REVIEWERS[buyer], PASSWORD)
    page.goto(f"/reports?year={YEAR}")
    section = page.get_by_role("region", name=tr("nb", "4.A.2 Suppliers subject to contract follow-up"))
    expect(section.get_by_role("term").first).to_have_text(tr("nb", "Suppliers subject to contract follow-up"))
    expect(section.get_by_role("definition").first).to_have_text("1")
    methods = section.get_by_role("table", name=tr("nb", "Follow-up activities by method"))
    expect(methods.get_by_role("row", name=re.compile("^" + re.escape(method)))).to_be_visible()
    logout(page)


# 6. The answer package, exported and imported


def export_and_import(page: Page, source_id: int, draft_id: int, folder: Path) -> None:
    login(page, SUPPLIER, PASSWORD)
    page.goto(f"/responses/{source_id}")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=tr("nb", "Download answers %(number)s (ZIP)", number=1)).click()
    download = download_info.value
    package = folder / download.suggested_filename
    download.save_as(package)
    with zipfile.ZipFile(package) as archive:
        assert "answers.json" in archive.namelist()

    page.goto(f"/responses/{draft_id}")
    page.get_by_role("link", name=tr("nb", "Import answers from a package (ZIP)")).click()
    expect(heading(page)).to_have_text(tr("nb", "Import answers from a package"))
    page.get_by_label(tr("nb", "Answer package (ZIP)")).set_input_files(package)
    page.get_by_role("button", name=tr("nb", "Check and import")).click()
    expect(page).to_have_url(re.compile(rf"/responses/{draft_id}$"))
    filled = _catalog("nb").ngettext(*IMPORTED, 2) % {"num": 2}  # «2 spørsmål ble fylt ut …»
    expect(flash(page).first).to_contain_text(re.compile(r"\d+ " + re.escape(filled.split(".")[0][2:])))
    page.goto(f"/responses/{draft_id}/sections/C")
    # Filled from the package, and marked as copied until the supplier confirms it.
    expect(question(page, "C4").get_by_role("radio").and_(page.locator(":checked"))).to_have_count(1)
    expect(page.get_by_role("region", name=tr("nb", "Copied answers in this part"))).to_be_visible()
    logout(page)


def test_answer_once_for_every_agreement_and_buyer(page: Page, world: Any, tmp_path: Path) -> None:
    page.set_default_timeout(15_000)
    ids = starting_records(world)

    login(page, SUPPLIER, PASSWORD)
    fill_company_answers(page)
    for reference in ("LK-1", "LK-2", "FK-1"):
        submit_showing_company_answers(page, ids[reference], first=ids["LK-1"])
    share_with_cooperation(page, ids["FK-1"])
    logout(page)

    municipality_reviews(page, LILLESTROM, [ids["LK-1"], ids["LK-2"]])
    municipality_reviews(page, FJORDVIK, [ids["FK-1"]])
    cooperation_reviews_and_accepts(page)
    municipality_sees_its_own(page, LILLESTROM, ids["LK-1"])
    municipality_sees_its_own(page, FJORDVIK, ids["FK-1"])

    questionnaire = tr("nb", "Questionnaire reviewed")
    report_counts_once(page, LILLESTROM, questionnaire)
    report_counts_once(page, FJORDVIK, questionnaire)
    report_counts_once(page, COOPERATION, tr("nb", "Shared self-assessment (from %(buyer)s)", buyer=FJORDVIK))

    export_and_import(page, ids["FK-1"], ids["LK-3"], tmp_path)
