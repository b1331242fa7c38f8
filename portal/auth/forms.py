"""Forms for signing in, invitations, passwords, language and two-factor sign-in."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, RadioField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, Regexp

from portal.forms import PortalForm, StrongPassword, select_choices

LANGUAGE_CHOICES = select_choices([("nb", "Norsk bokmål"), ("en", "English")])


class LoginForm(PortalForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(_l("Enter your e-mail address")), Length(max=254)],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password")), Length(max=1024)],
        filters=[],
    )
    submit = SubmitField(_l("Sign in"))


class TwoFactorForm(PortalForm):
    code = StringField(
        _l("Code from your authenticator app"),
        description=_l("Six digits, for example 123456"),
        validators=[
            DataRequired(_l("Enter the six-digit code from your authenticator app")),
            Regexp(r"^\d{6}$", message=_l("The code has exactly six digits, like 123456")),
        ],
    )
    submit = SubmitField(_l("Continue"))


class SetPasswordForm(PortalForm):
    """Used when accepting an invitation and when resetting a password."""

    name = StringField(
        _l("Full name"),
        validators=[DataRequired(_l("Enter your full name")), Length(max=200)],
    )
    job_title = StringField(_l("Job title"), validators=[Length(max=200)])
    password = PasswordField(
        _l("New password"),
        description=_l("At least 12 characters. A few unrelated words make a strong password."),
        validators=[InputRequired(_l("Choose a password")), StrongPassword(email_field=None)],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            InputRequired(_l("Repeat the password")),
            EqualTo("password", _l("The two passwords are not the same")),
        ],
    )
    locale = RadioField(_l("Language"), choices=LANGUAGE_CHOICES, default="nb")
    submit = SubmitField(_l("Save and sign in"))


class ResetPasswordForm(PortalForm):
    password = PasswordField(
        _l("New password"),
        description=_l("At least 12 characters. A few unrelated words make a strong password."),
        validators=[InputRequired(_l("Choose a password")), StrongPassword(email_field=None)],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            InputRequired(_l("Repeat the password")),
            EqualTo("password", _l("The two passwords are not the same")),
        ],
    )
    submit = SubmitField(_l("Save new password"))


class ForgotPasswordForm(PortalForm):
    email = EmailField(
        _l("E-mail"),
        validators=[
            DataRequired(_l("Enter your e-mail address")),
            Email(_l("Enter an e-mail address like name@example.no")),
            Length(max=254),
        ],
    )
    submit = SubmitField(_l("Send reset link"))


class ChangePasswordForm(PortalForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password")), Length(max=1024)],
    )
    password = PasswordField(
        _l("New password"),
        description=_l("At least 12 characters. A few unrelated words make a strong password."),
        validators=[InputRequired(_l("Choose a new password")), StrongPassword(email_field=None)],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            InputRequired(_l("Repeat the new password")),
            EqualTo("password", _l("The two passwords are not the same")),
        ],
    )
    submit = SubmitField(_l("Change password"))


class LanguageForm(PortalForm):
    locale = RadioField(
        _l("Language"),
        choices=LANGUAGE_CHOICES,
        validators=[InputRequired(_l("Choose a language"))],
    )
    submit = SubmitField(_l("Save language"))


class EnableTwoFactorForm(TwoFactorForm):
    submit = SubmitField(_l("Turn on two-factor sign-in"))


class DisableTwoFactorForm(PortalForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password")), Length(max=1024)],
    )
    confirm = BooleanField(
        _l("I understand that my account will be protected by the password only"),
        validators=[DataRequired(_l("Confirm that you want to turn off two-factor sign-in"))],
    )
    submit = SubmitField(_l("Turn off two-factor sign-in"))
