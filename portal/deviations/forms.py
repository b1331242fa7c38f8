"""Forms for deviations: staff register and edit them; suppliers propose plans and report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal import clock
from portal.codes import (
    DETECTION_METHODS,
    DEVIATION_STATUSES,
    DEVIATION_TYPES,
    MEASURES,
    SEVERITIES,
    TIERS,
)
from portal.countries import country_choices, is_country
from portal.forms import PortalForm, select_choices
from portal.review.forms import MAX_TEXT, PortalDateField


class EditDeviationForm(PortalForm):
    agreement_id = SelectField(
        _l("Agreement"), coerce=int, default=0, validate_choice=False,
        description=_l("Choose “No agreement” if the deviation concerns the supplier in general"),
    )
    type = SelectField(
        _l("Type of deviation"), validate_choice=False,
        validators=[InputRequired(_l("Choose a type of deviation from the list"))],
    )
    severity = SelectField(
        _l("Severity"), validate_choice=False, default="MAJOR",
        validators=[InputRequired(_l("Choose a severity from the list"))],
    )
    tier = SelectField(
        _l("Where in the supply chain"), validate_choice=False, default="TU",
        validators=[InputRequired(_l("Choose where in the supply chain from the list"))],
    )
    country = SelectField(_l("Country"), validate_choice=False, default="")
    site_choice = SelectField(
        _l("Production site from the response"), validate_choice=False, default="",
        description=_l("The sites the supplier listed in the response, and the sites of its register it has not marked confidential; or write the site below"),
    )
    site = StringField(
        _l("Production site"),
        description=_l("Confidential: never shown in public reports"),
        validators=[Optional(), Length(max=200)],
    )
    description = TextAreaField(
        _l("Description"),
        description=_l("What was found. The supplier sees this."),
        validators=[DataRequired(_l("Describe what was found")), Length(max=MAX_TEXT)],
    )
    detected_date = PortalDateField(
        _l("Date detected"),
        validators=[InputRequired(_l("Enter the date the deviation was detected as yyyy-mm-dd"))],
    )
    detected_by = SelectField(
        _l("How it was found"), validate_choice=False, default="SAQ",
        validators=[InputRequired(_l("Choose how the deviation was found from the list"))],
    )
    root_cause = TextAreaField(_l("Root cause"), validators=[Optional(), Length(max=MAX_TEXT)])
    measures = SelectMultipleField(_l("Measures"), validate_choice=False)
    measures_text = TextAreaField(
        _l("Measures in more detail"),
        description=_l("Public: published as written in the annual report (4.A.3). Do not name "
                       "production sites, sub-suppliers, suppliers or persons."),
        validators=[Optional(), Length(max=MAX_TEXT)],
    )
    responsible = StringField(
        _l("Responsible"), description=_l("Who at the supplier is responsible for the correction"),
        validators=[Optional(), Length(max=200)],
    )
    deadline = PortalDateField(
        _l("Deadline for correction"),
        description=_l("The deviation is overdue when this date has passed and it is still open"),
        validators=[Optional()],
    )
    remediation_for_workers = TextAreaField(
        _l("Remediation for workers"),
        description=_l("For example back pay, refunded recruitment fees or medical help"),
        validators=[Optional(), Length(max=MAX_TEXT)],
    )
    internal_note = TextAreaField(
        _l("Internal note"), description=_l("Only municipal staff see this"),
        validators=[Optional(), Length(max=MAX_TEXT)],
    )
    submit = SubmitField(_l("Save deviation"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.type.choices = select_choices([("", _l("Choose a type")), *DEVIATION_TYPES.choices()])
        self.severity.choices = select_choices(SEVERITIES.choices())
        self.tier.choices = select_choices(TIERS.choices())
        self.country.choices = select_choices([("", _l("Not known")), *country_choices()])
        self.detected_by.choices = select_choices(DETECTION_METHODS.choices())
        self.measures.choices = select_choices(MEASURES.choices())
        self.site_choice.choices = select_choices([("", _l("Not from the list"))])
        self._agreement_ids: set[int] = set()
        self._site_ids: set[str] = set()

    def set_agreements(self, agreements: Sequence[tuple[int, str]]) -> None:
        self.agreement_id.choices = select_choices([(0, _l("No agreement")), *agreements])
        self._agreement_ids = {value for value, _label in agreements}

    def set_sites(self, sites: Sequence[tuple[str, str]]) -> None:
        self.site_choice.choices = select_choices([("", _l("Not from the list")), *sites])
        self._site_ids = {value for value, _label in sites}

    @property
    def has_sites(self) -> bool:
        return bool(self._site_ids)

    def validate_agreement_id(self, field: SelectField) -> None:
        if field.data and field.data not in self._agreement_ids:
            raise ValidationError(_l("Choose one of the supplier's agreements, or none"))

    def validate_type(self, field: SelectField) -> None:
        if field.data not in DEVIATION_TYPES:
            raise ValidationError(_l("Choose a type of deviation from the list"))

    def validate_severity(self, field: SelectField) -> None:
        if field.data not in SEVERITIES:
            raise ValidationError(_l("Choose a severity from the list"))

    def validate_tier(self, field: SelectField) -> None:
        if field.data not in TIERS:
            raise ValidationError(_l("Choose where in the supply chain from the list"))

    def validate_country(self, field: SelectField) -> None:
        if field.data and not is_country(field.data):
            raise ValidationError(_l("Choose a country from the list"))

    def validate_site_choice(self, field: SelectField) -> None:
        if field.data and field.data not in self._site_ids:
            raise ValidationError(_l("Choose one of the sites listed, or write the site below"))

    def validate_detected_by(self, field: SelectField) -> None:
        if field.data not in DETECTION_METHODS:
            raise ValidationError(_l("Choose how the deviation was found from the list"))

    def validate_measures(self, field: SelectMultipleField) -> None:
        if any(value not in MEASURES for value in field.data or []):
            raise ValidationError(_l("Choose measures from the list"))

    def validate_detected_date(self, field: Field) -> None:
        if field.data and field.data > clock.today():
            raise ValidationError(_l("The date detected cannot be in the future"))

    def validate_deadline(self, field: Field) -> None:
        if field.data and self.detected_date.data and field.data < self.detected_date.data:
            raise ValidationError(_l("The deadline cannot be before the date detected"))


class CreateDeviationForm(EditDeviationForm):
    supplier_id = SelectField(
        _l("Supplier"), coerce=int, default=0, validate_choice=False,
        validators=[InputRequired(_l("Choose the supplier the deviation concerns"))],
    )
    response_id = HiddenField()
    question_id = HiddenField()

    def set_suppliers(self, suppliers: Sequence[tuple[int, str]]) -> None:
        self.supplier_id.choices = select_choices([(0, _l("Choose a supplier")), *suppliers])
        self._supplier_ids = {value for value, _label in suppliers}

    def validate_supplier_id(self, field: SelectField) -> None:
        if field.data not in getattr(self, "_supplier_ids", set()):
            raise ValidationError(_l("Choose the supplier the deviation concerns"))


class ChangeDeviationStatusForm(PortalForm):
    status = SelectField(_l("New status"), validate_choice=False,
                         validators=[InputRequired(_l("Choose the new status"))])
    comment = TextAreaField(
        _l("Comment to the supplier"), description=_l("Shown to the supplier with the change"),
        validators=[Optional(), Length(max=MAX_TEXT)],
    )
    submit = SubmitField(_l("Change status"))

    def set_statuses(self, statuses: Sequence[str]) -> None:
        self.status.choices = select_choices(
            [("", _l("Choose a status")), *((s, DEVIATION_STATUSES.label(s)) for s in statuses)]
        )

    def validate_status(self, field: SelectField) -> None:
        if field.data not in DEVIATION_STATUSES:
            raise ValidationError(_l("Choose the new status"))


MAX_PLAN_ACTIONS = 20
PLAN_ROWS = 3  # rows shown for a new plan; "Add an action" adds one more


class PlanActionForm(PortalForm):
    """One action of a corrective action plan: what, who is responsible, by when."""

    class Meta:
        csrf = False

    action = TextAreaField(_l("Action"), validators=[Optional(), Length(max=2000)])
    responsible = StringField(_l("Responsible"), validators=[Optional(), Length(max=200)])
    deadline = PortalDateField(_l("Deadline"), validators=[Optional()])

    def is_blank(self) -> bool:
        return not ((self.action.data or "").strip() or (self.responsible.data or "").strip()
                    or self.deadline.data or self.deadline.raw_data and any(self.deadline.raw_data))


class ProposePlanForm(PortalForm):
    actions = FieldList(FormField(PlanActionForm), min_entries=PLAN_ROWS, max_entries=MAX_PLAN_ACTIONS)
    note = TextAreaField(
        _l("Anything else about the plan"), validators=[Optional(), Length(max=MAX_TEXT)],
    )
    add_action = SubmitField(_l("Add an action"))
    submit = SubmitField(_l("Send the plan"))

    def validate_on_submit(self, extra_validators: Any = None) -> bool:
        valid = super().validate_on_submit(extra_validators)
        if self.add_action.data:
            return False  # a row was asked for: nothing is sent, nothing is checked yet
        filled = [entry.form for entry in self.actions if not entry.form.is_blank()]
        if not filled:
            self.actions[0].form.action.errors = [*self.actions[0].form.action.errors,
                                                  _l("Describe at least one action")]
            return False
        for entry in self.actions:
            row = entry.form
            if row.is_blank():
                continue  # an empty row is not an error: it is left out
            for field, message in ((row.action, _l("Describe the action")),
                                   (row.responsible, _l("Say who is responsible")),
                                   (row.deadline, _l("Enter the deadline"))):
                if not field.errors and not field.data:
                    field.errors = [*field.errors, message]
                    valid = False
            if row.deadline.errors:
                valid = False
        return valid

    def error_list(self) -> list[tuple[str, str]]:
        errors: list[tuple[str, str]] = []
        for number, entry in enumerate(self.actions, start=1):
            for field in entry.form:
                for message in field.errors:
                    errors.append((field.id, _("Action %(number)s, %(field)s: %(message)s",
                                               number=number, field=field.label.text, message=message)))
        for field in (self.note,):
            errors += [(field.id, str(m)) for m in field.errors]
        return errors

    def plan(self) -> list[dict[str, str]]:
        """The filled actions, in the order given."""
        return [
            {"action": (row.action.data or "").strip(), "responsible": (row.responsible.data or "").strip(),
             "deadline": row.deadline.data.isoformat() if row.deadline.data else ""}
            for row in (entry.form for entry in self.actions) if not row.is_blank()
        ]


class ReportProgressForm(PortalForm):
    text = TextAreaField(
        _l("Progress"),
        description=_l("What has been done since the last report"),
        validators=[DataRequired(_l("Describe what has been done")), Length(max=MAX_TEXT)],
    )
    files = MultipleFileField(
        _l("Evidence"), description=_l("For example photos, reports or receipts")
    )
    closure = BooleanField(
        _l("The deviation is corrected: this is the evidence of closure"),
        description=_l("The municipality then verifies the correction and closes the deviation"),
    )
    submit = SubmitField(_l("Send report"))


class ApprovePlanForm(PortalForm):
    comment = TextAreaField(
        _l("Comment to the supplier"), validators=[Optional(), Length(max=MAX_TEXT)]
    )
    submit = SubmitField(_l("Approve the plan"))


class AddNoteForm(PortalForm):
    text = TextAreaField(
        _l("Note"), validators=[DataRequired(_l("Write the note")), Length(max=MAX_TEXT)]
    )
    is_internal = BooleanField(_l("Internal: only municipal staff see this note"), default=True)
    submit = SubmitField(_l("Add note"))


class AttachDocumentsForm(PortalForm):
    """Files the municipality received (an audit report sent by e-mail, say), with a note."""

    documents = MultipleFileField(
        _l("Files"),
        description=_l("For example an audit report received by e-mail: PDF, images, office "
                       "documents or text files. You can choose several."),
    )
    document_note = TextAreaField(
        _l("Note about the files"),
        description=_l("What the files are, for example who sent them and when"),
        validators=[Optional(), Length(max=MAX_TEXT)],
    )
    document_internal = BooleanField(
        _l("Internal: only municipal staff see these files and the note"), default=True,
    )
    submit = SubmitField(_l("Attach files"))

    def validate_documents(self, field: MultipleFileField) -> None:
        if not any(upload and upload.filename for upload in field.data or []):
            raise ValidationError(_l("Choose at least one file to attach"))
