"""Which question of one questionnaire version answers which question of another.

A new version may renumber or reword questions; a question then says which question
of the earlier version it replaces (``replaces: B2``). :func:`map_versions` is the one
place that reads those declarations: copying an earlier submission, the review page's
changes since an earlier submission and importing an answer package all go through it.

The rules:

* the same version maps every question to itself;
* a question that declares ``replaces`` maps to that earlier question;
* otherwise a question maps to the earlier question with its own id, unless another
  question of the new version replaces that id (then it is new);
* an answer carries over part by part: a part of the earlier question with the same id
  and the same type (for a table, its columns the same way); a question with no such
  part has no earlier question at all.

The declarations live in the later version and name ids of the version before it. When
the later version is the source (copying a newer submission into an older draft), they
are read backwards. The definition checker (checking.py) has already refused an id
replaced twice, so each earlier question maps to at most one later one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from portal.questionnaires.definition import Definition, Part, Question, rules_of


@dataclass(frozen=True, slots=True)
class Link:
    """A question of the target version and the source version's question whose answer it takes."""

    target: Question
    source: Question
    #: Non-file parts that carry over (same id and type in both questions).
    parts: tuple[str, ...]
    #: File parts that carry over.
    file_parts: tuple[str, ...]
    #: Whether the parts are exactly the same (the value is taken as it is).
    same: bool

    @property
    def renumbered(self) -> bool:
        return self.target.id != self.source.id


@dataclass(frozen=True, slots=True)
class VersionMapping:
    source: Definition
    target: Definition
    #: By target question id.
    links: Mapping[str, Link]
    #: Target questions that no earlier question maps to, in questionnaire order.
    new: tuple[Question, ...]
    #: Source questions that map to no question of the target, in questionnaire order.
    dropped: tuple[Question, ...]

    @property
    def same_version(self) -> bool:
        return self.source.content_hash == self.target.content_hash

    def source_id(self, target_id: str) -> str | None:
        link = self.links.get(target_id)
        return link.source.id if link else None

    def value(self, target_id: str, source_answers: Mapping[str, Any]) -> dict[str, Any]:
        """The source's answer to the question ``target_id`` maps to, as the target question
        stores it: only the parts that fit; {} when nothing does."""
        link = self.links.get(target_id)
        if link is None:
            return {}
        raw = source_answers.get(link.source.id)
        if not isinstance(raw, dict):
            return {}
        if link.same:
            value = {k: v for k, v in raw.items() if k in link.parts}
        else:
            value = {k: _carry(link.target.part(k), link.source.part(k), v)
                     for k, v in raw.items() if k in link.parts}
        return {} if all(v in (None, "", [], {}) for v in value.values()) else value

    def answers(self, source_answers: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        """Every fitting source answer, keyed by the target question it belongs to."""
        result: dict[str, dict[str, Any]] = {}
        for target_id in self.links:
            value = self.value(target_id, source_answers)
            if value:
                result[target_id] = value
        return result

    def file_part(self, target_id: str, source_question_id: str, source_part_id: str) -> str | None:
        """The target part a file of the source (question, part) belongs to, or None."""
        link = self.links.get(target_id)
        if link is None or link.source.id != source_question_id or source_part_id not in link.file_parts:
            return None
        return source_part_id

    def target_of(self, source_question_id: str) -> str | None:
        """The target question a source question maps to, or None (dropped)."""
        for target_id, link in self.links.items():
            if link.source.id == source_question_id:
                return target_id
        return None


def _compatible(target: Part, source: Part) -> bool:
    if target.type != source.type:
        return False
    if rules_of(target.type).rows:
        return any(_compatible(column, other)
                   for column in target.columns for other in source.columns if column.id == other.id)
    return True


def _carry(target: Part, source: Part, raw: Any) -> Any:
    """A table's rows with only the columns that fit; any other value as it is."""
    if not rules_of(target.type).rows or not isinstance(raw, list):
        return raw
    sources = {c.id: c for c in source.columns}
    kept = {c.id for c in target.columns if c.id in sources and _compatible(c, sources[c.id])}
    return [{k: v for k, v in row.items() if k == "_id" or k in kept} if isinstance(row, dict) else row
            for row in raw]


def _link(target: Question, source: Question) -> Link | None:
    sources = {p.id: p for p in source.parts}
    fitting = [p for p in target.parts if p.id in sources and _compatible(p, sources[p.id])]
    if not fitting:
        return None
    return Link(
        target=target, source=source,
        parts=tuple(p.id for p in fitting if not rules_of(p.type).files),
        file_parts=tuple(p.id for p in fitting if rules_of(p.type).files),
        same=target.parts == source.parts,
    )


_CACHE: dict[tuple[str, str], VersionMapping] = {}
_CACHE_MAX = 64


def map_versions(source: Definition, target: Definition) -> VersionMapping:
    """Which source question answers each target question, and which answers fit (see the module)."""
    key = (source.content_hash, target.content_hash)
    found = _CACHE.get(key)
    if found is None:
        found = _map(source, target)
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[key] = found
    return found


def _declared(source: Definition, target: Definition) -> dict[str, str]:
    """target question id → source question id, as the later of the two versions declares."""
    if source.content_hash == target.content_hash or source.id != target.id:
        return {}
    forward = {q.id: q.replaces for q in target.questions() if q.replaces}
    if forward:
        return forward
    return {q.replaces: q.id for q in source.questions() if q.replaces}


def _map(source: Definition, target: Definition) -> VersionMapping:
    by_id = {q.id: q for q in source.questions()}
    declared = _declared(source, target)
    claimed = set(declared.values())
    links: dict[str, Link] = {}
    for question in target.questions():
        if question.id in declared:
            source_id: str | None = declared[question.id]
        elif question.id not in claimed:
            source_id = question.id
        else:
            source_id = None
        earlier = by_id.get(source_id) if source_id else None
        link = _link(question, earlier) if earlier is not None else None
        if link is not None:
            links[question.id] = link
    used = {link.source.id for link in links.values()}
    return VersionMapping(
        source=source, target=target, links=links,
        new=tuple(q for q in target.questions() if q.id not in links),
        dropped=tuple(q for q in source.questions() if q.id not in used),
    )
