"""Who may do what in the review, in one place (routes 403/refuse, templates show or hide).

These belong on the models (``Response.can_review`` and friends); they live here until
the models module takes them, so that routes, services and templates already share them.
"""

from __future__ import annotations

from portal.models import AWAITING_REVIEW, Deviation, Response, ResponseStatus, User

ACCEPTED = ResponseStatus.ACCEPTED.value
UNDER_REVIEW = tuple(status.value for status in AWAITING_REVIEW)
# The supplier may propose its plan until the municipality has approved one.
PLAN_STATUSES = ("REGISTERED", "NOTIFIED", "AWAITING_CAP")
PROGRESS_STATUSES = ("NOTIFIED", "AWAITING_CAP", "IN_PROGRESS", "VERIFYING", "ESCALATED")
CLOSURE_STATUSES = ("IN_PROGRESS",)


def is_under_review(response: Response) -> bool:
    return response.status in UNDER_REVIEW


def can_review(response: Response, user: User) -> bool:
    """Verdicts, returning and accepting: staff, while the response awaits review."""
    return user.is_staff and is_under_review(response)


def can_reopen(response: Response, user: User) -> bool:
    return user.is_staff and response.status == ACCEPTED


def is_own_deviation(deviation: Deviation, user: User) -> bool:
    return (
        user.is_supplier and not deviation.is_proposed and user.supplier_id == deviation.supplier_id
    )


def can_propose_plan(deviation: Deviation, user: User) -> bool:
    return is_own_deviation(deviation, user) and deviation.status in PLAN_STATUSES


def can_report_progress(deviation: Deviation, user: User) -> bool:
    return is_own_deviation(deviation, user) and deviation.status in PROGRESS_STATUSES


def can_report_closure(deviation: Deviation, user: User) -> bool:
    return is_own_deviation(deviation, user) and deviation.status in CLOSURE_STATUSES


def can_approve_plan(deviation: Deviation, user: User) -> bool:
    return (
        user.is_staff
        and not deviation.is_proposed
        and deviation.status == "AWAITING_CAP"
        and bool(deviation.supplier_plan)
    )


def can_change_status(deviation: Deviation, user: User) -> bool:
    return user.is_staff and not deviation.is_proposed
