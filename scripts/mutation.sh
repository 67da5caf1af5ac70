#!/usr/bin/env bash
# Mutation testing of the trust-guarding modules (issue 18): see scripts/mutation.py for what it runs.
# Slow (minutes per module), so not part of CI. Installs the `mutation` extra (cosmic-ray) into .venv first.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -e '.[test,mutation]'
exec .venv/bin/python scripts/mutation.py "$@"
