"""freezegun freezes the portal's clock, never pytest's: `pytest --durations` stays true.

freezegun replaces every module's reference to time.perf_counter, including the one
pytest times tests with, so a fixture that freezes time (as tests/auth/test_two_factor.py
does) used to be reported as taking 1.7 billion seconds to set up.
"""

from __future__ import annotations

import re

import pytest

# The pattern of tests/auth/test_two_factor.py: a fixture that freezes time around the test.
FROZEN_FIXTURE_TEST = """
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

START = datetime(2025, 3, 3, 9, 0, 10, tzinfo=UTC)


@pytest.fixture
def frozen():
    with freeze_time(START) as frozen:
        yield frozen


def test_frozen(frozen):
    assert datetime.now(UTC) == START
    frozen.tick(timedelta(seconds=30))
    assert datetime.now(UTC) == START + timedelta(seconds=30)
"""

DURATION_RE = re.compile(r"^([0-9.]+)s (setup|call|teardown) ", re.MULTILINE)


def test_durations_of_a_test_with_frozen_time_are_real(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_frozen=FROZEN_FIXTURE_TEST)

    # In this process, so that the freezegun configuration of tests/conftest.py applies.
    result = pytester.runpytest_inprocess(
        "--durations=0", "--durations-min=0", "-p", "no:cacheprovider", "-p", "no:playwright",
        "-p", "no:locust",
    )

    result.assert_outcomes(passed=1)
    durations = {phase: float(seconds) for seconds, phase in DURATION_RE.findall(result.stdout.str())}
    assert set(durations) == {"setup", "call", "teardown"}, result.stdout.str()
    assert all(0 <= seconds < 60 for seconds in durations.values()), durations
