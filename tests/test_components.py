"""A machine without a real component: outside CI the run says what it skipped; under CI=true the run fails."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.backing import clean_env

ROOT = Path(__file__).resolve().parents[1]
MISSING = "/nonexistent/chromium"


def _run_browser_test(**env: str) -> subprocess.CompletedProcess[str]:
    """One browser test in a child pytest, on a machine whose Chromium is not where it should be."""
    environment = clean_env(FEDIVERSE_TEST_CHROMIUM=MISSING)
    environment.pop("CI", None)
    environment.update(env)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
                           "tests/browser/test_signup_browser.py"], cwd=ROOT, env=environment, capture_output=True,
                          text=True, timeout=120)


def test_outside_ci_a_missing_chromium_is_skipped_and_named_at_the_end_of_the_run() -> None:
    done = _run_browser_test()
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SKIPPED 1 test: chromium not installed at {MISSING} (apt-get install chromium)" in done.stdout


def test_under_ci_a_missing_chromium_is_an_error_naming_it() -> None:
    done = _run_browser_test(CI="true")
    assert done.returncode == 1, done.stdout + done.stderr
    assert ("ERROR tests/browser/test_signup_browser.py::test_newcomer_signs_up_and_an_admin_approves_them - Failed: "
            f"CI=true allows no skips, and chromium is missing: chromium not installed at {MISSING}") in done.stdout
    assert "SKIPPED" not in done.stdout
