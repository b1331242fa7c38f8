"""Load and fault benchmark: gunicorn (4 sync workers) on PostgreSQL, driven from another process.

    .venv/bin/python bench/load_bench.py [--seconds 60] [--faults [all|kill,drop,pg,mail]]

Prints figures; it is not a test and asserts nothing except that its own setup worked.
All traffic goes to 127.0.0.1, every loop is bounded in time. See bench/load_README.md.

Steps: (re)create the database ``aktsom_load`` (its own database on the local server, or
``--database``; the schema is dropped and recreated each run), migrate, seed demo data plus
N supplier companies with one user and one open response each and M reviewers; serve it with
gunicorn on a free loopback port, with a job worker and a real SMTP server beside it; run
bench/_load_driver.py (gevent + locust's FastHttpSession) for a
login storm, a paced phase (people with think time: the latency targets), a saturation
phase (no think time: capacity) and a /healthz ceiling phase; then check that every save
that was acknowledged with 302 is in the database. ``--faults`` adds a SIGKILL of gunicorn
workers in the middle of saves, the app's database connections terminated, a PostgreSQL
restart, and the mail server down while suppliers submit (then every mail counted at the
SMTP server once the worker has drained).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import platform
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import _load_setup as setup  # noqa: E402

from tests.components import cluster  # noqa: E402  (haproxy, the job worker)
from tests.components.smtp import SmtpServer  # noqa: E402  (aiosmtpd, can be stopped and started)

ROOT = setup.ROOT
VENV_BIN = ROOT / ".venv" / "bin"
CLK_TCK = os.sysconf("SC_CLK_TCK")
SAVE_P95_TARGET_MS = 150.0
SATURATION_SHARE_TARGET = 0.15  # saves at saturation, as a share of the /healthz ceiling of the same run
LIMITER_REDIS = "redis://127.0.0.1:6379/9"
PAGE_KINDS = ("section", "inbox", "reports")
KIND_LABEL = {"save": "POST save (section B)", "section": "GET section page", "inbox": "GET /review (inbox)",
              "reports": "GET /reports?year=2024", "healthz": "GET /healthz", "login": "POST /login",
              "login page": "GET /login", "company": "GET /company/", "submit page": "GET submit page",
              "submit": "POST submit (declaration)", "response": "GET response (submitted)"}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError):
        return 0.0


def pg_backends() -> list[int]:
    """PostgreSQL backend processes serving the benchmark's database."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cmd.startswith("postgres: ") and f" {setup.DB_NAME} " in cmd:
            pids.append(int(entry))
    return pids


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / CLK_TCK


def background_load(seconds: float = 3.0, own: set[int] | None = None) -> tuple[float, list[str]]:
    """Share of the machine's cores busy with other work, and the busiest other processes."""
    own = own or set()

    def per_process() -> dict[int, tuple[float, str]]:
        out = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) not in own:
                try:
                    with open(f"/proc/{entry}/cmdline", "rb") as f:
                        cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
                except OSError:
                    continue
                out[int(entry)] = (cpu_seconds(int(entry)), cmd)
        return out

    a, b0 = per_process(), machine_busy()
    time.sleep(seconds)
    c, b1 = per_process(), machine_busy()
    busiest = sorted(((c[p][0] - a[p][0], c[p][1]) for p in c if p in a), reverse=True)
    names = [f"{cmd[:70]} ({100 * used / seconds:.0f}%)" for used, cmd in busiest[:4]
             if used / seconds > 0.05]
    return (b1 - b0) / seconds / (os.cpu_count() or 1), names


def memory_of(pid: int) -> dict[str, int]:
    """VmRSS, RssAnon, RssFile (status) and Pss (smaps_rollup), in KiB."""
    out: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                    out[key] = int(rest.split()[0])
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    out["Pss"] = int(line.split()[1])
    except OSError:
        pass
    return out


class Server:
    """gunicorn wsgi:app, 4 sync workers, a free loopback port, no control socket."""

    def __init__(self, env: dict[str, str], workers: int, out: Path, nice: int = 0, name: str = "gunicorn") -> None:
        self.port = cluster.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = out / f"{name}.log"
        cmd = [str(VENV_BIN / "gunicorn"), "wsgi:app", "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
               "--timeout", "60", "--no-control-socket", "--error-logfile", str(self.log_path),
               "--log-level", "info"]
        # the app's own log (unhandled errors) goes here
        self.stderr_path = out / ("app-stderr.log" if name == "gunicorn" else f"{name}-app-stderr.log")
        with open(self.stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=stderr, stderr=stderr,
                                         start_new_session=True, preexec_fn=_niceness(nice))
        self.workers = workers

    def wait_ready(self, timeout: float = 90) -> None:
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}); see {self.log_path}")
            if len(self.worker_pids()) >= self.workers and probe(self.url + "/healthz") == 200:
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready after {timeout} s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        return children(self.proc.pid)

    def master_pids(self) -> list[int]:
        return [self.proc.pid]

    def masters_alive(self) -> str:
        return f"gunicorn master {self.proc.pid} {'alive' if self.proc.poll() is None else 'DEAD'}"

    def balancer_pids(self) -> list[int]:
        return []

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


class Balanced:
    """N gunicorn servers (the same settings as ``Server``) behind Debian's haproxy, round robin.

    The servers share the benchmark's PostgreSQL database and a Redis database for the
    limiter, as production's app servers do (README "Production"; haproxy is started by
    tests/components/cluster.py, as in the two-server test). The load goes to the balancer's URL only.
    """

    def __init__(self, env: dict[str, str], servers: int, workers: int, out: Path, nice: int = 0) -> None:
        self.servers = [Server(env, workers, out, nice=nice, name=f"gunicorn-{chr(97 + i)}") for i in range(servers)]
        self.workers = workers * servers
        self.port = cluster.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The same haproxy configuration as the two-server component test (one copy, there).
        self.proc = cluster.start_haproxy([server.url for server in self.servers], out, self.port,
                                          maxconn=1024, start_new_session=True,
                                          preexec_fn=_niceness(nice))
        self.log_path = out / "haproxy.log"

    def wait_ready(self, timeout: float = 90) -> None:
        for server in self.servers:
            server.wait_ready(timeout)
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"haproxy exited ({self.proc.returncode}); see {self.log_path}")
            # Round robin: as many answers in a row as there are servers have reached each one.
            if all(probe(self.url + "/healthz") == 200 for _ in self.servers):
                return
            time.sleep(0.2)
        raise RuntimeError(f"haproxy not ready after {timeout} s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        return [pid for server in self.servers for pid in server.worker_pids()]

    def master_pids(self) -> list[int]:
        return [server.proc.pid for server in self.servers]

    def masters_alive(self) -> str:
        return "; ".join(server.masters_alive() for server in self.servers) + \
            f"; haproxy {self.proc.pid} {'alive' if self.proc.poll() is None else 'DEAD'}"

    def balancer_pids(self) -> list[int]:
        return [self.proc.pid]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for server in self.servers:
            server.stop()


def _niceness(nice: int) -> Any:
    """preexec_fn giving a child (and what it forks) priority over other work on the machine."""
    if not nice:
        return None

    def apply() -> None:
        os.setpriority(os.PRIO_PROCESS, 0, -nice)
        _autogroup(os.getpid(), nice)

    return apply


def _autogroup(pid: int, nice: int) -> None:
    """With sched_autogroup, nice counts only inside a session: raise the session's own share."""
    with contextlib.suppress(OSError), open(f"/proc/{pid}/autogroup", "w") as f:
        f.write(str(-nice))


def renice(pids: list[int], nice: int, autogroup: bool = True) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, pid, -nice)
        if autogroup:
            _autogroup(pid, nice)


def probe(url: str, timeout: float = 2.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - loopback only
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)
    except Exception:  # noqa: BLE001
        return 0


# ---------------------------------------------------------------- PostgreSQL restart


def pg_cluster() -> tuple[str, str]:
    versions = sorted(os.listdir("/etc/postgresql"))
    return versions[-1], "main"


def pg_is_online() -> bool:
    version, name = pg_cluster()
    out = subprocess.run(["pg_lsclusters", "--no-header", version, name], capture_output=True,
                         text=True, check=False).stdout
    return "online" in out


def pg_ensure_running() -> None:
    """Whatever happened, leave the shared PostgreSQL server running."""
    if pg_is_online():
        return
    version, name = pg_cluster()
    log("PostgreSQL is not running: starting it again")
    subprocess.run(["pg_ctlcluster", version, name, "start"], check=False)
    for _ in range(50):
        if pg_is_online():
            return
        time.sleep(0.2)
    log(f"WARNING: PostgreSQL did not come back; run: pg_ctlcluster {version} {name} start")


def other_pg_clients() -> list[str]:
    """Connections to other databases on the shared server (someone's tests are running)."""
    with setup.connect("postgres") as conn:
        rows = conn.execute(
            "SELECT datname, count(*) FROM pg_stat_activity WHERE datname IS NOT NULL "
            "AND datname <> %s AND pid <> pg_backend_pid() GROUP BY datname",
            (setup.DB_NAME,),
        ).fetchall()
    return [f"{name} ({n})" for name, n in rows]


def pg_restart() -> tuple[float, float, int]:
    """Restart the cluster (fast shutdown); returns (start, end, exit code)."""
    version, name = pg_cluster()
    start = time.time()
    try:
        rc = subprocess.run(["pg_ctlcluster", version, name, "restart"], check=False,
                            capture_output=True, timeout=60).returncode
    finally:
        pg_ensure_running()
    return start, time.time(), rc


# ---------------------------------------------------------------- the driver


class JobWorker:
    """``flask --app wsgi worker`` beside the app servers, started by tests/components/cluster.py
    as the component tests start it; started again (and said so) if a fault run killed it."""

    def __init__(self, env: dict[str, str], out: Path) -> None:
        self.env, self.out = env, out
        self.stack = contextlib.ExitStack()
        self.started = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.started += 1
        self.proc = self.stack.enter_context(cluster.worker(self.env, self.out / f"worker-{self.started}.log"))

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def pids(self) -> list[int]:
        return [self.proc.pid] if self.proc is not None and self.alive() else []

    def stop(self) -> None:
        self.stack.close()


class CpuMeter:
    """CPU seconds used by the gunicorn workers, the database backends, the job worker and
    the load generator."""

    def __init__(self, server: Server | Balanced, driver_pid: int, jobs: JobWorker | None = None) -> None:
        self.server, self.driver_pid, self.jobs = server, driver_pid, jobs
        self.snapshots: dict[str, dict[str, float]] = {}

    def take(self, label: str) -> None:
        workers = self.server.worker_pids()
        self.snapshots[label] = {
            "time": time.time(),
            "workers": sum(cpu_seconds(p) for p in workers + self.server.master_pids()),
            "balancer": sum(cpu_seconds(p) for p in self.server.balancer_pids()),
            "postgres": sum(cpu_seconds(p) for p in pg_backends()),
            "driver": cpu_seconds(self.driver_pid),
            "jobs": sum(cpu_seconds(p) for p in (self.jobs.pids() if self.jobs else [])),
            "machine": machine_busy(),
        }

    def between(self, a: str, b: str) -> dict[str, float] | None:
        if a not in self.snapshots or b not in self.snapshots:
            return None
        x, y = self.snapshots[a], self.snapshots[b]
        return {k: y[k] - x[k] for k in x}


def run_driver(plan: dict[str, Any], out: Path, tag: str, server: Server | Balanced,
               on_phase: dict[str, Any] | None = None, nice: int = 0,
               jobs: JobWorker | None = None) -> tuple[dict[str, Any], CpuMeter]:
    plan_path, result_path = out / f"plan-{tag}.json", out / f"result-{tag}.json"
    plan_path.write_text(json.dumps(plan), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(Path(__file__).parent / "_load_driver.py"),
                             str(plan_path), str(result_path)], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True, preexec_fn=_niceness(nice))
    meter = CpuMeter(server, proc.pid, jobs)
    threads = []
    budget = 180 + sum(float(p["seconds"]) + 60 for p in plan["phases"])
    killer = threading.Timer(budget, proc.kill)
    killer.start()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            parts = line.split()
            if len(parts) == 4 and parts[0] == "PHASE":
                _, name, what, _t = parts
                if nice and what == "START":
                    renice(server.worker_pids() + (jobs.pids() if jobs else []), nice)
                    # PostgreSQL's session is shared with other people's databases: nice only.
                    renice(pg_backends(), nice, autogroup=False)
                meter.take(f"{name} {what}")
                if what == "START" and on_phase and name in on_phase:
                    th = threading.Thread(target=on_phase[name], daemon=True)
                    th.start()
                    threads.append(th)
                if what == "START":
                    log(f"phase {name} started")
        proc.wait()
    finally:
        killer.cancel()
        if proc.poll() is None:
            proc.kill()
        for th in threads:
            th.join(timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"load driver failed with exit code {proc.returncode}")
    return json.loads(result_path.read_text(encoding="utf-8")), meter


# ---------------------------------------------------------------- figures


def pct(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = max(0, math.ceil(p / 100 * len(sorted_values)) - 1)
    return sorted_values[k]


def stats(rows: list[list[Any]], phase: str, kinds: tuple[str, ...], window: float) -> dict[str, Any]:
    selected = [r for r in rows if r[0] == phase and r[1] in kinds]
    times = sorted(r[3] for r in selected)
    errors = [r for r in selected if r[5]]
    return {"count": len(selected), "p50": pct(times, 50), "p95": pct(times, 95), "p99": pct(times, 99),
            "max": times[-1] if times else float("nan"),
            "rps": len(selected) / window if window > 0 else float("nan"), "errors": len(errors)}


def phase_window(result: dict[str, Any], phase: str) -> float:
    p = result["phases"][phase]
    return p["deadline"] - p["start"]


def table(result: dict[str, Any], phase: str, kinds: list[str], extra_all: bool = True) -> list[str]:
    window = phase_window(result, phase)
    lines = [f"  {'request':<26}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"
             f"{'req/s':>9}{'errors':>8}"]
    groups = [(KIND_LABEL.get(k, k), (k,)) for k in kinds]
    if extra_all:
        groups.append(("all pages (sections+inbox+reports)", PAGE_KINDS))
        groups.append(("all requests", tuple(kinds)))
    for label, ks in groups:
        s = stats(result["rows"], phase, ks, window)
        if not s["count"]:
            continue
        lines.append(f"  {label[:26]:<26}{s['count']:>7}{s['p50']:>9.1f}{s['p95']:>9.1f}{s['p99']:>9.1f}"
                     f"{s['max']:>9.1f}{s['rps']:>9.1f}{s['errors']:>8}")
    return lines


def durability(result: dict[str, Any]) -> dict[str, Any]:
    """Every save answered 302 must be in the database: per (response, question) the stored value
    is the last acknowledged one, or one sent after it whose answer was lost (it may have been
    committed before the connection died: that is not a loss)."""
    per_key: dict[tuple[int, str], list[tuple[str, Any]]] = defaultdict(list)
    acknowledged = 0
    for _user, rid, _t, outcome, value, _error in result["saves"]:
        if outcome == "ack":
            acknowledged += 1
        for qid, v in value.items():
            per_key[(rid, qid)].append((outcome, v))
    ids = sorted({k[0] for k in per_key})
    stored = setup.read_answers(ids)
    # The audit event is written in the same transaction as the answer: it proves a commit.
    audited = setup.read_audited_changes(ids)
    ack_audited = failed_but_committed = failed = 0
    for _user, rid, _t, outcome, value, _error in result["saves"]:
        committed = all((rid, q, json.dumps(v, sort_keys=True)) in audited for q, v in value.items())
        if outcome == "ack":
            ack_audited += committed
        else:
            failed += 1
            failed_but_committed += committed
    checked = ok = later_unacked = 0
    missing: list[str] = []
    for key, attempts in per_key.items():
        last_ack = max((i for i, (o, _v) in enumerate(attempts) if o == "ack"), default=None)
        if last_ack is None:
            continue
        checked += 1
        value = stored.get(key)
        expected = attempts[last_ack][1]
        if value == expected:
            ok += 1
        elif any(value == v for _o, v in attempts[last_ack + 1:]):
            later_unacked += 1
        else:
            missing.append(f"response {key[0]} {key[1]}: expected {expected!r}, stored {value!r}")
    return {"acknowledged": acknowledged, "keys_checked": checked, "ok": ok,
            "ack_audited": ack_audited, "failed": failed, "failed_but_committed": failed_but_committed,
            "later_unacknowledged": later_unacked, "missing": missing,
            "attempts": len(result["saves"])}


def durability_lines(d: dict[str, Any]) -> list[str]:
    lines = [f"  saves sent {d['attempts']}, acknowledged with 302: {d['acknowledged']}; "
             f"(response, question) pairs checked against the database: {d['keys_checked']}",
             f"  last acknowledged value stored: {d['ok']}; a later save whose answer never arrived "
             f"(committed, not acknowledged): {d['later_unacknowledged']}; MISSING: {len(d['missing'])}"]
    lines += [f"    MISSING {m}" for m in d["missing"][:20]]
    lines.append(f"  audit log (same transaction as the answer): {d['ack_audited']} of {d['acknowledged']} "
                 f"acknowledged saves were committed; of {d['failed']} saves the user saw fail, "
                 f"{d['failed_but_committed']} had in fact been committed")
    ok = not d["missing"] and d["ack_audited"] == d["acknowledged"]
    lines.append(f"  durability: {'PASS' if ok else 'FAIL'}")
    return lines


def cpu_lines(meter: CpuMeter, result: dict[str, Any], phase: str) -> list[str]:
    c = meter.between(f"{phase} START", f"{phase} END")
    if not c:
        return []
    n = sum(1 for r in result["rows"] if r[0] == phase)
    wall, cores = c["time"], os.cpu_count() or 1
    other = max(0.0, c["machine"] - c["workers"] - c["postgres"] - c["driver"] - c["balancer"] - c["jobs"])
    warning = []
    if other > 0.1 * cores * wall:
        warning = [f"  WARNING: other work on the machine took {other / wall / cores:.0%} of the CPU in this "
                   "phase: these figures are worse than the app's own; rerun on a quiet machine"]
    return warning + [f"  CPU over {wall:.1f} s ({cores} cores = {cores * wall:.0f} cpu-s): gunicorn {c['workers']:.1f} "
            f"cpu-s ({1000 * c['workers'] / max(n, 1):.1f} ms per request), PostgreSQL backends "
            f"{c['postgres']:.1f} ({1000 * c['postgres'] / max(n, 1):.1f} ms/req), load generator "
            f"{c['driver']:.1f} ({1000 * c['driver'] / max(n, 1):.1f} ms/req), "
            + (f"haproxy {c['balancer']:.1f} ({1000 * c['balancer'] / max(n, 1):.1f} ms/req), "
               if c["balancer"] else "")
            + f"job worker {c['jobs']:.1f}, "
            + "everything else on the "
            f"machine {other:.1f} cpu-s; idle {max(0.0, cores * wall - c['machine']):.1f} cpu-s"]


def login_lines(result: dict[str, Any]) -> list[str]:
    rows = [r for r in result["rows"] if r[0] == "login" and r[1] == "login"]
    if not rows:
        return []
    times = sorted(r[3] for r in rows)
    p = result["phases"]["login"]
    errors = sum(1 for r in rows if r[5])
    return [f"  login storm: {len(rows)} users log in at once: POST /login p50 {pct(times, 50):.0f} ms, "
            f"p95 {pct(times, 95):.0f} ms, max {times[-1]:.0f} ms; all logged in after "
            f"{p['end'] - p['start']:.1f} s; errors {errors}; failed users {len(result['failed_logins'])}"]


def race_summary(races: list[dict[str, Any]], response_id: int) -> dict[str, Any]:
    """Judge the concurrent-save rounds: one 302 + one 409 is right; two 302s lose a save."""
    outcome: Counter[str] = Counter()
    examples: dict[str, str] = {}
    last: dict[str, dict[str, Any]] = {}
    for r in races:
        if "statuses" not in r:
            outcome[f"{r.get('what', '?')}: not run ({r.get('error')})"] += 1
            continue
        st = sorted(r["statuses"])
        if st == [302, 409]:
            verdict = "one saved, the other told of the conflict (409): right"
        elif st == [302, 302]:
            verdict = "BOTH acknowledged (302): one acknowledged save silently overwritten"
        else:
            errs = "; ".join(e for e in r["errors"] if e)
            verdict = f"statuses {st}: {errs}"
        key = f"{r['what']} (base revisions {'/'.join(x or 'none' for x in r['base_revisions'])}" \
              f"): {verdict}" if r["what"] == "create" else f"{r['what']}: {verdict}"
        outcome[key] += 1
        examples.setdefault(key, r["question"])
        last[r["question"]] = r
    stored = setup.read_answers([response_id])
    lost = 0
    for qid, r in last.items():
        value = (stored.get((response_id, qid)) or {})
        acked = [v for v, st in zip(r["values"], r["statuses"], strict=True) if st == 302]
        if acked and not any(v in value.values() for v in acked[-1:]) and len(acked) == 1:
            lost += 1
    creates = sum(1 for r in races if r.get("what") == "create")
    changes = sum(1 for r in races if r.get("what") == "change")
    lines = [f"  {creates} unanswered questions created by both at once, then {changes} changes of one "
             "answer by both from the same revision:"]
    lines += [f"    {n:>3} × {k}" for k, n in sorted(outcome.items(), key=lambda x: -x[1])]
    if lost:
        lines.append(f"    the single acknowledged value is not the stored one for {lost} question(s)")
    bad = any("BOTH" in k or "statuses" in k or "not run" in k for k in outcome) or lost
    return {"lines": lines, "ok": not bad}


# ---------------------------------------------------------------- fault analysis


def classify(error: str) -> str:
    if error.startswith("no HTTP response"):
        return error.split(":")[0] + ")"
    return error


def fault_lines(result: dict[str, Any], phase: str, events: list[dict[str, Any]],
                health: list[tuple[float, float, int]]) -> list[str]:
    """Errors per fault, what the user saw, and how long until requests succeed again.

    A request belongs to the latest fault that began before it ended. Recovery: the first
    request that started after the fault (and after that fault's last failure) and succeeded.
    """
    rows = [r for r in result["rows"] if r[0] == phase]
    start = result["phases"][phase]["start"]
    times = [ev["t"] for ev in events]

    def owner(r: list[Any]) -> int:
        end = r[2] + r[3] / 1000
        return max((i for i, t in enumerate(times) if t <= end), default=-1)

    before = [r for r in rows if r[5] and owner(r) == -1]
    lines = [f"  requests {len(rows)}, errors {sum(1 for r in rows if r[5])} "
             f"(before the first fault: {len(before)})"]
    for i, ev in enumerate(events):
        t0 = ev["t"]
        mine = [r for r in rows if owner(r) == i]
        failed = [r for r in mine if r[5]]
        desc = f"  {ev['what']} at +{t0 - start:.1f} s"
        if ev.get("detail"):
            desc += f" ({ev['detail']})"
        lines.append(desc)
        settled = max([t0] + [r[2] + r[3] / 1000 for r in failed])
        after = sorted((r for r in mine if r[2] >= settled), key=lambda r: r[2])
        ok_after = [r for r in after if not r[5]]
        if ok_after:
            first = ok_after[0]
            recovered = (f"requests sent from +{first[2] - t0:.2f} s on succeed (the first answered "
                         f"at +{first[2] + first[3] / 1000 - t0:.2f} s; {len(ok_after)} successes, "
                         f"{len(after) - len(ok_after)} failures after it)")
        else:
            recovered = "NO request succeeded afterwards within the phase"
        if failed:
            lines.append(f"    failed requests {len(failed)} (saves {sum(1 for r in failed if r[1] == 'save')})"
                         f", the last one ended +{settled - t0:.2f} s after the fault; {recovered}")
            seen = Counter(f"{KIND_LABEL.get(r[1], r[1])}: {classify(r[5])}" for r in failed)
            for what, n in seen.most_common(8):
                lines.append(f"      {n:>4} × {what}")
        else:
            lines.append(f"    no request failed; {recovered}")
        if ev.get("replaced") is not None:
            lines.append(f"    gunicorn forked a replacement worker after {ev['replaced']:.2f} s")
        t_next = times[i + 1] if i + 1 < len(times) else float("inf")
        hs = [(t, ms, code) for t, ms, code in health if t0 <= t < t_next]
        bad = [(t, code) for t, _ms, code in hs if code != 200]
        if bad:
            last_bad = max(t for t, _c in bad)
            good_after = [t + ms / 1000 for t, ms, code in hs if code == 200 and t > last_bad]
            again = f"+{min(good_after) - t0:.2f} s" if good_after else "not within the phase"
            lines.append(f"    /healthz probe every 0.2 s: {len(bad)} of {len(hs)} not 200 "
                         f"(codes {dict(Counter(c for _t, c in bad))}; 0 = no answer in 10 s); "
                         f"200 again at {again}")
        elif hs:
            lines.append(f"    /healthz probe every 0.2 s: all {len(hs)} answered 200 (slowest "
                         f"{max(ms for _t, ms, _c in hs):.0f} ms)")
    return lines


class HealthProbe:
    """Polls /healthz every 0.2 s during a fault phase (a monitor's view)."""

    def __init__(self, url: str) -> None:
        self.url, self.samples = url, []  # type: ignore[var-annotated]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stop.is_set():
            t = time.time()
            code = probe(self.url, timeout=10.0)
            self.samples.append((t, (time.time() - t) * 1000, code))
            self.stop.wait(0.2)


# ---------------------------------------------------------------- the mail fault


def plan_submits(suppliers: list[dict[str, Any]], seconds: float) -> list[dict[str, Any]]:
    """The suppliers of a run, those with a filled-in response given a moment to submit at."""
    out = [dict(u) for u in suppliers]
    ready = [u for u in out if u.get("submit") and not u.get("submitted")]
    lo, hi = SUBMIT_SPREAD
    moments = [seconds * (lo + (hi - lo) * i / max(len(ready) - 1, 1)) for i in range(len(ready))]
    random.shuffle(moments)
    for user, at in zip(ready, moments, strict=True):
        user["submit_at"] = round(at, 2)
    return out


def refused_tries() -> int:
    """Mails of which at least one try has failed so far."""
    with setup.connect() as conn:
        return int(conn.execute("SELECT count(*) FROM mail_delivery WHERE attempts > 1 "
                                "OR (attempts = 1 AND sent_at IS NULL)").fetchone()[0])


def mail_state(response_ids: list[int]) -> tuple[dict[str, int], list[tuple[Any, ...]]]:
    """Jobs still queued (receipts and mail) and the delivery rows of these responses' submits."""
    with setup.connect() as conn:
        jobs = dict(conn.execute(
            "SELECT status, count(*) FROM procrastinate_jobs WHERE queue_name IN ('mail', 'default') "
            "GROUP BY status").fetchall())
        rows = conn.execute(
            "SELECT id, event_key, recipient, sent_at, attempts FROM mail_delivery "
            "WHERE event_key LIKE ANY(%s) ORDER BY id",
            ([f"response:{rid}:submission:%" for rid in response_ids],)).fetchall()
    return jobs, rows


def wait_for_mail(response_ids: list[int], limit: float) -> tuple[float, dict[str, int], list[tuple[Any, ...]]]:
    """Until the worker has made every receipt and sent every mail (or ``limit`` s passed)."""
    start = time.time()
    said = start
    while True:
        jobs, rows = mail_state(response_ids)
        pending = jobs.get("todo", 0) + jobs.get("doing", 0)
        receipts = sum(1 for r in rows if r[1].endswith(":receipt"))
        unsent = sum(1 for r in rows if r[3] is None)
        if (not pending and not unsent and receipts >= len(response_ids)) or time.time() - start > limit:
            return time.time() - start, jobs, rows
        if time.time() - said > 10:
            log(f"waiting for the job worker: {pending} jobs queued, {receipts} of {len(response_ids)} "
                f"receipts made, {unsent} mails not sent yet")
            said = time.time()
        time.sleep(1)


def mail_lines(result: dict[str, Any], phase: str, plan: dict[str, Any], events: list[dict[str, Any]],
               smtp: SmtpServer, drain_limit: float) -> list[str]:
    """Submits during the outage, then every expected mail counted at the SMTP server.

    Expected: for each acknowledged submit, the receipt to the supplier who submitted and the
    notice to the reviewer(s) (``mail_delivery`` rows by event ``response:<id>:submission:<n>:
    receipt|to_review``). A message is identified at the server by its Message-ID (the
    delivery row's, the same on every try) and its recipient.
    """
    submits = result["submits"]
    acked = [x for x in submits if x[3] == "ack"]
    failed = [x for x in submits if x[3] == "fail"]
    down = next((e["t"] for e in events if "stopped" in e["what"]), None)
    up = next((e["t"] for e in events if "again" in e["what"]), None)
    during = sum(1 for x in acked if down is not None and up is not None and down <= x[2] < up)
    planned = [u for u in plan["suppliers"] if u.get("submit_at") is not None]
    times = sorted(r[3] for r in result["rows"] if r[0] == phase and r[1] == "submit")
    pages = sorted(r[3] for r in result["rows"] if r[0] == phase and r[1] == "submit page")
    lines = ["", f"Submits while the mail server was down for a stretch ({len(planned)} suppliers with a "
             "filled-in response submit once each, at moments spread over the run):"]
    lines.append(f"  submits attempted {len(acked) + len(failed)}, acknowledged (302 to the response) "
                 f"{len(acked)}, failed {len(failed)}; {during} of the acknowledged while the SMTP "
                 "server was down")
    if times:
        lines.append(f"  POST submit (declaration): p50 {pct(times, 50):.0f} ms, p95 {pct(times, 95):.0f} ms, "
                     f"max {times[-1]:.0f} ms; GET submit page: p50 {pct(pages, 50):.0f} ms, "
                     f"p95 {pct(pages, 95):.0f} ms")
    for what, n in Counter(x[4] for x in failed).most_common(5):
        lines.append(f"    {n} × {what}")

    log(f"waiting (at most {drain_limit:.0f} s) for the job worker to make the receipts and send the mail")
    waited, jobs, rows = wait_for_mail([x[1] for x in acked], drain_limit)
    email_of = {u["response_id"]: u["email"] for u in plan["suppliers"]}
    received = Counter((str(m["Message-ID"]), str(m["To"])) for m in smtp.messages)
    by_key = {(str(m["Message-ID"]), str(m["To"])): m for m in smtp.messages}
    expected_keys: set[tuple[str, str]] = set()
    once = doubled = missing = wrong_recipient = with_pdf = receipts = 0
    for _user, rid, _t, _o, _e in acked:
        for kind in ("receipt", "to_review"):
            mine = [r for r in rows if r[1].startswith(f"response:{rid}:submission:") and r[1].endswith(f":{kind}")]
            if not mine:
                missing += 1  # never even recorded: the receipt job did not run
                continue
            for delivery_id, _event, recipient, _sent, _attempts in mine:
                key = (f"<delivery-{delivery_id}@aktsom.local>", recipient)
                expected_keys.add(key)
                n = received[key]
                once += n == 1
                doubled += n > 1
                missing += n == 0
                if kind == "receipt":
                    receipts += 1
                    wrong_recipient += recipient != email_of.get(rid)
                    message = by_key.get(key)
                    if message is not None and any(part.get_content_type() == "application/pdf"
                                                   for part in message.iter_attachments()):
                        with_pdf += 1
    expected = once + doubled + missing
    others = sum(n for key, n in received.items() if key not in expected_keys)
    sent_at = [r[3].timestamp() for r in rows if r[3] is not None]
    attempts = sum(r[4] for r in rows)
    retried = sum(1 for r in rows if r[4] > 1)
    pending = jobs.get("todo", 0) + jobs.get("doing", 0)
    lines.append(f"  job worker: drained {waited:.0f} s after the load ended (jobs left {pending}, jobs that "
                 f"gave up {jobs.get('failed', 0)}); the last mail went out "
                 + (f"{max(sent_at) - up:.1f} s after the SMTP server came back" if sent_at and up else "—"))
    lines.append(f"  expected mails: {expected} ({receipts} receipts to the supplier who submitted, "
                 f"{expected - receipts} notices to the reviewer) for {len(acked)} submits; {len(rows)} "
                 f"delivery rows, {attempts} SMTP tries in all, {retried} mails needed more than one try")
    lines.append(f"  delivered once: {once} of {expected}, doubled: {doubled}, missing: {missing}")
    lines.append(f"  receipts with their PDF attached: {with_pdf} of {receipts}; receipts to someone else than "
                 f"the submitter: {wrong_recipient}; other messages at the server: {others}")
    if len(acked) < len(planned):
        lines.append(f"  {len(planned) - len(acked)} of the {len(planned)} suppliers were still busy with "
                     "another action when the run ended and did not get to submit")
    lines += ["  Targets:",
              f"    zero failed submits: {len(failed)} failed of {len(acked) + len(failed)} attempted  "
              f"{'PASS' if acked and not failed else 'FAIL'}",
              f"    every submit answers in < {SUBMIT_P95_TARGET_MS / 1000:.0f} s (p95 of POST submit): "
              f"{pct(times, 95):.0f} ms  {'PASS' if times and pct(times, 95) < SUBMIT_P95_TARGET_MS else 'FAIL'}",
              f"    every mail delivered once when the server is back: "
              f"{'PASS' if expected and once == expected and not others else 'FAIL'}"]
    return lines


# ---------------------------------------------------------------- main


def machine_lines(pg_version: str) -> list[str]:
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = {}
    for pkg in ("gunicorn", "locust", "SQLAlchemy", "psycopg", "argon2-cffi", "Flask"):
        try:
            from importlib.metadata import version

            versions[pkg] = version(pkg)
        except Exception:  # noqa: BLE001
            versions[pkg] = "?"
    return [f"  machine: {os.cpu_count()} cores ({cpu}), {mem_kib / 1024 / 1024:.1f} GiB RAM, "
            f"{platform.system()} {platform.release()}",
            f"  Python {platform.python_version()}, PostgreSQL {pg_version}, "
            + ", ".join(f"{k} {v}" for k, v in versions.items())]


BENCH_LOGIN_LIMIT = "100000 per minute"


def cluster_env(env: dict[str, str]) -> dict[str, str]:
    """Settings of production's app servers behind a balancer (README "Production"): the limiter
    in a Redis database that both servers share, the balancer trusted for the client address."""
    import redis

    redis.Redis.from_url(LIMITER_REDIS).flushdb()
    return dict(env, PORTAL_RATELIMIT_ENABLED="true", PORTAL_RATELIMIT_STORAGE_URI=LIMITER_REDIS,
                PORTAL_TRUSTED_PROXIES="1", PORTAL_LOGIN_LIMIT_PER_ADDRESS=BENCH_LOGIN_LIMIT)


def job_retries() -> tuple[int, int]:
    """The worker's retry settings as production has them (the bench does not change them)."""
    from portal.config import defaults

    d = defaults(ROOT / "instance")
    return int(d["JOBS_MAX_ATTEMPTS"]), int(d["JOBS_BACKOFF_SECONDS"])


def haproxy_version() -> str:
    out = subprocess.run([cluster.haproxy_path(), "-v"], capture_output=True, text=True, check=False).stdout
    return " ".join(out.split()[:3]) if out else "haproxy"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="paced phase length (default 60)")
    parser.add_argument("--saturation-seconds", type=float, default=20)
    parser.add_argument("--ceiling-seconds", type=float, default=20)
    parser.add_argument("--think", default="0.5,2.0", help="paced think time range in s (default 0.5,2.0)")
    parser.add_argument("--suppliers", type=int, default=50)
    parser.add_argument("--reviewers", type=int, default=5)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers per server (default 4)")
    parser.add_argument("--servers", type=int, default=1,
                        help="gunicorn servers; 2 or more run behind haproxy, sharing the database and "
                        f"Redis ({LIMITER_REDIS}) for the limiter, and the load goes through the balancer")
    parser.add_argument("--faults", nargs="?", const="all", metavar="all|kill,drop,pg,mail",
                        help="also run fault runs: kill (SIGKILL workers), drop (terminate the app's "
                        "database connections; harmless to other databases), pg (restart PostgreSQL: "
                        "other databases on the server see it too), mail (the SMTP server is down "
                        "for a stretch while suppliers submit), all (the four)")
    parser.add_argument("--submitters", type=int, default=20,
                        help="suppliers whose responses are filled in and who submit in the mail fault "
                        "run (default 20)")
    parser.add_argument("--mail-drain", type=float, default=300, metavar="SECONDS",
                        help="after the mail fault run, wait up to this long for the job worker to "
                        "deliver every mail (default 300)")
    parser.add_argument("--database", default=os.environ.get("LOAD_BENCH_DATABASE", setup.DB_NAME),
                        help="the benchmark's own PostgreSQL database; its schema is dropped and "
                        f"recreated (default {setup.DB_NAME}, or LOAD_BENCH_DATABASE)")
    parser.add_argument("--only-faults", action="store_true", help="skip the measurement phases")
    parser.add_argument("--fault-seconds", type=float, default=30)
    parser.add_argument("--pg-wait", type=float, default=300, metavar="SECONDS",
                        help="wait up to this long for other databases' clients to go before restarting")
    parser.add_argument("--fault-think", default="0.5,2.0", help="think time during fault runs")
    parser.add_argument("--nice", type=int, default=0, metavar="N",
                        help="run gunicorn, the job worker, their database backends and the load generator at nice -N: "
                        "on a shared busy machine this approximates a quiet one (takes CPU from the rest)")
    parser.add_argument("--race-rounds", type=int, default=20,
                        help="concurrent saves of one answer by two colleagues (conflict check)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                        help="wait up to this long for other work on the machine to stop first")
    args = parser.parse_args()
    fault_kinds = fault_kinds_of(args.faults)
    setup.use_database(args.database)
    think = [float(x) for x in args.think.split(",")]
    fault_think = [float(x) for x in args.fault_think.split(",")]
    random.seed(args.seed)

    out = ROOT / "bench" / "out" / "load" / time.strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    instance = out / "instance"
    env = setup.app_env(instance)
    report: list[str] = []

    def say(lines: list[str] | str) -> None:
        for line in [lines] if isinstance(lines, str) else lines:
            report.append(line)
            print(line, flush=True)

    def _term(_sig: int, _frame: Any) -> None:
        raise SystemExit(f"stopped by signal {_sig}")

    signal.signal(signal.SIGTERM, _term)
    # aiosmtpd logs every SMTP command at INFO once the app has configured logging here.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    if args.nice:
        os.setpriority(os.PRIO_PROCESS, 0, -args.nice)  # inherited by everything started from here
        _autogroup(os.getpid(), args.nice)
    server: Server | Balanced | None = None
    jobs: JobWorker | None = None
    smtp = SmtpServer()
    try:
        pg_version = setup.server_version()
        log(f"recreating database {setup.DB_NAME} and migrating")
        setup.recreate_database()
        setup.migrate(env)
        log(f"seeding demo data + {args.suppliers} suppliers + {args.reviewers} reviewers")
        submitters = min(args.submitters, args.suppliers) if "mail" in fault_kinds else 0
        seeded = setup.seed(env, args.suppliers, args.reviewers, submitters)
        log(f"seeded in {seeded.seconds:.1f} s")

        waited_until = time.time() + args.wait_quiet
        while True:
            busy, names = background_load(3.0, own={os.getpid()})
            if busy < 0.15 or time.time() >= waited_until:
                break
            log(f"machine busy with other work ({busy:.0%} of all cores: {'; '.join(names)}); waiting")
            time.sleep(20)
        log("measuring the password check")
        argon = setup.argon2_costs(env)
        # Production's moving parts beside the app servers: a mail server and the job worker.
        smtp.start()
        env = dict(env, PORTAL_SMTP_HOST="127.0.0.1", PORTAL_SMTP_PORT=str(smtp.port),
                   PORTAL_SMTP_STARTTLS="false")
        jobs = JobWorker(env, out)
        if args.servers > 1:
            server = Balanced(cluster_env(env), args.servers, args.workers, out, nice=args.nice)
        else:
            server = Server(env, args.workers, out, nice=args.nice)
        server.wait_ready()
        log(f"ready at {server.url} (workers {server.worker_pids()})")
        base_plan = {"base_url": server.url, "password": seeded.password, "suppliers": seeded.suppliers,
                     "reviewers": seeded.reviewers, "report_year": 2024, "seed": args.seed,
                     "race": seeded.race}

        say("")
        say("Aktsom load benchmark (bench/load_bench.py)")
        say(machine_lines(pg_version))
        argon_text = (f"argon2id t={argon['params']['t']} m={argon['params']['m_kib'] // 1024} MiB "
                      f"p={argon['params']['p']}")
        if isinstance(server, Balanced):
            say(f"  servers: {args.servers} × gunicorn wsgi:app -w {args.workers} (sync) --timeout 60 "
                f"--no-control-socket ({', '.join(s.url for s in server.servers)}) behind haproxy "
                f"(round robin, {haproxy_version()}) on {server.url}; all load goes through the balancer; "
                f"database {setup.DB_NAME} shared; limiter on, in Redis {LIMITER_REDIS} (shared; the "
                f"sign-in limit raised to {BENCH_LOGIN_LIMIT}: every client is 127.0.0.1); {argon_text}")
        else:
            say(f"  server: gunicorn wsgi:app -w {args.workers} (sync) --timeout 60 --no-control-socket on "
                f"{server.url}; database {setup.DB_NAME}; rate limiter off; {argon_text}")
        tries, backoff = job_retries()
        say(f"  beside it: one job worker (flask --app wsgi worker, concurrency 2, the default retries: "
            f"{tries} tries, waiting {backoff}^n s before try n), mail to a real SMTP server "
            f"(aiosmtpd, tests/components/smtp.py) on 127.0.0.1:{smtp.port}")
        if args.nice:
            say(f"  priority: gunicorn, the job worker, their PostgreSQL backends and the load generator at nice -{args.nice} "
                "(other work on the machine only gets the CPU they leave)")
        say(f"  other work on the machine just before the run: {busy:.0%} of all cores"
            + (f" ({'; '.join(names)})" if names else ""))
        say(f"  load: {args.suppliers} suppliers + {args.reviewers} reviewers, each its own cookie jar, from "
            "one gevent process (locust FastHttpSession) on the SAME 2 cores as server and database")

        if not args.only_faults:
            plan = dict(base_plan, phases=[
                {"name": "warmup", "seconds": 5, "think": think},
                {"name": "paced", "seconds": args.seconds, "think": think},
                {"name": "saturation", "seconds": args.saturation_seconds, "think": [0, 0]},
                {"name": "saves", "seconds": args.saturation_seconds, "think": [0, 0], "kind": "saves"},
                {"name": "ceiling", "seconds": args.ceiling_seconds, "kind": "ceiling",
                 "concurrency": args.suppliers + args.reviewers},
                {"name": "race", "seconds": 0, "kind": "race", "rounds": args.race_rounds},
            ])
            result, meter = run_driver(plan, out, "main", server, nice=args.nice, jobs=jobs)
            memory = {pid: memory_of(pid) for pid in server.worker_pids()}
            log("checking durability")
            dur = durability(result)
            kinds = ["save", "section", "inbox", "reports"]
            say("")
            say(login_lines(result))
            say("")
            say(f"Paced phase: people with think time {think[0]}–{think[1]} s between actions, "
                f"{phase_window(result, 'paced'):.0f} s (the targets are judged here)")
            say(table(result, "paced", kinds))
            say(cpu_lines(meter, result, "paced"))
            say("")
            say(f"Saturation phase: the same users with no think time, "
                f"{phase_window(result, 'saturation'):.0f} s (capacity)")
            say(table(result, "saturation", kinds))
            say(cpu_lines(meter, result, "saturation"))
            say("")
            say(f"Saves alone: the suppliers save B4 one after the other, no page read between two "
                f"saves and no reviewers, {phase_window(result, 'saves'):.0f} s (the save's own capacity)")
            say(table(result, "saves", ["save", "section"]))
            say(cpu_lines(meter, result, "saves"))
            say("")
            say(f"Ceiling phase: /healthz (one SELECT 1), {args.suppliers + args.reviewers} concurrent "
                f"clients, no think time, {phase_window(result, 'ceiling'):.0f} s")
            say(table(result, "ceiling", ["healthz"], extra_all=False))
            say(cpu_lines(meter, result, "ceiling"))
            ceiling = stats(result["rows"], "ceiling", ("healthz",), phase_window(result, "ceiling"))
            sat_w = phase_window(result, "saturation")
            sat_save = stats(result["rows"], "saturation", ("save",), sat_w)
            sat_pages = stats(result["rows"], "saturation", PAGE_KINDS, sat_w)
            sat_all = stats(result["rows"], "saturation", tuple(kinds), sat_w)
            alone = stats(result["rows"], "saves", ("save",), phase_window(result, "saves"))
            say("")
            through = " through the balancer" if isinstance(server, Balanced) else ""
            say(f"Throughput at saturation as a share of the /healthz ceiling{through} ({ceiling['rps']:.0f} req/s): "
                f"saves {sat_save['rps']:.0f} req/s = {sat_save['rps'] / ceiling['rps']:.1%}, pages "
                f"{sat_pages['rps']:.0f} req/s = {sat_pages['rps'] / ceiling['rps']:.1%}, all "
                f"{sat_all['rps']:.0f} req/s = {sat_all['rps'] / ceiling['rps']:.1%}; saves alone "
                f"{alone['rps']:.0f} req/s = {alone['rps'] / ceiling['rps']:.1%}")
            say("")
            say("Resident memory of each gunicorn worker after the run (KiB; Pss shares libraries fairly):")
            for pid, m in sorted(memory.items()):
                say(f"  worker {pid}: VmRSS {m.get('VmRSS', 0):>7} (peak {m.get('VmHWM', 0):>7}), "
                    f"RssAnon {m.get('RssAnon', 0):>7}, RssFile {m.get('RssFile', 0):>6}, "
                    f"Pss {m.get('Pss', 0):>7}")
            master = memory_of(server.proc.pid)
            say(f"  master {server.proc.pid}: VmRSS {master.get('VmRSS', 0)}")
            say("")
            med = argon["median_s"]
            say(f"Password check (portal.passwords.verify_password, argon2id t={argon['params']['t']} "
                f"m={argon['params']['m_kib']} KiB p={argon['params']['p']}): median of 20 = "
                f"{med * 1000:.1f} ms (min {argon['min_s'] * 1000:.1f}, max {argon['max_s'] * 1000:.1f}) "
                f"-> at most {1 / med:.0f} logins/s per core, {2 / med:.0f}/s on this machine's 2 cores "
                "if nothing else ran")
            for name, s in argon["profiles"]:
                say(f"  {name:<38} {s * 1000:6.1f} ms  ({1 / s:5.0f}/s per core)")
            say("")
            say("Durability (every save acknowledged with 302 is in the database):")
            say(durability_lines(dur))
            paced_save = stats(result["rows"], "paced", ("save",), phase_window(result, "paced"))
            errors_all = sum(1 for r in result["rows"] if r[5] and r[0] in ("paced", "saturation", "saves",
                                                                               "ceiling", "login"))
            say("")
            say("Two colleagues press Save on the same answer at the same moment (conflict check):")
            race = race_summary(result.get("races", []), seeded.race["response_id"])
            say(race["lines"])
            say("")
            say("Targets:")
            say(f"  p95 of a save <= {SAVE_P95_TARGET_MS:.0f} ms (paced): {paced_save['p95']:.1f} ms  "
                f"{'PASS' if paced_save['p95'] <= SAVE_P95_TARGET_MS else 'FAIL'}")
            share = sat_save["rps"] / ceiling["rps"] if ceiling["rps"] else float("nan")
            say(f"  saves at saturation >= {SATURATION_SHARE_TARGET:.0%} of the /healthz ceiling of this run: "
                f"{sat_save['rps']:.1f} of {ceiling['rps']:.0f} req/s = {share:.1%}  "
                f"{'PASS' if share >= SATURATION_SHARE_TARGET else 'FAIL'}")
            say(f"  saves alone at saturation (for information; the target is judged on the mix above): "
                f"{alone['rps']:.1f} req/s = {alone['rps'] / ceiling['rps']:.1%} of the ceiling")
            say(f"  p95 of a save at saturation (for information): {sat_save['p95']:.1f} ms  "
                f"{'PASS' if sat_save['p95'] <= SAVE_P95_TARGET_MS else 'FAIL'}")
            say(f"  zero errors (login, paced, saturation, saves alone, ceiling): {errors_all}  "
                f"{'PASS' if errors_all == 0 else 'FAIL'}")
            stored_ok = not dur["missing"] and dur["ack_audited"] == dur["acknowledged"]
            say(f"  every acknowledged save stored: {'PASS' if stored_ok else 'FAIL'}")
            say(f"  concurrent saves of one answer: no 500, no silent overwrite: "
                f"{'PASS' if race['ok'] else 'FAIL'}")
            if errors_all:
                seen = Counter(f"{r[0]} {KIND_LABEL.get(r[1], r[1])}: {classify(r[5])}"
                               for r in result["rows"]
                               if r[5] and r[0] in ("paced", "saturation", "ceiling", "login"))
                for what, n in seen.most_common(10):
                    say(f"    {n} × {what}")

        if not args.only_faults:
            log("profiling one save and one section page in-process")
            say("")
            say("Server-side cost, in-process, one client, no HTTP and no queueing (median of 30):")
            try:
                prof = setup.profile_requests(env, seeded.suppliers[0]["email"],
                                              seeded.suppliers[0]["response_id"])
            except Exception as exc:  # noqa: BLE001 - e.g. a template being edited right now
                prof = {}
                say(f"  could not profile: {type(exc).__name__}: {exc}")
            for name, p in prof.items():
                say(f"  {name:<12} {p['wall_ms']:6.1f} ms wall: {p['sql_ms']:5.1f} ms in "
                    f"{p['statements']:.0f} SQL statements (incl. round trips"
                    + (f"; {p['after_commit']:.0f} of them after the commit" if p["after_commit"] else "")
                    + f"), {p['render_ms']:5.1f} ms rendering templates, "
                    f"{p['wall_ms'] - p['sql_ms'] - p['render_ms']:5.1f} ms other Python (Flask, session, "
                    "ORM, forms)")

        if fault_kinds:
            assert jobs is not None
            run_faults(args, fault_kinds, base_plan, server, out, say, fault_think, jobs, smtp)
    finally:
        if jobs is not None:
            jobs.stop()
        smtp.stop()
        if server is not None:
            server.stop()
        pg_ensure_running()
        if args.nice:
            _autogroup(os.getpid(), 0)  # the session may be the caller's shell: give its share back
        (out / "report.txt").write_text("\n".join(report) + "\n", encoding="utf-8")
        log(f"report and raw results in {out}")
    return 0


FAULT_KINDS = ("kill", "drop", "pg", "mail")
# The mail fault: the SMTP server is down from 15 % to 75 % of the run (longer if no mail has
# been tried by then); the suppliers who submit do so at moments spread over 5–85 % of it.
MAIL_DOWN = (0.15, 0.75)
SUBMIT_SPREAD = (0.05, 0.85)
SUBMIT_P95_TARGET_MS = 1000.0


def fault_kinds_of(faults: str | None) -> tuple[str, ...]:
    if not faults:
        return ()
    kinds = FAULT_KINDS if faults == "all" else tuple(k.strip() for k in faults.split(",") if k.strip())
    unknown = set(kinds) - set(FAULT_KINDS)
    if unknown:
        raise SystemExit(f"unknown fault kind(s): {', '.join(sorted(unknown))}")
    return kinds


class Fault:
    """One fault run: SIGKILL gunicorn workers in the middle of saves, terminate the app's
    database connections, restart PostgreSQL, or stop the mail server for a stretch."""

    def __init__(self, kind: str, server: Server | Balanced, seconds: float,
                 smtp: SmtpServer | None = None) -> None:
        self.kind, self.server, self.seconds, self.smtp = kind, server, seconds, smtp
        self.events: list[dict[str, Any]] = []
        self.probe = HealthProbe(server.url + "/healthz")
        self.started = 0.0
        self.others: list[str] = []

    def at(self, offset: float) -> None:
        time.sleep(max(0.0, offset - (time.time() - self.started)))

    def begin(self) -> None:
        """Called when the driver's fault phase starts (the users are logged in and working)."""
        self.started = time.time()
        self.probe.thread.start()
        if self.kind == "kill":
            for share in (0.2, 0.45, 0.7):
                self.at(self.seconds * share)
                self.kill_one()
        elif self.kind == "drop":
            for share in (0.2, 0.45, 0.7):
                self.at(self.seconds * share)
                t = time.time()
                with setup.connect("postgres") as conn:
                    n = conn.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                     "WHERE datname = %s AND pid <> pg_backend_pid()",
                                     (setup.DB_NAME,)).fetchone()[0]
                self.events.append({"what": "pg_terminate_backend on every connection to "
                                    f"{setup.DB_NAME}", "t": t, "detail": f"{n} connections"})
        elif self.kind == "mail":
            assert self.smtp is not None
            self.at(self.seconds * MAIL_DOWN[0])
            t = time.time()
            self.smtp.stop()
            self.events.append({"what": "SMTP server stopped (connections refused)", "t": t})
            self.at(self.seconds * MAIL_DOWN[1])
            # On a busy machine the worker may not have tried any mail yet (it makes the
            # receipts first): the server stays down until a try has been refused, at most
            # until a minute after the load ends.
            refused = refused_tries()
            while not refused and time.time() - self.started < self.seconds + 60:
                time.sleep(0.5)
                refused = refused_tries()
            t = time.time()
            self.smtp.start()
            self.events.append({"what": "SMTP server started again", "t": t,
                                "detail": f"down {t - self.events[-1]['t']:.1f} s; {refused} mails had "
                                "a try refused by then"})
        else:
            self.at(self.seconds * 0.3)
            t0, t1, rc = pg_restart()
            self.events.append({"what": "pg_ctlcluster restart (fast shutdown)", "t": t0,
                                "detail": f"the command took {t1 - t0:.2f} s, exit code {rc}; other "
                                f"databases connected just before: {', '.join(self.others) or 'none'}"})

    def kill_one(self) -> None:
        before = set(self.server.worker_pids())
        if not before:
            return
        victim = random.choice(sorted(before))
        t = time.time()
        os.kill(victim, signal.SIGKILL)
        event: dict[str, Any] = {"what": f"SIGKILL worker {victim}", "t": t, "replaced": None}
        self.events.append(event)
        while time.time() - t < 15:
            if set(self.server.worker_pids()) - before:
                event["replaced"] = time.time() - t
                break
            time.sleep(0.02)


def run_faults(args: argparse.Namespace, kinds: tuple[str, ...], base_plan: dict[str, Any],
               server: Server | Balanced, out: Path, say: Any, think: list[float], jobs: JobWorker,
               smtp: SmtpServer) -> None:
    for kind in kinds:
        name = f"fault-{kind}"
        fault = Fault(kind, server, args.fault_seconds, smtp)
        phase: dict[str, Any] = {"name": name, "seconds": args.fault_seconds, "think": think}
        plan = dict(base_plan, phases=[phase], error_pause=0.5)
        if kind == "mail":
            phase["submit"] = True
            plan["suppliers"] = plan_submits(base_plan["suppliers"], args.fault_seconds)
            smtp.handler.reset()
            if not jobs.alive():
                say(f"  (the job worker had exited with code {jobs.proc.returncode if jobs.proc else '?'} "
                    "in an earlier fault run; started again for this one)")
                jobs.start()
        if kind == "pg":
            # Others run their tests on the same server: wait (bounded) until none is connected.
            until = time.time() + args.pg_wait
            while (others := other_pg_clients()) and time.time() < until:
                log(f"other databases in use ({', '.join(others)}); waiting before the restart")
                time.sleep(10)
            fault.others = others
        try:
            result, meter = run_driver(plan, out, name, server, on_phase={name: fault.begin},
                                       nice=args.nice, jobs=jobs)
        finally:
            fault.probe.stop.set()
            pg_ensure_running()
            if kind == "mail":
                smtp.start()  # whatever happened, the mail server works again for the drain
        dur = durability(result)
        say("")
        say(f"Fault run '{kind}': {len(plan['suppliers'])} suppliers + {len(plan['reviewers'])} reviewers, "
            f"think {think[0]}–{think[1]} s, {args.fault_seconds:.0f} s; a client that meets an error "
            "waits 0.5 s and goes on (a person reading the error page)")
        say(login_lines(result))
        kinds_shown = ["save", "section", "inbox", "reports"]
        if kind == "mail":
            kinds_shown += ["submit page", "submit", "response"]
        say(table(result, name, kinds_shown))
        say(cpu_lines(meter, result, name))
        say(fault_lines(result, name, fault.events, fault.probe.samples))
        say(f"  workers now: {server.worker_pids()} ({server.masters_alive()}); job worker "
            f"{'alive' if jobs.alive() else 'EXITED'}")
        say(durability_lines(dur))
        if kind == "mail":
            say(mail_lines(result, name, plan, fault.events, smtp, args.mail_drain))
            # Who submitted can no longer save: later runs let them only read their response.
            done = {s[1] for s in result["submits"] if s[3] in ("ack", "already")}
            for user in base_plan["suppliers"]:
                if user["response_id"] in done:
                    user["submitted"] = True


if __name__ == "__main__":
    raise SystemExit(main())
