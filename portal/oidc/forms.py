"""Forms for signing in with an organisation's account and for a buyer's provider settings."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import URL, DataRequired, Email, Length, Optional, ValidationError

from portal.forms import PortalForm


class OrganisationEmailForm(PortalForm):
    email = EmailField(
        _l("Your work e-mail address"),
        validators=[DataRequired(_l("Enter your e-mail address")),
                    Email(_l("Enter an e-mail address like name@kommune.no")), Length(max=254)],
    )
    submit = SubmitField(_l("Continue"))


class StartOrganisationSignInForm(PortalForm):
    """Only the CSRF token: starting the sign-in is a POST."""


def _domains(form: PortalForm, field: StringField) -> None:
    for part in (field.data or "").replace(",", " ").split():
        domain = part.strip().lstrip("@")
        if "." not in domain or "/" in domain or ":" in domain:
            raise ValidationError(_l("Write domains like kommune.no, one per line"))


def _https_issuer(form: PortalForm, field: StringField) -> None:
    from flask import current_app

    parts = urlsplit(field.data or "")
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and local
                                        and current_app.config["ENV_NAME"] != "production"):
        raise ValidationError(_l("The issuer starts with https://"))
    if parts.query or parts.fragment:
        raise ValidationError(_l("The issuer is an address without ? or #"))


class IdentityProviderForm(PortalForm):
    issuer = StringField(
        _l("Issuer"),
        description=_l("The provider's issuer address, e.g. https://login.microsoftonline.com/<tenant id>/v2.0 "
                       "or https://idporten.no. Aktsom reads /.well-known/openid-configuration under it."),
        validators=[DataRequired(_l("Enter the issuer address")),
                    URL(require_tld=False, message=_l("Enter an address like https://idporten.no")),
                    _https_issuer, Length(max=500)],
    )
    client_id = StringField(
        _l("Client id"),
        validators=[DataRequired(_l("Enter the client id the provider gave Aktsom")), Length(max=255)],
    )
    client_secret = PasswordField(
        _l("Client secret"),
        validators=[Optional(), Length(max=1000)],
        filters=[],
    )
    email_domains = TextAreaField(
        _l("E-mail domains"),
        description=_l("The domains of your staff's addresses, one per line, e.g. kommune.no"),
        validators=[DataRequired(_l("Enter at least one e-mail domain")), Length(max=2000), _domains],
    )
    required_acr = StringField(
        _l("Required authentication level (acr)"),
        description=_l("When set, the provider must report exactly this level, e.g. idporten-loa-high"),
        validators=[Optional(), Length(max=255)],
    )
    creates_reviewers = BooleanField(
        _l("Give people the provider knows but Aktsom does not an account as reviewer"),
    )
    is_enabled = BooleanField(_l("Staff may sign in with this provider"), default=True)
    submit = SubmitField(_l("Save"))
