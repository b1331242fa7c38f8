"""Forms of the responses area that are more than a questionnaire page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SubmitField

from portal.forms import PortalForm


class ImportPackageForm(PortalForm):
    package = FileField(
        _l("Answer package (ZIP)"),
        description=_l("A ZIP file downloaded with «Download answers (ZIP)» from Aktsom, here or on another "
                       "Aktsom installation"),
        validators=[
            FileRequired(_l("Choose the answer package to import")),
            FileAllowed(["zip"], _l("The package must be a ZIP file (.zip)")),
        ],
    )
    submit = SubmitField(_l("Check and import"))
