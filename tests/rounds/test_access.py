"""Who may reach the round and questionnaire pages."""

from __future__ import annotations

import pytest

from portal.rounds import services
from tests.auth.helpers import post, redirect_path


@pytest.fixture
def ids(db, make_round, version, active_agreement):
    round = make_round()
    response = services.add_agreement_to_round(round, active_agreement(), actor=None)[0]
    db.session.commit()
    return {"round": round.id, "response": response.id, "version": version.id,
            "agreement": active_agreement().id}


GET_PAGES = {
    "rounds.list_rounds": "/rounds",
    "rounds.new_round": "/rounds/new",
    "rounds.view_round": "/rounds/{round}",
    "rounds.export_round_answers": "/rounds/{round}/answers.xlsx",
    "rounds.extend_deadline": "/responses/{response}/deadline",
    "rounds.list_versions": "/questionnaires",
    "rounds.import_version": "/questionnaires/import",
    "rounds.view_version": "/questionnaires/{version}",
    "rounds.preview_agreements": "/rounds/{round}/agreements/preview?agreement_id={agreement}",
}
POST_ONLY = {
    "rounds.add_agreement": "/rounds/{round}/agreements",
    "rounds.add_agreements_bulk": "/rounds/{round}/agreements/bulk",
}
ADMIN_ONLY = {"rounds.new_round", "rounds.import_version", "rounds.add_agreement", "rounds.add_agreements_bulk",
              "rounds.preview_agreements"}


def test_every_rounds_endpoint_is_covered(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("rounds.")}
    assert endpoints == set(GET_PAGES) | set(POST_ONLY)


def _request(client, endpoint, ids):
    if endpoint in GET_PAGES:
        return client.get(GET_PAGES[endpoint].format(**ids))
    # A valid CSRF token, so that what answers is the role gate, not the CSRF check.
    return post(client, POST_ONLY[endpoint].format(**ids), {})


@pytest.mark.parametrize("endpoint", sorted(GET_PAGES) + sorted(POST_ONLY))
def test_suppliers_are_refused_everywhere(client, ids, login_as, endpoint):
    login_as("supplier")

    assert _request(client, endpoint, ids).status_code == 403


@pytest.mark.parametrize("endpoint", sorted(GET_PAGES) + sorted(POST_ONLY))
def test_reviewers_are_refused_only_where_admins_change_things(client, ids, login_as, endpoint):
    login_as("reviewer")

    status = _request(client, endpoint, ids).status_code

    if endpoint in ADMIN_ONLY:
        assert status == 403
    else:
        assert status == 200


@pytest.mark.parametrize("endpoint", sorted(GET_PAGES))
def test_admins_see_every_page(client, ids, login_as, endpoint):
    login_as("admin")

    assert _request(client, endpoint, ids).status_code == 200


@pytest.mark.parametrize("endpoint", sorted(GET_PAGES))
def test_anonymous_visitors_are_sent_to_sign_in(client, ids, endpoint):
    response = _request(client, endpoint, ids)

    assert response.status_code == 302
    assert redirect_path(response) == "/login"


def test_unknown_ids_are_404(client, ids, login_as):
    login_as("admin")

    for path in ("/rounds/999999", "/responses/999999/deadline", "/questionnaires/999999",
                 "/rounds/99999999999999999999", "/questionnaires/99999999999999999999"):
        assert client.get(path).status_code == 404
