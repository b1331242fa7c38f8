"""Every figure of the annual report for the demo data against a hand count.

The expected numbers below were counted by reading ``portal/demo.py`` (eleven agreements,
eleven suppliers) and ``portal/demo_followup.py`` (the 2023 and 2024 rounds, their
activities and deviations), not by running the report queries. Each figure is checked in
``queries.year_report``, on the page ``/reports?year=…`` as the demo reviewer reads it (in
Norwegian), and in the JSON export where it carries the figure (not the five years nor the
4.A.1 draft).

The demo's dates are fixed, so the figures are too, with two that depend on today:
questionnaires "not answered by the deadline" (the 2024 deadline, 30.9.2024, has passed)
and the traffic lights, which colour a response red when a deviation is past its deadline
as of today. Every deadline that decides a light ended by 1.8.2025 (see ``LIGHTS``); the
two later ones (15.12.2026, 15.1.2027) fall on responses that are red already.

The demo takes about ten seconds to load, so it is loaded once for the module and the
pages are fetched once; the tables are emptied again afterwards for the other tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale, ngettext, pgettext
from sqlalchemy import select

from portal import clock
from portal.demo import DEMO_PASSWORD, load_demo_data
from portal.extensions import db
from portal.models import Buyer, agreement_participant
from portal.reports import queries, records
from portal.tenancy import scope_to
from tests.auth.helpers import IsolatedClient, sign_in, text, tr
from tests.conftest import _empty_all_tables
from tests.reports.conftest import inbox_lights

TODAY = clock.today()
#: The last deadline that decides a light or a "not answered" count: HOURS on the technical
#: workwear agreement, due 1.8.2025 (see LIGHTS).
LAST_DECIDING_DEADLINE = date(2025, 8, 1)
REVIEWER = "fagansvarlig@kommune.example"  # the demo reviewer, Norwegian screens
YEARS = (2023, 2024)

# The demo register (portal/demo.py), for reading the counts below
# (reference, name, period, value in NOK million, Q/A/C flags, suppliers, DFØ category):
#   LK-2023-0112 Solcellepaneler          1.9.2023-31.8.2027    60  QAC  solar, solar2  building
#   LK-2023-0087 IKT- og AV-utstyr         1.6.2023-31.5.2027   120  QAC  ict            ict
#   LK-2022-0301 Utvidelse … Bingsfoss     1.3.2023-31.12.2025  250  Q C  builder        building
#   LK-2023-0045 Uteleker og ballbinger    1.4.2023-31.3.2026    15  Q C  play           toys_sports
#   LK-2021-0210 Kontormateriell           1.11.2021-31.10.2025   8  Q C  office         office
#   LK-2021-0155 Arbeidstøy teknisk        1.5.2021-30.4.2027    30  Q C  workwear       workwear
#   LK-2021-0156 Arbeidstøy kjøkken/helse  1.5.2021-30.4.2027    25  Q C  workwear       workwear
#   LK-2022-0020 Frukt og grønt            1.1.2022-31.12.2025   40  Q C  fruit          food
#   LK-2020-0410 Anleggstjenester drivstof 1.6.2020-31.5.2024     2    C  fuel           none
#   LK-2023-0190 Ferskt kjøtt              1.10.2023-30.9.2027   35    C  meat           food
#   LK-2023-0191 Lokale egg                1.10.2023-            --  ---  eggs           food

# Key information

#: The same in both years: every agreement started by 1.10.2023 and none ended before
#: 31.5.2024, so all eleven are active in 2023 and in 2024.
KEY = dict(
    active=11,
    # All but Lokale egg have an estimated value: 60 + 120 + 250 + 15 + 8 + 30 + 25 + 40 + 2
    # + 35 million.
    with_value=10,
    without_value=1,
    total_value=Decimal("585000000.00"),
    # All but Lokale egg have at least one of the three flags (the rows of 2.A.2).
    with_requirements=10,
)

# 4.A.2


@dataclass(frozen=True)
class FollowUpCount:
    suppliers: int
    agreements: int
    activities: int
    new_agreements: int
    older_agreements: int
    suppliers_on_new: int
    suppliers_on_older: int
    #: (reference, entered in the year, suppliers on it, suppliers followed up, activities),
    #: by Norwegian name.
    by_agreement: tuple[tuple[str, bool, int, int, int], ...]
    #: (kind, activities, suppliers), in the order of the activity kinds.
    by_method: tuple[tuple[str, int, int], ...]
    #: (DFØ category, agreements, suppliers, activities): JSON only.
    by_category: tuple[tuple[str | None, int, int, int], ...]
    #: invited, submitted (ever), accepted, not answered by the deadline.
    funnel: tuple[int, int, int, int]
    #: not_started, in_progress, submitted, returned, resubmitted, accepted.
    by_status: tuple[int, int, int, int, int, int]


FOLLOW_UP = {
    # 2023: the round's three accepted questionnaires (reviewed 5.9.2023) on LK-2021-0155 and
    # LK-2021-0156 (both Nordlys Arbeidsklær) and LK-2022-0020 (Grønn Gaffel), and status
    # meetings on LK-2021-0155 (12.10), LK-2022-0020 (2.11) and LK-2020-0410 (31.12, the last
    # day of the year; the agreement ran until 31.5.2024). Three suppliers on four agreements,
    # all entered before 2023.
    2023: FollowUpCount(
        suppliers=3, agreements=4, activities=6,
        new_agreements=0, older_agreements=4, suppliers_on_new=0, suppliers_on_older=3,
        by_agreement=(
            ("LK-2020-0410", False, 1, 1, 1),  # Anleggstjenester …: the status meeting
            ("LK-2021-0156", False, 1, 1, 1),  # Arbeidstøy til kjøkken …: the questionnaire
            ("LK-2021-0155", False, 1, 1, 2),  # Arbeidstøy til teknisk …: questionnaire + meeting
            ("LK-2022-0020", False, 1, 1, 2),  # Frukt og grønt: questionnaire + meeting
        ),
        by_method=(
            ("questionnaire_reviewed", 3, 2),  # three questionnaires, workwear and fruit
            ("status_meeting", 3, 3),  # workwear, fruit and fuel
        ),
        by_category=(
            ("workwear", 2, 1, 3),  # both workwear agreements, one supplier
            ("food", 1, 1, 2),  # Frukt og grønt
            (None, 1, 1, 1),  # the fuel contract has no DFØ category
        ),
        funnel=(3, 3, 3, 0),  # three questionnaires, all submitted 1.6 and accepted 5.9.2023
        by_status=(0, 0, 0, 0, 0, 3),
    ),
    # 2024: the accepted questionnaire on LK-2021-0155 (15.10.2024) and the site audit on
    # LK-2022-0020 (5.11.2024). The social-dialogue review on LK-2021-0155 is dated
    # 20.3.2025, and no other activity falls in 2024.
    2024: FollowUpCount(
        suppliers=2, agreements=2, activities=2,
        new_agreements=0, older_agreements=2, suppliers_on_new=0, suppliers_on_older=2,
        by_agreement=(
            ("LK-2021-0155", False, 1, 1, 1),  # Arbeidstøy til teknisk sektor
            ("LK-2022-0020", False, 1, 1, 1),  # Frukt og grønt
        ),
        by_method=(
            ("questionnaire_reviewed", 1, 1),  # Nordlys Arbeidsklær
            ("site_audit", 1, 1),  # Grønn Gaffel's plantation
        ),
        by_category=(("workwear", 1, 1, 1), ("food", 1, 1, 1)),
        # Eight questionnaires: LK-2021-0155 accepted, LK-2021-0156 returned, LK-2022-0020
        # resubmitted, Solfanger (solar) submitted, Romerike Solmontasje (solar2) and
        # Kontormateriell in progress, IKT and Uteleker not started. Submitted at least once:
        # 4. Not answered by 30.9.2024: the two in progress and the two not started.
        funnel=(8, 4, 1, 4),
        by_status=(2, 2, 1, 1, 1, 1),
    ),
}

# 4.A.3

#: (type, tier, country, measures sorted, measures text, status, severity, detected).
DEVIATION_ROWS = {
    # 2023: none ("no deviations were found", as in the municipality's own report), and
    # none detected earlier.
    2023: (),
    # 2024, by detection date. Not counted: the proposed P-RISK on solar (30.9.2024, never
    # confirmed), and the 2025 ones (HOURS, OHS, P-TRANSP, DISCR; CHILD is withdrawn).
    2024: (
        ("P-SD", "T1", "BD", ("CAP", "TRAINING"), "Avtalt opplæring av arbeiderkomiteen.",
         "CLOSED_OK", "MINOR", date(2024, 10, 15)),  # LK-2021-0155, question H3
        ("P-SD", "T1", "CN", ("CAP",), "", "AWAITING_CAP", "MAJOR",
         date(2024, 10, 20)),  # LK-2021-0156, question H5
        ("WAGES", "T3", "EC", ("REAUDIT", "REMEDY"), "Etterbetaling og ny revisjon.",
         "IN_PROGRESS", "MAJOR", date(2024, 11, 5)),  # LK-2022-0020, the plantation audit
        ("FORCED", "T3", "CN", ("DIALOGUE", "SUSPEND"), "", "ESCALATED", "CRITICAL",
         date(2024, 12, 10)),  # LK-2023-0112, polysilicon
    ),
}
#: The EHN status text of each row above, in the same order.
EHN_STATUSES = {2023: (), 2024: ("closed", "being_handled", "being_remedied", "escalated")}
#: The page and the exports show a past year as of 31 December (issue 16): the P-SD of
#: LK-2021-0155 was closed on 20.3.2025, so on 31.12.2024 it was still registered. The
#: other three changed status two weeks after they were found, within 2024.
STATUS_ON_31_12 = {"CLOSED_OK": "REGISTERED"}
EHN_ON_31_12 = {"closed": "not_started"}


def on_31_12(rows: tuple[Any, ...]) -> list[Any]:
    """DEVIATION_ROWS as the year-end report shows them."""
    return [(*row[:5], STATUS_ON_31_12.get(row[5], row[5]), *row[6:]) for row in rows]


def ehn_on_31_12(statuses: tuple[str, ...]) -> list[str]:
    return [EHN_ON_31_12.get(s, s) for s in statuses]
#: (type, tier, count): the two P-SD rows share type and tier.
BY_TYPE_TIER = {2023: (), 2024: (("FORCED", "T3", 1), ("P-SD", "T1", 2), ("WAGES", "T3", 1))}
#: Earlier deviations still open in the year: the first demo deviation is from 30.9.2024.
EARLIER_OPEN = {2023: 0, 2024: 0}
#: Proposed, unconfirmed deviations detected in the year: the P-RISK of 30.9.2024.
PROPOSED = {2023: 0, 2024: 1}

# 2.A.2: the same ten agreements both years (all but Lokale egg), by Norwegian name.
#: (reference, kind, suppliers on it, qualification, award, contract condition).
REQUIREMENTS = (
    ("LK-2020-0410", "contract", 1, False, False, True),  # Anleggstjenester knyttet til drivstoff
    ("LK-2021-0156", "framework", 1, True, False, True),  # Arbeidstøy til kjøkken og helsesektoren
    ("LK-2021-0155", "framework", 1, True, False, True),  # Arbeidstøy til teknisk sektor
    ("LK-2023-0190", "framework", 1, False, False, True),  # Ferskt kjøtt
    ("LK-2022-0020", "framework", 1, True, False, True),  # Frukt og grønt
    ("LK-2023-0087", "framework", 1, True, True, True),  # IKT- og AV-utstyr
    ("LK-2021-0210", "framework", 1, True, False, True),  # Kontormateriell
    ("LK-2023-0112", "framework", 2, True, True, True),  # Solcellepaneler: Solfanger, Romerike
    ("LK-2023-0045", "framework", 1, True, False, True),  # Uteleker og ballbinger
    ("LK-2022-0301", "construction", 1, True, False, True),  # Utvidelse og ombygging av Bingsfoss …
)
REQUIREMENT_NAMES = (
    "Anleggstjenester knyttet til drivstoff", "Arbeidstøy til kjøkken og helsesektoren",
    "Arbeidstøy til teknisk sektor", "Ferskt kjøtt", "Frukt og grønt", "IKT- og AV-utstyr",
    "Kontormateriell", "Solcellepaneler", "Uteleker og ballbinger",
    "Utvidelse og ombygging av Bingsfoss ungdomsskole",
)

# Traffic lights: one per questionnaire of the year's round, by DFØ category, as of today.
#: (category, green, yellow, red, not assessed), in the order of the DFØ categories.
LIGHTS = {
    # The three 2023 questionnaires were accepted with every verdict "meets": green. The
    # open deviations of the same suppliers found later (LK-2021-0155 HOURS, LK-2021-0156
    # P-SD, LK-2022-0020 WAGES, all past due) were not found through these responses: the
    # inbox shows them as a tag of their own, not as the light (issue 15).
    2023: (("workwear", 2, 0, 0, 0), ("food", 1, 0, 0, 0)),
    2024: (
        # LK-2021-0155: HOURS past due (and two "partly"); LK-2021-0156: P-SD past due and
        # DISCR closed unremedied.
        ("workwear", 0, 0, 2, 0),
        ("ict", 0, 0, 0, 1),  # not started, no verdicts
        # Solfanger: FORCED escalated. Romerike Solmontasje: in progress, no verdicts.
        ("building", 0, 0, 1, 1),
        ("office", 0, 0, 0, 1),  # in progress
        ("toys_sports", 0, 0, 0, 1),  # not started
        ("food", 0, 0, 1, 0),  # resubmitted; WAGES past due
    ),
}
#: The page and the JSON show a past year as of 31.12 (issue 16): deadlines are judged on
#: that day and only what had been found by then counts.
LIGHTS_ON_31_12 = {
    2023: LIGHTS[2023],
    2024: (
        # LK-2021-0155: P-SD open, due 31.3.2025, and two "partly": yellow (HOURS came in
        # 2025). LK-2021-0156: H5 "not met" on a required question: red.
        ("workwear", 0, 1, 1, 0),
        ("ict", 0, 0, 0, 1),
        ("building", 0, 0, 1, 1),  # FORCED escalated on 24.12.2024
        ("office", 0, 0, 0, 1),
        ("toys_sports", 0, 0, 0, 1),
        ("food", 0, 1, 0, 0),  # WAGES in progress, due 30.6.2025: not yet late
    ),
}

# Consistency checks (DOMAIN 7.4)
WARNINGS = {
    # The seed's own inconsistency: one workwear supplier on two followed-up agreements.
    2023: (("suppliers_below_agreements", {"suppliers": 3, "agreements": 4}),),
    2024: (
        ("proposed_unconfirmed", {"proposed": 1}),  # the P-RISK on solar
        # The four unanswered 2024 questionnaires; the demo has no P-DOC deviation.
        ("unanswered_without_pdoc", {"responses": 4}),
        # Waiting for review since autumn 2024: solar's submission (28.9.2024) and fruit's
        # resubmission (8.10.2024), more than 60 days before any day these tests run.
        ("unreviewed_submissions", {"responses": 2, "days": 60}),
    ),
}

# The last five years: the years with data from 2020 (LK-2020-0410 started 1.6.2020).
#: year: (active, with follow-up, suppliers, activities, deviations, by_status as above).
FIVE_YEARS = {
    2020: (1, 0, 0, 0, 0, (0, 0, 0, 0, 0, 0)),  # LK-2020-0410
    # + LK-2021-0210, -0155, -0156
    2021: (4, 0, 0, 0, 0, (0, 0, 0, 0, 0, 0)),
    2022: (5, 0, 0, 0, 0, (0, 0, 0, 0, 0, 0)),  # + LK-2022-0020 (LK-2022-0301 starts in 2023)
    2023: (11, 4, 3, 6, 0, FOLLOW_UP[2023].by_status),
    2024: (11, 2, 2, 2, 4, FOLLOW_UP[2024].by_status),
}

#: 4.A.1: staff who recorded the year's activities: the demo reviewer recorded them all.
STAFF = {
    2023: (("reviewer", "Seniorrådgiver – fagansvarlig etisk handel", 1, 6),),
    2024: (("reviewer", "Seniorrådgiver – fagansvarlig etisk handel", 1, 2),),
}


# Fixtures


def _lillestrom() -> int:
    return int(db.session.scalar(select(Buyer.id).where(Buyer.name == "Lillestrøm kommune")))


@pytest.fixture(scope="module")
def reports(app: Flask) -> Iterator[dict[int, queries.YearReport]]:
    """The demo data, loaded once; the full reports (every row, grouped) of both years."""
    assert TODAY > LAST_DECIDING_DEADLINE, "the traffic lights are counted as of a later day"
    try:
        with app.app_context():
            _empty_all_tables()
            load_demo_data()
            # The hand count is of the municipality's own follow-up: the demo's joint workwear
            # agreement (led by the cooperation) is counted in tests/test_demo_data.py and
            # tests/reports/test_joint_follow_up.py.
            db.session.execute(agreement_participant.delete())
            db.session.commit()
            # The municipality's report, as its staff read it (the demo has a second buyer).
            scope_to(db.session(), _lillestrom())
            found = {year: queries.year_report(year, TODAY) for year in YEARS}
            scope_to(db.session(), None)
            db.session.remove()
        yield found
    finally:
        # The other tests expect empty tables, as the ``db`` fixture leaves them.
        with app.app_context():
            _empty_all_tables()


@pytest.fixture(scope="module")
def inbox(app: Flask, reports: dict[int, queries.YearReport]) -> dict[int, dict[Any, Any]]:
    """Each year's lights as the inbox computes them, response by response in Python."""
    with app.app_context():
        scope_to(db.session(), _lillestrom())
        found = {year: inbox_lights(year, TODAY) for year in YEARS}
        scope_to(db.session(), None)
        db.session.remove()
    return found


@dataclass
class Pages:
    parsed: dict[str, ReportPage] = field(default_factory=dict)
    #: Each page as a reader sees it: tags removed, whitespace collapsed.
    text: dict[str, str] = field(default_factory=dict)
    documents: dict[int, dict[str, Any]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def pages(app: Flask, reports: dict[int, queries.YearReport]) -> Pages:
    """The pages and JSON documents as the demo reviewer gets them, in her language (nb)."""
    client = IsolatedClient(app, app.response_class)
    assert sign_in(client, REVIEWER, DEMO_PASSWORD).status_code == 302
    got = Pages()
    for path in ("/reports?year=2023", "/reports?year=2024", "/reports?year=2024&view=grouped"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert '<html lang="nb">' in response.get_data(as_text=True)
        got.parsed[path] = ReportPage.of(response.get_data(as_text=True))
        got.text[path] = text(response)
    for year in YEARS:
        response = client.get(f"/reports/{year}.json")
        assert response.status_code == 200
        got.documents[year] = json.loads(response.get_data(as_text=True))
    return got


@pytest.fixture(autouse=True)
def _context(app: Flask) -> Iterator[None]:
    """Translations need an application context; the tests never touch the database."""
    with app.app_context():
        yield


def ntr(singular: str, plural: str, num: int, **values: Any) -> str:
    """What an ngettext call shows in Norwegian."""
    with force_locale("nb"):
        return ngettext(singular, plural, num, **values)


def response_status(code: str) -> str:
    """A response status as the Norwegian page names it (portal/codes.py, by context)."""
    english = {
        "not_started": "Not started", "in_progress": "In progress", "submitted": "Submitted",
        "returned": "Returned for clarification", "resubmitted": "Resubmitted",
        "accepted": "Accepted",
    }[code]
    with force_locale("nb"):
        return pgettext("response status", english)


# Reading the page


class ReportPage(HTMLParser):
    """The figures of the report page: each section's summary list (label → value) and each
    table's body rows by the id of its caption."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.summaries: dict[str, dict[str, str]] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self.textarea = ""
        #: The items of the "Check before you publish" box.
        self.warnings: list[str] = []
        self._section = ""
        self._buffer: list[str] | None = None
        self._label = ""
        self._caption = ""
        self._rows: list[list[str]] | None = None
        self._row: list[str] | None = None
        self._in_body = False

    @classmethod
    def of(cls, html: str) -> ReportPage:
        page = cls()
        page.feed(html)
        page.close()
        return page

    def _text(self) -> str:
        collected = " ".join("".join(self._buffer or []).split())
        self._buffer = None
        return collected

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "section":
            self._section = attributes.get("id") or attributes.get("aria-labelledby") or ""
        elif tag == "table":
            self._rows, self._caption = [], ""
        elif tag == "caption":
            self._caption = attributes.get("id") or ""
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row = []
        elif self._collects(tag):
            self._buffer = []
        elif tag == "br" and self._buffer is not None:
            self._buffer.append(" ")

    def _collects(self, tag: str) -> bool:
        """Whether the text of this element is a figure or a label to read."""
        return (
            (tag in ("td", "th") and self._row is not None)
            or tag in ("dt", "dd", "textarea")
            or (tag == "li" and self._section == "warnings-heading")
        )

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._buffer is not None:
            self._row.append(self._text())
        elif tag == "tr" and self._row is not None:
            assert self._rows is not None
            self._rows.append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            assert self._rows is not None
            self.tables[self._caption] = self._rows
            self._rows = None
        elif tag == "dt":
            self._label = self._text()
        elif tag == "dd":
            self.summaries.setdefault(self._section, {})[self._label] = self._text()
        elif tag == "textarea":
            self.textarea = self._text()
        elif tag == "li" and self._section == "warnings-heading":
            self.warnings.append(self._text())

    def handle_data(self, data: str) -> None:
        if self._buffer is not None:
            self._buffer.append(data)

    def summary(self, section: str, label: str) -> int:
        """The number shown for ``label`` (an English msgid) in a section's summary list."""
        return number(self.summaries[section][tr(label)])


def number(shown: str) -> int:
    """A number as the Norwegian page writes it ("585 000 000", no-break spaces) as an int."""
    digits = re.sub(r"[\s\u00a0\u202f]", "", shown)
    assert re.fullmatch(r"\d+", digits), shown
    return int(digits)


# English msgids of the labels the page shows for the demo's codes (portal/codes.py).
DEVIATION_TYPES = {
    "P-SD": "Special social dialogue requirement not met",
    "WAGES": "Wages (minimum wage, living wage, overtime pay, illegal deductions)",
    "FORCED": "Forced or bonded labour and trafficking",
}
TIERS = {"T1": "Final production / assembly",
         "T3": "Raw-material production / extraction / farming"}
COUNTRIES_NB = {"BD": "Bangladesh", "CN": "Kina", "EC": "Ecuador"}
MEASURES = {
    "CAP": "Corrective action plan", "TRAINING": "Training / capacity building",
    "REAUDIT": "Follow-up audit / verification",
    "REMEDY": "Remediation for workers (back pay, fee refund, medical help)",
    "DIALOGUE": "Dialogue / follow-up meeting", "SUSPEND": "Temporary suspension of orders",
}
EHN_TEXTS = {"closed": "Closed", "being_handled": "Being handled",
             "being_remedied": "Being remedied", "escalated": "Escalated",
             "not_started": "Identified, not started"}
DETECTED_NB = {date(2024, 10, 15): "15. okt. 2024", date(2024, 10, 20): "20. okt. 2024",
               date(2024, 11, 5): "5. nov. 2024", date(2024, 12, 10): "10. des. 2024"}
KINDS = {"framework": "Framework agreement", "contract": "Single contract",
         "construction": "Construction contract"}
CATEGORIES = {"workwear": "Workwear, footwear and textiles", "ict": "ICT products",
              "building": "Building and construction materials", "office": "Office supplies",
              "toys_sports": "Toys and sports equipment", "food": "Food and drink"}
METHODS = {"questionnaire_reviewed": "Questionnaire reviewed",
           "status_meeting": "Status meeting with a sustainability item",
           "site_audit": "Site audit / factory visit"}
STATUS_CODES = ("not_started", "in_progress", "submitted", "returned", "resubmitted", "accepted")


def yes_no(value: bool) -> str:
    return tr("Yes") if value else tr("No")


def where(tier: str, country: str) -> str:
    return f"{tr(TIERS[tier])}, {COUNTRIES_NB[country]}"


def measures(codes: tuple[str, ...]) -> str:
    return "; ".join(tr(MEASURES[code]) for code in codes)


def page_of(pages: Pages, year: int) -> ReportPage:
    return pages.parsed[f"/reports?year={year}"]


# Key information


@pytest.mark.parametrize("year", YEARS)
def test_key_figures_in_the_queries(reports, year):
    report = reports[year]
    counts = report.agreements

    assert (counts.active, counts.with_value, counts.without_value, counts.total_value,
            counts.with_requirements) == tuple(KEY.values())
    assert report.follow_up.agreements == FOLLOW_UP[year].agreements


@pytest.mark.parametrize("year", YEARS)
def test_key_figures_on_the_page(pages, year):
    page = page_of(pages, year)

    assert page.summary(
        "section-key", "Total number of active procurements/agreements in the reporting year") == 11
    assert page.summary(
        "section-key", "Number of agreements with contract follow-up during the reporting year"
    ) == FOLLOW_UP[year].agreements
    assert page.summary(
        "section-key", "Total estimated value of the active agreements where known (NOK)"
    ) == 585_000_000
    assert page.summary("section-key", "Active agreements without an estimated value") == 1


@pytest.mark.parametrize("year", YEARS)
def test_key_figures_in_the_json(pages, year):
    document = pages.documents[year]

    assert document["year"] == year
    assert document["key_figures"] == {
        "active_agreements": 11,
        "agreements_with_follow_up": FOLLOW_UP[year].agreements,
        "total_estimated_value_nok": 585_000_000,
        "agreements_with_value": 10,
        "agreements_without_value": 1,
        "agreements_with_requirements": 10,
    }


# 4.A.2


@pytest.mark.parametrize("year", YEARS)
def test_4a2_in_the_queries(reports, year):
    follow, expected = reports[year].follow_up, FOLLOW_UP[year]

    assert (follow.suppliers, follow.agreements, follow.activities) == (
        expected.suppliers, expected.agreements, expected.activities)
    assert (follow.new_agreements, follow.older_agreements, follow.suppliers_on_new,
            follow.suppliers_on_older) == (expected.new_agreements, expected.older_agreements,
                                           expected.suppliers_on_new, expected.suppliers_on_older)
    assert tuple(
        (a.reference, a.is_new, a.suppliers_on_agreement, a.suppliers_followed_up, a.activities)
        for a in follow.by_agreement
    ) == expected.by_agreement
    assert tuple(
        (m.kind, m.activities, m.suppliers) for m in follow.by_method) == expected.by_method
    assert tuple(
        (c.category, c.agreements, c.suppliers, c.activities) for c in follow.by_category
    ) == expected.by_category
    funnel = follow.funnel
    assert (funnel.invited, funnel.submitted, funnel.accepted,
            funnel.not_answered) == expected.funnel
    assert funnel.by_status == tuple(zip(STATUS_CODES, expected.by_status, strict=True))
    # No activity in either year is on an agreement that was not active, and every
    # followed-up agreement has its supplier.
    assert (follow.activities_not_counted, follow.agreements_without_suppliers) == (0, 0)


@pytest.mark.parametrize("year", YEARS)
def test_4a2_on_the_page(pages, year):
    page, expected = page_of(pages, year), FOLLOW_UP[year]

    assert page.summary(
        "section-4a2", "Suppliers subject to contract follow-up") == expected.suppliers
    assert page.summary("section-4a2", "Agreements with contract follow-up") == expected.agreements
    assert page.summary(
        "section-4a2", "Suppliers followed up on agreements entered in the year"
    ) == expected.suppliers_on_new
    assert page.summary(
        "section-4a2", "Suppliers followed up on agreements entered in earlier years"
    ) == expected.suppliers_on_older
    assert page.summary("section-4a2", "Follow-up activities") == expected.activities
    assert tuple(page.summary("section-4a2", label) for label in (
        "Sent to suppliers", "Submitted", "Reviewed and accepted", "Not answered by the deadline",
    )) == expected.funnel

    rows = page.tables["caption-4a2-agreements"]
    assert [re.search(r"\((LK-[\d-]+)\)$", row[0]).group(1) for row in rows] == [
        a[0] for a in expected.by_agreement]
    assert [[row[2], *map(number, row[3:])] for row in rows] == [
        [yes_no(new), on, followed, activities]
        for _ref, new, on, followed, activities in expected.by_agreement]
    assert page.tables["caption-4a2-methods"] == [
        [tr(METHODS[kind]), str(activities), str(suppliers)]
        for kind, activities, suppliers in expected.by_method]


@pytest.mark.parametrize("year", YEARS)
def test_4a2_in_the_json(pages, year):
    follow, expected = pages.documents[year]["follow_up_4a2"], FOLLOW_UP[year]

    assert {key: follow[key] for key in (
        "suppliers", "agreements", "activities", "new_agreements", "older_agreements",
        "suppliers_on_new_agreements", "suppliers_on_older_agreements",
    )} == {
        "suppliers": expected.suppliers, "agreements": expected.agreements,
        "activities": expected.activities, "new_agreements": expected.new_agreements,
        "older_agreements": expected.older_agreements,
        "suppliers_on_new_agreements": expected.suppliers_on_new,
        "suppliers_on_older_agreements": expected.suppliers_on_older,
    }
    assert [
        (a["reference"], a["is_new"], a["suppliers_on_agreement"], a["suppliers_followed_up"],
         a["activities"]) for a in follow["by_agreement"]
    ] == list(expected.by_agreement)
    assert [(m["kind"], m["activities"], m["suppliers"]) for m in follow["by_method"]] == list(
        expected.by_method)
    assert [(c["dfo_category"], c["agreements"], c["suppliers"], c["activities"])
            for c in follow["by_dfo_category"]] == list(expected.by_category)
    questionnaires = follow["questionnaires"]
    assert (questionnaires["invited"], questionnaires["submitted"], questionnaires["accepted"],
            questionnaires["not_answered"]) == expected.funnel
    assert questionnaires["by_status"] == dict(zip(STATUS_CODES, expected.by_status, strict=True))


# 4.A.3


@pytest.mark.parametrize("year", YEARS)
def test_4a3_in_the_queries(reports, year):
    found = reports[year].deviations

    assert found.found is bool(DEVIATION_ROWS[year])
    assert found.detected.count == len(DEVIATION_ROWS[year])
    assert tuple(
        (d.type, d.tier, d.country, d.measures, d.measures_text, d.status, d.severity,
         d.detected_date)
        for d in found.detected.rows
    ) == DEVIATION_ROWS[year]
    assert tuple(d.ehn_status for d in found.detected.rows) == EHN_STATUSES[year]
    assert found.detected.by_type_tier == BY_TYPE_TIER[year]
    assert found.earlier_open.count == EARLIER_OPEN[year]
    assert found.earlier_open.rows == ()
    assert found.proposed == PROPOSED[year]


def test_4a3_groups_in_the_queries(reports):
    groups = reports[2024].deviations.detected.groups

    # The two P-SD rows differ in country (Bangladesh, China): no two rows are equal.
    assert tuple(
        (g.type, g.tier, g.country, g.measures, g.ehn_status, g.count) for g in groups
    ) == (
        ("FORCED", "T3", "CN", ("DIALOGUE", "SUSPEND"), "escalated", 1),
        ("P-SD", "T1", "BD", ("CAP", "TRAINING"), "closed", 1),
        ("P-SD", "T1", "CN", ("CAP",), "being_handled", 1),
        ("WAGES", "T3", "EC", ("REAUDIT", "REMEDY"), "being_remedied", 1),
    )
    assert reports[2023].deviations.detected.groups == ()


def test_4a3_rows_on_the_2024_page(pages):
    page = page_of(pages, 2024)
    body = pages.text["/reports?year=2024"]

    question = tr("Have deviations from the ethical and social requirements been identified among "
                  "actors in the supply chain in the reporting year?")
    assert f"{question} {tr('Yes')}" in body
    assert ntr("%(num)s deviation identified in %(year)s",
                    "%(num)s deviations identified in %(year)s", 4, year=2024) in body
    assert page.tables["caption-4a3"] == [
        [tr(DEVIATION_TYPES[type_]), where(tier, country),
         " ".join(filter(None, (measures(codes), measures_text))),
         tr(EHN_TEXTS[ehn]), DETECTED_NB[detected]]
        for (type_, tier, country, codes, measures_text, _status, _severity, detected), ehn
        in zip(DEVIATION_ROWS[2024], ehn_on_31_12(EHN_STATUSES[2024]), strict=True)
    ]
    assert "caption-4a3-earlier" not in page.tables
    assert tr("No deviations from earlier years were open in the year.") in body


def test_4a3_groups_on_the_2024_page(pages):
    page = pages.parsed["/reports?year=2024&view=grouped"]

    assert page.tables["caption-4a3"] == [
        [tr(DEVIATION_TYPES["FORCED"]), where("T3", "CN"), measures(("DIALOGUE", "SUSPEND")),
         tr("Escalated"), "1"],
        # Closed on 20.3.2025: not yet on 31.12.2024, the day the page is as of.
        [tr(DEVIATION_TYPES["P-SD"]), where("T1", "BD"), measures(("CAP", "TRAINING")),
         tr("Identified, not started"), "1"],
        [tr(DEVIATION_TYPES["P-SD"]), where("T1", "CN"), measures(("CAP",)),
         tr("Being handled"), "1"],
        [tr(DEVIATION_TYPES["WAGES"]), where("T3", "EC"), measures(("REAUDIT", "REMEDY")),
         tr("Being remedied"), "1"],
    ]


def test_2023_page_answers_no_deviations(pages):
    page = page_of(pages, 2023)
    body = pages.text["/reports?year=2023"]

    question = tr("Have deviations from the ethical and social requirements been identified among "
                  "actors in the supply chain in the reporting year?")
    assert f"{question} {tr('No')}" in body
    assert tr("No deviations were found in the reporting year.") in body
    assert tr("No deviations from earlier years were open in the year.") in body
    assert "caption-4a3" not in page.tables


@pytest.mark.parametrize("year", YEARS)
def test_4a3_in_the_json(pages, year):
    found = pages.documents[year]["deviations_4a3"]

    assert found["found"] is bool(DEVIATION_ROWS[year])
    assert found["count"] == len(DEVIATION_ROWS[year])
    assert [
        (r["type"], r["tier"], r["country"], tuple(r["measures"]), r["measures_text"],
         r["status"], r["severity"], date.fromisoformat(r["detected_date"]))
        for r in found["rows"]
    ] == on_31_12(DEVIATION_ROWS[year])
    assert [r["ehn_status"] for r in found["rows"]] == ehn_on_31_12(EHN_STATUSES[year])
    assert [(t["type"], t["tier"], t["count"]) for t in found["by_type_and_tier"]] == list(
        BY_TYPE_TIER[year])
    assert found["earlier_open"]["count"] == EARLIER_OPEN[year]
    assert (found["none_sentence"] is None) is bool(DEVIATION_ROWS[year])


# 2.A.2


@pytest.mark.parametrize("year", YEARS)
def test_2a2_in_the_queries(reports, year):
    rows = reports[year].requirements

    assert tuple(
        (r.reference, r.kind, r.suppliers, r.qualification_requirement, r.award_criterion,
         r.contract_condition) for r in rows
    ) == REQUIREMENTS
    assert tuple(r.name_nb for r in rows) == REQUIREMENT_NAMES


@pytest.mark.parametrize("year", YEARS)
def test_2a2_on_the_page(pages, year):
    assert page_of(pages, year).tables["caption-2a2"] == [
        [name, tr(KINDS[kind]), str(suppliers), yes_no(qualification), yes_no(award),
         yes_no(condition)]
        for name, (_ref, kind, suppliers, qualification, award, condition)
        in zip(REQUIREMENT_NAMES, REQUIREMENTS, strict=True)
    ]


@pytest.mark.parametrize("year", YEARS)
def test_2a2_in_the_json(pages, year):
    assert [
        (r["reference"], r["kind"], r["suppliers"], r["qualification_requirement"],
         r["award_criterion"], r["contract_condition"])
        for r in pages.documents[year]["requirements_2a2"]
    ] == list(REQUIREMENTS)


@pytest.mark.parametrize("year", YEARS)
def test_2a3_lists_the_six_priority_risks(reports, pages, year):
    # portal.demo.RISKS: the six risks of the municipality's report.
    assert len(reports[year].risks) == 6
    assert len(page_of(pages, year).tables["caption-2a3"]) == 6


# Traffic lights and the other charts


@pytest.mark.parametrize("year", YEARS)
def test_traffic_lights_in_the_queries(reports, year):
    assert tuple(
        (t.category, t.green, t.yellow, t.red, t.none) for t in reports[year].traffic_lights
    ) == LIGHTS[year]


@pytest.mark.parametrize("year", YEARS)
def test_traffic_lights_are_the_inbox_lights(inbox, year):
    assert inbox[year] == {category: (green, yellow, red, none)
                           for category, green, yellow, red, none in LIGHTS[year]}


@pytest.mark.parametrize("year", YEARS)
def test_traffic_lights_on_the_page(pages, year):
    assert page_of(pages, year).tables["chart-lights-caption"] == [
        [tr(CATEGORIES[category]),
         *(str(n) for n in (green, yellow, red, none, green + yellow + red + none))]
        for category, green, yellow, red, none in LIGHTS_ON_31_12[year]
    ]


@pytest.mark.parametrize("year", YEARS)
def test_traffic_lights_in_the_json(pages, year):
    assert [
        (t["dfo_category"], t["green"], t["yellow"], t["red"], t["none"])
        for t in pages.documents[year]["traffic_lights"]
    ] == list(LIGHTS_ON_31_12[year])


@pytest.mark.parametrize("year", YEARS)
def test_questionnaire_chart_on_the_page(pages, year):
    assert page_of(pages, year).tables["chart-responses-caption"] == [
        [response_status(code), str(n)]
        for code, n in zip(STATUS_CODES, FOLLOW_UP[year].by_status, strict=True)
    ]


def test_deviation_charts_on_the_2024_page(pages):
    page = page_of(pages, 2024)

    # By type, most first: the two P-SD rows, then FORCED and WAGES (by code).
    assert page.tables["chart-types-caption"] == [
        [tr(DEVIATION_TYPES["P-SD"]), "2"], [tr(DEVIATION_TYPES["FORCED"]), "1"],
        [tr(DEVIATION_TYPES["WAGES"]), "1"],
    ]
    # By place: the two P-SD rows at final production, WAGES and FORCED at raw materials.
    assert page.tables["chart-tiers-caption"] == [[tr(TIERS["T1"]), "2"], [tr(TIERS["T3"]), "2"]]


def test_2023_page_has_no_deviation_chart_rows(pages):
    page = page_of(pages, 2023)

    for caption in ("chart-types-caption", "chart-tiers-caption"):
        assert page.tables[caption] == [[tr("No data for the year.")]]


# Consistency checks


@pytest.mark.parametrize("year", YEARS)
def test_warnings_in_the_queries(reports, year):
    assert tuple((w.code, w.numbers) for w in reports[year].warnings) == WARNINGS[year]


def warning_text(code: str, numbers: dict[str, int]) -> str:
    """The Norwegian sentence of a warning (the msgids of portal/reports/texts.py)."""
    if code == "suppliers_below_agreements":
        return tr(
            "4.A.2 counts %(suppliers)s suppliers, fewer than the %(agreements)s agreements "
            "with follow-up, although every one of those agreements has a supplier. This happens "
            "when one supplier is followed up on several agreements. Make sure the report gives "
            "the number of suppliers in 4.A.2 and the number of agreements in the key "
            "information.",
            suppliers=str(numbers["suppliers"]), agreements=str(numbers["agreements"]),
        )
    if code == "proposed_unconfirmed":
        return ntr(
            "%(num)s proposed deviation detected in the year has not been confirmed or "
            "discarded. It is not counted in 4.A.3 until a reviewer confirms it.",
            "%(num)s proposed deviations detected in the year have not been confirmed or "
            "discarded. They are not counted in 4.A.3 until a reviewer confirms them.",
            numbers["proposed"],
        )
    if code == "unreviewed_submissions":
        return ntr(
            "%(num)s questionnaire of the year has waited more than %(days)s days for review.",
            "%(num)s questionnaires of the year have waited more than %(days)s days for review.",
            numbers["responses"], days=str(numbers["days"]),
        )
    assert code == "unanswered_without_pdoc"
    return ntr(
        "%(num)s questionnaire of the year was not answered by its deadline, and the supplier has "
        "no deviation of the type \"Failure to answer or document by the deadline\".",
        "%(num)s questionnaires of the year were not answered by their deadline, and the "
        "suppliers have no deviation of the type \"Failure to answer or document by the "
        "deadline\".",
        numbers["responses"],
    )


@pytest.mark.parametrize("year", YEARS)
def test_warnings_on_the_page(pages, year):
    page = page_of(pages, year)

    # Each warning that counts records links to them ("Which ones?").
    assert page.warnings == [
        warning_text(code, numbers) + (" " + tr("Which ones?") if code in records.CODES else "")
        for code, numbers in WARNINGS[year]]
    assert tr("Check before you publish") in pages.text[f"/reports?year={year}"]


@pytest.mark.parametrize("year", YEARS)
def test_warnings_in_the_json(pages, year):
    assert tuple(
        (w["code"], w["numbers"]) for w in pages.documents[year]["warnings"]
    ) == WARNINGS[year]


# The last five years


@pytest.mark.parametrize("year", YEARS)
def test_five_years_in_the_queries(reports, year):
    shown = [y for y in FIVE_YEARS if y <= year]

    assert tuple(
        (y.year, y.active_agreements, y.agreements_with_follow_up, y.suppliers_followed_up,
         y.activities, y.deviations, tuple(n for _s, n in y.responses))
        for y in reports[year].five_years
    ) == tuple((y, *FIVE_YEARS[y]) for y in shown)


@pytest.mark.parametrize("year", YEARS)
def test_five_years_on_the_page(pages, year):
    shown = [y for y in FIVE_YEARS if y <= year]
    rows = page_of(pages, year).tables["caption-five"]

    columns = [FIVE_YEARS[y] for y in shown]
    assert [row[0] for row in rows] == [
        tr("Active agreements"), tr("Agreements with contract follow-up"),
        tr("Suppliers followed up (4.A.2)"), tr("Follow-up activities"),
        tr("Deviations identified (4.A.3)"), tr("Questionnaires sent"),
        *(response_status(code) for code in STATUS_CODES),
    ]
    assert [[number(cell) for cell in row[1:]] for row in rows] == [
        *([c[i] for c in columns] for i in range(5)),
        [sum(c[5]) for c in columns],
        *([c[5][i] for c in columns] for i in range(len(STATUS_CODES))),
    ]


# 4.A.1: the draft's figures


@pytest.mark.parametrize("year", YEARS)
def test_4a1_staff_in_the_queries(reports, year):
    assert tuple(
        (s.role, s.job_title, s.people, s.activities) for s in reports[year].staff
    ) == STAFF[year]


@pytest.mark.parametrize("year", YEARS)
def test_4a1_draft_on_the_page(pages, year):
    draft = page_of(pages, year).textarea
    expected = FOLLOW_UP[year]
    invited, submitted, accepted, not_answered = expected.funnel

    ((_role, title, people, activities),) = STAFF[year]
    who = ntr("%(title)s (%(num)s person)", "%(title)s (%(num)s people)", people, title=title)
    # The staff sentence and the methods list count the same activities: the buyer's own.
    assert activities == sum(n for _kind, n, _s in expected.by_method)
    assert ntr(
        "In %(year)s, %(num)s follow-up activity of our own was recorded in Aktsom, by: %(who)s.",
        "In %(year)s, %(num)s follow-up activities of our own were recorded in Aktsom, by: %(who)s.",
        activities, year=year, who=who,
    ) in draft
    assert tr(
        "Our own follow-up in %(year)s by method, with the number of times: %(methods)s.",
        year=year,
        methods="; ".join(f"{tr(METHODS[kind])} ({n})" for kind, n, _s in expected.by_method),
    ) in draft
    assert tr(
        "Follow-up round %(year)s: questionnaires sent to suppliers: %(sent)s; answered and "
        "submitted: %(received)s; reviewed and accepted: %(reviewed)s; not answered by the "
        "deadline: %(missing)s.",
        year=year, sent=invited, received=submitted, reviewed=accepted, missing=not_answered,
    ) in draft
    # No claim the data cannot back: no organisational unit named, no method not recorded.
    assert "Innkjøpsseksjonen" not in draft
    assert tr("no longer have a staff account") not in draft
    assert tr(
        "Suppliers followed up in %(year)s (4.A.2): %(suppliers)s. Agreements with contract "
        "follow-up: %(agreements)s. Deviations identified in %(year)s (4.A.3): %(deviations)s.",
        year=year, suppliers=expected.suppliers, agreements=expected.agreements,
        deviations=len(DEVIATION_ROWS[year]),
    ) in draft
