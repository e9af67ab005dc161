#!/usr/bin/env bash
# End-to-end throughput of `docseal run` against bare `tesseract` on the same
# pages, in one invocation: CPU seconds per page for both, their ratio, peak
# memory. Both sides run one process per core's worth of work with
# OMP_THREAD_LIMIT=1.
#
#   benches/throughput.sh [COUNT] [SEED] [--degrade]
#
# COUNT documents are generated (PNG and JPEG pages, which both sides read);
# docseal goes all the way to signed, stored result documents. ROUNDS (default
# 2) sets how many times each side runs. DOCSEAL_BIN picks the binary;
# PAGES_FROM=DIR takes the PNG and JPEG pages of DIR instead of generating them,
# so two builds can be compared on the same pages.
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

mkdir -p "$work/pages"
if [ -n "${PAGES_FROM:-}" ]; then
  # A kept set, so that two builds (or two machines) are measured on the same pages.
  find "$PAGES_FROM" -maxdepth 1 \( -name '*.png' -o -name '*.jpg' \) -exec cp {} "$work/pages/" \;
else
  "$bin" samples --out "$work/all" --count "$count" --seed "$seed" $degrade >/dev/null
  find "$work/all" -maxdepth 1 \( -name '*.png' -o -name '*.jpg' \) -exec mv {} "$work/pages/" \;
fi
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

# CPU time on a shared machine drifts from minute to minute, so the two sides
# run in rounds ordered A B B A (tesseract, docseal, docseal, tesseract, ...):
# a drift that is steady over the run weighs on both alike. Each docseal round
# starts from an empty data directory, so every page is processed again.
rounds=${ROUNDS:-2}
tess_run() { measure tesseract bash -c "find '$work/pages' -type f -print0 | xargs -0 -P $cores -I{} tesseract {} - -l vie"; }
ours_run() { rm -rf "$work/data"; measure docseal "$bin" --data "$work/data" run --workers "$cores" "$work/pages"; }
results=()
for ((r = 0; r < rounds; r++)); do
  if ((r % 2 == 0)); then results+=("$(tess_run)" "$(ours_run)"); else results+=("$(ours_run)" "$(tess_run)"); fi
done

printf '%s\n' "${results[@]}" | awk -v p="$pages" -v c="$cores" -v r="$rounds" '
{ cpu[$1] += $2 + $3; if ($4 > rss[$1]) rss[$1] = $4; n[$1]++;
  printf "  round: %-9s CPU %.3f s/page  wall %s\n", $1, ($2 + $3) / p, $5 }
END {
  b = cpu["tesseract"] / n["tesseract"] / p; o = cpu["docseal"] / n["docseal"] / p;
  printf "pages: %d (%d workers each), %d rounds each side\n", p, c, r;
  printf "tesseract  CPU %.3f s/page  peak RSS %.0f MB\n", b, rss["tesseract"] / 1024;
  printf "docseal    CPU %.3f s/page  peak RSS %.0f MB\n", o, rss["docseal"] / 1024;
  printf "ratio (docseal / tesseract CPU): %.2f\n", o / b;
}'
