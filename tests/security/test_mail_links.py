"""Every link in every e-mail starts with PUBLIC_BASE_URL, whatever Host the request claims.

Each e-mail the portal sends (one per template in ``templates/email/``) is triggered the way
a user or cron triggers it, through an app built like production behind a proxy
(``TRUSTED_PROXIES=1``) with a forged ``Host`` and ``X-Forwarded-Host`` on every request.
A template without a scenario here fails the suite, so a new e-mail cannot be forgotten.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from portal import clock, create_app, mail
from portal.config import LOCAL_BASE_URL, ROOT
from portal.extensions import limiter
from portal.models import Answer, Deviation, Response, User
from portal.questionnaires import engine
from portal.questionnaires.samples import sample_answers
from tests import conftest
from tests.auth.helpers import IsolatedClient, post, sign_in
from tests.conftest import csrf_token
from tests.deviations.helpers import deviation_form, make_deviation, plan_form
from tests.review.helpers import accept

EVIL = "evil.example"
BASE = "https://aktsom.kommune.example"
FORGED = {"Host": EVIL, "X-Forwarded-Host": EVIL, "X-Forwarded-Server": EVIL,
          "Forwarded": f"host={EVIL}"}
URL = re.compile(r"""https?://[^\s"'<>]+""")
TEMPLATES = sorted(p.name.removesuffix(".subject.txt")
                   for p in (ROOT / "templates" / "email").glob("*.subject.txt"))


class ForgedHostClient(IsolatedClient):
    """A client whose every request claims to be for evil.example, directly and via the proxy."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["headers"] = {**FORGED, **dict(kwargs.get("headers") or {})}
        return super().open(*args, **kwargs)


@pytest.fixture(scope="module")
def proxied(app: Flask) -> Iterator[Flask]:
    """The app as deployed behind the README's proxy, on the suite's database."""
    saved = dict(vars(limiter))
    proxied = create_app(conftest.test_config(Path(app.instance_path), TRUSTED_PROXIES=1, PUBLIC_BASE_URL=BASE,
                                     SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"]))
    proxied.test_client_class = ForgedHostClient
    yield proxied
    vars(limiter).clear()
    vars(limiter).update(saved)


@dataclass
class World:
    proxied: Flask
    db: Any
    make: Any
    make_response: Callable[..., Response]

    def client(self, email: str | None = None) -> Any:
        client = self.proxied.test_client()
        if email is not None:
            assert sign_in(client, email).status_code == 302
        return client

    def staff(self, role: str = "reviewer") -> Any:
        user = self.make.user(role=role)
        self.db.session.commit()
        return self.client(user.email)

    def supplier_with_response(self, **kwargs: Any) -> tuple[User, Response]:
        supplier = self.make.supplier()
        user = self.make.user(role="supplier", supplier=supplier)
        response = self.make_response(supplier, **kwargs)
        self.db.session.commit()
        return user, response

    def submitted(self) -> tuple[User, Response]:
        """A response the supplier has submitted through the page (the receipt goes out)."""
        user, response = self.supplier_with_response(variant="simplified")
        definition = engine.definition_of(response.round.questionnaire_version)
        sections = engine.sections_for_agreement(definition, response.agreement)
        for question_id, value in sample_answers(sections).items():
            if question_id != "I1":
                response.answers.append(Answer(question_id=question_id, value=value, updated_by=user))
        self.make.user(role="reviewer")  # someone to tell that it awaits review
        self.db.session.commit()
        client = self.client(user.email)
        path = f"/responses/{response.id}/submit"
        reply = client.post(path, data={
            "csrf_token": csrf_token(client, path), "q-I1-confirm-confirmed": "yes",
            "q-I1-confirm-name": "Per Hansen", "q-I1-confirm-title": "Daglig leder",
            "q-I1-confirm-date": clock.today().isoformat()})
        assert reply.status_code == 302, reply.get_data(as_text=True)[:1000]
        return user, response

    def deviation(self, **values: Any) -> tuple[User, Deviation]:
        """A registered deviation, and a user of its supplier (who hears about it)."""
        supplier = self.make.supplier()
        user = self.make.user(role="supplier", supplier=supplier)
        self.make.user(role="reviewer")  # who hears what the supplier sends
        self.db.session.commit()
        return user, make_deviation(self.db, supplier, **values)

    def cron(self, today: date) -> None:
        with self.proxied.app_context():  # else the command runs in the test's own app
            result = self.proxied.test_cli_runner().invoke(
                args=["send-reminders", "--today", today.isoformat()])
        assert result.exit_code == 0, result.output


def _password_reset(world: World) -> None:
    user = world.make.user(role="reviewer")
    world.db.session.commit()
    assert post(world.client(), "/password/forgot", {"email": user.email}).status_code == 302


def _invitation(world: World) -> None:
    admin = world.staff("admin")
    reply = post(admin, "/admin/users/invite", {"email": "ny@kommune.example", "name": "Ny Bruker",
                                                "role": "reviewer", "supplier_id": "0", "locale": "nb"})
    assert reply.status_code == 302


def _round_invitation(world: World) -> None:
    supplier = world.make.supplier()
    world.make.user(role="supplier", supplier=supplier)
    agreement = world.make.agreement(suppliers=[supplier], start_date=clock.today() - timedelta(days=30),
                                     end_date=clock.today() + timedelta(days=365))
    round_ = world.make_response().round
    world.db.session.commit()
    admin = world.staff("admin")
    # Adding an agreement previews first; the invitations go out on confirmation.
    from tests.rounds.conftest import add_through_preview

    reply = add_through_preview(admin, round_.id, {"agreement_id": str(agreement.id)})
    assert reply.status_code == 302


def _deadline_extended(world: World) -> None:
    _user, response = world.supplier_with_response()
    reply = post(world.staff(), f"/responses/{response.id}/deadline",
                 {"new_deadline": (response.deadline + timedelta(days=14)).isoformat(), "reason": "Ringte"})
    assert reply.status_code == 302


def _reminder(world: World) -> None:
    _user, response = world.supplier_with_response(deadline=clock.today() + timedelta(days=2))
    world.cron(clock.today())


def _response_submitted(world: World) -> None:
    world.submitted()


def _response_returned(world: World) -> None:
    _user, response = world.submitted()
    definition = engine.definition_of(response.round.questionnaire_version)
    question = engine.sections_for_agreement(definition, response.agreement)[0].questions[0]
    reply = post(world.staff(), f"/review/responses/{response.id}/return",
                 {"questions": [question.id], "message": "Utdyp svaret."})
    assert reply.status_code == 302


def _response_accepted(world: World) -> None:
    _user, response = world.submitted()
    assert accept(world.staff(), response).status_code == 302


def _deviation_registered(world: World) -> None:
    supplier = world.make.supplier()
    world.make.user(role="supplier", supplier=supplier)
    world.db.session.commit()
    reply = post(world.staff(), "/deviations/new", deviation_form(supplier_id=supplier.id),
                 token_from="/deviations/new")
    assert reply.status_code == 302, reply.get_data(as_text=True)[:1000]


def _deviation_status_changed(world: World) -> None:
    _user, deviation = world.deviation()
    assert post(world.staff(), f"/deviations/{deviation.id}/status", {"status": "NOTIFIED"}).status_code == 302


def _deviation_supplier_update(world: World) -> None:
    supplier_user, deviation = world.deviation(status="AWAITING_CAP")
    reply = post(world.client(supplier_user.email), f"/deviations/{deviation.id}/plan",
                 plan_form(("Etterbetaling innen 30. juni.", "Daglig leder", "2027-06-30")))
    assert reply.status_code == 302


def _deviation_overdue(world: World) -> None:
    world.deviation(status="IN_PROGRESS", deadline=clock.today() - timedelta(days=3))
    world.cron(clock.today())


def _colleagues(world: World) -> tuple[User, User]:
    supplier = world.make.supplier()
    users = (world.make.user(role="supplier", supplier=supplier), world.make.user(role="supplier", supplier=supplier))
    world.db.session.commit()
    return users


def _colleague_deactivated(world: World) -> None:
    actor, colleague = _colleagues(world)
    path = f"/company/colleagues/{colleague.id}/deactivate"
    assert post(world.client(actor.email), path, token_from=path).status_code == 302


def _contact_details_changed(world: World) -> None:
    actor, _colleague = _colleagues(world)
    reply = post(world.client(actor.email), "/company/details", {"address": "Kirkegata 5"},
                 token_from="/company/details")
    assert reply.status_code == 302


SCENARIOS: dict[str, Callable[[World], None]] = {
    "colleague_deactivated": _colleague_deactivated,
    "contact_details_changed": _contact_details_changed,
    "deadline_extended": _deadline_extended,
    "deviation_overdue": _deviation_overdue,
    "deviation_registered": _deviation_registered,
    "deviation_status_changed": _deviation_status_changed,
    "deviation_supplier_update": _deviation_supplier_update,
    "invitation": _invitation,
    "password_reset": _password_reset,
    "reminder": _reminder,
    "response_accepted": _response_accepted,
    "response_returned": _response_returned,
    "response_submitted": _response_submitted,
    "response_to_review": _response_submitted,
    "round_invitation": _round_invitation,
}


def test_every_email_template_has_a_scenario():
    assert TEMPLATES, "no e-mail templates found"
    assert sorted(SCENARIOS) == TEMPLATES


def _send(template: str, world: World, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, mail.Outgoing]]:
    """Run the template's scenario; every e-mail rendered meanwhile, with its template name."""
    rendered: list[tuple[str, mail.Outgoing]] = []
    render = mail.render_mail

    def _recording(name: str, *args: Any, **kwargs: Any) -> mail.Outgoing:
        outgoing = render(name, *args, **kwargs)
        rendered.append((name, outgoing))
        return outgoing

    monkeypatch.setattr(mail, "render_mail", _recording)
    scenario = SCENARIOS.get(template)
    assert scenario is not None, f"no scenario sends the {template} e-mail"
    scenario(world)
    assert any(name == template for name, _ in rendered), (
        f"the scenario sent no {template} e-mail (sent: {[n for n, _ in rendered]})")
    return rendered


def _assert_links_on(base: str, template: str, rendered: list[tuple[str, mail.Outgoing]]) -> None:
    for name, outgoing in rendered:
        whole = "\n".join((outgoing.subject, outgoing.text, outgoing.html))
        assert EVIL not in whole, name
        links = URL.findall(whole)
        assert all(link.startswith(base + "/") for link in links), (name, links)
    for name, outgoing in rendered:
        if name == template:
            assert any(link.startswith(base + "/") for link in URL.findall(outgoing.text)), outgoing.text
            assert f'href="{base}/' in outgoing.html


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_link_in_the_email_is_on_the_public_base_url(template, proxied, db, make, make_response,
                                                          monkeypatch):
    rendered = _send(template, World(proxied, db, make, make_response), monkeypatch)

    _assert_links_on(BASE, template, rendered)


@pytest.mark.parametrize("template", ["password_reset", "deviation_supplier_update", "response_submitted"])
def test_without_public_base_url_links_use_the_fixed_local_address(template, proxied, db, make,
                                                                   make_response, monkeypatch):
    """Development and tests: still never the Host the request claims."""
    monkeypatch.setitem(proxied.config, "PUBLIC_BASE_URL", "")

    rendered = _send(template, World(proxied, db, make, make_response), monkeypatch)

    _assert_links_on(LOCAL_BASE_URL, template, rendered)


def test_the_proxy_is_trusted_for_address_and_scheme_but_not_for_the_host(proxied, monkeypatch):
    from werkzeug.test import Client
    from werkzeug.wrappers import Request
    from werkzeug.wrappers import Response as WsgiResponse

    seen: dict[str, str] = {}

    def _behind_the_proxy(environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        seen.update(host=request.host, scheme=request.scheme, address=str(request.remote_addr))
        return WsgiResponse("ok")(environ, start_response)

    # What the portal sees behind the middleware create_app put in front of it.
    monkeypatch.setattr(proxied.wsgi_app, "app", _behind_the_proxy)
    Client(proxied.wsgi_app).get("/", headers={
        "Host": "aktsom.kommune.example", "X-Forwarded-Host": EVIL, "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "203.0.113.7"})

    assert seen == {"host": "aktsom.kommune.example", "scheme": "https", "address": "203.0.113.7"}
