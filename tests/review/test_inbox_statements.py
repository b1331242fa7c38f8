"""The inbox's statements, counted (issue 12: a reviewer's inbox runs in the load bench's loop)."""

from __future__ import annotations

from portal import clock
from portal.review import services

#: The signed-in user; the buyer (its name in the header); the responses with their round,
#: agreement and supplier, and the rounds' questionnaires; verdicts, deviations through the
#: responses, gate answers and the suppliers' open deviations; the three filter menus.
INBOX_STATEMENTS = 11


def test_the_inbox_runs_a_fixed_number_of_statements(client, db, make, submitted, login_as,
                                                     count_queries):
    reviewer = make.user(role="reviewer")
    for code in ("B1", "B2"):
        response = submitted()
        services.save_verdicts(response, [services.VerdictInput(code, "meets")], actor=reviewer,
                               today=clock.today())
    db.session.commit()
    login_as("reviewer")
    client.get("/review")
    db.session.expire_all()
    with count_queries() as statements:
        assert client.get("/review").status_code == 200
    assert len(statements) == INBOX_STATEMENTS, "\n".join(statements)
