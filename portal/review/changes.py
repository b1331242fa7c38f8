"""What changed in an answer since the previous submission, in words a reviewer can read.

Text is compared word by word (removed and added words marked), tables cell by cell with
rows matched by their id (so a deleted row does not shift every row below it), files by
content. Only the shown answer is compared: what the supplier sees is what is judged.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from portal.questionnaires.definition import Part, Question
from portal.questionnaires.types import (
    Context,
    FileLike,
    TableType,
    answer_of,
    row_key,
    row_title,
    type_of,
)

#: Beyond this many words on either side a text is shown as replaced, not diffed word by word.
MAX_DIFF_WORDS = 3000

Files = Mapping[tuple[str, str], Sequence[FileLike]]


@dataclass(frozen=True)
class Word:
    text: str
    kind: str  # "same", "removed" or "added"


@dataclass(frozen=True)
class CellChange:
    row: str
    column: str
    before: str
    after: str


@dataclass
class PartChange:
    label: str
    words: list[Word] = field(default_factory=list)
    cells: list[CellChange] = field(default_factory=list)
    rows_added: list[str] = field(default_factory=list)
    rows_removed: list[str] = field(default_factory=list)
    files_added: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"(\s+)", text) if t]


def word_diff(before: str, after: str) -> list[Word]:
    """``after`` as words, with the words of ``before`` that went marked removed."""
    old, new = _tokens(before), _tokens(after)
    if len(old) > MAX_DIFF_WORDS or len(new) > MAX_DIFF_WORDS:
        return [w for w in (Word(before, "removed"), Word(after, "added")) if w.text]
    words: list[Word] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            words.append(Word("".join(new[b1:b2]), "same"))
            continue
        removed, added = "".join(old[a1:a2]), "".join(new[b1:b2])
        if removed.strip():
            words.append(Word(removed, "removed"))
            if added.strip():
                words.append(Word(" ", "same"))  # "old new", not "oldnew"
        elif removed:
            words.append(Word(removed, "same"))
        if added.strip():
            words.append(Word(added, "added"))
        elif added:
            words.append(Word(added, "same"))
    return words


def _table_rows(part: Part, raw: Any, ctx: Context) -> dict[str, tuple[str, dict[str, str]]]:
    table = type_of(part)
    assert isinstance(table, TableType)
    columns = [c for c in part.columns if type_of(c).stores_value]
    rows: dict[str, tuple[str, dict[str, str]]] = {}
    for index, row in enumerate(table.content_rows(raw, part, ctx), start=1):
        key = row_key(row) or f"#{index}"
        cells = {c.id: type_of(c).show(row.get(c.id), c, ctx).text for c in columns}
        rows[key] = (row_title(row, index, part.columns), cells)
    return rows


def _file_names(files: Files, question_id: str, part_id: str) -> dict[str, str]:
    return {f.sha256 or str(f.id): f.original_name for f in files.get((question_id, part_id), ())}


def part_changes(
    question: Question,
    answers: Mapping[str, Any],
    files: Files,
    previous_answers: Mapping[str, Any],
    previous_files: Files,
    locale: str,
) -> list[PartChange]:
    """Each part of ``question`` whose shown answer differs from the previous submission's."""
    now_ctx = Context(locale=locale, answers=answers, files=files, question_id=question.id)
    then_ctx = Context(locale=locale, answers=previous_answers, files=previous_files, question_id=question.id)
    now_raw, then_raw = answer_of(answers, question.id), answer_of(previous_answers, question.id)
    changes: list[PartChange] = []
    for part in question.parts:
        # A one-part question needs no part name: the question's heading says it.
        label = part.label.get(locale) if part.label and len(question.parts) > 1 else ""
        change = PartChange(label)
        shown_as = type_of(part).change_shown_as
        if shown_as == "files":
            now_files = _file_names(files, question.id, part.id)
            then_files = _file_names(previous_files, question.id, part.id)
            change.files_added = [n for k, n in now_files.items() if k not in then_files]
            change.files_removed = [n for k, n in then_files.items() if k not in now_files]
        elif shown_as == "rows":
            columns = {c.id: c.label.get(locale) if c.label else c.id for c in part.columns}
            now_rows = _table_rows(part, now_raw.get(part.id), now_ctx)
            then_rows = _table_rows(part, then_raw.get(part.id), then_ctx)
            change.rows_added = [title for key, (title, _c) in now_rows.items() if key not in then_rows]
            change.rows_removed = [title for key, (title, _c) in then_rows.items() if key not in now_rows]
            for key, (title, cells) in now_rows.items():
                if key not in then_rows:
                    continue
                earlier = then_rows[key][1]
                change.cells += [CellChange(title, columns[cid], earlier.get(cid, ""), text)
                                 for cid, text in cells.items() if earlier.get(cid, "") != text]
        else:
            before = type_of(part).show(then_raw.get(part.id), part, then_ctx).text
            after = type_of(part).show(now_raw.get(part.id), part, now_ctx).text
            if before != after and shown_as == "words":
                change.words = word_diff(before, after)
            elif before != after:  # a choice, number or date: the whole value changed
                change.words = [w for w in (Word(before, "removed"), Word(" → ", "same"), Word(after, "added"))
                                if w.text]
        if change.words or change.cells or change.rows_added or change.rows_removed \
                or change.files_added or change.files_removed:
            changes.append(change)
    return changes
