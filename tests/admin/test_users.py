"""Users: list and search, change role, deactivate and reactivate (nothing written is deleted)."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.models import Agreement, AuditEvent, User
from tests.auth.helpers import (
    flashed,
    location,
    markup,
    post,
    redirect_path,
    reloaded,
    sign_in,
    text,
    tr,
)


def _edit(client, user_id, **values):
    path = f"/admin/users/{user_id}"
    return post(client, path, values, token_from=path)


def test_admin_lists_and_searches_users(client, login_as, make, db):
    make.user(role="reviewer", email="kari@kommune.example", name="Kari Nordmann")
    make.user(role="supplier", email="per@leverandor.example", name="Per Hansen")
    db.session.commit()
    login_as("admin")

    everyone = text(client.get("/admin/users"))
    found = text(client.get("/admin/users?q=hansen"))

    assert "kari@kommune.example" in everyone
    assert "per@leverandor.example" in everyone
    assert "per@leverandor.example" in found
    assert "kari@kommune.example" not in found


def test_the_user_list_shows_status(client, login_as, make, db):
    make.user(role="reviewer", email="invited@example.no", password_hash=None)
    make.user(role="reviewer", email="gone@example.no", is_active=False)
    db.session.commit()
    login_as("admin")

    page = text(client.get("/admin/users"))

    assert tr("Invited") in page
    assert tr("Deactivated") in page
    assert tr("Active") in page


def test_admin_changes_a_role_and_the_users_session_ends(app, client, login_as, make, db):
    user = make.user(role="supplier")
    db.session.commit()
    their_browser = app.test_client()
    sign_in(their_browser, user.email)
    login_as("admin")

    response = _edit(client, user.id, role="reviewer", supplier_id="0")

    assert response.status_code == 302
    assert location(response) == f"/admin/users/{user.id}"
    assert tr("The role is saved.") in flashed(client)
    fresh = reloaded(db, User, user.id)
    assert (fresh.role, fresh.supplier_id) == ("reviewer", None)
    assert redirect_path(their_browser.get("/company/")) == "/login"


def test_changing_to_supplier_needs_a_supplier(client, login_as, make, db):
    user = make.user(role="reviewer")
    db.session.commit()
    login_as("admin")

    response = _edit(client, user.id, role="supplier", supplier_id="0")

    assert response.status_code == 200
    assert tr("Choose the supplier the user belongs to") in text(response)
    assert 'value="supplier" checked' in markup(response)
    assert reloaded(db, User, user.id).role == "reviewer"


def test_changing_to_supplier_with_a_supplier(client, login_as, make, db):
    user = make.user(role="reviewer")
    supplier = make.supplier()
    db.session.commit()
    login_as("admin")

    _edit(client, user.id, role="supplier", supplier_id=str(supplier.id))

    fresh = reloaded(db, User, user.id)
    assert (fresh.role, fresh.supplier_id) == ("supplier", supplier.id)


def test_admin_cannot_remove_own_admin_role(client, login_as, db):
    me = login_as("admin")

    response = _edit(client, me.id, role="reviewer", supplier_id="0")

    assert response.status_code == 200
    assert tr("You cannot remove your own administrator role") in text(response)
    assert reloaded(db, User, me.id).role == "admin"


def test_deactivated_user_is_signed_out_and_keeps_what_they_wrote(app, client, login_as, make, db):
    supplier = make.supplier()
    user = make.user(role="supplier", supplier=supplier)
    manager = make.user(role="reviewer")
    agreement = make.agreement(suppliers=[supplier], contract_manager=manager)
    db.session.commit()
    their_browser = app.test_client()
    sign_in(their_browser, user.email)
    # The supplier user writes something: an invitation for a colleague.
    assert post(their_browser, "/company/invite", {"email": "kollega@example.no", "locale": "nb"},
                token_from="/company/invite").status_code == 302
    manager_browser = app.test_client()
    sign_in(manager_browser, manager.email)
    events_before = db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.actor_id == user.id))
    admin = login_as("admin")

    for target in (user, manager):
        response = post(client, f"/admin/users/{target.id}/deactivate",
                        token_from=f"/admin/users/{target.id}")
        assert response.status_code == 302
        assert location(response) == f"/admin/users/{target.id}"
        assert tr("%(email)s is deactivated and signed out everywhere.", email=target.email) in flashed(client)

    assert redirect_path(their_browser.get("/company/")) == "/login"
    assert redirect_path(manager_browser.get("/admin/agreements")) == "/login"
    assert sign_in(app.test_client(), user.email).status_code == 200
    db.session.expire_all()
    assert db.session.get(User, user.id) is not None
    assert not db.session.get(User, user.id).is_active
    colleague = db.session.scalar(select(User).where(User.email == "kollega@example.no"))
    assert colleague.invited_by_id == user.id
    assert db.session.get(Agreement, agreement.id).contract_manager_id == manager.id
    events_after = db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.actor_id == user.id))
    assert events_after == events_before > 0
    deactivated = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.deactivated",
                                                             AuditEvent.object_id == user.id))
    assert deactivated.actor_id == admin.id


def test_reactivated_user_can_sign_in_again(app, client, login_as, make, db):
    user = make.user(role="reviewer", is_active=False)
    db.session.commit()
    login_as("admin")

    response = post(client, f"/admin/users/{user.id}/activate", token_from=f"/admin/users/{user.id}")

    assert response.status_code == 302
    assert tr("%(email)s can sign in again.", email=user.email) in flashed(client)
    assert redirect_path(sign_in(app.test_client(), user.email)) == "/"


def test_admin_cannot_deactivate_themselves(client, login_as, db):
    me = login_as("admin")

    response = post(client, f"/admin/users/{me.id}/deactivate", token_from=f"/admin/users/{me.id}")

    assert response.status_code == 302
    assert tr("You cannot deactivate your own account.") in flashed(client)
    assert reloaded(db, User, me.id).is_active
    assert client.get("/admin/users").status_code == 200


def test_resend_invitation_to_a_pending_user(client, login_as, make, db, sent_mail):
    user = make.user(role="reviewer", password_hash=None, email="venter@example.no")
    db.session.commit()
    login_as("admin")

    response = post(client, f"/admin/users/{user.id}/resend", token_from=f"/admin/users/{user.id}")

    assert response.status_code == 302
    assert tr("A new invitation has been sent to %(email)s.", email="venter@example.no") in flashed(client)
    assert [m.to for m in sent_mail] == ["venter@example.no"]


def test_resend_invitation_to_an_active_user_sends_nothing(client, login_as, make, db, sent_mail):
    user = make.user(role="reviewer", email="aktiv@example.no")
    db.session.commit()
    login_as("admin")

    post(client, f"/admin/users/{user.id}/resend", token_from=f"/admin/users/{user.id}")

    assert tr("%(email)s has already accepted the invitation.", email="aktiv@example.no") in flashed(client)
    assert sent_mail == []


def test_invitation_form_without_a_supplier_field_asks_for_one(client, login_as, db, sent_mail):
    login_as("admin")

    response = post(client, "/admin/users/invite",
                    {"email": "ny@example.no", "role": "supplier", "locale": "nb"},
                    token_from="/admin/users/invite")

    assert response.status_code == 200
    assert tr("Choose the supplier the user belongs to") in text(response)
    assert sent_mail == []


def test_unknown_user_is_404(client, login_as):
    login_as("admin")

    assert client.get("/admin/users/999999").status_code == 404
    assert post(client, "/admin/users/999999/deactivate").status_code == 404


def test_reviewers_cannot_manage_users(client, login_as, make, db):
    user = make.user(role="supplier")
    db.session.commit()
    login_as("reviewer")

    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/users/invite").status_code == 403
    assert client.get(f"/admin/users/{user.id}").status_code == 403
    assert post(client, f"/admin/users/{user.id}/deactivate").status_code == 403
    assert post(client, f"/admin/users/{user.id}", {"role": "admin"}).status_code == 403
    fresh = reloaded(db, User, user.id)
    assert (fresh.role, fresh.is_active) == ("supplier", True)
