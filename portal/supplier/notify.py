"""E-mails about a supplier's own changes, each in the recipient's language.

Queued with the change (portal/mail.py): call them before the commit."""

from __future__ import annotations

from portal import mail, notifications
from portal.models import Supplier, User
from portal.supplier import services


def colleague_deactivated(colleague: User, *, actor: User) -> None:
    """Tell the colleague that their access ended, and who ended it."""
    assert colleague.supplier is not None  # supplier users only
    mail.queue_mail(
        mail.new_event("user", colleague.id, "deactivated"),
        "colleague_deactivated", colleague.locale, colleague.email,
        user=colleague, actor=actor, supplier=colleague.supplier,
        municipality=services.buyer_names(colleague.supplier.id, colleague.locale),
        privacy_link=notifications.external_url("privacy.privacy_statement"),
    )


def contact_details_changed(supplier: Supplier, changes: dict[str, tuple[str, str]], *, actor: User) -> None:
    """Tell the supplier's other users what changed, so that a wrong change is noticed."""
    recipients = notifications.supplier_users({supplier.id}).get(supplier.id, [])
    link = notifications.external_url("supplier.home")
    for user in recipients:
        if user.id == actor.id:
            continue
        mail.queue_mail(
            mail.new_event("supplier", supplier.id, "contact_details_changed"),
            "contact_details_changed", user.locale, user.email,
            user=user, actor=actor, supplier=supplier, changes=changes, link=link,
            municipality=services.buyer_names(supplier.id, user.locale),
        )
