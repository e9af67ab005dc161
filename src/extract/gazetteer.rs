//! Vietnam's administrative units, for checking the place names in addresses.
//!
//! The `vie` model misreads tone marks in words that are still real syllables
//! (`Nghi Lộc` → `Nghỉ Lộc`, `Đà Lạt` → `Đà Lat`), which no syllable check can
//! catch. Unit names are a closed list, though: in `huyện Nghỉ Lộc` the level
//! word says a district follows, and the only district whose letters are
//! `Nghi Lộc` is spelled so. A name read with the right letters but wrong marks
//! is put right when exactly one unit of that level matches; it is doubtful
//! when several do, or when the letters are one edit away from a unit's name.
//! Names not in the list (streets, units created later) are left alone.
//!
//! The list is dated (`admin_units.txt`, built by `scripts/gazetteer.py`):
//! the units of 2008–2025 and those of the 2025 reorganisation (34
//! provinces, no district level, merged communes, from 2025-07-01). A place
//! is checked against the units valid at the document's date, or against
//! those of every period when the document's date is not known.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use time::Date;

use super::lexicon::{
    ends_with_province_part, is_word_char, listed_street, marked_words, syllable_key,
};
use crate::layout::levenshtein;
use crate::model::ReviewReason;
use crate::normalize::fold;

/// The list: periods (`@`, from, to), each with its units: `P`/`D`/`C`, a
/// tab, the name with its type word (see the file's header).
const UNITS: &str = include_str!("admin_units.txt");

/// Administrative levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Level {
    /// Province or centrally-run city.
    Province,
    /// District, district-level town or city.
    District,
    /// Commune, ward or township.
    Commune,
}

/// Level words as printed before a name: folded words, canonical spelling,
/// and the levels the name may be at.
const LEVEL_WORDS: &[(&str, &str, &[Level])] = &[
    ("DAC KHU", "đặc khu", &[Level::Commune]),
    ("THI TRAN", "thị trấn", &[Level::Commune]),
    ("THI XA", "thị xã", &[Level::District]),
    (
        "THANH PHO",
        "thành phố",
        &[Level::District, Level::Province],
    ),
    ("TP", "TP", &[Level::District, Level::Province]),
    ("PHUONG", "phường", &[Level::Commune]),
    ("XA", "xã", &[Level::Commune]),
    ("QUAN", "quận", &[Level::District]),
    ("HUYEN", "huyện", &[Level::District]),
    ("TINH", "tỉnh", &[Level::Province]),
];

/// Fixed phrases a place may start with, put right when only marks differ.
/// Longest first; each word keeps the case it was printed in.
const PHRASES: &[(&str, &str)] = &[
    ("UY BAN NHAN DAN", "ủy ban nhân dân"),
    // Where a birth or a death took place.
    ("BENH VIEN DA KHOA", "bệnh viện đa khoa"),
    ("TRUNG TAM Y TE", "trung tâm y tế"),
    ("BENH VIEN", "bệnh viện"),
    ("TRAM Y TE", "trạm y tế"),
    ("NHA HO SINH", "nhà hộ sinh"),
    // At home (`Tại nhà, số 12 …`).
    ("TAI NHA", "tại nhà"),
];

/// Words a part of an address starts with below the commune, and `số`
/// before a house number: folded letters, spelling, and whether a number
/// must follow. Put right when read with other marks (`Thồn 3`, `Sổ 149`);
/// where the letters also spell a family name that may open a street's
/// name (`Tô`, `Ngô`), only before a number (`tổ 5`, `ngõ 82`).
const PART_WORDS: &[(&str, &str, bool)] = &[
    ("SO", "số", true),
    ("THON", "thôn", false),
    ("XOM", "xóm", false),
    ("AP", "ấp", false),
    ("KHOM", "khóm", false),
    ("TO", "tổ", true),
    ("NGO", "ngõ", true),
    ("NGACH", "ngách", true),
    ("HEM", "hẻm", true),
    ("KIET", "kiệt", true),
];

/// The abbreviation an office's name starts with (`UBND phường …`).
const COMMITTEE: &str = "UBND";

/// Type words a unit's name starts with in the list.
const TYPE_WORDS: &[&str] = &[
    "Thành phố ",
    "Tỉnh ",
    "Quận ",
    "Huyện ",
    "Thị xã ",
    "Thị trấn ",
    "Phường ",
    "Xã ",
    "Đặc khu ",
];

/// The units of one period.
#[derive(Default)]
struct Period {
    /// First day the units are valid.
    from: Option<Date>,
    /// Last day, if they no longer are.
    to: Option<Date>,
    /// Spelling keys (letters and tone per word) by level.
    exact: HashSet<(Level, String)>,
    /// Names by level and folded letters.
    by_fold: HashMap<(Level, String), Vec<&'static str>>,
    /// Folded names by level, for near misses.
    folded: HashMap<Level, Vec<String>>,
    /// Whether the period has a district level (before 2025-07-01).
    districts: bool,
}

impl Period {
    fn contains(&self, d: Date) -> bool {
        self.from.is_none_or(|f| f <= d) && self.to.is_none_or(|t| d <= t)
    }
}

/// The periods, oldest first.
struct Gazetteer {
    periods: Vec<Period>,
}

impl Gazetteer {
    /// The periods to check a document of `date` against: those valid then
    /// (the nearest when none is), every period when the date is unknown.
    fn at(&self, date: Option<Date>) -> Vec<&Period> {
        let Some(d) = date else {
            return self.periods.iter().collect();
        };
        let valid: Vec<&Period> = self.periods.iter().filter(|p| p.contains(d)).collect();
        if !valid.is_empty() {
            return valid;
        }
        let nearest = if self
            .periods
            .first()
            .and_then(|p| p.from)
            .is_some_and(|f| d < f)
        {
            self.periods.first()
        } else {
            self.periods.last()
        };
        nearest.into_iter().collect()
    }
}

/// A `YYYY-MM-DD` date of the list's header lines (`-`: none).
fn list_date(s: &str) -> Option<Date> {
    let mut it = s.trim().splitn(3, '-').map(str::parse::<u16>);
    let (Some(Ok(y)), Some(Ok(m)), Some(Ok(d))) = (it.next(), it.next(), it.next()) else {
        return None;
    };
    let month = time::Month::try_from(u8::try_from(m).ok()?).ok()?;
    Date::from_calendar_date(i32::from(y), month, u8::try_from(d).ok()?).ok()
}

/// A name's spelling with the tone placement normalized (`Hoà` = `Hòa`).
fn spelling_key(name: &str) -> String {
    name.split_whitespace()
        .map(syllable_key)
        .collect::<Vec<_>>()
        .join(" ")
}

fn gazetteer() -> &'static Gazetteer {
    static G: OnceLock<Gazetteer> = OnceLock::new();
    G.get_or_init(|| {
        let mut periods: Vec<Period> = Vec::new();
        for line in UNITS.lines().filter(|l| !l.starts_with('#')) {
            let Some((tag, rest)) = line.split_once('\t') else {
                continue;
            };
            if tag == "@" {
                let (from, to) = rest.split_once('\t').unwrap_or((rest, "-"));
                periods.push(Period {
                    from: list_date(from),
                    to: list_date(to),
                    ..Period::default()
                });
                continue;
            }
            let level = match tag {
                "P" => Level::Province,
                "D" => Level::District,
                _ => Level::Commune,
            };
            let name = TYPE_WORDS
                .iter()
                .find_map(|t| rest.strip_prefix(t))
                .unwrap_or(rest);
            let Some(g) = periods.last_mut() else {
                continue;
            };
            g.districts |= level == Level::District;
            if g.exact.insert((level, spelling_key(name))) {
                let f = fold(name);
                g.folded.entry(level).or_default().push(f.clone());
                g.by_fold.entry((level, f)).or_default().push(name);
            }
        }
        Gazetteer { periods }
    })
}

/// Whether two strings are exactly one insertion, deletion or
/// substitution apart.
fn one_edit(a: &str, b: &str) -> bool {
    levenshtein(a, b) == 1
}

/// What the check made of a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlaceCheck {
    /// The place, with unit names whose marks were misread put right.
    pub text: String,
    /// Why a unit name could not be told for sure, if one could not (the
    /// first such name's reason).
    pub doubt: Option<ReviewReason>,
    /// The place without the unit names found in the list, for the checks
    /// that known names need not pass (`Krông Pắc` is no Kinh syllable).
    pub unlisted: String,
    /// Whether the place ends with a unit of a period without districts
    /// (from 2025-07-01), listed at the document's date: `phường Phú
    /// Xuân` alone names a whole unit, and an office of it.
    pub ends_with_unit: bool,
}

/// A word of a part and where it is.
struct Word<'a> {
    text: &'a str,
    start: usize,
    end: usize,
    folded: String,
}

fn words(part: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in part
        .char_indices()
        .chain(std::iter::once((part.len(), ' ')))
    {
        match (start, is_word_char(c)) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                out.push(Word {
                    text: &part[s..i],
                    start: s,
                    end: i,
                    folded: fold(&part[s..i]),
                });
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// Whether a word is a number (`82`, `82A`, `183/7` split at its slash).
fn is_number(w: &Word<'_>) -> bool {
    w.text.starts_with(|c: char| c.is_ascii_digit())
}

/// The level word whose letters start at word `i`, with a word after it:
/// how many words it takes, its spelling and the levels a name after it
/// may be at. Marks are not compared.
fn level_word_at(ws: &[Word<'_>], i: usize) -> Option<(usize, &'static str, &'static [Level])> {
    LEVEL_WORDS.iter().find_map(|(f, canonical, levels)| {
        let n = f.split(' ').count();
        let letters = i + n < ws.len()
            && ws[i..i + n]
                .iter()
                .map(|w| w.folded.as_str())
                .eq(f.split(' '));
        letters.then_some((n, *canonical, *levels))
    })
}

/// The word of [`PART_WORDS`] whose letters are word `i`'s, when what
/// follows suits it (`number_next`: a number follows). Marks are not
/// compared.
fn part_word_at(ws: &[Word<'_>], i: usize, number_next: bool) -> Option<&'static str> {
    PART_WORDS
        .iter()
        .find(|(f, _, number)| ws[i].folded == *f && (number_next || !number))
        .map(|(_, canonical, _)| *canonical)
}

/// `canonical` written in the case of `like` (upper case, capitalised, or
/// as is).
fn in_case_of(canonical: &str, like: &str) -> String {
    let upper = like.chars().filter(|c| c.is_alphabetic()).count() > 1
        && like.chars().all(|c| !c.is_lowercase());
    if upper {
        return canonical.to_uppercase();
    }
    let capital = like.chars().next().is_some_and(char::is_uppercase);
    let mut chars = canonical.chars();
    match (capital, chars.next()) {
        (true, Some(first)) => first.to_uppercase().chain(chars).collect(),
        _ => canonical.to_string(),
    }
}

/// Whether the words spell `canonical` with the same marks (any case).
fn same_marks(ws: &[Word<'_>], canonical: &str) -> bool {
    let got = ws.iter().map(|w| w.text).collect::<Vec<_>>().join(" ");
    spelling_key(&got) == spelling_key(canonical)
}

/// Checks the unit names of a place against the units valid at `date` (the
/// document's date; every period's units when it is not known) and puts
/// right the marks of those it can tell for sure.
pub(crate) fn check_place(text: &str, date: Option<Date>) -> PlaceCheck {
    let periods = gazetteer().at(date);
    let flat = periods.iter().all(|p| !p.districts);
    let mut ends_with_unit = false;
    let mut doubt: Option<ReviewReason> = None;
    // A semicolon between the parts of a place is a misread comma, and a
    // hyphen stuck to the end of a word (`UBND- phường`) a speck.
    let text = drop_stops_after_levels(&unglue_hyphens(&text.replace(';', ",")));
    let parts: Vec<&str> = text.split(',').collect();
    let mut out: Vec<String> = Vec::with_capacity(parts.len());
    let mut unlisted: Vec<String> = Vec::with_capacity(parts.len());
    for (pi, part) in parts.iter().enumerate() {
        let ws = words(part);
        // Replacements in this part: byte range and new text.
        let mut edits: Vec<(usize, usize, String)> = Vec::new();
        let mut listed: Vec<(usize, usize)> = Vec::new();
        let mut first = 0;
        for (phrase, canonical) in PHRASES {
            let n = phrase.split(' ').count();
            let folded: Vec<&str> = ws.iter().take(n).map(|w| w.folded.as_str()).collect();
            if ws.len() >= n && folded.join(" ") == *phrase {
                for (w, c) in ws.iter().zip(canonical.split(' ')) {
                    if !same_marks(std::slice::from_ref(w), c) {
                        edits.push((w.start, w.end, in_case_of(c, w.text)));
                    }
                }
                first = n;
                break;
            }
        }
        // `phố` before a street's name, read with another tone (`phổ Huế`);
        // `thành phố` is the level word's business.
        for (i, w) in ws.iter().enumerate() {
            let street = w.folded == "PHO"
                && (i == 0 || ws[i - 1].folded != "THANH")
                && ws
                    .get(i + 1)
                    .is_some_and(|n| n.text.chars().next().is_some_and(char::is_uppercase));
            if street && !same_marks(&ws[i..=i], "phố") {
                edits.push((w.start, w.end, in_case_of("phố", w.text)));
            }
        }
        // The word the part starts with, read with other marks.
        if first == 0 && ws.len() > 1 {
            if let Some(canonical) = part_word_at(&ws, 0, is_number(&ws[1])) {
                if !same_marks(&ws[..1], canonical) {
                    edits.push((ws[0].start, ws[0].end, in_case_of(canonical, ws[0].text)));
                }
            }
        }
        // A street's name after `đường` or `phố`, or after a house number,
        // put right against the names most towns give their streets.
        for (i, w) in ws.iter().enumerate() {
            let street = (same_marks(&ws[i..=i], "đường") || w.folded == "PHO")
                && (i == 0 || ws[i - 1].folded != "THANH");
            let house = is_number(w) && (i == 0 || ws[i - 1].folded == "SO");
            if !(street || house) {
                continue;
            }
            let run: Vec<&Word<'_>> = ws[i + 1..]
                .iter()
                .skip_while(|x| house && is_number(x))
                .take_while(|x| x.text.starts_with(char::is_uppercase))
                .collect();
            let names: Vec<&str> = run.iter().map(|x| x.text).collect();
            if let Some(spelled) = listed_street(&names) {
                for (x, c) in run.iter().zip(spelled) {
                    if !same_marks(std::slice::from_ref(*x), c) {
                        edits.push((x.start, x.end, in_case_of(c, x.text)));
                    }
                }
            }
        }
        // An office's name opens with the committee's abbreviation; a
        // capital misread in it (`DBND phường`) is a speck, not a new word.
        if let Some(w) = ws.first().filter(|_| first == 0 && pi == 0 && ws.len() > 2) {
            let caps = w.text.chars().all(|c| c.is_ascii_uppercase());
            let before_level = level_word_at(&ws, 1).is_some();
            if caps && w.folded != COMMITTEE && one_edit(&w.folded, COMMITTEE) && before_level {
                edits.push((w.start, w.end, COMMITTEE.to_string()));
                first = 1;
            }
        }
        if first == 0 && ws.first().is_some_and(|w| w.folded == COMMITTEE) {
            first = 1;
        }
        // The first level word: anywhere when spelled right, at the start of
        // the part (or after the office's name) also when misread.
        let level = (first..ws.len()).find_map(|i| {
            let (n, canonical, levels) = level_word_at(&ws, i)?;
            let exact = same_marks(&ws[i..i + n], canonical);
            (exact || i == first).then_some((i, n, canonical, levels, exact))
        });
        let (name_at, levels) = match level {
            Some((i, n, _, levels, _)) => (i + n, levels),
            // A last part without a level word may be the province.
            None if pi + 1 == parts.len() && pi > 0 && first == 0 => (0, &[Level::Province][..]),
            None => {
                unlisted.push(part.to_string());
                out.push(apply(part, edits));
                continue;
            }
        };
        let name_words = &ws[name_at..];
        let numbered = !name_words.is_empty()
            && name_words
                .iter()
                .all(|w| w.text.chars().all(|c| c.is_ascii_digit()));
        // A level word read with other marks before a unit's number (`quân
        // 1`): nothing but a level word precedes a number there.
        if let Some((i, n, canonical, _, false)) = level {
            if numbered && i == first && canonical != "TP" {
                edits.push((
                    ws[i].start,
                    ws[i + n - 1].end,
                    in_case_of(canonical, ws[i].text),
                ));
            }
        }
        if name_words.is_empty()
            || name_words
                .iter()
                .any(|w| w.text.chars().any(|c| c.is_ascii_digit()))
        {
            unlisted.push(part.to_string());
            out.push(apply(part, edits));
            continue;
        }
        let name = name_words
            .iter()
            .map(|w| w.text)
            .collect::<Vec<_>>()
            .join(" ");
        let key = spelling_key(&name);
        let folded = fold(&name);
        let known = levels
            .iter()
            .any(|l| periods.iter().any(|g| g.exact.contains(&(*l, key.clone()))));
        let mut right = known;
        // A listed name whose words are capitalised unlike each other
        // (`Nghi LỘC`, `cầu Giấy`) was misread in case, and case is kept as
        // printed, so a person reads it. A name printed all in one style
        // (`cầu giấy`) is taken as printed.
        let style = |t: &str| {
            let letters: Vec<char> = t.chars().filter(|c| c.is_alphabetic()).collect();
            match letters.as_slice() {
                [first, ..] if first.is_lowercase() => 0,
                [_, rest @ ..] if !rest.is_empty() && rest.iter().all(|c| c.is_uppercase()) => 2,
                _ => 1,
            }
        };
        let styles: HashSet<u8> = name_words
            .iter()
            .filter(|w| w.text.chars().filter(|c| c.is_alphabetic()).count() > 1)
            .map(|w| style(w.text))
            .collect();
        if known && styles.len() > 1 {
            doubt.get_or_insert(ReviewReason::MixedCase);
        }
        if !known {
            let mut spellings: Vec<&str> = levels
                .iter()
                .flat_map(|l| {
                    periods
                        .iter()
                        .filter_map(|g| g.by_fold.get(&(*l, folded.clone())))
                })
                .flatten()
                .copied()
                .collect();
            spellings.sort_unstable_by_key(|s| spelling_key(s));
            spellings.dedup_by_key(|s| spelling_key(s));
            match spellings.as_slice() {
                [only] if only.split_whitespace().count() == name_words.len() => {
                    for (w, canonical) in name_words.iter().zip(only.split_whitespace()) {
                        if spelling_key(w.text) != spelling_key(canonical) {
                            edits.push((w.start, w.end, in_case_of(canonical, w.text)));
                        }
                    }
                    right = true;
                }
                [] => {
                    // Letters one edit from the name of a province or
                    // district: a misread letter. (Commune names are too
                    // many and too alike for this to say much.)
                    let near = folded.chars().count() >= 4
                        && level.is_some()
                        && levels.iter().filter(|l| **l != Level::Commune).any(|l| {
                            periods.iter().any(|g| {
                                g.folded
                                    .get(l)
                                    .is_some_and(|names| names.iter().any(|n| one_edit(n, &folded)))
                            })
                        });
                    if near {
                        doubt.get_or_insert(ReviewReason::UnknownUnit);
                    }
                }
                _ => {
                    doubt.get_or_insert(ReviewReason::AmbiguousMarks);
                }
            }
        }
        if right {
            listed.push((name_words[0].start, name_words[name_words.len() - 1].end));
            ends_with_unit = flat && level.is_some() && pi + 1 == parts.len();
        }
        // A level word read with wrong marks before a name now known.
        if let Some((i, n, canonical, _, false)) = level {
            if right && canonical != "TP" {
                edits.push((
                    ws[i].start,
                    ws[i + n - 1].end,
                    in_case_of(canonical, ws[i].text),
                ));
            }
        }
        let blanked = listed.iter().map(|&(a, b)| (a, b, String::new())).collect();
        unlisted.push(apply(part, blanked));
        out.push(apply(part, edits));
    }
    PlaceCheck {
        text: out.join(","),
        doubt,
        unlisted: unlisted.join(","),
        ends_with_unit,
    }
}

/// Whether one comma-separated part of a place names two units (`Phường
/// Duy Hà tỉnh Ninh Bình`): each unit has its own part, so the comma between
/// them was lost, and with it perhaps more. The second level word must be
/// spelled exactly (`Xa La` is a ward's name, not `xã`), and be followed by
/// a name.
pub(crate) fn two_units_in_a_part(text: &str) -> bool {
    text.split([',', ';']).any(|part| {
        let ws = words(part);
        let level_at = |i: usize, exact_only: bool| {
            let level = level_word_at(&ws, i)
                .filter(|(n, canonical, _)| !exact_only || same_marks(&ws[i..i + n], canonical))
                .map(|(n, _, _)| n);
            // Units below the commune (`Xóm 4 xã Kỳ Xuân`), not a house
            // number.
            let below = || {
                let number_next = ws
                    .get(i + 1)
                    .is_some_and(|n| n.text.chars().all(|c| c.is_ascii_digit()));
                part_word_at(&ws, i, number_next)
                    .filter(|canonical| {
                        *canonical != "số"
                            && ws.len() > i + 1
                            && (!exact_only || same_marks(&ws[i..=i], canonical))
                    })
                    .map(|_| 1)
            };
            // `tỉnh` read with another mark before a province's name, to
            // the end of the part (`huyện Nghi Lộc tính Nghệ An`).
            let province = || {
                let rest: Vec<&str> = ws[i + 1..].iter().map(|w| w.text).collect();
                (exact_only
                    && ws[i].folded == "TINH"
                    && !rest.is_empty()
                    && ends_with_province_part(&format!("tỉnh {}", rest.join(" "))))
                .then_some(1)
            };
            level.or_else(below).or_else(province)
        };
        let mut levels = 0;
        let mut i = 0;
        while i < ws.len() {
            // The first word of the part may be misread; later ones not.
            match level_at(i, i > 0) {
                Some(n) => {
                    levels += 1;
                    i += n + 1;
                }
                None => i += 1,
            }
        }
        levels > 1
    })
}

/// Drops a full stop after a level word spelled out before a name or a
/// number (`tỉnh. Thái Nguyên`): a level word spelled out is no
/// abbreviation, and no sentence ends inside a place; a speck.
fn drop_stops_after_levels(text: &str) -> String {
    // The last word of a level word spelled out (`phố` of `thành phố`).
    let level = |w: &str| {
        LEVEL_WORDS.iter().any(|(_, canonical, _)| {
            canonical.split(' ').next_back().is_some_and(|l| {
                l.chars().any(char::is_lowercase) && syllable_key(l) == syllable_key(w)
            })
        })
    };
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        if c == '.' {
            let mut after = text[i + 1..].chars();
            let named = after.next() == Some(' ')
                && after
                    .next()
                    .is_some_and(|n| n.is_uppercase() || n.is_ascii_digit());
            let glued = text[..i].ends_with(is_word_char);
            if named && glued && marked_words(&text[..i]).last().is_some_and(level) {
                continue;
            }
        }
        out.push(c);
    }
    out
}

/// Drops a hyphen stuck to the end of a word before a space (`UBND- phường`);
/// a hyphen between spaces (`Phụ sản - Nhi`) stays.
fn unglue_hyphens(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars
        .iter()
        .enumerate()
        .filter(|&(i, &c)| {
            let glued = c == '-'
                && i > 0
                && chars[i - 1].is_alphanumeric()
                && chars.get(i + 1).is_some_and(|n| n.is_whitespace());
            !glued
        })
        .map(|(_, &c)| c)
        .collect()
}

/// Applies byte-range replacements to a part.
fn apply(part: &str, mut edits: Vec<(usize, usize, String)>) -> String {
    edits.sort_by_key(|e| e.0);
    let mut s = String::with_capacity(part.len());
    let mut at = 0;
    for (start, end, new) in edits {
        if start < at {
            continue;
        }
        s.push_str(&part[at..start]);
        s.push_str(&new);
        at = end;
    }
    s.push_str(&part[at..]);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(s: &str) -> String {
        let c = check_place(s, None);
        assert_eq!(c.doubt, None, "{s}");
        c.text
    }

    #[test]
    fn misread_marks_of_unit_names_are_put_right() {
        assert_eq!(
            fixed("Xóm 3, xã Nghi Phong, huyện Nghỉ Lộc, tỉnh Nghệ An"),
            "Xóm 3, xã Nghi Phong, huyện Nghi Lộc, tỉnh Nghệ An"
        );
        assert_eq!(
            fixed("148/27 Hai Bà Trưng, phường 9, thành phố Đà Lat, tình Lâm Đồng"),
            "148/27 Hai Bà Trưng, phường 9, thành phố Đà Lạt, tỉnh Lâm Đồng"
        );
        assert_eq!(
            fixed("Ủy ban nhận dân phường Thạch Thang, quận Hải Châu, thành phô Đà Nẵng"),
            "Ủy ban nhân dân phường Thạch Thang, quận Hải Châu, thành phố Đà Nẵng"
        );
        assert_eq!(
            fixed("UBND thị trấn Quán Hành, huyện Nghi Lộc, tỉnh Nghệ An"),
            "UBND thị trấn Quán Hành, huyện Nghi Lộc, tỉnh Nghệ An"
        );
        assert_eq!(
            fixed("Bệnh viện Bạch Mai, Hà Nội"),
            "Bệnh viện Bạch Mai, Hà Nội"
        );
        assert_eq!(
            fixed("UBND- phường 10, thành phố Đà Lạt; tỉnh Lâm Đồng"),
            "UBND phường 10, thành phố Đà Lạt, tỉnh Lâm Đồng"
        );
        assert_eq!(
            fixed("Thôn Bản Phố 1, xã Bản Phố, húyện Bắc Hà, tỉnh Lào Cai"),
            "Thôn Bản Phố 1, xã Bản Phố, huyện Bắc Hà, tỉnh Lào Cai"
        );
        assert_eq!(
            fixed("Trung tâm Y tế huyện Bắc Hà, Lào Cải"),
            "Trung tâm Y tế huyện Bắc Hà, Lào Cai"
        );
        // Either placement of a tone is right, and upper case stays upper.
        assert_eq!(
            fixed("XÃ HOÀ AN, HUYỆN KRÔNG PẮC"),
            "XÃ HOÀ AN, HUYỆN KRÔNG PẮC"
        );
        assert_eq!(
            fixed("Thị xã Thái Hoà, tỉnh Nghệ An"),
            "Thị xã Thái Hoà, tỉnh Nghệ An"
        );
        assert_eq!(
            fixed("Sổ 14, ngõ 60, phổ Ba Tháng Hai, Phô Huế, phường 10, quận 1"),
            "Số 14, ngõ 60, phố Ba Tháng Hai, Phố Huế, phường 10, quận 1"
        );
        // Streets and units not in the list are left alone.
        assert_eq!(
            fixed("Số 14, ngõ 60, phố Ba Tháng Hai, phường 10, quận 1"),
            "Số 14, ngõ 60, phố Ba Tháng Hai, phường 10, quận 1"
        );
    }

    #[test]
    fn the_words_a_part_starts_with_are_put_right() {
        assert_eq!(
            fixed("Thồn 3, xã Chiềng Sại, tỉnh Sơn La"),
            "Thôn 3, xã Chiềng Sại, tỉnh Sơn La"
        );
        assert_eq!(
            fixed("xom Đông, tồ 5, ngỏ 82, Ngô Quyền, tỉnh Sơn La"),
            "xóm Đông, tổ 5, ngõ 82, Ngô Quyền, tỉnh Sơn La"
        );
        // A level word before a unit's number.
        assert_eq!(
            fixed("UBND phường Bến Nghé, quân 1, TP. Hồ Chí Minh"),
            "UBND phường Bến Nghé, quận 1, TP. Hồ Chí Minh"
        );
        assert_eq!(
            fixed("Bệnh viện Đa khoả Lâm Đồng, tỉnh Lâm Đồng"),
            "Bệnh viện Đa khoa Lâm Đồng, tỉnh Lâm Đồng"
        );
        assert_eq!(
            fixed("Trạm y tễ xã Tân Lập, tỉnh Phú Thọ"),
            "Trạm y tế xã Tân Lập, tỉnh Phú Thọ"
        );
        assert_eq!(
            fixed("Tai nhà, Số 212, ngõ 82, phường Nghĩa Đô, Hà Nội"),
            "Tại nhà, Số 212, ngõ 82, phường Nghĩa Đô, Hà Nội"
        );
        // The committee's abbreviation with a misread capital.
        assert_eq!(
            fixed("DBND phường Điện Biên Phủ, tỉnh Điện Biên"),
            "UBND phường Điện Biên Phủ, tỉnh Điện Biên"
        );
        // Streets most towns have, read with other marks.
        assert_eq!(
            fixed("Tại nhà, 183/7 Bạch Đăng, phường Phước Ninh, quận Hải Châu"),
            "Tại nhà, 183/7 Bạch Đằng, phường Phước Ninh, quận Hải Châu"
        );
        assert_eq!(
            fixed("Số 215, ngõ 47, phố Lý Thái Tố, phường Mỹ Long, tỉnh An Giang"),
            "Số 215, ngõ 47, phố Lý Thái Tổ, phường Mỹ Long, tỉnh An Giang"
        );
        assert_eq!(
            fixed("Số 12 Trần Hưng Đao, đường Dương Quảng Hàm, quận Cầu Giấy"),
            "Số 12 Trần Hưng Đạo, đường Dương Quảng Hàm, quận Cầu Giấy"
        );
        // Family names that open a street's name stay, as do other
        // abbreviations.
        assert_eq!(
            fixed("Tô Hiến Thành, phường 12, quận 10"),
            "Tô Hiến Thành, phường 12, quận 10"
        );
        assert_eq!(
            fixed("HĐND phường Điện Biên Phủ, tỉnh Điện Biên"),
            "HĐND phường Điện Biên Phủ, tỉnh Điện Biên"
        );
    }

    #[test]
    fn a_full_stop_after_a_level_word_is_a_speck() {
        assert_eq!(
            fixed("UBND phường Tích Lương, tỉnh. Thái Nguyên"),
            "UBND phường Tích Lương, tỉnh Thái Nguyên"
        );
        assert_eq!(
            fixed("phường. 12, quận 10, TP. Hồ Chí Minh"),
            "phường 12, quận 10, TP. Hồ Chí Minh"
        );
    }

    #[test]
    fn two_units_in_one_part_lost_a_comma() {
        assert!(two_units_in_a_part("Phường Duy Hà tỉnh Ninh Bình"));
        assert!(two_units_in_a_part(
            "Xã Tân Phú huyện Đồng Phú, tỉnh Bình Phước"
        ));
        assert!(two_units_in_a_part("phường 12 quận 10, TP. Hồ Chí Minh"));
        assert!(two_units_in_a_part("Xóm 4 xã Kỳ Xuân, tỉnh Hà Tĩnh"));
        assert!(two_units_in_a_part("Số 5 ngõ 82 phường Nghĩa Đô"));
        assert!(two_units_in_a_part(
            "Ủy ban nhân dân thị trấn Quán Hành, huyện Nghi Lộc tính Nghệ An"
        ));
        for whole in [
            "Phường Duy Hà, tỉnh Ninh Bình",
            "Ủy ban nhân dân phường Phú Xuân, thành phố Huế",
            "UBND thị xã Sơn Tây, Hà Nội",
            "phường Xa La, quận Hà Đông, Hà Nội",
            "Bệnh viện Đa khoa tỉnh Ninh Bình",
            "Số 212 ngõ 82 phố Trần Quốc Hoàn",
            "Thôn Bản Phố 1, xã Bản Phố",
        ] {
            assert!(!two_units_in_a_part(whole), "{whole}");
        }
    }

    #[test]
    fn names_that_cannot_be_told_are_doubtful() {
        let doubt = |s: &str| check_place(s, None).doubt;
        // `Tong Xuyên` is one letter from the city of Long Xuyên.
        assert_eq!(
            doubt("phường Mỹ Long, thành phố Tong Xuyên, tỉnh An Giang"),
            Some(ReviewReason::UnknownUnit)
        );
        // `An Hòa` and `Ân Hòa` are both communes.
        assert_eq!(
            doubt("xã Añ Hòa, huyện Krông Pắc, tỉnh Đắk Lắk"),
            Some(ReviewReason::AmbiguousMarks)
        );
        assert_eq!(
            doubt("huyện Krông Đắc, tỉnh Đắk Lắk"),
            Some(ReviewReason::UnknownUnit)
        );
        // Words of one name capitalised unlike each other: misread case.
        assert_eq!(
            doubt("xã Nghi Phong, huyện Nghi LỘC, tỉnh Nghệ An"),
            Some(ReviewReason::MixedCase)
        );
        assert_eq!(
            doubt("Phường Quan Hoa, quận cầu Giấy, Hà Nội"),
            Some(ReviewReason::MixedCase)
        );
        // One style throughout is taken as printed.
        for printed in [
            "Quận cầu giấy, tỉnh Đồng Nai",
            "XÃ HOÀ AN, HUYỆN KRÔNG PẮC",
            "Phường Quan Hoa, quận Cầu Giấy, Hà Nội",
        ] {
            let c = check_place(printed, None);
            assert_eq!(c.doubt, None, "{printed}");
            assert_eq!(c.text, printed);
        }
    }

    fn day(y: i32, m: u8, d: u8) -> Option<Date> {
        Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()
    }

    /// Whether the unit names of a place are all in the list at `date`:
    /// nothing but level words is left unlisted.
    fn all_listed(s: &str, date: Option<Date>) -> bool {
        let c = check_place(s, date);
        c.doubt.is_none()
            && c.unlisted.split(',').all(|p| {
                let f = fold(p).split_whitespace().collect::<Vec<_>>().join(" ");
                f.is_empty() || LEVEL_WORDS.iter().any(|(w, _, _)| *w == f)
            })
    }

    #[test]
    fn units_are_known_in_their_period() {
        let before = day(2019, 5, 14);
        let after = day(2025, 8, 20);
        // Wards of the 2025 reorganisation, with no district: known from
        // 2025-07-01. There was no ward Hoàn Kiếm before (Hoàn Kiếm was a
        // district); there were communes named Phú Xuân elsewhere.
        let new = "phường Phú Xuân, Thành phố Huế";
        assert!(all_listed(new, after));
        assert!(all_listed(new, None));
        let new = "Phường Hoàn Kiếm, Thành phố Hà Nội";
        assert!(all_listed(new, after));
        assert!(all_listed(new, None));
        assert!(!all_listed(new, before));
        // The special zones are a new kind of unit.
        assert!(all_listed("đặc khu Phú Quốc, tỉnh An Giang", after));
        assert!(!all_listed("đặc khu Phú Quốc, tỉnh An Giang", before));
        // A district of 2019 is known in 2019; there are no districts now.
        let old = "xã Nghi Phong, huyện Nghi Lộc, tỉnh Nghệ An";
        assert!(all_listed(old, before));
        assert!(all_listed(old, None));
        assert!(!all_listed(old, after));
        // Provinces merged away in 2025.
        assert!(all_listed("tỉnh Hà Giang", before));
        assert!(!all_listed("tỉnh Hà Giang", after));
    }

    #[test]
    fn marks_are_put_right_against_the_units_of_the_date() {
        let after = day(2025, 9, 2);
        let c = check_place("Ủy ban nhân dân phường Phú Xuán, Thành phố Huế", after);
        assert_eq!(c.doubt, None);
        assert_eq!(c.text, "Ủy ban nhân dân phường Phú Xuân, Thành phố Huế");
        let c = check_place("UBND Xã Phúc Thó, Thành phố Hà Nội", after);
        assert_eq!(c.doubt, None);
        assert_eq!(c.text, "UBND Xã Phúc Thọ, Thành phố Hà Nội");
        // In 2019 the same letters are checked against the units of 2019.
        let c = check_place(
            "Xóm 3, xã Nghi Phong, huyện Nghỉ Lộc, tỉnh Nghệ An",
            day(2019, 1, 2),
        );
        assert_eq!(c.doubt, None);
        assert_eq!(c.text, "Xóm 3, xã Nghi Phong, huyện Nghi Lộc, tỉnh Nghệ An");
        // Out of its period a district is not put right.
        let c = check_place("huyện Nghỉ Lộc, tỉnh Nghệ An", after);
        assert_eq!(c.text, "huyện Nghỉ Lộc, tỉnh Nghệ An");
    }

    #[test]
    fn the_list_has_both_periods() {
        let g = gazetteer();
        assert_eq!(g.periods.len(), 2);
        let provinces = |p: &Period| {
            p.exact
                .iter()
                .filter(|(l, _)| *l == Level::Province)
                .count()
        };
        assert_eq!(provinces(&g.periods[0]), 63);
        assert_eq!(provinces(&g.periods[1]), 34);
        assert_eq!(g.periods[0].to, day(2025, 6, 30));
        assert_eq!(g.periods[1].from, day(2025, 7, 1));
        assert_eq!(g.periods[1].to, None);
        assert!(!g.periods[1]
            .exact
            .iter()
            .any(|(l, _)| *l == Level::District));
    }

    #[test]
    fn edits_are_counted_right() {
        assert!(one_edit("LONG XUYEN", "TONG XUYEN"));
        assert!(one_edit("KRONG PAC", "KRONG PA"));
        assert!(!one_edit("KRONG PAC", "KRONG PAC"));
        assert!(!one_edit("KRONG PAC", "KRONG DAK"));
    }
}
