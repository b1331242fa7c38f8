"""The platform administrator's pages: the buyers on this installation and their administrators.

The platform administrator sees buyers and who administers them, never a buyer's
agreements, answers, verdicts or deviations (DOMAIN part 0b).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal import notifications
from portal.access import get_or_404, require_roles, signed_in_user
from portal.auth import services as accounts
from portal.extensions import db
from portal.models import Buyer, Role, User
from portal.platform import services
from portal.platform.forms import BuyerForm, InviteBuyerAdminForm, buyer_kind_labels

bp = Blueprint("platform", __name__, url_prefix="/platform")
require_roles(bp, Role.PLATFORM_ADMIN)


@bp.route("/")
def list_buyers() -> str:
    """Every buyer on the installation, with how many staff it has."""
    staff = (
        select(User.buyer_id, func.count(User.id).label("staff"))
        .where(User.buyer_id.is_not(None), User.is_active.is_(True))
        .group_by(User.buyer_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Buyer, func.coalesce(staff.c.staff, 0))
        .outerjoin(staff, staff.c.buyer_id == Buyer.id)
        .order_by(Buyer.name, Buyer.id)
    ).all()
    return render_template("platform/list_buyers.html", rows=rows, kinds=buyer_kind_labels())


@bp.route("/buyers/new", methods=["GET", "POST"])
def new_buyer() -> ResponseReturnValue:
    """Register a buyer (oppdragsgiver)."""
    form = BuyerForm()
    if form.validate_on_submit():
        try:
            buyer = services.save_buyer(None, _values(form), actor=signed_in_user())
        except services.DuplicateBuyer:
            form.org_number.errors.append(_("A buyer with this organisation number is already registered"))
        else:
            db.session.commit()
            flash(_("%(name)s is registered. Invite its first administrator.", name=buyer.name), "success")
            return redirect(url_for("platform.invite_admin", buyer_id=buyer.id))
    return render_template("platform/edit_buyer.html", form=form, buyer=None)


@bp.route("/buyers/<int:buyer_id>", methods=["GET", "POST"])
def edit_buyer(buyer_id: int) -> ResponseReturnValue:
    """A buyer's details and its staff."""
    buyer = get_or_404(Buyer, buyer_id)
    form = BuyerForm(obj=buyer)
    if form.validate_on_submit():
        try:
            services.save_buyer(buyer, _values(form), actor=signed_in_user())
        except services.DuplicateBuyer:
            form.org_number.errors.append(_("A buyer with this organisation number is already registered"))
        else:
            db.session.commit()
            flash(_("The changes are saved."), "success")
            return redirect(url_for("platform.edit_buyer", buyer_id=buyer.id))
    staff = db.session.scalars(
        select(User).where(User.buyer_id == buyer.id).order_by(User.role, User.name, User.email)
    ).all()
    return render_template("platform/edit_buyer.html", form=form, buyer=buyer, staff=staff)


@bp.route("/buyers/<int:buyer_id>/invite", methods=["GET", "POST"])
def invite_admin(buyer_id: int) -> ResponseReturnValue:
    """Invite an administrator of the buyer, who then invites its other staff."""
    buyer = get_or_404(Buyer, buyer_id)
    form = InviteBuyerAdminForm()
    if form.validate_on_submit():
        try:
            user = accounts.invite_user(form.email.data, role=Role.ADMIN, supplier=None,
                                        locale=form.locale.data, name=form.name.data or "",
                                        actor=signed_in_user(), buyer=buyer)
        except accounts.AccountError:
            form.email.errors.append(_("A user with this e-mail address already exists"))
        else:
            notifications.send_invitation(user)  # queued: sent after the commit
            db.session.commit()
            flash(_("An invitation has been sent to %(email)s.", email=user.email), "success")
            return redirect(url_for("platform.edit_buyer", buyer_id=buyer.id))
    return render_template("platform/invite_admin.html", form=form, buyer=buyer)


def _values(form: BuyerForm) -> dict[str, Any]:
    return {name: getattr(form, name).data for name in services.BUYER_FIELDS}
