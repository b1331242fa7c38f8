"""The retention tick: a periodic job of the worker (``JOBS_RETENTION_CRON``, nightly by default).

Run twice, it finds nothing the second time: what it deletes is gone from the records in the
same commit, and the files go once that commit is through (``portal.storage.delete``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from portal import clock, jobs
from portal.extensions import db

log = logging.getLogger(__name__)


@jobs.periodic("portal.apply_retention", cron_setting="JOBS_RETENTION_CRON")
def apply_retention(timestamp: int) -> None:
    from portal.privacy import retention

    day = clock.day_of(datetime.fromtimestamp(timestamp, tz=UTC))
    deleted = retention.apply_retention(day)
    db.session.commit()
    counts = {kind: sum(1 for e in deleted if e.kind == kind) for kind in retention.KINDS}
    log.info("retention_tick timestamp=%s day=%s deleted=%s", timestamp, day, counts)
