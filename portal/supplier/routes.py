"""The supplier's own pages: its company, colleagues and agreements."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
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
def invite_colleague() -> Response | str:
    """Invite a colleague from the same company."""
    supplier = _own_supplier()
    form = InviteColleagueForm()
    if form.validate_on_submit():
        existing = accounts.find_user_by_email(form.email.data)
        if existing is not None and existing.supplier_id != supplier.id:
            form.email.errors.append(
                _("This address cannot be invited from your company. Contact the municipality if it should be.")
            )
        else:
            try:
                user = accounts.invite_user(form.email.data, role=Role.SUPPLIER, supplier=supplier,
                                            locale=form.locale.data, name=form.name.data or "",
                                            actor=signed_in_user())
            except accounts.AccountError:
                form.email.errors.append(_("Your colleague already has an account"))
            else:
                notifications.send_invitation(user)
                db.session.commit()
                flash(_("An invitation has been sent to %(email)s.", email=user.email), "success")
                return redirect(url_for("supplier.home"))
    return render_template("supplier/invite_colleague.html", form=form, supplier=supplier)
