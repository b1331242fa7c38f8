"""Property-based attacks on every form: no POST endpoint ever answers with a server error.

Each endpoint in the access matrix that accepts POST is fuzzed as the first visitor the matrix
lets use it. Its fields are read from the page that shows the form (inputs, selects, textareas,
submit buttons), so a new form is fuzzed without a change here. If the form cannot be found,
the test fails: add an entry to ``SETUP`` saying where the form is shown, or what state makes
it appear.

One world per endpoint: its examples run one after another in it, so an earlier example may
change what a later one meets (a response accepted, a deviation closed). A 4xx is then fine;
a 5xx never is.
"""

from __future__ import annotations

import html
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

import tests.conftest as conftest
from portal import clock, create_app
from portal.extensions import db as _db
from portal.models import utcnow
from tests.auth.helpers import isolate_requests, location, sign_in
from tests.security.test_fuzz_forms import FUZZ, nasty
from tests.test_access_matrix import DENIED, HIDDEN, LOGIN, MATRIX, Side, World, build_world

FUZZ_EVERY = settings(FUZZ, max_examples=25)

SKIPPED = {
    "auth.login": "fuzzed in test_fuzz_forms.py, together with its redirect target",
    "auth.logout": "ends the session and has no field but the CSRF token",
    "oidc.start": "has no field but the CSRF token; tests/oidc/ posts it on the way to a real provider",
    "sites.confirm_import": "shown only in the preview after an upload (a POST); its one field is a signed "
                            "token, and a forged one is refused in tests/sites/test_transfer.py",
}

Url = Callable[[World, Side], str]


def _post_endpoints() -> list[str]:
    """MATRIX endpoints that accept POST, read from an app built only to list its routes."""
    with tempfile.TemporaryDirectory() as tmp:
        rules = create_app(conftest.test_config(Path(tmp))).url_map.iter_rules()
        posting = {rule.endpoint for rule in rules if "POST" in (rule.methods or ())}
    return sorted(posting & MATRIX.keys())


POST_ENDPOINTS = _post_endpoints()
FUZZED = [endpoint for endpoint in POST_ENDPOINTS if endpoint not in SKIPPED]


# -- what the matrix does not say -----------------------------------------------------------------

@dataclass(frozen=True)
class Setup:
    """How to reach a form the generic way cannot."""

    actor: str | None = None  # who fills it in, when not the first visitor the matrix allows
    url: Url | None = None  # where it posts, when not to the matrix URL
    form_page: Url | None = None  # where it is shown, when neither the POST URL nor a parent shows it
    prepare: Callable[[Any, World], None] | None = None  # the state that shows it; runs after signing in


def _link(purpose: str, path: str, user: Callable[[Side], Any]) -> Url:
    def url(w: World, s: Side) -> str:
        from portal.tokens import make_token

        return f"{path}/{make_token(purpose, user(s))}"

    return url


def _totp_on(user: Any) -> None:
    from portal.auth.services import enable_totp, new_totp_secret

    enable_totp(user, new_totp_secret())


def _password_step_done(client: Any, w: World) -> None:
    _totp_on(w.reviewer)
    _db.session.commit()
    assert location(sign_in(client, w.reviewer.email)) == "/login/two-factor"


def _user_deactivated(client: Any, w: World) -> None:
    w.a.user.is_active = False


def _agreement_archived(client: Any, w: World) -> None:
    w.a.agreement.archived_at = utcnow()


def _supplier_archived(client: Any, w: World) -> None:
    from portal.admin.services import archive_supplier

    archive_supplier(w.a.supplier, actor=w.admin)


def _plan_proposed(client: Any, w: World) -> None:
    from portal.deviations.services import propose_plan

    propose_plan(w.a.deviation, "Vi retter lønnsutbetalingen innen en måned.", actor=w.a.user, today=clock.today())


def _supplier_joined(client: Any, w: World) -> None:
    from portal.models import Supplier, buyer_supplier
    from tests.factories import ORG_NUMBERS

    taken = {s.org_number for s in _db.session.query(Supplier)}
    supplier = Supplier(name="Ny leverandør AS", country="NO",
                        org_number=next(o for o in ORG_NUMBERS if o not in taken))
    w.a.agreement.suppliers.append(supplier)
    _db.session.flush()
    _db.session.execute(buyer_supplier.insert().values(buyer_id=w.a.agreement.buyer_id, supplier_id=supplier.id))


def _status(status: str) -> Callable[[Any, World], None]:
    def prepare(client: Any, w: World) -> None:
        w.a.response.status = status
        w.a.response.submitted_at = utcnow()
        if status == "accepted":
            w.a.response.accepted_at = utcnow()

    return prepare


def _historical_submitted(client: Any, w: World) -> None:
    """Submitted in a historical round: the acceptance form has its date field (issue 16)."""
    _status("submitted")(client, w)
    w.round.is_historical = True


SETUP: dict[str, Setup] = {
    # Links sent by e-mail: the matrix tries a forged token, the form is behind a valid one.
    "auth.accept_invitation": Setup(actor="anonymous", url=_link("invitation-v1", "/invitation", lambda s: s.invitee)),
    "auth.reset_password": Setup(actor="anonymous", url=_link("password-reset-v1", "/password/reset", lambda s: s.user)),
    # The second sign-in step exists only after the password of an account with an authenticator app.
    "auth.two_factor": Setup(actor="anonymous", prepare=_password_step_done),
    # The switch is shown to staff only (suppliers cannot turn two-factor sign-in on), and only while it is on.
    "auth.disable_two_factor": Setup(actor="reviewer", prepare=lambda client, w: _totp_on(w.reviewer)),
    "admin.activate_user": Setup(prepare=_user_deactivated),
    # Taking back into use is offered for what is archived.
    "admin.restore_agreement": Setup(prepare=_agreement_archived),
    "admin.restore_supplier": Setup(prepare=_supplier_archived),
    "deviations.approve_plan": Setup(prepare=_plan_proposed),
    # Adding an agreement is confirmed on its preview: a supplier joined the agreement since the round took it.
    "rounds.add_agreement": Setup(prepare=_supplier_joined,
                                  form_page=lambda w, s: f"/rounds/{w.round.id}/agreements/preview"
                                                         f"?agreement_id={s.agreement.id}"),
    # The copy is confirmed on the preview of an earlier submission (the world has last year's).
    "responses.copy_answers": Setup(form_page=lambda w, s: f"/responses/{s.response.id}/copy/preview"
                                                           f"?submission={s.earlier.id}"),
    # Verdicts, returning and accepting are offered while a response awaits review; reopening once accepted.
    "review.save_verdicts": Setup(prepare=_status("submitted")),
    "review.return_response": Setup(prepare=_status("submitted")),
    "review.accept_response": Setup(prepare=_historical_submitted),
    "review.reopen_response": Setup(prepare=_status("accepted")),
    # Sharing is offered once the response is submitted; revoking on the page of the shared response.
    "sharing.share_response": Setup(form_page=lambda w, s: f"/responses/{s.response.id}/sharing",
                                    prepare=_status("submitted")),
    "sharing.revoke_share": Setup(form_page=lambda w, s: f"/responses/{s.share.response_id}/sharing"),
    # A received response's forms are on its page.
    "received.save_received_verdicts": Setup(form_page=lambda w, s: f"/review/received/{s.share.id}"),
    "received.accept_received": Setup(form_page=lambda w, s: f"/review/received/{s.share.id}"),
    "received.reuse_received": Setup(form_page=lambda w, s: f"/review/received/{s.share.id}"),
    # The inbox shows what needs action first; the bulk form is under every response's list.
    "review.bulk_action": Setup(form_page=lambda w, s: "/review?status=all"),
    # The year is published: the page shows the published version first, the live figures
    # (with the 4.A.1 form) one click away.
    "reports.edit_text": Setup(form_page=lambda w, s: f"/reports?year={w.round.year}&live=1"),
    # The platform administrator's pages: no actor of the matrix may use them.
    "platform.list_buyers": Setup(actor="platform_admin"),
    "platform.new_buyer": Setup(actor="platform_admin"),
    "platform.edit_buyer": Setup(actor="platform_admin"),
    "platform.invite_admin": Setup(actor="platform_admin"),
    "oidc.platform_settings": Setup(actor="platform_admin"),
    # Signed-in visitors are sent home; the e-mail step is for those not signed in.
    "oidc.choose": Setup(actor="anonymous"),
}


def actor_for(endpoint: str) -> str:
    """The first visitor the matrix lets use the form."""
    if (actor := SETUP.get(endpoint, Setup()).actor) is not None:
        return actor
    spec = MATRIX[endpoint]
    for actor in ("supplier_own", "reviewer", "admin", "anonymous"):
        if getattr(spec, actor) not in (DENIED, HIDDEN, LOGIN):
            return actor
    raise AssertionError(f"{endpoint}: the matrix lets no visitor use it; say who does in SETUP")


# -- reading forms --------------------------------------------------------------------------------

TEXT_LIKE = {"text", "email", "password", "number", "date", "url", "tel", "search", "month", "week",
             "time", "datetime-local", "color", "range"}


@dataclass
class Field:
    kind: str  # "text", "choice" (select, radio, checkbox, hidden) or "file"
    values: list[str] = field(default_factory=list)
    multiple: bool = False


@dataclass
class Form:
    action: str | None
    multipart: bool
    fields: dict[str, Field] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def add(self, name: str, kind: str, value: str | None = None, *, multiple: bool = False) -> None:
        if not name or name == "csrf_token":
            return
        known = self.fields.setdefault(name, Field(kind))
        if kind == "choice":
            known.kind = "choice"
        if value is not None and value not in known.values:
            known.values.append(value)
        known.multiple = known.multiple or multiple

    def merge(self, other: Form) -> None:
        self.multipart = self.multipart or other.multipart
        for name, f in other.fields.items():
            for value in f.values or [None]:
                self.add(name, f.kind, value, multiple=f.multiple)
        self.buttons += [b for b in other.buttons if b not in self.buttons]


class FormParser(HTMLParser):
    """Every ``<form method="post">`` of a page, with its named controls and submit buttons."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: tuple[str, bool] | None = None
        self._option: tuple[str | None, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                self._form = Form(a.get("action"), "multipart" in a.get("enctype", ""))
                self.forms.append(self._form)
            return
        if (form := self._form) is None:
            return
        name, kind = a.get("name", ""), a.get("type", "").lower()
        if tag == "input" and kind in ("radio", "checkbox"):
            form.add(name, "choice", a.get("value", "on"), multiple=kind == "checkbox")
        elif tag == "input" and kind == "hidden":
            form.add(name, "choice", a.get("value", ""))
        elif tag == "input" and kind == "file":
            form.add(name, "file", multiple="multiple" in a)
        elif (tag == "input" and kind in ("submit", "image")) or (tag == "button" and kind in ("", "submit")):
            if name:
                form.buttons.append((name, a.get("value", "")))
        elif (tag == "input" and (kind or "text") in TEXT_LIKE) or tag == "textarea":
            form.add(name, "text")
        elif tag == "select":
            self._select = (name, "multiple" in a)
            form.add(name, "choice", multiple="multiple" in a)
        elif tag == "option" and self._select is not None:
            self._end_option()
            self._option = (a.get("value"), [])

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option[1].append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag in ("option", "select"):
            self._end_option()
            if tag == "select":
                self._select = None

    def _end_option(self) -> None:
        if self._option is not None and self._select is not None and self._form is not None:
            value, content = self._option
            name, multiple = self._select
            self._form.add(name, "choice", "".join(content).strip() if value is None else value, multiple=multiple)
        self._option = None


def forms_posting_to(page: Any, post_path: str) -> Form | None:
    """The page's POST forms whose action is ``post_path``, as one (a form without action posts to its page)."""
    parser = FormParser()
    parser.feed(page.get_data(as_text=True))
    shown_at = page.request.url
    matching = [f for f in parser.forms if urlsplit(urljoin(shown_at, f.action or "")).path == post_path]
    if not matching:
        return None
    for other in matching[1:]:
        matching[0].merge(other)
    return matching[0]


def candidate_pages(post_url: str) -> list[str]:
    """The POST URL itself (an edit page shows its form there), then each parent path in turn."""
    pages = [post_url]
    path = urlsplit(post_url).path.rstrip("/")
    while path:
        path = path.rsplit("/", 1)[0]
        pages.append(path or "/")
    return pages


def find_form(client: Any, endpoint: str, post_url: str, world: World) -> tuple[Form, str]:
    """The form that posts to ``post_url``, and the page that shows it."""
    form_page = SETUP.get(endpoint, Setup()).form_page
    pages = [form_page(world, world.a)] if form_page else candidate_pages(post_url)
    post_path = urlsplit(post_url).path
    tried = []
    for url in pages:
        page = client.get(url, follow_redirects=True)
        tried.append(f"{url} → {page.status_code}")
        if page.status_code == 200 and (form := forms_posting_to(page, post_path)):
            return form, url
    pytest.fail(f"{endpoint}: no <form method=post> posting to {post_path} on {tried}; "
                f"add to SETUP in {__name__} the page that shows it (form_page) or the state it needs (prepare)")


# -- generating payloads --------------------------------------------------------------------------

# Beyond ``nasty``: values a form accepts as valid that may not fit the database, a date calculation or Babel.
edges = st.sampled_from(["9999-12-31", "0001-01-01", "1900-01-01", "2147483648", "-2147483649", "1e15",
                         "99999999999999.999", "Infinity", "-0", "0.001", "1,5", "2024-01-01T00:00"])
anything = st.one_of(nasty, edges)
filenames = st.one_of(
    st.sampled_from(["rapport.pdf", "bilde.png", "x.exe", "../../etc/passwd", ".pdf", "a" * 300 + ".pdf",
                     "ÆØÅ.docx", "file"]),
    # As a browser sends them: it escapes quotes and line breaks in a file name.
    st.text(st.characters(exclude_categories=("Cs", "Cc"), exclude_characters='"\\'), max_size=40),
)
uploads = st.tuples(st.one_of(st.binary(max_size=2048), st.just(b"%PDF-1.4\n%%EOF\n")), filenames)


def field_values(f: Field) -> st.SearchStrategy[Any]:
    """One of the offered values, or anything, or nothing (``None``: the field is left out)."""
    if f.kind == "file":
        return st.one_of(st.none(), uploads)
    if f.kind == "choice" and f.values:
        offered = st.sampled_from(f.values)
        if f.multiple and len(f.values) > 1:
            offered = st.one_of(offered, st.lists(offered, unique=True, max_size=len(f.values)))
        return st.one_of(offered, anything, st.none())
    return st.one_of(anything, st.none())


def payloads(form: Form) -> st.SearchStrategy[dict[str, Any]]:
    def combine(values: dict[str, Any], pressed: tuple[str, str] | None) -> dict[str, Any]:
        data = {name: value for name, value in values.items() if value is not None}
        if pressed is not None:
            data[pressed[0]] = pressed[1]
        return data

    return st.builds(combine, st.fixed_dictionaries({name: field_values(f) for name, f in form.fields.items()}),
                     st.sampled_from(form.buttons) if form.buttons else st.none())


def as_posted(payload: dict[str, Any]) -> dict[str, Any]:
    """Uploads as fresh streams (a stream is read once, and Hypothesis may replay an example)."""
    return {name: (BytesIO(value[0]), value[1]) if isinstance(value, tuple) else value
            for name, value in payload.items()}


def shown(payload: dict[str, Any]) -> dict[str, Any]:
    return {name: f"<upload {value[1]!r}, {len(value[0])} bytes>" if isinstance(value, tuple) else value
            for name, value in payload.items()}


# -- the test -------------------------------------------------------------------------------------

H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.DOTALL)


def heading(response: Any) -> str:
    match = H1.search(response.get_data(as_text=True))
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split()) if match else ""


def token_on(client: Any, url: str) -> str:
    match = conftest.CSRF_RE.search(client.get(url, follow_redirects=True).get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


@dataclass
class Target:
    """One endpoint's form, reached as its visitor in a world of its own."""

    client: Any
    world: World
    actor: str
    url: str
    page: str
    form: Form
    token: str
    accepted: list[dict[str, Any]] = field(default_factory=list)  # earlier payloads that were let through

    def read_form_again(self) -> Any:
        """After a change the form may offer other values (a new revision number, a new table row)."""
        page = self.client.get(self.page, follow_redirects=True)
        if page.status_code == 200 and (form := forms_posting_to(page, urlsplit(self.url).path)):
            self.form = form
        return page

    def sign_in_again(self) -> None:
        visitor = self.world.visitor(self.actor)
        assert visitor is not None
        assert sign_in(self.client, visitor.email).status_code == 302
        self.token = token_on(self.client, "/accessibility")


@pytest.fixture
def target(app: Flask, make: Any, db: Any, monkeypatch: pytest.MonkeyPatch, endpoint: str) -> Target:
    isolate_requests(app, monkeypatch)
    world = build_world(make, db)
    client = app.test_client()
    actor = actor_for(endpoint)
    if (visitor := world.visitor(actor)) is not None:
        assert sign_in(client, visitor.email).status_code == 302
    setup = SETUP.get(endpoint, Setup())
    if setup.prepare is not None:
        setup.prepare(client, world)
        db.session.commit()
    url = (setup.url or MATRIX[endpoint].url)(world, world.side_for(actor))
    form, page = find_form(client, endpoint, url, world)
    return Target(client, world, actor, url, page, form, token_on(client, page))


@pytest.mark.parametrize("endpoint", FUZZED)
@FUZZ_EVERY
@given(data=st.data())
def test_every_form_survives_arbitrary_values(target, endpoint, data):
    payload = data.draw(payloads(target.form), label="payload")

    response = target.client.post(target.url, data={"csrf_token": target.token, **as_posted(payload)},
                                  content_type="multipart/form-data" if target.form.multipart else None)

    def fails(reply: Any, what: str) -> str:
        return (f"{what} answered {reply.status_code} «{heading(reply)}» after {shown(payload)} was posted to "
                f"{endpoint}; earlier payloads it let through: {target.accepted[-3:]}")

    assert response.status_code < 500, fails(response, "the POST")
    if response.status_code >= 400:
        return
    target.accepted.append(shown(payload))
    # What was let through is shown again: the page the form leads to, and the form's own page.
    if response.status_code in (301, 302, 303):
        landing = target.client.get(location(response))
        assert landing.status_code < 500, fails(landing, location(response))
        if target.actor != "anonymous" and location(response).startswith("/login"):
            target.sign_in_again()  # the form ended the session: the next example signs in again
    page = target.read_form_again()
    assert page.status_code < 500, fails(page, target.page)


def test_the_exceptions_name_endpoints_that_take_post():
    assert set(SKIPPED) <= set(POST_ENDPOINTS), "a SKIPPED entry names no POST endpoint"
    assert set(SETUP) <= set(FUZZED) | set(_get_endpoints()), "a SETUP entry names no fuzzed endpoint"
    assert "responses.edit_section" in FUZZED  # the route list was read: GET+POST pages are in it too


# -- query parameters of every page ---------------------------------------------------------------

def _get_endpoints() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        rules = create_app(conftest.test_config(Path(tmp))).url_map.iter_rules()
        getting = {rule.endpoint for rule in rules if "GET" in (rule.methods or ())}
    return sorted(getting & MATRIX.keys())


GET_ENDPOINTS = _get_endpoints()
# Every name a route reads with portal.inputs, and some no route reads.
PARAMETERS = ("page", "q", "supplier", "agreement", "round", "action", "actor", "object_type", "from", "to",
              "year", "lang", "view", "kind", "status", "category", "light", "sort", "overdue", "proposed",
              "type", "tier", "response", "question", "next", "variant", "social_dialogue", "submission",
              "agreement_id", "rule", "x")
FUZZ_PAGES = settings(FUZZ, max_examples=8)


@pytest.fixture
def visitor(app: Flask, make: Any, db: Any, monkeypatch: pytest.MonkeyPatch, endpoint: str) -> tuple[Any, str]:
    isolate_requests(app, monkeypatch)
    world = build_world(make, db)
    client = app.test_client()
    actor = actor_for(endpoint)
    if (user := world.visitor(actor)) is not None:
        assert sign_in(client, user.email).status_code == 302
    return client, MATRIX[endpoint].url(world, world.side_for(actor))


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS)
@FUZZ_PAGES
@given(params=st.lists(st.tuples(st.sampled_from(PARAMETERS), anything), max_size=6))
def test_every_page_survives_arbitrary_query_parameters(visitor, endpoint, params):
    client, url = visitor
    response = client.get(urlsplit(url).path, query_string=params)
    assert response.status_code < 500, f"{endpoint} answered {response.status_code} to {params!r}"
