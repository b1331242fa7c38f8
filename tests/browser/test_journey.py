"""The whole mission in one browser, driven only through the pages.

An administrator opens a round and adds an agreement (through its preview); the supplier
(nb) fills every question type (numbers as Norwegian writes them), saves, signs out, comes
back, submits and downloads the receipt; a reviewer (switching to English) returns it for
clarification; the supplier sees what to answer, amends, replies under the reopened question
and resubmits; the reviewer reads the reply next to the question, accepts it and registers a deviation; the supplier proposes a
corrective action plan; the reviewer approves it and closes the deviation; the year's
report counts the supplier in 4.A.2 and the deviation in 4.A.3.

Only the starting records (the demo data) are made in Python. Locators are by role and
label, so a missing label or a wrong role fails here too.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Locator, Page, expect

from portal import clock
from tests.browser.helpers import ADMIN, REVIEWER, SUPPLIER, accept_response, login, logout, ntr, tr

TODAY = clock.today()
YEAR = TODAY.year
ROUND_NB = f"Ekstra oppfølging {YEAR}"
ROUND_EN = f"Extra follow-up {YEAR}"
AGREEMENT_NB = "Arbeidstøy til teknisk sektor"
AGREEMENT_EN = "Workwear for the technical sector"
AGREEMENT_OPTION = f"{AGREEMENT_NB} (LK-2021-0155)"
SUPPLIER_NAME = "Nordlys Arbeidsklær AS (demo)"
BUYER = "Lillestrøm kommune"  # the supplier's start page names the buyer of each request
SITE = "Chittagong Workwear Ltd"
ACCOUNT_URL = "https://nordlys.example/apenhetsloven-redegjorelse"
EVIDENCE_NAME = "sosial-dialog-referat.pdf"
CLARIFY = "Oppgi stillingen til den ansvarlige for aktsomhetsvurderingene."
#: 1205 as Norwegian writes it, with a (no-break) space between the thousands.
NB_1205 = re.compile("^1[ \u00a0\u202f]205$")
REPLY = "Stillingen er bærekraftsansvarlig; hun rapporterer til daglig leder."
PLAN = "Vi innfører skiftplan med maks 60 timer per uke og får det revidert innen tre måneder."


def question(page: Page, question_id: str) -> Locator:
    """A question of the questionnaire: a labelled region named by its id and text."""
    return page.get_by_role("region", name=re.compile(rf"^{question_id} "))


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def flash(page: Page) -> Locator:
    return page.get_by_role("status")


def save_and_continue(page: Page, next_heading: str) -> None:
    page.get_by_role("button", name="Lagre og fortsett", exact=True).click()
    expect(heading(page)).to_have_text(next_heading)


def choose_containing(select: Locator, text: str) -> None:
    """Choose the option of a ``<select>`` whose label contains ``text``."""
    label = select.locator("option", has_text=text).first.text_content() or ""
    select.select_option(label=label.strip())


def make_pdf(folder: Path) -> Path:
    from weasyprint import HTML

    path = folder / EVIDENCE_NAME
    HTML(string="<h1>Referat fra arbeiderkomiteen</h1><p>Testdokument, uten personopplysninger.</p>").write_pdf(path)
    assert path.read_bytes().startswith(b"%PDF-")
    return path


# 1. The administrator opens a round


def admin_opens_round(page: Page) -> None:
    login(page, ADMIN)
    page.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name="Oppfølgingsrunder").click()
    page.get_by_role("link", name=tr("nb", "Create a round")).click()
    expect(heading(page)).to_have_text("Opprett en oppfølgingsrunde")
    expect(page.get_by_label("År", exact=True)).to_have_value(str(YEAR))
    page.get_by_label("Navn på norsk").fill(ROUND_NB)
    page.get_by_label("Navn på engelsk").fill(ROUND_EN)
    choose_containing(page.get_by_label("Versjon av spørreskjema"), "(2025.1)")
    page.get_by_label("Frist", exact=True).fill((TODAY + timedelta(days=60)).isoformat())
    page.get_by_label("Innledning på norsk").fill("Ekstra runde for arbeidstøy.")
    page.get_by_role("button", name="Opprett oppfølgingsrunde").click()
    expect(heading(page)).to_have_text(ROUND_NB)

    # Adding an agreement shows a preview first; leaving it creates nothing.
    add_agreement(page)
    page.get_by_role("link", name=tr("nb", "Back to the round without adding")).click()
    expect(heading(page)).to_have_text(ROUND_NB)
    expect(page.get_by_role("row", name=re.compile(re.escape(SUPPLIER_NAME)))).to_have_count(0)
    add_agreement(page)
    page.get_by_role("button", name=ntr("nb", "Create %(num)s response and send the invitations",
                                        "Create %(num)s responses and send the invitations", 1)).click()
    expect(heading(page)).to_have_text(ROUND_NB)
    expect(flash(page)).to_contain_text("1 besvarelse")
    responses = page.get_by_role("table", name=re.compile("besvarelse"))
    expect(responses.get_by_role("row", name=re.compile(f"{AGREEMENT_NB} {re.escape(SUPPLIER_NAME)} Ikke startet"))).to_be_visible()
    logout(page)


def add_agreement(page: Page) -> None:
    """Choose the agreement and press «Legg til avtale»: the preview names the response to create."""
    page.get_by_label("Avtale", exact=True).select_option(label=AGREEMENT_OPTION)
    page.get_by_role("button", name="Legg til avtale", exact=True).click()
    expect(heading(page)).to_have_text(tr("nb", "Check before adding"))
    expect(page.get_by_text(tr("nb", "Nothing is created and no e-mail is sent until you confirm."))).to_be_visible()
    to_create = page.get_by_role("table", name=ntr("nb", "%(num)s response to create", "%(num)s responses to create", 1))
    expect(to_create.get_by_role("row", name=re.compile(re.escape(SUPPLIER_NAME)))).to_contain_text(AGREEMENT_NB)


# 2. The supplier fills every question type, saves, comes back and submits


def status_nb(status: str) -> str:
    return tr("nb", status, context="response status")


def status_en(status: str) -> str:
    return tr("en", status, context="response status")


def open_response(page: Page, status: str) -> int:
    """From the start page's «To do»: the request's card names its buyer and has one action."""
    expect(page).to_have_url(re.compile(r"/company/$"))
    card = page.locator(".request-card").filter(has_text=AGREEMENT_NB).filter(has_text=ROUND_NB)
    expect(card).to_contain_text(BUYER)
    tag = tr("nb", "Clarification requested") if status == status_nb("Returned for clarification") else status
    expect(card.locator(".ds-tag")).to_have_text(tag)
    card.get_by_role("link").click()
    expect(heading(page)).to_have_text(AGREEMENT_NB)
    match = re.search(r"/responses/(\d+)$", page.url)
    assert match, page.url
    return int(match.group(1))


def fill_section_a(page: Page) -> None:
    a1 = question(page, "A1")
    a1.get_by_label("Navn", exact=True).fill("Per Hansen")
    a1.get_by_label("Stilling (valgfritt)").fill("Innkjøper")
    a1.get_by_label("E-post", exact=True).fill("per.hansen@arbeidsklaer.example")
    question(page, "A2").get_by_role("radio", name="Ja", exact=True).check()  # single choice
    a3 = question(page, "A3")
    a3.get_by_label("Lenke til redegjørelsen").fill(ACCOUNT_URL)  # url
    a3.get_by_label("Publiseringsdato").fill(f"{YEAR}-06-20")  # date
    save_and_continue(page, "B. Forankring")


def fill_sections_b_to_g(page: Page) -> None:
    question(page, "B1").get_by_role("radio", name="Ja", exact=True).check()  # yes/no
    b2 = question(page, "B2")  # multi
    b2.get_by_role("checkbox", name="Egen virksomhet").check()
    b2.get_by_role("checkbox", name="Leverandører i første ledd").check()
    question(page, "B3").get_by_role("radio", name="Ja, til alle").check()
    question(page, "B4").get_by_role("textbox").fill("Bærekraftsansvarlig rapporterer til daglig leder hvert kvartal.")
    b5 = question(page, "B5")  # numbers
    b5.get_by_label("Antall som har fått opplæring").fill("3")
    b5.get_by_label("Antall totalt").fill("1 205")  # a number as written in Norwegian
    save_and_continue(page, "C. Kartlegging og risikovurdering")

    question(page, "C1").get_by_role("radio", name="Ja", exact=True).check()
    question(page, "C4").get_by_role("radio", name="Sluttproduksjon og komponenter").check()
    c5 = question(page, "C5")  # a table row: added with a plain button, then filled
    c5.get_by_role("button", name=tr("nb", "Add a row: %(row)s", row="produksjonssted")).click()
    row = question(page, "C5").get_by_role("group", name="Produksjonssted 1")
    row.get_by_label("Navn på produksjonssted", exact=True).fill(SITE)
    row.get_by_label("Adresse", exact=True).fill("Plot 12, EPZ")
    row.get_by_label("By/region", exact=True).fill("Chattogram")
    row.get_by_label("Land", exact=True).select_option(label="Bangladesh")
    row.get_by_role("group", name="Ledd i kjeden").get_by_role("radio", name="Sluttproduksjon / montering").check()
    row.get_by_label("Produkt(er)/artikkelnr.", exact=True).fill("Arbeidsbukser")
    row.get_by_label("Antall arbeidere", exact=True).fill("420")
    save_and_continue(page, "D. Tiltak")

    question(page, "D1").get_by_role("radio", name="Ja", exact=True).check()
    save_and_continue(page, "E. Overvåking")
    question(page, "E1").get_by_role("radio", name="Ja", exact=True).check()
    question(page, "E3").get_by_role("radio", name="Nei", exact=True).check()
    save_and_continue(page, "F. Kommunikasjon")
    question(page, "F1").get_by_role("radio", name="Ja", exact=True).check()
    question(page, "F1").get_by_label("Lenke").fill(ACCOUNT_URL)
    f2 = question(page, "F2")  # shown because A2 is «Ja»
    f2.get_by_label("Antall mottatt").fill("2")
    f2.get_by_label("Antall besvart innen tre uker").fill("2")
    save_and_continue(page, "G. Gjenoppretting og klagemekanismer")
    question(page, "G1").get_by_role("radio", name="Ja", exact=True).check()
    save_and_continue(page, "H. Sosial dialog på fabrikknivå")


def fill_section_h(page: Page, evidence: Path) -> None:
    h1 = question(page, "H1")  # a reference to the C5 row
    h1.get_by_role("group", name=re.compile("Produksjonssteder")).get_by_role("checkbox", name=re.compile(SITE)).check()
    h1.get_by_label("Andel av volumet (%)").fill("70,5")  # a decimal comma
    h5 = question(page, "H5")  # an upload
    h5.get_by_label("Legg til filer").set_input_files(evidence)
    h5.get_by_label("Beskriv filen").fill("Referat, Chittagong")
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(flash(page)).to_contain_text("Lagret")
    expect(question(page, "H5").get_by_role("link", name=EVIDENCE_NAME)).to_be_visible()


def jump_to(page: Page, part: str | re.Pattern[str]) -> None:
    """Open the closed list of parts above the questions and follow one of its links."""
    page.locator("details.section-jump > summary").click()
    page.get_by_role("navigation", name="Delene av spørreskjemaet").get_by_role("link", name=part).click()


def check_everything_is_kept(page: Page) -> None:
    page.get_by_role("link", name="A. Leverandør og avtale").click()
    expect(question(page, "A1").get_by_label("Navn", exact=True)).to_have_value("Per Hansen")
    expect(question(page, "A2").get_by_role("radio", name="Ja", exact=True)).to_be_checked()
    expect(question(page, "A3").get_by_label("Lenke til redegjørelsen")).to_have_value(ACCOUNT_URL)
    expect(question(page, "A3").get_by_label("Publiseringsdato")).to_have_value(f"{YEAR}-06-20")
    jump_to(page, "B. Forankring")
    expect(question(page, "B2").get_by_role("checkbox", name="Leverandører i første ledd")).to_be_checked()
    expect(question(page, "B5").get_by_label("Antall totalt")).to_have_value(NB_1205)
    jump_to(page, re.compile("^C. "))
    row = question(page, "C5").get_by_role("group", name=re.compile(f"Produksjonssted 1: {SITE}"))
    expect(row.get_by_label("Land", exact=True)).to_have_value("BD")
    expect(row.get_by_label("Antall arbeidere", exact=True)).to_have_value("420")
    jump_to(page, re.compile("^H. "))
    expect(question(page, "H1").get_by_role("checkbox", name=re.compile(SITE))).to_be_checked()
    expect(question(page, "H1").get_by_label("Andel av volumet (%)")).to_have_value("70,5")
    expect(question(page, "H5").get_by_role("link", name=EVIDENCE_NAME)).to_be_visible()


def submit_with_declaration(page: Page, response_id: int) -> None:
    page.goto(f"/responses/{response_id}")
    page.get_by_role("link", name="Kontroller og send inn").click()
    expect(heading(page)).to_have_text("Kontroller og send inn")
    submit = page.get_by_role("button", name=tr("nb", "Submit the response"))
    submit.click()  # without the declaration: refused, with an error summary in focus
    expect(page).to_have_title(re.compile(r"^Feil: "))
    summary = page.locator(".ds-error-summary")
    expect(summary).to_be_focused()
    expect(page.get_by_role("link", name=re.compile(r"^I1 "))).to_be_visible()
    check_your_answers(page)
    page.get_by_role("checkbox", name="Jeg bekrefter erklæringen ovenfor").check()  # the confirmation, I1
    page.get_by_role("button", name=tr("nb", "Submit the response")).click()
    expect(flash(page)).to_contain_text("sendt inn")


def check_your_answers(page: Page) -> None:
    """Every answer by part, each part with «Endre» back to it; the declaration is signed with the profile."""
    answers = page.get_by_role("region", name=tr("nb", "Your answers"))
    expect(answers.get_by_role("heading", name="A. Leverandør og avtale")).to_be_visible()
    expect(answers.get_by_text("per.hansen@arbeidsklaer.example")).to_be_visible()
    expect(answers.get_by_text(SITE).first).to_be_visible()  # a table answer, as a table
    change_a = answers.get_by_role("link", name=f"{tr('nb', 'Change')} {tr('nb', 'part %(part)s', part='A')}")
    check_page = page.url
    change_a.click()
    expect(heading(page)).to_have_text("A. Leverandør og avtale")
    page.goto(check_page)
    expect(heading(page)).to_have_text("Kontroller og send inn")
    signature = page.locator(".signature")
    expect(signature).to_contain_text("Per Hansen (demo)")
    expect(signature).to_contain_text("Bærekraftsansvarlig")
    expect(page.get_by_label("Navn", exact=True)).to_have_count(0)  # signed, not typed


def supplier_fills_and_submits(page: Page, evidence: Path) -> int:
    login(page, SUPPLIER)
    response_id = open_response(page, status_nb("Not started"))
    page.get_by_role("link", name="A. Leverandør og avtale").click()
    fill_section_a(page)
    fill_sections_b_to_g(page)
    fill_section_h(page, evidence)
    logout(page)

    login(page, SUPPLIER)
    assert open_response(page, status_nb("In progress")) == response_id
    check_everything_is_kept(page)
    submit_with_declaration(page, response_id)
    expect(page.get_by_role("definition").filter(has_text=status_nb("Submitted"))).to_be_visible()
    # The receipt is made by a job after the submit (a worker in production, after the response
    # here); the link is there at once, and a receipt the job has not made yet is made when asked.
    receipt_link = page.get_by_role("link", name=tr("nb", "Download receipt %(number)s (PDF)", number=1))
    with page.expect_download() as download_info:
        receipt_link.click()
    download = download_info.value
    assert download.suggested_filename == f"aktsom-kvittering-{response_id}-1.pdf"
    receipt = Path(download.path())
    assert receipt.read_bytes().startswith(b"%PDF-")
    logout(page)
    return response_id


# 3. The reviewer, in English, returns it for clarification


def open_review(page: Page, status: str) -> None:
    page.goto("/review")
    expect(heading(page)).to_have_text(tr("en", "Responses to review"))
    row = page.get_by_role("row", name=re.compile(f"{re.escape(SUPPLIER_NAME)} [0-9 ]*{AGREEMENT_EN}.* {ROUND_EN} {status}"))
    row.get_by_role("link", name=SUPPLIER_NAME).click()
    expect(heading(page)).to_have_text(tr("en", "Review: %(supplier)s", supplier=SUPPLIER_NAME))


def reviewer_returns(page: Page) -> None:
    login(page, REVIEWER)
    page.get_by_role("button", name="English").click()  # the language switch; saved on the account
    expect(page.locator("html")).to_have_attribute("lang", "en")
    open_review(page, status_en("Submitted"))
    # The question to return is ticked where it is judged (its box belongs to the return form).
    page.get_by_label(tr("en", "Ask the supplier to answer %(question)s again when you return the response",
                         question="A1")).check()
    page.get_by_label(tr("en", "Message to the supplier")).fill(CLARIFY)
    page.get_by_role("button", name=tr("en", "Return for clarification")).click()
    expect(flash(page)).to_contain_text(tr("en", "The response is returned for clarification (round %(number)s).", number=1))
    logout(page)


# 4. The supplier amends and resubmits


def supplier_amends(page: Page, response_id: int) -> None:
    login(page, SUPPLIER)
    assert open_response(page, status_nb("Returned for clarification")) == response_id
    expect(page.get_by_text("Kommunen har bedt om en avklaring", exact=False)).to_be_visible()
    # What to answer comes first, with the reviewer's message, and links to the reopened question.
    needs = page.get_by_role("region", name=tr("nb", "What you need to answer"))
    expect(needs).to_contain_text(CLARIFY)
    needs.get_by_role("link", name=re.compile(r"^A1 ")).click()
    expect(page).to_have_url(re.compile(r"/sections/A#q-A1$"))
    a1 = question(page, "A1")
    expect(a1.get_by_label("Stilling (valgfritt)")).to_be_editable()
    a1.get_by_label("Stilling (valgfritt)").fill("Bærekraftsansvarlig")
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(flash(page)).to_contain_text("Lagret")
    # A reply to the reviewer under the reopened question, kept with the section.
    question(page, "A1").get_by_label(tr("nb", "Your reply to the reviewer on %(question)s", question="A1")).fill(REPLY)
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(flash(page)).to_contain_text("Lagret")
    expect(question(page, "A1").get_by_label(
        tr("nb", "Your reply to the reviewer on %(question)s", question="A1"))).to_have_value(REPLY)
    expect(question(page, "A2").get_by_label(  # A2 was not reopened: no reply field there
        tr("nb", "Your reply to the reviewer on %(question)s", question="A2"))).to_have_count(0)
    page.goto(f"/responses/{response_id}/submit")
    expect(page.get_by_text(REPLY)).to_be_visible()  # checked with the answers before it is sent
    # Every submission carries a declaration given now: the box starts empty, the names are kept.
    declaration = page.get_by_role("checkbox", name="Jeg bekrefter erklæringen ovenfor")
    expect(declaration).not_to_be_checked()
    expect(page.locator(".signature")).to_contain_text("Per Hansen (demo)")
    declaration.check()
    page.get_by_role("button", name=tr("nb", "Submit the response")).click()
    expect(flash(page)).to_contain_text("sendt inn")
    logout(page)


# 5. The reviewer accepts it and registers a deviation


def reviewer_accepts_and_registers(page: Page) -> str:
    login(page, REVIEWER)
    expect(page.locator("html")).to_have_attribute("lang", "en")  # the account's language since step 3
    open_review(page, status_en("Resubmitted"))
    # The supplier's reply next to the question it answers.
    reply = question(page, "A1").locator(".review-reply")
    expect(reply).to_contain_text(tr("en", "The supplier's reply to clarification round %(number)s", number=1))
    expect(reply).to_contain_text(REPLY)
    accept_response(page, "en")
    expect(flash(page)).to_contain_text(tr("en", "The response is accepted and the follow-up activity is recorded."))

    page.get_by_role("link", name=tr("en", "Record a deviation for %(question)s", question="C5")).click()
    expect(heading(page)).to_have_text(tr("en", "Register a deviation"))
    page.get_by_label(tr("en", "Type of deviation")).select_option(label=tr("en", "Working hours and overtime"))
    page.get_by_label(tr("en", "Severity")).select_option(label=tr("en", "Minor"))
    page.get_by_label(tr("en", "Description")).fill("Overtime above the legal limit in the peak season.")
    page.get_by_label(tr("en", "Where in the supply chain")).select_option(label=tr("en", "Final production / assembly"))
    page.get_by_label(re.compile("^" + tr("en", "Country"))).select_option(label="Bangladesh")
    choose_containing(page.get_by_label(tr("en", "Production site from the response")), SITE)
    expect(page.get_by_label(tr("en", "Date detected"))).to_have_value(TODAY.isoformat())
    page.get_by_label(tr("en", "Deadline for correction")).fill((TODAY + timedelta(days=90)).isoformat())
    page.get_by_role("button", name=tr("en", "Save deviation")).click()
    expect(heading(page)).to_have_text(tr("en", "Working hours and overtime"))
    expect(page.get_by_text(tr("en", "Registered"), exact=True)).to_be_visible()
    url = page.url
    logout(page)
    return url


# 6. The supplier proposes a corrective action plan


def supplier_proposes_plan(page: Page, deviation_url: str) -> None:
    login(page, SUPPLIER)
    page.goto("/deviations")
    hours = page.get_by_role("link", name=tr("nb", "Working hours and overtime"))
    # The joint workwear agreement has a deviation of the same kind and country: this one is on
    # the municipality's own agreement.
    (page.get_by_role("row").filter(has=hours).filter(has_text="Bangladesh")
     .filter(has_text=AGREEMENT_NB).get_by_role("link").click())
    assert page.url == deviation_url
    first = page.get_by_role("group", name=tr("nb", "Action %(number)s", number=1))
    first.get_by_label(tr("nb", "Action")).fill(PLAN)
    first.get_by_label(tr("nb", "Responsible")).fill("Daglig leder")
    first.get_by_label(tr("nb", "Deadline")).fill((TODAY + timedelta(days=60)).isoformat())
    page.get_by_role("button", name=tr("nb", "Send the plan")).click()
    expect(flash(page)).to_contain_text(tr("nb", "Your plan is sent to the municipality, which will approve it or get back to you."))
    expect(page.get_by_text(tr("nb", "Awaiting corrective action plan"), exact=True)).to_be_visible()
    logout(page)


# 7. The reviewer approves the plan and closes the deviation along the lifecycle


def change_status(page: Page, status: str) -> None:
    page.get_by_label(tr("en", "New status")).select_option(label=tr("en", status))
    page.get_by_role("button", name=tr("en", "Change status")).click()
    expect(flash(page)).to_contain_text(tr("en", "The status is now “%(status)s”.", status=tr("en", status)))


def reviewer_closes(page: Page, deviation_url: str) -> None:
    login(page, REVIEWER)
    page.goto(deviation_url)
    plan = page.get_by_role("region", name=tr("en", "Corrective action plan"))
    expect(plan.get_by_text(PLAN)).to_be_visible()
    page.get_by_role("button", name=tr("en", "Approve the plan")).click()
    expect(flash(page)).to_contain_text(tr("en", "The plan is approved. The supplier is told by e-mail."))
    change_status(page, "Remediated – pending verification")
    change_status(page, "Closed – remediated")
    expect(page.get_by_label(tr("en", "New status"))).to_have_count(0)  # nothing follows a closed deviation


# 8. The year's report


def report_counts_them(page: Page) -> None:
    page.goto(f"/reports?year={YEAR}")
    section_4a2 = page.get_by_role("region", name=tr("en", "4.A.2 Suppliers subject to contract follow-up"))
    followed = section_4a2.get_by_role("definition").first  # «Suppliers subject to contract follow-up»
    expect(section_4a2.get_by_role("term").first).to_have_text(tr("en", "Suppliers subject to contract follow-up"))
    expect(followed).to_have_text("1")
    by_agreement = section_4a2.get_by_role("table", name=tr("en", "Suppliers followed up per agreement"))
    expect(by_agreement.get_by_role("row", name=re.compile(AGREEMENT_EN))).to_contain_text("1")

    section_4a3 = page.get_by_role("region", name=tr("en", "4.A.3 Deviations identified in the reporting year"))
    caption = tr("en", "%(num)s deviation identified in %(year)s", num=1, year=YEAR)
    table = section_4a3.get_by_role("table", name=caption)
    expect(table).to_be_visible()
    row = table.get_by_role("row", name=re.compile(tr("en", "Working hours and overtime")))
    expect(row).to_contain_text("Bangladesh")
    expect(row).not_to_contain_text(SITE)  # the public report never names the site
    logout(page)


def test_the_whole_mission_in_a_browser(page: Page, demo_world: Any, tmp_path: Path) -> None:
    page.set_default_timeout(15_000)
    evidence = make_pdf(tmp_path)
    admin_opens_round(page)
    response_id = supplier_fills_and_submits(page, evidence)
    reviewer_returns(page)
    supplier_amends(page, response_id)
    deviation_url = reviewer_accepts_and_registers(page)
    supplier_proposes_plan(page, deviation_url)
    reviewer_closes(page, deviation_url)
    report_counts_them(page)
