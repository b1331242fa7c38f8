"""The issue's "done when": from the inbox to accepted through a clarification round, a
deviation recorded and closed by the supplier, every step in the audit trail, and the
supplier never seeing anything internal."""

from __future__ import annotations

from portal.models import AuditEvent, Deviation, FollowUpActivity, Response
from tests.auth.helpers import IsolatedClient, post, sign_in, text
from tests.deviations.helpers import deviation_form, plan_form
from tests.review.helpers import accept, return_response, save_verdicts


def test_a_review_from_the_inbox_to_a_closed_deviation(app, db, make, submitted, resubmit,
                                                        monkeypatch, sent_mail):
    monkeypatch.setattr(app, "test_client_class", IsolatedClient)
    supplier = make.supplier(name="Arbeidsklær AS")
    supplier_user = make.user(role="supplier", supplier=supplier, name="Siri Leverandør")
    stranger = make.user(role="supplier", name="Fremmed")
    reviewer = make.user(role="reviewer", name="Rune Revisor")
    make.user(role="admin", email="admin@kommune.example")
    response = submitted(user=supplier_user, answers={"B4": {"answer": "Tynt svar."}})
    staff, supplier_side, foreign = app.test_client(), app.test_client(), app.test_client()
    sign_in(staff, reviewer.email)
    sign_in(supplier_side, supplier_user.email)
    sign_in(foreign, stranger.email)
    review = f"/review/responses/{response.id}"

    # 1. The reviewer finds it in the inbox and gives verdicts.
    assert review in staff.get("/review?status=submitted").get_data(as_text=True)
    assert save_verdicts(staff, response, {
        "B1": ("meets", "", ""),
        "B4": ("partly", "Beskriv rapporteringen til ledelsen.", "INTERN-VURDERING"),
    }).status_code == 302

    # 2. Returned for clarification; the supplier answers and resubmits.
    assert return_response(staff, response, ["B4"], "Utdyp B4.").status_code == 302
    resubmit(response, supplier_user, {"B4": {"answer": "Kvartalsvis rapport til styret."}})
    db.session.expire_all()
    assert db.session.get(Response, response.id).status == "resubmitted"
    page = staff.get(review).get_data(as_text=True)
    assert "Tynt svar." in page
    assert "Kvartalsvis rapport til styret." in page

    # 3. Accepted: a follow-up activity on that date.
    assert save_verdicts(staff, response, {"B4": ("meets", "Takk, nå er det godt.",
                                                  "INTERN-OK")}).status_code == 302
    assert accept(staff, response).status_code == 302
    db.session.expire_all()
    assert db.session.get(Response, response.id).status == "accepted"
    activity = db.session.query(FollowUpActivity).one()
    assert activity.kind == "questionnaire_reviewed"

    # 4. A deviation recorded from C5, and the supplier told.
    reply = post(staff, "/deviations/new", deviation_form(
        supplier_id=supplier.id, agreement_id=response.agreement_id, response_id=response.id,
        question_id="C5", internal_note="INTERN-TIPS"), token_from=f"/deviations/new?response="
        f"{response.id}&question=C5")
    assert reply.status_code == 302
    deviation = db.session.query(Deviation).one()
    deviation_page = f"/deviations/{deviation.id}"
    assert post(staff, f"{deviation_page}/status", {"status": "NOTIFIED"}).status_code == 302

    # 5. The supplier proposes its plan; the reviewer approves it.
    assert post(supplier_side, f"{deviation_page}/plan",
                plan_form(("Etterbetaling innen 30. juni.", "Daglig leder", "2027-06-30"))).status_code == 302
    assert post(staff, f"{deviation_page}/approve-plan").status_code == 302

    # 6. The supplier reports closure; the reviewer verifies and closes.
    assert post(supplier_side, f"{deviation_page}/progress",
                {"text": "Alle har fått etterbetalt.", "closure": "y"}).status_code == 302
    assert post(staff, f"{deviation_page}/status", {"status": "CLOSED_OK"}).status_code == 302
    db.session.expire_all()
    closed = db.session.get(Deviation, deviation.id)
    assert closed.status == "CLOSED_OK"
    assert closed.closed_date is not None

    # Every step is in the audit trail, on the response's and the deviation's pages.
    actions = [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    for expected in ("response.submitted", "verdict.changed", "response.returned",
                     "clarification.created", "answer.changed", "clarification.answered",
                     "response.accepted", "activity.created", "deviation.created",
                     "deviation.status_changed", "deviation.plan_proposed",
                     "deviation.plan_approved", "deviation.progress_reported"):
        assert expected in actions, expected
    history = text(staff.get(f"{review}/history"))
    # The history in words (issue 15): statuses and types by their labels, never their codes.
    from flask_babel import force_locale

    from portal.codes import DEVIATION_STATUSES, DEVIATION_TYPES, RESPONSE_STATUSES
    with force_locale("nb"):
        accepted, wages = RESPONSE_STATUSES.label("accepted"), DEVIATION_TYPES.label("WAGES")
        statuses = [DEVIATION_STATUSES.label(code) for code in
                    ("NOTIFIED", "AWAITING_CAP", "IN_PROGRESS", "VERIFYING", "CLOSED_OK")]
    for expected in ("Utdyp B4.", "Tynt svar.", "Kvartalsvis rapport til styret.", accepted,
                     "Rune Revisor", "Siri Leverandør", wages):
        assert expected in history, expected
    assert "WAGES" not in history
    deviation_history = text(staff.get(deviation_page))
    for expected in statuses:
        assert expected in deviation_history, expected
    assert "AWAITING_CAP" not in deviation_history

    # The supplier never sees internal notes, on any page or in any e-mail.
    seen = "".join(supplier_side.get(path).get_data(as_text=True) for path in (
        f"/responses/{response.id}", deviation_page, "/deviations"))
    mails = "".join(m.text + m.html for m in sent_mail if m.to == supplier_user.email)
    for secret in ("INTERN-VURDERING", "INTERN-OK", "INTERN-TIPS"):
        assert secret not in seen
        assert secret not in mails
    assert "Takk, nå er det godt." in mails  # the comment to it, with the acceptance
    assert supplier_side.get(review).status_code == 403

    # Another supplier cannot reach any of it.
    assert foreign.get(deviation_page).status_code == 404
    assert foreign.get(f"/responses/{response.id}").status_code == 404
    assert f"/deviations/{deviation.id}" not in foreign.get("/deviations").get_data(as_text=True)
