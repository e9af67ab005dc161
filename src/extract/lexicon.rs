//! What Vietnamese words can look like: a syllable checker and the syllables of
//! personal names.
//!
//! The `vie` model's typical slips (`HUỲNH` → `HƯỲNH`, `DŨNG` → `DŨR`,
//! `HUYỀN` → `HUYỂN`) keep a high word confidence. Many of them are not
//! Vietnamese syllables at all, and most of the rest are not syllables that occur
//! in names; either way the value is sent to review instead of being trusted.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

use crate::normalize::TONE_MARKS as TONES;

/// Initial consonants, longest first so `NGH` is tried before `NG` and `N`.
const ONSETS: &[&str] = &[
    "NGH", "NG", "NH", "GH", "GI", "KH", "PH", "TH", "TR", "CH", "QU", "B", "C", "D", "Đ", "G",
    "H", "K", "L", "M", "N", "P", "R", "S", "T", "V", "X", "",
];

/// Rhymes (vowels and final consonant), tone marks removed.
const RHYMES: &[&str] = &[
    // open
    "A", "E", "Ê", "I", "Y", "O", "Ô", "Ơ", "U", "Ư", "AI", "AO", "AU", "ÂU", "AY", "ÂY", "EO",
    "ÊU", "IA", "IU", "OA", "OE", "OI", "ÔI", "ƠI", "UA", "UÊ", "UI", "UY", "ƯA", "ƯI", "ƯU",
    "IÊU", "YÊU", "OAI", "OAY", "OEO", "UÂY", "UÔI", "ƯƠI", "ƯƠU", "UYA", "UYU", "OAO", "UƠ",
    // closed
    "AC", "ACH", "AM", "AN", "ANG", "ANH", "AP", "AT", "ĂC", "ĂM", "ĂN", "ĂNG", "ĂP", "ĂT", "ÂC",
    "ÂM", "ÂN", "ÂNG", "ÂP", "ÂT", "EC", "EM", "EN", "ENG", "EP", "ET", "ÊCH", "ÊM", "ÊN", "ÊNH",
    "ÊP", "ÊT", "ICH", "IM", "IN", "INH", "IP", "IT", "OC", "OM", "ON", "ONG", "OP", "OT", "OOC",
    "OONG", "ÔC", "ÔM", "ÔN", "ÔNG", "ÔP", "ÔT", "ƠM", "ƠN", "ƠP", "ƠT", "UC", "UM", "UN", "UNG",
    "UP", "UT", "ƯC", "ƯNG", "ƯT", "ƯM", "ƯN", "IÊC", "IÊM", "IÊN", "IÊNG", "IÊP", "IÊT", "YÊM",
    "YÊN", "YÊT", "UÔC", "UÔM", "UÔN", "UÔNG", "UÔT", "ƯƠC", "ƯƠM", "ƯƠN", "ƯƠNG", "ƯƠP", "ƯƠT",
    "OAC", "OACH", "OAM", "OAN", "OANG", "OANH", "OAP", "OAT", "OĂC", "OĂM", "OĂN", "OĂNG", "OĂT",
    "OEN", "OET", "OEM", "UÂN", "UÂNG", "UÂT", "UÊCH", "UÊNH", "UYCH", "UYNH", "UYP", "UYT",
    "UYÊN", "UYÊT", // after `qu` and `gi`, which absorb the glide
    "YNH", "YT", "YCH", "ÊNG", // Tây Nguyên names (`Đắk Lắk`)
    "ĂK", "ÔK", "AK",
];

/// Vietnamese family names.
const SURNAMES: &str = "
NGUYỄN TRẦN LÊ PHẠM HOÀNG HUỲNH PHAN VŨ VÕ ĐẶNG BÙI ĐỖ HỒ NGÔ DƯƠNG LÝ TRƯƠNG ĐINH ĐÀO
ĐOÀN LƯƠNG TRỊNH MAI CAO LÂM HÀ TÔ TẠ CHU QUÁCH LƯU VƯƠNG KIỀU THÁI TĂNG TIÊU LA DIỆP TỪ
MẠC KHỔNG TÔN THÂN LỤC VI ÂU NGHIÊM PHÙNG TRIỆU ÔNG KHÚC ĐÀM LẠI LÃ LỮ LAI HẦU GIANG
KHƯƠNG BẠCH DOÃN TỐNG THẠCH MÃ NÔNG HOA KIM QUAN ỨNG HỨA VIÊN YÊN UNG PHÍ CÙ KHUẤT HÀN
NINH CÔNG THIỀU ĐỒNG LƯ CAN BÀNH ÂN MẪN SẦM LỘC CHÂU TÒNG GIÁP LĂNG LÒ LƯỜNG QUÀNG
";

/// Syllables of Vietnamese middle and given names.
const NAME_SYLLABLES: &str = "
VĂN THỊ HỮU ĐỨC MINH NGỌC THANH QUỐC XUÂN THU HỒNG BẢO GIA ANH AN BÌNH BÍCH CHI CHINH
CHUNG CƯỜNG CẢNH CẨM CÚC DANH DIỆU DIỄM DOANH DU DUNG DUY DŨNG ĐẠI ĐAN ĐẠT ĐĂNG ĐIỆP
ĐÌNH ĐÔNG GIAO HẢI HẠNH HÂN HẰNG HẬU HIỀN HIỂN HIỆP HIẾU HIỆU HÒA HOÀ HOÀI HOAN HOÀN
HỌC HỢP HUÂN HUỆ HÙNG HƯNG HƯƠNG HƯỜNG HUY HUYỀN HUYNH KHẢI KHANG KHANH KHÁNH KHOA KHÔI
KHUÊ KIÊN KIỆT KỲ LAM LAN LÂN LỆ LIÊN LIÊM LIỄU LINH LOAN LỢI LONG LUÂN LỰC LY MẠNH
MẪN MỸ MỸ MY NAM NGÂN NGA NGHĨA NGHỊ NGUYÊN NGUYỆT NHÃ NHÀN NHẬT NHI NHIÊN NHUNG NHƯ
OANH PHI PHONG PHÚ PHÚC PHỤNG PHƯỚC PHƯƠNG PHƯỢNG QUANG QUÂN QUẾ QUYÊN QUYỀN QUỲNH SANG
SÂM SƠN SONG TÀI TÂM TÂN THẮNG THÀNH THẢO THẮM THỊNH THOA THỦY THUỶ THÚY THUÝ THÙY THUỲ
THUẬN THƯ THƯƠNG TIẾN TIÊN TÍN TOÀN TRÂM TRANG TRÍ TRINH TRỌNG TRUNG TRƯỜNG TÚ TUẤN TÙNG
TUYẾT TƯỜNG UYÊN VÂN VIỆT VINH VĨNH VY ÁNH ÁI BẰNG BIÊN CẦN CHÍ CHIẾN CƯƠNG ĐẠO ĐỊNH ĐÔ
HẢO HẠ HÀO HUẤN KHẮC KHIÊM LẬP LẠC LỄ LĨNH LUYẾN MẬU MỪNG NĂNG NHÂN NHẪN NGÔN NGHI PHÁT
PHÁP QUÝ SÁNG SỸ SĨ TẤN TÍNH THIỆN THIỆP THÔNG THUẦN THỤC TỊNH TỐ TOẢN TRÚC TUỆ TUYỀN TƯ
TỬ UY VIÊN VỊNH VỸ XUYÊN ĐIỀN ĐOAN KIỆN LUẬN ĐẢM ĐÀN ĐÀI ĐẮC ĐÔN ĐỘ ĐỘNG ĐƯỜNG BA BẠCH
BÁCH BẢN BẮC BÉ BỐN BỘI CA CÁT CHÁNH CHÂN CHẤN CHẤT CHIÊU CHÚC CHƯƠNG CÔN CỐ CỬ CỪ
DẠ DÂN DẦN DIỄN DIỆM DỊU DỰ DỤNG DUYÊN DUYỆT DƯ GẤM GIẢNG GIÀU HẠ HẠC HÀI HÃN HẠO HẰNG
HIÊN HIẾN HỒ HÒE HỘI HỒNG HỢI HUỆ HƯỚNG HY HỶ KHA KHAI KHẢ KHIẾT KHOAN KHOÁT KHÔN KHUYÊN
KHUYẾN KÍNH KỶ KHƯƠNG LÀNH LĂNG LẬP LÊN LĨNH LỘ LỘNG LUYỆN LƯỢNG LY LÝ LỊCH MẠI MAN
MÂY MẾN MIÊN MỊ MỘNG MƠ MỪNG MƯỜI NẠI NGÀ NGÃI NGẠN NGHỆ NGOAN NGUYÊN NHẠN NHẤT NHIỆM NHỊ
NHU NHUẬN NƯƠNG PHẤN PHÒNG PHỤ PHƯƠNG QUẢNG QUY QUYẾT SA SÁU SINH SỞ SỬU SƯƠNG TẠO
TÀI TÁM TẤN TÂY THẠCH THẠNH THẮNG THẢNG THẬN THIÊN THIỆN THỌ THOẠI THUẦN THỤY THUYÊN THỨC
THƯỞNG TIỀN TIỆP TIẾP TÌNH TÔN TỐNG TRÀ TRẠCH TRÁNG TRÂN TRIẾT TRIỀU TRIỂN TRÌNH TRỰC TRUYỀN
TRƯỞNG TÚC TUỲ TUYÊN TUYỂN TÝ ƯNG ƯỚC VĂN VẤN VẸN VỆ VIỄN VỊ VIỆN VŨ VƯỢNG XẢO XOAN XUYẾN
YÊN YẾN Ý ÂN ẨN ỐC ÚT ĐOÁN ĐÔ ĐÓA HOÈ KHÁ KIỀU LOAN LỰU NGỜ NGỮ PHƯỢNG SÁCH SỬ
THẢNH THI THIỀU THƠ THƠM THUẬN TỈNH TỘ TRỊ TÔ TRIỆU TRƯNG VÂN VIÊN VÕ XA XƯƠNG
";

/// Provinces and centrally-run cities, as an address ends with them (the 63
/// of 2008–2025 and the names the 2025 merger kept or added).
const PROVINCES: &[&str] = &[
    "An Giang",
    "Bà Rịa Vũng Tàu",
    "Bạc Liêu",
    "Bắc Giang",
    "Bắc Kạn",
    "Bắc Ninh",
    "Bến Tre",
    "Bình Dương",
    "Bình Định",
    "Bình Phước",
    "Bình Thuận",
    "Cà Mau",
    "Cao Bằng",
    "Cần Thơ",
    "Đà Nẵng",
    "Đắk Lắk",
    "Đắk Nông",
    "Điện Biên",
    "Đồng Nai",
    "Đồng Tháp",
    "Gia Lai",
    "Hà Giang",
    "Hà Nam",
    "Hà Nội",
    "Hà Tĩnh",
    "Hải Dương",
    "Hải Phòng",
    "Hậu Giang",
    "Hòa Bình",
    "Hồ Chí Minh",
    "HCM",
    "Hưng Yên",
    "Khánh Hòa",
    "Kiên Giang",
    "Kon Tum",
    "Lai Châu",
    "Lạng Sơn",
    "Lào Cai",
    "Lâm Đồng",
    "Long An",
    "Nam Định",
    "Nghệ An",
    "Ninh Bình",
    "Ninh Thuận",
    "Phú Thọ",
    "Phú Yên",
    "Quảng Bình",
    "Quảng Nam",
    "Quảng Ngãi",
    "Quảng Ninh",
    "Quảng Trị",
    "Sóc Trăng",
    "Sơn La",
    "Tây Ninh",
    "Thái Bình",
    "Thái Nguyên",
    "Thanh Hóa",
    "Thừa Thiên Huế",
    "Huế",
    "Tiền Giang",
    "Trà Vinh",
    "Tuyên Quang",
    "Vĩnh Long",
    "Vĩnh Phúc",
    "Yên Bái",
];

/// Whether a character belongs to a word: a letter, a digit, or a combining
/// mark of a decomposed letter.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || ('\u{300}'..='\u{36f}').contains(&c)
}

/// The words of a text, marks kept, punctuation and blanks dropped.
pub(crate) fn marked_words(t: &str) -> impl Iterator<Item = &str> {
    t.split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
}

/// Letters and digits of folded text, words separated by single spaces.
fn folded_words(s: &str) -> String {
    crate::normalize::fold(s)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a text ends with the name of a province or centrally-run city,
/// as a complete address does. A value cut short (`thành phố Cần`, `Hà`)
/// does not.
pub(crate) fn ends_with_province(text: &str) -> bool {
    let f = folded_words(text);
    PROVINCES.iter().any(|p| {
        let p = folded_words(p);
        f == p || f.ends_with(&format!(" {p}"))
    })
}

/// Whether the last comma-separated part of a place is a province or
/// centrally-run city, with or without its level word (`tỉnh Lào Cai`,
/// `Hà Nội`). Stricter than [`ends_with_province`]: `Bắc Hà, tỉnh` does not
/// end with Hà Tĩnh.
pub(crate) fn ends_with_province_part(text: &str) -> bool {
    let last = text.rsplit(',').next().unwrap_or(text);
    let f = folded_words(last);
    let name = ["TINH ", "THANH PHO ", "TP "]
        .iter()
        .find_map(|l| f.strip_prefix(l))
        .unwrap_or(&f);
    PROVINCES.iter().any(|p| folded_words(p) == name)
}

/// A word's letters and its tone mark apart, so that `HÒA` and `HOÀ` (the
/// two accepted placements of one tone) compare equal.
fn letters_and_tone(word: &str) -> (String, Option<char>) {
    let mut tone = None;
    let mut base = String::new();
    for c in word.to_uppercase().nfd() {
        if TONES.contains(&c) {
            tone = Some(c);
        } else {
            base.push(c);
        }
    }
    (base.nfc().collect(), tone)
}

/// Whether a place ends with a province's name in letters but not in its
/// marks (`Hổ Chí Minh`, `Nghệ Ân`): a misread mark in a name whose
/// spelling is known.
pub(crate) fn province_misspelled(text: &str) -> bool {
    let words: Vec<&str> = marked_words(text).collect();
    let f = folded_words(text);
    PROVINCES.iter().any(|p| {
        let pf = folded_words(p);
        if !(f == pf || f.ends_with(&format!(" {pf}"))) {
            return false;
        }
        let want: Vec<&str> = p
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        if want.len() > words.len() {
            return false;
        }
        let got = &words[words.len() - want.len()..];
        got.iter()
            .zip(&want)
            .any(|(g, w)| letters_and_tone(g) != letters_and_tone(w))
    })
}

/// Whether a person's name starts with a Vietnamese family name.
pub(crate) fn starts_with_surname(name: &str) -> bool {
    name.split_whitespace()
        .next()
        .is_some_and(|w| surnames().contains(&w.to_uppercase().nfc().collect::<String>()))
}

/// Whether a place has a part that stops at an administrative level with no
/// name after it (`…, quận`, `thành , phố Hải Phòng`): it was cut or split.
pub(crate) fn place_part_cut(text: &str) -> bool {
    // Levels named with two words; a one-word level alone is a one-word part.
    const LEVELS: &[[&str; 2]] = &[["THANH", "PHO"], ["THI", "TRAN"], ["THI", "XA"]];
    // One-word levels, as spelled.
    const LEVEL: &[&str] = &["PHƯỜNG", "XÃ", "QUẬN", "HUYỆN", "TỈNH"];
    text.split([',', ';']).any(|part| {
        let f = folded_words(part);
        let words: Vec<&str> = f.split(' ').filter(|w| !w.is_empty()).collect();
        let last = marked_words(part).last().map(syllable_key);
        words.len() == 1
            || LEVELS.iter().any(|l| words.ends_with(l))
            || last.is_some_and(|w| LEVEL.iter().any(|l| syllable_key(l) == w))
    })
}

/// Whether the last comma-separated part of a place names a province
/// (`tỉnh …`) that is not one.
pub(crate) fn names_unknown_province(text: &str) -> bool {
    let last = text.rsplit(',').next().unwrap_or(text);
    let f = folded_words(last);
    f.starts_with("TINH ") && !ends_with_province(last)
}

/// Two-syllable words (see the file's header).
const WORDS2: &str = include_str!("words2.txt");

/// A syllable as spelled, tone placement aside (`hòa`/`hoà`). A word
/// misread with two tone marks (`húyện`) keeps both.
pub(crate) fn syllable_key(w: &str) -> String {
    let (letters, _) = letters_and_tone(w);
    let tones: String = w.nfd().filter(|c| TONES.contains(c)).collect();
    format!("{letters}{tones}")
}

/// A pair of syllables as spelled, tone placement aside.
fn pair_key(a: &str, b: &str) -> String {
    format!("{} {}", syllable_key(a), syllable_key(b))
}

struct Words {
    exact: HashSet<String>,
    /// The words' syllable keys by their folded letters.
    folded: HashMap<String, Vec<(String, String)>>,
}

fn words2() -> &'static Words {
    static W: OnceLock<Words> = OnceLock::new();
    W.get_or_init(|| {
        let mut w = Words {
            exact: HashSet::new(),
            folded: HashMap::new(),
        };
        for line in WORDS2.lines().filter(|l| !l.starts_with('#')) {
            if let Some((a, b)) = line.split_once(' ') {
                w.exact.insert(pair_key(a, b));
                w.folded
                    .entry(crate::normalize::fold(line))
                    .or_default()
                    .push((syllable_key(a), syllable_key(b)));
            }
        }
        w
    })
}

/// Whether running text has two lower-case syllables, not part of any word
/// next to them, that spell a common word in letters but not in marks
/// (`nuôi trông` for `nuôi trồng`, `Đột quy` for `Đột quỵ`): a misread
/// mark in a word whose spelling is known. Names (capitalised words) are
/// not looked at.
pub(crate) fn misread_word(text: &str, capitals: bool) -> bool {
    let w = words2();
    text.split(|c: char| !c.is_alphabetic() && !c.is_whitespace())
        .enumerate()
        .any(|(si, segment)| {
            let syl: Vec<&str> = segment.split_whitespace().collect();
            let n = syl.len();
            let mut covered = vec![false; n];
            for i in 1..n {
                if w.exact.contains(&pair_key(syl[i - 1], syl[i])) {
                    covered[i - 1] = true;
                    covered[i] = true;
                }
            }
            let lower = |i: usize| {
                // The value's first word may be capitalised as a sentence.
                capitals || (i == 0 && si == 0) || !syl[i].starts_with(char::is_uppercase)
            };
            (1..n).any(|i| {
                if !lower(i - 1) || !lower(i) {
                    return false;
                }
                let folded = crate::normalize::fold(&format!("{} {}", syl[i - 1], syl[i]));
                let (a, b) = (syllable_key(syl[i - 1]), syllable_key(syl[i]));
                // One misread mark: the word differs in one syllable only
                // (`trồng cây` is not `trông cậy` misread), and that syllable
                // is not part of another word (`cầu kinh` does not excuse
                // `kinh đoanh`, but `lâu năm` excuses `năm`).
                w.folded.get(&folded).is_some_and(|keys| {
                    keys.iter().any(|(x, y)| match (*x == a, *y == b) {
                        (true, false) => !covered[i],
                        (false, true) => !covered[i - 1],
                        _ => false,
                    })
                })
            })
        })
}

fn word_set(words: &str) -> HashSet<String> {
    words
        .split_whitespace()
        .map(|s| s.nfc().collect())
        .collect()
}

/// A value from a closed list of terms (`x-terms`), as the list settles it:
/// the term, when the value's words are the term's words (its punctuation
/// as the term has it: `Đất thương mại dịch vụ` is `Đất thương mại, dịch
/// vụ`), or spell exactly one term in letters but not in marks (`Đất trông
/// lúa` is `Đất trồng lúa`); `None` when the value is no term, or when its
/// letters spell more than one and its marks none.
pub(crate) fn closed_term(value: &str, terms: &[String]) -> Option<String> {
    let words = |t: &str| -> Vec<String> {
        marked_words(t)
            .map(|w| w.to_lowercase().nfc().collect())
            .collect()
    };
    let keys = |w: &[String]| -> Vec<String> { w.iter().map(|w| syllable_key(w)).collect() };
    let read = words(value);
    if read.is_empty() {
        return None;
    }
    let read_keys = keys(&read);
    let folded = folded_words(value);
    let mut spelled = Vec::new();
    for term in terms {
        let w = words(term);
        if w == read && value.chars().any(char::is_lowercase) {
            return Some(term.clone());
        }
        // The same syllables with another tone placement (`thuỷ`): the
        // term as printed, which is not ours to respell.
        if keys(&w) == read_keys {
            return Some(value.to_string());
        }
        if folded_words(term) == folded {
            spelled.push(term);
        }
    }
    let term = match spelled.as_slice() {
        [only] => (*only).clone(),
        _ => return None,
    };
    // In the case it was printed in.
    if value.chars().any(char::is_lowercase) {
        Some(term)
    } else {
        Some(term.to_uppercase())
    }
}

/// Whether a value has a word outside the field's vocabulary (the words of
/// `vocabulary`'s phrases) whose letters spell one of its words with other
/// marks (`Ung thư phối` where the vocabulary has `phổi`, `Nhôi máu` where it
/// has `nhồi`): a misread mark in a word whose spelling the field's usage
/// knows. Words the vocabulary has no spelling of are not judged.
pub(crate) fn marks_outside_vocabulary(value: &str, vocabulary: &[String]) -> bool {
    let words = |t: &str| -> Vec<String> { marked_words(t).map(syllable_key).collect() };
    let known: HashSet<String> = vocabulary.iter().flat_map(|p| words(p)).collect();
    let folded: HashSet<String> = known.iter().map(|k| crate::normalize::fold(k)).collect();
    words(value)
        .iter()
        .any(|w| !known.contains(w) && folded.contains(&crate::normalize::fold(w)))
}

/// A person's name whose first word is no family name but spells exactly
/// one in letters (`NGUYÊN` for `NGUYỄN`, `ĐĂNG` for `ĐẶNG`), with the
/// family name put right. The first word of a person's name is the family
/// name, so a misread mark there is told by the closed list.
pub(crate) fn fix_surname(name: &str) -> Option<String> {
    let (first, rest) = name.split_once(' ').unwrap_or((name, ""));
    let upper: String = first.to_uppercase().nfc().collect();
    if surnames().contains(&upper) {
        return None;
    }
    let folded = crate::normalize::fold(&upper);
    let mut matches = surnames()
        .iter()
        .filter(|s| crate::normalize::fold(s) == folded);
    match (matches.next(), matches.next()) {
        (Some(only), None) if rest.is_empty() => Some(only.clone()),
        (Some(only), None) => Some(format!("{only} {rest}")),
        _ => None,
    }
}

/// Whether a street named after a person (`đường Đinh Công Tráng`) starts
/// with a word that is no family name but spells one in letters
/// (`đường Đỉnh Công Tráng`). Streets named otherwise (`phố Đình Ngang`)
/// are caught too, and go to review.
pub(crate) fn street_name_misread(text: &str) -> bool {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    (0..words.len().saturating_sub(1)).any(|i| {
        let w = &words[i..i + 2];
        // `phố` of `thành phố` is a city, not a street.
        let city = i > 0 && words[i - 1].to_lowercase() == "thành";
        let street = matches!(w[0].to_lowercase().as_str(), "đường" | "phố") && !city;
        let name: String = w[1].to_uppercase().nfc().collect();
        // Streets named after places (`phố Hạ Long`, `đường Hòa Bình`)
        // start with name syllables; `Đỉnh`, `Đính` are none.
        street
            && w[1].starts_with(char::is_uppercase)
            && !name_syllables().contains(&name)
            && fix_surname(&name).is_some()
    })
}

/// Names most towns give their streets: the country's heroes, dynasties'
/// kings, scholars and revolutionaries, and its dates and battles. A street
/// named so is spelled so; a name read with the same letters and other marks
/// (`Bạch Đăng`, `Lý Thái Tố`) is that street.
const STREETS: &str = "
Trần Hưng Đạo; Lê Lợi; Lê Duẩn; Nguyễn Huệ; Hai Bà Trưng; Bà Triệu; Lý Thường Kiệt;
Lý Thái Tổ; Lý Tự Trọng; Lý Nam Đế; Lý Chính Thắng; Quang Trung; Hùng Vương; Nguyễn Trãi;
Lê Thánh Tông; Lê Thánh Tôn; Trần Phú; Bạch Đằng; Điện Biên Phủ; Hoàng Văn Thụ;
Phan Đình Phùng; Phan Chu Trinh; Phan Bội Châu; Nguyễn Du; Nguyễn Thái Học; Nguyễn Văn Cừ;
Nguyễn Chí Thanh; Võ Thị Sáu; Võ Văn Tần; Lê Hồng Phong; Tôn Đức Thắng;
Nguyễn Thị Minh Khai; Ngô Quyền; Đinh Tiên Hoàng; Lê Đại Hành; Trần Quốc Toản;
Trần Nhân Tông; Trần Khánh Dư; Trần Bình Trọng; Trần Quang Khải; Trần Cao Vân; Yết Kiêu;
Phạm Ngũ Lão; Nguyễn Tri Phương; Nguyễn Đình Chiểu; Nguyễn Trung Trực; Hoàng Diệu;
Hoàng Hoa Thám; Cách Mạng Tháng Tám; Ba Tháng Hai; Độc Lập; Thống Nhất; Hồ Tùng Mậu;
Xô Viết Nghệ Tĩnh; Nam Kỳ Khởi Nghĩa; Lạc Long Quân; Âu Cơ; An Dương Vương;
Mạc Đĩnh Chi; Chu Văn An; Tô Hiến Thành; Ngô Gia Tự; Trường Chinh; Phạm Văn Đồng;
Võ Nguyên Giáp; Nguyễn Văn Linh; Huỳnh Thúc Kháng; Lê Quý Đôn; Nguyễn Bỉnh Khiêm;
Nguyễn Khuyến; Nguyễn Công Trứ; Hàm Nghi; Duy Tân; Tây Sơn; Đống Đa; Hoàng Quốc Việt;
Xuân Thủy; Giải Phóng; Nguyễn Văn Trỗi; Trương Định; Hoàng Sa; Trường Sa; Phùng Hưng;
Nguyễn Thị Định; Ông Ích Khiêm; Đề Thám; Lê Văn Lương; Tố Hữu; Nguyễn Hữu Cảnh;
Nguyễn Lương Bằng; Trần Quốc Tuấn; Lê Lai; Nguyễn Biểu; Kim Đồng; Đội Cấn; Nguyễn Thiện Thuật; Nguyễn Thượng Hiền; Lê Văn Hưu;
Ngô Thì Nhậm; Phan Huy Chú; Tuệ Tĩnh; Hải Thượng Lãn Ông; Lê Ngọc Hân
";

/// A street's name read with the letters of exactly one listed street but
/// other marks (see [`STREETS`]): that street's spelling, word by word.
pub(crate) fn listed_street(name: &[&str]) -> Option<Vec<&'static str>> {
    static BY_FOLD: OnceLock<HashMap<String, Vec<&'static str>>> = OnceLock::new();
    let by_fold = BY_FOLD.get_or_init(|| {
        let mut m: HashMap<String, Vec<&'static str>> = HashMap::new();
        for street in STREETS.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            let list = m.entry(folded_words(street)).or_default();
            if !list.contains(&street) {
                list.push(street);
            }
        }
        m
    });
    let read = name.join(" ");
    match by_fold.get(&folded_words(&read))?.as_slice() {
        [only] => {
            let same = only
                .split_whitespace()
                .zip(name)
                .all(|(a, b)| syllable_key(a) == syllable_key(b));
            (!same).then(|| only.split_whitespace().collect())
        }
        _ => None,
    }
}

fn surnames() -> &'static HashSet<String> {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| word_set(SURNAMES))
}

fn name_syllables() -> &'static HashSet<String> {
    static SET: OnceLock<HashSet<String>> = OnceLock::new();
    SET.get_or_init(|| {
        let mut s = word_set(NAME_SYLLABLES);
        s.extend(word_set(SURNAMES));
        s
    })
}

/// Whether a word (any case) is a well-formed Vietnamese syllable: one of the
/// initial consonants, a rhyme, at most one tone mark, and only the sharp or
/// heavy tone on a rhyme that ends in a stop.
pub(crate) fn is_syllable(word: &str) -> bool {
    let upper: String = word.to_uppercase();
    let mut tone: Option<char> = None;
    let mut base = String::new();
    // The letter the next mark sits on (vowel modifiers are skipped).
    let mut carrier = ' ';
    for c in upper.nfd() {
        if TONES.contains(&c) {
            // A tone mark sits on a vowel (`Ñ` is not a Vietnamese letter).
            if tone.is_some() || !"AEIOUY".contains(carrier) {
                return false;
            }
            tone = Some(c);
        } else {
            if !matches!(c, '\u{302}' | '\u{306}' | '\u{31B}') {
                carrier = c;
            }
            base.push(c);
        }
    }
    let base: String = base.nfc().collect();
    if base.is_empty() || !base.chars().all(char::is_alphabetic) {
        return false;
    }
    ONSETS.iter().any(|on| {
        let Some(rhyme) = base.strip_prefix(on) else {
            return false;
        };
        let rhyme = if rhyme.is_empty() && *on == "GI" {
            "I"
        } else {
            rhyme
        };
        if !RHYMES.contains(&rhyme) {
            return false;
        }
        // Rhymes that exist only because `qu` or `gi` absorbed their glide.
        let glide_less = matches!(rhyme, "YNH" | "YT" | "YCH" | "ÊNG");
        if glide_less && !matches!(*on, "QU" | "GI") {
            return false;
        }
        let stop = ["C", "CH", "P", "T", "K"]
            .iter()
            .any(|s| rhyme.ends_with(s) && !rhyme.ends_with("NH"));
        !stop || matches!(tone, Some('\u{301}') | Some('\u{323}'))
    })
}

/// Whether a name value looks misread. Every syllable must be well formed.
/// A person's name (it starts with a family name, or all but one of its
/// syllables are name syllables) must consist of name syllables only; other
/// names (of businesses) may use any word.
pub(crate) fn name_is_doubtful(name: &str) -> bool {
    let words: Vec<String> = name
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter(|w| !w.is_empty())
        .map(|w| w.to_uppercase().nfc().collect())
        .collect();
    if words.iter().any(|w| !is_syllable(w)) {
        return true;
    }
    let known = words
        .iter()
        .filter(|w| name_syllables().contains(*w))
        .count();
    let family = words.first().is_some_and(|w| surnames().contains(w));
    let person = family || (words.len() >= 3 && known + 1 >= words.len()) || known == words.len();
    // A person's name starts with the family name (`NGUYÊN` there is a misread
    // `NGUYỄN`) and uses name syllables only.
    person && (!family || known < words.len())
}

/// Whether running text has a word no Vietnamese text would print: a
/// malformed syllable (with Vietnamese marks, or in lower case), or letters
/// glued to digits
/// (`s01`, `8r`). Upper-case abbreviations and codes (`GPXD`, `TLKT-2010`) pass.
pub(crate) fn text_is_doubtful(text: &str) -> bool {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | '/' | '-' | '(' | ')'))
        .filter(|w| !w.is_empty())
        .any(|w| {
            let has_lower = w.chars().any(char::is_lowercase);
            let has_digit = w.chars().any(|c| c.is_ascii_digit());
            let has_alpha = w.chars().any(char::is_alphabetic);
            if has_digit && has_alpha {
                // Codes are digits and ASCII capitals (`12A`); a marked
                // letter glued to a digit (`Ì0`) is a misread digit.
                return has_lower || w.chars().any(|c| c.is_alphabetic() && !c.is_ascii());
            }
            if !has_alpha {
                return false;
            }
            // A lone consonant is a word split by OCR (`N ghệ An`).
            let mut letters = w.chars().filter(|c| c.is_alphabetic());
            if let (Some(c), None) = (letters.next(), letters.next()) {
                let vowel = "AĂÂEÊIOÔƠUƯY"
                    .contains(crate::normalize::fold(&c.to_string()).as_str())
                    || "ĂÂÊÔƠƯ".contains(c.to_uppercase().collect::<String>().as_str());
                return !vowel;
            }
            let marked = w
                .nfd()
                .any(|c| ('\u{300}'..='\u{36f}').contains(&c) || c == 'Đ' || c == 'đ');
            // Capitalised plain words may be minority place names (`Mil`).
            let plain_lower = !w.chars().any(char::is_uppercase);
            (plain_lower || marked) && !is_syllable(w)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The land use categories of the schema's `x-terms`.
    fn land_use_terms() -> Vec<String> {
        crate::schema::DocType::LandUseCertificate
            .schema()
            .field("land_use_purpose")
            .map(|f| f.terms.clone())
            .unwrap_or_default()
    }

    #[test]
    fn a_closed_list_settles_its_terms_and_their_marks() {
        let terms = land_use_terms();
        assert!(terms.len() > 20, "{terms:?}");
        let term = |v: &str| closed_term(v, &terms);
        let same = |v: &str| assert_eq!(term(v).as_deref(), Some(v));
        same("Đất trồng lúa");
        same("Đất ở tại đô thị");
        // Another tone placement is the term as printed.
        same("Đất nuôi trồng thuỷ sản");
        same("ĐẤT TRỒNG LÚA");
        // Marks misread in the letters of exactly one term.
        assert_eq!(term("Đất trông lúa").as_deref(), Some("Đất trồng lúa"));
        assert_eq!(
            term("Đất nuội trõng thủy sản").as_deref(),
            Some("Đất nuôi trồng thủy sản")
        );
        assert_eq!(
            term("Đất ở tại đồ thị").as_deref(),
            Some("Đất ở tại đô thị")
        );
        // Punctuation as the term has it.
        assert_eq!(
            term("Đất thương mại dịch vụ").as_deref(),
            Some("Đất thương mại, dịch vụ")
        );
        // Letters of two terms (`hằng`, `hàng`) and marks of neither.
        assert_eq!(term("Đất trồng cây hăng năm khác"), None);
        // No term: cut short, run on, another letter, two purposes.
        assert_eq!(term("Đất trồng"), None);
        assert_eq!(term("Đất trồng lúa Nguồn gốc sử dụng"), None);
        assert_eq!(
            term("Đất trồng lùa nước"),
            Some("Đất trồng lúa nước".into())
        );
        assert_eq!(term("Đất trồng lúc"), None);
        assert_eq!(term("Đất ở tại đô thị; Đất trồng cây lâu năm"), None);
        assert_eq!(term(""), None);
    }

    #[test]
    fn a_vocabulary_tells_misread_marks() {
        let schema = crate::schema::DocType::DeathExtract.schema();
        let causes = &schema
            .field("cause_of_death")
            .expect("the death extract has a cause")
            .vocabulary;
        assert!(causes.len() > 20, "{causes:?}");
        for misread in ["Ung thư phối", "Nhôi máu cơ tim", "Viêm phỗi", "Đột quy"] {
            assert!(marks_outside_vocabulary(misread, causes), "{misread}");
        }
        // Values of the vocabulary, others spelled with its words, and words
        // it has no spelling of pass.
        for right in [
            "Ung thư phổi",
            "Nhồi máu cơ tim",
            "NHỒI MÁU CƠ TIM",
            "Suy tim cấp",
            "Biến chứng sau phẫu thuật",
        ] {
            assert!(!marks_outside_vocabulary(right, causes), "{right}");
        }
        assert!(!marks_outside_vocabulary("Ung thư phối", &[]));
        // A value that is one of the listed causes in its letters is that
        // cause.
        assert_eq!(
            closed_term("Tai biến mạch máu nào", causes).as_deref(),
            Some("Tai biến mạch máu não")
        );
        assert_eq!(closed_term("Suy tim cấp", causes), None);
    }

    #[test]
    fn the_last_part_names_the_province() {
        assert!(ends_with_province_part("huyện Bắc Hà, tỉnh Lào Cai"));
        assert!(ends_with_province_part("quận Cầu Giấy, Hà Nội"));
        assert!(ends_with_province_part("quận 1, TP. Hồ Chí Minh"));
        assert!(!ends_with_province_part("huyện Bắc Hà, tỉnh"));
        assert!(!ends_with_province_part("thành phố Huế,"));
    }

    #[test]
    fn streets_named_after_people_start_with_a_family_name() {
        assert!(street_name_misread(
            "Số 133, đường Đỉnh Công Tráng, phường Thuận Thành"
        ));
        assert!(!street_name_misread(
            "Số 133, đường Đinh Công Tráng, phường Thuận Thành"
        ));
        assert!(!street_name_misread("Số 14, phố Ba Tháng Hai, phường 10"));
        assert!(!street_name_misread("Số 2, đường Hùng Vương"));
        assert!(!street_name_misread(
            "Số 7, ngõ 79, phố Hạ Long, phường Hồng Gai"
        ));
        assert!(!street_name_misread(
            "Số 79, đường Hòa Bình, phường Xuân Khánh"
        ));
        assert!(!street_name_misread("phường Hồng Gai, thành phố Hạ Long"));
        assert!(!street_name_misread("quận Ninh Kiều, thành phố Cần Thơ"));
    }

    #[test]
    fn misread_family_names_are_put_right() {
        assert_eq!(
            fix_surname("NGUYÊN ANH NAM").as_deref(),
            Some("NGUYỄN ANH NAM")
        );
        assert_eq!(
            fix_surname("ĐĂNG THANH MAI").as_deref(),
            Some("ĐẶNG THANH MAI")
        );
        assert_eq!(fix_surname("NGUYỄN ANH NAM"), None);
        // Letters of no family name: nothing to put right.
        assert_eq!(fix_surname("NGLYÊN ANH NAM"), None);
    }

    #[test]
    fn common_words_with_misread_marks_are_caught() {
        for t in [
            "Đất nuôi trông thủy sản",
            "Đột quy",
            "Lý do sức khõe",
            "Không có nhu cầu kinh đoanh tiếp",
        ] {
            assert!(misread_word(t, false), "{t}");
        }
        assert!(misread_word("TAP HÓA HỒNG NHUNG", true));
        assert!(!misread_word("TẠP HÓA HỒNG NHUNG", true));
        for t in [
            "Đất nuôi trồng thủy sản",
            "Đột quỵ",
            "Lý do sức khỏe",
            "Lý do sức khoẻ",
            "Bán lẻ thuốc tân dược, dụng cụ y tế",
            "Đến năm 2057",
            "Đất trồng cây lâu năm",
            // Names are not words.
            "Bệnh viện Bạch Mai, Hà Nội",
        ] {
            assert!(!misread_word(t, false), "{t}");
        }
    }

    #[test]
    fn real_syllables_pass() {
        for w in [
            "NGUYỄN",
            "Huỳnh",
            "nghĩa",
            "quỳnh",
            "giữa",
            "gì",
            "phượng",
            "ước",
            "Đắk",
            "thuỷ",
            "khuyên",
            "Ý",
            "yến",
            "việt",
            "đặng",
            "kiều",
            "hoạch",
            "giếng",
            "quốc",
            "xã",
        ] {
            assert!(is_syllable(w), "{w}");
        }
    }

    #[test]
    fn ocr_slips_fail() {
        assert!(!is_syllable("Añ"));
        assert!(is_syllable("Ấn"));
        for w in [
            "HƯỲNH",
            "DŨR",
            "LÝT",
            "CƯÒ",
            "s01",
            "ĐỨCC",
            "NGUỴỄN",
            "VIỆTT",
            "bàc",
            "Myjä",
        ] {
            assert!(!is_syllable(w), "{w}");
        }
    }

    #[test]
    fn places_are_checked_against_provinces_and_levels() {
        assert!(ends_with_province(
            "phường Bến Nghé, quận 1, TP. Hồ Chí Minh"
        ));
        assert!(ends_with_province(
            "xã Hòa An, huyện Krông Pắc, tỉnh Đắk Lắk"
        ));
        assert!(!ends_with_province("quận Ninh Kiều, thành phố Cần"));
        assert!(province_misspelled(
            "quận Bình Thạnh, thành phố Hổ Chí Minh"
        ));
        assert!(!province_misspelled(
            "quận Bình Thạnh, thành phố Hồ Chí Minh"
        ));
        assert!(!province_misspelled("thành phố Nha Trang, tỉnh Khánh Hoà"));
        assert!(place_part_cut(
            "Số 42, đường Lê Duẩn, phường Phước Ninh, quận"
        ));
        assert!(place_part_cut("quận Lê Chân, thành , phố Hải Phòng"));
        // A comma read after a level word splits it from its name.
        assert!(place_part_cut(
            "UBND phường, An Biên, quận Lê Chân, thành phố Hải Phòng"
        ));
        assert!(!place_part_cut(
            "Tại nhà, Xóm 3, xã Nghi Phong, huyện Nghi Lộc, tỉnh Nghệ An"
        ));
        assert!(!place_part_cut(
            "Số 43 Nguyễn Huệ, phường Bến Nghé, quận 1, TP. Hồ Chí Minh"
        ));
        assert!(!place_part_cut(
            "245/2 Lý Thái Tổ, quận Bình Thạnh, tỉnh Hà Tĩnh"
        ));
        assert!(starts_with_surname("ĐINH THANH HƯNG"));
        assert!(!starts_with_surname("ĐỈNH THANH HỪNG"));
    }

    #[test]
    fn names_are_checked_against_name_syllables() {
        assert!(!name_is_doubtful("NGUYỄN VĂN AN"));
        assert!(name_is_doubtful("PHAN THỊ HUYỂN"));
        assert!(name_is_doubtful("HƯỲNH MINH THỊ CƯỜNG"));
        assert!(name_is_doubtful("RẤN THU MAI"));
        assert!(name_is_doubtful("NGUYÊN THANH CƯỜNG"));
        assert!(name_is_doubtful("LÝT HỊ TRANG"));
        assert!(!name_is_doubtful("CỬA HÀNG MINH ANH"));
        assert!(!name_is_doubtful("HỘ KINH DOANH BÌNH AN"));
        assert!(!name_is_doubtful("QUÁN CÀ PHÊ GIÓ LỘNG"));
        assert!(name_is_doubtful("TIỆM SỬA XE HÙNG CƯÒ"));
    }

    #[test]
    fn text_with_glued_digits_or_broken_words_is_doubtful() {
        assert!(!text_is_doubtful("Số 12 phố Huế, quận Hai Bà Trưng"));
        assert!(!text_is_doubtful("46/TLKT-2010"));
        assert!(!text_is_doubtful(
            "Ủy ban nhân dân xã Đắk Mil, tỉnh Đắk Nông"
        ));
        assert!(text_is_doubtful("Phường trung s01, quận Ba Đình"));
        assert!(text_is_doubtful("phường Ì0, thành phố Đà Lạt"));
        assert!(!text_is_doubtful("Số 12A phố Huế"));
        assert!(text_is_doubtful("Bệnh viện Đa khoa Hải Phòngg"));
        assert!(text_is_doubtful("Bệnh viện Đa khoa tỉnh N ghệ An"));
        assert!(!text_is_doubtful("Trạm y tế xã Tân Lập"));
    }
}
