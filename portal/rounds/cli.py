"""``flask --app wsgi questionnaire import FILE`` and ``flask --app wsgi send-reminders``."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from portal import clock
from portal.config import public_base_url
from portal.extensions import db
from portal.questionnaires.definition import DefinitionError
from portal.rounds import services

log = logging.getLogger(__name__)

questionnaire = AppGroup("questionnaire", help="Questionnaire definitions.")


@questionnaire.command("import")
@click.argument(
    "file", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)
)
def import_command(file: Path) -> None:
    """Validate a definition file (YAML or JSON) and store it as a published version.

    Importing a file that is already stored changes nothing.
    """
    try:
        content = file.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{file}: cannot read the file as UTF-8 text: {error}") from error
    try:
        stored = services.store_version(content, str(file), actor=None)
    except DefinitionError as error:
        db.session.rollback()
        click.echo(error.report(), err=True)
        count = len(error.errors)
        click.echo(f"Nothing stored: {count} problem{'s' if count != 1 else ''} in {file}.", err=True)
        raise SystemExit(1) from error
    except services.VersionExists as error:
        db.session.rollback()
        raise click.ClickException(
            f"{error.key} {error.version} is already stored with other content; a stored version "
            "never changes. Give the edited file a new version number."
        ) from error
    db.session.commit()
    version = stored.version
    state = "Stored" if stored.created else "Already stored, unchanged:"
    click.echo(f"{state} {version.key} version {version.version} (id {version.id})")
    click.echo(f"sha256 {version.content_hash}")


@click.command("send-reminders")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Act as if it were this date (YYYY-MM-DD); for testing.",
)
@with_appcontext
def send_reminders_command(today: datetime | None) -> None:
    """Queue due deadline reminders (14 and 3 days before, and once overdue) and overdue-deviation
    notices; their e-mails go out after the commit. Safe to run hourly. On PostgreSQL the
    worker runs the same tick by itself (JOBS_REMINDER_CRON)."""
    day = today.date() if today else clock.today()
    if not current_app.config.get("PUBLIC_BASE_URL"):
        click.echo("Warning: PUBLIC_BASE_URL is not set, so links in the e-mails point to "
                   f"{public_base_url(current_app.config)}.", err=True)
    from portal.deviations.notify import send_deviation_overdue_notices

    try:
        counts = services.send_due_reminders(day, after_batch=db.session.commit)
        deviation_emails = send_deviation_overdue_notices(day, after_batch=db.session.commit)
    except Exception as error:
        db.session.rollback()
        log.exception("send_reminders_failed")
        raise click.ClickException(
            f"Sending reminders stopped: {error}. Reminders of completed batches are recorded; "
            "run the command again to send the rest."
        ) from error
    db.session.commit()
    click.echo(
        f"Reminders for {day.isoformat()}: "
        f"{counts[services.REMIND_14]} at 14 days, {counts[services.REMIND_3]} at 3 days, "
        f"{counts[services.REMIND_OVERDUE]} overdue; {counts['emails']} e-mail(s) queued. "
        f"Deviations past their deadline: {deviation_emails} e-mail(s) queued."
    )


def init_app(app: Flask) -> None:
    app.cli.add_command(questionnaire)
    app.cli.add_command(send_reminders_command)
