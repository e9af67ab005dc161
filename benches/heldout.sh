#!/usr/bin/env bash
# The figures of issue 13's "Done when" on held-out seeds: pages from the wide
# generator (`docseal samples --wide`: other Debian font families, scans
# without a resolution tag, units of the 2025 reorganisation, household
# business applications among the unknown pages), some of them rewritten as
# image-only PDFs by other tools, scored by `docseal eval`; then CPU on those
# PDFs against bare tesseract and OCRmyPDF.
#
#   benches/heldout.sh [--count N] SEED...
#
# For each SEED a clean and a degraded set of N documents (default 30). Of the
# PNG and JPEG pages, every other one is replaced by a one-page PDF written,
# in turn, by img2pdf (96-ppi page box for an image without a resolution tag),
# ImageMagick (72 ppi for one without) and Ghostscript (ImageMagick's PDF
# rewritten by pdfwrite); the truth file stays beside it. Per set it prints
# classification, exact fields, accepted precision, the share of the fields
# of issued documents that are right, coverage, real documents issued without
# review, and applications classed as a certificate; then the fields in
# review by reason, each as right values held back / wrong values caught.
#
# CPU on image-only PDFs: the PDFs the three tools wrote, over all sets, read
# by one `docseal run` process, by bare `tesseract -l vie` on the images
# `pdfimages -all` extracts from them, and by OCRmyPDF with its default
# settings and `-l vie`, each with OMP_THREAD_LIMIT=1 and as many files at once
# as there are cores; user+system CPU from /usr/bin/time.
#
# Seeds reported here must be seeds nobody tuned on; say which in the note.
# DOCSEAL_BIN picks the binary; KEEP=DIR keeps the sets in DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
count=30
seeds=()
while (($#)); do
  case $1 in
    --count) count=$2; shift 2 ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) seeds+=("$1"); shift ;;
  esac
done
((${#seeds[@]})) || { echo "usage: benches/heldout.sh [--count N] SEED..." >&2; exit 2; }
export OMP_THREAD_LIMIT=1
bin=${DOCSEAL_BIN:-target/debug/docseal}
[ -x "$bin" ] || cargo build --bin docseal >&2
for tool in img2pdf gs pdfimages tesseract ocrmypdf /usr/bin/convert /usr/bin/time python3; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: make heldout installs it" >&2; exit 1; }
done
cores=$(getconf _NPROCESSORS_ONLN)  # nproc would obey OMP_THREAD_LIMIT
if [ -n "${KEEP:-}" ]; then work=$KEEP; rm -rf "$work"; mkdir -p "$work"; else
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT; fi
mkdir -p "$work/pdfs"

# One page as a PDF written by another tool.
to_pdf() { # tool, image, pdf
  case $1 in
    img2pdf) img2pdf -o "$3" "$2" 2>/dev/null ;;
    # Debian's ImageMagick policy forbids the PDF coder (reading PDFs runs
    # Ghostscript); EPDF writes with the same PDF writer.
    magick) /usr/bin/convert "$2" "EPDF:$3" ;;
    gs) /usr/bin/convert "$2" "EPDF:$3.im.pdf" &&
        gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=pdfwrite -o "$3" "$3.im.pdf" && rm -f "$3.im.pdf" ;;
  esac
}

sets=()
for seed in "${seeds[@]}"; do
  for mode in clean degraded; do
    set_dir="$work/$seed-$mode"
    flag=""; [ "$mode" = degraded ] && flag=--degrade
    "$bin" samples --wide --out "$set_dir" --count "$count" --seed "$seed" $flag >/dev/null
    n=0; tools=(img2pdf magick gs)
    for img in $(find "$set_dir" -maxdepth 1 \( -name '*.png' -o -name '*.jpg' \) | sort); do
      n=$((n + 1)); ((n % 2 == 0)) || continue
      tool=${tools[$(((n / 2) % 3))]}
      stem=${img%.*}
      to_pdf "$tool" "$img" "$stem.pdf"
      rm -f "$img"
      cp "$stem.pdf" "$work/pdfs/$seed-$mode-$tool-$(basename "$stem").pdf"
    done
    "$bin" eval --json "$set_dir" >"$set_dir.eval.json"
    sets+=("$set_dir")
  done
done

python3 - "${sets[@]}" <<'EOF'
import json, os, sys
print(f"{'set':<16} {'docs':>4} {'class.':>7} {'exact':>7} {'acc.prec':>8} {'issued-fields':>13} {'coverage':>8}  issued w/o review   apps as cert.")
for d in sys.argv[1:]:
    r = json.load(open(d + ".eval.json"))
    o = r["overall"]
    pct = lambda a, b: f"{100 * a / b:.1f}%" if b else "-"
    real = issued = fields = right = apps = apps_cert = 0
    for name, c in r["documents"].items():
        stem = name.rsplit(".", 1)[0]
        t = json.load(open(os.path.join(d, stem + ".truth.json")))
        if t["doc_type"] != "unknown":
            real += 1
            issued += c["issued"]
        if c["issued"]:
            fields += c["truth_fields"]
            right += c["exact"]
        if t.get("paper") == "application":
            apps += 1
            apps_cert += 1 - c["classified_right"]
    print(f"{os.path.basename(d):<16} {o['docs']:>4} {pct(o['classified_right'], o['docs']):>7}"
          f" {pct(o['exact'], o['truth_fields']):>7} {pct(o['accepted_right'], o['accepted']):>8}"
          f" {pct(right, fields):>13} {pct(o['accepted_right'], o['truth_fields']):>8}"
          f"  {issued:>3} of {real:<3} {pct(issued, real):>6}   {apps_cert} of {apps}")
    # The same over the pages of each cause the wide generator adds.
    groups = {"after 2025": [], "no resolution tag": [], "PDF by a tool": []}
    for name, c in r["documents"].items():
        stem, ext = name.rsplit(".", 1)
        scan = json.load(open(os.path.join(d, stem + ".truth.json"))).get("scan", {})
        if scan.get("era") == "2025-":
            groups["after 2025"].append(c)
        if scan.get("resolution_tag") is False:
            groups["no resolution tag"].append(c)
        if ext == "pdf" and scan.get("format") in ("png", "jpg"):
            groups["PDF by a tool"].append(c)
    for g, cs in groups.items():
        t = {k: sum(c[k] for c in cs) for k in ("docs", "classified_right", "truth_fields", "exact", "accepted", "accepted_right", "issued")}
        print(f"  {g:<18} {t['docs']:>2} docs  class. {pct(t['classified_right'], t['docs'])}"
              f"  acc.prec {pct(t['accepted_right'], t['accepted'])}  coverage {pct(t['accepted_right'], t['truth_fields'])}"
              f"  issued {t['issued']}")
    causes = r.get("review_causes", {})
    if causes:
        print("  in review by reason (right/wrong): " + ", ".join(
            f"{k} {v['right']}/{v['wrong']}" for k, v in sorted(causes.items(), key=lambda kv: -kv[1]["right"])))
    for m in r["mistakes"]:
        if m["accepted"]:
            print(f"    accepted wrong: {m['file']} {m['field']}: {m['got']!r} for {m['expected']!r}")
    for f, e in r["failures"]:
        print(f"    failed: {f}: {e}")
EOF

# CPU on the image-only PDFs the tools wrote.
pdfs=$(find "$work/pdfs" -name '*.pdf' | wc -l)
((pdfs)) || { echo "no PDF was written" >&2; exit 1; }
mkdir -p "$work/images" "$work/ocrmypdf"
for f in "$work"/pdfs/*.pdf; do pdfimages -all "$f" "$work/images/$(basename "${f%.pdf}")"; done
cpu() { # label, command...: prints user+system CPU seconds of the command and its children
  local label=$1; shift
  /usr/bin/time -f '%U %S' -o "$work/$label.time" "$@" >/dev/null 2>"$work/$label.err" || {
    cat "$work/$label.err" >&2; exit 1; }
  awk '{print $1 + $2}' "$work/$label.time"
}
ours=$(cpu docseal "$bin" --data "$work/data" run --workers "$cores" "$work/pdfs")
tess=$(cpu tesseract bash -c "find '$work/images' -type f -print0 | xargs -0 -P $cores -I{} tesseract {} - -l vie")
ocrm=$(cpu ocrmypdf bash -c "cd '$work/pdfs' && ls *.pdf | xargs -P $cores -I{} ocrmypdf -q -l vie {} '$work/ocrmypdf/{}'")
awk -v p="$pdfs" -v o="$ours" -v t="$tess" -v m="$ocrm" 'BEGIN {
  printf "image-only PDFs: %d one-page files (img2pdf, ImageMagick, Ghostscript)\n", p;
  printf "docseal run      CPU %7.1f s  (%.2f s/page)\n", o, o / p;
  printf "tesseract -l vie CPU %7.1f s  (%.2f s/page)\n", t, t / p;
  printf "ocrmypdf -l vie  CPU %7.1f s  (%.2f s/page)\n", m, m / p;
  printf "docseal / tesseract: %.2f (goal <= 1.15)   docseal / ocrmypdf: %.2f (goal <= 0.4)\n", o / t, o / m;
}'
