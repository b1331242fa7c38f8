"""The nb and en catalogs cover every message in the code, and compile.

These tests fail as soon as someone adds a string without translating it. To fix:

    .venv/bin/pybabel extract -F translations/babel.cfg -k _l -k lazy_pgettext:1c,2 \
        --ignore-dirs='.* __pycache__ node_modules' -o translations/messages.pot \
        --sort-by-file --no-location --omit-header .
    .venv/bin/pybabel update -i translations/messages.pot -d translations \
        --no-fuzzy-matching --ignore-obsolete
    (translate the new entries in translations/nb/LC_MESSAGES/messages.po)
    .venv/bin/python -m portal.i18n_catalogs fill-english translations/en/LC_MESSAGES/messages.po
    .venv/bin/pybabel compile -d translations
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.support import Translations
from flask import Flask
from flask_babel import force_locale, gettext, ngettext, pgettext

from portal import codes, i18n_catalogs
from portal.i18n_catalogs import LOCALES, TRANSLATIONS, msgid_forms, placeholders, read_catalog

PO = {locale: TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po" for locale in LOCALES}
MO = {locale: path.with_suffix(".mo") for locale, path in PO.items()}


@pytest.fixture(scope="module")
def extracted() -> Catalog:
    """The template as the current sources would produce it."""
    return i18n_catalogs.extract_catalog()


@pytest.fixture(scope="module")
def catalogs() -> dict[str, Catalog]:
    return {locale: read_catalog(PO[locale], locale=locale) for locale in LOCALES}


def _label(message: Message) -> str:
    text = msgid_forms(message)[0]
    return f"[{message.context}] {text!r}" if message.context else repr(text)


def _strings(message: Message) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, tuple | list) else (message.string,)


def test_extraction_finds_the_shared_macros(extracted: Catalog) -> None:
    # pybabel's default directory filter skips "_*" folders such as templates/_macros.
    assert extracted.get("There is a problem") is not None
    assert extracted.get("Sign in") is not None


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_in_the_code_is_translated(
    extracted: Catalog, catalogs: dict[str, Catalog], locale: str
) -> None:
    catalog = catalogs[locale]
    missing, untranslated, fuzzy = [], [], []
    for message in i18n_catalogs.entries(extracted):
        found = catalog.get(message.id, context=message.context)
        if found is None:
            missing.append(_label(message))
        elif not i18n_catalogs.is_translated(found):
            untranslated.append(_label(message))
        elif found.fuzzy:
            fuzzy.append(_label(message))
    assert not missing, f"{locale}: not in the catalog (run extract + update): {missing}"
    assert not untranslated, f"{locale}: no translation: {untranslated}"
    assert not fuzzy, f"{locale}: fuzzy: {fuzzy}"


@pytest.mark.parametrize("locale", LOCALES)
def test_plural_entries_have_every_form(catalogs: dict[str, Catalog], locale: str) -> None:
    catalog = catalogs[locale]
    assert catalog.num_plurals == 2
    for message in i18n_catalogs.entries(catalog):
        if message.pluralizable:
            assert len(_strings(message)) == catalog.num_plurals, _label(message)


@pytest.mark.parametrize("locale", LOCALES)
def test_placeholders_are_kept(catalogs: dict[str, Catalog], locale: str) -> None:
    wrong = []
    for message in i18n_catalogs.entries(catalogs[locale]):
        forms = msgid_forms(message)
        for index, string in enumerate(_strings(message)):
            if not string:
                continue
            source = forms[min(index, len(forms) - 1)]
            # Jinja's gettext %-formats every msgstr, so a stray "%" breaks the page.
            if placeholders(string) != placeholders(source) or string.count("%") != source.count(
                "%"
            ):
                wrong.append(f"{_label(message)} -> {string!r}")
    assert not wrong, f"{locale}: placeholders differ: {wrong}"


def test_catalogs_compile_and_translate() -> None:
    catalog = read_catalog(PO["nb"], locale="nb")
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    translations = Translations(buffer)
    assert translations.gettext("Sign in") == "Logg inn"
    assert translations.pgettext("theme", "Other") == "Annet"
    assert translations.ngettext("%(num)s user", "%(num)s users", 2) == "%(num)s brukere"


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalogs_are_up_to_date(locale: str) -> None:
    assert MO[locale].exists(), f"{MO[locale]} is missing: run `make translations`"
    assert MO[locale].stat().st_mtime >= PO[locale].stat().st_mtime, (
        f"{MO[locale]} is older than its .po: run `make translations`"
    )
    loaded = Translations.load(str(TRANSLATIONS), [locale])
    expected = {"nb": "Logg inn", "en": "Sign in"}[locale]
    assert loaded.gettext("Sign in") == expected


def test_the_app_serves_both_languages(app: Flask) -> None:
    with app.test_request_context():
        with force_locale("nb"):
            assert gettext("Sign out") == "Logg ut"
            assert pgettext("questionnaire variant", "Simplified") == "Forenklet"
            assert ngettext("%(num)s agreement", "%(num)s agreements", 1) == "1 avtale"
        with force_locale("en"):
            assert gettext("Sign out") == "Sign out"
            assert ngettext("%(num)s agreement", "%(num)s agreements", 3) == "3 agreements"


# The nb labels are the exact wording of DOMAIN.md sections 5 and 6, because the report
# to Etisk handel Norge and DFØ's high-risk list use them. Keyed by the name in portal.codes.
DOMAIN_NB: dict[str, dict[str, str]] = {
    "DFO_CATEGORIES": {
        "workwear": "Arbeidstøy, fottøy og tekstil",
        "ict": "IKT-produkter",
        "conflict_minerals": "Produkter som inneholder konfliktmineraler",
        "building": "Bygg- og anleggsmaterialer",
        "office": "Kontorrekvisita",
        "toys_sports": "Leke- og idrettsutstyr",
        "food": "Mat og drikke",
        "medical": "Medisinsk utstyr og forbruksmateriell",
        "furniture": "Møbler",
    },
    "THEMES": {
        "CHILD": "Barnearbeid",
        "YOUNG": "Unge arbeidstakere (manglende særskilt beskyttelse)",
        "FORCED": "Tvangsarbeid, gjeldsarbeid og menneskehandel",
        "FOA": "Fagorganisering og kollektive forhandlinger",
        "DISCR": "Diskriminering",
        "HARSH": "Brutal behandling, trakassering og vold",
        "WAGES": "Lønn (minstelønn, levelønn, overtidsbetaling, ulovlige trekk)",
        "HOURS": "Arbeidstid og overtid",
        "OHS": "Helse, miljø og sikkerhet (HMS), inkl. bygnings- og brannsikkerhet, "
        "kjemikalier, verneutstyr, boforhold",
        "EMPLOY": "Regulære ansettelsesforhold (kontrakter, trygd, innleie, underleveranser, "
        "hjemmearbeid)",
        "RECRUIT": "Arbeidsmigranter og rekruttering (rekrutteringsgebyr, inndratte pass, "
        "rett til arbeid)",
        "MARGIN": "Marginaliserte befolkningsgrupper, urfolk og lokalsamfunn (landrettigheter, "
        "tvangsflytting)",
        "ENV": "Miljø (utslipp, kjemikalier, avfall)",
        "CORR": "Korrupsjon og forretningsetikk",
        "ANIMAL": "Dyrevelferd",
        "CLIMATE": "Klima og klimagassutslipp",
        "OTHER": "Annet",
    },
    "PROCESS_DEVIATION_TYPES": {
        "P-POLICY": "Manglende eller mangelfull bærekraftspolicy / forankring",
        "P-RISK": "Manglende risikokartlegging",
        "P-TRANSP": "Manglende åpenhet om leverandørkjeden",
        "P-ACTION": "Manglende tiltaksplan",
        "P-TRACK": "Manglende oppfølging av tiltak",
        "P-COMM": "Manglende kommunikasjon / redegjørelse",
        "P-REMEDY": "Manglende rutine for gjenoppretting / klagemekanisme",
        "P-DOC": "Manglende svar eller dokumentasjon innen frist",
        "P-SD": "Særskilt kontraktskrav om sosial dialog ikke oppfylt",
    },
    "SEVERITIES": {
        "CRITICAL": "Kritisk (nulltoleranse)",
        "MAJOR": "Vesentlig",
        "MINOR": "Mindre",
        "OBS": "Observasjon / forbedringspunkt",
    },
    "TIERS": {
        "T0": "Leverandørens egen virksomhet",
        "TI": "Agent / importør / grossist",
        "T1": "Sluttproduksjon / montering",
        "T2": "Komponent- og materialproduksjon",
        "T3": "Råvareproduksjon / utvinning / dyrking",
        "TL": "Transport og lager",
        "TS": "Underentreprenør / tjenesteyter i Norge",
        "TU": "Ukjent",
    },
    "DEVIATION_STATUSES": {
        "REGISTERED": "Registrert",
        "NOTIFIED": "Varslet leverandør",
        "AWAITING_CAP": "Venter på tiltaksplan",
        "IN_PROGRESS": "Tiltaksplan godkjent – under utbedring",
        "VERIFYING": "Utbedret – til verifisering",
        "CLOSED_OK": "Lukket – utbedret",
        "ESCALATED": "Eskalert (sanksjon vurderes)",
        "CLOSED_NOT_OK": "Lukket – ikke utbedret (sanksjon / heving / avsluttet leverandørforhold)",
        "WITHDRAWN": "Trukket (feilregistrert)",
    },
    "MEASURES": {
        "DIALOGUE": "Dialog / oppfølgingsmøte",
        "CAP": "Korrigerende tiltaksplan",
        "TRAINING": "Opplæring / kapasitetsbygging",
        "REAUDIT": "Oppfølgingsrevisjon / verifisering",
        "REMEDY": "Gjenoppretting for arbeidere (etterbetaling, refusjon av gebyr, "
        "medisinsk hjelp)",
        "PURCH": "Endret innkjøpspraksis",
        "SUSPEND": "Midlertidig stans av bestillinger",
        "REPLACE": "Erstatningskjøp hos annen leverandør",
        "TERMINATE": "Heving av kontrakt / ansvarlig avslutning",
        "REPORT": "Varsling til myndighet / tilsyn",
    },
    "DETECTION_METHODS": {
        "SAQ": "Egenrapportering",
        "DESK": "Dokumentgjennomgang / kontorsrevisjon",
        "SITE": "Fabrikkrevisjon / besøk",
        "MEETING": "Status- eller oppfølgingsmøte",
        "GRIEV": "Klage / varsling",
        "MEDIA": "Media / frivillig organisasjon / fagbevegelse",
        "SUPP": "Leverandørens egen rapportering",
        "SPOT": "Stikkprøve",
    },
}
# DOMAIN 5.5, the "EHN text" column: the Status column of the report's table 4.A.3.
EHN_STATUS_NB = {
    "REGISTERED": "Identifisert, ikke startet",
    "NOTIFIED": "Identifisert, ikke startet",
    "AWAITING_CAP": "Under behandling",
    "IN_PROGRESS": "Under utbedring",
    "VERIFYING": "Under utbedring",
    "CLOSED_OK": "Lukket",
    "ESCALATED": "Eskalert",
    "CLOSED_NOT_OK": "Lukket, ikke utbedret",
}


@pytest.mark.parametrize("name", sorted(DOMAIN_NB))
def test_code_lists_use_the_domain_wording_in_norwegian(app: Flask, name: str) -> None:
    code_list = getattr(codes, name)
    with app.test_request_context(), force_locale("nb"):
        labels = {code: code_list.label(code) for code in DOMAIN_NB[name]}
    assert labels == DOMAIN_NB[name]


def test_report_status_text_uses_the_ehn_wording(app: Flask) -> None:
    with app.test_request_context(), force_locale("nb"):
        texts = {code: str(codes.EHN_STATUS_TEXT[code]) for code in EHN_STATUS_NB}
    assert texts == EHN_STATUS_NB


def test_fill_english_copies_msgids(tmp_path: Path) -> None:
    po = tmp_path / "messages.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        'msgid "Save"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Edit"\nmsgstr "Old text"\n\n'
        'msgid "Kept"\nmsgstr "Kept on purpose"\n\n'
        'msgctxt "theme"\nmsgid "Other"\nmsgstr ""\n\n'
        'msgid "%(num)s user"\nmsgid_plural "%(num)s users"\nmsgstr[0] ""\nmsgstr[1] ""\n',
        encoding="utf-8",
    )
    assert i18n_catalogs.fill_english(po) == 4
    catalog = read_catalog(po, locale="en")
    assert catalog.get("Save").string == "Save"
    edited = catalog.get("Edit")
    assert edited.string == "Edit"
    assert not edited.fuzzy
    assert catalog.get("Kept").string == "Kept on purpose"
    assert catalog.get("Other", context="theme").string == "Other"
    assert catalog.get("%(num)s user").string == ("%(num)s user", "%(num)s users")
    assert i18n_catalogs.fill_english(po) == 0


def test_check_fails_on_untranslated_entries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "nb" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Language: nb\\n"\n\n'
        'msgid "Sign in"\nmsgstr ""\n\n'
        'msgid "This sentence was never translated"\n'
        'msgstr "This sentence was never translated"\n',
        encoding="utf-8",
    )
    assert i18n_catalogs.main(["check", str(tmp_path)]) == 1
    output = capsys.readouterr().out
    assert "1 untranslated" in output
    assert "warning: msgstr is the English msgid: This sentence was never translated" in output


def test_repository_catalogs_pass_the_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert i18n_catalogs.main(["check", str(TRANSLATIONS)]) == 0, capsys.readouterr().out
