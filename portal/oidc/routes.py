"""Signing in with the buyer's OpenID Connect provider, and the buyer's provider settings."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from joserfc.errors import JoseError
from werkzeug.wrappers import Response

from portal import inputs
from portal.access import get_or_404, role_required, signed_in_user
from portal.auth.routes import home_for, start_session
from portal.extensions import db, limiter
from portal.models import Buyer, Role
from portal.notifications import external_url
from portal.oidc import services
from portal.oidc.forms import (
    IdentityProviderForm,
    OrganisationEmailForm,
    StartOrganisationSignInForm,
)
from portal.security import CSP

log = logging.getLogger(__name__)

bp = Blueprint("oidc", __name__)

PENDING_KEY = "oidc_pending"
#: What sign-out needs to end the provider's session too.
SIGNED_IN_KEY = "oidc_signed_in"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("https", "http") and parts.netloc else ""


def _allow_form_action(response: Response, url: str) -> Response:
    """A form on this page posts to Aktsom, which redirects to the provider: browsers apply
    the CSP's form-action to that redirect too, so the provider's origin is named."""
    origin = _origin(url)
    if origin:
        response.headers["Content-Security-Policy"] = CSP.replace(
            "form-action 'self'", f"form-action 'self' {origin}")
    return response


@bp.after_app_request
def _allow_provider_sign_out(response: Response) -> Response:
    """Signed in through a provider: the sign-out button's redirect goes to its end-session page."""
    signed_in = session.get(SIGNED_IN_KEY)
    if isinstance(signed_in, dict) and signed_in.get("end_session") and \
            response.headers.get("Content-Security-Policy", CSP) == CSP:
        return _allow_form_action(response, str(signed_in["end_session"]))
    return response


def _limit() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_ADDRESS"])


def refusal_message(reason: str, buyer_name: str) -> str:
    messages = {
        "unknown_user": _("%(buyer)s has not given you access to Aktsom. Ask an administrator at "
                          "%(buyer)s to invite you with your work e-mail address.", buyer=buyer_name),
        "deactivated": _("Your Aktsom account at %(buyer)s is deactivated. Ask an administrator at "
                         "%(buyer)s if you need access again.", buyer=buyer_name),
        "other_domain": _("Your e-mail address does not belong to %(buyer)s. Sign in with the account "
                          "of the organisation you work for.", buyer=buyer_name),
        "unverified_email": _("%(buyer)s's sign-in did not confirm your e-mail address, so Aktsom "
                              "cannot tell who you are. Ask your IT department.", buyer=buyer_name),
        "acr": _("%(buyer)s requires a stronger sign-in than the one used. Sign in again with "
                 "two-factor authentication.", buyer=buyer_name),
        "misconfigured": _("Sign-in with %(buyer)s's account is not working right now. Try again "
                           "later, or sign in with your password.", buyer=buyer_name),
    }
    return messages.get(reason) or _("The sign-in with %(buyer)s's account could not be completed. "
                                     "Start again from the sign-in page.", buyer=buyer_name)


def _refused(reason: str, buyer_name: str, status: int = 403) -> tuple[str, int]:
    log.info("oidc_sign_in_refused reason=%s", reason)
    return render_template("oidc/refused.html", message=refusal_message(reason, buyer_name)), status


@bp.route("/login/organisation", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
def choose() -> ResponseReturnValue:
    """Staff of a public buyer: find their organisation's sign-in from their e-mail address."""
    if current_user.is_authenticated:
        return redirect(home_for(signed_in_user()))
    form = OrganisationEmailForm()
    next_url = inputs.optional_arg("next", 2000)
    if form.validate_on_submit():
        provider = services.provider_for_email(form.email.data)
        if provider is not None:
            page = make_response(render_template("oidc/choose.html", form=form, provider=provider,
                                                 next_url=next_url))
            return _allow_form_action(page, services.authorization_endpoint(provider))
        form.email.errors.append(_("Aktsom has no organisation sign-in for this address. "
                                   "Sign in with your e-mail and password instead."))
    return render_template("oidc/choose.html", form=form, provider=None, next_url=next_url)


@bp.route("/login/organisation/<int:buyer_id>", methods=["POST"])
@limiter.limit(_limit)
def start(buyer_id: int) -> ResponseReturnValue:
    """Send the browser to the buyer's provider (authorization code flow, PKCE, state, nonce)."""
    form = StartOrganisationSignInForm()
    if not form.validate_on_submit():
        abort(400)
    provider = services.usable_provider(buyer_id)
    if provider is None:
        abort(404)
    extra: dict[str, Any] = {}
    if provider.required_acr:
        extra["acr_values"] = provider.required_acr
    try:
        client = services.client_for(provider)
        response = client.authorize_redirect(external_url("oidc.callback"), **extra)
    except (services.SignInRefused, requests.RequestException, AuthlibBaseError, KeyError, ValueError):
        log.warning("oidc_provider_unreachable buyer=%s", buyer_id, exc_info=True)
        return _refused("misconfigured", provider.buyer.name, 502)
    session[PENDING_KEY] = {"buyer": buyer_id, "next": inputs.optional_arg("next", 2000)}
    return response


@bp.route("/login/organisation/callback")
def callback() -> ResponseReturnValue:
    """Where the provider sends the browser back: check the answer and sign the person in.

    Not throttled: it does nothing without the state this browser's session holds, and the
    code is useless without the session's PKCE verifier."""
    pending = session.pop(PENDING_KEY, None)
    if not isinstance(pending, dict) or not isinstance(pending.get("buyer"), int):
        flash(_("The sign-in with your organisation's account has expired or was already used. "
                "Start again."), "error")
        return redirect(url_for("oidc.choose"))
    provider = services.usable_provider(pending["buyer"])
    if provider is None:
        return redirect(url_for("oidc.choose"))
    buyer_name = provider.buyer.name
    try:
        client = services.client_for(provider)
        metadata = client.load_server_metadata()
        if str(metadata.get("issuer", "")).rstrip("/") != provider.issuer.rstrip("/"):
            raise services.SignInRefused("misconfigured")
        token = client.authorize_access_token(
            leeway=services.LEEWAY_SECONDS, claims_options=services.claims_options(provider, metadata))
        claims = token.get("userinfo")
        if not claims:
            raise services.SignInRefused("invalid")  # no ID token, or one without our nonce
        user = services.user_for(provider, dict(claims))
    except services.SignInRefused as refused:
        db.session.rollback()  # nothing of a refused sign-in is kept (no link, no account)
        return _refused(refused.reason, buyer_name)
    except (AuthlibBaseError, JoseError, requests.RequestException, ValueError, KeyError) as error:
        log.info("oidc_callback_invalid buyer=%s error=%s detail=%s", provider.buyer_id,
                 type(error).__name__, str(error)[:200])
        return _refused("invalid", buyer_name, 400)
    response = start_session(user, pending.get("next"))
    session[SIGNED_IN_KEY] = {"buyer": provider.buyer_id, "id_token": token.get("id_token", ""),
                              "end_session": str(metadata.get("end_session_endpoint") or "")}
    return response


def end_session_url(signed_in: Any) -> str | None:
    """The provider's end-session address for this sign-in (RP-initiated logout), if it has one."""
    if not isinstance(signed_in, dict) or not isinstance(signed_in.get("buyer"), int):
        return None
    provider = services.provider_of(signed_in["buyer"])
    if provider is None:
        return None
    try:
        client = services.client_for(provider)
        if not client.load_server_metadata().get("end_session_endpoint"):
            return None
        result = client.create_logout_url(
            post_logout_redirect_uri=external_url("auth.login"),
            id_token_hint=signed_in.get("id_token") or None, client_id=provider.client_id,
        )
    except (services.SignInRefused, requests.RequestException, AuthlibBaseError, RuntimeError, ValueError):
        log.warning("oidc_end_session_unavailable buyer=%s", provider.buyer_id)
        return None
    return str(result["url"])


def _settings(buyer: Buyer, back: str) -> ResponseReturnValue:
    provider = services.provider_of(buyer.id)
    form = IdentityProviderForm(obj=provider) if provider else IdentityProviderForm()
    if form.validate_on_submit():
        secret = form.client_secret.data or ""
        if provider is None and not secret:
            form.client_secret.errors.append(_("Enter the client secret the provider gave Aktsom"))
        else:
            try:
                services.save_provider(buyer, {k: getattr(form, k).data for k in services.PROVIDER_FIELDS},
                                       secret, actor=signed_in_user())
            except services.DomainTaken as taken:
                form.email_domains.errors.append(
                    _("Another buyer already signs in staff with %(domain)s", domain=taken.domain))
            else:
                db.session.commit()
                flash(_("The sign-in settings are saved."), "success")
                return redirect(back)
    return render_template("oidc/settings.html", form=form, buyer=buyer, provider=provider,
                           redirect_uri=external_url("oidc.callback"),
                           logout_uri=external_url("auth.login"))


@bp.route("/admin/sign-in", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def buyer_settings() -> ResponseReturnValue:
    """The buyer administrator's settings for signing in with the organisation's account."""
    buyer = db.session.get(Buyer, signed_in_user().buyer_id)
    if buyer is None:
        abort(404)
    return _settings(buyer, url_for("oidc.buyer_settings"))


@bp.route("/platform/buyers/<int:buyer_id>/sign-in", methods=["GET", "POST"])
@role_required(Role.PLATFORM_ADMIN)
def platform_settings(buyer_id: int) -> ResponseReturnValue:
    """The platform administrator sets up a buyer's organisation sign-in."""
    buyer = get_or_404(Buyer, buyer_id)
    return _settings(buyer, url_for("oidc.platform_settings", buyer_id=buyer.id))


