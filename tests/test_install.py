"""The fresh-machine step of `make install`: .ci/debian-packages with fake dpkg-query, id, apt-get.

The script runs for real (bash), with a PATH whose first folder holds stand-ins that read
what is "installed" and who "we" are from files, and log how apt-get was called.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / ".ci" / "debian-packages"
NEEDED = [
    "build-essential",
    "libpango-1.0-0",
    "libpangoft2-1.0-0",
    "libharfbuzz-subset0",
    "fonts-dejavu-core",
    "gettext",
]
CI_EXTRA = ["chromium", "libreoffice-calc-nogui", "poppler-utils", "haproxy", "faketime",
            "postgresql-client"]
# The machine's Redis counts as present by its binary (it may have no dpkg record).
if not shutil.which("redis-server", path="/usr/bin:/bin"):
    CI_EXTRA.append("redis-server")

FAKE_DPKG_QUERY = """#!/bin/sh
# dpkg-query -W -f=FORMAT PACKAGE: the status of PACKAGE; dpkg-query -S FILE: its package.
if [ "$1" = "-S" ]; then
  grep -qxF "$2" "$FAKE/debian-files" && echo "python3.11-minimal: $2" && exit 0
  echo "dpkg-query: no path found matching pattern $2" >&2
  exit 1
fi
for package; do :; done
if grep -qxF "$package" "$FAKE/installed"; then
  printf 'install ok installed'
else
  echo "dpkg-query: no packages found matching $package" >&2
  exit 1
fi
"""
FAKE_ID = """#!/bin/sh
[ "$1" = "-u" ] && cat "$FAKE/uid"
"""
FAKE_APT_GET = """#!/bin/sh
echo "$*" >> "$FAKE/apt-get.log"
exit "$(cat "$FAKE/apt-get.status")"
"""
# A Python without ensurepip, as Debian's is until its -venv package is installed.
FAKE_DEBIAN_PYTHON = """#!/bin/sh
case "$*" in
  *"import ensurepip"*) exit 1 ;;
  *) echo python3.11-venv ;;
esac
"""


@dataclass
class Machine:
    folder: Path
    bin: Path

    def installed(self, packages: list[str]) -> None:
        (self.folder / "installed").write_text("".join(f"{p}\n" for p in packages))

    def as_root(self, root: bool) -> None:
        (self.folder / "uid").write_text("0\n" if root else "1000\n")

    def apt_get_exits(self, status: int) -> None:
        (self.folder / "apt-get.status").write_text(f"{status}\n")

    def apt_get_calls(self) -> list[list[str]]:
        log = self.folder / "apt-get.log"
        return [line.split() for line in log.read_text().splitlines()] if log.exists() else []

    def debian_python(self) -> str:
        """A python3.11 that Debian installed, without its -venv package."""
        python = self.bin / "python3.11"
        python.write_text(FAKE_DEBIAN_PYTHON)
        python.chmod(0o755)
        (self.folder / "debian-files").write_text(f"{python}\n")
        return str(python)

    def run(self, *args: str, python: str = sys.executable) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": f"{self.bin}:/usr/bin:/bin",
            "FAKE": str(self.folder),
            "PYTHON": python,
            "HOME": str(self.folder),
        }
        return subprocess.run(
            ["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60,
            check=False,
        )


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in (("dpkg-query", FAKE_DPKG_QUERY), ("id", FAKE_ID), ("apt-get", FAKE_APT_GET)):
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    (tmp_path / "debian-files").write_text("")
    fake = Machine(tmp_path, bin_dir)
    fake.installed(NEEDED)
    fake.as_root(False)
    fake.apt_get_exits(0)
    return fake


def _line_in(stderr: str) -> list[str]:
    """The words of the apt-get line the message names."""
    lines = [line for line in stderr.splitlines() if "apt-get install" in line]
    assert len(lines) == 1, stderr
    words = shlex.split(lines[0])
    return words[words.index("apt-get"):]


def test_everything_installed_does_nothing(machine: Machine) -> None:
    result = machine.run()

    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", "")
    assert machine.apt_get_calls() == []


def test_missing_packages_without_root_stop_with_the_apt_get_line(machine: Machine) -> None:
    missing = ["libharfbuzz-subset0", "gettext"]
    machine.installed([p for p in NEEDED if p not in missing])

    result = machine.run()

    assert result.returncode == 1
    assert _line_in(result.stderr) == ["apt-get", "install", "--no-install-recommends", *missing]
    assert result.stdout == ""
    assert machine.apt_get_calls() == []


def test_missing_packages_as_root_are_installed(machine: Machine) -> None:
    missing = ["libpango-1.0-0", "fonts-dejavu-core"]
    machine.installed([p for p in NEEDED if p not in missing])
    machine.as_root(True)

    result = machine.run()

    assert result.returncode == 0, result.stderr
    calls = machine.apt_get_calls()
    assert len(calls) == 1
    assert calls[0][0] == "install"
    assert "--no-install-recommends" in calls[0]
    assert [word for word in calls[0] if not word.startswith("-")] == ["install", *missing]


def test_ci_adds_what_the_browser_and_export_tests_need(machine: Machine) -> None:
    result = machine.run("--ci")

    assert result.returncode == 1
    assert _line_in(result.stderr) == ["apt-get", "install", "--no-install-recommends", *CI_EXTRA]


def test_a_failed_install_as_root_updates_the_lists_then_names_the_line(machine: Machine) -> None:
    machine.installed([p for p in NEEDED if p != "gettext"])
    machine.as_root(True)
    machine.apt_get_exits(100)

    result = machine.run()

    assert result.returncode == 1
    assert [call[0] for call in machine.apt_get_calls()] == ["install", "update"]
    assert "apt-get update && apt-get install --no-install-recommends gettext" in result.stderr


def test_debian_python_without_venv_support_needs_its_venv_package(machine: Machine) -> None:
    python = machine.debian_python()

    result = machine.run(python=python)

    assert result.returncode == 1
    assert _line_in(result.stderr) == [
        "apt-get", "install", "--no-install-recommends", "python3.11-venv",
    ]


def test_a_python_of_its_own_is_left_alone_even_without_ensurepip(machine: Machine) -> None:
    python = machine.debian_python()
    (machine.folder / "debian-files").write_text("")  # not installed by Debian (pyenv, a build)

    result = machine.run(python=python)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("target", "then"),
    [("install", "pip install"), (".venv/.installed", "pip install"), ("node_modules/.installed", "npm ci")],
)
def test_make_checks_the_packages_before_pip_and_npm(target: str, then: str) -> None:
    """The check is a prerequisite of each step, so it also comes first under make -j."""
    dry_run = subprocess.run(
        ["make", "--no-print-directory", "-n", "-B", target], cwd=SCRIPT.parent.parent,
        capture_output=True, text=True, timeout=60, check=True,
        env={k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")},
    ).stdout
    commands = [line for line in dry_run.splitlines() if line.strip()]

    assert "debian-packages" in commands[0], dry_run
    assert any(then in line for line in commands[1:]), dry_run
