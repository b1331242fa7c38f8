"""``flask verify-storage`` and ``flask storage cleanup-orphans|backfill``: checking stored files."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from portal import storage
from portal.extensions import db

group = AppGroup("storage", help="Stored files: evidence, attachments, receipts, exports.")


def _where() -> str:
    parts = urlsplit(current_app.config["STORAGE_URL"])
    return f"{parts.scheme}://{parts.hostname or ''}{parts.path}"  # never a password from the URL


@click.command("verify-storage")
@with_appcontext
def verify_command() -> None:
    """Read every stored file back and compare it with its record; exit 1 on any problem.

    Run it after a restore: every file the database knows must be in the storage, with the
    size and SHA-256 recorded when it was saved.
    """
    checked = problems = 0
    for _record, problem in storage.verify():
        checked += 1
        if problem is not None:
            problems += 1
            click.echo(f"PROBLEM {problem}")
    click.echo(f"Checked {checked} stored files in {_where()}: {problems} problems.")
    if problems:
        raise SystemExit(1)


@group.command("cleanup-orphans")
@click.option("--older-than-hours", type=click.FloatRange(min=0), default=1, show_default=True,
              help="Leave newer files alone: their transaction may still be open.")
@click.option("--dry-run", is_flag=True, help="List what would be removed; remove nothing.")
def cleanup_orphans_command(older_than_hours: float, dry_run: bool) -> None:
    """Remove files no record knows, and records nothing uses (left by interrupted requests)."""
    removed = storage.cleanup_orphans(older_than=timedelta(hours=older_than_hours), dry_run=dry_run)
    for key in removed:
        click.echo(f"{'would remove' if dry_run else 'removed'} {key}")
    click.echo(f"{len(removed)} orphans {'found' if dry_run else 'removed'} in {_where()}.")


@group.command("backfill")
def backfill_command() -> None:
    """Measure the size and SHA-256 of files recorded without them (receipts made before 2026-12)."""
    filled = storage.backfill()
    db.session.commit()
    click.echo(f"{filled} stored files measured.")


def init_app(app: Flask) -> None:
    app.cli.add_command(verify_command)
    app.cli.add_command(group)
