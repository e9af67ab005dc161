#!/usr/bin/env bash
# Fuzzes the input decoders, the PDF text layer and offline verification with
# cargo-fuzz (libFuzzer, AddressSanitizer), one target after another.
#
#   benches/fuzz.sh SECONDS [TARGET...]
#
# Each target runs for SECONDS of wall-clock time (every target when none is
# named) and the script prints, per target, the CPU seconds spent, the inputs
# executed and what crashed. A crash, timeout (20 s) or out-of-memory input
# (2 GB) is copied to tests/fixtures/fuzz/TARGET/, where
# tests/fuzz_regressions.rs replays it in every `cargo test`.
#
# Seeds come from samples/, tests/fixtures/decode/ and, for verification, a
# genuine result PDF and its QR seal, issued into fuzz/data (kept between
# runs, so the trust list the verify targets use stays the same). The corpus
# grows in fuzz/corpus/TARGET/. Needs the nightly toolchain; installs
# cargo-fuzz when it is missing. Not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:?usage: benches/fuzz.sh SECONDS [TARGET...]}
shift
all=(decode_any decode_png decode_jpeg decode_tiff decode_pdf pdf_text_layer verify_pdf verify_qr)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
export OMP_THREAD_LIMIT=1

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
cargo build --bin docseal
cargo +nightly fuzz build
fuzz_bin=fuzz/target/$(rustc +nightly -vV | awk '/^host:/ {print $2}')/release

# A genuine result document, its QR seal and the trust list that checks them.
data=fuzz/data
if ! ls "$data"/objects/results/*/*.pdf >/dev/null 2>&1; then
  target/debug/docseal --data "$data" run samples/0000_birth_certificate.png >&2
fi
result=$(ls "$data"/objects/results/*/*.pdf | head -n 1)
trust=$PWD/$data/keys/trust.json
export DOCSEAL_FUZZ_TRUST=$trust

# Seeds, under 1 MB each, by target.
seeds=fuzz/seeds
rm -rf "$seeds"
seed() { # target, files...
  local t=$1; shift
  mkdir -p "$seeds/$t"
  for f in "$@"; do
    [ -f "$f" ] && [ "$(stat -c %s "$f")" -le 1048576 ] && cp "$f" "$seeds/$t/" || true
  done
}
shopt -s nullglob
seed decode_png samples/*.png tests/fixtures/decode/*.png
seed decode_jpeg samples/*.jpg tests/fixtures/decode/*.jpg
seed decode_tiff samples/*.tif tests/fixtures/decode/*.tif
# The hand-made hostile files (tests/hostile.py), so mutation starts from
# the shapes known to exhaust readers.
python3 tests/hostile.py "$seeds/hostile" --result "$result" >/dev/null
seed decode_pdf samples/*.pdf tests/fixtures/decode/*.pdf "$result" "$seeds"/hostile/*.pdf
seed decode_tiff "$seeds"/hostile/*.tif
seed decode_png "$seeds"/hostile/*.png
seed decode_any "$seeds"/decode_{png,jpeg,tiff,pdf}/*
seed verify_pdf "$result" samples/0003_citizen_id.pdf
mkdir -p "$seeds/verify_qr"
pdfdetach -savefile qr-seal.txt -o "$seeds/verify_qr/genuine.txt" "$result"
printf 'DS1:' >"$seeds/verify_qr/prefix-only.txt"
# pdf_text_layer: content streams (see fuzz/src/lib.rs), one with its own CMap.
t=$seeds/pdf_text_layer
mkdir -p "$t"
printf 'BT /F1 12 Tf 72 700 Td (Giay khai sinh: Nguyen Van An, sinh ngay 01/02/2003) Tj ET' >"$t/simple.txt"
printf 'BT /F2 11 Tf 1 0 0 1 72 650 Tm 12 TL <00280045004C01000101010200410049004E00470001004300480055004E0047> Tj T* [<0035> -250 <00460047> 120 <0048004900010102005600540100>] TJ ET' >"$t/composite.txt"
printf 'q 612 0 0 792 0 0 cm /Im1 Do Q BT /F1 10 Tf 0 0 1 rg 2 0 0 2 50 50 Tm 14 TL (Ho va ten:) Tj T* 3 Tr (an invisible line of text here) Tj ET /Fm1 Do' >"$t/image-form.txt"
printf 'BT /F1 9 Tf 90 Tz 1 Tc 2 Tw 72 600 Td (one) Tj 0 -12 Td (two three four five six seven eight nine) Tj ET q 1 g 0 0 612 792 re f Q' >"$t/white.txt"
{ printf 'BT /F2 12 Tf 72 500 Td <0001000200030004000500060007000800090010001100120013001400150016001700180019002000210022> Tj ET\0'
  printf '/CIDInit /ProcSet findresource begin 12 dict begin begincmap 1 begincodespacerange <0000> <FFFF> endcodespacerange\n'
  printf '2 beginbfchar <0001> <0048> <0002> <1EC7> endbfchar 2 beginbfrange <0003> <0005> [<0061> <0062> <D835DC00>] <0006> <0022> <0063> endbfrange endcmap end end\n'
} >"$t/own-cmap.bin"
for t in "${all[@]}"; do
  [ -d "tests/fixtures/fuzz/$t" ] && seed "$t" tests/fixtures/fuzz/"$t"/*
done

printf '%-15s %9s %12s  %s\n' target cpu_s executions found
for t in "${targets[@]}"; do
  corpus=fuzz/corpus/$t
  artifacts=fuzz/artifacts/$t
  mkdir -p "$corpus" "$artifacts"
  cp -n "$seeds/$t"/* "$corpus/" 2>/dev/null || true
  dict=()
  case $t in decode_pdf | pdf_text_layer | verify_pdf) dict=(-dict=fuzz/pdf.dict) ;; esac
  log=fuzz/artifacts/$t.log
  before=$(ls "$artifacts" | sort)
  # -fork=1 with -ignore_*: one child at a time, and the run goes on after a
  # finding, so one run can find several.
  /usr/bin/time -f '%U %S' -o "$artifacts/.time" \
    "$fuzz_bin/$t" "$corpus" "${dict[@]}" -artifact_prefix="$artifacts/" \
    -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 \
    -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 >"$log" 2>&1 || true
  cpu=$(awk '{printf "%.0f", $1 + $2}' "$artifacts/.time")
  execs=$(grep -aoE '^#[0-9]+: cov' "$log" | tail -n 1 | tr -dc 0-9)
  new=$(comm -13 <(echo "$before") <(ls "$artifacts" | sort) | grep -E '^(crash|timeout|oom|leak)-' || true)
  if [ -n "$new" ]; then
    mkdir -p "tests/fixtures/fuzz/$t"
    for f in $new; do cp "$artifacts/$f" "tests/fixtures/fuzz/$t/"; done
    case $t in verify_*)
      if [ ! -f tests/fixtures/fuzz/trust.json ]; then cp "$trust" tests/fixtures/fuzz/trust.json
      elif ! cmp -s "$trust" tests/fixtures/fuzz/trust.json; then
        echo "warning: tests/fixtures/fuzz/trust.json is another office's; $t fixtures may not replay" >&2
      fi ;;
    esac
    found="$(echo "$new" | wc -l) new: $(echo "$new" | sed 's/-.*//' | sort | uniq -c | xargs) (tests/fixtures/fuzz/$t/, log $log)"
  else
    found=nothing
  fi
  printf '%-15s %9s %12s  %s\n' "$t" "$cpu" "${execs:-?}" "$found"
done
