#!/usr/bin/env bash
# Time README's two commands from a fresh clone of this repository, as a new user runs them:
#
#   bash benchmarks/fresh_clone.sh [--with-tests]
#
# Clones HEAD into a temporary folder (with ../shared beside it, as CI lays it out), then times
# `bash scripts/start` until the page answers its health check, twice (the second run reuses
# .venv and the index), asks the bundled article README's question, and with --with-tests
# times `bash scripts/test` (the whole suite, as CI runs it). Prints the load average around
# each, since the machine may be shared. Packages come from pip's configured index.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
[ -d "$here/../shared" ] && ln -s "$(cd "$here/../shared" && pwd)" "$root/shared"
git clone -q "$here" "$root/fundstelle"
cd "$root/fundstelle"
port=8599

for run in 1 2; do
    echo "load before start $run: $(cut -d' ' -f1-3 /proc/loadavg)"
    started=$(date +%s.%N)
    setsid bash scripts/start --server.port "$port" > "$root/start-$run.log" 2>&1 &
    pid=$!
    until curl -sf "http://127.0.0.1:$port/_stcore/health" >/dev/null 2>&1; do
        if ! kill -0 "$pid" 2>/dev/null; then cat "$root/start-$run.log"; echo "scripts/start exited"; exit 1; fi
        sleep 0.5
    done
    printf 'bash scripts/start, run %s: the page answered after %.1f s\n' "$run" "$(echo "$(date +%s.%N) - $started" | bc)"
    kill -- "-$pid"
    wait "$pid" 2>/dev/null || true
done
# Into a file, not `| head`: the CLI exits 1 when its output is cut short, which ends this script (pipefail).
.venv/bin/fundstelle ask "Wie viel hat Amazon in Anthropic investiert?" --k 1 > "$root/ask.txt"
head -1 "$root/ask.txt"

if [ "${1:-}" = "--with-tests" ]; then
    echo "load before the tests: $(cut -d' ' -f1-3 /proc/loadavg)"
    started=$(date +%s)
    status=0
    CI=true bash scripts/test > "$root/test.log" 2>&1 || status=$?
    tail -3 "$root/test.log"
    echo "bash scripts/test: exit $status after $(( $(date +%s) - started )) s; load after: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
