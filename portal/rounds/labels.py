"""Translated labels for response statuses (a part type's label is in the type registry)."""

from __future__ import annotations

from portal.codes import RESPONSE_STATUSES

__all__ = ["RESPONSE_STATUSES", "STATUS_COLORS"]

#: Designsystemet tag colours per status.
STATUS_COLORS = {
    "not_started": "neutral",
    "in_progress": "info",
    "submitted": "warning",
    "returned": "danger",
    "resubmitted": "warning",
    "accepted": "success",
}
