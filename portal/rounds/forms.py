"""Forms for rounds, deadlines and questionnaire versions."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal import clock
from portal.codes import DFO_CATEGORIES, QUESTIONNAIRE_VARIANTS
from portal.forms import PortalForm, select_choices
from portal.rounds.services import BULK_CATEGORY, BULK_CONTRACT_CONDITION

MAX_DEFINITION_BYTES = 1024 * 1024


class CreateRoundForm(PortalForm):
    year = IntegerField(
        _l("Year"),
        description=_l("The year the suppliers report on, for example 2025"),
        validators=[
            InputRequired(_l("Enter the year as four digits, for example 2025")),
            NumberRange(min=2000, max=2100, message=_l("Enter a year between 2000 and 2100")),
        ],
    )
    name_nb = StringField(
        _l("Name in Norwegian"),
        description=_l("Shown to suppliers, for example Oppfølging 2025"),
        validators=[DataRequired(_l("Enter the round's Norwegian name")), Length(max=200)],
    )
    name_en = StringField(
        _l("Name in English"),
        validators=[DataRequired(_l("Enter the round's English name")), Length(max=200)],
    )
    questionnaire_version_id = SelectField(
        _l("Questionnaire version"),
        coerce=int,
        validators=[InputRequired(_l("Choose the questionnaire version the suppliers answer"))],
    )
    deadline = DateField(
        _l("Deadline"),
        description=_l("For example 2026-03-31. Each response can get a later deadline afterwards"),
        validators=[InputRequired(_l("Enter the deadline as yyyy-mm-dd"))],
    )
    historical = BooleanField(
        _l("Historical round, entered afterwards"),
        description=_l("For follow-up done in a past year before Aktsom was used: the deadline "
                       "may be in the past, the agreements active in the round's year can join, "
                       "suppliers get no e-mail, and acceptances can be dated within the year"),
    )
    intro_nb = TextAreaField(
        _l("Introduction in Norwegian"),
        description=_l("Shown to suppliers at the top of the questionnaire and in the invitation"),
        validators=[Optional(), Length(max=5000)],
    )
    intro_en = TextAreaField(
        _l("Introduction in English"),
        description=_l("Suppliers who use English see the Norwegian introduction if this is empty"),
        validators=[Optional(), Length(max=5000)],
    )
    submit = SubmitField(_l("Create round"))

    def validate_questionnaire_version_id(self, field: SelectField) -> None:
        if not field.data:
            raise ValidationError(_l("Choose the questionnaire version the suppliers answer"))

    def validate_deadline(self, field: DateField) -> None:
        if field.data and field.data < clock.today() and not self.historical.data:
            raise ValidationError(_l("The deadline cannot be in the past. For follow-up done in "
                                     "a past year, mark the round as historical"))

    def validate_historical(self, field: BooleanField) -> None:
        if field.data and self.year.data is not None and self.year.data >= clock.today().year:
            raise ValidationError(_l("A historical round is for a past year: enter a year "
                                     "before this one"))


class AddAgreementForm(PortalForm):
    agreement_id = SelectField(
        _l("Agreement"),
        coerce=int,
        description=_l("Active agreements with suppliers that are not yet in the round"),
        validators=[InputRequired(_l("Choose the agreement to add"))],
    )
    #: The preview's fingerprint, posted back to confirm it (see ``AgreementPlan.fingerprint``).
    confirmation = HiddenField()
    submit = SubmitField(_l("Add agreement"))

    def validate_agreement_id(self, field: SelectField) -> None:
        if not field.data:
            raise ValidationError(_l("Choose the agreement to add"))


class AddAgreementsBulkForm(PortalForm):
    rule = RadioField(
        _l("Which agreements"),
        validators=[InputRequired(_l("Choose which agreements to add"))],
    )
    category = SelectField(
        _l("DFØ high-risk category"),
        description=_l("Only when adding the agreements of one category"),
        default="",
    )
    confirmation = HiddenField()
    submit = SubmitField(_l("Add agreements"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.rule.choices = select_choices([
            (BULK_CONTRACT_CONDITION, _l("All active agreements with the contract condition")),
            (BULK_CATEGORY, _l("All active agreements in a DFØ high-risk category")),
        ])
        self.category.choices = select_choices(
            [("", _l("Choose a category")), *DFO_CATEGORIES.choices()]
        )

    def validate_category(self, field: SelectField) -> None:
        if self.rule.data == BULK_CATEGORY and field.data not in DFO_CATEGORIES:
            raise ValidationError(_l("Choose the DFØ high-risk category whose agreements to add"))


class ExtendDeadlineForm(PortalForm):
    new_deadline = DateField(
        _l("New deadline"),
        description=_l("For example 2026-04-30; it must be later than the current deadline"),
        validators=[InputRequired(_l("Enter the new deadline as yyyy-mm-dd"))],
    )
    reason = TextAreaField(
        _l("Reason"),
        description=_l("Kept in the audit trail, for example what the supplier asked for"),
        validators=[DataRequired(_l("Say why the deadline is extended")), Length(max=1000)],
    )
    submit = SubmitField(_l("Extend the deadline"))

    def __init__(self, *args: object, current_deadline: date, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.current_deadline = current_deadline

    def validate_new_deadline(self, field: DateField) -> None:
        if field.data is None:
            return
        if field.data <= self.current_deadline:
            raise ValidationError(_l("The new deadline must be later than the current deadline"))
        if field.data < clock.today():
            raise ValidationError(_l("The new deadline cannot be in the past"))


class ImportVersionForm(PortalForm):
    file = FileField(
        _l("Definition file"),
        description=_l("A YAML or JSON file of at most 1 MB. A version that is in use never changes: give an edited file a new version number"),
        validators=[
            FileRequired(_l("Choose the definition file to import")),
            FileAllowed(["yaml", "yml", "json"], _l("The file must be YAML (.yaml, .yml) or JSON (.json)")),
            FileSize(MAX_DEFINITION_BYTES, message=_l("The file must be at most 1 MB")),
        ],
    )
    submit = SubmitField(_l("Import"))


class PreviewOptionsForm(PortalForm):
    """The preview's toggles, read from the query string."""

    class Meta:
        csrf = False

    variant = RadioField(_l("Variant"), default="full")
    social_dialogue = BooleanField(_l("With the social-dialogue requirement (section H)"))
    submit = SubmitField(_l("Show"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.variant.choices = select_choices(QUESTIONNAIRE_VARIANTS.choices())
