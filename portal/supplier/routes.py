"""The supplier's own pages: its company, colleagues and agreements."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from portal import notifications
from portal.access import require_roles, signed_in_user
from portal.admin.forms import InviteColleagueForm
from portal.auth import services as accounts
from portal.extensions import db
from portal.models import Role, Supplier
from portal.responses.overview import response_overview

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
    """The supplier's start page: its responses with progress, its agreements and colleagues."""
    supplier = _own_supplier()
    return render_template("supplier/home.html", supplier=supplier, responses=response_overview(supplier.id))


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
