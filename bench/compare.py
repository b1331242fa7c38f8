"""Time report requests with the code of two or more checkouts, in turn (see bench/README.md).

    git worktree add ../aktsom-before HEAD~3
    .venv/bin/python bench/compare.py ../aktsom-before . \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/aktsom_bench

On a shared machine the speed moves by half within minutes, so two benchmark runs made
one after the other compare the machine as much as the code. This runs each checkout in
a fresh process for a few requests, then the next one, round after round, on the data
``report_bench.py`` left in the database (run that once first), and prints each
checkout's median and minimum. It prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from report_bench import PASSWORD, REVIEWER, app_config, default_database_url  # noqa: E402

# Run in a child process with the checkout's code first on the path: signs in as the
# benchmark's reviewer, warms up, then prints the times of N requests as a JSON list.
CHILD = """
import json, sys, time
checkout, config, path, requests, email, password = sys.argv[1:7]
config, requests = json.loads(config), int(requests)
sys.path.insert(0, checkout)
import portal
if not portal.__file__.startswith(checkout):
    raise SystemExit(f"portal was imported from {portal.__file__}, not from {checkout}")
app = portal.create_app(config)
client = app.test_client()
with app.app_context():
    login = client.post("/login", data={"email": email, "password": password})
if login.status_code != 302:
    raise SystemExit(f"sign-in failed: HTTP {login.status_code} (run report_bench.py first)")
warm = client.get(path)
if warm.status_code != 200:
    raise SystemExit(f"{path}: HTTP {warm.status_code}")
times = []
for _ in range(requests):
    started = time.perf_counter()
    client.get(path).get_data()
    times.append((time.perf_counter() - started) * 1000)
print(json.dumps(times))
"""

DEFAULT_PATHS = ("/reports?year={year}", "/reports?year={year}&view=grouped",
                 "/reports/{year}.json")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkouts", nargs="+", type=Path,
                        help="folders holding a checkout of the portal (e.g. git worktrees)")
    parser.add_argument("--database-url", default=default_database_url(),
                        help="the database report_bench.py filled (default: as report_bench.py)")
    parser.add_argument("--year", type=int, help="the report's year (default: last year)")
    parser.add_argument("--path", action="append", dest="paths",
                        help="a request to time, {year} filled in (repeatable; default: the page, "
                             "the grouped page and the JSON)")
    parser.add_argument("--rounds", type=int, default=5, help="turns of every checkout")
    parser.add_argument("--requests", type=int, default=5,
                        help="timed requests per checkout and turn, after one warm-up")
    return parser.parse_args()


def run(checkout: Path, config: dict[str, object], path: str, requests: int) -> list[float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(checkout), json.dumps(config), path, str(requests),
         REVIEWER, PASSWORD],
        capture_output=True, text=True, check=False,
    )
    if done.returncode:
        raise SystemExit(f"{checkout}: {done.stderr.strip().splitlines()[-1]}")
    return [float(t) for t in json.loads(done.stdout)]


def main() -> None:
    from datetime import date

    args = parse_args()
    checkouts = [c.resolve() for c in args.checkouts]
    for checkout in checkouts:
        if not (checkout / "portal" / "__init__.py").is_file():
            raise SystemExit(f"{checkout}: not a checkout of the portal")
    year = args.year or date.today().year - 1
    config = app_config(args.database_url, Path(tempfile.mkdtemp(prefix="aktsom-compare-")))
    width = max(len(str(c)) for c in checkouts)
    print(f"year {year}; per checkout and request: {args.rounds} turns of {args.requests} "
          "requests, each turn in a fresh process after one warm-up")
    for template in args.paths or DEFAULT_PATHS:
        path = template.format(year=year)
        times: dict[Path, list[float]] = {c: [] for c in checkouts}
        for _ in range(args.rounds):
            for checkout in checkouts:
                times[checkout] += run(checkout, config, path, args.requests)
        print(f"\n{path}")
        for checkout in checkouts:
            t = times[checkout]
            print(f"  {str(checkout):<{width}}  median {statistics.median(t):6.0f} ms"
                  f"  min {min(t):6.0f} ms  ({len(t)} requests)")


if __name__ == "__main__":
    main()
