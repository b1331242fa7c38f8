"""Countries as ISO 3166-1 alpha-2 codes with names in the current language."""

from __future__ import annotations

import pycountry
from babel import Locale

from portal.i18n import collation_key, current_locale


def country_name(code: str | None, locale: str | None = None) -> str:
    if not code:
        return ""
    names = Locale.parse(locale or current_locale()).territories
    return names.get(code.upper(), code)


def country_choices() -> list[tuple[str, str]]:
    locale = current_locale()
    names = Locale.parse(locale).territories
    choices = [(c.alpha_2, names.get(c.alpha_2, c.name)) for c in pycountry.countries]
    return sorted(choices, key=lambda item: collation_key(item[1], locale))


def is_country(code: str) -> bool:
    return pycountry.countries.get(alpha_2=code.upper()) is not None
