"""Forms for suppliers, users, agreements and priority risks."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from portal.auth.forms import LANGUAGE_CHOICES
from portal.codes import DFO_CATEGORIES, PROCUREMENT_KINDS, QUESTIONNAIRE_VARIANTS, THEMES
from portal.countries import country_choices
from portal.forms import OrgNumber, PortalForm, select_choices
from portal.models import Role


class SupplierForm(PortalForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Enter the supplier's name")), Length(max=200)]
    )
    country = SelectField(_l("Country"), default="NO", validators=[InputRequired(_l("Choose a country"))])
    org_number = StringField(
        _l("Organisation number"),
        description=_l("Norwegian suppliers: 9 digits from Brønnøysundregistrene"),
        # No Optional(): it would stop validate_org_number from seeing an empty field.
        validators=[OrgNumber()],
    )
    registry_id = StringField(
        _l("Foreign registry id"),
        description=_l("Foreign suppliers without a Norwegian organisation number: the id in their own country's business registry"),
        validators=[Length(max=64)],  # no Optional(): validate_registry_id must see it empty
    )
    address = StringField(_l("Street address"), validators=[Optional(), Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[Optional(), Length(max=20)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=100)])
    submit = SubmitField(_l("Save supplier"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = select_choices(country_choices())

    def validate_org_number(self, field: StringField) -> None:
        if self.country.data == "NO" and not field.data:
            raise ValidationError(_l("Enter the organisation number: Norwegian suppliers must have one"))

    def validate_registry_id(self, field: StringField) -> None:
        if self.country.data != "NO" and not self.org_number.data and not field.data:
            raise ValidationError(
                _l("Enter the registry id, or a Norwegian organisation number if the supplier has one")
            )


ROLE_CHOICES = select_choices([
    (Role.SUPPLIER.value, _l("Supplier user")),
    (Role.REVIEWER.value, _l("Reviewer")),
    (Role.ADMIN.value, _l("Administrator")),
])


class InviteUserForm(PortalForm):
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(_l("Enter the e-mail address of the person to invite")),
            Email(_l("Enter an e-mail address like name@example.no")),
            Length(max=254),
        ],
    )
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    role = RadioField(_l("Role"), choices=ROLE_CHOICES, default=Role.SUPPLIER.value,
                      validators=[InputRequired(_l("Choose a role"))])
    # No Optional(): validate_supplier_id must also run when nothing is chosen.
    supplier_id = SelectField(
        _l("Supplier"), coerce=int, default=0, description=_l("Only for supplier users"),
    )
    locale = RadioField(_l("Language of the invitation"), choices=LANGUAGE_CHOICES, default="nb",
                        validators=[InputRequired(_l("Choose a language"))])
    submit = SubmitField(_l("Send invitation"))

    def validate_supplier_id(self, field: SelectField) -> None:
        if self.role.data == Role.SUPPLIER.value and not field.data:
            raise ValidationError(_l("Choose the supplier the user belongs to"))


class InviteColleagueForm(PortalForm):
    email = EmailField(
        _l("Your colleague's e-mail"),
        validators=[
            DataRequired(_l("Enter your colleague's e-mail address")),
            Email(_l("Enter an e-mail address like name@example.no")),
            Length(max=254),
        ],
    )
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    locale = RadioField(_l("Language of the invitation"), choices=LANGUAGE_CHOICES, default="nb",
                        validators=[InputRequired(_l("Choose a language"))])
    submit = SubmitField(_l("Send invitation"))


class EditUserForm(PortalForm):
    role = RadioField(_l("Role"), choices=ROLE_CHOICES, validators=[InputRequired(_l("Choose a role"))])
    supplier_id = SelectField(_l("Supplier"), coerce=int, default=0,
                              description=_l("Only for supplier users"))
    submit = SubmitField(_l("Save role"))

    def validate_supplier_id(self, field: SelectField) -> None:
        if self.role.data == Role.SUPPLIER.value and not field.data:
            raise ValidationError(_l("Choose the supplier the user belongs to"))


class AddParticipantForm(PortalForm):
    """A buyer that takes part in a joint agreement (felles rammeavtale) led by this buyer."""

    buyer_id = SelectField(
        _l("Participating buyer"),
        description=_l("Name and organisation number. Its staff will see the agreement's follow-up, read-only, and count it in their own chapter 4."),
        coerce=int,
        # The service checks the choice, with a message of ours (WTForms' is not translated).
        validate_choice=False,
        validators=[DataRequired(_l("Choose the buyer that takes part in the agreement"))],
    )
    submit = SubmitField(_l("Add participating buyer"))


class ActionForm(PortalForm):
    """A button-only form (deactivate, resend, delete): CSRF is all it carries."""

    submit = SubmitField(_l("Confirm"))


class EraseUserForm(PortalForm):
    """Confirming an erasure; the two optional fields appear only when their rule applies."""

    new_owner_id = SelectField(
        _l("New owner of the open reviews"), coerce=int,
        description=_l("The agreements this person manages move to the colleague you choose"),
        validators=[Optional()],
    )
    last_user_confirmed = BooleanField(
        _l("I understand that the supplier will have no user who can sign in"),
    )
    confirm = BooleanField(
        _l("I confirm that this person's name, e-mail address and job title are to be erased. This cannot be undone."),
        validators=[DataRequired(_l("Tick the box to confirm the erasure"))],
    )
    submit = SubmitField(_l("Erase this person"))


# The column is Numeric(16, 2); a larger value (or Infinity) would fail in the database.
MAX_AGREEMENT_VALUE = Decimal("99999999999999.99")


class AgreementForm(PortalForm):
    name_nb = StringField(_l("Name in Norwegian"), validators=[DataRequired(_l("Enter the agreement's Norwegian name")), Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(_l("Enter the agreement's English name")), Length(max=200)])
    reference = StringField(
        _l("Reference number"), description=_l("The case or agreement number, e.g. 2023/1234"),
        validators=[DataRequired(_l("Enter the reference number")), Length(max=64)],
    )
    kind = SelectField(_l("Type of procurement"), choices=[], validators=[InputRequired(_l("Choose the type of procurement"))])
    dfo_category = SelectField(_l("DFØ high-risk category"), choices=[], validators=[Optional()])
    estimated_value = DecimalField(
        _l("Estimated value (NOK)"), places=2,
        description=_l("Total estimated value for the whole agreement period, in kroner"),
        validators=[Optional(), NumberRange(min=0, message=_l("The value cannot be negative")),
                    NumberRange(max=MAX_AGREEMENT_VALUE, message=_l("Enter at most 14 digits before the decimal point"))],
    )
    start_date = DateField(_l("Start date"), description=_l("For example 2024-01-31"),
                           validators=[InputRequired(_l("Enter the start date as yyyy-mm-dd"))])
    end_date = DateField(_l("End date"), description=_l("Leave empty if the agreement has no end date"),
                         validators=[Optional()])
    supplier_ids = SelectMultipleField(_l("Suppliers on the agreement"), coerce=int, validators=[Optional()])
    contract_manager_id = SelectField(_l("Contract manager"), coerce=int, validators=[Optional()])
    qualification_requirement = BooleanField(_l("Ethical requirements used as a qualification requirement"))
    award_criterion = BooleanField(_l("Ethical requirements used as an award criterion"))
    contract_condition = BooleanField(_l("Ethical requirements used as a contract condition"))
    social_dialogue_required = BooleanField(_l("The social-dialogue requirement applies"))
    social_dialogue_wording = TextAreaField(
        _l("Agreed wording of the social-dialogue requirement"),
        validators=[Length(max=5000)],  # no Optional(): validate_social_dialogue_wording must see it empty
    )
    questionnaire_variant = RadioField(_l("Questionnaire variant"), choices=[], default="full",
                                       validators=[InputRequired(_l("Choose the questionnaire variant"))])
    product_scope = TextAreaField(
        _l("Products or components followed up"),
        description=_l("The products or components the questionnaire covers, one per line"),
        validators=[Optional(), Length(max=5000)],
    )
    submit = SubmitField(_l("Save agreement"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = select_choices(PROCUREMENT_KINDS.choices())
        self.dfo_category.choices = select_choices([("", _l("None")), *DFO_CATEGORIES.choices()])
        self.questionnaire_variant.choices = select_choices(QUESTIONNAIRE_VARIANTS.choices())

    def validate_end_date(self, field: DateField) -> None:
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("The end date cannot be before the start date"))

    def validate_social_dialogue_wording(self, field: TextAreaField) -> None:
        if self.social_dialogue_required.data and not field.data:
            raise ValidationError(_l("Enter the wording agreed with the supplier for the social-dialogue requirement"))


_PUBLIC_2A3 = _l("Public: published as written in the annual report (2.A.3). Do not name "
                 "production sites, sub-suppliers, suppliers or persons.")


class PriorityRiskForm(PortalForm):
    impact_nb = TextAreaField(_l("Adverse impact (Norwegian)"), description=_PUBLIC_2A3,
                              validators=[DataRequired(_l("Describe the adverse impact in Norwegian")), Length(max=2000)])
    impact_en = TextAreaField(_l("Adverse impact (English)"), description=_PUBLIC_2A3, validators=[Optional(), Length(max=2000)])
    themes = SelectMultipleField(_l("Related themes"), validators=[DataRequired(_l("Choose at least one theme"))])
    geography = StringField(_l("Geography"),
                            description=_l("Public (2.A.3). For example Globalt, Norge or a region"),
                            validators=[Optional(), Length(max=200)])
    position = DecimalField(_l("Order in the table"), places=0, default=0,
                            validators=[Optional(), NumberRange(min=0, max=999, message=_l("Enter a number from 0 to 999"))])
    submit = SubmitField(_l("Save risk"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.themes.choices = select_choices(THEMES.choices())
