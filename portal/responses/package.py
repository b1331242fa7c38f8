"""A portable answer package: one submission as a ZIP, to import into a draft elsewhere.

The ZIP holds ``answers.json`` (schema ``aktsom.answers/1``, documented in README.md) and
the submission's files under ``files/``. A package made here imports on any Aktsom
installation that has the same questionnaire, and the other way round: nothing in it
depends on this installation's ids.

An import is checked completely before anything changes (:func:`read_package`): the
archive (size, member count and total unpacked size bounded, no paths outside it), the
document (schema, questionnaire, every question and part, every value by its type's own
rules and limits), and every file (listed size and SHA-256, the upload checks of
portal/uploads.py). Every problem is reported with where it is, as a JSON path or a
file name. Only then does :func:`portal.responses.services.import_answers` write.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from portal import storage
from portal.extensions import db
from portal.models import EvidenceFile, QuestionnaireVersion, Response, Submission, utcnow
from portal.questionnaires import engine, mapping
from portal.questionnaires.definition import Definition, Part, Question
from portal.questionnaires.types import ROW_ID, Context, TableType, type_of
from portal.responses.services import ImportedFile
from portal.uploads import UNREADABLE_ZIP, UploadRefused, check_content, display_name, strip_bidi

SCHEMA = "aktsom.answers/1"
ANSWERS = "answers.json"
#: answers.json unpacked: the largest questionnaire, every table full, is far below this.
MAX_DOCUMENT = 10 * 1024 * 1024
#: Members of the archive: answers.json and the files (a submission rarely has more than 50).
MAX_MEMBERS = 501
#: All members unpacked together; each file is also bounded by UPLOAD_MAX_MB.
MAX_TOTAL = 256 * 1024 * 1024
#: Problems listed on the page; a package with more is refused just the same.
MAX_PROBLEMS = 50
SAFE_NAME = re.compile(r"[^\w.\- ]+")


class PackageRefused(Exception):
    """The package cannot be imported; ``problems`` says what and where, each translated."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)[:MAX_PROBLEMS]
        self.total = len(problems)


@dataclass
class CheckedPackage:
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: list[ImportedFile] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)
    #: Questions of the questionnaire that this agreement does not ask (another variant): not imported.
    not_asked: list[str] = field(default_factory=list)
    #: Questions of the package's earlier version that this version no longer has: not imported.
    dropped: list[str] = field(default_factory=list)
    #: Questions filled from a question with another id in the package's version: here → there.
    renumbered: dict[str, str] = field(default_factory=dict)


# -- Export -----------------------------------------------------------------------------------


def package_filename(response: Response, submission: Submission) -> str:
    reference = SAFE_NAME.sub("-", response.agreement.reference).strip("-") or "agreement"
    return f"aktsom-answers-{reference}-{response.round.year}-{submission.number}.zip"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def build_package(response: Response, submission: Submission) -> bytes:
    """The ZIP of one submission: its snapshot exactly as stored, and its files from storage."""
    definition = engine.definition_of(response.round.questionnaire_version)
    declarations = {q.id for q in definition.questions() if q.is_declaration}
    snapshot = submission.answers if isinstance(submission.answers, dict) else {}
    listed = [f for f in (submission.files or []) if isinstance(f, dict)]
    ids = [f["id"] for f in listed if isinstance(f.get("id"), int)]
    rows = {e.id: e for e in db.session.scalars(
        select(EvidenceFile).where(EvidenceFile.id.in_(ids), EvidenceFile.response_id == response.id))}
    version = response.round.questionnaire_version
    agreement = response.agreement
    files: list[dict[str, Any]] = []
    contents: list[tuple[str, bytes]] = []
    for index, entry in enumerate(listed, 1):
        row = rows.get(entry.get("id"))  # type: ignore[arg-type]
        if row is None:
            continue
        data = storage.read_bytes(row.stored_name)
        name = display_name(row.original_name)
        path = f"files/{index:03d}/{name}"
        files.append({"question_id": row.question_id, "part_id": row.part_id, "name": name,
                      "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "path": path,
                      "tag": row.tag or ""})
        contents.append((path, data))
    document = {
        "schema": SCHEMA,
        "exported_at": utcnow().isoformat(),
        "questionnaire": {"key": version.key, "version": version.version, "title_nb": version.title_nb,
                          "title_en": version.title_en,
                          "variant": agreement.questionnaire_variant},
        "source": {
            "buyer": {"name": agreement.buyer.name, "org_number": agreement.buyer.org_number},
            "agreement": {"reference": agreement.reference, "name_nb": agreement.name_nb,
                          "name_en": agreement.name_en},
            "round": {"year": response.round.year, "name_nb": response.round.name_nb,
                      "name_en": response.round.name_en},
            "supplier": {"name": response.supplier.name, "org_number": response.supplier.org_number},
            "response_id": response.id,
        },
        "submission": {"number": submission.number, "submitted_at": _iso(submission.submitted_at),
                       "submitted_by": submission.submitted_by.display_name if submission.submitted_by else "",
                       "locale": submission.locale},
        "answers": {qid: value for qid, value in snapshot.items() if qid not in declarations},
        # As given with the submission, for the reader; an import never takes it over.
        "declaration": {qid: value for qid, value in snapshot.items() if qid in declarations},
        "files": files,
    }
    out = BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(ANSWERS, json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False))
        for path, data in contents:
            archive.writestr(path, data)
    return out.getvalue()


# -- Import -----------------------------------------------------------------------------------


def read_package(data: bytes, response: Response, locale: str) -> CheckedPackage:
    """Check a whole package against the response's questionnaire; raises PackageRefused."""
    members = _open_archive(data)
    document = _document(members)
    definition = engine.definition_of(response.round.questionnaire_version)
    problems: list[str] = []
    _check_header(document, definition, problems)
    if problems:
        raise PackageRefused(problems)
    asked = {q.id for s in engine.sections_for_agreement(definition, response.agreement) for q in s.questions}
    result = CheckedPackage(source=_source(document))
    answers, listed = document.get("answers"), document.get("files")
    names: dict[str, str] = {}
    links = _earlier_version(document, definition)
    if links is not None:
        answers, listed, names, result.dropped = _through_mapping(links, answers, listed, problems)
        result.renumbered = {here: there for here, there in names.items() if here != there}
    values = _check_answers(answers, definition, locale, problems, names)
    files = _check_files(listed, members, definition, problems)
    if problems:
        raise PackageRefused(problems)
    result.not_asked = sorted({*values, *(f.question_id for f in files)} - asked)
    result.values = {qid: value for qid, value in values.items() if qid in asked}
    result.files = [f for f in files if f.question_id in asked]
    return result


def _problem(path: str, message: str) -> str:
    return _("%(path)s: %(message)s", path=path, message=message)


def _open_archive(data: bytes) -> dict[str, bytes]:
    """Every member of the archive, read within bounds, by name."""
    limit = int(current_app.config["MAX_CONTENT_LENGTH"])
    if len(data) > limit:
        raise PackageRefused([_("The package is larger than %(mb)s MB.", mb=limit // (1024 * 1024))])
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        infos = archive.infolist()
    except UNREADABLE_ZIP:
        raise PackageRefused([_("The file is not a ZIP archive. Choose a package downloaded from Aktsom "
                                "(Download answers (ZIP)).")]) from None
    file_limit = int(current_app.config["UPLOAD_MAX_MB"]) * 1024 * 1024
    if len(infos) > MAX_MEMBERS or sum(i.file_size for i in infos) > MAX_TOTAL:
        raise PackageRefused([_("The package has too many files, or unpacked it would be far too large "
                                "(at most %(members)s files).", members=MAX_MEMBERS - 1)])
    if any(not info.filename for info in infos):  # a name starting with NUL (zipfile ends names there)
        raise PackageRefused([_("The ZIP archive is damaged. Download the package again.")])
    problems: list[str] = []
    names: set[str] = set()
    for info in infos:
        name = info.filename
        shown = display_name(name)
        parts = name.replace("\\", "/").split("/")
        if (name.startswith(("/", "\\")) or "\\" in name or ".." in parts or ":" in name
                or any(ord(c) < 32 for c in name)):
            problems.append(_problem(shown, _("a path outside the package is not allowed")))
        elif name in names:
            problems.append(_problem(shown, _("the name appears twice in the package")))
        elif info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            problems.append(_problem(shown, _("encrypted or packed in an unsupported way")))
        elif info.file_size > (MAX_DOCUMENT if name == ANSWERS else file_limit):
            problems.append(_problem(shown, _("too large unpacked")))
        names.add(name)
    if problems:
        raise PackageRefused(problems)
    members: dict[str, bytes] = {}
    try:
        for info in infos:
            if info.is_dir():
                continue
            with archive.open(info) as member:
                members[info.filename] = member.read(info.file_size + 1)
    except UNREADABLE_ZIP:  # an encrypted member among them (RuntimeError)
        raise PackageRefused([_("The ZIP archive is damaged. Download the package again.")]) from None
    return members


def _document(members: Mapping[str, bytes]) -> dict[str, Any]:
    raw = members.get(ANSWERS)
    if raw is None:
        raise PackageRefused([_problem(ANSWERS, _("missing from the package"))])
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        where = f"{ANSWERS}, line {error.lineno}" if isinstance(error, json.JSONDecodeError) else ANSWERS
        raise PackageRefused([_problem(where, _("not valid JSON"))]) from None
    if not isinstance(document, dict):
        raise PackageRefused([_problem(ANSWERS, _("not a JSON object"))])
    return document


def _check_header(document: Mapping[str, Any], definition: Definition, problems: list[str]) -> None:
    schema = document.get("schema")
    if schema != SCHEMA:
        problems.append(_problem("schema", _("expected %(expected)s, the package has %(found)s",
                                             expected=SCHEMA, found=_short(schema))))
        return
    questionnaire = document.get("questionnaire")
    key = questionnaire.get("key") if isinstance(questionnaire, dict) else None
    if not isinstance(key, str) or not key:
        problems.append(_problem("questionnaire.key", _("missing")))
        return
    if key == definition.id:
        return
    known = db.session.scalar(select(QuestionnaireVersion.id).where(QuestionnaireVersion.key == key).limit(1))
    if known is None:
        problems.append(_problem("questionnaire.key", _("the questionnaire %(key)s is not known here",
                                                        key=_short(key))))
    else:
        problems.append(_problem("questionnaire.key", _(
            "the package answers the questionnaire %(key)s; this response uses %(ours)s",
            key=_short(key), ours=definition.id)))


def _earlier_version(document: Mapping[str, Any], definition: Definition) -> mapping.VersionMapping | None:
    """The mapping from the package's version when it is another version of this questionnaire that
    is known here and that this version declares replacements for (``replaces``); else None: the
    package is then read by question id, and a question that does not match is refused."""
    version = _object(document.get("questionnaire")).get("version")
    if not isinstance(version, str) or version == definition.version:
        return None
    stored = db.session.scalar(select(QuestionnaireVersion).where(
        QuestionnaireVersion.key == definition.id, QuestionnaireVersion.version == version))
    if stored is None:
        return None
    links = mapping.map_versions(engine.definition_of(stored), definition)
    return links if any(link.renumbered for link in links.links.values()) else None


def _through_mapping(
    links: mapping.VersionMapping, answers: Any, listed: Any, problems: list[str]
) -> tuple[Any, Any, dict[str, str], list[str]]:
    """The package's answers and files keyed by this version's questions (``names``: here → package).

    A question the package's version does not have is refused with its path; one this version
    dropped is left out and listed."""
    source_ids = {q.id for q in links.source.questions()}
    dropped: set[str] = set()
    names: dict[str, str] = {}
    mapped: Any = answers
    if isinstance(answers, dict):
        mapped = {}
        for question_id, value in answers.items():
            target = links.target_of(question_id) if question_id in source_ids else None
            if question_id not in source_ids:
                problems.append(_problem(f"answers.{_short(question_id)}", _(
                    "no such question in %(questionnaire)s %(version)s", questionnaire=links.source.id,
                    version=links.source.version)))
            elif target is None:
                dropped.add(question_id)
            elif isinstance(value, dict):
                names[target] = question_id
                parts = {p.id for p in links.source.question(question_id).parts}
                unknown = [part_id for part_id in value if part_id not in parts]
                for part_id in unknown:
                    problems.append(_problem(f"answers.{_short(question_id)}.{_short(part_id)}", _(
                        "no such part in question %(question)s", question=question_id)))
                # Only the parts that fit here (same id and type); the package's own checks follow.
                fitted = links.value(target, {question_id: value})
                if fitted and not unknown:
                    mapped[target] = fitted
            else:
                mapped[target] = value
                names[target] = question_id
    moved: Any = listed
    if isinstance(listed, list):
        moved = []
        for entry in listed:
            if isinstance(entry, dict) and entry.get("question_id") in source_ids:
                source_id = str(entry["question_id"])
                target = links.target_of(source_id)
                if target is None or links.file_part(target, source_id, str(entry.get("part_id"))) is None:
                    dropped.add(source_id)
                    continue
                entry = {**entry, "question_id": target}
            moved.append(entry)
    return mapped, moved, names, sorted(dropped)


def _source(document: Mapping[str, Any]) -> dict[str, Any]:
    """What the audit record keeps of where the package came from (bounded, plain values)."""
    questionnaire, submission = _object(document.get("questionnaire")), _object(document.get("submission"))
    agreement = _object(_object(document.get("source")).get("agreement"))
    return {
        "questionnaire": _short(questionnaire.get("key")), "version": _short(questionnaire.get("version")),
        "submission": _short(submission.get("number")), "submitted_at": _short(submission.get("submitted_at")),
        "agreement": _short(agreement.get("reference")),
    }


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _short(value: Any) -> str:
    return strip_bidi(str(value)).replace("\n", " ")[:80] if value is not None else "–"


def _check_answers(raw: Any, definition: Definition, locale: str, problems: list[str],
                   names: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(_problem("answers", _("not a JSON object")))
        return {}
    questions = {q.id: q for q in definition.questions()}
    values: dict[str, dict[str, Any]] = {}
    names = names or {}
    for question_id, value in raw.items():
        path = f"answers.{_short(names.get(question_id, question_id))}"
        question = questions.get(question_id)
        if question is None:
            problems.append(_problem(path, _("no such question in %(questionnaire)s %(version)s",
                                             questionnaire=definition.id, version=definition.version)))
            continue
        if question.is_declaration:
            continue  # a declaration is given anew with each submission: never imported
        if not isinstance(value, dict):
            problems.append(_problem(path, _("not a JSON object of the question's parts")))
            continue
        checked = _check_question(question, value, path, problems)
        if checked is not None:
            values[question_id] = checked
    # What only blocks a submission (options, dates, references...) is checked on shown questions;
    # a hidden question keeps whatever it held, as a draft does.
    ctx = Context(locale=locale, answers=values)
    for question_id, value in values.items():
        question = questions[question_id]
        if not engine.is_shown(question, values):
            continue
        ctx.question_id = question_id
        for part in question.parts:
            if part.id in value:
                _report(type_of(part).check(value[part.id], part, ctx),
                        f"answers.{names.get(question_id, question_id)}.{part.id}", problems)
    return values


def _check_question(question: Question, value: dict[str, Any], path: str,
                    problems: list[str]) -> dict[str, Any] | None:
    parts = {p.id: p for p in question.parts}
    kept: dict[str, Any] = {}
    ok = True
    for part_id, raw in value.items():
        part_path = f"{path}.{_short(part_id)}"
        part = parts.get(part_id)
        if part is None:
            problems.append(_problem(part_path, _("no such part in question %(question)s", question=question.id)))
            ok = False
        elif raw is None:
            continue
        elif type_of(part).holds_files:
            problems.append(_problem(part_path, _("files are listed under \"files\", not in the answer")))
            ok = False
        elif not _shape_ok(part, raw, part_path, problems):
            ok = False
        else:
            before = len(problems)
            _report(type_of(part).limits(raw, part), part_path, problems)
            ok = ok and len(problems) == before
            kept[part_id] = raw
    return kept if ok else None


def _shape_ok(part: Part, raw: Any, path: str, problems: list[str]) -> bool:
    """The value has the shape the type stores (as the fill-in form writes it): the type's own
    ``coerce`` leaves it as it is. A table's rows are checked cell by cell."""
    part_type = type_of(part)
    if isinstance(part_type, TableType):
        if not isinstance(raw, list):
            problems.append(_problem(path, _("expected a list of rows")))
            return False
        columns = {c.id: c for c in part.columns if type_of(c).stores_value}
        ok = True
        for index, row in enumerate(raw[:part_type.row_limit(part) + 1]):
            row_path = f"{path}[{index}]"
            if not isinstance(row, dict) or not isinstance(row.get("_id"), str) or not ROW_ID.match(row["_id"]):
                problems.append(_problem(row_path, _("expected a row with an \"_id\" of 4 to 16 letters or digits")))
                ok = False
                continue
            for column_id, cell in row.items():
                if column_id == "_id" or cell is None:
                    continue
                column = columns.get(column_id)
                if column is None:
                    problems.append(_problem(f"{row_path}.{_short(column_id)}", _("no such column")))
                    ok = False
                elif not _shape_ok(column, cell, f"{row_path}.{column_id}", problems):
                    ok = False
        return ok
    if part_type.coerce(raw, part) != raw:
        problems.append(_problem(path, _("a value of the wrong kind for this question (%(type)s)", type=part.type)))
        return False
    return True


def _report(checked: Any, path: str, problems: list[str]) -> None:
    for key, messages in checked.errors.items():
        for message in messages:
            problems.append(_problem(f"{path}.{key}" if key else path, message))


def _check_files(raw: Any, members: Mapping[str, bytes], definition: Definition,
                 problems: list[str]) -> list[ImportedFile]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(_problem("files", _("expected a list")))
        return []
    questions = {q.id: q for q in definition.questions()}
    files: list[ImportedFile] = []
    for index, entry in enumerate(raw):
        path = f"files[{index}]"
        if not isinstance(entry, dict):
            problems.append(_problem(path, _("not a JSON object")))
            continue
        question = questions.get(entry.get("question_id"))  # type: ignore[arg-type]
        if question is None:
            problems.append(_problem(f"{path}.question_id", _("no such question in %(questionnaire)s %(version)s",
                                                              questionnaire=definition.id,
                                                              version=definition.version)))
            continue
        part_id = entry.get("part_id")
        if part_id not in {p.id for p in question.parts if type_of(p).holds_files}:
            problems.append(_problem(f"{path}.part_id", _("question %(question)s takes no file here",
                                                          question=question.id)))
            continue
        member = entry.get("path")
        data = members.get(member) if isinstance(member, str) else None
        name = entry.get("name")
        shown = display_name(name if isinstance(name, str) else str(member))
        if data is None:
            problems.append(_problem(f"{path}.path", _("%(file)s is missing from the package", file=shown)))
            continue
        if entry.get("size") != len(data) or entry.get("sha256") != hashlib.sha256(data).hexdigest():
            problems.append(_problem(shown, _("the content does not match the size and SHA-256 listed for it")))
            continue
        try:
            checked_name, mimetype = check_content(data, name if isinstance(name, str) else "")
        except UploadRefused as refused:
            problems.append(_problem(shown, str(refused)))
            continue
        tag = entry.get("tag")
        files.append(ImportedFile(question_id=question.id, part_id=str(part_id), name=checked_name, data=data,
                                  mimetype=mimetype, tag=tag if isinstance(tag, str) else ""))
    return files
