"""Words and colours for the review: traffic lights, section statuses and audit events.

Colour is never the only signal: every light has a text of its own.
"""

from __future__ import annotations

import json
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from portal import audit
from portal.codes import (
    ACTIVITY_KINDS,
    DETECTION_METHODS,
    DEVIATION_STATUSES,
    DEVIATION_TYPES,
    MEASURES,
    VERDICTS,
)
from portal.review import rollup

LIGHT_TEXT = {
    rollup.GREEN: lazy_pgettext("traffic light", "Green"),
    rollup.YELLOW: lazy_pgettext("traffic light", "Yellow"),
    rollup.RED: lazy_pgettext("traffic light", "Red"),
    None: _l("Not yet assessed"),
}
LIGHT_MEANING = {
    rollup.GREEN: _l("Meets the requirements; any deviations were closed in time"),
    rollup.YELLOW: _l("Partly meets, or deviations are being handled within their deadline"),
    rollup.RED: _l("Does not meet, or deviations were not corrected within their deadline"),
    None: _l("Not every question has a verdict yet"),
}
LIGHT_COLOR = {rollup.GREEN: "success", rollup.YELLOW: "warning", rollup.RED: "danger",
               None: "neutral"}

# Section statuses read like the verdicts they roll up.
SECTION_STATUS_VERDICT = {rollup.M: "meets", rollup.P: "partly", rollup.N: "not_met"}
VERDICT_COLOR = {"meets": "success", "partly": "warning", "not_met": "danger", "na": "neutral"}

DEVIATION_STATUS_COLOR = {
    "REGISTERED": "warning", "NOTIFIED": "warning", "AWAITING_CAP": "warning",
    "IN_PROGRESS": "warning", "VERIFYING": "warning", "CLOSED_OK": "success",
    "ESCALATED": "danger", "CLOSED_NOT_OK": "danger", "WITHDRAWN": "neutral",
}

AUDIT_ACTIONS = {
    "answer.changed": _l("Answer changed"),
    "answer.confirmed": _l("Copied answer confirmed"),
    "answers.copied": _l("Answers copied from an earlier submission"),
    "answers.section_confirmed": _l("Copied answers of a part confirmed"),
    "answers.imported": _l("Answers imported from a package"),
    "file.uploaded": _l("File uploaded"),
    "file.removed": _l("File removed"),
    "response.submitted": _l("Response submitted"),
    "response.returned": _l("Returned for clarification"),
    "response.accepted": _l("Response accepted"),
    "response.accepted_with_gaps": _l("Accepted with questions not judged"),
    "response.reopened": _l("Review reopened"),
    "response.deadline_extended": _l("Deadline extended"),
    "response.reminder_sent": _l("Reminder sent"),
    "clarification.created": _l("Clarification requested"),
    "clarification.answered": _l("Clarification answered"),
    "clarification.replied": _l("Reply to the reviewer changed"),
    "verdict.changed": _l("Verdict changed"),
    "deviation.proposed": _l("Deviation proposed"),
    "deviation.created": _l("Deviation registered"),
    "deviation.confirmed": _l("Deviation confirmed"),
    "deviation.discarded": _l("Proposed deviation discarded"),
    "deviation.changed": _l("Deviation changed"),
    "deviation.status_changed": _l("Deviation status changed"),
    "deviation.plan_proposed": _l("Corrective action plan proposed"),
    "deviation.plan_approved": _l("Corrective action plan approved"),
    "deviation.progress_reported": _l("Progress reported"),
    "deviation.note_added": _l("Note added"),
    "deviation.overdue_notified": _l("Supplier told the deadline has passed"),
    "activity.created": _l("Follow-up activity recorded"),
}


UPDATE_KINDS = {
    "plan": _l("Corrective action plan proposed"),
    "progress": _l("Progress report"),
    "closure": _l("Evidence of closure"),
    "status": _l("Status changed"),
    "note": _l("Note"),
}


def update_kind_label(kind: str) -> str:
    return str(UPDATE_KINDS.get(kind, kind))


def light_text(light: str | None) -> str:
    return str(LIGHT_TEXT.get(light, light or ""))


def light_meaning(light: str | None) -> str:
    return str(LIGHT_MEANING.get(light, ""))


def light_color(light: str | None) -> str:
    return LIGHT_COLOR.get(light, "neutral")


def section_status_text(status: str | None) -> str:
    verdict = SECTION_STATUS_VERDICT.get(status or "")
    return VERDICTS.label(verdict) if verdict else str(LIGHT_TEXT[None])


def section_status_color(status: str | None) -> str:
    colors = {rollup.M: "success", rollup.P: "warning", rollup.N: "danger"}
    return colors.get(status or "", "neutral")


def audit_action(action: str) -> str:
    return str(AUDIT_ACTIONS.get(action, action))


def audit_value(value: Any) -> str:
    """A before or after value as a reader can take it in: text as is, structures as JSON.

    Bounded like new events, so a huge value stored before the bound existed cannot swell the page.
    """
    value = audit.bounded(value)
    if value is None:
        return "–"
    if isinstance(value, str):
        return value or "–"
    if isinstance(value, bool):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1)


def globals_for_templates() -> dict[str, Any]:
    return {
        "light_text": light_text, "light_meaning": light_meaning, "light_color": light_color,
        "section_status_text": section_status_text, "section_status_color": section_status_color,
        "verdict_label": VERDICTS.label, "verdict_color": VERDICT_COLOR.get,
        "deviation_type_label": DEVIATION_TYPES.label,
        "deviation_status_label": DEVIATION_STATUSES.label,
        "deviation_status_color": lambda s: DEVIATION_STATUS_COLOR.get(s, "neutral"),
        "activity_kind_label": ACTIVITY_KINDS.label,
        "detection_label": DETECTION_METHODS.label, "measure_label": MEASURES.label,
        "update_kind_label": update_kind_label,
        "audit_action": audit_action, "audit_value": audit_value,
    }
