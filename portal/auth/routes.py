"""Signing in and out, invitations, password reset and the profile page."""

from __future__ import annotations

import secrets

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from portal import access, inputs, notifications
from portal.access import signed_in_user
from portal.auth import services
from portal.auth.forms import (
    ChangePasswordForm,
    DisableTwoFactorForm,
    EnableTwoFactorForm,
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    ResetPasswordForm,
    SetPasswordForm,
    TwoFactorForm,
)
from portal.extensions import db, limiter
from portal.i18n import current_locale
from portal.models import User, utcnow
from portal.security import safe_next
from portal.tokens import INVITATION, PASSWORD_RESET, invitation_max_age, load_token, reset_max_age

bp = Blueprint("auth", __name__)
bp.before_app_request(access.staff_two_factor_gate)

PENDING_2FA_SECONDS = 300


def _login_limit_per_address() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_ADDRESS"])


def _client_address() -> str:
    """The client's address (ProxyFix sets it from trusted proxies only)."""
    return request.remote_addr or ""


def _paused_message() -> str:
    return _("Sign-in is paused for a while after many failed attempts. Try again in %(minutes)s minutes, "
             "or choose a new password with “Forgotten your password?” below.",
             minutes=current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"])


def home_for(user: User) -> str:
    if user.is_platform_admin:
        return url_for("platform.list_buyers")
    return url_for("supplier.home") if user.is_supplier else url_for("main.index")


def start_session(user: User, next_url: str | None) -> Response:
    """A fresh session (new id) for the signed-in user."""
    session.clear()
    login_user(user)
    session["signed_in_at"] = session["last_seen"] = utcnow().timestamp()
    services.record_login(user)
    db.session.commit()
    return redirect(safe_next(next_url, home_for(user)))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit_per_address, methods=["POST"])
def login() -> ResponseReturnValue:
    """Sign in with e-mail and password."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    next_url = inputs.optional_arg("next", 2000)
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, address=_client_address())
        except services.SignInPaused:
            db.session.commit()
            current_app.logger.info("login_paused")
            form.password.errors.append(_paused_message())
            return render_template("auth/login.html", form=form), 429
        if user is None:
            db.session.commit()  # keep the failure count
            current_app.logger.info("login_failed")
            form.password.errors.append(
                _("The e-mail address or password is wrong. After many attempts, "
                  "sign-in is paused for a few minutes.")
            )
            return render_template("auth/login.html", form=form), 200
        if user.is_totp_enabled:
            db.session.commit()
            session.clear()
            session["pending_2fa"] = {"uid": user.id, "v": user.session_token, "id": secrets.token_urlsafe(16),
                                      "at": utcnow().timestamp(), "next": next_url}
            return redirect(url_for("auth.two_factor"))
        return start_session(user, next_url)
    return render_template("auth/login.html", form=form)


@bp.route("/login/two-factor", methods=["GET", "POST"])
@limiter.limit(_login_limit_per_address, methods=["POST"])
def two_factor() -> Response | str:
    """Second step of signing in for accounts with an authenticator app."""
    pending = session.get("pending_2fa")
    if not isinstance(pending, dict) or utcnow().timestamp() - float(pending.get("at", 0)) > PENDING_2FA_SECONDS:
        session.pop("pending_2fa", None)
        flash(_("Sign in again to continue."), "info")
        return redirect(url_for("auth.login"))
    user = db.session.get(User, int(pending["uid"]))
    if user is None or not user.is_active or user.session_token != pending.get("v"):
        session.pop("pending_2fa", None)
        return redirect(url_for("auth.login"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        try:
            right = services.check_sign_in_code(user, form.code.data, sign_in=str(pending.get("id", "")),
                                                address=_client_address())
        except services.TooManyCodes as refused:
            db.session.commit()  # keep the count
            session.pop("pending_2fa", None)
            if refused.per_sign_in:
                flash(_("Too many wrong codes. Sign in again with your password to get new attempts."), "error")
            else:
                flash(_("Too many wrong codes have been entered for this account. Try again tomorrow, "
                        "or choose a new password with “Forgotten your password?”."), "error")
            return redirect(url_for("auth.login"))
        if right:
            return start_session(user, pending.get("next"))
        db.session.commit()  # keep the count
        form.code.errors.append(_("The code is wrong or has expired. Enter the newest code from the app."))
    return render_template("auth/two_factor.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """Sign out and end every session of this user."""
    if current_user.is_authenticated:
        user = db.session.get(User, current_user.id)
        if user is not None:
            services.end_all_sessions(user)
            db.session.commit()
    locale = current_locale()  # the user's language, resolved before the user is gone
    from portal.oidc.routes import SIGNED_IN_KEY, end_session_url

    # Signed in with the buyer's provider: end the provider's session too, when it can.
    provider_sign_out = end_session_url(session.get(SIGNED_IN_KEY))
    logout_user()
    session.clear()
    session["locale"] = locale
    flash(_("You are signed out."), "success")
    return redirect(provider_sign_out or url_for("auth.login"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit_per_address, methods=["POST"])
def accept_invitation(token: str) -> ResponseReturnValue:
    """Complete an invited account: name, password and language."""
    user = load_token(INVITATION, token, invitation_max_age())
    if user is None or user.has_accepted_invitation:
        return render_template("auth/link_invalid.html", kind="invitation"), 404
    form = SetPasswordForm(locale=user.locale, name=user.name)
    form._user_email = user.email
    if form.validate_on_submit():
        services.accept_invitation(
            user, name=form.name.data, job_title=form.job_title.data or "",
            password=form.password.data, locale=form.locale.data,
        )
        db.session.commit()
        response = start_session(user, None)
        # After the new session starts (it clears the old one), in the language just chosen.
        with force_locale(user.locale):
            flash(_("Welcome to Aktsom. Your account is ready."), "success")
        return response
    return render_template("auth/accept_invitation.html", form=form, invited=user)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_login_limit_per_address, methods=["POST"])
def forgot_password() -> Response | str:
    """Ask for a password-reset link; the answer is the same whether the account exists."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        # The same work for every address, and the mail goes out after the response (a job):
        # how long the answer takes does not tell whether the address has an account.
        user, may_send = services.password_reset_recipient(form.email.data)
        if may_send:
            notifications.send_password_reset(user)
        else:
            notifications.password_reset_mail(user)  # rendered like a real one, never sent
        db.session.commit()
        flash(
            _("If the address belongs to an account, we have sent a link to reset the password. "
              "The link works once and for a limited time."),
            "success",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit_per_address, methods=["POST"])
def reset_password(token: str) -> ResponseReturnValue:
    """Choose a new password from a reset link."""
    user = load_token(PASSWORD_RESET, token, reset_max_age())
    if user is None:
        return render_template("auth/link_invalid.html", kind="reset"), 404
    form = ResetPasswordForm()
    form._user_email = user.email
    if form.validate_on_submit():
        services.set_password(user, form.password.data, actor=user)
        db.session.commit()
        flash(_("Your password is changed. Sign in with the new password."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/profile")
@login_required
def profile() -> str:
    """The signed-in user's own settings."""
    return render_template(
        "auth/profile.html",
        password_form=ChangePasswordForm(),
        language_form=LanguageForm(locale=current_user.locale),
        disable_form=DisableTwoFactorForm(),
    )


def _back_to_profile() -> Response | None:
    """These forms post to their own URL and re-render the profile there when they fail;
    a GET of that URL (the language switch returns to the page it was on) shows the profile."""
    return redirect(url_for("auth.profile")) if request.method == "GET" else None


@bp.route("/profile/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    """Change the password; every other session of the user ends."""
    if back := _back_to_profile():
        return back
    user = signed_in_user()
    form = ChangePasswordForm()
    form._user_email = user.email
    if form.validate_on_submit():
        try:
            services.change_password(user, form.current_password.data, form.password.data)
        except services.AccountError:
            form.current_password.errors.append(_("The current password is wrong"))
        else:
            db.session.commit()
            login_user(user)
            session["last_seen"] = utcnow().timestamp()
            flash(_("Your password is changed. You have been signed out everywhere else."), "success")
            return redirect(url_for("auth.profile"))
    return render_template(
        "auth/profile.html",
        password_form=form,
        language_form=LanguageForm(locale=current_user.locale),
        disable_form=DisableTwoFactorForm(),
    ), 200


@bp.route("/profile/language", methods=["GET", "POST"])
@login_required
def change_language() -> ResponseReturnValue:
    """Save the language used for screens, e-mails and PDFs."""
    if back := _back_to_profile():
        return back
    form = LanguageForm()
    if form.validate_on_submit():
        services.set_locale(signed_in_user(), form.locale.data)
        db.session.commit()
        session["locale"] = form.locale.data
        flash(_("Language saved."), "success")
        return redirect(url_for("auth.profile"))
    return render_template(
        "auth/profile.html",
        password_form=ChangePasswordForm(),
        language_form=form,
        disable_form=DisableTwoFactorForm(),
    ), 200


@bp.route("/profile/two-factor", methods=["GET", "POST"])
@login_required
def setup_two_factor() -> Response | str:
    """Turn on sign-in with an authenticator app (staff accounts)."""
    if not current_user.is_staff:
        abort(403)
    if current_user.is_totp_enabled:
        return redirect(url_for("auth.profile"))
    secret = session.get("totp_setup_secret")
    if not isinstance(secret, str):
        secret = services.new_totp_secret()
        session["totp_setup_secret"] = secret
    form = EnableTwoFactorForm()
    if form.validate_on_submit():
        user = signed_in_user()
        if services.check_totp(user, form.code.data, secret=secret):
            services.enable_totp(user, secret)
            db.session.commit()
            session.pop("totp_setup_secret", None)
            flash(_("Two-factor sign-in is on."), "success")
            return redirect(url_for("auth.profile"))
        form.code.errors.append(_("The code is wrong or has expired. Enter the newest code from the app."))
    uri = services.totp_uri(current_user, secret)
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, dark="#000", light="#fff")
    return render_template("auth/setup_two_factor.html", form=form, secret=secret, qr=qr)


@bp.route("/profile/two-factor/disable", methods=["GET", "POST"])
@login_required
def disable_two_factor() -> ResponseReturnValue:
    """Turn off sign-in with an authenticator app, unless policy requires it."""
    if back := _back_to_profile():
        return back
    if current_app.config["REQUIRE_STAFF_2FA"] and current_user.is_staff:
        flash(_("Two-factor sign-in is required for staff accounts and cannot be turned off."), "error")
        return redirect(url_for("auth.profile"))
    form = DisableTwoFactorForm()
    if form.validate_on_submit():
        from portal.passwords import verify_password

        if verify_password(current_user.password_hash, form.current_password.data):
            services.disable_totp(signed_in_user())
            db.session.commit()
            flash(_("Two-factor sign-in is off."), "success")
            return redirect(url_for("auth.profile"))
        form.current_password.errors.append(_("The current password is wrong"))
    return render_template(
        "auth/profile.html",
        password_form=ChangePasswordForm(),
        language_form=LanguageForm(locale=current_user.locale),
        disable_form=form,
    ), 200
