"""A joint agreement in the browser: the cooperation reviews, a member municipality reads.

The cooperation's reviewer accepts the review of the joint workwear agreement; Lillestrøm's
reviewer then sees the agreement and the accepted review read-only (no review or edit
actions) and finds the supplier counted in the municipality's 2024 chapter 4 as joint
follow-up led by the cooperation. Only the demo data is made in Python.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect
from sqlalchemy import select

from portal.demo import JOINT_REFERENCE
from portal.models import Agreement, Response
from tests.browser.helpers import REVIEWER, accept_response, login, logout, tr

COOPERATION = "Innkjøpssamarbeidet Romerike og Fjord (demo)"
COOPERATION_REVIEWER = "fagansvarlig@innkjopssamarbeid.example"


def test_the_cooperation_accepts_and_a_member_reads_and_counts_it(page: Page, demo_world: Any) -> None:
    page.set_default_timeout(15_000)
    agreement_id = demo_world.session.scalar(
        select(Agreement.id).where(Agreement.reference == JOINT_REFERENCE))
    response_id = demo_world.session.scalar(
        select(Response.id).where(Response.agreement_id == agreement_id))

    # The lead reviews.
    login(page, COOPERATION_REVIEWER)
    page.goto(f"/review/responses/{response_id}")
    accept_response(page, "nb")
    expect(page.get_by_role("button", name=tr("nb", "Accept the response"), exact=True)).to_have_count(0)
    logout(page)

    # A participant reads, and changes nothing.
    login(page, REVIEWER)
    page.goto(f"/admin/agreements/{agreement_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Arbeidsklær – felles rammeavtale")
    expect(page.get_by_text(tr("nb", "Joint agreement led by %(buyer)s. You see its follow-up read-only; "
                                     "it counts in your year report as joint follow-up.",
                               buyer=COOPERATION))).to_be_visible()
    expect(page.get_by_role("link", name=tr("nb", "Edit agreement"))).to_have_count(0)

    page.goto(f"/review/responses/{response_id}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("button", name=tr("nb", "Accept the response"), exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile(tr("nb", "Save"), re.I))).to_have_count(0)
    assert "Sjekket mot revisjonsrapporten." not in page.content()  # the lead's internal note

    page.goto("/reports?year=2024")
    joint = tr("nb", "Joint follow-up led by %(buyer)s", buyer=COOPERATION)
    methods = page.get_by_role("table", name=tr("nb", "Follow-up activities by method"))
    expect(methods.get_by_role("row", name=re.compile(re.escape(joint)))).to_be_visible()
    agreements = page.get_by_role("table", name=tr("nb", "Suppliers followed up per agreement"))
    expect(agreements.get_by_role("row", name=re.compile(JOINT_REFERENCE))).to_contain_text(joint)
    logout(page)
