"""Forms of the site register; a site's fields are checked by ``fields.parse_site``, as an import is."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)

from portal.countries import country_choices
from portal.forms import PortalForm, select_choices
from portal.sites import fields as site_fields
from portal.sites.services import SITE_FIELDS


def _choices(name: str) -> list[Any]:
    codes = site_fields.BY_NAME[name].codes
    assert codes is not None  # noqa: S101
    return select_choices([("", _l("Not given")), *codes.choices()])


class EditSiteForm(PortalForm):
    """One production site; only the name, country and tier are needed to keep it."""

    name = StringField(_l("Site name"))
    address = StringField(_l("Street address"))
    city = StringField(_l("City/region"))
    country = SelectField(_l("Country"), validate_choice=False, default="")
    tier = SelectField(_l("Supply chain tier"), validate_choice=False, default="T1")
    products = StringField(_l("Product(s)/item no."))
    relation = SelectField(_l("Relationship"), validate_choice=False, default="")
    workers = StringField(_l("Number of workers"))
    women_pct = StringField(_l("Share of women (%)"))
    migrant_workers = SelectField(_l("Migrant workers present"), validate_choice=False, default="")
    worker_representation = SelectField(_l("Worker representation"), validate_choice=False, default="")
    last_audit_scheme = SelectField(_l("Latest social audit"), validate_choice=False, default="")
    last_audit_date = StringField(_l("Date of latest audit"), description=_l("For example 15.03.2024"))
    certifications = SelectMultipleField(_l("Certifications"), validate_choice=False)
    is_confidential = BooleanField(
        _l("Confidential"), default=True,
        description=_l("Buyers' staff see a confidential site only in the responses you list it in. "
                       "No site is ever shown in a public report."))
    submit = SubmitField(_l("Save site"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.country.choices = select_choices([("", _l("Choose a country")), *country_choices()])
        self.tier.choices = select_choices(site_fields.BY_NAME["tier"].codes.choices())  # type: ignore[union-attr]
        for name in ("relation", "migrant_workers", "worker_representation", "last_audit_scheme"):
            getattr(self, name).choices = _choices(name)
        codes = site_fields.BY_NAME["certifications"].codes
        assert codes is not None  # noqa: S101
        self.certifications.choices = select_choices(codes.choices())
        self.values: dict[str, Any] = {}

    def fill(self, site: Any) -> None:
        """Show a stored site."""
        for name in SITE_FIELDS:
            value = getattr(site, name)
            if name == "last_audit_date" and value is not None:
                value = value.strftime("%d.%m.%Y")
            elif name in ("workers", "women_pct"):
                value = "" if value is None else str(value)
            getattr(self, name).data = value

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        raw: dict[str, object] = {name: getattr(self, name).data for name in SITE_FIELDS}
        raw["certifications"] = ",".join(str(v) for v in (self.certifications.data or [])[:50])
        raw["is_confidential"] = "yes" if self.is_confidential.data else "no"
        self.values, errors = site_fields.parse_site(raw)
        for name, message in errors.items():
            getattr(self, name).errors = [*getattr(self, name).errors, message]
        return valid and not errors


class DeleteSiteForm(PortalForm):
    submit = SubmitField(_l("Delete site"))


class ImportSitesForm(PortalForm):
    file = FileField(_l("Filled-in template"), description=_l("XLSX or CSV, at most 2 MB"))
    submit = SubmitField(_l("Check the file"))


class ConfirmImportForm(PortalForm):
    """Carries the checked rows, signed, from the preview to the confirmation."""

    plan = HiddenField()
    submit = SubmitField(_l("Import the sites"))


class PickSitesForm(PortalForm):
    sites = SelectMultipleField(_l("Sites that supply this agreement"), coerce=int, validate_choice=False)
    submit = SubmitField(_l("Add the chosen sites to the answer"))

    def set_sites(self, choices: Sequence[tuple[int, str]]) -> None:
        self.sites.choices = select_choices(choices)
