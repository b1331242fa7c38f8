"""Front page, language switch, health checks and the accessibility statement."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, session, url_for
from flask_login import current_user
from sqlalchemy import text
from werkzeug.wrappers import Response

from portal import health, inputs, logs
from portal.extensions import db, limiter
from portal.models import LOCALES
from portal.security import safe_next

bp = Blueprint("main", __name__)


def _read_migration_heads(_state: object) -> None:
    """Read the migration heads while the app is built, not on the first probe."""
    health.migration_revisions()


bp.record_once(_read_migration_heads)


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
    return redirect(safe_next(inputs.optional_arg("next", 2000), url_for("main.index")))


@bp.route("/livez")
@limiter.exempt
@logs.quiet
def livez() -> tuple[Response, int]:
    """The process answers (no database): restart it if this fails."""
    return _no_store(jsonify(status="ok")), 200


@bp.route("/readyz")
@limiter.exempt
@logs.quiet
def readyz() -> tuple[Response, int]:
    """May this server be sent traffic: database at the migration head, storage, Redis, jobs."""
    ready, checks = health.readiness()
    body = jsonify(status="ok" if ready else "unavailable", checks=checks)
    return _no_store(body), 200 if ready else 503


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/healthz")
@limiter.exempt
@logs.quiet
def healthz() -> tuple[Response, int]:
    """Application and database answer (kept for existing monitors; balancers use /readyz)."""
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
