"""Locale selection and locale-aware formatting.

The locale is the user's saved choice, else the session's, else the browser's
Accept-Language, else Bokmål. Browsers send no/nn/nb for Norwegian: all mean nb here.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from babel import Locale
from babel import dates as babel_dates
from babel.support import NullTranslations
from flask import Flask, has_request_context, request, session
from flask.globals import _cv_app
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

from portal import clock
from portal.extensions import babel, db
from portal.models import LOCALES


def select_locale() -> str:
    if not has_request_context():  # a command or a job: Norwegian unless it forces a locale
        return "nb"
    try:
        if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
            return str(current_user.locale)
    except SQLAlchemyError:  # the database is down (the error page asks too): the next choice
        pass
    if session.get("locale") in LOCALES:
        return str(session["locale"])
    best = request.accept_languages.best_match(["nb", "no", "nn", "en"])
    return "en" if best == "en" else "nb"


@dataclass
class _Chosen:
    """What Flask-Babel chose for this app context: the locale, its name and translations."""

    locale: Locale | None
    name: str
    translations: NullTranslations
    # Templates' translated strings without placeholders, as Markup (see template_gettext).
    markup: dict[str, Markup] = field(default_factory=dict)


def _babel_state() -> Any:
    """Flask-Babel's state in ``flask.g`` (None outside an app context or before it is made).

    Read from Flask's context variable: through the ``g`` proxy it costs ten Python calls,
    and it is read for every string translated.
    """
    app_context = _cv_app.get(None)
    return None if app_context is None else getattr(app_context.g, "_flask_babel", None)


def _chosen() -> _Chosen:
    """Flask-Babel's choice of locale and translations, asked for once per app context.

    Flask-Babel's ``gettext`` and ``get_locale`` find the domain, the locale and the
    translations through ``flask.g`` again for every string (about 40 Python calls); a
    section page translates some 50. Here they are asked of Flask-Babel once and kept in its
    own per-context state, next to the Locale object they belong to: ``force_locale`` and
    ``refresh`` replace or remove that object, so a switched locale is asked for again.
    """
    state = _babel_state()
    if state is not None:
        kept = getattr(state, "portal_chosen", None)
        if kept is not None and kept.locale is getattr(state, "babel_locale", None):
            return kept
    found = get_translations()
    locale = get_locale()
    chosen = _Chosen(locale, str(locale or "nb"), found)
    state = _babel_state()
    if state is not None and locale is not None and locale is getattr(state, "babel_locale", None):
        state.portal_chosen = chosen
    return chosen


def translations() -> NullTranslations:
    """The translations of the current locale, as Flask-Babel chose them."""
    return _chosen().translations


# Flask-Babel's gettext functions (same arguments, same results) on ``translations()``.

def gettext(string: str, **variables: Any) -> str:
    text = translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


def pgettext(context: str, string: str, **variables: Any) -> str:
    text = translations().upgettext(context, string)
    return text % variables if variables else text


def npgettext(context: str, singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    return translations().unpgettext(context, singular, plural, num) % variables


# ``_``, ``gettext`` and ``ngettext`` in templates: what Jinja's newstyle gettext does
# (jinja2.ext._make_new_gettext: always a format string, Markup when autoescaping), on
# translations() directly. Jinja's ``_`` looks ``gettext`` up in the context and each layer
# calls the next through Context.call: three calls for every string on the page.

def _trusted(text: str) -> Markup:
    """Our catalog's text, trusted in HTML as Jinja's own gettext trusts it."""
    return Markup(text)  # noqa: S704


@pass_context
def template_gettext(context: Context, string: str, /, **variables: Any) -> str:
    chosen = _chosen()
    if not context.eval_ctx.autoescape:
        return chosen.translations.ugettext(string) % variables
    if variables:
        return _trusted(chosen.translations.ugettext(string)) % variables
    # Without placeholders it is the same every time: made once per locale and app context.
    text = chosen.markup.get(string)
    if text is None:
        text = chosen.markup[string] = _trusted(chosen.translations.ugettext(string)) % variables
    return text


@pass_context
def template_ngettext(context: Context, singular: str, plural: str, num: int, /, **variables: Any) -> str:
    variables.setdefault("num", num)
    text = translations().ungettext(singular, plural, num)
    return (_trusted(text) if context.eval_ctx.autoescape else text) % variables


def current_locale() -> str:
    return _chosen().name


#: The locale that formats dates and numbers for a language: English screens and e-mails
#: write dates the British way ("6 Dec 2026, 06:48"), not the American one Babel's "en" has.
FORMAT_LOCALES = {"en": "en_GB", "nb": "nb_NO"}


def format_locale(locale: str | None = None) -> str:
    return FORMAT_LOCALES.get(locale or current_locale(), locale or current_locale())


def format_date(value: date | datetime | None, fmt: str = "medium", locale: str | None = None,
                *, rebase: bool = True) -> str:
    """A date, or a date and time in the user's time zone, in the reader's language.

    A time is shown to the minute: "medium" is the medium date with the short time
    ("6 Dec 2026, 06:48", "6. des. 2026, 06:48"); seconds say nothing to a reader.
    """
    if value is None:
        return ""
    where = format_locale(locale)
    if not isinstance(value, datetime):
        return babel_dates.format_date(value, fmt, locale=where)
    # The buyers' zone in a request, a job and a PDF alike; the date is the day of that
    # zone too (Babel's format_date would take the stored UTC day of a datetime).
    tzinfo = clock.zone() if rebase else None
    if tzinfo is not None:
        value = clock.as_utc(value).astimezone(tzinfo)
        tzinfo = None
    if fmt != "medium":
        return babel_dates.format_datetime(value, fmt, tzinfo=tzinfo, locale=where)
    pattern = str(babel_dates.get_datetime_format("medium", locale=where))
    return (pattern.replace("'", "")
            .replace("{0}", babel_dates.format_time(value, "short", tzinfo=tzinfo, locale=where))
            .replace("{1}", babel_dates.format_date(value, "medium", locale=where)))


# Letters that a language sorts after z, in its order (CLDR's collation tailoring): Norwegian
# puts Æ Ø Å last and files Ä with Æ and Ö with Ø; English folds every accent to its letter.
_AFTER_Z = {"nb": {"æ": "\U000f0000", "ä": "\U000f0000", "ø": "\U000f0001", "ö": "\U000f0001",
                   "å": "\U000f0002"}}
# Letters without a decomposition, spelt as an alphabet without them files them.
_SPELT = {"æ": "ae", "ø": "o", "œ": "oe", "ß": "ss", "đ": "d", "ł": "l", "þ": "th", "ð": "d"}


def collation_key(text: str, locale: str | None = None) -> tuple[str, str]:
    """A sort key that orders names as the language's alphabet does ("Østerrike" after
    "Zambia" in Norwegian, "Åland" under A in English), ignoring case and other accents."""
    folded = text.casefold()
    for letter, after in _AFTER_Z.get(locale or current_locale(), {}).items():
        folded = folded.replace(letter, after)
    for letter, spelt in _SPELT.items():
        folded = folded.replace(letter, spelt)
    base = "".join(ch for ch in unicodedata.normalize("NFKD", folded)
                   if not unicodedata.combining(ch))
    return base, text


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
    # In place of the callables Flask-Babel installs: the same ones on translations().
    # (jinja2.ext.i18n, which Flask-Babel added, gives the environment this method.)
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext)
    if not event.contains(db.session, "before_commit", _settle_locale):
        event.listen(db.session, "before_commit", _settle_locale)
