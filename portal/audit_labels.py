"""The audit trail in words: what was done, to which record, which field, from what to what.

Every screen that lists ``AuditEvent`` rows goes through ``describe``: the action by its
translated name (``ACTIONS`` holds every action the code records; a test scans the code for
``audit.record(...)`` and fails on one without a label), the record by its own name and linked
where the reader may open it, the field by its form's label (or a question's id and short
text), and before/after as text: dates in the reader's locale, codes through their label
lists, yes/no, lists joined, answers summarised part by part. Never JSON or a class name.

An act of the system itself (``by_system``, or no actor at all) is shown as done by Aktsom.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from babel.numbers import format_decimal
from flask import has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext, ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.core import UnboundField

from portal import audit, codes
from portal.countries import country_name
from portal.extensions import db
from portal.i18n import current_locale, format_date, format_locale

#: The name the screens give the system when it acted itself.
SYSTEM_NAME = "Aktsom"

#: Actions recorded before ``AuditEvent.by_system`` existed that were always the system's.
ALWAYS_SYSTEM = frozenset({"deviation.proposed"})

#: Every action the code records (tests/review/test_audit_labels.py checks this is complete).
ACTIONS: dict[str, Any] = {
    # Answers and files
    "answer.changed": _l("Answer changed"),
    "answer.confirmed": _l("Copied answer confirmed"),
    "answers.copied": _l("Answers copied from an earlier submission"),
    "answers.section_confirmed": _l("Copied answers of a part confirmed"),
    "answers.imported": _l("Answers imported from a package"),
    "file.uploaded": _l("File uploaded"),
    "file.removed": _l("File removed"),
    # Responses and review
    "response.created": _l("Response requested"),
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
    # Deviations
    "deviation.proposed": _l("Deviation proposed automatically"),
    "deviation.created": _l("Deviation registered"),
    "deviation.confirmed": _l("Deviation confirmed"),
    "deviation.discarded": _l("Proposed deviation discarded"),
    "deviation.changed": _l("Deviation changed"),
    "deviation.status_changed": _l("Deviation status changed"),
    "deviation.plan_proposed": _l("Corrective action plan proposed"),
    "deviation.plan_approved": _l("Corrective action plan approved"),
    "deviation.progress_reported": _l("Progress reported"),
    "deviation.note_added": _l("Note added"),
    "deviation.documents_added": _l("Files attached"),
    "deviation.overdue_notified": _l("Supplier told the deadline has passed"),
    # Follow-up activities
    "activity.created": _l("Follow-up activity recorded"),
    "activity.edited": _l("Follow-up activity changed"),
    "activity.withdrawn": _l("Follow-up activity withdrawn"),
    # Rounds and questionnaires
    "questionnaire.registered": _l("Questionnaire version registered"),
    "round.created": _l("Follow-up round created"),
    # Sharing between buyers
    "share.granted": _l("Response shared with another buyer"),
    "share.revoked": _l("Sharing withdrawn"),
    "share.viewed": _l("Shared response viewed"),
    "share_verdict.changed": _l("Verdict on a shared response changed"),
    # Suppliers, agreements, risks
    "supplier.created": _l("Supplier created"),
    "supplier.added_to_register": _l("Supplier added to the register"),
    "supplier.updated": _l("Supplier changed"),
    "supplier.archived": _l("Supplier archived"),
    "supplier.restored": _l("Supplier restored"),
    "supplier.contact_updated": _l("Contact details changed"),
    "agreement.created": _l("Agreement created"),
    "agreement.updated": _l("Agreement changed"),
    "agreement.archived": _l("Agreement archived"),
    "agreement.restored": _l("Agreement restored"),
    "agreement.participant_added": _l("Buyer added to the agreement"),
    "agreement.participant_removed": _l("Buyer removed from the agreement"),
    "risk.created": _l("Priority risk added"),
    "risk.updated": _l("Priority risk changed"),
    "risk.deleted": _l("Priority risk deleted"),
    "site.created": _l("Production site added"),
    "site.changed": _l("Production site changed"),
    "site.deleted": _l("Production site deleted"),
    # Buyers and sign-in
    "buyer.created": _l("Buyer created"),
    "buyer.updated": _l("Buyer changed"),
    "identity_provider.created": _l("Organisation sign-in set up"),
    "identity_provider.updated": _l("Organisation sign-in changed"),
    # Users
    "user.invited": _l("User invited"),
    "user.reinvited": _l("Invitation sent again"),
    "user.invitation_accepted": _l("Invitation accepted"),
    "user.created_by_identity_provider": _l("User created at organisation sign-in"),
    "user.identity_provider_linked": _l("User linked to organisation sign-in"),
    "user.login": _l("Signed in"),
    "user.password_set": _l("Password set"),
    "user.role_changed": _l("Role changed"),
    "user.activated": _l("User activated"),
    "user.deactivated": _l("User deactivated"),
    "user.totp_enabled": _l("Two-step verification turned on"),
    "user.totp_disabled": _l("Two-step verification turned off"),
    "user.sign_in_paused": _l("Sign-in paused after failed attempts"),
    "user.two_factor_paused": _l("Two-step verification paused after failed attempts"),
    "user.erased": _l("Personal data erased"),
    "user.data_exported": _l("Personal data exported"),
    # Reports and retention
    "report.published": _l("Annual report published"),
    "report.exports_stored": _l("Report files stored"),
    "report.exports_refused": _l("Report files not stored: the figures had changed"),
    "report_text.saved": _l("Report text saved"),
    "report_text.reset": _l("Report text reset to the default"),
    "retention.deleted": _l("Deleted at the end of the retention period"),
}

#: The kinds of record, as the filter of the audit log and the "Record" column name them.
KINDS: dict[str, Any] = {
    "Response": _l("Response"),
    "Deviation": lazy_pgettext("record kind", "Deviation"),
    "FollowUpActivity": _l("Follow-up activity"),
    "FollowUpRound": _l("Follow-up round"),
    "QuestionnaireVersion": _l("Questionnaire version"),
    "Supplier": lazy_pgettext("record kind", "Supplier"),
    "Agreement": lazy_pgettext("record kind", "Agreement"),
    "PriorityRisk": _l("Priority risk"),
    "ProductionSite": _l("Production site"),
    "ResponseShare": _l("Sharing of a response"),
    "Buyer": lazy_pgettext("record kind", "Buyer"),
    "IdentityProvider": _l("Organisation sign-in"),
    "User": lazy_pgettext("record kind", "User"),
    "PublishedReport": _l("Published annual report"),
    "ReportText": _l("Report text"),
}

#: Names of values inside an event's before/after and of ``AuditEvent.field`` that no form
#: names (a form's own label wins where the record has a form: see ``_form_labels``).
NAMES: dict[str, Any] = {
    "status": _l("Status"),
    "deadline": _l("Deadline"),
    "reason": _l("Reason"),
    "note": _l("Note"),
    "text": _l("Text"),
    "name": _l("Name"),
    "email": _l("E-mail"),
    "role": _l("Role"),
    "label": _l("Label"),
    "year": _l("Year"),
    "version": _l("Version"),
    "files": _l("Files"),
    "documents": _l("Files"),
    "renumbered": _l("Earlier question numbers"),
    "questions": _l("Questions"),
    "question_ids": _l("Questions filled"),
    "question_id": _l("Question"),
    "kept": _l("Kept as they were"),
    "not_open": _l("Not open for changes"),
    "message": _l("Message"),
    "number": _l("Number"),
    "submission": _l("Submission"),
    "submission_id": _l("Submission"),
    "from_response": _l("From the response"),
    "response_id": _l("Response"),
    "agreement_id": lazy_pgettext("record kind", "Agreement"),
    "supplier_id": lazy_pgettext("record kind", "Supplier"),
    "round_id": _l("Follow-up round"),
    "questionnaire_version_id": _l("Questionnaire version"),
    "participant": lazy_pgettext("record kind", "Buyer"),
    "receiving_buyer_id": _l("Shared with"),
    "source_buyer_id": _l("Shared by"),
    "source_buyer": _l("Shared by"),
    "share_id": _l("Sharing of a response"),
    "source_date": _l("Date of the shared activity"),
    "revoked": _l("Withdrawn"),
    "withdrawn": _l("Withdrawn"),
    "backfilled": _l("Recorded afterwards"),
    "historical": _l("Past year"),
    "accepted_on": _l("Accepted on"),
    "date": _l("Date"),
    "kind": _l("Kind"),
    "notes": _l("Notes"),
    "internal": _l("Internal"),
    "update_id": _l("Update"),
    "file_id": _l("File"),
    "size": _l("Size"),
    "sha256": _l("SHA-256 checksum"),
    "content_hash": _l("SHA-256 checksum"),
    "filename": _l("File name"),
    "key": _l("Questionnaire"),
    "verdict": _l("Verdict"),
    "comment": _l("Comment to the supplier"),
    "comment_to_supplier": _l("Comment to the supplier"),
    "internal_note": _l("Internal note"),
    "is_proposed": _l("Proposed automatically, not yet confirmed"),
    "closed_date": _l("Date closed"),
    "plan_approved_at": _l("Plan approved"),
    "overdue_notified_at": _l("Supplier told the deadline has passed"),
    "supplier_plan": _l("Corrective action plan"),
    "severity": _l("Severity"),
    "type": _l("Type of deviation"),
    "detected_date": _l("Date detected"),
    "emails": _l("E-mails sent"),
    "responses_in_email": _l("Responses in the e-mail"),
    "reminders_reset": _l("Reminders started again"),
    "status_as_of": _l("Status as of"),
    "basis": _l("Status taken"),
    "source": _l("Source"),
    "client_secret_changed": _l("Client secret changed"),
    "answers": _l("Answers"),
    "submissions": _l("Submissions"),
    "receipts": _l("Receipts"),
    "deviations": _l("Deviations"),
    "audit_events": _l("Audit entries"),
    "agreements_reassigned": _l("Agreements given another contract manager"),
    "years": _l("Years kept"),
    "suppliers": _l("Suppliers"),
    "page": _l("The shared response"),
    "file": _l("A file"),
    "name_nb": _l("Name (Norwegian)"),
    "name_en": _l("Name (English)"),
    "_omitted": _l("Not kept"),
    "length": _l("Length"),
    "…": _l("More"),
}

#: Values that are codes, by the name they are kept under: (object type or "", name) → label.
_CODED: dict[tuple[str, str], Callable[[str], str]] = {
    ("Response", "status"): codes.RESPONSE_STATUSES.label,
    ("Deviation", "status"): codes.DEVIATION_STATUSES.label,
    ("", "type"): codes.DEVIATION_TYPES.label,
    ("", "severity"): codes.SEVERITIES.label,
    ("", "tier"): codes.TIERS.label,
    ("", "measures"): codes.MEASURES.label,
    ("", "detected_by"): codes.DETECTION_METHODS.label,
    ("FollowUpActivity", "kind"): codes.ACTIVITY_KINDS.label,
    ("Agreement", "kind"): codes.PROCUREMENT_KINDS.label,
    ("", "verdict"): codes.VERDICTS.label,
    ("", "dfo_category"): codes.DFO_CATEGORIES.label,
    ("", "themes"): codes.THEMES.label,
    ("", "questionnaire_variant"): codes.QUESTIONNAIRE_VARIANTS.label,
}

#: Values kept for the record's integrity that say nothing to a reader (checksums, the
#: database's own numbers of things named beside them); the trail itself keeps them.
HIDDEN = frozenset({"sha256", "content_hash", "update_id", "submission_id"})

#: How many characters of a value are shown before "Show all".
SHORT = 160

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def action_label(action: str) -> str:
    """The action in words; an action no label knows is named as such, not by its code."""
    label = ACTIONS.get(action)
    return str(label) if label is not None else _("Other change (%(code)s)", code=action)


def kind_label(object_type: str) -> str:
    label = KINDS.get(object_type)
    return str(label) if label is not None else _("Other record")


def is_by_system(event: Any) -> bool:
    return bool(getattr(event, "by_system", False)) or event.actor_id is None \
        or event.action in ALWAYS_SYSTEM


@dataclass(frozen=True)
class Shown:
    """A before or after value as text; ``full`` is the whole text when ``short`` is cut."""

    short: str
    full: str | None = None


@dataclass(frozen=True)
class EventView:
    event: Any
    at: datetime
    who: str
    by_system: bool
    action: str
    record: str
    record_url: str | None
    field: str
    before: Shown
    after: Shown


def _shown(text: str) -> Shown:
    text = text or "–"
    if len(text) <= SHORT:
        return Shown(text)
    cut = text[:SHORT].rsplit(" ", 1)[0] if " " in text[:SHORT] else text[:SHORT]
    return Shown(cut + " …", text)


def _form_labels(object_type: str) -> dict[str, str]:
    """The labels the record's own forms give its fields."""
    forms: list[type] = []
    if object_type == "Deviation":
        from portal.deviations.forms import EditDeviationForm
        forms = [EditDeviationForm]
    elif object_type == "ProductionSite":
        from portal.sites.forms import EditSiteForm
        forms = [EditSiteForm]
    elif object_type == "Supplier":
        from portal.admin.forms import SupplierForm
        from portal.supplier.forms import EditContactDetailsForm
        forms = [EditContactDetailsForm, SupplierForm]
    elif object_type == "Agreement":
        from portal.admin.forms import AgreementForm
        forms = [AgreementForm]
    elif object_type == "PriorityRisk":
        from portal.admin.forms import PriorityRiskForm
        forms = [PriorityRiskForm]
    elif object_type == "FollowUpActivity":
        from portal.review.forms import CreateActivityForm, EditActivityForm
        forms = [EditActivityForm, CreateActivityForm]
    elif object_type == "Buyer":
        from portal.platform.forms import BuyerForm
        forms = [BuyerForm]
    elif object_type == "IdentityProvider":
        from portal.oidc.forms import IdentityProviderForm
        forms = [IdentityProviderForm]
    elif object_type == "User":
        from portal.admin.forms import EditUserForm, InviteUserForm
        forms = [EditUserForm, InviteUserForm]
    labels: dict[str, str] = {}
    for form in forms:
        for klass in reversed(form.__mro__):
            for name, unbound in vars(klass).items():
                if not isinstance(unbound, UnboundField):
                    continue
                label = unbound.kwargs.get("label", unbound.args[0] if unbound.args else None)
                if label:
                    labels[name] = str(label)
    return labels


def _eager() -> dict[str, tuple[Any, ...]]:
    """What describing each kind of record reads, loaded with it (one query per kind of record
    on a page, not one per row)."""
    from portal.models import Deviation, FollowUpActivity, FollowUpRound, Response

    def response(path: Any) -> tuple[Any, ...]:
        return (path.selectinload(Response.supplier), path.selectinload(Response.agreement),
                path.selectinload(Response.round).selectinload(FollowUpRound.questionnaire_version))

    return {
        "Response": (selectinload(Response.supplier), selectinload(Response.agreement),
                     selectinload(Response.round).selectinload(FollowUpRound.questionnaire_version)),
        "Deviation": (selectinload(Deviation.supplier),
                      *response(selectinload(Deviation.response))),
        "FollowUpActivity": response(selectinload(FollowUpActivity.response)),
    }


class _LazyEager(dict[str, tuple[Any, ...]]):
    def get(self, key: str, default: Any = None) -> Any:
        if not self:
            self.update(_eager())
        return super().get(key, default)


_EAGER = _LazyEager()


class _Reader:
    """Names and texts for one page of events; loads each record and definition once."""

    def __init__(self, events: Sequence[Any]) -> None:
        self.locale = current_locale()
        self.records: dict[tuple[str, int], Any] = {}
        self._labels: dict[str, dict[str, str]] = {}
        self._definitions: dict[int, Any] = {}
        self._names: dict[tuple[str, int], str] = {}
        self._event: Any = None
        self._load(events)

    # Loading

    def _load(self, events: Sequence[Any]) -> None:
        from portal import models

        wanted: dict[str, set[int]] = defaultdict(set)
        for event in events:
            if event.object_id is not None and event.object_type in KINDS:
                wanted[event.object_type].add(int(event.object_id))
        for object_type, ids in wanted.items():
            model = getattr(models, object_type, None)
            if model is None:
                continue
            query = select(model).where(model.id.in_(ids)).options(*_EAGER.get(object_type, ()))
            for row in db.session.scalars(query):
                self.records[(object_type, row.id)] = row

    def record(self, object_type: str, object_id: int | None) -> Any:
        if object_id is None:
            return None
        key = (object_type, int(object_id))
        if key not in self.records:
            from portal import models

            model = getattr(models, object_type, None)
            self.records[key] = db.session.get(model, int(object_id)) if model is not None else None
        return self.records[key]

    def definition(self, response: Any) -> Any:
        if response is None:
            return None
        if response.id not in self._definitions:
            from portal.questionnaires import engine

            try:
                self._definitions[response.id] = engine.definition_of(
                    response.round.questionnaire_version)
            except Exception:  # a definition that no longer parses: ids are shown as they are
                self._definitions[response.id] = None
        return self._definitions[response.id]

    def response_of(self, event: Any) -> Any:
        record = self.record(event.object_type, event.object_id)
        if event.object_type == "Response":
            return record
        if event.object_type == "ResponseShare" and record is not None:
            # Another buyer's response: found only where the reader's scope lets it be read.
            return self.record("Response", record.response_id)
        return getattr(record, "response", None)

    def labels(self, object_type: str) -> dict[str, str]:
        if object_type not in self._labels:
            self._labels[object_type] = _form_labels(object_type)
        return self._labels[object_type]

    # Records

    def describe_record(self, event: Any) -> tuple[str, str | None]:
        record = self.record(event.object_type, event.object_id)
        object_type = event.object_type
        if not object_type:
            return "–", None
        if record is None:
            if event.object_id is None:
                return kind_label(object_type), None
            return _("%(kind)s %(number)s (no longer exists)", kind=kind_label(object_type),
                     number=event.object_id), None
        return self._record_text(object_type, record), self._record_url(object_type, record)

    def _record_text(self, object_type: str, record: Any) -> str:
        if object_type == "Response":
            return _("Response from %(supplier)s – %(agreement)s", supplier=record.supplier.name,
                     agreement=record.agreement.name)
        if object_type == "Deviation":
            return _("Deviation %(number)s – %(type)s, %(supplier)s", number=record.id,
                     type=codes.DEVIATION_TYPES.label(record.type), supplier=record.supplier.name)
        if object_type == "FollowUpActivity":
            return _("Follow-up activity of %(date)s", date=format_date(record.date))
        if object_type == "User":
            return _("User %(name)s", name=record.display_name)
        if object_type == "QuestionnaireVersion":
            return _("Questionnaire %(key)s, version %(version)s", key=record.key,
                     version=record.version)
        if object_type == "PublishedReport":
            return _("Annual report %(year)s, version %(version)s", year=record.year,
                     version=record.version)
        if object_type == "ResponseShare":
            return _("Sharing from %(buyer)s, submission %(number)s", buyer=record.source_buyer_name,
                     number=record.submission_number)
        if object_type == "ProductionSite":
            return _("Production site %(name)s", name=record.name)
        name = getattr(record, "name", None)
        if isinstance(name, str) and name:
            return f"{kind_label(object_type)} {name}"
        return _("%(kind)s %(number)s", kind=kind_label(object_type), number=record.id)

    def _record_url(self, object_type: str, record: Any) -> str | None:
        if not has_request_context():  # no reader to link for
            return None
        user = current_user
        if not getattr(user, "is_authenticated", False) or not user.is_staff:
            return None
        if object_type == "Response":
            return url_for("review.review_response", response_id=record.id)
        if object_type == "Deviation":
            return url_for("deviations.view_deviation", deviation_id=record.id)
        if object_type == "FollowUpActivity":
            return url_for("review.view_activity", activity_id=record.id)
        if not user.is_admin:
            return None
        if object_type == "Supplier":
            return url_for("admin.view_supplier", supplier_id=record.id)
        if object_type == "Agreement":
            return url_for("admin.view_agreement", agreement_id=record.id)
        if object_type == "User" and record.buyer_id == user.buyer_id:
            return url_for("admin.edit_user", user_id=record.id)
        return None

    # Fields

    def question_label(self, event: Any, question_id: str) -> str | None:
        definition = self.definition(self.response_of(event))
        if definition is None:
            return None
        try:
            question = definition.question(question_id)
        except KeyError:
            return None
        text = question.text.get(self.locale)
        if len(text) > 80:
            text = text[:80].rsplit(" ", 1)[0] + " …"
        return f"{question_id} – {text}"

    def section_label(self, event: Any, section_id: str) -> str | None:
        definition = self.definition(self.response_of(event))
        for section in getattr(definition, "sections", ()):
            if section.id == section_id:
                return f"{section_id} – {section.title.get(self.locale)}"
        return None

    def name(self, object_type: str, key: str) -> str:
        label = self.labels(object_type).get(key) or NAMES.get(key)
        if label is not None:
            return str(label)
        return key.replace("_", " ").capitalize()

    def field(self, event: Any) -> str:
        field = event.field
        if not field:
            return "–"
        action = event.action
        if action == "verdict.changed" and "." in field:
            question_id, name = field.rsplit(".", 1)
            question = self.question_label(event, question_id) or question_id
            return f"{question}: {self.name('', name)}"
        if action.startswith("clarification."):
            number = field.rsplit(".", 1)[-1]
            return _("Clarification round %(number)s", number=number)
        if action == "answers.section_confirmed":
            return self.section_label(event, field) or field
        if action.startswith("report") and field.isdigit():
            return _("Year %(year)s", year=field)
        if action == "deviation.progress_reported":
            from portal.review.labels import update_kind_label
            return update_kind_label(field)
        if action == "share.viewed":
            return self.name("", field)
        question = None
        if action in ("answer.changed", "answer.confirmed", "file.uploaded", "file.removed",
                      "deviation.discarded", "share_verdict.changed"):
            question = self.question_label(event, field)
        return question or self.name(event.object_type, field)

    # Values

    def value(self, event: Any, value: Any) -> str:
        self._event = event  # for a question id inside a value
        value = audit.bounded(value)
        if value is None:
            return "–"
        if event.action in ("answer.changed",) and isinstance(value, Mapping) and event.field:
            answer = self.answer(event, value)
            if answer is not None:
                return answer
        if event.action.startswith("clarification.") and isinstance(value, Mapping):
            value = {k: v for k, v in value.items() if k != "number"}  # the field names the round
        key = event.field or ""
        if event.action == "verdict.changed":
            key = key.rsplit(".", 1)[-1]
        return self.text(event.object_type, key, value)

    def answer(self, event: Any, value: Mapping[str, Any]) -> str | None:
        """An answer (part id → raw value) summarised part by part through its question's types."""
        from portal.questionnaires.types import Context, type_of

        definition = self.definition(self.response_of(event))
        if definition is None:
            return None
        try:
            question = definition.question(event.field)
        except KeyError:
            return None
        ctx = Context(locale=self.locale, answers={question.id: dict(value)}, question_id=question.id)
        texts: list[str] = []
        for part_id, raw in value.items():
            try:
                part = question.part(part_id)
            except KeyError:
                texts.append(f"{self.name('', part_id)}: {self.text('', part_id, raw)}")
                continue
            if type_of(part).has_rows:
                rows = raw if isinstance(raw, list) else []
                shown = ngettext("%(num)s row", "%(num)s rows", len(rows))
            elif type_of(part).holds_files:
                shown = self.text("", part_id, raw)
            else:
                try:
                    shown = type_of(part).show(raw, part, ctx).text or "–"
                except Exception:  # a value the type no longer reads: shown as stored
                    shown = self.text("", part_id, raw)
            label = part.label.get(self.locale) if part.label and len(question.parts) > 1 else ""
            texts.append(f"{label}: {shown}" if label else shown)
        return "; ".join(texts) if texts else "–"

    def text(self, object_type: str, key: str, value: Any) -> str:
        if value is None or value == "":
            return "–"
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if isinstance(value, int | float):
            return self._number(key, value)
        if isinstance(value, str):
            return self._string(object_type, key, value)
        if isinstance(value, Mapping):
            if set(value) <= {"name", "sha256", "file_id", "size", "id"} and "name" in value:
                return str(value["name"])
            parts = [f"{self.name(object_type, str(k))}: {self.text(object_type, str(k), v)}"
                     for k, v in value.items() if k not in HIDDEN]
            return "; ".join(parts) if parts else "–"
        if isinstance(value, list | tuple):
            items = [self.text(object_type, key, v) for v in value]
            return ", ".join(items) if items else "–"
        return str(value)

    def _number(self, key: str, value: int | float) -> str:
        if key in ("agreement_id", "supplier_id", "response_id", "from_response", "participant",
                   "receiving_buyer_id", "source_buyer_id", "contract_manager_id"):
            named = self._referenced(key, int(value))
            if named:
                return named
        if key in ("year", "version", "number", "submission", "file_id", "update_id",
                   "submission_id", "round_id", "questionnaire_version_id", "participant",
                   "receiving_buyer_id", "source_buyer_id", "response_id", "agreement_id",
                   "supplier_id", "from_response", "contract_manager_id"):
            return str(value)
        return format_decimal(value, locale=format_locale(self.locale))

    def _referenced(self, key: str, record_id: int) -> str | None:
        cache_key = (key, record_id)
        if cache_key in self._names:
            return self._names[cache_key]
        object_type = {"agreement_id": "Agreement", "supplier_id": "Supplier",
                       "response_id": "Response", "from_response": "Response",
                       "participant": "Buyer", "receiving_buyer_id": "Buyer",
                       "source_buyer_id": "Buyer", "contract_manager_id": "User"}[key]
        record = self.record(object_type, record_id)
        if record is None:
            named = None
        elif object_type == "Response":
            named = f"{record.supplier.name} – {record.agreement.name}"
        elif object_type == "User":
            named = record.display_name
        else:
            named = record.name
        self._names[cache_key] = named or ""
        return named

    def _string(self, object_type: str, key: str, value: str) -> str:
        coded = _CODED.get((object_type, key)) or _CODED.get(("", key))
        if coded is not None:
            return coded(value)
        if key == "question_id" and self._event is not None:
            return self.question_label(self._event, value) or value
        if key == "role":
            from portal.templating import role_label
            return role_label(value)
        if key == "country" and len(value) == 2:
            return country_name(value) or value
        if key in ("basis",):
            return _("at the end of the year") if value == "year_end" else _("on the day published")
        if _ISO_DATE.match(value):
            try:
                return format_date(date.fromisoformat(value))
            except ValueError:
                return value
        if _ISO_DATETIME.match(value):
            try:
                return format_date(datetime.fromisoformat(value))
            except ValueError:
                return value
        return value


def describe(events: Iterable[Any]) -> list[EventView]:
    """Each event in words, for the history and audit tables."""
    events = list(events)
    reader = _Reader(events)
    views: list[EventView] = []
    for event in events:
        by_system = is_by_system(event)
        record, url = reader.describe_record(event)
        views.append(EventView(
            event=event,
            at=event.at,
            who=SYSTEM_NAME if by_system else event.actor.display_name,
            by_system=by_system,
            action=action_label(event.action),
            record=record,
            record_url=url,
            field=reader.field(event),
            before=_shown(reader.value(event, event.before)),
            after=_shown(reader.value(event, event.after)),
        ))
    return views


def action_choices(actions: Iterable[str]) -> list[tuple[str, str]]:
    """The audit log's "What" filter: each action in words, sorted by those words."""
    from portal.i18n import collation_key

    pairs = [(action, action_label(action)) for action in actions]
    return sorted(pairs, key=lambda pair: collation_key(pair[1]))


def kind_choices(object_types: Iterable[str]) -> list[tuple[str, str]]:
    from portal.i18n import collation_key

    pairs = [(t, kind_label(t)) for t in object_types if t]
    return sorted(pairs, key=lambda pair: collation_key(pair[1]))
