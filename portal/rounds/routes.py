"""Follow-up rounds and questionnaire versions, for municipal staff.

Reviewers see everything here and may extend a response's deadline; only
administrators create rounds, add agreements and import questionnaire versions.
"""

from __future__ import annotations

import hmac
from datetime import date
from pathlib import PurePosixPath
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload
from werkzeug.wrappers import Response as HttpResponse

from portal import clock, inputs
from portal.access import get_or_404, id_or_404, require_roles, role_required, signed_in_user
from portal.extensions import db
from portal.forms import select_choices
from portal.i18n import current_locale, format_date
from portal.models import (
    Agreement,
    FollowUpRound,
    QuestionnaireVersion,
    Response,
    Role,
    Supplier,
)
from portal.questionnaires.definition import VARIANTS, DefinitionError
from portal.questionnaires.engine import definition_of
from portal.review import answer_export
from portal.review.queries import ALL, InboxFilters, inbox_rows
from portal.rounds import notify, queries, services
from portal.rounds.forms import (
    AddAgreementForm,
    AddAgreementsBulkForm,
    CreateRoundForm,
    ExtendDeadlineForm,
    ImportVersionForm,
    PreviewOptionsForm,
)
from portal.rounds.labels import RESPONSE_STATUSES, STATUS_COLORS
from portal.rounds.preview import preview

bp = Blueprint("rounds", __name__)
require_roles(bp, Role.REVIEWER, Role.ADMIN)
admin_only = role_required(Role.ADMIN)


@bp.context_processor
def _labels() -> dict[str, object]:
    return {"status_label": RESPONSE_STATUSES.label, "status_color": STATUS_COLORS.get}


def _created_message(created: int, sent: int) -> str:
    return " ".join((
        ngettext("%(num)s response was created.", "%(num)s responses were created.", created),
        ngettext("%(num)s invitation e-mail was sent.", "%(num)s invitation e-mails were sent.", sent),
    ))


# Rounds


@bp.route("/rounds")
def list_rounds() -> str:
    """Every follow-up round, newest year first, with its responses counted by status."""
    rounds = db.session.scalars(
        select(FollowUpRound)
        .options(selectinload(FollowUpRound.questionnaire_version))
        .order_by(FollowUpRound.year.desc(), FollowUpRound.id.desc())
    ).all()
    today = clock.today()
    counts = queries.round_counts([r.id for r in rounds], today)
    return render_template(
        "rounds/list_rounds.html", rounds=rounds, counts=counts, statuses=list(RESPONSE_STATUSES),
        empty=queries.RoundCounts(),
    )


@bp.route("/rounds/new", methods=["GET", "POST"])
@admin_only
def new_round() -> HttpResponse | str:
    """Create a follow-up round: year, names, questionnaire version, deadline, introduction."""
    versions = queries.stored_versions()
    form = CreateRoundForm()
    form.questionnaire_version_id.choices = select_choices(
        [(0, _("Choose a version"))] + [(v.id, v.label) for v in versions]
    )
    if request.method == "GET":
        form.year.data = form.year.data or clock.today().year
        if len(versions) == 1:
            form.questionnaire_version_id.data = versions[0].id
    if form.validate_on_submit():
        version = get_or_404(QuestionnaireVersion, form.questionnaire_version_id.data)
        round = services.create_round(
            year=form.year.data,
            name_nb=form.name_nb.data,
            name_en=form.name_en.data,
            version=version,
            deadline=form.deadline.data,
            intro_nb=form.intro_nb.data or "",
            intro_en=form.intro_en.data or "",
            actor=signed_in_user(),
            historical=bool(form.historical.data),
        )
        db.session.commit()
        flash(_("The round %(name)s is created. Add the agreements to follow up.", name=round.name),
              "success")
        return redirect(url_for("rounds.view_round", round_id=round.id))
    return render_template("rounds/new_round.html", form=form, versions=versions)


def _round_or_404(round_id: int) -> FollowUpRound:
    round = db.session.scalar(
        select(FollowUpRound)
        .where(FollowUpRound.id == id_or_404(round_id))
        .options(selectinload(FollowUpRound.questionnaire_version))
    )
    if round is None:
        abort(404)
    return round


def _agreement_choices(round: FollowUpRound) -> list[Any]:
    agreements = queries.agreements_to_add(round, clock.today())
    return select_choices(
        [(0, _("Choose an agreement"))] + [(a.id, f"{a.name} ({a.reference})") for a in agreements]
    )


def _render_round(
    round: FollowUpRound,
    add_form: AddAgreementForm | None = None,
    bulk_form: AddAgreementsBulkForm | None = None,
) -> str:
    responses = db.session.scalars(
        select(Response)
        .join(Response.agreement)
        .join(Response.supplier)
        .where(Response.round_id == round.id)
        .options(contains_eager(Response.agreement), contains_eager(Response.supplier))
        .order_by(Agreement.name_nb, Supplier.name, Response.id)
    ).all()
    # A participant of a joint agreement reads the lead's round; only its own buyer adds to it.
    if current_user.is_admin and round.buyer_id == current_user.buyer_id:
        if add_form is None:
            add_form = AddAgreementForm(formdata=None)
            add_form.agreement_id.choices = _agreement_choices(round)
        bulk_form = bulk_form or AddAgreementsBulkForm(formdata=None)
    return render_template(
        "rounds/view_round.html",
        round=round,
        responses=responses,
        today=clock.today(),
        add_form=add_form,
        bulk_form=bulk_form,
    )


@bp.route("/rounds/<int:round_id>")
def view_round(round_id: int) -> str:
    """A round with every response (agreement, supplier, status, deadline) and forms to add agreements."""
    return _render_round(_round_or_404(round_id))


@bp.get("/rounds/<int:round_id>/answers.xlsx")
def export_round_answers(round_id: int) -> HttpResponse:
    """Every answer of the round's responses as a workbook (see portal.review.answer_export)."""
    round = _round_or_404(round_id)
    today, locale = clock.today(), current_locale()
    filters = InboxFilters(round_id=round.id, status=ALL, sort="agreement")
    rows, _counts = inbox_rows(filters, today, locale)
    if not rows:
        flash(_("The round has no responses yet, so there are no answers to download."), "info")
        return redirect(url_for("rounds.view_round", round_id=round.id))
    if (refused := answer_export.too_many(len(rows))) is not None:
        flash(refused, "error")
        return redirect(url_for("rounds.view_round", round_id=round.id))
    body = answer_export.answers_workbook(
        [row.response for row in rows], locale, signed_in_user().buyer_name,
        _("Follow-up round: %(name)s", name=round.name), today)
    return answer_export.download(body, f"aktsom-answers-round-{round.id}-{today.isoformat()}.xlsx")


def _invite(round: FollowUpRound, created: list[Response]) -> int:
    """Invite the new responses' suppliers; a historical round (entered afterwards) e-mails no one."""
    return 0 if round.is_historical else notify.send_round_invitations(created)


# Adding agreements: the choice leads to a preview; only its confirmation creates and invites.


def _own_round_or_404(round_id: int) -> FollowUpRound:
    """The round, for adding to it: a participant of a joint agreement reads the lead's round
    (on GET pages) but never adds to it."""
    round = _round_or_404(round_id)
    if round.buyer_id != current_user.buyer_id:
        abort(404)
    return round


def _joinable_choices(round: FollowUpRound) -> list[Any]:
    """Every agreement the round can take, also one whose suppliers are all in it already:
    a confirmation whose agreement was added meanwhile is shown again, not refused."""
    agreements = db.session.scalars(
        services.joinable_agreements_query(round, clock.today())
        .where(Agreement.buyer_id == round.buyer_id)
        .order_by(Agreement.name_nb, Agreement.id)
    )
    return select_choices([(0, _("Choose an agreement"))] + [(a.id, a.name) for a in agreements])


def _refuse_foreign_agreement(raw: list[str] | None, round: FollowUpRound) -> None:
    """Another buyer's agreement (or none with that id) is not found, as everywhere."""
    agreement_id = inputs.to_int(raw[0] if raw else None, low=1)
    if agreement_id is None:
        return
    agreement = db.session.get(Agreement, agreement_id)
    if agreement is None or agreement.buyer_id != round.buyer_id:
        abort(404)


def _single_choice(round: FollowUpRound, form: AddAgreementForm) -> services.AgreementPlan | None:
    _refuse_foreign_agreement(form.agreement_id.raw_data, round)
    form.agreement_id.choices = _joinable_choices(round)
    if not form.validate():
        form.agreement_id.choices = _agreement_choices(round)
        return None
    return services.plan_agreements(round, [get_or_404(Agreement, form.agreement_id.data)])


def _bulk_choice(round: FollowUpRound, form: AddAgreementsBulkForm) -> services.AgreementPlan | None:
    if not form.validate():
        return None
    return services.plan_agreements(round, services.bulk_agreements(
        round, rule=form.rule.data, category=_bulk_category(form)))


def _bulk_category(form: AddAgreementsBulkForm) -> str | None:
    return form.category.data if form.rule.data == services.BULK_CATEGORY else None


def _single_args(form: AddAgreementForm) -> dict[str, Any]:
    return {"agreement_id": form.agreement_id.data}


def _bulk_args(form: AddAgreementsBulkForm) -> dict[str, Any]:
    category = _bulk_category(form)
    return {"rule": form.rule.data, **({"category": category} if category else {})}


def _render_preview(round: FollowUpRound, plan: services.AgreementPlan, choice: dict[str, Any],
                    action: str, *, changed: bool = False) -> str:
    here = url_for("rounds.preview_agreements", round_id=round.id, **choice)
    return render_template(
        "rounds/preview_agreements.html", round=round, plan=plan, choice=choice, here=here,
        action=url_for(action, round_id=round.id), changed=changed,
        invite_links={s.id: url_for("admin.invite_user", supplier=s.id, next=here)
                      for s in plan.without_users},
    )


@bp.route("/rounds/<int:round_id>/agreements/preview")
@admin_only
def preview_agreements(round_id: int) -> str:
    """What adding the chosen agreements would do: responses, suppliers skipped or without a
    user, e-mails. Nothing is created or sent until the administrator confirms."""
    round = _own_round_or_404(round_id)
    args = inputs.args()
    if "rule" in args:
        bulk = AddAgreementsBulkForm(formdata=args, meta={"csrf": False})
        if (plan := _bulk_choice(round, bulk)) is None:
            return _render_round(round, bulk_form=bulk)
        return _render_preview(round, plan, _bulk_args(bulk), "rounds.add_agreements_bulk")
    single = AddAgreementForm(formdata=args, meta={"csrf": False})
    if (plan := _single_choice(round, single)) is None:
        return _render_round(round, add_form=single)
    return _render_preview(round, plan, _single_args(single), "rounds.add_agreement")


def _preview_or_confirm(round: FollowUpRound, plan: services.AgreementPlan, confirmation: str | None,
                        choice: dict[str, Any], action: str) -> HttpResponse | str:
    """Without a confirmation, the preview. With one, the plan is worked out again from the
    posted choice: if it is what the preview showed, it is done; if anything changed
    meanwhile, the new preview is shown and nothing is done."""
    if not confirmation:
        return redirect(url_for("rounds.preview_agreements", round_id=round.id, **choice))
    if not hmac.compare_digest(confirmation.encode(), plan.fingerprint.encode()):
        return _render_preview(round, plan, choice, action, changed=True)
    created = services.add_agreements(round, plan.agreements, actor=signed_in_user())
    sent = _invite(round, created)
    db.session.commit()
    if not created:
        flash(_("No responses were created: every supplier on those agreements is already in the round."),
              "info")
    else:
        flash(_created_message(len(created), sent), "success")
    return redirect(url_for("rounds.view_round", round_id=round.id))


@bp.route("/rounds/<int:round_id>/agreements", methods=["POST"])
@admin_only
def add_agreement(round_id: int) -> HttpResponse | str:
    """Add one agreement: after its preview is confirmed, a response for each of its suppliers
    and invitations by e-mail."""
    round = _own_round_or_404(round_id)
    form = AddAgreementForm()
    if (plan := _single_choice(round, form)) is None:
        return _render_round(round, add_form=form)
    return _preview_or_confirm(round, plan, form.confirmation.data, _single_args(form),
                               "rounds.add_agreement")


@bp.route("/rounds/<int:round_id>/agreements/bulk", methods=["POST"])
@admin_only
def add_agreements_bulk(round_id: int) -> HttpResponse | str:
    """Add every active agreement with the contract condition, or every one in a DFØ category,
    after the preview is confirmed."""
    round = _own_round_or_404(round_id)
    form = AddAgreementsBulkForm()
    if (plan := _bulk_choice(round, form)) is None:
        return _render_round(round, bulk_form=form)
    return _preview_or_confirm(round, plan, form.confirmation.data, _bulk_args(form),
                               "rounds.add_agreements_bulk")


@bp.route("/responses/<int:response_id>/deadline", methods=["GET", "POST"])
def extend_deadline(response_id: int) -> HttpResponse | str:
    """Give one response a later deadline, with the reason kept in the audit trail."""
    response = db.session.scalar(
        select(Response)
        .where(Response.id == id_or_404(response_id))
        .options(
            selectinload(Response.round),
            selectinload(Response.agreement),
            selectinload(Response.supplier),
        )
    )
    if response is None:
        abort(404)
    back = url_for("rounds.view_round", round_id=response.round_id)
    if not response.is_editable:
        flash(_("Only a response that is not yet submitted can get a later deadline."), "error")
        return redirect(back)
    form = ExtendDeadlineForm(current_deadline=response.deadline)
    if form.validate_on_submit():
        try:
            services.extend_deadline(
                response, form.new_deadline.data, actor=signed_in_user(), reason=form.reason.data
            )
        except services.DeadlineError:
            form.new_deadline.errors.append(_("The new deadline must be later than the current deadline"))
        else:
            sent = notify.send_deadline_extended(response)
            db.session.commit()
            flash(
                " ".join((
                    _("The deadline is moved to %(date)s.", date=_long_date(response.deadline)),
                    ngettext("%(num)s e-mail was sent to the supplier.",
                             "%(num)s e-mails were sent to the supplier.", sent),
                )),
                "success",
            )
            return redirect(back)
    return render_template("rounds/extend_deadline.html", form=form, response=response, back=back)


def _long_date(value: date) -> str:
    return format_date(value, "long")


# Questionnaire versions


@bp.route("/questionnaires")
def list_versions() -> str:
    """The stored questionnaire versions; a stored version never changes."""
    versions = db.session.scalars(
        select(QuestionnaireVersion)
        .options(selectinload(QuestionnaireVersion.published_by))
        .order_by(QuestionnaireVersion.published_at.desc(), QuestionnaireVersion.id.desc())
    ).all()
    usage = queries.version_usage([v.id for v in versions])
    return render_template("rounds/list_versions.html", versions=versions, usage=usage)


def _upload_name(filename: str | None) -> str:
    # Browsers may send a full Windows path; only the last component is the file's name.
    return PurePosixPath((filename or "").replace("\\", "/")).name or "upload.yaml"


@bp.route("/questionnaires/import", methods=["GET", "POST"])
@admin_only
def import_version() -> HttpResponse | str:
    """Register a new questionnaire version from a YAML or JSON definition file."""
    form = ImportVersionForm()
    problem: DefinitionError | None = None
    if form.validate_on_submit():
        upload = form.file.data
        filename = _upload_name(upload.filename)
        try:
            content = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            form.file.errors.append(_("The file must be text encoded as UTF-8"))
        else:
            try:
                stored = services.store_version(content, filename, actor=signed_in_user())
            except DefinitionError as error:
                problem = error
                form.file.errors.append(
                    ngettext(
                        "The file cannot be used: %(num)s problem was found. Nothing was stored; fix the file and import it again.",
                        "The file cannot be used: %(num)s problems were found. Nothing was stored; fix the file and import it again.",
                        len(error.errors),
                    )
                )
            except services.VersionExists as error:
                form.file.errors.append(
                    _("Version %(version)s of %(key)s is already stored with other content. A stored version never changes: give the edited file a new version number.",
                      version=error.version, key=error.key)
                )
            else:
                db.session.commit()
                version = stored.version
                if stored.created:
                    flash(_("Version %(version)s of %(title)s is stored.", version=version.version,
                            title=version.title), "success")
                else:
                    flash(_("This file is already stored as version %(version)s of %(title)s.",
                            version=version.version, title=version.title), "info")
                return redirect(url_for("rounds.view_version", version_id=version.id))
    return render_template("rounds/import_version.html", form=form, problem=problem)


@bp.route("/questionnaires/<int:version_id>")
def view_version(version_id: int) -> str:
    """A read-only preview of a whole questionnaire version, in the current language."""
    version = db.session.scalar(
        select(QuestionnaireVersion)
        .where(QuestionnaireVersion.id == id_or_404(version_id))
        .options(selectinload(QuestionnaireVersion.published_by))
    )
    if version is None:
        abort(404)
    definition = definition_of(version)
    options = PreviewOptionsForm(formdata=inputs.args() or None)
    if options.variant.data not in VARIANTS:
        options.variant.data = "full"
    sections = definition.sections_for(options.variant.data, bool(options.social_dialogue.data))
    lang = current_locale()
    return render_template(
        "rounds/view_version.html",
        version=version,
        definition=definition,
        description=definition.description.get(lang) if definition.description else "",
        sections=preview(definition, sections, lang),
        question_count=sum(len(section.questions) for section in sections),
        options=options,
    )

