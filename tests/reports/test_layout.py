"""The report pages keep the shared layout checks (landmarks, one h1, labelled controls, unique ids)."""

from __future__ import annotations

from tests.auth.helpers import post
from tests.reports.conftest import YEAR
from tests.test_i18n_layout import _check_layout


def test_report_pages_keep_the_layout(client, town, login_as):
    login_as("reviewer", locale="nb")

    for path in (f"/reports?year={YEAR}", f"/reports?year={YEAR}&view=grouped", "/reports?year=2022"):
        _check_layout(client.get(path), path)


def test_the_page_with_a_form_error_keeps_the_layout(client, town, login_as):
    login_as("reviewer", locale="nb")

    _check_layout(post(client, f"/reports/{YEAR}/text", {"text": ""}), "4.A.1 error")


def test_the_empty_report_keeps_the_layout(client, login_as):
    login_as("admin", locale="en")

    _check_layout(client.get("/reports"), "no data")
