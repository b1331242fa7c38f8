"""GET /healthz: JSON status of the application and the database."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from portal.extensions import db as _db


def test_healthy(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.is_json
    assert response.get_json() == {"status": "ok", "application": "ok", "database": "ok"}


def test_database_failure_answers_503(client, db, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(_db.session, "execute", broken)

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] == "unavailable"
    assert body["application"] == "ok"
    assert body["status"] != "ok"
    assert "connection refused" not in response.get_data(as_text=True)


def test_health_is_not_rate_limited_and_needs_no_session(app, client, db):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "1 per minute"

    statuses = {client.get("/healthz").status_code for _ in range(30)}

    assert statuses == {200}
    assert client.get_cookie("aktsom_session") is None
