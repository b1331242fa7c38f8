"""The privacy statement (personvernerklæring) and each user's download of their own data."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from portal.access import signed_in_user
from portal.admin.forms import ActionForm
from portal.extensions import db, limiter
from portal.models import User, utcnow
from portal.privacy.export import export_personal_data
from portal.privacy.record import RECORD
from portal.privacy.retention import retention_periods

bp = Blueprint("privacy", __name__)

#: Building an export reads every file the person uploaded; a person rarely needs many.
EXPORT_LIMIT = "10 per hour"


@bp.route("/privacy")
def privacy_statement() -> str:
    """What personal data the portal keeps, why, on which basis, who sees it and for how long."""
    return render_template("privacy/privacy_statement.html", record=RECORD, action_form=ActionForm(),
                           retention=retention_periods())


@bp.route("/privacy/my-data", methods=["POST"])
@limiter.limit(EXPORT_LIMIT)  # outermost: without its counters the route fails closed (503)
@login_required
def export_my_data() -> Response:
    """Download everything the portal holds about the signed-in user (JSON plus files, as ZIP)."""
    if not ActionForm().validate_on_submit():
        flash(_("The download did not start. Try again."), "error")
        return redirect(url_for("privacy.privacy_statement"))
    user = signed_in_user()
    return send_export(user, actor=user)


def send_export(user: User, *, actor: User) -> Response:
    """Build the person's ZIP, commit the audit event of the export, and send it."""
    archive = export_personal_data(user, actor=actor)
    db.session.commit()
    name = f"aktsom-personal-data-{user.id}-{utcnow():%Y%m%d}.zip"
    return send_file(archive, mimetype="application/zip", as_attachment=True, download_name=name,
                     max_age=0, conditional=False, etag=False)
