"""Aktsom: supplier due-diligence follow-up for Norwegian public buyers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from portal import config as cfg
from portal import logs


class BoundedIntConverter(IntegerConverter):
    """Ids in URLs fit the database's integer columns; a larger number is simply not found."""

    def __init__(self, map: object, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)  # type: ignore[arg-type]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application: defaults → environment (PORTAL_*) → test mapping."""
    instance_path = Path(
        (test_config or {}).get("INSTANCE_PATH")
        or os.environ.get("PORTAL_INSTANCE_PATH")
        or cfg.ROOT / "instance"
    ).resolve()
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        template_folder=str(cfg.ROOT / "templates"),
        static_folder=str(cfg.ROOT / "static"),
    )
    app.url_map.converters["int"] = BoundedIntConverter
    app.config.update(cfg.defaults(instance_path))
    cfg.from_environment(app.config)
    app.config.from_prefixed_env("PORTAL")
    if test_config:
        app.config.update(test_config)
    cfg.apply_production_rules(app.config)
    cfg.check_time_zone(app.config)
    instance_path.mkdir(parents=True, exist_ok=True)
    logs.configure(app)  # first: its request hooks must wrap everyone else's

    if app.config["TRUSTED_PROXIES"]:
        n = int(app.config["TRUSTED_PROXIES"])
        # Client address and scheme from the proxy, never the host: links are built from
        # PUBLIC_BASE_URL, and a forwarded Host is whatever the client sent the proxy.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=0)  # type: ignore[method-assign]

    from portal import (
        cli,
        database,
        errors,
        i18n,
        jobs,
        mail,
        security,
        storage,
        templating,
        tenancy,
    )
    from portal.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    database.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(Path(__file__).parent / "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    tenancy.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    mail.init_app(app)
    storage.init_app(app)
    jobs.init_app(app)
    cli.init_app(app)

    from portal.admin.routes import bp as admin_bp
    from portal.auth.routes import bp as auth_bp
    from portal.company.routes import bp as company_bp
    from portal.deviations.routes import bp as deviations_bp
    from portal.main.routes import bp as main_bp
    from portal.oidc.routes import bp as oidc_bp
    from portal.platform.routes import bp as platform_bp
    from portal.privacy.routes import bp as privacy_bp
    from portal.reports.routes import bp as reports_bp
    from portal.responses.routes import bp as responses_bp
    from portal.review.routes import bp as review_bp
    from portal.rounds.routes import bp as rounds_bp
    from portal.sharing.routes import bp as sharing_bp
    from portal.sharing.routes import received_bp
    from portal.sites.routes import bp as sites_bp
    from portal.supplier.routes import bp as supplier_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(oidc_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(supplier_bp)
    app.register_blueprint(sites_bp)
    app.register_blueprint(company_bp)
    app.register_blueprint(rounds_bp)
    app.register_blueprint(responses_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(sharing_bp)
    app.register_blueprint(received_bp)
    app.register_blueprint(deviations_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(platform_bp)
    app.register_blueprint(privacy_bp)
    return app
