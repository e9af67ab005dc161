#!/usr/bin/env python3
"""Builds src/extract/admin_units.txt, the dated gazetteer of Vietnam's
administrative units that src/extract/gazetteer.rs embeds.

Sources, pinned distributions from PyPI:

* 2008-08-01 .. 2025-06-30 (63 provinces, districts, communes):
  vietnam-provinces 0.6.0, data/nested-divisions.json (the General
  Statistics Office's list as of January 2025). Licence: the 0.6.0
  distribution declares none; the project's repository
  (github.com/sunshine-tech/VietnamProvinces) declares GPL-3.0-or-later in
  later versions. The data are the GSO's public list of unit names.
* 2025-07-01 .. (34 provinces, no district level, 3321 communes, wards and
  special zones): vietnamadminunits 1.0.4, data/parser_from_2025.json.
  Licence: MIT (Copyright (c) 2025 Tran Ngoc Minh Hieu), LICENSE in the
  distribution.

The first source has no history before January 2025: its units are taken as
valid for the whole first period (units merged or renamed between 2008 and
2024 are not told apart).

Usage (only the package registry is needed):

    pip download --no-deps -d /tmp/gz vietnam-provinces==0.6.0 vietnamadminunits==1.0.4
    python3 scripts/gazetteer.py /tmp/gz > src/extract/admin_units.txt

The output is deterministic (sorted, NFC, tone marks in the modern style).
"""

import json
import re
import sys
import unicodedata
import zipfile
from pathlib import Path

OLD = ("vietnam_provinces-0.6.0-py3-none-any.whl",
       "vietnam_provinces/data/nested-divisions.json")
NEW = ("vietnamadminunits-1.0.4-py3-none-any.whl",
       "vietnamadminunits/data/parser_from_2025.json")
PERIODS = (("2008-08-01", "2025-06-30"), ("2025-07-01", "-"))

TYPES = ("Thành phố", "Tỉnh", "Quận", "Huyện", "Thị xã", "Thị trấn",
         "Phường", "Xã", "Đặc khu")

TONES = "\u0300\u0301\u0303\u0309\u0323"


def modern_tone(word):
    """`Hoà` -> `Hòa`, `Thuỷ` -> `Thủy`: the tone on the first vowel of an
    open `oa`/`oe`/`uy` ending (not after `q`/`gi`)."""
    d = unicodedata.normalize("NFD", word)
    tone = [c for c in d if c in TONES]
    base = "".join(c for c in d if c not in TONES)
    low = unicodedata.normalize("NFC", base).lower()
    if len(tone) != 1 or not re.search(r"(oa|oe|uy)$", low) or re.search(r"(qu|gi)[aeiouy]*$", low):
        return word
    # Put the tone after the second-to-last letter (base letters may carry
    # a non-tone mark, kept as they are).
    letters = [c for c in unicodedata.normalize("NFC", base)]
    letters[-2] = unicodedata.normalize("NFC", unicodedata.normalize("NFD", letters[-2]) + tone[0])
    return "".join(letters)


def clean(name):
    name = unicodedata.normalize("NFC", name).replace("\u2013", "-")
    name = " ".join(name.split())
    return " ".join(modern_tone(w) for w in name.split(" "))


def typed(name, default):
    """The name with its type word first (`Tỉnh Cao Bằng`)."""
    name = clean(name)
    for t in TYPES:
        if name.lower().startswith(t.lower() + " "):
            return t + name[len(t):]
    return f"{default} {name}"


def load(folder, wheel, member):
    with zipfile.ZipFile(Path(folder) / wheel) as z:
        return json.loads(z.read(member))


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "."
    out = [
        "# Vietnam's administrative units with their validity periods, built by",
        "# scripts/gazetteer.py (do not edit by hand). A line `@ FROM TO` starts",
        "# a period (`-`: still valid); then `P` province or centrally-run city,",
        "# `D` district, `C` commune, ward, township or special zone, a tab, the",
        "# name with its type word. A unit's parent is the `P` (or, for a `C` of",
        "# a period with districts, the `D`) line above it. Tone marks in the",
        "# modern style (Hòa).",
        "# 2008-08-01..2025-06-30: vietnam-provinces 0.6.0 (PyPI), the General",
        "#   Statistics Office's list as of January 2025; no licence declared in",
        "#   the distribution, GPL-3.0-or-later in the project's repository.",
        "# 2025-07-01..: vietnamadminunits 1.0.4 (PyPI), MIT licence,",
        "#   Copyright (c) 2025 Tran Ngoc Minh Hieu.",
    ]
    old = load(folder, *OLD)
    out.append("@\t%s\t%s" % PERIODS[0])
    for p in sorted(old, key=lambda p: p["code"]):
        out.append("P\t" + typed(p["name"], "Tỉnh"))
        for d in sorted(p["districts"], key=lambda d: d["code"]):
            out.append("D\t" + typed(d["name"], "Huyện"))
            for w in sorted(d["wards"], key=lambda w: w["code"]):
                out.append("C\t" + typed(w["name"], "Xã"))
    new = load(folder, *NEW)
    provinces = new["DICT_PROVINCE"]
    wards = {}
    for key in ("DICT_PROVINCE_WARD_NO_ACCENTED", "DICT_PROVINCE_WARD_ACCENTED"):
        for pk, ws in new[key].items():
            for w in ws.values():
                wards.setdefault(pk, {})[w["wardCode"]] = w
    out.append("@\t%s\t%s" % PERIODS[1])
    for pk in sorted(provinces, key=lambda k: provinces[k]["provinceCode"]):
        out.append("P\t" + typed(provinces[pk]["province"], "Tỉnh"))
        for code in sorted(wards.get(pk, {})):
            w = wards[pk][code]
            out.append("C\t" + typed(w["ward"], w["wardType"]))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
