"""Background jobs: enqueued inside the transaction of the change, run after it commits.

One set of job functions, two ways to run them (setting ``JOBS_RUN``):

``worker`` (the default on PostgreSQL, production)
    :func:`enqueue` defers a procrastinate job through its SQL function
    ``procrastinate_defer_jobs_v1`` on the session's own connection, just before the
    commit: the job is rolled back with the change and becomes visible to the worker
    (``flask --app wsgi worker``, a separate process) only when the change commits.
    Failed jobs are retried with exponential backoff; jobs of a worker that died
    (SIGKILL, power loss) are handed back to the queue once its heartbeat stops;
    periodic jobs run once per tick however many workers run.
``inline`` (the default on SQLite: ``make run`` and the tests)
    The same job functions run in this process right after the commit, each in its
    own application context and database session. A failure is logged, never raised
    into the request, and the job is tried again (``JOBS_INLINE_ATTEMPTS`` in all,
    waiting ``JOBS_INLINE_BACKOFF_SECONDS`` doubled each time): a receipt whose first
    try met a locked SQLite database is still made. Nothing runs when the transaction
    rolls back; a job that fails every try stays failed (logged ``job_gave_up``).

procrastinate's SQLAlchemy connector supports only psycopg2, so the app's own
(psycopg 3) transaction calls the SQL function directly and the worker uses
procrastinate's PsycopgConnector.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any, TypeVar

import click
from flask import Flask, after_this_request, current_app, g, has_app_context, has_request_context
from flask import Response as FlaskResponse
from flask.cli import with_appcontext
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, SessionTransaction

from portal import logs
from portal.config import ConfigError
from portal.extensions import db

if TYPE_CHECKING:
    import procrastinate

log = logging.getLogger(__name__)

WORKER = "worker"
INLINE = "inline"
#: Modules whose import registers the job functions (the worker imports them all).
TASK_MODULES = ("portal.mail", "portal.responses.jobs", "portal.rounds.jobs", "portal.privacy.jobs",
                "portal.reports.publishing")
QUEUES = ("mail", "cron", "default")

F = TypeVar("F", bound=Callable[..., None])

_PENDING = "portal_jobs_pending"

# One statement defers any number of jobs: their rows go in as one JSON array.
DEFER_SQL = text(
    "SELECT procrastinate_defer_jobs_v1(ARRAY("
    " SELECT ROW(j.queue_name, j.task_name, 0, NULL, NULL, j.args, NULL)"
    "::procrastinate_job_to_defer_v1"
    " FROM jsonb_to_recordset(CAST(:jobs AS jsonb))"
    " AS j(queue_name varchar, task_name varchar, args jsonb)))"
)


@dataclass(frozen=True)
class Task:
    name: str
    func: Callable[..., None]
    queue: str
    #: For periodic tasks: the setting that holds the cron expression.
    cron_setting: str | None = None


_TASKS: dict[str, Task] = {}
_BY_FUNCTION: dict[Callable[..., None], Task] = {}


def task(name: str, *, queue: str = "default") -> Callable[[F], F]:
    """Register a job function under a stable name (the name is stored with each job)."""

    def register(func: F) -> F:
        _register(Task(name, func, queue))
        return func

    return register


def periodic(name: str, *, cron_setting: str, queue: str = "cron") -> Callable[[F], F]:
    """Register a job the worker runs on the cron schedule held in ``cron_setting``;
    it receives ``timestamp`` (the tick, in seconds since the epoch)."""

    def register(func: F) -> F:
        _register(Task(name, func, queue, cron_setting))
        return func

    return register


def _register(entry: Task) -> None:
    _TASKS[entry.name] = entry
    _BY_FUNCTION[entry.func] = entry


def registered() -> dict[str, Task]:
    for module in TASK_MODULES:
        import_module(module)
    return dict(_TASKS)


def enqueue(func: Callable[..., None], *, session: Session | None = None, **args: Any) -> None:
    """Run ``func(**args)`` once the current transaction of ``session`` (default: the
    request's) commits; forget it if the transaction rolls back. ``args`` must be JSON.

    The request id of the request that enqueued the job, when there is one in ``g``,
    travels with it as ``request_id`` so that the job's log lines carry it.
    """
    entry = _BY_FUNCTION[func]
    if has_app_context() and (request_id := g.get("request_id")):
        args.setdefault("request_id", str(request_id))
    json.dumps(args)  # fail in the request, not in the worker, on arguments JSON cannot carry
    session = session if session is not None else db.session()
    if not session.in_transaction():
        session.begin()
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((transaction, entry.name, args))


def mode(app: Flask | None = None) -> str:
    return str((app or current_app).config["JOBS_RUN"])


def _take_pending(session: Session) -> list[tuple[str, dict[str, Any]]]:
    pending = session.info.pop(_PENDING, [])
    return [(name, args) for _transaction, name, args in pending]


@event.listens_for(Session, "before_commit")
def _defer_with_the_transaction(session: Session) -> None:
    if session.in_nested_transaction() or not session.info.get(_PENDING):
        return
    if not has_app_context() or mode() != WORKER:
        return
    rows = [{"queue_name": _TASKS[name].queue, "task_name": name, "args": args}
            for name, args in _take_pending(session)]
    session.execute(DEFER_SQL, {"jobs": json.dumps(rows)})


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    if session.in_nested_transaction() or not session.info.get(_PENDING):
        return
    if not has_app_context() or mode() != INLINE:
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    pending = _take_pending(session)

    def run_all() -> None:
        for name, args in pending:
            run_inline(app, name, args)

    if has_request_context() and not getattr(g, "_jobs_after_response", None):
        # In a request, run once the response has been written: the user waits neither for
        # a mail server nor for a PDF, and the timing tells nothing (e.g. whether an
        # address has an account), as with a worker.
        g._jobs_after_response = [run_all]

        @after_this_request
        def _after_the_response(response: FlaskResponse) -> FlaskResponse:
            for batch in g.pop("_jobs_after_response", []):
                response.call_on_close(batch)
            return response

        return
    if has_request_context():
        g._jobs_after_response.append(run_all)
        return
    run_all()


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get(_PENDING)
    if pending:
        pending[:] = [item for item in pending if not _within(item[0], previous_transaction)]


@event.listens_for(Session, "after_transaction_end")
def _forget_at_the_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def _within(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


def run(app: Flask, name: str, args: dict[str, Any]) -> None:
    """Run one job in its own application context (so its own database session)."""
    entry = registered()[name]
    request_id = args.pop("request_id", None)
    # The job's log lines carry the id of the request that enqueued it (portal/logs.py).
    with app.app_context(), logs.bind_request_id(request_id) as request_id:
        g.request_id = request_id
        log.info("job_started task=%s request_id=%s", name, request_id)
        try:
            entry.func(**args)
        except Exception:
            db.session.rollback()
            raise
        log.info("job_done task=%s request_id=%s", name, request_id)


def run_inline(app: Flask, name: str, args: dict[str, Any]) -> None:
    """Run one job now, trying again after a failure as the worker would (fewer times,
    sooner: the process, not a queue, holds the job)."""
    attempts = max(1, int(app.config["JOBS_INLINE_ATTEMPTS"]))
    backoff = float(app.config["JOBS_INLINE_BACKOFF_SECONDS"])
    for attempt in range(1, attempts + 1):
        try:
            run(app, name, dict(args))
            return
        except Exception:
            log.exception("job_failed task=%s attempt=%s request_id=%s",
                          name, attempt, args.get("request_id"))
        if attempt < attempts:
            time.sleep(backoff * 2 ** (attempt - 1))
    log.error("job_gave_up task=%s attempts=%s request_id=%s",
              name, attempts, args.get("request_id"))


def init_app(app: Flask) -> None:
    uri = str(app.config["SQLALCHEMY_DATABASE_URI"])
    on_postgresql = uri.startswith("postgresql")
    if not app.config.get("JOBS_RUN"):
        app.config["JOBS_RUN"] = WORKER if on_postgresql else INLINE
    if app.config["JOBS_RUN"] not in (WORKER, INLINE):
        raise ConfigError(f"JOBS_RUN must be {WORKER!r} or {INLINE!r}")
    if app.config["JOBS_RUN"] == WORKER and not on_postgresql:
        raise ConfigError("JOBS_RUN=worker needs PostgreSQL (procrastinate keeps its queue there)")
    app.cli.add_command(worker_command)


def procrastinate_app(app: Flask) -> procrastinate.App:
    """The procrastinate app the worker runs: every registered job, the periodic ones on
    their cron settings, and a periodic job that hands back jobs of dead workers."""
    import procrastinate

    config = app.config
    url = make_url(str(config["SQLALCHEMY_DATABASE_URI"])).set(drivername="postgresql")
    connector = procrastinate.PsycopgConnector(
        conninfo=url.render_as_string(hide_password=False))
    papp = procrastinate.App(
        connector=connector,
        worker_defaults={
            "update_heartbeat_interval": float(config["JOBS_HEARTBEAT_SECONDS"]),
            "stalled_worker_timeout": float(config["JOBS_STALLED_SECONDS"]),
            # Finished jobs leave the queue table; the mail_delivery rows are the record.
            "delete_jobs": "successful",
        },
    )
    retry = procrastinate.RetryStrategy(
        max_attempts=int(config["JOBS_MAX_ATTEMPTS"]),
        exponential_wait=int(config["JOBS_BACKOFF_SECONDS"]),
    )
    for entry in registered().values():
        runner = _runner(app, entry.name)
        if entry.cron_setting is None:
            papp.task(name=entry.name, queue=entry.queue, retry=retry)(runner)
        else:
            papp.periodic(cron=str(config[entry.cron_setting]), periodic_id=entry.name)(
                papp.task(name=entry.name, queue=entry.queue, retry=retry)(runner))

    stalled_after = float(config["JOBS_STALLED_SECONDS"])

    async def retry_stalled_jobs(timestamp: int) -> None:
        for job in await papp.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
            log.warning("job_stalled_retried task=%s job_id=%s", job.task_name, job.id)
            await papp.job_manager.retry_job(job)

    papp.periodic(cron=str(config["JOBS_STALLED_CRON"]), periodic_id="retry_stalled_jobs")(
        papp.task(name="portal.retry_stalled_jobs", queue="cron",
                  queueing_lock="retry_stalled_jobs")(retry_stalled_jobs))
    return papp


def _runner(app: Flask, name: str) -> Callable[..., None]:
    def run_job(**args: Any) -> None:
        run(app, name, args)

    run_job.__name__ = name.rsplit(".", 1)[-1]
    return run_job


@click.command("worker")
@click.option("--queues", default=",".join(QUEUES), show_default=True,
              help="Comma-separated queues to take jobs from.")
@click.option("--concurrency", type=click.IntRange(min=1), default=2, show_default=True,
              help="Jobs run at the same time in this process.")
@with_appcontext
def worker_command(queues: str, concurrency: int) -> None:
    """Run background jobs (e-mail, the reminder tick) until stopped; start one or more
    beside the web servers. Needs PostgreSQL with the schema from `flask db upgrade`."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if mode(app) != WORKER:
        raise click.ClickException(
            "The worker needs PostgreSQL (JOBS_RUN=worker); with SQLite, jobs run in the web "
            "process after each commit.")
    if not logging.getLogger().handlers:
        # Until the app configures logging itself: job lines with a time, on stderr.
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s %(message)s")
    papp = procrastinate_app(app)
    names = [q.strip() for q in queues.split(",") if q.strip()]
    log.info("worker_started queues=%s concurrency=%s", names, concurrency)
    papp.run_worker(queues=names, concurrency=concurrency, install_signal_handlers=True)
