"""Forms for sharing a response (supplier) and for a received response (receiving buyer)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import InputRequired, Length, Optional

from portal import clock
from portal.codes import VERDICTS
from portal.forms import PortalForm, select_choices
from portal.review.forms import MAX_TEXT, PortalDateField, verdict_choices


class ShareForm(PortalForm):
    buyer_id = SelectField(
        _l("Buyer to share with"), coerce=int, default=0, validate_choice=False,
        description=_l("Buyers on this installation that have an agreement with your company"),
        validators=[InputRequired(_l("Choose the buyer to share the response with"))],
    )
    consent = BooleanField(
        _l("I consent to sharing this submission with the buyer chosen: its answers, including "
           "the company answers it used, and its files. The buyer's staff can read it until we "
           "revoke the share."),
    )
    submit = SubmitField(_l("Share the response"))

    def set_buyers(self, buyers: Sequence[tuple[int, str]]) -> None:
        self.buyer_id.choices = select_choices([(0, _l("Choose a buyer")), *buyers])
        self._buyer_ids = {value for value, _label in buyers}

    def validate_buyer_id(self, field: SelectField) -> None:
        if field.data not in getattr(self, "_buyer_ids", set()):
            raise ValidationError(_l(
                "Choose one of the buyers listed: a response can be shared only with a buyer "
                "that has an agreement with your company"))

    def validate_consent(self, field: BooleanField) -> None:
        if not field.data:
            raise ValidationError(_l("Tick the box to give your consent, or do not share"))


class RevokeShareForm(PortalForm):
    submit = SubmitField(_l("Revoke"))


class ShareVerdictEntryForm(PortalForm):
    """One question's verdict and comment by the receiving buyer."""

    class Meta:
        csrf = False

    question_id = HiddenField()
    verdict = RadioField(_l("Verdict"), validate_choice=False, default="")
    comment = TextAreaField(
        _l("Our comment"), description=_l("Only your organisation's staff see this"),
        validators=[Optional(), Length(max=MAX_TEXT)],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.verdict.choices = verdict_choices()

    def validate_verdict(self, field: RadioField) -> None:
        if field.data and field.data not in VERDICTS:
            raise ValidationError(_l("Choose one of the verdicts in the list"))


class ShareVerdictsForm(PortalForm):
    verdicts = FieldList(FormField(ShareVerdictEntryForm))
    section = StringField(validators=[Optional(), Length(max=20)])

    def error_list(self) -> list[tuple[str, str]]:
        errors: list[tuple[str, str]] = []
        for entry in self.verdicts:
            for field in entry.form:
                for message in field.errors:
                    errors.append((field.id, f"{entry.form.question_id.data}: {message}"))
        return errors


class _AgreementForm(PortalForm):
    agreement_id = SelectField(
        _l("Our agreement"), coerce=int, default=0, validate_choice=False,
        description=_l("One of your agreements with this supplier, active in the year"),
        validators=[InputRequired(_l("Choose the agreement the follow-up counts for"))],
    )

    def set_agreements(self, agreements: Sequence[tuple[int, str]]) -> None:
        self.agreement_id.choices = select_choices([(0, _l("Choose an agreement")), *agreements])
        self._agreement_ids = {value for value, _label in agreements}

    def validate_agreement_id(self, field: SelectField) -> None:
        if field.data not in getattr(self, "_agreement_ids", set()):
            raise ValidationError(_l(
                "Choose one of your agreements with this supplier that is active in the year"))


class AcceptShareForm(_AgreementForm):
    submit = SubmitField(_l("Accept as our follow-up"))


class ReuseFollowUpForm(_AgreementForm):
    date = PortalDateField(
        _l("Date of our follow-up"),
        description=_l("When you decided to reuse the result, for example 2025-03-31"),
        validators=[InputRequired(_l("Enter the date as yyyy-mm-dd"))],
    )
    submit = SubmitField(_l("Record the reused follow-up"))

    def validate_date(self, field: Field) -> None:
        if field.data and field.data > clock.today():
            raise ValidationError(
                _l("The date cannot be in the future: record activities that took place"))
