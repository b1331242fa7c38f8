"""Maintenance of the gettext catalogs in translations/.

    python -m portal.i18n_catalogs extract [--root .] [--output translations/messages.pot]
    python -m portal.i18n_catalogs fill-english translations/en/LC_MESSAGES/messages.po
    python -m portal.i18n_catalogs check translations

``extract`` does what ``pybabel extract`` does with the Makefile's keywords, except that it
also scans folders whose names start with an underscore (``templates/_macros``), which
pybabel's default directory filter skips. ``fill-english`` makes the English catalog the
identity of the English msgids, so it can never lag behind the code. ``check`` fails when
a catalog has untranslated or fuzzy entries, or lacks entries of messages.pot.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
LOCALES = ("nb", "en")
SOURCE_LOCALE = "en"
DOMAIN = "messages"

# The same keyword options as the Makefile's translations-update target (-k _l ...).
EXTRA_KEYWORDS = ("_l", "lazy_pgettext:1c,2")
# Folders never worth scanning. Unlike pybabel's default filter, "_*" folders are scanned.
SKIPPED_DIRS = frozenset({"__pycache__", "node_modules"})
# nb msgstrs equal to an English msgid at least this long are probably untranslated.
LONG_MSGID = 20

_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")


def keywords() -> dict[str, Any]:
    return {**DEFAULT_KEYWORDS, **parse_keywords(EXTRA_KEYWORDS)}


def _directory_filter(path: str) -> bool:
    name = os.path.basename(path)
    return not (name.startswith(".") or name in SKIPPED_DIRS)


def extract_catalog(root: Path = ROOT, mapping: Path | None = None) -> Catalog:
    """Every message in the sources that babel.cfg maps, as a template catalog."""
    mapping = mapping or root / "translations" / "babel.cfg"
    with mapping.open(encoding="utf-8") as fileobj:
        method_map, options_map = parse_mapping_cfg(fileobj, str(mapping))
    catalog = Catalog(fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root),
        method_map,
        options_map,
        keywords=keywords(),
        directory_filter=_directory_filter,
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def placeholders(text: str) -> list[str]:
    """The %-placeholders of a message, sorted, so that order changes do not count."""
    return sorted(_PLACEHOLDER.findall(text))


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fileobj:
        return read_po(fileobj, locale=locale)


def write_catalog(path: Path, catalog: Catalog) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fileobj:
        write_po(fileobj, catalog, width=76)
    tmp.replace(path)


def entries(catalog: Catalog) -> Iterator[Message]:
    """The catalog's messages without the header entry."""
    return (message for message in catalog if message.id)


def is_translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return bool(strings) and all(strings)


def msgid_forms(message: Message) -> tuple[str, ...]:
    return tuple(message.id) if isinstance(message.id, tuple | list) else (message.id,)


def fill_english(path: Path) -> int:
    """Set each empty or fuzzy msgstr to its msgid; return how many entries changed."""
    catalog = read_catalog(path, locale=SOURCE_LOCALE)
    changed = 0
    for message in entries(catalog):
        is_fuzzy = message.fuzzy
        message.flags.discard("fuzzy")
        if message.pluralizable:
            singular, plural = msgid_forms(message)[:2]
            wanted = (singular,) + (plural,) * (catalog.num_plurals - 1)
            current = tuple(message.string or ())
            current += ("",) * (len(wanted) - len(current))
            new = tuple(
                want if is_fuzzy or not have else have
                for want, have in zip(wanted, current, strict=False)
            )
            if new != tuple(message.string or ()) or is_fuzzy:
                message.string = new
                changed += 1
        elif is_fuzzy or not message.string:
            message.string = message.id
            changed += 1
    catalog.fuzzy = False
    write_catalog(path, catalog)
    return changed


@dataclass
class Report:
    locale: str
    total: int = 0
    untranslated: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.untranslated or self.fuzzy or self.missing)


def _label(message: Message) -> str:
    text = msgid_forms(message)[0]
    return f"[{message.context}] {text}" if message.context else text


def _is_long_text(msgid: str) -> bool:
    """Whether a msgid has enough words (placeholders aside) to need a translation."""
    words = _PLACEHOLDER.sub("", msgid).strip()
    return len(words) >= LONG_MSGID and " " in words


def check_catalog(path: Path, locale: str, template: Catalog | None = None) -> Report:
    catalog = read_catalog(path, locale=locale)
    report = Report(locale)
    for message in entries(catalog):
        report.total += 1
        if not is_translated(message):
            report.untranslated.append(_label(message))
        if message.fuzzy:
            report.fuzzy.append(_label(message))
        if (
            locale != SOURCE_LOCALE
            and isinstance(message.string, str)
            and message.string == message.id
            and _is_long_text(message.id)
        ):
            report.warnings.append(f"msgstr is the English msgid: {_label(message)}")
    if template is not None:
        for message in entries(template):
            if catalog.get(message.id, context=message.context) is None:
                report.missing.append(_label(message))
    return report


def check(directory: Path) -> list[Report]:
    pot = directory / f"{DOMAIN}.pot"
    template = read_catalog(pot) if pot.exists() else None
    reports = []
    for po in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        reports.append(check_catalog(po, po.parent.parent.name, template))
    return reports


def _print_report(report: Report, limit: int = 20) -> None:
    print(
        f"{report.locale}: {report.total} entries, {len(report.untranslated)} untranslated, "
        f"{len(report.fuzzy)} fuzzy, {len(report.missing)} missing from {DOMAIN}.pot"
    )
    for kind, items in (
        ("untranslated", report.untranslated),
        ("fuzzy", report.fuzzy),
        ("missing", report.missing),
    ):
        for item in items[:limit]:
            print(f"  {kind}: {item}")
        if len(items) > limit:
            print(f"  … and {len(items) - limit} more {kind}")
    for warning in report.warnings:
        print(f"  warning: {warning}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal.i18n_catalogs")
    commands = parser.add_subparsers(dest="command", required=True)
    extract = commands.add_parser("extract", help="write the catalog template")
    extract.add_argument("--root", type=Path, default=Path("."))
    extract.add_argument("--output", type=Path, default=Path("translations") / f"{DOMAIN}.pot")
    fill = commands.add_parser("fill-english", help="copy msgids into empty English msgstrs")
    fill.add_argument("po", type=Path)
    checker = commands.add_parser("check", help="count untranslated and fuzzy entries")
    checker.add_argument("directory", type=Path)
    args = parser.parse_args(argv)

    if args.command == "extract":
        catalog = extract_catalog(args.root)
        with args.output.open("wb") as fileobj:
            write_po(fileobj, catalog, no_location=True, omit_header=True, sort_by_file=True)
        print(f"{args.output}: {sum(1 for _ in entries(catalog))} messages")
        return 0
    if args.command == "fill-english":
        print(f"{args.po}: {fill_english(args.po)} entries filled")
        return 0
    reports = check(args.directory)
    if not reports:
        print(f"no catalogs under {args.directory}")
        return 1
    for report in reports:
        _print_report(report)
    return 0 if all(report.ok for report in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
