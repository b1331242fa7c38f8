"""Forms of the platform administration."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from portal.auth.forms import LANGUAGE_CHOICES
from portal.forms import OrgNumber, PortalForm, select_choices
from portal.models import BuyerKind

BUYER_KINDS = [
    (BuyerKind.MUNICIPALITY.value, _l("Municipality")),
    (BuyerKind.COUNTY.value, _l("County")),
    (BuyerKind.STATE_AGENCY.value, _l("State agency")),
    (BuyerKind.HEALTH_TRUST.value, _l("Health trust")),
    (BuyerKind.COOPERATION.value, _l("Purchasing cooperation")),
    (BuyerKind.OTHER.value, _l("Other public buyer")),
]
BUYER_KIND_CHOICES = select_choices(BUYER_KINDS)



def buyer_kind_labels() -> dict[str, str]:
    return {value: str(label) for value, label in BUYER_KINDS}


class BuyerForm(PortalForm):
    name = StringField(
        _l("Name"), validators=[DataRequired(_l("Enter the buyer's name")), Length(max=200)]
    )
    org_number = StringField(
        _l("Organisation number"),
        validators=[DataRequired(_l("Enter the organisation number")), OrgNumber()],
    )
    kind = SelectField(_l("Kind of buyer"), choices=BUYER_KIND_CHOICES,
                       validators=[InputRequired(_l("Choose the kind of buyer"))])
    is_ehn_member = BooleanField(_l("Member of Etisk handel Norge"))
    report_contact_name = StringField(_l("Contact for the report"),
                                      validators=[Optional(), Length(max=200)])
    report_contact_email = EmailField(
        _l("The contact's e-mail address"),
        validators=[Optional(), Email(_l("Enter an e-mail address like name@example.no")),
                    Length(max=254)],
    )
    default_locale = RadioField(_l("Default language"), choices=LANGUAGE_CHOICES, default="nb",
                                validators=[InputRequired(_l("Choose a language"))])
    submit = SubmitField(_l("Save"))


class InviteBuyerAdminForm(PortalForm):
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(_l("Enter the e-mail address of the person to invite")),
            Email(_l("Enter an e-mail address like name@example.no")),
            Length(max=254),
        ],
    )
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    locale = RadioField(_l("Language of the invitation"), choices=LANGUAGE_CHOICES, default="nb",
                        validators=[InputRequired(_l("Choose a language"))])
    submit = SubmitField(_l("Send invitation"))
