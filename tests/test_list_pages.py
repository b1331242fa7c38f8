"""Every list page reads ``?page=`` safely: digits that are not ASCII, signs, huge numbers and
garbage show the first (or last) page, never a server error."""

from __future__ import annotations

import pytest

LISTS = ("/deviations", "/review", "/review/activities", "/review/audit", "/admin/suppliers",
         "/admin/agreements", "/admin/users")
PAGES = ("²", "¹²", "٣", "１", "2²", "-1", "0", "+2", " 2", "1e3", "99999999999999999999", "\x00",
         "", "x")


@pytest.mark.parametrize("path", LISTS)
def test_a_page_number_that_is_not_one_shows_a_page(client, login_as, path):
    login_as("admin")
    for page in PAGES:
        reply = client.get(path, query_string={"page": page})
        assert reply.status_code == 200, (path, page, reply.status_code)


def test_the_supplier_deviation_list_takes_any_page_too(client, make, login_as):
    login_as("supplier")
    for page in PAGES:
        assert client.get("/deviations", query_string={"page": page}).status_code == 200, page
