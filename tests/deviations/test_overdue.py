"""Once a deviation's deadline has passed, the supplier is told once."""

from __future__ import annotations

from datetime import date, timedelta

from portal.deviations import services
from portal.deviations.notify import send_deviation_overdue_notices
from portal.models import AuditEvent, Deviation
from tests.auth.helpers import link_in
from tests.deviations.helpers import make_deviation

TODAY = date(2025, 6, 1)


def test_each_overdue_deviation_is_notified_once_in_each_users_language(db, make, sent_mail):
    supplier = make.supplier()
    norwegian = make.user(role="supplier", supplier=supplier, locale="nb")
    english = make.user(role="supplier", supplier=supplier, locale="en")
    late = make_deviation(db, supplier, deadline=TODAY - timedelta(days=1), status="IN_PROGRESS")
    make_deviation(db, supplier, deadline=TODAY, status="IN_PROGRESS")  # due today: not yet
    make_deviation(db, supplier, deadline=TODAY - timedelta(days=5), status="CLOSED_OK")
    make_deviation(db, supplier, deadline=TODAY - timedelta(days=5), is_proposed=True)
    make_deviation(db, supplier, deadline=None)

    assert send_deviation_overdue_notices(TODAY, after_batch=db.session.commit) == 2
    assert send_deviation_overdue_notices(TODAY, after_batch=db.session.commit) == 0

    by_to = {m.to: m for m in sent_mail}
    assert set(by_to) == {norwegian.email, english.email}
    assert 'lang="nb"' in by_to[norwegian.email].html
    assert "Hei" in by_to[norwegian.email].text
    assert "Deadline passed" in by_to[english.email].subject
    assert "31 May 2025" in by_to[english.email].text
    assert "31. mai 2025" in by_to[norwegian.email].text
    assert link_in(by_to[english.email]) == f"/deviations/{late.id}"
    db.session.expire_all()
    assert db.session.get(Deviation, late.id).overdue_notified_at is not None
    assert db.session.query(AuditEvent).filter_by(action="deviation.overdue_notified").count() == 1


def test_a_new_deadline_earns_a_new_notice_when_it_passes(db, make, sent_mail):
    supplier = make.supplier()
    make.user(role="supplier", supplier=supplier)
    reviewer = make.user(role="reviewer")
    deviation = make_deviation(db, supplier, deadline=TODAY - timedelta(days=1),
                               status="AWAITING_CAP")
    send_deviation_overdue_notices(TODAY)
    db.session.commit()

    services.update_deviation(deviation, {"deadline": TODAY + timedelta(days=10)}, actor=reviewer)
    db.session.commit()
    assert send_deviation_overdue_notices(TODAY) == 0
    assert send_deviation_overdue_notices(TODAY + timedelta(days=11)) == 1
    db.session.commit()  # the notices go out once the markers are committed
    assert len(sent_mail) == 2
