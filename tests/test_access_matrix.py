"""Who may reach what: every endpoint in ``app.url_map`` × every kind of visitor.

HOW TO ADD AN ENDPOINT (a new route fails ``test_every_endpoint_is_in_the_matrix`` until you do)

1. Add an entry to ``MATRIX`` keyed by the endpoint name (``"area.verb_noun"``, as for ``url_for``).
   Start from a shortcut (``public``, ``signed_in``, ``supplier_only``, ``staff``, ``admin_only``)
   or write a ``Spec`` out in full; every actor needs an outcome.
2. ``url`` is ``lambda w, s: ...``: ``w`` is the ``World``, ``s`` the ``Side`` (one supplier
   with its records) whose ids go into the URL. The visitor is always signed in as supplier A's
   user (or as staff, or not at all); ``supplier_foreign`` is the same user asking for supplier
   B's records, so build every id from ``s``, never from ``w.a`` or ``w.b`` directly.
3. If the route needs a record the world does not have yet, add a field to ``Side`` (or
   ``World``) and create it in ``build_world`` for both sides.
4. Routes that take the id of a record owned by a supplier set ``owned=True``; if the owner may
   open it, ``supplier_foreign`` must then be ``HIDDEN`` (404: another supplier's record is
   not even admitted to exist). ``test_foreign_records_are_hidden`` enforces that.
5. Pages are requested with GET and must give exactly the outcome; POST-only endpoints are
   sent a valid CSRF token and an empty form, and only the access decision is checked
   (``ALLOWED`` = neither sent to sign in nor 401/403/404).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from portal import clock
from portal.models import (
    Agreement,
    Attachment,
    Deviation,
    DeviationUpdate,
    EvidenceFile,
    FollowUpActivity,
    FollowUpRound,
    PriorityRisk,
    ProductionSite,
    PublishedReport,
    PublishedReportFile,
    QuestionnaireVersion,
    Response,
    Submission,
    Supplier,
    User,
)
from tests.auth.helpers import isolate_requests, location, sign_in
from tests.conftest import csrf_token

ACTORS = ("anonymous", "supplier_own", "supplier_foreign", "reviewer", "admin")
GARBAGE_TOKEN = "not-a-real-token.abc.def"


@dataclass(frozen=True)
class Outcome:
    """What a visitor gets: an exact status (and redirect path), or just "allowed"."""

    status: int | None
    to: str | None = None

    def check(self, response: Any) -> None:
        if self.status is None:
            assert response.status_code not in (401, 403, 404), response.status_code
            if response.status_code == 302:
                assert not location(response).startswith("/login?"), location(response)
            return
        assert response.status_code == self.status
        if self.to is not None:
            assert location(response).split("?")[0] == self.to


OK = Outcome(200)
LOGIN = Outcome(302, "/login")  # anonymous visitors are sent to sign in
DENIED = Outcome(403)  # a role that may not use the route at all
HIDDEN = Outcome(404)  # another supplier's record, or an unknown token
ALLOWED = Outcome(None)


def redirect(to: str) -> Outcome:
    return Outcome(302, to)


@dataclass
class Side:
    """One supplier with its own records."""

    supplier: Supplier
    user: User  # an active supplier user
    invitee: User  # invited, has not yet set a password
    agreement: Agreement
    response: Response  # in progress, with a stored evidence file and an earlier submission
    evidence: EvidenceFile
    submission: Submission
    earlier: Submission  # last year's submission of the same agreement: one to copy answers from
    deviation: Deviation  # confirmed, visible to its supplier
    deviation_file: Attachment  # on an update the supplier may see
    proposal: Deviation  # proposed from the response: staff only
    activity: FollowUpActivity
    activity_file: Attachment
    # The supplier's accepted response to another buyer (its source buyer), shared with this
    # world's buyer, with a file in the shared submission.
    share: Any
    shared_file: EvidenceFile
    site: ProductionSite  # in the site register of the round's year
    company_file: EvidenceFile  # in the company answers (issue 14) of the round's year, version 2026.2


@dataclass
class World:
    a: Side
    b: Side
    reviewer: User
    admin: User
    risk: PriorityRisk
    version: QuestionnaireVersion
    round: FollowUpRound
    published: PublishedReport  # the round's year, published, with a PDF and a CSV in nb
    platform: User  # the platform administrator (tests/test_platform.py covers its pages)
    partner: Any  # a buyer taking part in side a's agreement, a joint agreement
    company_version: QuestionnaireVersion  # 2026.2, with company questions: a round of it asks both sides

    def visitor(self, actor: str) -> User | None:
        return {"anonymous": None, "supplier_own": self.a.user, "supplier_foreign": self.a.user,
                "reviewer": self.reviewer, "admin": self.admin, "platform_admin": self.platform}[actor]

    def side_for(self, actor: str) -> Side:
        return self.b if actor == "supplier_foreign" else self.a


def build_world(make: Any, db: Any, names: tuple[str, str] = ("Alfa", "Beta")) -> World:
    from datetime import timedelta
    from io import BytesIO

    from portal import storage
    from portal.models import utcnow
    from portal.rounds.services import create_round, ensure_shipped_versions
    from portal.uploads import store_upload

    versions = ensure_shipped_versions()
    version = versions[0]
    company_version = next(v for v in versions if v.version == "2026.2")
    round_ = create_round(year=clock.today().year, name_nb="Oppfølging", name_en="Follow-up", version=version,
                          deadline=clock.today() + timedelta(days=1), actor=None,
                          buyer=make.default_buyer)
    last_round = create_round(year=round_.year - 1, name_nb="I fjor", name_en="Last year", version=version,
                              deadline=clock.today() - timedelta(days=300), actor=None, buyer=make.default_buyer)

    company_round = create_round(year=round_.year, name_nb="Oppfølging 2", name_en="Follow-up 2",
                                 version=company_version, deadline=round_.deadline, actor=None,
                                 buyer=make.default_buyer)

    # One source buyer for both sides (factories have six organisation numbers for buyers).
    source_buyer = make.buyer(name=f"Kildekommune {names[0]}")

    def side(name: str) -> Side:
        supplier = make.supplier(name=f"{name} AS")
        user = make.user(role="supplier", supplier=supplier, email=f"user@{name.lower()}.example")
        agreement = make.agreement(suppliers=[supplier], reference=f"LK-{name}")
        response = Response(round=round_, agreement=agreement, supplier=supplier, status="in_progress",
                            deadline=round_.deadline)
        stored = store_upload(BytesIO(b"%PDF-1.4\n%%EOF\n"), f"{name}.pdf")
        evidence = EvidenceFile(question_id="B1", part_id="file", original_name=stored.original_name,
                                stored_name=stored.stored_name, size=stored.size, sha256=stored.sha256,
                                mimetype=stored.mimetype, uploaded_by=user)
        response.files.append(evidence)
        receipt = storage.save(b"%PDF-1.4\n%%EOF\n", kind="receipts", content_type="application/pdf")
        submission = Submission(number=1, answers={}, files=[], submitted_by=user, receipt_name=receipt.key)
        response.submissions.append(submission)
        db.session.add(response)
        last_year = Response(round=last_round, agreement=agreement, supplier=supplier, status="accepted",
                             deadline=last_round.deadline)
        earlier = Submission(number=1, answers={"B4": {"answer": "Vi har en rutine."}}, files=[],
                             submitted_by=user)
        last_year.submissions.append(earlier)
        db.session.add(last_year)
        db.session.flush()
        deviation = Deviation(supplier_id=supplier.id, agreement_id=agreement.id, type="WAGES",
                              detected_date=clock.today(), status="NOTIFIED", description="Lønn",
                              internal_note=f"Intern merknad {name}")
        proposal = Deviation(supplier_id=supplier.id, agreement_id=agreement.id, response_id=response.id,
                             question_id="C5", type="P-TRANSP", detected_date=clock.today(), is_proposed=True)
        update = DeviationUpdate(kind="progress", text="Vedlegg")
        deviation.updates.append(update)
        deviation.updates.append(DeviationUpdate(kind="note", text=f"Internt notat {name}", is_internal=True))
        update.attachments.append(attachment("bevis.pdf"))
        activity = FollowUpActivity(kind="site_audit", date=clock.today(), agreement_id=agreement.id,
                                    supplier_id=supplier.id, notes=f"Interne notater {name}")
        activity.attachments.append(attachment("rapport.pdf"))
        site = ProductionSite(supplier_id=supplier.id, year=round_.year, name=f"{name} Factory", country="BD",
                              tier="T1")
        db.session.add_all([deviation, proposal, activity, site])
        share, shared_file = shared_with_this_buyer(name, supplier, user)
        from portal.models import CompanyAnswerSet

        db.session.add(Response(round=company_round, agreement=agreement, supplier=supplier, status="in_progress",
                                deadline=company_round.deadline))
        company = CompanyAnswerSet(supplier=supplier, year=company_round.year, questionnaire_version=company_version)
        stored = store_upload(BytesIO(b"%PDF-1.4\n%%EOF\n"), f"firma-{name}.pdf")
        company_file = EvidenceFile(question_id="B1", part_id="file", original_name=stored.original_name,
                                    stored_name=stored.stored_name, size=stored.size, sha256=stored.sha256,
                                    mimetype=stored.mimetype, uploaded_by=user)
        company.files.append(company_file)
        db.session.add(company)
        return Side(
            supplier=supplier, user=user,
            invitee=make.user(role="supplier", supplier=supplier, email=f"invited@{name.lower()}.example",
                              password_hash=None),
            agreement=agreement, response=response, evidence=evidence, submission=submission, earlier=earlier,
            deviation=deviation, deviation_file=update.attachments[0], proposal=proposal,
            activity=activity, activity_file=activity.attachments[0], site=site,
            share=share, shared_file=shared_file, company_file=company_file,
        )

    def shared_with_this_buyer(name: str, supplier: Supplier, user: User) -> tuple[Any, EvidenceFile]:
        from portal.models import ResponseShare

        source = source_buyer
        agreement = make.agreement(suppliers=[supplier], buyer=source, reference=f"KK-{name}")
        source_round = FollowUpRound(year=round_.year, name_nb="Kildens runde", name_en="Source round",
                                     questionnaire_version=version, buyer=source, deadline=round_.deadline)
        response = Response(round=source_round, agreement=agreement, supplier=supplier, status="accepted",
                            deadline=round_.deadline, accepted_at=utcnow())
        stored = store_upload(BytesIO(b"%PDF-1.4\n%%EOF\n"), f"delt-{name}.pdf")
        evidence = EvidenceFile(question_id="B1", part_id="file", original_name=stored.original_name,
                                stored_name=stored.stored_name, size=stored.size, sha256=stored.sha256,
                                mimetype=stored.mimetype, uploaded_by=user)
        response.files.append(evidence)
        db.session.add(response)
        db.session.flush()
        submission = Submission(number=1, answers={"B4": {"answer": "Vi har en rutine."}}, submitted_by=user,
                                files=[{"id": evidence.id, "question_id": "B1", "part_id": "file",
                                        "name": evidence.original_name, "size": evidence.size,
                                        "sha256": evidence.sha256, "tag": ""}])
        response.submissions.append(submission)
        db.session.flush()
        share = ResponseShare(buyer_id=make.default_buyer.id, supplier_id=supplier.id,
                              response_id=response.id, submission_id=submission.id, submission_number=1,
                              source_buyer_id=source.id, source_buyer_name=source.name,
                              granted_by_id=user.id)
        db.session.add(share)
        db.session.flush()
        return share, evidence

    def attachment(name: str) -> Attachment:
        stored = store_upload(BytesIO(b"%PDF-1.4\n%%EOF\n"), name)
        return Attachment(original_name=stored.original_name, stored_name=stored.stored_name,
                          size=stored.size, sha256=stored.sha256, mimetype=stored.mimetype)

    a, b = side(names[0]), side(names[1])
    partner = make.buyer(name=f"Deltakerkommune {names[0]}")
    a.agreement.participants.append(partner)
    published = PublishedReport(buyer=make.default_buyer, year=round_.year, version=1,
                                status_as_of=clock.today(), documents={"nb": {}, "en": {}},
                                exports_stored_at=utcnow())
    for fmt, name in (("pdf", ""), ("csv", "4a3")):
        stored = storage.save(b"%PDF-1.4\n%%EOF\n", kind="exports", content_type="application/pdf")
        published.files.append(PublishedReportFile(format=fmt, locale="nb", name=name,
                                                   stored_name=stored.key, size=stored.size or 0,
                                                   sha256=stored.sha256 or "", stored=stored))
    db.session.add(published)
    world = World(a=a, b=b, reviewer=make.user(role="reviewer"),
                  admin=make.user(role="admin"), risk=make.risk(), version=version, round=round_,
                  published=published, platform=make.user(role="platform_admin"), partner=partner,
                  company_version=company_version)
    db.session.commit()
    return world


@dataclass(frozen=True)
class Spec:
    url: Callable[[World, Side], str]
    anonymous: Outcome
    supplier_own: Outcome
    supplier_foreign: Outcome
    reviewer: Outcome
    admin: Outcome
    method: str = "GET"
    owned: bool = False


Url = Callable[[World, Side], str]


def _allowed(method: str) -> Outcome:
    return OK if method == "GET" else ALLOWED


def public(url: Url, method: str = "GET", outcome: Outcome | None = None) -> Spec:
    o = outcome or _allowed(method)
    return Spec(url, o, o, o, o, o, method=method)


def signed_in(url: Url, method: str = "GET") -> Spec:
    o = _allowed(method)
    return Spec(url, LOGIN, o, o, o, o, method=method)


def supplier_only(url: Url, method: str = "GET", owned: bool = False) -> Spec:
    o = _allowed(method)
    return Spec(url, LOGIN, o, HIDDEN if owned else o, DENIED, DENIED, method=method, owned=owned)


def staff(url: Url, method: str = "GET") -> Spec:
    o = _allowed(method)
    return Spec(url, LOGIN, DENIED, DENIED, o, o, method=method)


def admin_only(url: Url, method: str = "GET") -> Spec:
    return Spec(url, LOGIN, DENIED, DENIED, DENIED, _allowed(method), method=method)


def nobody_here(url: Url, method: str = "GET") -> Spec:
    """A page of the platform administrator: every other signed-in user is refused."""
    return Spec(url, LOGIN, DENIED, DENIED, DENIED, DENIED, method=method)


def supplier_action(url: Url) -> Spec:
    """A POST only the supplier makes, on its own record."""
    return Spec(url, LOGIN, ALLOWED, HIDDEN, DENIED, DENIED, method="POST", owned=True)


def owned_by_supplier(url: Url, method: str = "GET", staff_outcome: Outcome | None = None) -> Spec:
    """A supplier's own record: the owner may use it, another supplier gets 404, staff as given."""
    o = _allowed(method)
    staff_o = staff_outcome or o
    return Spec(url, LOGIN, o, HIDDEN, staff_o, staff_o, method=method, owned=True)


MATRIX: dict[str, Spec] = {
    # Open to everyone
    "main.accessibility": public(lambda w, s: "/accessibility"),
    "main.healthz": public(lambda w, s: "/healthz"),
    "main.livez": public(lambda w, s: "/livez"),
    "main.readyz": public(lambda w, s: "/readyz"),
    "main.set_language": public(lambda w, s: "/language/en?next=/accessibility", method="POST"),
    "privacy.privacy_statement": public(lambda w, s: "/privacy"),
    "main.index": Spec(lambda w, s: "/", anonymous=LOGIN, supplier_own=redirect("/company/"),
                       supplier_foreign=redirect("/company/"), reviewer=OK, admin=OK),
    "auth.login": Spec(lambda w, s: "/login", anonymous=OK, supplier_own=redirect("/company/"),
                       supplier_foreign=redirect("/company/"), reviewer=redirect("/"), admin=redirect("/")),
    # Without a password step in progress, the second step sends everyone back to sign in.
    "auth.two_factor": public(lambda w, s: "/login/two-factor", outcome=LOGIN),
    "auth.forgot_password": public(lambda w, s: "/password/forgot"),
    "auth.accept_invitation": public(lambda w, s: f"/invitation/{GARBAGE_TOKEN}", outcome=HIDDEN),
    "auth.reset_password": public(lambda w, s: f"/password/reset/{GARBAGE_TOKEN}", outcome=HIDDEN),
    "auth.logout": public(lambda w, s: "/logout", method="POST", outcome=redirect("/login")),
    # Any signed-in user
    "auth.profile": signed_in(lambda w, s: "/profile"),
    "auth.change_password": signed_in(lambda w, s: "/profile/password", method="POST"),
    "auth.change_language": signed_in(lambda w, s: "/profile/language", method="POST"),
    "auth.disable_two_factor": signed_in(lambda w, s: "/profile/two-factor/disable", method="POST"),
    "privacy.export_my_data": signed_in(lambda w, s: "/privacy/my-data", method="POST"),
    # Staff only
    "auth.setup_two_factor": staff(lambda w, s: "/profile/two-factor"),
    "admin.list_suppliers": staff(lambda w, s: "/admin/suppliers"),
    "admin.view_supplier": staff(lambda w, s: f"/admin/suppliers/{s.supplier.id}"),
    "admin.list_agreements": staff(lambda w, s: "/admin/agreements"),
    "admin.view_agreement": staff(lambda w, s: f"/admin/agreements/{s.agreement.id}"),
    "admin.list_risks": staff(lambda w, s: "/admin/risks"),
    # Administrators only
    "admin.new_supplier": admin_only(lambda w, s: "/admin/suppliers/new"),
    "admin.edit_organisation": admin_only(lambda w, s: "/admin/organisation"),
    "admin.edit_supplier": admin_only(lambda w, s: f"/admin/suppliers/{s.supplier.id}/edit"),
    "admin.archive_supplier": admin_only(lambda w, s: f"/admin/suppliers/{s.supplier.id}/archive",
                                         method="POST"),
    "admin.restore_supplier": admin_only(lambda w, s: f"/admin/suppliers/{s.supplier.id}/restore",
                                         method="POST"),
    "admin.list_users": admin_only(lambda w, s: "/admin/users"),
    "admin.invite_user": admin_only(lambda w, s: "/admin/users/invite"),
    "admin.edit_user": admin_only(lambda w, s: f"/admin/users/{s.user.id}"),
    "admin.deactivate_user": admin_only(lambda w, s: f"/admin/users/{s.user.id}/deactivate", method="POST"),
    "admin.activate_user": admin_only(lambda w, s: f"/admin/users/{s.user.id}/activate", method="POST"),
    "admin.export_user_data": admin_only(lambda w, s: f"/admin/users/{s.user.id}/personal-data",
                                         method="POST"),
    "admin.erase_user": admin_only(lambda w, s: f"/admin/users/{s.user.id}/erase"),
    "admin.resend_invitation": admin_only(lambda w, s: f"/admin/users/{s.invitee.id}/resend", method="POST"),
    "admin.new_agreement": admin_only(lambda w, s: "/admin/agreements/new"),
    "admin.edit_agreement": admin_only(lambda w, s: f"/admin/agreements/{s.agreement.id}/edit"),
    "admin.archive_agreement": admin_only(lambda w, s: f"/admin/agreements/{s.agreement.id}/archive",
                                          method="POST"),
    "admin.restore_agreement": admin_only(lambda w, s: f"/admin/agreements/{s.agreement.id}/restore",
                                          method="POST"),
    "admin.add_participant": admin_only(lambda w, s: f"/admin/agreements/{s.agreement.id}/participants",
                                        method="POST"),
    "admin.remove_participant": admin_only(
        lambda w, s: f"/admin/agreements/{s.agreement.id}/participants/{w.partner.id}/remove",
        method="POST"),
    "admin.new_risk": admin_only(lambda w, s: "/admin/risks/new"),
    "admin.edit_risk": admin_only(lambda w, s: f"/admin/risks/{w.risk.id}/edit"),
    "admin.delete_risk": admin_only(lambda w, s: f"/admin/risks/{w.risk.id}/delete", method="POST"),
    # Supplier users only, about their own supplier
    "supplier.home": supplier_only(lambda w, s: "/company/"),
    "supplier.invite_colleague": supplier_only(lambda w, s: "/company/invite"),
    "supplier.edit_details": supplier_only(lambda w, s: "/company/details"),
    "supplier.deactivate_colleague": supplier_only(
        lambda w, s: f"/company/colleagues/{s.invitee.id}/deactivate", owned=True),
    # The supplier's production-site register: its own users only; staff never open it
    "sites.current_sites": Spec(lambda w, s: "/company/sites/", LOGIN, ALLOWED, ALLOWED, DENIED, DENIED),
    "sites.list_sites": supplier_only(lambda w, s: f"/company/sites/{w.round.year}"),
    "sites.new_site": supplier_only(lambda w, s: f"/company/sites/{w.round.year}/new"),
    "sites.edit_site": supplier_only(lambda w, s: f"/company/sites/site/{s.site.id}", owned=True),
    "sites.delete_site": supplier_only(lambda w, s: f"/company/sites/site/{s.site.id}/delete", owned=True),
    "sites.copy_sites": supplier_only(lambda w, s: f"/company/sites/{w.round.year + 1}/copy", method="POST"),
    "sites.download_template": supplier_only(lambda w, s: f"/company/sites/{w.round.year}/template.xlsx"),
    "sites.export_sites": supplier_only(lambda w, s: f"/company/sites/{w.round.year}/export.csv"),
    "sites.import_sites": supplier_only(lambda w, s: f"/company/sites/{w.round.year}/import"),
    "sites.confirm_import": supplier_only(lambda w, s: f"/company/sites/{w.round.year}/import/confirm",
                                          method="POST"),
    # Company answers (issue 14): the supplier's own; staff read them only in submissions
    "company.list_answers": supplier_only(lambda w, s: "/company/answers/"),
    "company.view_answers": supplier_only(lambda w, s: f"/company/answers/{w.round.year}/{w.company_version.id}"),
    "company.edit_section": supplier_only(
        lambda w, s: f"/company/answers/{w.round.year}/{w.company_version.id}/sections/B"),
    "company.download_file": supplier_only(
        lambda w, s: f"/company/answers/{w.round.year}/{w.company_version.id}/files/{s.company_file.id}", owned=True),
    "company.copy_answers": supplier_only(
        lambda w, s: f"/company/answers/{w.round.year}/{w.company_version.id}/copy"),
    "sites.pick_sites": supplier_only(lambda w, s: f"/company/sites/responses/{s.response.id}", owned=True),
    # Responses: the supplier's own; staff read them (the review itself is in the review area)
    "responses.view_response": owned_by_supplier(lambda w, s: f"/responses/{s.response.id}"),
    "responses.edit_section": owned_by_supplier(lambda w, s: f"/responses/{s.response.id}/sections/B"),
    "responses.download_file": owned_by_supplier(
        lambda w, s: f"/responses/{s.response.id}/files/{s.evidence.id}"),
    "responses.receipt": owned_by_supplier(
        lambda w, s: f"/responses/{s.response.id}/submissions/{s.submission.number}/receipt.pdf"),
    "responses.check_submit": owned_by_supplier(lambda w, s: f"/responses/{s.response.id}/submit",
                                                staff_outcome=DENIED),
    "responses.choose_copy_source": owned_by_supplier(lambda w, s: f"/responses/{s.response.id}/copy",
                                                      staff_outcome=DENIED),
    "responses.preview_copy": owned_by_supplier(
        lambda w, s: f"/responses/{s.response.id}/copy/preview?submission={s.earlier.id}", staff_outcome=DENIED),
    "responses.copy_answers": owned_by_supplier(lambda w, s: f"/responses/{s.response.id}/copy",
                                                method="POST", staff_outcome=DENIED),
    "responses.export_package": owned_by_supplier(
        lambda w, s: f"/responses/{s.response.id}/submissions/{s.submission.number}/answers.zip"),
    "responses.import_package": owned_by_supplier(lambda w, s: f"/responses/{s.response.id}/import",
                                                  staff_outcome=DENIED),
    # Rounds and questionnaire versions: staff read, administrators change, reviewers extend deadlines
    "rounds.list_rounds": staff(lambda w, s: "/rounds"),
    "rounds.view_round": staff(lambda w, s: f"/rounds/{w.round.id}"),
    "rounds.export_round_answers": staff(lambda w, s: f"/rounds/{w.round.id}/answers.xlsx"),
    "rounds.extend_deadline": staff(lambda w, s: f"/responses/{s.response.id}/deadline"),
    "rounds.list_versions": staff(lambda w, s: "/questionnaires"),
    "rounds.view_version": staff(lambda w, s: f"/questionnaires/{w.version.id}"),
    "rounds.new_round": admin_only(lambda w, s: "/rounds/new"),
    "rounds.import_version": admin_only(lambda w, s: "/questionnaires/import"),
    "rounds.add_agreement": admin_only(lambda w, s: f"/rounds/{w.round.id}/agreements", method="POST"),
    "rounds.add_agreements_bulk": admin_only(lambda w, s: f"/rounds/{w.round.id}/agreements/bulk",
                                             method="POST"),
    "rounds.preview_agreements": admin_only(
        lambda w, s: f"/rounds/{w.round.id}/agreements/preview?agreement_id={s.agreement.id}"),
    # Review: staff only
    "review.inbox": staff(lambda w, s: "/review"),
    "review.bulk_action": staff(lambda w, s: "/review/bulk", method="POST"),
    "review.export_inbox": staff(lambda w, s: "/review/export.csv"),
    "review.export_answers": staff(lambda w, s: "/review/answers.xlsx?status=all"),
    "review.review_response": staff(lambda w, s: f"/review/responses/{s.response.id}"),
    "review.save_verdicts": staff(lambda w, s: f"/review/responses/{s.response.id}/verdicts", method="POST"),
    "review.return_response": staff(lambda w, s: f"/review/responses/{s.response.id}/return", method="POST"),
    "review.accept_response": staff(lambda w, s: f"/review/responses/{s.response.id}/accept", method="POST"),
    "review.reopen_response": staff(lambda w, s: f"/review/responses/{s.response.id}/reopen", method="POST"),
    "review.response_history": staff(lambda w, s: f"/review/responses/{s.response.id}/history"),
    "review.list_activities": staff(lambda w, s: "/review/activities"),
    "review.new_activity": staff(lambda w, s: "/review/activities/new"),
    "review.view_activity": staff(lambda w, s: f"/review/activities/{s.activity.id}"),
    "review.edit_activity": staff(lambda w, s: f"/review/activities/{s.activity.id}/edit"),
    "review.withdraw_activity": staff(lambda w, s: f"/review/activities/{s.activity.id}/withdraw",
                                      method="POST"),
    "review.download_activity_file": staff(
        lambda w, s: f"/review/activities/{s.activity.id}/files/{s.activity_file.id}"),
    "review.audit_log": admin_only(lambda w, s: "/review/audit"),
    # Sharing a response with another buyer: the supplier's own responses and shares only
    "sharing.response_shares": supplier_only(lambda w, s: f"/responses/{s.response.id}/sharing", owned=True),
    "sharing.share_response": supplier_action(lambda w, s: f"/responses/{s.response.id}/sharing/new"),
    "sharing.revoke_share": supplier_action(
        lambda w, s: f"/responses/{s.share.response_id}/sharing/{s.share.id}/revoke"),
    # Received responses: the staff of the buyer a supplier shared with (of no other buyer)
    "received.received": staff(lambda w, s: "/review/received"),
    "received.view_received": staff(lambda w, s: f"/review/received/{s.share.id}"),
    "received.save_received_verdicts": staff(lambda w, s: f"/review/received/{s.share.id}/verdicts",
                                             method="POST"),
    "received.download_received_file": staff(
        lambda w, s: f"/review/received/{s.share.id}/files/{s.shared_file.id}"),
    "received.accept_received": staff(lambda w, s: f"/review/received/{s.share.id}/accept", method="POST"),
    "received.reuse_received": staff(lambda w, s: f"/review/received/{s.share.id}/reuse", method="POST"),
    # Deviations: suppliers see and act on their own confirmed ones
    "deviations.list_deviations": signed_in(lambda w, s: "/deviations"),
    "deviations.view_deviation": owned_by_supplier(lambda w, s: f"/deviations/{s.deviation.id}"),
    "deviations.download_attachment": owned_by_supplier(
        lambda w, s: f"/deviations/{s.deviation.id}/attachments/{s.deviation_file.id}"),
    "deviations.propose_plan": supplier_action(lambda w, s: f"/deviations/{s.deviation.id}/plan"),
    "deviations.report_progress": supplier_action(lambda w, s: f"/deviations/{s.deviation.id}/progress"),
    # Deviations: staff only (a proposed deviation is not shown to its supplier at all)
    "deviations.new_deviation": staff(lambda w, s: "/deviations/new"),
    "deviations.edit_deviation": staff(lambda w, s: f"/deviations/{s.deviation.id}/edit"),
    "deviations.change_status": staff(lambda w, s: f"/deviations/{s.deviation.id}/status", method="POST"),
    "deviations.approve_plan": staff(lambda w, s: f"/deviations/{s.deviation.id}/approve-plan", method="POST"),
    "deviations.add_note": staff(lambda w, s: f"/deviations/{s.deviation.id}/notes", method="POST"),
    "deviations.attach_documents": staff(lambda w, s: f"/deviations/{s.deviation.id}/documents", method="POST"),
    "deviations.confirm_deviation": staff(lambda w, s: f"/deviations/{s.proposal.id}/confirm", method="POST"),
    "deviations.discard_deviation": staff(lambda w, s: f"/deviations/{s.proposal.id}/discard", method="POST"),
    # Reports: staff only (the world's activities and deviations are dated this year)
    "reports.year_report": staff(lambda w, s: f"/reports?year={w.round.year}&live=1"),
    "reports.export": staff(lambda w, s: f"/reports/{w.round.year}.json"),
    "reports.export_csv": staff(lambda w, s: f"/reports/{w.round.year}/4a3.csv"),
    "reports.edit_text": staff(lambda w, s: f"/reports/{w.round.year}/text", method="POST"),
    # Signing in with the buyer's identity provider (tests/oidc/ runs the whole flow)
    "oidc.choose": Spec(lambda w, s: "/login/organisation", anonymous=OK, supplier_own=redirect("/company/"),
                        supplier_foreign=redirect("/company/"), reviewer=redirect("/"), admin=redirect("/")),
    # No provider is set up for the world's buyer: nothing to start.
    "oidc.start": public(lambda w, s: f"/login/organisation/{w.a.agreement.buyer_id}", method="POST",
                         outcome=HIDDEN),
    "oidc.callback": public(lambda w, s: "/login/organisation/callback?code=x&state=y",
                            outcome=redirect("/login/organisation")),
    "oidc.buyer_settings": admin_only(lambda w, s: "/admin/sign-in"),
    "oidc.platform_settings": nobody_here(lambda w, s: f"/platform/buyers/{w.a.agreement.buyer_id}/sign-in"),
    "reports.warning_records": staff(
        lambda w, s: f"/reports/{w.round.year}/warnings/proposed_unconfirmed"),
    "reports.publish": admin_only(lambda w, s: f"/reports/{w.round.year}/publish", method="POST"),
    "reports.published_export": staff(lambda w, s: f"/reports/published/{w.published.id}.pdf?lang=nb"),
    "reports.published_csv": staff(
        lambda w, s: f"/reports/published/{w.published.id}/4a3.csv?lang=nb"),
    # The platform administrator's pages: no buyer's staff and no supplier may use them
    # (tests/test_platform.py signs in as the platform administrator).
    "platform.list_buyers": nobody_here(lambda w, s: "/platform/"),
    "platform.new_buyer": nobody_here(lambda w, s: "/platform/buyers/new"),
    "platform.edit_buyer": nobody_here(lambda w, s: f"/platform/buyers/{w.a.agreement.buyer_id}"),
    "platform.invite_admin": nobody_here(
        lambda w, s: f"/platform/buyers/{w.a.agreement.buyer_id}/invite"),
}

CASES = [(endpoint, actor) for endpoint in sorted(MATRIX) for actor in ACTORS]


@pytest.fixture
def world(app: Flask, make: Any, db: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    isolate_requests(app, monkeypatch)
    return build_world(make, db)


def request_as(client: Any, world: World, endpoint: str, actor: str) -> Any:
    """Sign in as the actor, then ask for the endpoint the way its spec says."""
    spec = MATRIX[endpoint]
    visitor = world.visitor(actor)
    if visitor is not None:
        assert sign_in(client, visitor.email).status_code == 302
    url = spec.url(world, world.side_for(actor))
    if spec.method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": csrf_token(client, "/accessibility")})


@pytest.mark.parametrize(("endpoint", "actor"), CASES, ids=[f"{e}-{a}" for e, a in CASES])
def test_access(client, world, endpoint, actor):
    response = request_as(client, world, endpoint, actor)

    getattr(MATRIX[endpoint], actor).check(response)


def test_every_endpoint_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}

    missing = sorted(endpoints - MATRIX.keys())
    stale = sorted(MATRIX.keys() - endpoints)

    assert not missing, f"add these endpoints to MATRIX in {__name__} (see its docstring): {missing}"
    assert not stale, f"these MATRIX entries name no endpoint: {stale}"


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_matrix_urls_reach_their_endpoint(app, world, endpoint):
    spec = MATRIX[endpoint]
    adapter = app.url_map.bind("localhost")

    for side in (world.a, world.b):
        path = spec.url(world, side).split("?")[0]
        matched, _args = adapter.match(path, method=spec.method)
        assert matched == endpoint, path


def test_foreign_records_are_hidden():
    for endpoint, spec in MATRIX.items():
        if spec.owned and spec.supplier_own.status in (None, 200):
            assert spec.supplier_foreign == HIDDEN, endpoint


# Staff of another buyer: every record of this buyer is hidden from them.

FOREIGN_STAFF = ("reviewer", "admin")


def names_a_record(spec: Spec) -> bool:
    """Does the URL carry a record's id (or a submission's number)? Years and tokens do not."""
    return bool({"id", "number"} & set(spec.url.__code__.co_names))


#: Records every buyer shares: published questionnaire versions.
SHARED_RECORDS = {"rounds.view_version"}


def foreign_staff_outcomes(endpoint: str, role: str) -> tuple[Outcome, ...]:
    """Staff of another buyer: 404 for any of this buyer's records, otherwise as their own staff.

    Where the route is not for staff at all, refusing (403) before looking the record up is
    as good as not finding it (404).
    """
    spec = MATRIX[endpoint]
    own: Outcome = getattr(spec, role)
    if own == LOGIN or not names_a_record(spec) or endpoint in SHARED_RECORDS:
        return (own,)
    if own == DENIED:
        return (DENIED, HIDDEN)
    return (HIDDEN,)


@dataclass(frozen=True)
class ForeignStaff:
    world: World  # this buyer's records, whose ids go into the URLs
    reviewer: User  # staff of another buyer that has records of its own
    admin: User


@pytest.fixture
def foreign(app: Flask, make: Any, db: Any, monkeypatch: pytest.MonkeyPatch) -> ForeignStaff:
    isolate_requests(app, monkeypatch)
    world = build_world(make, db)
    other = make.buyer(name="Annen kommune")
    make._default_buyer = other
    build_world(make, db, names=("Gamma", "Delta"))
    staff_of_other = ForeignStaff(world, make.user(role="reviewer", buyer=other),
                                  make.user(role="admin", buyer=other))
    db.session.commit()
    return staff_of_other


FOREIGN_CASES = [(endpoint, role) for endpoint in sorted(MATRIX) for role in FOREIGN_STAFF]


@pytest.mark.parametrize(("endpoint", "role"), FOREIGN_CASES, ids=[f"{e}-{r}" for e, r in FOREIGN_CASES])
def test_staff_of_another_buyer_see_nothing_of_this_buyers(client, foreign, endpoint, role):
    spec = MATRIX[endpoint]
    assert sign_in(client, getattr(foreign, role).email).status_code == 302
    url = spec.url(foreign.world, foreign.world.a)

    if spec.method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": csrf_token(client, "/accessibility")})

    expected = foreign_staff_outcomes(endpoint, role)
    assert any(_passes(outcome, response) for outcome in expected), (response.status_code, expected)
    page = response.get_data().decode("utf-8", errors="replace")  # a download may be a ZIP
    for name in ("Alfa AS", "Beta AS", "LK-Alfa", "LK-Beta", "user@alfa.example"):
        assert name not in page, f"{endpoint} shows {name!r} to staff of another buyer"


def _passes(outcome: Outcome, response: Any) -> bool:
    try:
        outcome.check(response)
    except AssertionError:
        return False
    return True


# A buyer taking part in a joint agreement: its staff read the agreement's follow-up and
# change nothing of it (portal/tenancy.py admits those rows for read-only pages only).

#: Pages of side a's records that a participant in its joint agreement reads as the lead does.
JOINT_READABLE = {
    "admin.view_agreement", "admin.view_supplier", "responses.view_response",
    "responses.download_file", "responses.receipt", "responses.export_package", "rounds.view_round", "rounds.export_round_answers",
    "review.review_response",
    "review.response_history", "review.view_activity", "review.download_activity_file",
    "deviations.view_deviation", "deviations.download_attachment",
}
#: The lead's internal notes and the other side's records: never on a participant's page.
NOT_FOR_PARTICIPANTS = ("Intern merknad Alfa", "Internt notat Alfa", "Interne notater Alfa",
                        "Beta AS", "LK-Beta", "user@beta.example")


def participant_outcomes(endpoint: str, role: str) -> tuple[Outcome, ...]:
    spec = MATRIX[endpoint]
    own: Outcome = getattr(spec, role)
    if endpoint in JOINT_READABLE:
        return (own,)
    return foreign_staff_outcomes(endpoint, role)


def _snapshot(db: Any, world: World) -> dict[str, Any]:
    """What a participant's request must not change: the joint agreement's follow-up."""
    from sqlalchemy import func, select

    from portal.models import Clarification, QuestionReview, agreement_participant
    from portal.tenancy import ALL_BUYERS

    def count(entity: Any) -> int:
        return int(db.session.scalar(
            select(func.count()).select_from(entity).execution_options(**{ALL_BUYERS: True})))

    db.session.expire_all()
    a = world.a
    get = lambda cls, id_: db.session.get(cls, id_, execution_options={ALL_BUYERS: True})  # noqa: E731
    return {
        "response": (get(Response, a.response.id).status, get(Response, a.response.id).deadline),
        "deviation": (get(Deviation, a.deviation.id).status, get(Deviation, a.deviation.id).description),
        "proposal": (get(Deviation, a.proposal.id).is_proposed, get(Deviation, a.proposal.id).status),
        "agreement": (get(Agreement, a.agreement.id).name_nb, get(Agreement, a.agreement.id).reference),
        "counts": tuple(count(e) for e in (Deviation, DeviationUpdate, FollowUpActivity, QuestionReview,
                                           Clarification, Attachment, agreement_participant,
                                           FollowUpRound, Agreement, Response)),
    }


@dataclass(frozen=True)
class Participant:
    world: World
    reviewer: User
    admin: User


@pytest.fixture
def participant(app: Flask, make: Any, db: Any, monkeypatch: pytest.MonkeyPatch) -> Participant:
    isolate_requests(app, monkeypatch)
    world = build_world(make, db)
    staff_of_partner = Participant(world, make.user(role="reviewer", buyer=world.partner),
                                   make.user(role="admin", buyer=world.partner))
    db.session.commit()
    return staff_of_partner


@pytest.mark.parametrize(("endpoint", "role"), FOREIGN_CASES, ids=[f"{e}-{r}" for e, r in FOREIGN_CASES])
def test_participants_of_a_joint_agreement_read_it_and_change_nothing(
    client, db, participant, endpoint, role
):
    spec = MATRIX[endpoint]
    assert sign_in(client, getattr(participant, role).email).status_code == 302
    url = spec.url(participant.world, participant.world.a)
    before = _snapshot(db, participant.world)

    if spec.method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": csrf_token(client, "/accessibility")})

    expected = participant_outcomes(endpoint, role)
    assert any(_passes(outcome, response) for outcome in expected), (response.status_code, expected)
    page = response.get_data().decode("utf-8", errors="replace")
    for text in NOT_FOR_PARTICIPANTS:
        assert text not in page, f"{endpoint} shows {text!r} to a participant"
    if spec.method != "GET" and not endpoint.startswith(("auth.", "main.", "privacy.")):
        assert _snapshot(db, participant.world) == before, f"{endpoint} changed the joint agreement"


def test_participants_read_pages_show_the_joint_agreement(client, participant):
    """The joint pages are not empty shells: the participant sees the agreement's records."""
    w = participant.world
    assert sign_in(client, participant.reviewer.email).status_code == 302

    assert "LK-Alfa" in client.get(f"/admin/agreements/{w.a.agreement.id}").get_data(as_text=True)
    assert "Alfa AS" in client.get(f"/review/responses/{w.a.response.id}").get_data(as_text=True)
    assert "Lønn" in client.get(f"/deviations/{w.a.deviation.id}").get_data(as_text=True)
