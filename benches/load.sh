#!/usr/bin/env bash
# Load test of `docseal serve`'s public routes, by hand (not part of make test):
#
#   benches/load.sh [CLIENTS] [ROUNDS]
#
# Builds docseal, issues one genuine result document into a scratch data
# directory (target/load/), takes its QR seal's text from the PDF
# (pdfdetach), starts `docseal serve --workers 0` on a free port of
# 127.0.0.1 and runs benches/load.py against it: CLIENTS (default 200)
# concurrent clients sending ROUNDS (default 6) requests each to
# POST /v1/verify (the PDF, then the QR text) and GET /v1/documents/ID/status,
# then 64 slow connections held while normal requests go on. Prints latency
# percentiles, errors and the server's peak memory; the report is also kept
# in target/load/report.json. Extra settings go to load.py through
# LOAD_ARGS, e.g. LOAD_ARGS="--slow 128 --slow-seconds 30".
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CLIENTS="${1:-200}"
ROUNDS="${2:-6}"
HTTPX="httpx==0.28.1"
WORK="$ROOT/target/load"
export OMP_THREAD_LIMIT=1

python3 -c 'import httpx' 2>/dev/null || python3 -m pip install -q "$HTTPX" 2>/dev/null ||
    python3 -m pip install -q --break-system-packages "$HTTPX"
command -v pdfdetach >/dev/null || { echo "pdfdetach is missing: run make deps (poppler-utils)" >&2; exit 1; }

cargo build --quiet --bin docseal
DOCSEAL="$ROOT/target/debug/docseal"
rm -rf "$WORK" && mkdir -p "$WORK"
OFFICE="UBND phường Bến Nghé, Quận 1, TP. Hồ Chí Minh"
run() { "$DOCSEAL" --data "$WORK/data" --office "$OFFICE" "$@"; }

echo "Issuing one document to verify..."
run run --json samples/0000_birth_certificate.png > "$WORK/run.json"
read -r DOC_ID PDF < <(python3 -c '
import json, sys
d = json.loads(open(sys.argv[1]).readline())
assert d["status"] == "issued", d
print(d["document_id"], d["result_pdf"])' "$WORK/run.json")
case "$PDF" in /*) ;; *) PDF="$ROOT/$PDF" ;; esac
cp "$PDF" "$WORK/result.pdf"
pdfdetach -savefile qr-seal.txt -o "$WORK/qr.txt" "$WORK/result.pdf"

# Started directly (not through a function) so that $! is the server's pid.
"$DOCSEAL" --data "$WORK/data" --office "$OFFICE" serve --listen 127.0.0.1:0 --workers 0 \
    > "$WORK/serve.out" 2> "$WORK/serve.log" &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    URL="$(sed -n '1s/^Listening on //p' "$WORK/serve.out")"
    [ -n "$URL" ] && break
    kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/serve.log" >&2; exit 1; }
    sleep 0.1
done
[ -n "$URL" ] || { echo "docseal serve printed no address" >&2; exit 1; }
echo "Server $URL (pid $SERVER), document $DOC_ID"

# shellcheck disable=SC2086
python3 benches/load.py --url "$URL" --pid "$SERVER" --pdf "$WORK/result.pdf" \
    --qr-file "$WORK/qr.txt" --document-id "$DOC_ID" \
    --clients "$CLIENTS" --rounds "$ROUNDS" --json "$WORK/report.json" ${LOAD_ARGS:-}
