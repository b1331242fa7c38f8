"""The buyers' calendar: which day it is in Norway, whatever zone the server's clock is in.

A deadline, a deviation detected "today", an acceptance day, a reminder's day and an
export's date are days of the buyer's calendar: ``BABEL_DEFAULT_TIMEZONE``, Europe/Oslo.
``date.today()`` is the server process's day instead, and servers run on UTC: from
midnight to one (two in summer) in the morning in Norway it is still yesterday there, so
a reviewer at work at half past midnight was refused a deviation detected "in the
future" and a response due yesterday was not yet late. Every "today" of the portal comes
from here; stored moments are UTC and are turned into the buyer's day with ``day_of``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

#: The zone outside an application context (tests' module-level dates, scripts).
DEFAULT_ZONE = "Europe/Oslo"


def zone() -> ZoneInfo:
    """The buyers' time zone: the app's ``BABEL_DEFAULT_TIMEZONE``."""
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_app_context() else None
    return ZoneInfo(name or DEFAULT_ZONE)  # ZoneInfo keeps the zones it has read


def as_utc(moment: datetime) -> datetime:
    """A moment with its zone: a naive one is UTC, as the portal stores them."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def day_of(moment: datetime) -> date:
    """The buyers' day of a moment."""
    return as_utc(moment).astimezone(zone()).date()


def today() -> date:
    """Today in the buyers' calendar."""
    return day_of(datetime.now(UTC))
