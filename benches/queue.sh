#!/bin/sh
# The queue alone on PostgreSQL: no OCR, no-op jobs. For 8, 32 and 128
# concurrent workers (each with a database connection of its own, as worker
# processes have), seeds JOBS jobs in a fresh database, then workers lease,
# heartbeat once and complete each with a document row. Prints one JSON line
# per run: jobs/s and p50/p99 lease latency, p99 heartbeat and completion.
#
#   benches/queue.sh            # JOBS=5000, WORKERS="8 32 128"
#   JOBS=20000 benches/queue.sh
#
# Uses the throwaway cluster of tests/services.sh (started if needed).
set -eu
cd "$(dirname "$0")/.."
JOBS="${JOBS:-5000}"
WORKERS="${WORKERS:-8 32 128}"
cargo build --quiet --bin docseal
BIN=target/debug/docseal
tests/services.sh start >/dev/null
eval "$(tests/services.sh env)"
base="${DOCSEAL_TEST_PG_URL%/*}"
for n in $WORKERS; do
    db="docseal_bench_$$_$n"
    psql "$DOCSEAL_TEST_PG_URL" -qc "CREATE DATABASE $db" >/dev/null
    "$BIN" --data "$(mktemp -d)" bench-queue --db "$base/$db" --workers "$n" --jobs "$JOBS"
    psql "$DOCSEAL_TEST_PG_URL" -qc "DROP DATABASE $db" >/dev/null
done
