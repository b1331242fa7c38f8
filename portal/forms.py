"""The form base class and validators shared by every area."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, FieldList, Form, FormField, PasswordField, ValidationError
from wtforms.fields import choices as _wtforms_choices

from portal.inputs import INT_MAX, clean

# WTForms 3.3 added SelectChoice; older versions only know (value, label) tuples.
_SELECT_CHOICE: Any = getattr(_wtforms_choices, "SelectChoice", None)


def select_choices(pairs: Iterable[tuple[Any, Any]]) -> list[Any]:
    """(value, label) pairs as the installed WTForms wants them.

    WTForms 3.3 deprecates tuples (an error under the test suite's warning filter)
    and 3.4 drops them; older versions need them.
    """
    if _SELECT_CHOICE is None:
        return list(pairs)
    return [_SELECT_CHOICE(value, label) for value, label in pairs]


def _strip(value: Any) -> Any:
    # Control characters never come from a browser; PostgreSQL refuses NUL in text (portal.inputs).
    return clean(value).strip() if isinstance(value, str) else value


def _drop_nul(value: Any) -> Any:
    return value.replace("\x00", "") if isinstance(value, str) else value


class PortalForm(FlaskForm):
    """Strips surrounding whitespace from every text input; passwords are kept exactly as typed."""

    class Meta:
        def bind_field(self, form: Form, unbound_field: Any, options: dict[str, Any]) -> Field:
            if unbound_field.field_class in (FieldList, FormField):
                # Lists and subforms take no filters; their entries get this stripping themselves.
                return unbound_field.bind(form=form, **options)
            filters = unbound_field.kwargs.get("filters", [])
            cleaner = _drop_nul if unbound_field.field_class is PasswordField else _strip
            if cleaner not in filters:
                unbound_field.kwargs["filters"] = [cleaner, *filters]
            return unbound_field.bind(form=form, **options)

    def validate(self, extra_validators: Any = None) -> bool:
        """Also refuses whole numbers (ids, years, counts) beyond the database's integer columns."""
        valid = super().validate(extra_validators)
        for field in self:
            values = field.data if isinstance(field.data, list) else [field.data]
            if any(isinstance(v, int) and not isinstance(v, bool) and not -INT_MAX <= v <= INT_MAX
                   for v in values):
                field.errors = [*field.errors, _l("Enter a smaller number")]
                valid = False
        return valid

    def error_list(self) -> list[tuple[str, str]]:
        """(field id, message) for the error summary, in form order."""
        errors: list[tuple[str, str]] = []
        for field in self:
            for message in field.errors if isinstance(field.errors, list) else []:
                errors.append((field.id, str(message)))
        return errors


def org_number_is_valid(number: str) -> bool:
    """A Norwegian organisation number: 9 digits with a MOD11 check digit."""
    if len(number) != 9 or not (number.isascii() and number.isdigit()):
        return False
    weights = (3, 2, 7, 6, 5, 4, 3, 2)
    remainder = sum(int(d) * w for d, w in zip(number[:8], weights, strict=True)) % 11
    check = 0 if remainder == 0 else 11 - remainder
    return check != 10 and check == int(number[8])


class OrgNumber:
    def __call__(self, form: Form, field: Field) -> None:
        if not field.data:
            return
        digits = field.data.replace(" ", "")
        if not (len(digits) == 9 and digits.isascii() and digits.isdigit()):
            raise ValidationError(_l("Enter the organisation number as 9 digits, like 123 456 785"))
        if not org_number_is_valid(digits):
            raise ValidationError(
                _l("This is not a valid organisation number: check the digits against Brønnøysundregistrene")
            )
        field.data = digits


class StrongPassword:
    """At least the configured length, not the e-mail address, not a common password."""

    def __init__(self, email_field: str | None = "email") -> None:
        self.email_field = email_field

    def __call__(self, form: Form, field: Field) -> None:
        from portal.passwords import MAX_PASSWORD_LENGTH, is_common

        password = field.data or ""
        minimum = int(current_app.config["PASSWORD_MIN_LENGTH"])
        if len(password) < minimum:
            raise ValidationError(
                _l("The password must have at least %(n)s characters", n=minimum)
            )
        if len(password) > MAX_PASSWORD_LENGTH:
            raise ValidationError(_l("The password can have at most 1024 characters"))
        email = getattr(form, "_user_email", None)
        if self.email_field and hasattr(form, self.email_field):
            email = getattr(form, self.email_field).data or email
        if email and password.strip().lower() in {email.lower(), email.split("@")[0].lower()}:
            raise ValidationError(_l("The password must not be your e-mail address"))
        if is_common(password):
            raise ValidationError(
                _l("This password is too common and easy to guess. Choose another, for example a few unrelated words")
            )
