"""Every page type of the portal, in the states worth checking, with the records they show.

Shared by the axe test (tests/browser/test_accessibility.py) and the pa11y-ci run
(tests/browser/test_pa11y.py). ``prepare_screens`` builds on the demo data: it adds an
English-speaking account for each role, fills one open response (with one invalid answer
for the error state) and returns the ids that the paths below refer to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from portal import clock
from portal.extensions import db
from portal.models import (
    Agreement,
    Deviation,
    FollowUpActivity,
    FollowUpRound,
    PriorityRisk,
    QuestionnaireVersion,
    Response,
    Role,
    Supplier,
    User,
)
from tests.browser.helpers import ADMIN, REVIEWER, SUPPLIER

#: (role, language) → the account that signs in. The English ones are made by prepare_screens.
ACCOUNTS = {
    ("admin", "nb"): ADMIN,
    ("reviewer", "nb"): REVIEWER,
    ("supplier", "nb"): SUPPLIER,
    ("admin", "en"): "admin-en@kommune.example",
    ("reviewer", "en"): "reviewer-en@kommune.example",
    ("supplier", "en"): "supplier-en@arbeidsklaer.example",
}
SECTIONS = "ABCDEFGHI"


@dataclass(frozen=True)
class Screen:
    """One page in one state: ``path`` is formatted with the ids; ``press`` is the message id
    of a button to press for the state (a form sent empty shows its errors)."""

    name: str
    role: str  # "anonymous", "supplier", "reviewer" or "admin"
    path: str
    press: str | None = None
    status: int = 200
    en: bool = True  # also in English (states that only repeat a template run in Norwegian)

    def url(self, ids: dict[str, Any]) -> str:
        return self.path.format(**ids)


def _screens() -> list[Screen]:
    s: list[Screen] = [
        # Anyone
        Screen("login", "anonymous", "/login"),
        Screen("login-errors", "anonymous", "/login", press="Sign in"),
        Screen("forgot-password", "anonymous", "/password/forgot"),
        Screen("forgot-password-errors", "anonymous", "/password/forgot", press="Send reset link", en=False),
        Screen("reset-password", "anonymous", "/password/reset/{reset_token}"),
        Screen("reset-password-errors", "anonymous", "/password/reset/{reset_token}", press="Save new password", en=False),
        Screen("link-invalid", "anonymous", "/password/reset/not-a-token", status=404),
        Screen("organisation-sign-in", "anonymous", "/login/organisation"),
        Screen("organisation-sign-in-errors", "anonymous", "/login/organisation", press="Continue", en=False),
        Screen("accept-invitation", "anonymous", "/invitation/{invitation_token}"),
        Screen("accept-invitation-errors", "anonymous", "/invitation/{invitation_token}", press="Save and sign in", en=False),
        Screen("accessibility-statement", "anonymous", "/accessibility"),
        Screen("privacy-statement", "anonymous", "/privacy"),
        Screen("not-found", "anonymous", "/finnes-ikke", status=404),
        # Supplier
        Screen("supplier-home", "supplier", "/company/"),
        Screen("invite-colleague", "supplier", "/company/invite"),
        Screen("company-details", "supplier", "/company/details"),
        Screen("deactivate-colleague", "supplier", "/company/colleagues/{invited_colleague}/deactivate"),
        Screen("invite-colleague-errors", "supplier", "/company/invite", press="Send invitation", en=False),
        Screen("profile", "supplier", "/profile"),
        Screen("privacy-statement-signed-in", "supplier", "/privacy", en=False),
        Screen("profile-password-errors", "supplier", "/profile", press="Change password", en=False),
        Screen("response-not-started", "supplier", "/responses/{open_response}"),
        Screen("response-filled", "supplier", "/responses/{filled_response}"),
        Screen("response-accepted", "supplier", "/responses/{accepted_response}"),
        Screen("response-returned", "supplier", "/responses/{returned_response}"),
        Screen("check-your-answers", "supplier", "/responses/{filled_response}/submit"),
        Screen("check-submit-errors", "supplier", "/responses/{open_response}/submit", press="Submit the response"),
        Screen("check-submit-ready", "supplier", "/responses/{returned_response}/submit"),
        # Each section filled in (C has an invalid answer: its error summary), read-only once
        # submitted, and empty where emptiness changes the page (tables, references).
        *[Screen(f"section-{x}-filled", "supplier", f"/responses/{{filled_response}}/sections/{x}") for x in SECTIONS],
        *[Screen(f"section-{x}-read-only", "supplier", f"/responses/{{accepted_response}}/sections/{x}",
                 en=x in "CH") for x in SECTIONS],
        *[Screen(f"section-{x}-empty", "supplier", f"/responses/{{open_response}}/sections/{x}", en=x == "H")
          for x in "ACH"],
        Screen("section-C-returned", "supplier", "/responses/{returned_response}/sections/C"),
        Screen("section-H-returned", "supplier", "/responses/{returned_response}/sections/H", en=False),
        # Company answers (issue 14): filled once a year, shown read-only in every response of it.
        Screen("company-answers", "supplier", "/company/answers/"),
        Screen("company-answers-year", "supplier", "/company/answers/2026/{company_version}"),
        Screen("company-answers-section", "supplier", "/company/answers/2026/{company_version}/sections/B"),
        Screen("company-answers-copy", "supplier", "/company/answers/2026/{company_version}/copy", en=False),
        Screen("section-B-company-read-only", "supplier", "/responses/{company_response}/sections/B", en=False),
        Screen("supplier-deviations", "supplier", "/deviations"),
        Screen("supplier-deviation-plan", "supplier", "/deviations/{supplier_deviation}"),
        Screen("supplier-deviation-plan-errors", "supplier", "/deviations/{supplier_deviation}", press="Send the plan", en=False),
        Screen("not-found-signed-in", "supplier", "/responses/999999", status=404, en=False),
        # Reviewer
        Screen("staff-home", "reviewer", "/"),
        Screen("two-factor-setup", "reviewer", "/profile/two-factor"),  # staff only
        Screen("rounds", "reviewer", "/rounds"),
        Screen("round", "reviewer", "/rounds/{round}"),
        Screen("extend-deadline", "reviewer", "/responses/{open_response}/deadline"),
        Screen("extend-deadline-errors", "reviewer", "/responses/{open_response}/deadline", press="Extend the deadline", en=False),
        Screen("questionnaires", "reviewer", "/questionnaires"),
        Screen("questionnaire-preview", "reviewer", "/questionnaires/{version}"),
        Screen("questionnaire-preview-simplified", "reviewer", "/questionnaires/{version}?variant=simplified", en=False),
        Screen("suppliers", "reviewer", "/admin/suppliers"),
        Screen("supplier", "reviewer", "/admin/suppliers/{supplier}"),
        Screen("agreements", "reviewer", "/admin/agreements"),
        Screen("agreement", "reviewer", "/admin/agreements/{agreement}"),
        Screen("risks", "reviewer", "/admin/risks"),
        Screen("review-inbox", "reviewer", "/review"),
        Screen("review-inbox-all-by-light", "reviewer", "/review?status=all&sort=-light&q=AS"),
        Screen("review-inbox-bulk-errors", "reviewer", "/review?status=all", press="Extend the deadline"),
        Screen("review-submitted", "reviewer", "/review/responses/{submitted_response}"),
        Screen("review-return-errors", "reviewer", "/review/responses/{submitted_response}",
               press="Return for clarification"),
        Screen("review-accepted", "reviewer", "/review/responses/{accepted_response}"),
        Screen("review-changes-only", "reviewer", "/review/responses/{resubmitted_response}?changes=only"),
        Screen("review-one-part", "reviewer", "/review/responses/{resubmitted_response}?part=C"),
        Screen("review-returned", "reviewer", "/review/responses/{returned_response}"),
        Screen("response-history", "reviewer", "/review/responses/{accepted_response}/history"),
        Screen("response-staff-view", "reviewer", "/responses/{accepted_response}/sections/C", en=False),
        Screen("deviations", "reviewer", "/deviations"),
        Screen("deviation", "reviewer", "/deviations/{staff_deviation}"),
        Screen("deviation-status-errors", "reviewer", "/deviations/{staff_deviation}", press="Change status", en=False),
        Screen("deviation-documents-errors", "reviewer", "/deviations/{staff_deviation}", press="Attach files",
               en=False),
        Screen("deviation-proposed", "reviewer", "/deviations/{proposed_deviation}"),
        Screen("deviation-new", "reviewer", "/deviations/new?response={accepted_response}&question=C5"),
        Screen("deviation-new-errors", "reviewer", "/deviations/new?response={accepted_response}&question=C5",
               press="Save deviation"),
        Screen("deviation-edit", "reviewer", "/deviations/{staff_deviation}/edit"),
        Screen("activities", "reviewer", "/review/activities"),
        Screen("activity", "reviewer", "/review/activities/{activity}"),
        Screen("activity-new", "reviewer", "/review/activities/new"),
        Screen("activity-new-errors", "reviewer", "/review/activities/new", press="Record activity"),
        Screen("report", "reviewer", "/reports?year=2024"),
        Screen("report-grouped", "reviewer", "/reports?year=2024&view=grouped", en=False),
        Screen("report-empty-year", "reviewer", "/reports?year={this_year}"),
        # Administrator
        Screen("users", "admin", "/admin/users"),
        Screen("organisation", "admin", "/admin/organisation"),
        Screen("agreement-admin", "admin", "/admin/agreements/{agreement}", en=False),
        Screen("supplier-admin", "admin", "/admin/suppliers/{supplier}", en=False),
        Screen("suppliers-archived", "admin", "/admin/suppliers?archived=1", en=False),
        Screen("user", "admin", "/admin/users/{user}"),
        # The demo reviewer manages agreements with responses waiting: the new-owner question shows.
        Screen("user-erase", "admin", "/admin/users/{user}/erase"),
        Screen("user-erase-errors", "admin", "/admin/users/{user}/erase", press="Erase this person", en=False),
        Screen("invite-user", "admin", "/admin/users/invite"),
        Screen("invite-user-errors", "admin", "/admin/users/invite", press="Send invitation"),
        Screen("sign-in-settings", "admin", "/admin/sign-in"),
        Screen("sign-in-settings-errors", "admin", "/admin/sign-in", press="Save", en=False),
        Screen("supplier-new", "admin", "/admin/suppliers/new"),
        Screen("supplier-new-errors", "admin", "/admin/suppliers/new", press="Save supplier"),
        Screen("supplier-edit", "admin", "/admin/suppliers/{supplier}/edit", en=False),
        Screen("agreement-new", "admin", "/admin/agreements/new"),
        Screen("agreement-new-errors", "admin", "/admin/agreements/new", press="Save agreement", en=False),
        Screen("agreement-edit", "admin", "/admin/agreements/{agreement}/edit", en=False),
        Screen("risk-new", "admin", "/admin/risks/new"),
        Screen("risk-new-errors", "admin", "/admin/risks/new", press="Save risk", en=False),
        Screen("risk-edit", "admin", "/admin/risks/{risk}/edit", en=False),
        Screen("round-new", "admin", "/rounds/new"),
        Screen("round-new-errors", "admin", "/rounds/new", press="Create round"),
        Screen("round-admin", "admin", "/rounds/{round}"),
        Screen("round-add-agreement-errors", "admin", "/rounds/{round}", press="Add agreement", en=False),
        # The preview before adding agreements: by rule (a mix of new and skipped), and one agreement.
        Screen("round-add-preview", "admin", "/rounds/{round}/agreements/preview?rule=contract_condition"),
        Screen("round-add-preview-one", "admin", "/rounds/{round}/agreements/preview?agreement_id={agreement}",
               en=False),
        Screen("questionnaire-import", "admin", "/questionnaires/import"),
        Screen("questionnaire-import-errors", "admin", "/questionnaires/import", press="Import", en=False),
        Screen("audit-log", "admin", "/review/audit"),
    ]
    return s


SCREENS = _screens()


def _response(year: int, reference: str, supplier: str | None = None) -> Response:
    query = (
        select(Response).join(Response.round).join(Response.agreement)
        .where(FollowUpRound.year == year, Agreement.reference == reference)
    )
    if supplier:
        query = query.join(Response.supplier).where(Supplier.name == supplier)
    response = db.session.scalars(query).first()
    assert response is not None, (year, reference)
    return response


def prepare_screens() -> dict[str, Any]:
    """Add the English accounts and the response states to the demo data; return the ids."""
    from portal.auth import services as accounts
    from portal.demo_followup import _fill
    from portal.models import Answer
    from portal.tokens import INVITATION, PASSWORD_RESET, make_token

    users = {u.email: u for u in db.session.scalars(select(User))}
    admin = users[ADMIN]
    for (role, lang), email in ACCOUNTS.items():
        if lang != "en":
            continue
        twin = users[ACCOUNTS[(role, "nb")]]
        db.session.add(User(email=email, name=f"{twin.name} (en)", role=twin.role, supplier=twin.supplier,
                            buyer_id=twin.buyer_id, password_hash=twin.password_hash, locale="en",
                            job_title=twin.job_title))

    year = clock.today().year
    open_response = _response(2026, "LK-2021-0155")
    filled = _response(2026, "LK-2021-0156")
    _fill(filled, users[SUPPLIER], clock.today(), seed=21)
    # One answer that cannot be right: section C shows its error summary.
    c6 = next(a for a in filled.answers if a.question_id == "C6") if any(
        a.question_id == "C6" for a in filled.answers) else None
    if c6 is None:
        filled.answers.append(Answer(question_id="C6", value={"answer": "mange"}, updated_by=users[SUPPLIER]))
    else:
        c6.value = {"answer": "mange"}

    invited = accounts.invite_user("ny.kollega@arbeidsklaer.example", role=Role.SUPPLIER,
                                   supplier=open_response.supplier, locale="nb", name="Ny Kollega",
                                   actor=admin)
    db.session.flush()
    deviations = list(db.session.scalars(select(Deviation).order_by(Deviation.id)))
    supplier_deviation = next(d for d in deviations if d.supplier_id == open_response.supplier_id
                              and d.status == "AWAITING_CAP")
    staff_deviation = next(d for d in deviations if d.status == "IN_PROGRESS")
    proposed = next(d for d in deviations if d.is_proposed)
    ids = {
        "open_response": open_response.id,
        "filled_response": filled.id,
        "accepted_response": _response(2024, "LK-2021-0155").id,
        "returned_response": _response(2024, "LK-2021-0156").id,
        "submitted_response": _response(2024, "LK-2023-0112", "Solfanger Energi AS (demo)").id,
        "resubmitted_response": _response(2024, "LK-2022-0020").id,
        "supplier_deviation": supplier_deviation.id,
        "staff_deviation": staff_deviation.id,
        "proposed_deviation": proposed.id,
        "round": open_response.round_id,
        "version": db.session.scalars(select(QuestionnaireVersion.id)).first(),
        "company_response": _response(2026, "FK-2024-0007").id,
        "company_version": db.session.scalar(select(QuestionnaireVersion.id)
                                             .where(QuestionnaireVersion.version == "2026.2")),
        "supplier": open_response.supplier_id,
        "agreement": open_response.agreement_id,
        "risk": db.session.scalars(select(PriorityRisk.id).order_by(PriorityRisk.position)).first(),
        "activity": db.session.scalars(select(FollowUpActivity.id).order_by(FollowUpActivity.id)).first(),
        "user": users[REVIEWER].id,
        "this_year": year,
        "reset_token": make_token(PASSWORD_RESET, users[REVIEWER]),
        "invitation_token": make_token(INVITATION, invited),
        "invited_colleague": invited.id,
    }
    db.session.commit()
    return ids
