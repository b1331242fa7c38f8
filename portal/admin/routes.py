"""Registers kept by the municipality: suppliers, users, agreements and priority risks.

Reviewers may read every register; only administrators change them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from portal import clock, inputs, notifications
from portal.access import get_or_404, id_or_404, require_roles, role_required, signed_in_user
from portal.admin import services
from portal.admin.forms import (
    ActionForm,
    AddParticipantForm,
    AgreementForm,
    EditUserForm,
    EraseUserForm,
    InviteUserForm,
    PriorityRiskForm,
    SupplierForm,
)
from portal.auth import services as accounts
from portal.codes import DFO_CATEGORIES
from portal.extensions import db
from portal.forms import select_choices
from portal.models import Agreement, PriorityRisk, Role, Supplier, User
from portal.models.user import erased_label
from portal.pagination import paginate
from portal.platform import services as buyers
from portal.platform.forms import BuyerForm
from portal.privacy import erasure
from portal.privacy.routes import send_export
from portal.security import is_safe_next
from portal.tenancy import archived_suppliers

bp = Blueprint("admin", __name__, url_prefix="/admin")
require_roles(bp, Role.REVIEWER, Role.ADMIN)
admin_only = role_required(Role.ADMIN)


def _page_number() -> int:
    return inputs.page_number()


def _supplier_choices(blank: bool, keep: Sequence[int] = ()) -> list[tuple[int, str]]:
    """Suppliers to pick: those in use in the register, and ``keep`` (already chosen) even
    when archived, so that saving a form never drops them."""
    in_use = Supplier.id.not_in(archived_suppliers(db.session()))
    rows = db.session.execute(
        select(Supplier.id, Supplier.name).where(or_(in_use, Supplier.id.in_(keep)))
        .order_by(Supplier.name)).all()
    choices = [(row.id, row.name) for row in rows]
    return [(0, _("Choose a supplier"))] + choices if blank else choices


def _staff_choices() -> list[tuple[int, str]]:
    staff = db.session.scalars(
        select(User).where(User.role.in_([Role.REVIEWER.value, Role.ADMIN.value]), User.is_active)
        .order_by(User.name)
    )
    return [(0, _("No contract manager"))] + [(u.id, u.display_name) for u in staff]


# The buyer's own details


@bp.route("/organisation", methods=["GET", "POST"])
@admin_only
def edit_organisation() -> Response | str:
    """The buyer's name, organisation number, kind and report contact, as its administrator
    keeps them (the platform administrator registered them first)."""
    actor = signed_in_user()
    buyer = actor.buyer or abort(404)
    form = BuyerForm(obj=buyer)
    if form.validate_on_submit():
        try:
            buyers.save_buyer(buyer, {name: getattr(form, name).data for name in buyers.BUYER_FIELDS},
                              actor=actor)
        except buyers.DuplicateBuyer:
            form.org_number.errors.append(
                _("A buyer with this organisation number is already registered"))
        else:
            db.session.commit()
            flash(_("The changes are saved."), "success")
            return redirect(url_for("admin.edit_organisation"))
    return render_template("admin/edit_organisation.html", form=form, buyer=buyer)


#: Pages an administrator may open before giving the organisation number it was asked for.
_BEFORE_ORG_NUMBER = frozenset({"admin.edit_organisation", "auth.logout", "static"})
_ASKED = "org_number_asked"


@bp.before_app_request
def _ask_for_the_organisation_number() -> Response | None:
    """An installation upgraded without BUYER_ORG_NUMBER has a buyer without its number: the
    first page its administrator opens after signing in asks for it (once per session)."""
    if (request.method != "GET" or request.endpoint in _BEFORE_ORG_NUMBER
            or not current_user.is_authenticated or not current_user.is_admin
            or current_user.buyer is None or current_user.buyer.org_number
            or session.get(_ASKED)):
        return None
    session[_ASKED] = True
    flash(_("Enter %(buyer)s's organisation number: the year report and the supplier register "
            "need it.", buyer=current_user.buyer.name), "warning")
    return redirect(url_for("admin.edit_organisation"))


# Suppliers


@bp.route("/suppliers")
def list_suppliers() -> str:
    """Search and page through the supplier register."""
    q = inputs.arg("q", 100)
    archived = inputs.arg("archived") == "1"
    listed = archived_suppliers(db.session())
    query = select(Supplier).where(Supplier.id.in_(listed) if archived else Supplier.id.not_in(listed))
    query = query.order_by(Supplier.name)
    if q:
        like = f"%{q}%"
        query = query.where(or_(Supplier.name.ilike(like), Supplier.org_number.ilike(like),
                                Supplier.registry_id.ilike(like)))
    page = paginate(query, _page_number(), int(_config("PAGE_SIZE")))
    return render_template("admin/list_suppliers.html", page=page, q=q, archived=archived)


@bp.route("/suppliers/new", methods=["GET", "POST"])
@admin_only
def new_supplier() -> Response | str:
    """Register a supplier."""
    form = SupplierForm()
    if form.validate_on_submit():
        try:
            supplier, is_new = services.register_supplier(_supplier_values(form), actor=signed_in_user())
        except services.DuplicateError:
            form.org_number.errors.append(_("A supplier with this organisation number is already registered"))
        else:
            db.session.commit()
            if is_new:
                flash(_("The supplier %(name)s is registered.", name=supplier.name), "success")
            else:
                flash(_("%(name)s already uses Aktsom and is now in your supplier register. Its "
                        "company details are kept by Aktsom; nothing else about it was shared.",
                        name=supplier.name), "success")
            return redirect(url_for("admin.view_supplier", supplier_id=supplier.id))
    return render_template("admin/edit_supplier.html", form=form, supplier=None)


@bp.route("/suppliers/<int:supplier_id>")
def view_supplier(supplier_id: int) -> str:
    """A supplier with its users and agreements."""
    supplier = db.session.scalar(
        select(Supplier).where(Supplier.id == id_or_404(supplier_id))
        .options(selectinload(Supplier.users), selectinload(Supplier.agreements))
    ) or abort(404)
    archived_at = services.supplier_archived_at(signed_in_user().buyer_id or 0, supplier)
    return render_template("admin/view_supplier.html", supplier=supplier, archived_at=archived_at,
                           action_form=ActionForm())


@bp.route("/suppliers/<int:supplier_id>/archive", methods=["POST"])
@admin_only
def archive_supplier(supplier_id: int) -> Response:
    """Take a supplier out of this buyer's lists and pickers; its history stays."""
    supplier = get_or_404(Supplier, supplier_id)
    if ActionForm().validate_on_submit():
        services.archive_supplier(supplier, actor=signed_in_user())
        db.session.commit()
        flash(_("%(name)s is archived: it no longer appears in lists and pickers. Its agreements, "
                "responses and report figures are kept.", name=supplier.name), "success")
    return redirect(url_for("admin.view_supplier", supplier_id=supplier.id))


@bp.route("/suppliers/<int:supplier_id>/restore", methods=["POST"])
@admin_only
def restore_supplier(supplier_id: int) -> Response:
    """Take an archived supplier back into use."""
    supplier = get_or_404(Supplier, supplier_id)
    if ActionForm().validate_on_submit():
        services.restore_supplier(supplier, actor=signed_in_user())
        db.session.commit()
        flash(_("%(name)s is in use again.", name=supplier.name), "success")
    return redirect(url_for("admin.view_supplier", supplier_id=supplier.id))


@bp.route("/suppliers/<int:supplier_id>/edit", methods=["GET", "POST"])
@admin_only
def edit_supplier(supplier_id: int) -> Response | str:
    """Change a supplier's details."""
    supplier = get_or_404(Supplier, supplier_id)
    form = SupplierForm(obj=supplier)
    if form.validate_on_submit():
        try:
            services.update_supplier(supplier, _supplier_values(form), actor=signed_in_user())
        except services.DuplicateError:
            form.org_number.errors.append(_("A supplier with this organisation number is already registered"))
        else:
            db.session.commit()
            flash(_("The changes are saved."), "success")
            return redirect(url_for("admin.view_supplier", supplier_id=supplier.id))
    return render_template("admin/edit_supplier.html", form=form, supplier=supplier)


def _supplier_values(form: SupplierForm) -> dict[str, Any]:
    return {name: getattr(form, name).data for name in services.SUPPLIER_FIELDS}


# Users


@bp.route("/users")
@admin_only
def list_users() -> str:
    """Every account, with role, supplier and status."""
    q = inputs.arg("q", 100)
    query = select(User).options(selectinload(User.supplier)).order_by(User.email)
    if q:
        like = f"%{q}%"
        query = query.where(or_(User.email.ilike(like), User.name.ilike(like)))
    page = paginate(query, _page_number(), int(_config("PAGE_SIZE")))
    return render_template("admin/list_users.html", page=page, q=q, action_form=ActionForm())


@bp.route("/users/invite", methods=["GET", "POST"])
@admin_only
def invite_user() -> Response | str:
    """Invite a supplier user, reviewer or administrator by e-mail."""
    form = InviteUserForm()
    form.supplier_id.choices = select_choices(_supplier_choices(blank=True))
    # ``?next=``: the page the administrator came from (a round's preview), returned to after.
    back = next_url if is_safe_next(next_url := inputs.arg("next")) else None
    if request.method == "GET" and (supplier_id := inputs.arg_int("supplier")):
        form.supplier_id.data = supplier_id
    if form.validate_on_submit():
        role = Role(form.role.data)
        supplier = db.session.get(Supplier, form.supplier_id.data, populate_existing=True) if role == Role.SUPPLIER else None
        try:
            user = accounts.invite_user(form.email.data, role=role, supplier=supplier,
                                        locale=form.locale.data, name=form.name.data or "",
                                        actor=signed_in_user())
        except accounts.AccountError as error:
            if str(error) == "exists":
                form.email.errors.append(_("A user with this e-mail address already exists"))
            else:
                form.supplier_id.errors.append(_("Choose the supplier the user belongs to"))
        else:
            notifications.send_invitation(user)
            db.session.commit()
            flash(_("An invitation has been sent to %(email)s.", email=user.email), "success")
            return redirect(back or url_for("admin.list_users"))
    return render_template("admin/invite_user.html", form=form, back=back)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_only
def edit_user(user_id: int) -> Response | str:
    """Change a user's role; deactivate or reactivate the account."""
    user = get_or_404(User, user_id)
    form = EditUserForm(obj=user)
    form.supplier_id.choices = select_choices(
        _supplier_choices(blank=True, keep=[user.supplier_id] if user.supplier_id else []))
    if request.method == "GET":
        form.supplier_id.data = user.supplier_id or 0
    if form.validate_on_submit():
        role = Role(form.role.data)
        supplier = db.session.get(Supplier, form.supplier_id.data, populate_existing=True) if role == Role.SUPPLIER else None
        if user.is_erased:
            form.role.errors.append(_("This person has been erased; the account cannot be changed"))
        elif user.id == current_user.id and role != Role.ADMIN:
            form.role.errors.append(_("You cannot remove your own administrator role"))
        else:
            accounts.change_role(user, role, supplier, actor=signed_in_user())
            db.session.commit()
            flash(_("The role is saved."), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/edit_user.html", form=form, user=user, action_form=ActionForm())


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@admin_only
def deactivate_user(user_id: int) -> Response:
    """Stop a user from signing in; nothing they wrote is deleted."""
    return _set_active(user_id, False)


@bp.route("/users/<int:user_id>/activate", methods=["POST"])
@admin_only
def activate_user(user_id: int) -> Response:
    """Let a deactivated user sign in again."""
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool) -> Response:
    user = get_or_404(User, user_id)
    if user.is_erased:
        flash(_("This person has been erased; the account cannot be used again."), "error")
    elif ActionForm().validate_on_submit():
        try:
            accounts.set_active(user, active, actor=signed_in_user())
        except accounts.AccountError:
            flash(_("You cannot deactivate your own account."), "error")
        else:
            db.session.commit()
            if active:
                flash(_("%(email)s can sign in again.", email=user.email), "success")
            else:
                flash(_("%(email)s is deactivated and signed out everywhere.", email=user.email), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>/personal-data", methods=["POST"])
@admin_only
def export_user_data(user_id: int) -> Response:
    """Download everything the portal holds about a person, for their request for access."""
    user = get_or_404(User, user_id)
    if not ActionForm().validate_on_submit():
        flash(_("The download did not start. Try again."), "error")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    return send_export(user, actor=signed_in_user())


@bp.route("/users/<int:user_id>/erase", methods=["GET", "POST"])
@admin_only
def erase_user(user_id: int) -> Response | str:
    """Erase a person who has left: what goes, what stays and why, then the erasure itself."""
    user = get_or_404(User, user_id)
    actor = signed_in_user()
    if user.is_erased:
        flash(_("This person has already been erased."), "info")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    if user.id == actor.id:
        flash(_("You cannot erase your own account. Ask another administrator."), "error")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    form = EraseUserForm()
    open_reviews = erasure.agreements_with_open_reviews(user)
    owners = erasure.new_owner_choices(user) if open_reviews else []
    form.new_owner_id.choices = select_choices(
        [(0, _("Choose a colleague"))] + [(u.id, u.display_name) for u in owners])
    last_user = erasure.is_last_active_user(user)
    if request.method == "POST":
        valid = form.validate_on_submit()
        new_owner = next((u for u in owners if u.id == form.new_owner_id.data), None)
        if open_reviews and new_owner is None:
            form.new_owner_id.errors.append(_("Choose who takes over the open reviews"))
            valid = False
        if last_user and not form.last_user_confirmed.data:
            form.last_user_confirmed.errors.append(
                _("Tick the box to confirm that the supplier will have no user who can sign in"))
            valid = False
        if valid:
            result = erasure.erase_person(user, actor=actor, new_owner=new_owner,
                                          last_user_confirmed=form.last_user_confirmed.data)
            db.session.commit()
            flash(_("The person is erased and is now shown as %(label)s.", label=result.label), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/erase_user.html", form=form, user=user, open_reviews=open_reviews,
                           last_user=last_user, not_erased=erasure.NOT_ERASED,
                           erased_label=erased_label(user.id))


@bp.route("/users/<int:user_id>/resend", methods=["POST"])
@admin_only
def resend_invitation(user_id: int) -> Response:
    """Send a new invitation link; the earlier link stops working."""
    user = get_or_404(User, user_id)
    if user.is_erased:
        flash(_("This person has been erased; the account cannot be used again."), "error")
    elif ActionForm().validate_on_submit():
        if user.has_accepted_invitation:
            flash(_("%(email)s has already accepted the invitation.", email=user.email), "info")
        else:
            accounts.invite_user(user.email, role=Role(user.role), supplier=user.supplier,
                                 locale=user.locale, actor=signed_in_user())
            notifications.send_invitation(user)
            db.session.commit()
            flash(_("A new invitation has been sent to %(email)s.", email=user.email), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


# Agreements

AGREEMENT_STATUSES = ("active", "ended", "archived")


@bp.route("/agreements")
def list_agreements() -> str:
    """Agreements, filterable by category, status and supplier."""
    category = inputs.arg("category")
    status = inputs.arg("status")
    supplier_id = inputs.arg_int("supplier")
    query = select(Agreement).options(selectinload(Agreement.suppliers)).order_by(Agreement.name_nb)
    if category in DFO_CATEGORIES:
        query = query.where(Agreement.dfo_category == category)
    today = clock.today()
    query = query.where(Agreement.archived_at.is_not(None) if status == "archived"
                        else Agreement.archived_at.is_(None))
    if status == "active":
        query = query.where(Agreement.start_date <= today,
                            or_(Agreement.end_date.is_(None), Agreement.end_date >= today))
    elif status == "ended":
        query = query.where(Agreement.end_date < today)
    if supplier_id is not None:
        query = query.where(Agreement.suppliers.any(Supplier.id == supplier_id))
    page = paginate(query, _page_number(), int(_config("PAGE_SIZE")))
    return render_template(
        "admin/list_agreements.html", page=page, categories=DFO_CATEGORIES,
        category=category, status=status, supplier=str(supplier_id or ""),
        suppliers=_supplier_choices(blank=False), today=today,
    )


@bp.route("/agreements/new", methods=["GET", "POST"])
@admin_only
def new_agreement() -> Response | str:
    """Register an agreement with its ethical requirements."""
    form = _agreement_form()
    if form.validate_on_submit():
        try:
            agreement = services.create_agreement(_agreement_values(form), form.supplier_ids.data or [],
                                                  actor=signed_in_user())
        except services.DuplicateError:
            form.reference.errors.append(_("Another agreement already has this reference number"))
        else:
            db.session.commit()
            flash(_("The agreement is registered."), "success")
            return redirect(url_for("admin.view_agreement", agreement_id=agreement.id))
    return render_template("admin/edit_agreement.html", form=form, agreement=None)


@bp.route("/agreements/<int:agreement_id>")
def view_agreement(agreement_id: int) -> Any:
    """An agreement with its requirements and suppliers."""
    agreement = db.session.scalar(
        select(Agreement).where(Agreement.id == id_or_404(agreement_id))
        .options(selectinload(Agreement.suppliers), selectinload(Agreement.contract_manager))
    ) or abort(404)
    return _render_agreement(agreement)


@bp.route("/agreements/<int:agreement_id>/archive", methods=["POST"])
@admin_only
def archive_agreement(agreement_id: int) -> Response:
    """Take an agreement out of lists and pickers; its responses and figures stay."""
    agreement = get_or_404(Agreement, agreement_id)
    if ActionForm().validate_on_submit():
        services.archive_agreement(agreement, actor=signed_in_user())
        db.session.commit()
        flash(_("The agreement is archived: it no longer appears in lists and pickers. Its "
                "responses, reviews, deviations and report figures are kept."), "success")
    return redirect(url_for("admin.view_agreement", agreement_id=agreement.id))


@bp.route("/agreements/<int:agreement_id>/restore", methods=["POST"])
@admin_only
def restore_agreement(agreement_id: int) -> Response:
    """Take an archived agreement back into use."""
    agreement = get_or_404(Agreement, agreement_id)
    if ActionForm().validate_on_submit():
        services.restore_agreement(agreement, actor=signed_in_user())
        db.session.commit()
        flash(_("The agreement is in use again."), "success")
    return redirect(url_for("admin.view_agreement", agreement_id=agreement.id))


def _render_agreement(
    agreement: Agreement, participant_form: AddParticipantForm | None = None, status: int = 200
) -> Any:
    user = signed_in_user()
    can_manage = user.is_admin and agreement.is_led_by(user)
    if can_manage and participant_form is None:
        participant_form = AddParticipantForm(formdata=None)
    if participant_form is not None:
        participant_form.buyer_id.choices = _participant_choices(agreement)
    return render_template(
        "admin/view_agreement.html", agreement=agreement, today=clock.today(),
        participants=services.participants(agreement), participant_form=participant_form,
        remove_form=ActionForm(formdata=None) if can_manage else None,
        lead=services.lead_of(agreement),
    ), status


def _participant_choices(agreement: Agreement) -> list[Any]:
    return select_choices(
        [(0, _("Choose a buyer"))]
        + [(b.id, f"{b.name} ({b.org_number})" if b.org_number else b.name)
           for b in services.participant_candidates(agreement)]
    )


def _led_agreement_or_404(agreement_id: int) -> Agreement:
    agreement = get_or_404(Agreement, agreement_id)
    if not agreement.is_led_by(signed_in_user()):
        abort(404)
    return agreement


@bp.route("/agreements/<int:agreement_id>/participants", methods=["POST"])
@admin_only
def add_participant(agreement_id: int) -> Response | tuple[str, int]:
    """Let another buyer take part in this joint agreement."""
    agreement = _led_agreement_or_404(agreement_id)
    form = AddParticipantForm()
    form.buyer_id.choices = _participant_choices(agreement)
    if form.validate_on_submit():
        try:
            buyer = services.add_participant(agreement, form.buyer_id.data, actor=signed_in_user())
        except services.ParticipantError:
            form.buyer_id.errors.append(_("Choose one of the buyers in the list"))
        else:
            db.session.commit()
            flash(_("%(buyer)s now takes part in the agreement.", buyer=buyer.name), "success")
            return redirect(url_for("admin.view_agreement", agreement_id=agreement.id))
    return _render_agreement(agreement, form, status=400)


@bp.route("/agreements/<int:agreement_id>/participants/<int:buyer_id>/remove", methods=["POST"])
@admin_only
def remove_participant(agreement_id: int, buyer_id: int) -> Response:
    """End another buyer's part in this joint agreement."""
    agreement = _led_agreement_or_404(agreement_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if not services.remove_participant(agreement, id_or_404(buyer_id), actor=signed_in_user()):
        abort(404)
    db.session.commit()
    flash(_("The buyer no longer takes part in the agreement."), "success")
    return redirect(url_for("admin.view_agreement", agreement_id=agreement.id))


@bp.route("/agreements/<int:agreement_id>/edit", methods=["GET", "POST"])
@admin_only
def edit_agreement(agreement_id: int) -> Response | str:
    """Change an agreement."""
    agreement = get_or_404(Agreement, agreement_id)
    form = _agreement_form(agreement)
    if form.validate_on_submit():
        try:
            services.update_agreement(agreement, _agreement_values(form), form.supplier_ids.data or [],
                                      actor=signed_in_user())
        except services.DuplicateError:
            form.reference.errors.append(_("Another agreement already has this reference number"))
        else:
            db.session.commit()
            flash(_("The changes are saved."), "success")
            return redirect(url_for("admin.view_agreement", agreement_id=agreement.id))
    return render_template("admin/edit_agreement.html", form=form, agreement=agreement)


def _agreement_form(agreement: Agreement | None = None) -> AgreementForm:
    form = AgreementForm(obj=agreement)
    on_it = [s.id for s in agreement.suppliers] if agreement is not None else []
    form.supplier_ids.choices = select_choices(_supplier_choices(blank=False, keep=on_it))
    form.contract_manager_id.choices = select_choices(_staff_choices())
    if agreement is not None and request.method == "GET":
        form.supplier_ids.data = [s.id for s in agreement.suppliers]
        form.contract_manager_id.data = agreement.contract_manager_id or 0
        form.dfo_category.data = agreement.dfo_category or ""
    return form


def _agreement_values(form: AgreementForm) -> dict[str, Any]:
    return {name: getattr(form, name).data for name in services.AGREEMENT_FIELDS}


# Priority risks (2.A.3)


@bp.route("/risks")
def list_risks() -> str:
    """The municipality's priority risks, as in table 2.A.3 of the annual report."""
    risks = db.session.scalars(select(PriorityRisk).order_by(PriorityRisk.position, PriorityRisk.id)).all()
    return render_template("admin/list_risks.html", risks=risks, action_form=ActionForm())


@bp.route("/risks/new", methods=["GET", "POST"])
@admin_only
def new_risk() -> Response | str:
    """Add a priority risk."""
    form = PriorityRiskForm()
    if form.validate_on_submit():
        services.save_priority_risk(None, _risk_values(form), actor=signed_in_user())
        db.session.commit()
        flash(_("The risk is saved."), "success")
        return redirect(url_for("admin.list_risks"))
    return render_template("admin/edit_risk.html", form=form, risk=None)


@bp.route("/risks/<int:risk_id>/edit", methods=["GET", "POST"])
@admin_only
def edit_risk(risk_id: int) -> Response | str:
    """Change a priority risk."""
    risk = get_or_404(PriorityRisk, risk_id)
    form = PriorityRiskForm(obj=risk)
    if form.validate_on_submit():
        services.save_priority_risk(risk, _risk_values(form), actor=signed_in_user())
        db.session.commit()
        flash(_("The risk is saved."), "success")
        return redirect(url_for("admin.list_risks"))
    return render_template("admin/edit_risk.html", form=form, risk=risk)


@bp.route("/risks/<int:risk_id>/delete", methods=["POST"])
@admin_only
def delete_risk(risk_id: int) -> Response:
    """Remove a priority risk from the table."""
    risk = get_or_404(PriorityRisk, risk_id)
    if ActionForm().validate_on_submit():
        services.delete_priority_risk(risk, actor=signed_in_user())
        db.session.commit()
        flash(_("The risk is removed."), "success")
    return redirect(url_for("admin.list_risks"))


def _risk_values(form: PriorityRiskForm) -> dict[str, Any]:
    return {name: getattr(form, name).data for name in services.RISK_FIELDS}


def _config(key: str) -> Any:
    from flask import current_app

    return current_app.config[key]
