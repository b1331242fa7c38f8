"""Forms for verdicts, returning, accepting and reopening a review, and follow-up activities."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    Field,
    FieldList,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal import clock
from portal.codes import RECORDABLE_ACTIVITY_KINDS, VERDICTS
from portal.forms import PortalForm, select_choices

MAX_TEXT = 10000


class PortalDateField(DateField):
    """A date whose unreadable input gets an instructive, translated message."""

    def __init__(self, *args: Any, invalid_message: object = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invalid_message = invalid_message or _l("Enter the date as yyyy-mm-dd")

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(str(self.invalid_message)) from error


def verdict_choices() -> list[Any]:
    return select_choices([("", _l("Not yet assessed")), *VERDICTS.choices()])


class VerdictEntryForm(PortalForm):
    """One question's verdict and comments; the page holds one per question."""

    class Meta:
        csrf = False

    question_id = HiddenField()
    base = HiddenField()
    verdict = RadioField(_l("Verdict"), validate_choice=False, default="")
    comment_to_supplier = TextAreaField(
        _l("Comment to the supplier"),
        description=_l("Shown to the supplier when the response is returned or accepted"),
        validators=[Optional(), Length(max=MAX_TEXT)],
    )
    internal_note = TextAreaField(
        _l("Internal note"),
        description=_l("Only municipal staff see this"),
        validators=[Optional(), Length(max=MAX_TEXT)],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.verdict.choices = verdict_choices()

    def validate_verdict(self, field: RadioField) -> None:
        if field.data and field.data not in VERDICTS:
            raise ValidationError(_l("Choose one of the verdicts in the list"))


class SaveVerdictsForm(PortalForm):
    verdicts = FieldList(FormField(VerdictEntryForm))
    # Which section's button was pressed, to return there after saving.
    section = StringField(validators=[Optional(), Length(max=20)])

    def error_list(self) -> list[tuple[str, str]]:
        errors: list[tuple[str, str]] = []
        for entry in self.verdicts:
            for field in entry.form:
                for message in field.errors:
                    errors.append((field.id, f"{entry.form.question_id.data}: {message}"))
        return errors


class ReturnResponseForm(PortalForm):
    questions = SelectMultipleField(
        _l("Questions to reopen"),
        description=_l("The supplier can change only these answers"),
        validate_choice=False,
    )
    message = TextAreaField(
        _l("Message to the supplier"),
        description=_l("Say what needs clarifying. The supplier receives it by e-mail."),
        validators=[DataRequired(_l("Write a message to the supplier saying what to clarify")),
                    Length(max=MAX_TEXT)],
    )
    submit = SubmitField(_l("Return for clarification"))

    def set_questions(self, choices: Sequence[tuple[str, str]]) -> None:
        self.questions.choices = select_choices(choices)
        self._known = {value for value, _label in choices}

    def validate_questions(self, field: SelectMultipleField) -> None:
        if not field.data:
            raise ValidationError(
                _l("Choose at least one question for the supplier to answer again")
            )
        unknown = [value for value in field.data if value not in getattr(self, "_known", set())]
        if unknown:
            raise ValidationError(_l("Choose among the questions listed"))


class AcceptResponseForm(PortalForm):
    # Set by the confirmation page that named the questions left without a real review.
    gaps_seen = HiddenField()
    # Shown and read for a historical round only (issue 16): the day the review was done.
    accepted_on = PortalDateField(
        _l("Date of the acceptance"),
        description=_l("Within the round's year, for example 2024-11-30: the date of the "
                       "follow-up activity it records"),
        validators=[Optional()],
    )
    submit = SubmitField(_l("Accept the response"))


class ReopenResponseForm(PortalForm):
    reason = TextAreaField(
        _l("Reason for reopening"),
        description=_l("Kept in the audit trail"),
        validators=[DataRequired(_l("Say why the review is reopened")), Length(max=MAX_TEXT)],
    )
    submit = SubmitField(_l("Reopen the review"))


class _ActivityForm(PortalForm):
    """What recording and correcting an activity share: the kinds offered, and the checks of
    kind and date (the fields themselves stay in each form, in the order shown)."""

    kind: SelectField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = select_choices([("", _l("Choose a kind")), *RECORDABLE_ACTIVITY_KINDS.choices()])

    def validate_kind(self, field: SelectField) -> None:
        if field.data not in RECORDABLE_ACTIVITY_KINDS:
            raise ValidationError(_l("Choose the kind of activity"))

    def validate_date(self, field: Field) -> None:
        if field.data and field.data > clock.today():
            raise ValidationError(
                _l("The date cannot be in the future: record activities that took place")
            )


class CreateActivityForm(_ActivityForm):
    kind = SelectField(_l("Kind of activity"), validate_choice=False,
                       validators=[InputRequired(_l("Choose the kind of activity"))])
    date = PortalDateField(
        _l("Date"),
        description=_l("When it took place, for example 2025-03-31"),
        validators=[InputRequired(_l("Enter the date as yyyy-mm-dd"))],
    )
    agreement_id = SelectField(
        _l("Agreement"), coerce=int, default=0, validate_choice=False,
        validators=[InputRequired(_l("Choose the agreement the activity concerns"))],
    )
    supplier_id = SelectField(
        _l("Supplier"), coerce=int, default=0, validate_choice=False,
        validators=[InputRequired(_l("Choose the supplier the activity concerns"))],
    )
    notes = TextAreaField(
        _l("Notes"),
        description=_l("What was followed up and what came out of it"),
        validators=[Optional(), Length(max=MAX_TEXT)],
    )
    files = MultipleFileField(
        _l("Files"), description=_l("Minutes, reports or other documentation")
    )
    backfilled = BooleanField(
        _l("Recorded afterwards"),
        description=_l("Follow-up done before Aktsom was used or outside it, for example a "
                       "questionnaire reviewed on paper, an audit or a meeting: give its real date "
                       "and, if you have it, the document"),
    )
    submit = SubmitField(_l("Record activity"))


    def set_options(
        self, agreements: Sequence[tuple[int, str]], suppliers: Sequence[tuple[int, str]]
    ) -> None:
        self.agreement_id.choices = select_choices([(0, _l("Choose an agreement")), *agreements])
        self.supplier_id.choices = select_choices([(0, _l("Choose a supplier")), *suppliers])
        self._agreement_ids = {value for value, _label in agreements}
        self._supplier_ids = {value for value, _label in suppliers}

    def validate_agreement_id(self, field: SelectField) -> None:
        if field.data not in getattr(self, "_agreement_ids", set()):
            raise ValidationError(_l("Choose the agreement the activity concerns"))

    def validate_supplier_id(self, field: SelectField) -> None:
        if field.data not in getattr(self, "_supplier_ids", set()):
            raise ValidationError(_l("Choose the supplier the activity concerns"))


class BulkActionForm(PortalForm):
    """The inbox's selected rows and what to do with them: remind, or move the deadline."""

    responses = SelectMultipleField(_l("Select"), coerce=int, validate_choice=False)
    new_deadline = DateField(
        _l("New deadline"),
        description=_l("For example 2026-04-30; later than the current deadlines"),
        validators=[Optional()],
    )
    reason = StringField(
        _l("Reason for the new deadline"),
        description=_l("Kept in the audit trail"),
        validators=[Length(max=1000)],
    )
    remind = SubmitField(_l("Send a reminder"))
    extend = SubmitField(_l("Extend the deadline"))

    def validate_responses(self, field: Field) -> None:
        if not field.data:
            raise ValidationError(_l("Select at least one response in the list"))

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        if self.extend.data and not self.new_deadline.errors:
            if self.new_deadline.data is None:
                self.new_deadline.errors = [_l("Enter the new deadline as yyyy-mm-dd")]
                valid = False
            if not (self.reason.data or "").strip():
                self.reason.errors = [_l("Say why the deadline is extended")]
                valid = False
        return valid
_REASON_HINT = _l("Kept in the activity's history and listed on a published report it changes")


class EditActivityForm(_ActivityForm):
    """Correct a recorded activity; the agreement and supplier stay (withdraw and record
    a new one for another supplier)."""

    kind = SelectField(_l("Kind of activity"), validate_choice=False,
                       validators=[InputRequired(_l("Choose the kind of activity"))])
    date = PortalDateField(
        _l("Date"),
        description=_l("When it took place, for example 2025-03-31"),
        validators=[InputRequired(_l("Enter the date as yyyy-mm-dd"))],
    )
    notes = TextAreaField(
        _l("Notes"),
        description=_l("What was followed up and what came out of it"),
        validators=[Optional(), Length(max=MAX_TEXT)],
    )
    reason = TextAreaField(
        _l("Reason for the correction"), description=_REASON_HINT,
        validators=[DataRequired(_l("Say why the activity is corrected")), Length(max=2000)],
    )
    submit = SubmitField(_l("Save the correction"))



class WithdrawActivityForm(PortalForm):
    reason = TextAreaField(
        _l("Reason for withdrawing"), description=_REASON_HINT,
        validators=[DataRequired(_l("Say why the activity is withdrawn")), Length(max=2000)],
    )
    submit = SubmitField(_l("Withdraw the activity"))
