"""The real components the suite drives, how to tell one is missing, and how to install it.

A test names what it needs with `@pytest.mark.requires("chromium")` (tests/conftest.py acts on the marker):
under CI (`CI=true`, set by CI and by .ci/run) a missing component fails the test, so a broken machine can
never pass by skipping; elsewhere the test is skipped and the end of the run lists every skip and its reason.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable

# Debian's Chromium, driven by playwright (its bundled browsers are never downloaded). The variable lets a run
# point at another build, or at nothing to see what a machine without it does.
CHROMIUM = os.environ.get("FEDIVERSE_TEST_CHROMIUM", "/usr/bin/chromium")
PG_URL = os.environ.get("FEDIVERSE_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("FEDIVERSE_TEST_REDIS_URL", "")


def under_ci() -> bool:
    """CI=true (GitHub Actions, GitLab, .ci/run): a missing component is an error, not a skip."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _chromium() -> str | None:
    if not Path(CHROMIUM).is_file():
        return f"chromium not installed at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[test]')"
    return None


def _exiftool() -> str | None:
    return None if shutil.which("exiftool") else "exiftool not installed (apt-get install libimage-exiftool-perl)"


def _avif() -> str | None:
    from PIL import features

    if features.check("avif"):
        return None
    return ("this Pillow was built without AVIF support (the PyPI wheels of pillow>=12 have it: "
            "pip install -e '.[test]')")


AXE_DIR = Path(__file__).resolve().parent / "browser" / "axe"
AXE_SCRIPT = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"


def _axe() -> str | None:
    """axe-core (npm, pinned in tests/browser/axe/package-lock.json), injected into pages by the layout test."""
    if AXE_SCRIPT.is_file():
        return None
    return f"axe-core is not installed in {AXE_DIR}/node_modules; run: npm ci --prefix tests/browser/axe"


MASTO_DIR = Path(__file__).resolve().parent / "interop" / "masto"


def _masto() -> str | None:
    """masto (npm, pinned in tests/interop/masto/package-lock.json), the client library of Elk and Phanpy."""
    if not (MASTO_DIR / "node_modules" / "masto" / "package.json").is_file():
        return f"masto is not installed in {MASTO_DIR}/node_modules; run: npm ci --prefix tests/interop/masto"
    if shutil.which("node") is None:
        return "node is not installed (apt-get install nodejs npm)"
    return None


def _fedify() -> str | None:
    from tests.interop.fedify_peer import fedify_missing

    return fedify_missing()


def _redis() -> str | None:
    if REDIS_URL:
        return None
    if PG_URL:
        return ("Redis is missing from the PostgreSQL pass: set FEDIVERSE_TEST_REDIS_URL=redis://127.0.0.1:6379/15 "
                "(apt-get install redis-server)")
    return "needs Redis, which only the PostgreSQL pass sets up (FEDIVERSE_TEST_REDIS_URL)"


CHECKS: dict[str, Callable[[], str | None]] = {
    "avif": _avif,
    "axe": _axe,
    "chromium": _chromium,
    "exiftool": _exiftool,
    "fedify": _fedify,
    "masto": _masto,
    "redis": _redis,
}


def missing(component: str) -> str | None:
    """Why `component` cannot be used on this machine (with how to install it), or None when it can."""
    return CHECKS[component]()


def by_design(component: str) -> bool:
    """Skips that are no fault of the machine: the SQLite pass has no Redis on purpose (the PostgreSQL pass has)."""
    return component == "redis" and not PG_URL
