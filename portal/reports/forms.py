"""The one form of the report: the 4.A.1 text for a year."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length

from portal.forms import PortalForm

MAX_TEXT = 20_000


class EditReportTextForm(PortalForm):
    text = TextAreaField(
        _l("Text for 4.A.1"),
        description=_l(
            "Public: published as written in the annual report. Start from the draft written "
            "from the year's data and adjust it. Describe roles, not named people, and name no "
            "production site, sub-supplier or supplier. The saved text is used in the PDF and "
            "the exports."
        ),
        validators=[Length(max=MAX_TEXT, message=_l("The text can have at most 20,000 characters"))],
    )
    save = SubmitField(_l("Save the text"))
    reset = SubmitField(_l("Reset to the draft"))

    def validate_text(self, field: TextAreaField) -> None:
        from wtforms import ValidationError

        if not self.reset.data and not (field.data or "").strip():
            raise ValidationError(_l("Enter the text for 4.A.1, or reset it to the draft"))


class PublishReportForm(PortalForm):
    publish = SubmitField(_l("Publish the report"))
