#!/usr/bin/env bash
# Scale and memory of the worker pool, measured:
#
#  1. throughput on PostgreSQL + S3: the same COUNT clean generated scans
#     processed by one `docseal work` process with one worker, two processes
#     with one worker each, and one process with two workers; documents per
#     minute (wall clock, from the workers' start to an empty queue) and CPU
#     seconds per page (all worker processes, user + system);
#  2. peak memory (`/usr/bin/time -v`, maximum resident set size) of `docseal
#     run` on 200 and on 2,000 small distinct pages, and of `docseal submit`
#     of the 2,000 pages, on the embedded default.
#
#   benches/scale.sh [COUNT] [SEED]      (default 40 documents, seed 7)
#   SCALE_PARTS=throughput|memory benches/scale.sh   (one part only)
#
# Part 1 needs the local test services (PostgreSQL and s3s-fs): it uses the
# running ones when `tests/services.sh env` works, else starts them and stops
# them at the end. Part 2 needs python3 with PIL to draw the small pages.
# DOCSEAL_BIN chooses the binary (default target/debug/docseal, built if
# missing); numbers from a debug build overstate the CPU of the Rust stages,
# not of Tesseract.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-40}
seed=${2:-7}
parts=${SCALE_PARTS:-throughput memory}
export OMP_THREAD_LIMIT=1
bin=$(realpath -m "${DOCSEAL_BIN:-target/debug/docseal}")
[ -x "$bin" ] || cargo build --bin docseal >&2
work=$(mktemp -d)
started_services=""
cleanup() {
    jobs -p | xargs -r kill 2>/dev/null || true
    [ -n "$started_services" ] && tests/services.sh stop >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

field() { awk -F': ' -v k="$1" '$0 ~ k {print $2}' "$2"; }

throughput() {
    if ! tests/services.sh env >/dev/null 2>&1; then
        tests/services.sh start >/dev/null
        started_services=1
    fi
    eval "$(tests/services.sh env)"
    local bucket="docseal-scale-$$"
    # s3s-fs wants the payload hash header, which curl does not send by itself.
    curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" \
        -H "x-amz-content-sha256: $(printf "" | sha256sum | cut -d" " -f1)" \
        --user "$DOCSEAL_TEST_S3_ACCESS_KEY:$DOCSEAL_TEST_S3_SECRET_KEY" \
        -X PUT "$DOCSEAL_TEST_S3_ENDPOINT/$bucket" >/dev/null
    export AWS_ENDPOINT_URL=$DOCSEAL_TEST_S3_ENDPOINT AWS_REGION=us-east-1
    export AWS_ACCESS_KEY_ID=$DOCSEAL_TEST_S3_ACCESS_KEY
    export AWS_SECRET_ACCESS_KEY=$DOCSEAL_TEST_S3_SECRET_KEY
    "$bin" samples --out "$work/samples" --count "$count" --seed "$seed" >/dev/null
    local pages
    pages=$(find "$work/samples" -type f ! -name '*.json' | wc -l)
    "$bin" --data "$work/tp" keys init >/dev/null
    echo "throughput on PostgreSQL + S3: $pages clean scans, $(getconf _NPROCESSORS_ONLN) cores"
    printf '%-22s %9s %9s %12s %10s\n' setup "wall s" "docs/min" "CPU s/page" issued
    local run=0 procs workers
    for setup in 1x1 2x1 1x2; do
        procs=${setup%x*}
        workers=${setup#*x}
        run=$((run + 1))
        local db="docseal_scale_$$_$run"
        psql -q "$DOCSEAL_TEST_PG_URL" -c "CREATE DATABASE $db" >/dev/null
        local flags=(--data "$work/tp" --queue "${DOCSEAL_TEST_PG_URL%/*}/$db"
            --store "s3://$bucket/run-$run")
        "$bin" "${flags[@]}" submit "$work/samples" >/dev/null
        local t0 p pids=()
        t0=$(date +%s.%N)
        for p in $(seq 1 "$procs"); do
            /usr/bin/time -v -o "$work/work-$run-$p.time" \
                "$bin" "${flags[@]}" work --workers "$workers" 2>"$work/work-$run-$p.err" &
            pids+=($!)
        done
        local status
        while :; do
            status=$("$bin" "${flags[@]}" status --json)
            if echo "$status" | python3 -c 'import json,sys; c=json.load(sys.stdin)["counts"]; sys.exit(0 if c["queued"]+c["processing"]==0 else 1)'; then
                break
            fi
            sleep 0.2
        done
        local t1
        t1=$(date +%s.%N)
        # /usr/bin/time passes SIGTERM on to docseal, which drains and exits 0.
        for p in "${pids[@]}"; do pkill -TERM -P "$p" 2>/dev/null || true; done
        for p in "${pids[@]}"; do wait "$p" || true; done
        local cpu=0 f issued
        for f in "$work"/work-"$run"-*.time; do
            cpu=$(awk -v c="$cpu" -v u="$(field 'User time' "$f")" -v s="$(field 'System time' "$f")" \
                'BEGIN {print c + u + s}')
        done
        issued=$(echo "$status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["counts"]["issued"])')
        awk -v s="$procs process(es) x $workers" -v w="$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" \
            -v n="$pages" -v cpu="$cpu" -v i="$issued" \
            'BEGIN {printf "%-22s %9.1f %9.1f %12.2f %10d\n", s, w, n / w * 60, cpu / n, i}'
    done
}

memory() {
    python3 - "$work/pages" 2000 <<'EOF'
import os, sys
from PIL import Image, ImageDraw
out, n = sys.argv[1], int(sys.argv[2])
os.makedirs(out, exist_ok=True)
for i in range(n):
    img = Image.new("L", (420, 120), 255)
    d = ImageDraw.Draw(img)
    d.text((12, 20), f"Trang so {i:05d}", fill=0)
    d.text((12, 60), f"Ho so {i * 7919 % 100000:05d}", fill=0)
    img.save(os.path.join(out, f"p{i:05d}.png"))
EOF
    mkdir -p "$work/p200"
    find "$work/pages" -name 'p00[01]*.png' | sort | head -n 200 | xargs -I{} cp {} "$work/p200/"
    echo "peak memory, embedded default (--workers 2)"
    printf '%-30s %8s %10s %12s\n' command pages "wall" "max RSS MB"
    local label dir n args
    for label in "run 200" "run 2000" "submit 2000"; do
        case $label in
            "run 200") dir=$work/p200 args=(run --workers 2) ;;
            "run 2000") dir=$work/pages args=(run --workers 2) ;;
            *) dir=$work/pages args=(submit) ;;
        esac
        n=$(find "$dir" -name '*.png' | wc -l)
        rm -rf "$work/mem"
        /usr/bin/time -v -o "$work/mem.time" \
            "$bin" --data "$work/mem" "${args[@]}" "$dir" >/dev/null 2>"$work/mem.err" || {
            cat "$work/mem.err" >&2; exit 1; }
        awk -v l="docseal $label" -v n="$n" -v w="$(field 'Elapsed' "$work/mem.time")" \
            -v r="$(field 'Maximum resident' "$work/mem.time")" \
            'BEGIN {printf "%-30s %8d %10s %12.1f\n", l, n, w, r / 1024}'
    done
}

for part in $parts; do
    "$part"
    echo
done
