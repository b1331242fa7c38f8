"""Front page, language switch, health check and the accessibility statement."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import text
from werkzeug.wrappers import Response

from portal.extensions import db, limiter
from portal.models import LOCALES
from portal.security import safe_next

bp = Blueprint("main", __name__)


@bp.route("/")
def index() -> Response | str:
    """Where each role starts."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.is_supplier:
        return redirect(url_for("supplier.home"))
    if current_user.is_platform_admin:
        return redirect(url_for("platform.list_buyers"))
    return render_template("main/index.html")


@bp.route("/language/<lang>", methods=["POST"])
def set_language(lang: str) -> Response:
    """Switch language (a plain form button, no JavaScript); saved on the account if signed in."""
    if lang not in LOCALES:
        return redirect(url_for("main.index"))
    session["locale"] = lang
    if current_user.is_authenticated and current_user.locale != lang:
        current_user.locale = lang
        db.session.commit()
    return redirect(safe_next(request.args.get("next"), url_for("main.index")))


@bp.route("/healthz")
@limiter.exempt
def healthz() -> tuple[Response, int]:
    """Application and database status for load balancers and monitoring."""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        db.session.rollback()
        database = "unavailable"
    healthy = database == "ok"
    return jsonify(status="ok" if healthy else "degraded", application="ok", database=database), (
        200 if healthy else 503
    )


@bp.route("/accessibility")
def accessibility() -> str:
    """The accessibility statement (tilgjengelighetserklæring)."""
    return render_template("main/accessibility.html")
