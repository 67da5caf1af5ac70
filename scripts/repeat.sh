#!/usr/bin/env bash
# Run the same tests N times in a row and count the runs that pass: the evidence that timing-sensitive tests
# (rate limits, leases, time-outs) do not flake on a busy machine.
#
#   scripts/repeat.sh N FILE_OR_NODE... [-- PYTEST_ARGS...]
#   e.g. scripts/repeat.sh 50 tests/admin/test_spam_limits.py tests/web/test_auth.py
#
# Each run is a fresh `python -m pytest -q -x` process. The output of a failing run is kept in
# ${REPEAT_LOGS:-/tmp/repeat-logs}/run-<n>.log. Exits 1 when any run failed.
set -u
if [ $# -lt 2 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
    sed -n '4,6p' "$0" >&2
    exit 2
fi
runs=$1
shift
targets=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do targets+=("$1"); shift; done
[ $# -gt 0 ] && shift  # the "--"
python=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
logs=${REPEAT_LOGS:-/tmp/repeat-logs}
mkdir -p "$logs"
passed=0
started=$(date +%s)
for n in $(seq 1 "$runs"); do
    t0=$(date +%s)
    if "$python" -m pytest -p no:cacheprovider -q -x "${targets[@]}" "$@" >"$logs/run-$n.log" 2>&1; then
        passed=$((passed + 1))
        rm -f "$logs/run-$n.log"
        verdict=pass
    else
        verdict="FAIL (log: $logs/run-$n.log)"
    fi
    echo "run $n/$runs: $verdict in $(( $(date +%s) - t0 )) s  (load $(cut -d' ' -f1 /proc/loadavg))"
done
echo "passed $passed of $runs runs in $(( $(date +%s) - started )) s"
[ "$passed" -eq "$runs" ]
