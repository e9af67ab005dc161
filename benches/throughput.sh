#!/usr/bin/env bash
# End-to-end throughput of `docseal run` against bare `tesseract` on the same
# pages, in one invocation: CPU seconds per page for both, their ratio, peak
# memory. Both sides run one process per core's worth of work with
# OMP_THREAD_LIMIT=1.
#
#   benches/throughput.sh [COUNT] [SEED] [--degrade]
#
# COUNT documents are generated (PNG and JPEG pages, which both sides read);
# docseal goes all the way to signed, stored result documents.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-24}
seed=${2:-7031}
degrade=${3:-}
export OMP_THREAD_LIMIT=1
bin=${DOCSEAL_BIN:-target/debug/docseal}
[ -x "$bin" ] || cargo build --bin docseal >&2
cores=$(getconf _NPROCESSORS_ONLN)  # nproc would obey OMP_THREAD_LIMIT
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$bin" samples --out "$work/all" --count "$count" --seed "$seed" $degrade >/dev/null
mkdir -p "$work/pages"
find "$work/all" -maxdepth 1 \( -name '*.png' -o -name '*.jpg' \) -exec mv {} "$work/pages/" \;
pages=$(find "$work/pages" -type f | wc -l)
if [ "$pages" -eq 0 ]; then echo "no PNG or JPEG pages were generated" >&2; exit 1; fi

measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -v -o "$work/$label.time" "$@" >/dev/null 2>"$work/$label.err" || {
    cat "$work/$label.err" >&2; exit 1; }
  local user sys rss wall
  user=$(awk -F': ' '/User time/ {print $2}' "$work/$label.time")
  sys=$(awk -F': ' '/System time/ {print $2}' "$work/$label.time")
  rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$work/$label.time")
  wall=$(awk -F': ' '/Elapsed \(wall/ {print $2}' "$work/$label.time")
  echo "$label $user $sys $rss $wall"
}

base=$(measure tesseract bash -c "find '$work/pages' -type f -print0 | xargs -0 -P $cores -I{} tesseract {} - -l vie")
ours=$(measure docseal "$bin" --data "$work/data" run --workers "$cores" "$work/pages")

read -r _ bu bs brss bwall <<<"$base"
read -r _ ou os orss owall <<<"$ours"
awk -v p="$pages" -v bu="$bu" -v bs="$bs" -v ou="$ou" -v os="$os" -v brss="$brss" -v orss="$orss" \
    -v bw="$bwall" -v ow="$owall" -v c="$cores" 'BEGIN {
  b = (bu + bs) / p; o = (ou + os) / p;
  printf "pages: %d (%d workers each)\n", p, c;
  printf "tesseract  CPU %.3f s/page  wall %s  peak RSS %.0f MB\n", b, bw, brss / 1024;
  printf "docseal    CPU %.3f s/page  wall %s  peak RSS %.0f MB\n", o, ow, orss / 1024;
  printf "ratio (docseal / tesseract CPU): %.2f\n", o / b;
}'
