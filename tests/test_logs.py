"""Log lines: JSON (or text) on stdout, a request id on every line, one access line a request."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import g

import tests.conftest as conftest
from portal import create_app, logs
from portal.config import ConfigError
from tests.conftest import PASSWORD, login, post_form

job_log = logging.getLogger("portal.jobs.example")


@pytest.fixture
def json_logs(app, capsys) -> Iterator[Any]:
    """Log as production does (JSON); returns a function giving the lines written since."""
    app.config["LOG_FORMAT"] = "json"
    logs.configure_logging(app.config)
    capsys.readouterr()

    def lines() -> list[dict[str, Any]]:
        return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]

    yield lines
    logs.configure_logging({**app.config, "LOG_FORMAT": "text"})


def _access(lines: list[dict[str, Any]], path: str) -> list[dict[str, Any]]:
    return [line for line in lines if line.get("event") == "request" and line.get("path") == path]


def test_access_line_has_the_request_fields_and_no_personal_data(client, login_as, json_logs):
    user = login_as("reviewer")
    json_logs()

    response = client.get("/accessibility?token=secret-value", headers={"X-Request-ID": "lb-4711/abc"})

    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "lb-4711/abc"
    [line] = _access(json_logs(), "/accessibility")
    assert line["level"] == "INFO"
    assert line["logger"] == "portal.access"
    assert line["request_id"] == "lb-4711/abc"
    assert line["user_id"] == user.id
    assert (line["method"], line["endpoint"], line["status"]) == ("GET", "main.accessibility", 200)
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0
    stamp = logs_timestamp(line)
    assert stamp.utcoffset() == timedelta(0)
    text = json.dumps(line)
    assert user.email not in text
    assert "secret-value" not in text


def logs_timestamp(line: dict[str, Any]) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(line["timestamp"])


def test_sign_in_logs_neither_the_password_nor_the_address(client, make, db, json_logs):
    user = make.user(role="reviewer", email="kari.nordmann@kommune.example")
    db.session.commit()
    json_logs()

    response = login(client, user.email)

    assert response.status_code == 302
    lines = json_logs()
    [line] = _access(lines, "/login")[-1:]
    assert (line["method"], line["status"], line["user_id"]) == ("POST", 302, user.id)
    output = json.dumps(lines)
    assert PASSWORD not in output
    assert "kari.nordmann" not in output


def test_a_request_id_is_generated_when_none_is_given_and_kept_in_g(client, db, json_logs):
    response = client.get("/accessibility")

    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert g.request_id == request_id
    [line] = _access(json_logs(), "/accessibility")
    assert line["request_id"] == request_id
    assert "user_id" not in line
    assert client.get("/accessibility").headers["X-Request-ID"] != request_id


@pytest.mark.parametrize("given", ["x" * 129, "a\x01b", "bad id", "", "\u00e6\u00f8\u00e5"],
                         ids=["too-long", "control", "space", "empty", "non-ascii"])
def test_an_unusable_request_id_is_replaced(client, db, given):
    response = client.get("/accessibility", headers={"X-Request-ID": given.encode().decode("latin-1")})

    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_a_request_id_of_128_characters_is_kept(client, db):
    given = "A" * 128

    assert client.get("/accessibility", headers={"X-Request-ID": given}).headers["X-Request-ID"] == given


def test_lines_logged_by_the_app_carry_the_request_id(client, make, db, json_logs):
    make.user(role="reviewer", email="reset.me@kommune.example")
    db.session.commit()
    json_logs()

    response = post_form(client, "/password/forgot", {"email": "reset.me@kommune.example"},
                         headers={"X-Request-ID": "reset-1"})

    assert response.status_code == 302
    lines = json_logs()
    mail = [line for line in lines if line.get("event") in ("mail_sent", "mail_written")]
    assert len(mail) == 1
    assert mail[0]["logger"] == "portal.mail"
    # Sent after the response (so its timing tells nothing): the request's id, not its route.
    assert mail[0]["request_id"] == "reset-1"


def test_an_error_is_logged_with_its_traceback_and_the_access_line_says_500(
        app, client, db, json_logs, monkeypatch):
    def broken() -> str:
        raise RuntimeError("the view broke")

    monkeypatch.setitem(app.view_functions, "main.accessibility", broken)

    response = client.get("/accessibility", headers={"X-Request-ID": "err-1"})

    assert response.status_code == 500
    assert "the view broke" not in response.get_data(as_text=True)
    lines = json_logs()
    [error] = [line for line in lines if line["level"] == "ERROR"]
    assert error["event"] == "unhandled_error"
    assert error["request_id"] == "err-1"
    assert "RuntimeError: the view broke" in error["traceback"]
    assert error["traceback"].startswith("Traceback (most recent call last)")
    [access] = _access(lines, "/accessibility")
    assert (access["status"], access["request_id"]) == (500, "err-1")


@pytest.mark.parametrize("path", ["/livez", "/readyz", "/healthz"])
def test_probes_are_logged_at_debug_only(client, db, caplog, path):
    caplog.set_level(logging.INFO)

    client.get(path)
    client.get("/accessibility")
    at_info = [r.getMessage() for r in caplog.records if r.name == "portal.access"]
    caplog.clear()
    caplog.set_level(logging.DEBUG)
    client.get(path)
    at_debug = [(r.levelno, r.getMessage().split(" ")[2]) for r in caplog.records if r.name == "portal.access"]

    assert len(at_info) == 1
    assert " /accessibility " in at_info[0]
    assert at_debug == [(logging.DEBUG, path)]


def test_bind_request_id_puts_the_id_on_a_jobs_lines(db, json_logs):
    with logs.bind_request_id("from-request-42") as bound:
        job_log.info("receipt_sent submission=%s", 7)
        inside = logs.current_request_id()
    job_log.info("after")

    first, after = json_logs()
    assert bound == inside == "from-request-42"
    assert (first["event"], first["message"], first["request_id"]) == (
        "receipt_sent", "receipt_sent submission=7", "from-request-42")
    assert "request_id" not in after
    assert logs.current_request_id() is None


@pytest.mark.parametrize("given", [None, "bad id"])
def test_bind_request_id_without_a_usable_id_makes_one(db, given):
    with logs.bind_request_id(given) as bound:
        assert re.fullmatch(r"[0-9a-f]{32}", bound)
        assert logs.current_request_id() == bound


def test_text_format_is_readable_and_carries_the_request_id(client, db, capsys):
    capsys.readouterr()

    client.get("/accessibility", headers={"X-Request-ID": "txt-1"})

    out = capsys.readouterr().out
    assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO portal\.access \[txt-1\] "
                     r"request GET /accessibility 200 [\d.]+ms$", out, re.MULTILINE), out


def test_production_logs_json_by_default_and_a_bad_format_is_refused(app, tmp_path, capsys):
    try:
        create_app(conftest.test_config(
            tmp_path, ENV_NAME="production", PUBLIC_BASE_URL="https://aktsom.test",
            SECRET_KEY="k7Qp2-vX9zLm4Rt8Wn3Yb6Hc1Jd5Fg0Se2Ua7Io4PkQ",
            RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/5",
        ))
        capsys.readouterr()
        logging.getLogger("portal.example").warning("disk_low free=%s", "2%")
        [line] = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
        assert (line["level"], line["event"], line["logger"]) == ("WARNING", "disk_low", "portal.example")

        with pytest.raises(ConfigError, match="LOG_FORMAT"):
            create_app(conftest.test_config(tmp_path, LOG_FORMAT="xml"))
    finally:
        logs.configure_logging(app.config)
