"""The audit trail in words (issue 15): every action named, records and fields in words,
values as text, the system's own acts shown as Aktsom, supplier-typed values kept as text."""

from __future__ import annotations

import ast
import html
import re
from datetime import date
from pathlib import Path

from flask_babel import force_locale

from portal import audit, audit_labels, clock
from portal.codes import DEVIATION_TYPES, RECORDABLE_ACTIVITY_KINDS
from portal.deviations import services as deviations
from portal.models import AuditEvent
from portal.review import services
from tests.auth.helpers import post, text, tr

PORTAL = Path(__file__).resolve().parents[2] / "portal"


def _recorded_actions() -> dict[str, str]:
    """Every action passed to ``audit.record`` in the code, with where it is recorded."""
    found: dict[str, str] = {}
    for path in sorted(PORTAL.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "record" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "audit"):
                continue
            where = f"{path.relative_to(PORTAL.parent)}:{node.lineno}"
            first = node.args[0] if node.args else None
            candidates = [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
            for candidate in candidates:
                literal = candidate.value if isinstance(candidate, ast.Constant) else None
                assert isinstance(literal, str), (
                    f"{where}: record the action as a literal so it can be checked for a label")
                found[literal] = where
    return found


def test_every_action_the_code_records_has_a_label():
    recorded = _recorded_actions()
    assert len(recorded) > 80  # the scan finds the calls, also those written over several lines
    missing = {action: where for action, where in recorded.items() if action not in audit_labels.ACTIONS}
    assert not missing, f"actions without a label in portal/audit_labels.py: {missing}"


def _recorded_keys() -> dict[str, str]:
    """The names of values the code keeps in before/after (dict literals in ``audit.record``
    calls and in the snapshot helpers they call) and the literal fields, with where."""
    found: dict[str, str] = {}

    def collect(node: ast.AST, where: str) -> None:
        for inner in ast.walk(node):
            if isinstance(inner, ast.Dict):
                for key in inner.keys:
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        found.setdefault(key.value, where)

    for path in sorted(PORTAL.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{path.relative_to(PORTAL.parent)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.FunctionDef) and node.name.startswith("_") and (
                    "snapshot" in node.name or node.name.endswith("_record")):
                collect(node, where)
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "record" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "audit"):
                for keyword in node.keywords:
                    if keyword.arg in ("before", "after"):
                        collect(keyword.value, where)
                    if keyword.arg == "field" and isinstance(keyword.value, ast.Constant):
                        found.setdefault(keyword.value.value, where)
    return found


def test_every_value_the_code_records_has_a_name(app):
    from portal.admin.services import AGREEMENT_FIELDS, RISK_FIELDS, SUPPLIER_FIELDS
    from portal.deviations.services import DEVIATION_FIELDS
    from portal.sites.services import SITE_FIELDS

    keys = _recorded_keys()
    assert {"response_id", "deadline", "reason", "notes"} <= set(keys)  # the scan finds them
    with app.test_request_context():
        missing = {key: where for key, where in keys.items() if key not in audit_labels.NAMES
                   and not any(key in audit_labels._form_labels(kind) for kind in audit_labels.KINDS)}
        assert not missing, f"values kept in the trail without a name in portal/audit_labels.py: {missing}"
        for kind, fields in (("Deviation", DEVIATION_FIELDS), ("ProductionSite", SITE_FIELDS),
                             ("Supplier", SUPPLIER_FIELDS), ("Agreement", AGREEMENT_FIELDS),
                             ("PriorityRisk", RISK_FIELDS)):
            labels = audit_labels._form_labels(kind)
            unnamed = [f for f in fields if f not in labels and f not in audit_labels.NAMES]
            assert not unnamed, f"{kind}: {unnamed}"


def test_every_action_label_is_translated_in_both_languages(app):
    with app.app_context():
        for action, label in audit_labels.ACTIONS.items():
            with force_locale("en"):
                english = str(label)
            with force_locale("nb"):
                norwegian = str(label)
            assert english, action
            assert norwegian != english, f"{action}: no Bokmål for {english!r}"
        for object_type, label in audit_labels.KINDS.items():
            with force_locale("nb"):
                assert str(label) and str(label) != object_type or object_type == "Response", object_type


def _seed(db, make, submitted):
    """A response, an automatic proposal, an activity and varied events, one with a script."""
    user = make.user(role="supplier", name="Sara Leverandør")
    response = submitted(user=user, answers={"B4": {"answer": "Første svar."}})
    reviewer = make.user(role="reviewer", name="Rita Revisor")
    deviation = deviations.propose_deviation(response, "B4", DEVIATION_TYPES.codes[0], actor=user,
                                             today=date(2025, 3, 3))
    activity = services.create_activity(RECORDABLE_ACTIVITY_KINDS.codes[0], date(2025, 3, 3),
                                        response.agreement, response.supplier,
                                        "<script>alert('activity')</script>", [], actor=reviewer)
    audit.record("answer.changed", response, actor=user, supplier_id=response.supplier_id, field="B4",
                 before={"answer": "Første svar."}, after={"answer": "<script>alert(1)</script>"})
    audit.record("deviation.changed", deviation, actor=reviewer, supplier_id=response.supplier_id,
                 field="measures", before=[], after=["TRAINING", "REAUDIT"])
    audit.record("deviation.confirmed", deviation, actor=reviewer, supplier_id=response.supplier_id,
                 field="is_proposed", before=True, after=False)
    audit.record("response.deadline_extended", response, actor=reviewer,
                 supplier_id=response.supplier_id, field="deadline",
                 before={"deadline": "2025-03-01"},
                 after={"deadline": "2025-04-01", "reason": "Sykdom " * 60, "reminders_reset": 2})
    db.session.commit()
    return response, deviation, activity


def _rows(reply) -> list[str]:
    page = reply.get_data(as_text=True)
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.split("<tr>")[1:]


def test_the_audit_log_shows_every_kind_of_event_in_words(client, db, make, submitted, login_as):
    response, deviation, activity = _seed(db, make, submitted)
    login_as("admin")

    reply = client.get("/review/audit")

    assert reply.status_code == 200
    page = reply.get_data(as_text=True)
    table = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    words = html.unescape(re.sub(r"<[^>]+>", " ", table))
    for raw in ("FollowUpActivity", "object_type", "{", "}", "response_id", "is_proposed",
                "TRAINING", "REAUDIT", "2025-04-01", "True", "False", "Response 1"):
        assert raw not in words, raw
    # Records by their own names, linked where the reader may open them.
    assert f'href="/review/responses/{response.id}"' in table
    assert f'href="/deviations/{deviation.id}"' in table
    assert f'href="/review/activities/{activity.id}"' in table
    assert tr("Follow-up activity of %(date)s", date="3. mars 2025") in words
    assert tr("Deviation %(number)s – %(type)s, %(supplier)s", number=deviation.id,
              type=DEVIATION_TYPES.label(DEVIATION_TYPES.codes[0]),
              supplier=response.supplier.name) in words
    # Fields by their form's label or their question; values through the label lists.
    assert tr("Measures") in words
    assert "B4 – " in words
    assert f"{tr('Question')}: B4 – " in words  # a question id inside a value too
    assert tr("Yes") in words
    assert tr("No") in words
    assert "1. apr. 2025" in words
    # A long value is cut, with the whole text one click away.
    assert "<details" in table
    assert ("Sykdom " * 60).strip() in words


def test_supplier_typed_values_stay_text(client, db, make, submitted, login_as):
    _seed(db, make, submitted)
    login_as("admin")

    page = client.get("/review/audit").get_data(as_text=True)

    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(&#39;activity&#39;)&lt;/script&gt;" in page


def test_what_the_system_did_is_shown_as_aktsom(client, db, make, submitted, login_as):
    response, deviation, _activity = _seed(db, make, submitted)
    proposed = db.session.query(AuditEvent).filter_by(action="deviation.proposed").one()
    assert proposed.by_system
    assert proposed.actor_id is not None
    login_as("admin")

    rows = _rows(client.get("/review/audit"))

    label = tr("Deviation proposed automatically")
    proposed_rows = [row for row in rows if label in row]
    assert len(proposed_rows) == 1
    assert "Aktsom" in proposed_rows[0]
    assert "Sara Leverandør" not in proposed_rows[0]
    # The supplier's own change is still the supplier's.
    assert any("Sara Leverandør" in row and tr("Answer changed") in row for row in rows)
    # The filter "Who: Aktsom" finds the system's acts and not the people's.
    only_system = "".join(_rows(client.get("/review/audit?actor=system")))
    assert label in only_system
    assert tr("Answer changed") not in only_system
    supplier_user = proposed.actor_id
    by_supplier = "".join(_rows(client.get(f"/review/audit?actor={supplier_user}")))
    assert tr("Answer changed") in by_supplier
    assert label not in by_supplier


def test_the_filters_name_actions_and_records_in_words(client, db, make, submitted, login_as):
    _seed(db, make, submitted)
    login_as("admin")

    page = client.get("/review/audit").get_data(as_text=True)
    form = page.split('<form method="get"', 1)[1].split("</form>", 1)[0]

    options = re.findall(r"<option value=\"([^\"]*)\"[^>]*>([^<]*)</option>", form)
    shown = {label for _value, label in options}
    assert "FollowUpActivity" not in shown
    assert "deviation.proposed" not in shown
    assert html.escape(tr("Follow-up activity"), quote=False) in shown
    assert tr("Deviation proposed automatically") in shown
    assert "Aktsom" in shown


def test_english_screens_write_dates_the_british_way(client, db, make, submitted, login_as):
    response, deviation, activity = _seed(db, make, submitted)
    login_as("reviewer", locale="en")

    for url in (f"/review/responses/{response.id}/history", f"/deviations/{deviation.id}",
                f"/review/activities/{activity.id}"):
        page = text(client.get(url))
        assert re.search(r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sept?|Oct|Nov|Dec) \d{4}, \d{2}:\d{2}\b",
                         page), url
        assert not re.search(r"\b\d{2}/\d{2}/\d{4}\b", page), url  # no numeric short dates
        assert "Aktsom" in page or url.startswith("/review/activities"), url
        assert "FollowUpActivity" not in page
        assert "object_type" not in page


def test_the_response_history_names_which_deviation_or_activity_each_change_is_on(
        client, db, make, submitted, login_as):
    response, deviation, _other = _seed(db, make, submitted)
    activity = services.accept_response(response, actor=make.user(role="reviewer"), today=clock.today())
    db.session.commit()
    login_as("reviewer")

    page = client.get(f"/review/responses/{response.id}/history").get_data(as_text=True)

    assert f'href="/deviations/{deviation.id}"' in page
    assert f'href="/review/activities/{activity.id}"' in page
    assert "FollowUpActivity" not in page


def test_the_response_history_stays_for_staff(client, db, make, submitted, login_as):
    response, _deviation, _activity = _seed(db, make, submitted)
    login_as("supplier", supplier=response.supplier)
    assert client.get(f"/review/responses/{response.id}/history").status_code in (302, 403, 404)
    post(client, "/logout")
    login_as("reviewer")
    assert client.get(f"/review/responses/{response.id}/history").status_code == 200


def test_the_audit_log_reads_its_records_in_a_few_queries(client, db, make, submitted, login_as,
                                                            count_queries):
    _seed(db, make, submitted)
    login_as("admin")
    with count_queries() as statements:
        assert client.get("/review/audit").status_code == 200
    few = len(statements)

    for _ in range(3):
        _seed(db, make, submitted)
    with count_queries() as statements:
        assert client.get("/review/audit").status_code == 200

    assert len(statements) == few, "\n".join(statements)


def test_what_follows_from_a_persons_act_is_recorded_as_aktsoms(app, db, make, submitted):
    """Accepting records the follow-up activity, closing sets the closing date: Aktsom's acts,
    while the event still says whose request it was; the person's own act stays theirs."""
    response = submitted()
    reviewer = make.user(role="reviewer")
    services.accept_response(response, actor=reviewer, today=clock.today())
    deviation = deviations.propose_deviation(response, "B4", DEVIATION_TYPES.codes[0], actor=reviewer,
                                             today=clock.today())
    deviation.description = "Funnet ved gjennomgang."
    deviations.confirm_deviation(deviation, actor=reviewer)
    deviations.change_deviation_status(deviation, "ESCALATED", actor=reviewer, today=clock.today())
    deviations.change_deviation_status(deviation, "CLOSED_NOT_OK", actor=reviewer, today=clock.today())
    db.session.commit()

    events = {(e.action, e.field): e for e in db.session.query(AuditEvent)}

    for automatic in (("activity.created", None), ("deviation.proposed", None),
                      ("deviation.changed", "closed_date")):
        assert events[automatic].by_system, automatic
        assert events[automatic].actor_id == reviewer.id, automatic
    for personal in (("response.accepted", "status"), ("deviation.confirmed", "is_proposed"),
                     ("deviation.status_changed", "status")):
        assert not events[personal].by_system, personal
    with app.test_request_context():
        views = {(v.event.action, v.event.field): v for v in audit_labels.describe(events.values())}
    assert views[("activity.created", None)].who == "Aktsom"
    assert views[("response.accepted", "status")].who == reviewer.display_name
