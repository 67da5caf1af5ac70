#!/usr/bin/env bash
# The README's test command: install the package with its test extras (and the npm interop peers and axe-core)
# into .venv, then run the whole suite. Extra arguments go to pytest.
# With FEDIVERSE_TEST_DATABASE_URL / FEDIVERSE_TEST_REDIS_URL set, the suite also covers PostgreSQL and Redis.
# Under CI=true (CI sets it; so does .ci/run) a real component that is missing is an error, never a skip;
# elsewhere the tests that need it are skipped and the end of the run lists them with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
# Fedify (a third-party ActivityPub server, with its own Node 22 from npm) for the interop tests.
npm ci --prefix tests/interop/fedify --no-audit --no-fund --loglevel=error
# masto (the API client of Elk and Phanpy) for the real-client streaming test (tests/api/test_streaming_masto.py).
npm ci --prefix tests/interop/masto --no-audit --no-fund --loglevel=error
# axe-core, the accessibility checker tests/browser/test_layout_browser.py injects into every page.
npm ci --prefix tests/browser/axe --no-audit --no-fund --loglevel=error
# Debian's Chromium (/usr/bin/chromium) for tests/browser, driven by playwright; never `playwright install`.
# ExifTool reads our consent XMP back out of the image files, as third-party pipelines do.
if ! { command -v chromium >/dev/null && command -v exiftool >/dev/null; } \
   && ! (apt-get update && apt-get install -y chromium libimage-exiftool-perl); then
  if [ "${CI:-}" = true ]; then
    echo "error: chromium/exiftool could not be installed (apt-get install chromium libimage-exiftool-perl)," \
         "and CI=true allows no skipped tests" >&2
    exit 1
  fi
  echo "warning: chromium/exiftool could not be installed; the browser and ExifTool tests will be skipped" \
       "(listed at the end of the run)" >&2
fi
# --durations: the slowest tests, so a run that grows slow shows where.
exec .venv/bin/python -m pytest -p no:cacheprovider --durations=25 "$@"
