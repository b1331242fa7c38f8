"""The test-only questionnaire version that renumbers questions (versions/dfo-2099-renumbered.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from portal.models import QuestionnaireVersion
from portal.questionnaires.definition import SHIPPED_DIR, load_definition

RENUMBERED = Path(__file__).parent / "versions" / "dfo-2099-renumbered.yaml"
DFO_2026 = SHIPPED_DIR / "dfo-2026.yaml"


def store_version(db: Any, path: Path = RENUMBERED) -> QuestionnaireVersion:
    """The definition file stored as a published version (once)."""
    definition = load_definition(path)
    version = db.session.query(QuestionnaireVersion).filter_by(content_hash=definition.content_hash).first()
    if version is None:
        version = QuestionnaireVersion(
            key=definition.id, version=definition.version, title_nb=definition.title.nb,
            title_en=definition.title.en, content=definition.source, content_hash=definition.content_hash,
            filename=path.name,
        )
        db.session.add(version)
        db.session.flush()
    return version
