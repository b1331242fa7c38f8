"""Command-line tasks: ``flask --app wsgi <command>``."""

from __future__ import annotations

from datetime import datetime

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from portal import clock, storage_cli
from portal.extensions import db
from portal.rounds import cli as rounds_cli


@click.command("demo-data")
@with_appcontext
def demo_data_command() -> None:
    """Load the demo municipality, suppliers, agreements, risks and logins (idempotent)."""
    from portal.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo_data

    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("Demo data is refused in production (PORTAL_ENV=production).")
    created = load_demo_data()
    db.session.commit()
    summary = ", ".join(f"{n} {kind}" for kind, n in created.items())
    click.echo(f"Demo data loaded ({summary} created).")
    click.echo(f"Demo logins (password: {DEMO_PASSWORD}):")
    for login in DEMO_LOGINS:
        click.echo(f"  {login.email:<36} {login.description}")


@click.command("create-admin")
@click.argument("email")
@click.option("--locale", type=click.Choice(["nb", "en"]), default="nb", show_default=True)
@with_appcontext
def create_admin_command(email: str, locale: str) -> None:
    """Create a platform administrator and print the link to set a password.

    The platform administrator runs the installation: registers the buyers and invites
    each buyer's first administrator, who invites the buyer's other staff.
    """
    from email_validator import EmailNotValidError, validate_email
    from sqlalchemy import func, select

    from portal.models import Role, User, utcnow
    from portal.notifications import external_url
    from portal.tokens import INVITATION, make_token

    try:
        email = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise click.BadParameter(str(error), param_hint="EMAIL") from error
    if db.session.scalar(select(User).where(func.lower(User.email) == email)
                         .execution_options(all_buyers=True)) is not None:
        raise click.ClickException(f"A user with the e-mail {email} already exists.")
    user = User(email=email, role=Role.PLATFORM_ADMIN.value, locale=locale, invited_at=utcnow())
    db.session.add(user)
    db.session.commit()
    token = make_token(INVITATION, user)
    click.echo(f"Platform administrator {email} created. Set the password within "
               f"{current_app.config['INVITATION_MAX_AGE_DAYS']} days at:")
    click.echo(f"  {external_url('auth.accept_invitation', token=token)}")


@click.command("retention")
@click.option("--dry-run", is_flag=True, help="List what would be deleted; delete nothing.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Count the periods as of this day (default: today).")
@with_appcontext
def retention_command(dry_run: bool, today: datetime | None) -> None:
    """Delete evidence files, receipts and answers whose retention period is over
    (RETENTION_*_YEARS after the agreement ended), as the nightly job does."""
    from portal.privacy import retention

    day = today.date() if today is not None else clock.today()
    found = retention.apply_retention(day, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    verb = "would delete" if dry_run else "deleted"
    for entry in found:
        click.echo(f"{verb} {entry.kind} {entry.description} ({entry.key or '-'}) of agreement "
                   f"{entry.agreement_reference}, ended {entry.agreement_ended.isoformat()}")
    periods = {kind: retention.retention_years(kind) for kind in retention.KINDS}
    years = ", ".join(f"{kind} {'for ever' if n is None else n}" for kind, n in periods.items())
    click.echo(f"{len(found)} {'to delete' if dry_run else 'deleted'} as of {day.isoformat()} "
               f"(kept after the agreement ended, in years: {years}).")


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_data_command)
    app.cli.add_command(create_admin_command)
    app.cli.add_command(retention_command)
    rounds_cli.init_app(app)
    storage_cli.init_app(app)
