"""Forms a supplier user fills in about their own company."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, SubmitField
from wtforms.validators import Length, Optional

from portal.forms import PortalForm


class EditContactDetailsForm(PortalForm):
    """The company's address; its name and organisation number are the municipality's to change."""

    address = StringField(_l("Street address"), validators=[Optional(), Length(
        max=200, message=_l("Write the street address in at most %(max)d characters"))])
    postal_code = StringField(_l("Postal code"), validators=[Optional(), Length(
        max=20, message=_l("Write the postal code in at most %(max)d characters"))])
    city = StringField(_l("City"), validators=[Optional(), Length(
        max=100, message=_l("Write the city in at most %(max)d characters"))])
    submit = SubmitField(_l("Save contact details"))


class DeactivateColleagueForm(PortalForm):
    submit = SubmitField(_l("Deactivate colleague"))
