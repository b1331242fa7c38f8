"""Locale selection and locale-aware formatting.

The locale is the user's saved choice, else the session's, else the browser's
Accept-Language, else Bokmål. Browsers send no/nn/nb for Norwegian: all mean nb here.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import babel, db
from portal.models import LOCALES


def select_locale() -> str:
    try:
        if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
            return str(current_user.locale)
    except SQLAlchemyError:  # the database is down (the error page asks too): the next choice
        pass
    if session.get("locale") in LOCALES:
        return str(session["locale"])
    best = request.accept_languages.best_match(["nb", "no", "nn", "en"])
    return "en" if best == "en" else "nb"


def current_locale() -> str:
    return str(get_locale() or "nb")


def _settle_locale(session: Any) -> None:
    """Choose the request's language before a commit expires the signed-in user.

    Flask-Babel asks ``select_locale`` only when something is first translated, which is
    often a flash after the commit; reading ``current_user.locale`` then loads the user
    again. Choosing it here costs nothing (the user is loaded) and is cached for the request.
    """
    if has_request_context():
        get_locale()


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
    if not event.contains(db.session, "before_commit", _settle_locale):
        event.listen(db.session, "before_commit", _settle_locale)
