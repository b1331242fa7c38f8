"""The supplier's own pages: its company, colleagues and agreements."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from portal import notifications
from portal.access import id_or_404, require_roles, signed_in_user
from portal.admin.forms import InviteColleagueForm
from portal.auth import services as accounts
from portal.extensions import db
from portal.models import Role, Supplier, User
from portal.responses.overview import start_page
from portal.supplier import notify, services
from portal.supplier.forms import DeactivateColleagueForm, EditContactDetailsForm

bp = Blueprint("supplier", __name__, url_prefix="/company")
require_roles(bp, Role.SUPPLIER)


def _own_supplier() -> Supplier:
    supplier = db.session.scalar(
        select(Supplier).where(Supplier.id == current_user.supplier_id)
        .options(selectinload(Supplier.users), selectinload(Supplier.agreements))
    )
    assert supplier is not None  # guaranteed by the supplier-role check constraint
    return supplier


@bp.route("/")
def home() -> str:
    """The supplier's start page: requests to do and done, from every buyer; agreements and colleagues."""
    supplier = _own_supplier()
    return render_template("supplier/home.html", supplier=supplier, requests=start_page(supplier.id))


@bp.route("/invite", methods=["GET", "POST"])
def invite_colleague() -> Response | str | tuple[str, int]:
    """Invite a colleague from the same company; the answer is the same for every address."""
    supplier = _own_supplier()
    form = InviteColleagueForm()
    if form.validate_on_submit():
        try:
            user = accounts.invite_colleague(form.email.data, supplier=supplier, locale=form.locale.data,
                                             name=form.name.data or "", actor=signed_in_user())
        except accounts.TooManyInvitations:
            limit = int(current_app.config["SUPPLIER_INVITATIONS_PER_HOUR"])
            form.email.errors.append(ngettext(
                "You can send at most %(num)d invitation an hour. Try again later.",
                "You can send at most %(num)d invitations an hour. Try again later.", limit))
            return render_template("supplier/invite_colleague.html", form=form, supplier=supplier), 429
        if user is not None:
            notifications.send_invitation(user)  # queued: sent after the commit
        db.session.commit()
        # The same answer whether or not an invitation went out (see invite_colleague).
        flash(_("If %(email)s can be invited from your company, your colleague gets an e-mail with a link "
                "to create an account. Colleagues who already have an account are listed on this page.",
                email=form.email.data.strip().lower()), "success")
        return redirect(url_for("supplier.home"))
    return render_template("supplier/invite_colleague.html", form=form, supplier=supplier)


@bp.route("/details", methods=["GET", "POST"])
def edit_details() -> Response | str:
    """Change the company's address; the name and organisation number stay as registered."""
    supplier = _own_supplier()
    form = EditContactDetailsForm(obj=supplier)
    if form.validate_on_submit():
        actor = signed_in_user()
        changes = services.update_contact_details(
            supplier, {name: getattr(form, name).data for name in services.CONTACT_FIELDS}, actor=actor)
        if changes:
            notify.contact_details_changed(supplier, changes, actor=actor)
        db.session.commit()
        if changes:
            flash(_("The contact details are saved. Your colleagues have been told by e-mail."), "success")
        else:
            flash(_("Nothing was changed."), "info")
        return redirect(url_for("supplier.home"))
    return render_template("supplier/edit_details.html", form=form, supplier=supplier,
                           buyers=services.buyer_names(supplier.id))


def _colleague_or_404(user_id: int) -> User:
    """A user of the signed-in user's own supplier; anyone else's id is not admitted to exist."""
    colleague = db.session.scalar(select(User).where(
        User.id == id_or_404(user_id), User.supplier_id == current_user.supplier_id,
        User.role == Role.SUPPLIER.value,
    ))
    if colleague is None:
        abort(404)
    return colleague


@bp.route("/colleagues/<int:user_id>/deactivate", methods=["GET", "POST"])
def deactivate_colleague(user_id: int) -> Response | str:
    """Confirm, then end a colleague's access; warns when the visitor would be the last user left."""
    colleague = _colleague_or_404(user_id)
    supplier = _own_supplier()
    actor = signed_in_user()
    if colleague.id == actor.id:
        flash(_("You cannot deactivate your own account. Ask a colleague or %(buyers)s.",
                buyers=services.buyer_names(supplier.id)), "error")
        return redirect(url_for("supplier.home"))
    if not colleague.is_active:
        flash(_("%(name)s is already deactivated.", name=colleague.display_name), "info")
        return redirect(url_for("supplier.home"))
    form = DeactivateColleagueForm()
    if form.validate_on_submit():
        services.deactivate_colleague(colleague, actor=actor)
        notify.colleague_deactivated(colleague, actor=actor)
        db.session.commit()
        flash(_("%(name)s is deactivated and signed out everywhere, and has been told by e-mail.",
                name=colleague.display_name), "success")
        return redirect(url_for("supplier.home"))
    last_one = services.other_active_users(supplier.id, besides=(actor.id, colleague.id)) == 0
    return render_template("supplier/deactivate_colleague.html", form=form, supplier=supplier,
                           colleague=colleague, last_one=last_one,
                           buyers=services.buyer_names(supplier.id))
