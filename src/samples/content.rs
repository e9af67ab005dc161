//! What a generated document says: realistic values, how they are printed, and
//! the normalized ground truth that goes with them.
//!
//! Labels of contract fields come from the schemas; only the labels of papers
//! outside the contract (the `unknown` hard negatives) are written here.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::Value;
use time::macros::date;
use time::Date;
use unicode_normalization::UnicodeNormalization;

use super::SampleError;
use crate::schema::DocType;

/// The last day a generated document of [`Era::Before2025`] may carry.
const TODAY: Date = date!(2025 - 06 - 30);

/// The first day of the 2025 reorganisation: 34 provinces, no district level.
const REFORM: Date = date!(2025 - 07 - 01);

/// The last day a generated document of [`Era::After2025`] may carry.
const TODAY_AFTER: Date = date!(2026 - 06 - 30);

/// When a document is dated, and so which administrative units it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Era {
    /// Dated up to 30 June 2025: province, district and commune.
    #[default]
    Before2025,
    /// Dated from 1 July 2025: province and commune of the reorganisation,
    /// taken from the dated gazetteer (`src/extract/admin_units.txt`).
    After2025,
}

impl Era {
    /// The last day a document of the era may carry.
    fn today(self) -> Date {
        match self {
            Era::Before2025 => TODAY,
            Era::After2025 => TODAY_AFTER,
        }
    }

    /// A place of the era.
    fn locale(self, rng: &mut StdRng) -> &'static Locale {
        match self {
            Era::Before2025 => locale(rng),
            Era::After2025 => {
                let all = locales_2025();
                &all[rng.gen_range(0..all.len())]
            }
        }
    }

    /// The date a document is issued: `drawn` before the reform; after it, a
    /// new draw from `lo` (or the reform) to the era's last day.
    fn issued(self, rng: &mut StdRng, lo: Date, drawn: Date) -> Date {
        match self {
            Era::Before2025 => drawn,
            Era::After2025 => rand_date(rng, std::cmp::max(lo, REFORM), TODAY_AFTER),
        }
    }
}

/// What a document is beyond its kind and era.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Variant {
    /// The dates and units it names.
    pub(crate) era: Era,
    /// For an `unknown` page: the citizen's application for a household
    /// business registration, which shares most labels with the certificate.
    pub(crate) business_application: bool,
}

/// What a page is: one of the contract types, or a paper outside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A contract type.
    Typed(DocType),
    /// A real-looking paper that is none of the contract types.
    Unknown,
}

impl Kind {
    /// The id used in file names and the truth file.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Typed(t) => t.as_str(),
            Kind::Unknown => "unknown",
        }
    }
}

/// One `label value` line of a document.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The printed label, ending in `:`.
    pub(crate) label: String,
    /// The printed value.
    pub(crate) value: String,
}

impl Entry {
    /// Whether the entry is short enough to share a line with another one.
    pub(crate) fn is_short(&self) -> bool {
        self.label.chars().count() <= 24 && self.value.chars().count() <= 14
    }
}

/// A piece of the document body, in reading order.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    /// A `label value` line.
    Entry(Entry),
    /// A free paragraph (wrapped to the text width).
    Para(String),
    /// A bold section heading.
    Heading(String),
}

/// The signature block at the foot of a page.
#[derive(Debug, Clone)]
pub(crate) struct Signature {
    /// `Hà Nội, ngày 05 tháng 7 năm 2024`, if printed.
    pub(crate) place_date: Option<String>,
    /// The signer's role, one bold line each.
    pub(crate) role: Vec<String>,
    /// The italic note under the role.
    pub(crate) note: String,
    /// The signer's printed name.
    pub(crate) signer: String,
}

/// Everything printed on a document, plus its ground truth.
#[derive(Debug, Clone)]
pub(crate) struct Document {
    /// The title, printed large and bold.
    pub(crate) title: String,
    /// A line under the title, if any.
    pub(crate) subtitle: Option<String>,
    /// The body.
    pub(crate) items: Vec<Item>,
    /// The signature block.
    pub(crate) signature: Signature,
    /// The issuer named on the seal.
    pub(crate) seal_text: String,
    /// Lines of the continuation page (page 2 of multi-page scans).
    pub(crate) annex: Vec<String>,
    /// Normalized field values, as `NAME.truth.json` stores them.
    pub(crate) truth: BTreeMap<String, Value>,
    /// A citizen's application or declaration (`đơn`, `tờ khai`, `giấy đề
    /// nghị`) rather than a paper an office issues.
    pub(crate) application: bool,
}

/// How dates are printed on one document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateStyle {
    /// `05/07/2024`
    Slash,
    /// `05-07-2024`
    Dash,
    /// `ngày 05 tháng 7 năm 2024`
    Words,
}

/// Printing habits of the office that issued one document.
#[derive(Debug, Clone, Copy)]
struct Habits {
    date: DateStyle,
    id_grouped: bool,
    names_upper: bool,
}

impl Habits {
    fn random(rng: &mut StdRng) -> Habits {
        Habits {
            date: *[DateStyle::Slash, DateStyle::Dash, DateStyle::Words]
                .choose(rng)
                .unwrap_or(&DateStyle::Slash),
            id_grouped: rng.gen_bool(0.35),
            names_upper: rng.gen_bool(0.6),
        }
    }

    fn date(&self, d: Date) -> String {
        print_date(d, self.date)
    }

    fn id(&self, id: &str) -> String {
        if self.id_grouped && id.len() == 12 {
            format!("{} {} {} {}", &id[0..3], &id[3..6], &id[6..9], &id[9..12])
        } else {
            id.to_string()
        }
    }

    fn name(&self, title_case: &str) -> String {
        if self.names_upper {
            upper(title_case)
        } else {
            title_case.to_string()
        }
    }
}

/// Prints a date in one of the styles Vietnamese offices use.
pub(crate) fn print_date(d: Date, style: DateStyle) -> String {
    let (y, m, day) = (d.year(), u8::from(d.month()), d.day());
    match style {
        DateStyle::Slash => format!("{day:02}/{m:02}/{y}"),
        DateStyle::Dash => format!("{day:02}-{m:02}-{y}"),
        // January and February are written with two digits on official papers.
        DateStyle::Words if m <= 2 => format!("ngày {day:02} tháng {m:02} năm {y}"),
        DateStyle::Words => format!("ngày {day:02} tháng {m} năm {y}"),
    }
}

fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Upper case, NFC.
pub(crate) fn upper(s: &str) -> String {
    s.to_uppercase().nfc().collect()
}

fn nfc(s: &str) -> String {
    s.nfc().collect()
}

fn pick<'a, T: ?Sized>(rng: &mut StdRng, items: &'a [&'a T]) -> &'a T {
    items[rng.gen_range(0..items.len())]
}

fn rand_date(rng: &mut StdRng, lo: Date, hi: Date) -> Date {
    let a = lo.to_julian_day();
    let b = hi.to_julian_day().max(a);
    Date::from_julian_day(rng.gen_range(a..=b)).unwrap_or(lo)
}

fn add_days(d: Date, days: i32) -> Date {
    Date::from_julian_day(d.to_julian_day() + days).unwrap_or(d)
}

fn add_years(d: Date, years: i32) -> Date {
    let y = d.year() + years;
    Date::from_calendar_date(y, d.month(), d.day())
        .or_else(|_| Date::from_calendar_date(y, d.month(), 28))
        .unwrap_or(d)
}

fn earliest(a: Date, b: Date) -> Date {
    if a < b {
        a
    } else {
        b
    }
}

// ---------------------------------------------------------------------------
// Places

/// A place people live in: a district with its wards and streets.
#[derive(Debug)]
struct Locale {
    /// Province code of personal ids issued there.
    code: &'static str,
    /// The province as printed, e.g. `TP. Hồ Chí Minh`, `tỉnh Nghệ An`.
    province: &'static str,
    /// The short place name of the place-and-date line.
    town: &'static str,
    district: &'static str,
    wards: &'static [&'static str],
    streets: &'static [&'static str],
    villages: &'static [&'static str],
    hospital: &'static str,
    ethnicities: &'static [&'static str],
}

const LOCALES: &[Locale] = &[
    Locale {
        code: "079",
        province: "TP. Hồ Chí Minh",
        town: "TP. Hồ Chí Minh",
        district: "quận 1",
        wards: &["phường Bến Nghé", "phường Bến Thành", "phường Đa Kao"],
        streets: &[
            "Lê Lợi",
            "Nguyễn Huệ",
            "Hai Bà Trưng",
            "Pasteur",
            "Lý Tự Trọng",
        ],
        villages: &[],
        hospital: "Bệnh viện Từ Dũ",
        ethnicities: &["Kinh", "Hoa"],
    },
    Locale {
        code: "079",
        province: "thành phố Hồ Chí Minh",
        town: "TP. Hồ Chí Minh",
        district: "quận Bình Thạnh",
        wards: &["phường 25", "phường Hiệp Bình", "phường 17"],
        streets: &[
            "Xô Viết Nghệ Tĩnh",
            "Điện Biên Phủ",
            "Đinh Bộ Lĩnh",
            "Bạch Đằng",
        ],
        villages: &[],
        hospital: "Bệnh viện Hùng Vương",
        ethnicities: &["Kinh"],
    },
    Locale {
        code: "001",
        province: "thành phố Hà Nội",
        town: "Hà Nội",
        district: "quận Hoàn Kiếm",
        wards: &["phường Hàng Bạc", "phường Tràng Tiền", "phường Hàng Trống"],
        streets: &["Hàng Bạc", "Tràng Tiền", "Hàng Gai", "Đinh Tiên Hoàng"],
        villages: &[],
        hospital: "Bệnh viện Phụ sản Hà Nội",
        ethnicities: &["Kinh"],
    },
    Locale {
        code: "001",
        province: "Hà Nội",
        town: "Hà Nội",
        district: "quận Cầu Giấy",
        wards: &["phường Dịch Vọng", "phường Quan Hoa", "phường Nghĩa Đô"],
        streets: &["Xuân Thủy", "Cầu Giấy", "Trần Quốc Hoàn", "Hoàng Quốc Việt"],
        villages: &[],
        hospital: "Bệnh viện Bạch Mai",
        ethnicities: &["Kinh", "Mường"],
    },
    Locale {
        code: "048",
        province: "thành phố Đà Nẵng",
        town: "Đà Nẵng",
        district: "quận Hải Châu",
        wards: &[
            "phường Thạch Thang",
            "phường Hòa Cường Bắc",
            "phường Phước Ninh",
        ],
        streets: &["Bạch Đằng", "Trần Phú", "Lê Duẩn", "Nguyễn Văn Linh"],
        villages: &[],
        hospital: "Bệnh viện Phụ sản - Nhi Đà Nẵng",
        ethnicities: &["Kinh"],
    },
    Locale {
        code: "031",
        province: "thành phố Hải Phòng",
        town: "Hải Phòng",
        district: "quận Lê Chân",
        wards: &["phường An Biên", "phường Dư Hàng Kênh"],
        streets: &["Lạch Tray", "Tô Hiệu", "Hai Bà Trưng"],
        villages: &[],
        hospital: "Bệnh viện Phụ sản Hải Phòng",
        ethnicities: &["Kinh"],
    },
    Locale {
        code: "092",
        province: "thành phố Cần Thơ",
        town: "Cần Thơ",
        district: "quận Ninh Kiều",
        wards: &["phường Tân An", "phường An Hòa", "phường Xuân Khánh"],
        streets: &["Hòa Bình", "Mậu Thân", "Trần Hưng Đạo", "Nguyễn Trãi"],
        villages: &[],
        hospital: "Bệnh viện Đa khoa Trung ương Cần Thơ",
        ethnicities: &["Kinh", "Khmer", "Hoa"],
    },
    Locale {
        code: "040",
        province: "tỉnh Nghệ An",
        town: "Nghệ An",
        district: "huyện Nghi Lộc",
        wards: &["xã Nghi Phong", "xã Nghi Thạch", "thị trấn Quán Hành"],
        streets: &[],
        villages: &["Xóm 3", "Xóm Đông Lộc", "Xóm Yên Thịnh"],
        hospital: "Bệnh viện Sản Nhi Nghệ An",
        ethnicities: &["Kinh", "Thái"],
    },
    Locale {
        code: "046",
        province: "tỉnh Thừa Thiên Huế",
        town: "Huế",
        district: "thành phố Huế",
        wards: &["phường Phú Hội", "phường Vĩnh Ninh", "phường Thuận Thành"],
        streets: &["Lê Lợi", "Hùng Vương", "Bến Nghé", "Đinh Công Tráng"],
        villages: &[],
        hospital: "Bệnh viện Trung ương Huế",
        ethnicities: &["Kinh"],
    },
    Locale {
        code: "034",
        province: "tỉnh Thái Bình",
        town: "Thái Bình",
        district: "huyện Kiến Xương",
        wards: &["xã Quang Trung", "xã Vũ Quý", "thị trấn Thanh Nê"],
        streets: &[],
        villages: &["Thôn Đông Thượng", "Thôn Nam", "Thôn Trà Đoài"],
        hospital: "Bệnh viện Đa khoa tỉnh Thái Bình",
        ethnicities: &["Kinh"],
    },
    Locale {
        code: "066",
        province: "tỉnh Đắk Lắk",
        town: "Đắk Lắk",
        district: "huyện Krông Pắc",
        wards: &["xã Ea Kly", "xã Hòa An", "thị trấn Phước An"],
        streets: &[],
        villages: &["Buôn Ea Kly", "Thôn 4", "Thôn Tân Lập"],
        hospital: "Bệnh viện Đa khoa vùng Tây Nguyên",
        ethnicities: &["Kinh", "Ê Đê", "Tày", "Nùng"],
    },
    Locale {
        code: "010",
        province: "tỉnh Lào Cai",
        town: "Lào Cai",
        district: "huyện Bắc Hà",
        wards: &["xã Bản Phố", "xã Tà Chải", "thị trấn Bắc Hà"],
        streets: &[],
        villages: &["Thôn Na Hối", "Thôn Bản Phố 1", "Thôn Tả Thồ"],
        hospital: "Trung tâm Y tế huyện Bắc Hà",
        ethnicities: &["Mông", "Tày", "Dao", "Kinh"],
    },
    Locale {
        code: "004",
        province: "tỉnh Cao Bằng",
        town: "Cao Bằng",
        district: "thành phố Cao Bằng",
        wards: &["phường Hợp Giang", "phường Sông Bằng"],
        streets: &["Kim Đồng", "Vườn Cam", "Hoàng Đình Giong"],
        villages: &[],
        hospital: "Bệnh viện Đa khoa tỉnh Cao Bằng",
        ethnicities: &["Tày", "Nùng", "Kinh"],
    },
    Locale {
        code: "089",
        province: "tỉnh An Giang",
        town: "An Giang",
        district: "thành phố Long Xuyên",
        wards: &["phường Mỹ Bình", "phường Mỹ Long", "phường Mỹ Xuyên"],
        streets: &["Hai Bà Trưng", "Trần Hưng Đạo", "Lý Thái Tổ"],
        villages: &[],
        hospital: "Bệnh viện Đa khoa Trung tâm An Giang",
        ethnicities: &["Kinh", "Khmer", "Chăm"],
    },
    Locale {
        code: "022",
        province: "tỉnh Quảng Ninh",
        town: "Quảng Ninh",
        district: "thành phố Hạ Long",
        wards: &["phường Bãi Cháy", "phường Hồng Gai", "phường Hà Khẩu"],
        streets: &["Hạ Long", "Lê Thánh Tông", "Nguyễn Văn Cừ"],
        villages: &[],
        hospital: "Bệnh viện Sản Nhi Quảng Ninh",
        ethnicities: &["Kinh", "Dao", "Sán Dìu"],
    },
    Locale {
        code: "068",
        province: "tỉnh Lâm Đồng",
        town: "Đà Lạt",
        district: "thành phố Đà Lạt",
        wards: &["phường 1", "phường 9", "phường 10"],
        streets: &[
            "Phan Đình Phùng",
            "Trần Hưng Đạo",
            "Hai Bà Trưng",
            "Ba Tháng Hai",
        ],
        villages: &[],
        hospital: "Bệnh viện Đa khoa Lâm Đồng",
        ethnicities: &["Kinh", "Cơ Ho"],
    },
];

fn locale(rng: &mut StdRng) -> &'static Locale {
    &LOCALES[rng.gen_range(0..LOCALES.len())]
}

/// The dated gazetteer the extractor checks places against.
const ADMIN_UNITS: &str = include_str!("../extract/admin_units.txt");

/// Province codes of personal ids, by the province of the 2025 reorganisation
/// (the code of the province that gave it its name).
const CODES_2025: &[(&str, &str)] = &[
    ("Thành phố Hà Nội", "001"),
    ("Tỉnh Cao Bằng", "004"),
    ("Tỉnh Tuyên Quang", "008"),
    ("Tỉnh Lào Cai", "010"),
    ("Tỉnh Điện Biên", "011"),
    ("Tỉnh Lai Châu", "012"),
    ("Tỉnh Sơn La", "014"),
    ("Tỉnh Thái Nguyên", "019"),
    ("Tỉnh Lạng Sơn", "020"),
    ("Tỉnh Quảng Ninh", "022"),
    ("Tỉnh Phú Thọ", "025"),
    ("Tỉnh Bắc Ninh", "027"),
    ("Thành phố Hải Phòng", "031"),
    ("Tỉnh Hưng Yên", "033"),
    ("Tỉnh Ninh Bình", "037"),
    ("Tỉnh Thanh Hóa", "038"),
    ("Tỉnh Nghệ An", "040"),
    ("Tỉnh Hà Tĩnh", "042"),
    ("Tỉnh Quảng Trị", "045"),
    ("Thành phố Huế", "046"),
    ("Thành phố Đà Nẵng", "048"),
    ("Tỉnh Quảng Ngãi", "051"),
    ("Tỉnh Khánh Hòa", "056"),
    ("Tỉnh Gia Lai", "064"),
    ("Tỉnh Đắk Lắk", "066"),
    ("Tỉnh Lâm Đồng", "068"),
    ("Tỉnh Tây Ninh", "072"),
    ("Tỉnh Đồng Nai", "075"),
    ("Thành phố Hồ Chí Minh", "079"),
    ("Tỉnh Vĩnh Long", "086"),
    ("Tỉnh Đồng Tháp", "087"),
    ("Tỉnh An Giang", "089"),
    ("Thành phố Cần Thơ", "092"),
    ("Tỉnh Cà Mau", "096"),
];

/// Streets found in most towns, for addresses of the 2025 units.
const COMMON_STREETS: &[&str] = &[
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Huệ",
    "Hai Bà Trưng",
    "Quang Trung",
    "Lý Thường Kiệt",
    "Nguyễn Trãi",
    "Hùng Vương",
    "Phan Đình Phùng",
    "Lê Duẩn",
    "Nguyễn Văn Cừ",
    "Trần Phú",
];

/// Hamlets of rural communes, for addresses of the 2025 units.
const COMMON_VILLAGES: &[&str] = &[
    "Thôn 1",
    "Thôn 3",
    "Thôn Đông",
    "Thôn Trung",
    "Thôn Tân Lập",
    "Xóm 4",
    "Xóm Bắc",
    "Ấp Bình Hòa",
];

/// Lower-cases the type word of a unit name (`Phường Phú Xuân` → `phường Phú Xuân`).
fn lower_type(name: &str) -> String {
    for kind in ["Phường ", "Xã ", "Đặc khu ", "Tỉnh "] {
        if let Some(rest) = name.strip_prefix(kind) {
            return format!("{}{rest}", kind.to_lowercase());
        }
    }
    name.to_string()
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// The places of the 2025 reorganisation, read once from the gazetteer: for
/// each province with a personal-id code, one place of its wards (with
/// streets) and one of its rural communes (with hamlets).
fn locales_2025() -> &'static [Locale] {
    static LOCALES_2025: std::sync::OnceLock<Vec<Locale>> = std::sync::OnceLock::new();
    LOCALES_2025.get_or_init(|| {
        let mut provinces: Vec<(&str, Vec<&str>)> = Vec::new();
        let mut inside = false;
        for line in ADMIN_UNITS.lines() {
            if let Some(period) = line.strip_prefix("@\t") {
                inside = period.starts_with("2025-07-01");
                continue;
            }
            if !inside {
                continue;
            }
            match line.split_once('\t') {
                Some(("P", name)) => provinces.push((name, Vec::new())),
                Some(("C", name)) => {
                    if let Some((_, communes)) = provinces.last_mut() {
                        communes.push(name);
                    }
                }
                _ => {}
            }
        }
        let mut out = Vec::new();
        for (province, communes) in provinces {
            let Some(&(_, code)) = CODES_2025.iter().find(|(p, _)| *p == province) else {
                continue;
            };
            let town = province
                .trim_start_matches("Tỉnh ")
                .trim_start_matches("Thành phố ");
            let town = if town == "Hồ Chí Minh" {
                "TP. Hồ Chí Minh"
            } else {
                town
            };
            let printed: &'static str = leak(lower_type(province));
            let hospital = leak(format!("Bệnh viện Đa khoa {printed}"));
            for urban in [true, false] {
                let wards: Vec<&'static str> = communes
                    .iter()
                    .filter(|c| c.starts_with("Phường ") == urban && !c.starts_with("Đặc khu "))
                    .map(|c| leak(lower_type(c)))
                    .collect();
                if wards.is_empty() {
                    continue;
                }
                out.push(Locale {
                    code,
                    province: printed,
                    town,
                    district: "",
                    wards: Box::leak(wards.into_boxed_slice()),
                    streets: if urban { COMMON_STREETS } else { &[] },
                    villages: if urban { &[] } else { COMMON_VILLAGES },
                    hospital,
                    ethnicities: &["Kinh"],
                });
            }
        }
        out
    })
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn address(rng: &mut StdRng, loc: &Locale) -> String {
    let ward = pick(rng, loc.wards);
    let tail = unit_tail(ward, loc);
    if loc.streets.is_empty() {
        return format!("{}, {tail}", pick(rng, loc.villages));
    }
    let street = pick(rng, loc.streets);
    let no = rng.gen_range(1..=250);
    let s = match rng.gen_range(0..5) {
        0 | 1 => format!("Số {no}, đường {street}, {tail}"),
        2 => format!("Số {no} {street}, {tail}"),
        3 => format!(
            "Số {no}, ngõ {}, phố {street}, {tail}",
            rng.gen_range(2..=120)
        ),
        _ => format!("{no}/{} {street}, {tail}", rng.gen_range(2..=40)),
    };
    nfc(&s)
}

/// `ward, district, province`, or `commune, province` where there is no district.
fn unit_tail(ward: &str, loc: &Locale) -> String {
    if loc.district.is_empty() {
        format!("{ward}, {}", loc.province)
    } else {
        format!("{ward}, {}, {}", loc.district, loc.province)
    }
}

fn ward_district(rng: &mut StdRng, loc: &Locale) -> String {
    unit_tail(pick(rng, loc.wards), loc)
}

/// The unit above the commune that issues land and building papers: the
/// district, or since the reform a commune of the place.
fn district_seat(rng: &mut StdRng, loc: &Locale) -> String {
    if loc.district.is_empty() {
        pick(rng, loc.wards).to_string()
    } else {
        loc.district.to_string()
    }
}

fn civil_office(rng: &mut StdRng, loc: &Locale) -> String {
    let place = ward_district(rng, loc);
    if rng.gen_bool(0.6) {
        format!("UBND {place}")
    } else {
        format!("Ủy ban nhân dân {place}")
    }
}

fn birth_place(rng: &mut StdRng, loc: &Locale) -> String {
    match rng.gen_range(0..3) {
        0 => format!("{}, {}", loc.hospital, loc.province),
        1 => capitalize(&ward_district(rng, loc)),
        _ => format!("{}, {}", loc.hospital, loc.town),
    }
}

// ---------------------------------------------------------------------------
// People

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sex {
    Male,
    Female,
}

impl Sex {
    fn printed(self) -> &'static str {
        match self {
            Sex::Male => "Nam",
            Sex::Female => "Nữ",
        }
    }
    fn truth(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
}

const FAMILY: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô", "Dương", "Lý", "Trịnh", "Đinh", "Lương", "Mai",
];
const MIDDLE_MALE: &[&str] = &[
    "Văn", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang", "Công", "Xuân", "Hoàng", "Anh", "Trọng",
];
const MIDDLE_FEMALE: &[&str] = &[
    "Thị", "Ngọc", "Thanh", "Minh", "Thu", "Kim", "Bảo", "Phương", "Mai", "Hồng", "Thùy", "Diệu",
];
const GIVEN_MALE: &[&str] = &[
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Đạt",
    "Hải",
    "Hiếu",
    "Hùng",
    "Huy",
    "Khải",
    "Khánh",
    "Khoa",
    "Long",
    "Nam",
    "Phúc",
    "Quân",
    "Sơn",
    "Thắng",
    "Thịnh",
    "Trung",
    "Tuấn",
    "Việt",
    "Vinh",
    "Vũ",
    "Lực",
    "Quyết",
    "Nghĩa",
    "Toàn",
    "Hưng",
    "Đông",
    "Lộc",
    "Trường",
    "Kiên",
    "Thiện",
];
const GIVEN_FEMALE: &[&str] = &[
    "Anh",
    "Chi",
    "Dung",
    "Giang",
    "Hà",
    "Hạnh",
    "Hằng",
    "Hiền",
    "Hoa",
    "Hồng",
    "Hương",
    "Hường",
    "Lan",
    "Linh",
    "Loan",
    "Mai",
    "My",
    "Ngân",
    "Ngọc",
    "Nguyệt",
    "Nhung",
    "Oanh",
    "Phượng",
    "Quỳnh",
    "Thảo",
    "Thủy",
    "Trang",
    "Tuyết",
    "Vân",
    "Yến",
    "Xuân",
    "Ánh",
    "Huyền",
    "Diễm",
];

fn family_name(rng: &mut StdRng) -> &'static str {
    // Nguyễn is carried by about a third of the population.
    if rng.gen_bool(0.3) {
        "Nguyễn"
    } else {
        pick(rng, FAMILY)
    }
}

fn person_name(rng: &mut StdRng, sex: Sex, family: Option<&str>) -> String {
    let family = family.map_or_else(|| family_name(rng).to_string(), str::to_string);
    let (middles, givens) = match sex {
        Sex::Male => (MIDDLE_MALE, GIVEN_MALE),
        Sex::Female => (MIDDLE_FEMALE, GIVEN_FEMALE),
    };
    let mut parts = vec![family, pick(rng, middles).to_string()];
    if rng.gen_bool(0.2) {
        let second = pick(rng, middles);
        if !parts.iter().any(|p| p == second) {
            parts.push(second.to_string());
        }
    }
    parts.push(pick(rng, givens).to_string());
    nfc(&parts.join(" "))
}

/// A person with a consistent name, sex, date of birth and personal id.
#[derive(Debug, Clone)]
struct Person {
    /// Title case, NFC.
    name: String,
    sex: Sex,
    dob: Date,
    id: String,
    home: &'static Locale,
}

impl Person {
    fn random(rng: &mut StdRng, era: Era, born_from: Date, born_to: Date) -> Person {
        let sex = if rng.gen_bool(0.5) {
            Sex::Male
        } else {
            Sex::Female
        };
        Person::with(rng, era, sex, None, born_from, born_to)
    }

    fn with(
        rng: &mut StdRng,
        era: Era,
        sex: Sex,
        family: Option<&str>,
        born_from: Date,
        born_to: Date,
    ) -> Person {
        let dob = rand_date(rng, born_from, born_to);
        let home = era.locale(rng);
        let name = person_name(rng, sex, family);
        let id = personal_id(rng, home.code, sex, dob);
        Person {
            name,
            sex,
            dob,
            id,
            home,
        }
    }
}

/// A 12-digit personal id: province code, century-and-sex digit, two-digit year
/// of birth, six random digits.
fn personal_id(rng: &mut StdRng, province: &str, sex: Sex, dob: Date) -> String {
    let century = (dob.year() / 100 - 19).clamp(0, 4) as u32;
    let digit = century * 2 + u32::from(sex == Sex::Female);
    format!(
        "{province}{digit}{:02}{:06}",
        dob.year().rem_euclid(100),
        rng.gen_range(0..1_000_000)
    )
}

// ---------------------------------------------------------------------------
// Building a document

/// Collects the entries of a contract document and its truth, taking every
/// label from the type's schema.
struct Builder {
    doc_type: DocType,
    items: Vec<Item>,
    truth: BTreeMap<String, Value>,
}

impl Builder {
    fn new(doc_type: DocType) -> Builder {
        Builder {
            doc_type,
            items: Vec::new(),
            truth: BTreeMap::new(),
        }
    }

    fn field(
        &mut self,
        name: &str,
        printed: impl Into<String>,
        truth: impl Into<Value>,
    ) -> Result<(), SampleError> {
        let label = contract_label(self.doc_type, name)?;
        self.items.push(Item::Entry(Entry {
            label,
            value: printed.into(),
        }));
        self.truth.insert(name.to_string(), truth.into());
        Ok(())
    }

    /// An optional field, printed with probability `p`.
    fn optional(
        &mut self,
        rng: &mut StdRng,
        p: f64,
        name: &str,
        printed: impl Into<String>,
        truth: impl Into<Value>,
    ) -> Result<(), SampleError> {
        if rng.gen_bool(p) {
            self.field(name, printed, truth)
        } else {
            Ok(())
        }
    }

    /// A `label value` line that is no field of the contract.
    fn line(&mut self, label: &str, value: impl Into<String>) {
        self.items.push(Item::Entry(Entry {
            label: label.to_string(),
            value: value.into(),
        }));
    }

    fn para(&mut self, text: impl Into<String>) {
        self.items.push(Item::Para(text.into()));
    }

    fn heading(&mut self, text: impl Into<String>) {
        self.items.push(Item::Heading(text.into()));
    }
}

/// The printed label of a contract field.
fn contract_label(doc_type: DocType, name: &str) -> Result<String, SampleError> {
    doc_type
        .schema()
        .field(name)
        .map(|f| f.label.clone())
        .ok_or_else(|| SampleError::UnknownField {
            doc_type,
            field: name.to_string(),
        })
}

/// The canonical title of a contract type.
fn contract_title(doc_type: DocType) -> String {
    doc_type
        .schema()
        .titles
        .first()
        .cloned()
        .unwrap_or_default()
}

/// A random document of the given kind.
pub(crate) fn document(
    kind: Kind,
    rng: &mut StdRng,
    variant: Variant,
) -> Result<Document, SampleError> {
    let habits = Habits::random(rng);
    match kind {
        Kind::Typed(t) => typed(t, rng, habits, variant.era),
        Kind::Unknown if variant.business_application => {
            business_application(rng, habits, variant.era)
        }
        Kind::Unknown => unknown(rng, habits, variant.era),
    }
}

fn signer_roles(rng: &mut StdRng) -> Vec<String> {
    let roles: &[&[&str]] = &[
        &["NGƯỜI KÝ"],
        &["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"],
        &["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"],
        &["NGƯỜI KÝ GIẤY"],
    ];
    pick(rng, roles).iter().map(|s| s.to_string()).collect()
}

fn place_date(rng: &mut StdRng, loc: &Locale, d: Date) -> Option<String> {
    rng.gen_bool(0.8)
        .then(|| format!("{}, {}", loc.town, print_date(d, DateStyle::Words)))
}

fn signature(rng: &mut StdRng, loc: &Locale, d: Date, role: Vec<String>) -> Signature {
    let signer = Person::random(
        rng,
        Era::Before2025,
        date!(1960 - 01 - 01),
        date!(1990 - 12 - 31),
    )
    .name;
    Signature {
        place_date: place_date(rng, loc, d),
        role,
        note: "(Ký, ghi rõ họ tên, đóng dấu)".to_string(),
        signer,
    }
}

fn seal_text(office: &str) -> String {
    upper(
        office
            .trim_start_matches("UBND ")
            .trim_start_matches("Ủy ban nhân dân "),
    )
}

fn copy_subtitle(rng: &mut StdRng) -> Option<String> {
    match rng.gen_range(0..4) {
        0 => Some("(BẢN CHÍNH)".to_string()),
        1 => Some("(BẢN SAO)".to_string()),
        _ => None,
    }
}

const CAUSES_OF_DEATH: &[&str] = &[
    "Bệnh già",
    "Tai biến mạch máu não",
    "Nhồi máu cơ tim",
    "Ung thư phổi",
    "Tai nạn giao thông",
    "Suy tim",
    "Viêm phổi",
    "Xơ gan",
    "Đột quỵ",
];

const TRADES: &[(&str, &str)] = &[
    ("TẠP HÓA", "Bán lẻ hàng tạp hóa, đồ uống, thực phẩm"),
    ("QUÁN CƠM", "Dịch vụ ăn uống"),
    ("CÀ PHÊ", "Kinh doanh cà phê, giải khát"),
    ("CƠ SỞ MAY", "May trang phục"),
    ("TIỆM SỬA XE", "Sửa chữa xe máy, xe đạp"),
    ("SALON TÓC", "Cắt tóc, gội đầu, làm đẹp"),
    ("NHÀ THUỐC", "Bán lẻ thuốc tân dược, dụng cụ y tế"),
    (
        "VẬT LIỆU XÂY DỰNG",
        "Bán buôn vật liệu, thiết bị lắp đặt khác trong xây dựng",
    ),
    ("THỜI TRANG", "Bán lẻ quần áo, giày dép"),
    ("ĐIỆN THOẠI", "Bán lẻ và sửa chữa điện thoại di động"),
];

const SHOP_NAMES: &[&str] = &[
    "MINH ANH",
    "THANH HƯƠNG",
    "HOA SỮA",
    "PHÚC LỘC",
    "HỒNG NHUNG",
    "ĐỨC THỊNH",
    "KIM NGÂN",
    "BẢO NGỌC",
    "TUẤN KIỆT",
    "QUỲNH NHƯ",
    "HƯNG THỊNH",
    "THÀNH ĐẠT",
];

const REASONS: &[&str] = &[
    "Không có nhu cầu kinh doanh tiếp",
    "Chuyển địa điểm kinh doanh sang tỉnh khác",
    "Kinh doanh không hiệu quả",
    "Chủ hộ chuyển sang thành lập doanh nghiệp",
    "Lý do sức khỏe",
    "Chủ hộ kinh doanh đi làm việc ở nước ngoài",
];

const LAND_PURPOSES: &[&str] = &[
    "Đất ở tại đô thị",
    "Đất ở tại nông thôn",
    "Đất trồng cây lâu năm",
    "Đất trồng lúa",
    "Đất nuôi trồng thủy sản",
    "Đất thương mại, dịch vụ",
];

fn business_code(rng: &mut StdRng) -> String {
    const LETTERS: &[u8] = b"ABCDEGHKM";
    let letter = LETTERS[rng.gen_range(0..LETTERS.len())] as char;
    format!(
        "{:02}{letter}{:07}",
        rng.gen_range(1..=96),
        rng.gen_range(0..10_000_000)
    )
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// An area in tenths of a square metre, printed with a decimal comma.
fn area(rng: &mut StdRng, lo: u32, hi: u32) -> (String, f64) {
    let tenths = if rng.gen_bool(0.3) {
        rng.gen_range(lo..=hi) * 10
    } else {
        rng.gen_range(lo * 10..=hi * 10)
    };
    let printed = if tenths.is_multiple_of(10) {
        format!("{} m²", tenths / 10)
    } else {
        format!("{},{} m²", tenths / 10, tenths % 10)
    };
    (printed, f64::from(tenths) / 10.0)
}

fn phone(rng: &mut StdRng) -> String {
    let prefix = pick(
        rng,
        &["090", "091", "098", "097", "093", "088", "035", "077"],
    );
    format!(
        "{prefix} {:03} {:03}",
        rng.gen_range(0..1000),
        rng.gen_range(0..1000)
    )
}

fn nationality(rng: &mut StdRng) -> &'static str {
    if rng.gen_bool(0.97) {
        "Việt Nam"
    } else {
        "Việt Nam, Pháp"
    }
}

fn typed(t: DocType, rng: &mut StdRng, h: Habits, era: Era) -> Result<Document, SampleError> {
    let mut b = Builder::new(t);
    let mut title = contract_title(t);
    let mut subtitle = None;
    let mut annex = Vec::new();
    let loc = era.locale(rng);
    let sig_date;
    let mut role = signer_roles(rng);
    let mut office = civil_office(rng, loc);
    let mut signer_override = None;

    match t {
        DocType::BirthCertificate => {
            subtitle = copy_subtitle(rng);
            let child = Person::random(rng, era, date!(1950 - 01 - 01), add_days(TODAY, -30));
            let reg = if rng.gen_bool(0.8) {
                add_days(child.dob, rng.gen_range(3..=60))
            } else {
                rand_date(rng, add_days(child.dob, 60), TODAY)
            };
            let reg = earliest(reg, TODAY);
            let reg = era.issued(rng, add_days(child.dob, 3), reg);
            let father_family = child.name.split(' ').next().unwrap_or("Nguyễn").to_string();
            let father = person_name(rng, Sex::Male, Some(&father_family));
            let mother = person_name(rng, Sex::Female, None);
            let no = rng.gen_range(1..=999);
            b.field(
                "registration_number",
                format!("{no}/{}", reg.year()),
                format!("{no}/{}", reg.year()),
            )?;
            b.field("full_name", h.name(&child.name), upper(&child.name))?;
            b.field("date_of_birth", h.date(child.dob), iso(child.dob))?;
            b.field("sex", child.sex.printed(), child.sex.truth())?;
            let eth = pick(rng, loc.ethnicities);
            b.optional(rng, 0.85, "ethnicity", eth, eth)?;
            let nat = nationality(rng);
            b.optional(rng, 0.85, "nationality", nat, nat)?;
            let pob = birth_place(rng, loc);
            b.field("place_of_birth", pob.clone(), pob)?;
            let id = personal_id(rng, loc.code, child.sex, child.dob);
            b.field("personal_id", h.id(&id), id)?;
            b.optional(rng, 0.9, "mother_name", h.name(&mother), upper(&mother))?;
            b.optional(rng, 0.8, "father_name", h.name(&father), upper(&father))?;
            if rng.gen_bool(0.4) {
                b.line("Nơi cư trú:", address(rng, loc));
            }
            b.field("registration_office", office.clone(), office.clone())?;
            b.field("registration_date", h.date(reg), iso(reg))?;
            sig_date = reg;
            annex.push("Ghi chú: Giấy khai sinh được cấp lại do bản chính bị mất.".to_string());
        }
        DocType::DeathExtract => {
            subtitle = copy_subtitle(rng);
            let p = Person::random(rng, era, date!(1925 - 01 - 01), date!(1985 - 12 - 31));
            let died = rand_date(rng, add_years(p.dob, 40), TODAY);
            let died = era.issued(rng, add_years(p.dob, 40), died);
            let reg = earliest(add_days(died, rng.gen_range(1..=30)), era.today());
            let no = rng.gen_range(1..=400);
            let reg_no = if rng.gen_bool(0.5) {
                format!("{no}/{}", reg.year())
            } else {
                format!("{no}/TLKT-BS")
            };
            b.field("registration_number", reg_no.clone(), reg_no)?;
            b.field("full_name", h.name(&p.name), upper(&p.name))?;
            b.field("date_of_birth", h.date(p.dob), iso(p.dob))?;
            b.field("sex", p.sex.printed(), p.sex.truth())?;
            if rng.gen_bool(0.5) {
                let eth = pick(rng, p.home.ethnicities);
                b.line("Dân tộc:", eth);
            }
            let nat = nationality(rng);
            b.optional(rng, 0.8, "nationality", nat, nat)?;
            b.field("personal_id", h.id(&p.id), p.id.clone())?;
            b.field("date_of_death", h.date(died), iso(died))?;
            let place = if rng.gen_bool(0.5) {
                format!("Bệnh viện Đa khoa {}", p.home.province)
            } else {
                format!("Tại nhà, {}", address(rng, p.home))
            };
            b.field("place_of_death", place.clone(), place)?;
            let cause = pick(rng, CAUSES_OF_DEATH);
            b.optional(rng, 0.7, "cause_of_death", cause, cause)?;
            let declarant = person_name(rng, Sex::Male, None);
            b.optional(
                rng,
                0.6,
                "declarant_name",
                h.name(&declarant),
                upper(&declarant),
            )?;
            if rng.gen_bool(0.3) {
                b.line(
                    "Quan hệ với người đã chết:",
                    pick(rng, &["Con", "Cháu", "Vợ", "Chồng"]),
                );
            }
            b.field("registration_office", office.clone(), office.clone())?;
            b.field("registration_date", h.date(reg), iso(reg))?;
            sig_date = reg;
            annex.push(
                "Trích lục này được cấp theo yêu cầu của thân nhân người đã chết.".to_string(),
            );
        }
        DocType::MarriageCertificate => {
            let husband = Person::with(
                rng,
                era,
                Sex::Male,
                None,
                date!(1955 - 01 - 01),
                date!(2004 - 12 - 31),
            );
            let wife = Person::with(
                rng,
                era,
                Sex::Female,
                None,
                date!(1958 - 01 - 01),
                date!(2006 - 12 - 31),
            );
            let adult = std::cmp::max(add_years(husband.dob, 20), add_years(wife.dob, 18));
            let reg = rand_date(rng, adult, earliest(add_years(adult, 15), TODAY));
            let reg = earliest(std::cmp::max(reg, adult), TODAY);
            let reg = era.issued(rng, adult, reg);
            let no = rng.gen_range(1..=300);
            b.field(
                "registration_number",
                format!("{no}/{}", reg.year()),
                format!("{no}/{}", reg.year()),
            )?;
            b.field("husband_name", h.name(&husband.name), upper(&husband.name))?;
            b.field(
                "husband_date_of_birth",
                h.date(husband.dob),
                iso(husband.dob),
            )?;
            b.field("husband_id", h.id(&husband.id), husband.id.clone())?;
            if rng.gen_bool(0.5) {
                b.line("Nơi cư trú:", address(rng, husband.home));
            }
            b.field("wife_name", h.name(&wife.name), upper(&wife.name))?;
            b.field("wife_date_of_birth", h.date(wife.dob), iso(wife.dob))?;
            b.field("wife_id", h.id(&wife.id), wife.id.clone())?;
            if rng.gen_bool(0.5) {
                b.line("Nơi cư trú:", address(rng, wife.home));
            }
            b.field("registration_office", office.clone(), office.clone())?;
            b.field("registration_date", h.date(reg), iso(reg))?;
            sig_date = reg;
            annex.push("Hai bên nam, nữ đã cam đoan tự nguyện kết hôn.".to_string());
        }
        DocType::CitizenId => {
            title = pick(
                rng,
                &t.schema()
                    .titles
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
            )
            .to_string();
            subtitle = Some(if title.contains("CÔNG DÂN") {
                "Citizen Identity Card".to_string()
            } else {
                "Identity Card".to_string()
            });
            // After the reform, holders young enough for a card issued then.
            let born_from = match era {
                Era::Before2025 => date!(1950 - 01 - 01),
                Era::After2025 => date!(1969 - 07 - 01),
            };
            let p = Person::random(rng, era, born_from, date!(2009 - 12 - 31));
            let issued = rand_date(
                rng,
                std::cmp::max(add_years(p.dob, 14), date!(2016 - 01 - 01)),
                earliest(add_years(p.dob, 57), TODAY),
            );
            let issued = std::cmp::max(issued, add_years(p.dob, 14));
            let issued = era.issued(rng, add_years(p.dob, 14), issued);
            let issued = earliest(issued, add_years(p.dob, 57));
            // Valid until the 25th, 40th or 60th birthday after issue (two years' grace).
            let expiry = [25, 40, 60]
                .iter()
                .map(|&a| add_years(p.dob, a))
                .find(|d| *d > add_years(issued, 2))
                .unwrap_or_else(|| add_years(p.dob, 60));
            b.field("id_number", h.id(&p.id), p.id.clone())?;
            b.field("full_name", h.name(&p.name), upper(&p.name))?;
            b.field("date_of_birth", h.date(p.dob), iso(p.dob))?;
            b.field("sex", p.sex.printed(), p.sex.truth())?;
            let nat = nationality(rng);
            b.optional(rng, 0.9, "nationality", nat, nat)?;
            let origin = capitalize(&ward_district(rng, p.home));
            b.field("place_of_origin", origin.clone(), origin)?;
            let residence = address(rng, loc);
            b.field("place_of_residence", residence.clone(), residence)?;
            b.field("expiry_date", h.date(expiry), iso(expiry))?;
            if rng.gen_bool(0.5) {
                b.line(
                    "Đặc điểm nhân dạng / Personal identification:",
                    pick(
                        rng,
                        &[
                            "Sẹo chấm C 1cm trên trước mày phải",
                            "Nốt ruồi C 2cm dưới sau mép trái",
                            "Sẹo chấm C 0,5cm dưới trước cằm",
                        ],
                    ),
                );
            }
            b.line("Ngày, tháng, năm / Date, month, year:", h.date(issued));
            office = "Cục Cảnh sát quản lý hành chính về trật tự xã hội".to_string();
            role = vec![
                "CỤC TRƯỞNG CỤC CẢNH SÁT".to_string(),
                "QUẢN LÝ HÀNH CHÍNH VỀ TRẬT TỰ XÃ HỘI".to_string(),
            ];
            sig_date = issued;
            annex.push("Mặt sau thẻ: vân tay ngón trỏ trái, vân tay ngón trỏ phải.".to_string());
        }
        DocType::BusinessHouseholdRegistration => {
            let owner = Person::random(rng, era, date!(1955 - 01 - 01), date!(2000 - 12 - 31));
            let first = rand_date(
                rng,
                std::cmp::max(add_years(owner.dob, 18), date!(2010 - 01 - 01)),
                TODAY,
            );
            let first = era.issued(rng, add_years(owner.dob, 18), first);
            let (trade, lines) = TRADES[rng.gen_range(0..TRADES.len())];
            let name = format!("{trade} {}", pick(rng, SHOP_NAMES));
            let code = business_code(rng);
            const MILLIONS: [u64; 11] = [50, 100, 150, 200, 300, 500, 800, 1000, 1500, 2000, 3000];
            let capital = MILLIONS[rng.gen_range(0..MILLIONS.len())] * 1_000_000;
            let addr = address(rng, loc);
            office = if loc.district.is_empty() {
                // Since the reform, the commune registers household businesses.
                format!("Phòng Kinh tế {}", pick(rng, loc.wards))
            } else {
                format!("Phòng Tài chính - Kế hoạch {}", loc.district)
            };
            b.field("business_code", code.clone(), code)?;
            let printed_name = if h.names_upper {
                name.clone()
            } else {
                title_case(&name)
            };
            b.field("business_name", printed_name, upper(&name))?;
            b.field("address", addr.clone(), addr)?;
            if rng.gen_bool(0.5) {
                b.line("Điện thoại:", phone(rng));
            }
            b.field("business_lines", lines, lines)?;
            b.field(
                "capital_vnd",
                format!("{} đồng", thousands(capital)),
                capital,
            )?;
            if rng.gen_bool(0.4) {
                b.line("Số lượng lao động:", rng.gen_range(1..=9).to_string());
            }
            b.field("owner_name", h.name(&owner.name), upper(&owner.name))?;
            b.field("owner_id", h.id(&owner.id), owner.id.clone())?;
            b.field("first_registration_date", h.date(first), iso(first))?;
            role = vec!["TRƯỞNG PHÒNG".to_string()];
            sig_date = first;
            annex.push("Hộ kinh doanh phải thông báo khi thay đổi nội dung đăng ký.".to_string());
        }
        DocType::BusinessHouseholdTermination => {
            let owner = Person::random(rng, era, date!(1955 - 01 - 01), date!(2000 - 12 - 31));
            let end = rand_date(
                rng,
                std::cmp::max(add_years(owner.dob, 20), date!(2015 - 01 - 01)),
                TODAY,
            );
            let end = era.issued(rng, add_years(owner.dob, 20), end);
            let (trade, _) = TRADES[rng.gen_range(0..TRADES.len())];
            let name = format!("{trade} {}", pick(rng, SHOP_NAMES));
            let code = business_code(rng);
            let addr = address(rng, loc);
            if loc.district.is_empty() {
                b.para(format!("Kính gửi: Phòng Kinh tế {}", pick(rng, loc.wards)));
            } else {
                b.para(format!(
                    "Kính gửi: Phòng Tài chính - Kế hoạch {}",
                    loc.district
                ));
            }
            b.field("business_code", code.clone(), code)?;
            let printed_name = if h.names_upper {
                name.clone()
            } else {
                title_case(&name)
            };
            b.field("business_name", printed_name, upper(&name))?;
            b.field("address", addr.clone(), addr)?;
            b.field("owner_name", h.name(&owner.name), upper(&owner.name))?;
            b.field("owner_id", h.id(&owner.id), owner.id.clone())?;
            b.field("termination_date", h.date(end), iso(end))?;
            let reason = pick(rng, REASONS);
            b.optional(rng, 0.75, "reason", reason, reason)?;
            b.para("Tôi cam kết chịu trách nhiệm trước pháp luật về tính hợp pháp, chính xác và trung thực của nội dung Thông báo này.");
            role = vec!["CHỦ HỘ KINH DOANH".to_string()];
            signer_override = Some(owner.name.clone());
            sig_date = end;
            annex.push("Kèm theo: Bản gốc Giấy chứng nhận đăng ký hộ kinh doanh.".to_string());
        }
        DocType::LandUseCertificate => {
            let holder = Person::random(rng, era, date!(1940 - 01 - 01), date!(1995 - 12 - 31));
            let issued = rand_date(
                rng,
                std::cmp::max(add_years(holder.dob, 18), date!(2000 - 01 - 01)),
                TODAY,
            );
            let issued = era.issued(rng, add_years(holder.dob, 18), issued);
            let serial = format!(
                "{}{} {:06}",
                (b'A' + rng.gen_range(0..26)) as char,
                (b'A' + rng.gen_range(0..26)) as char,
                rng.gen_range(0..1_000_000)
            );
            let (area_printed, area_value) = area(rng, 40, 2000);
            let purpose = pick(rng, LAND_PURPOSES);
            let term = if purpose.starts_with("Đất ở") {
                "Lâu dài".to_string()
            } else {
                format!("Đến năm {}", issued.year() + 50)
            };
            let addr = address(rng, loc);
            b.field("serial", serial.clone(), serial)?;
            b.heading("I. Người sử dụng đất, chủ sở hữu nhà ở và tài sản khác gắn liền với đất");
            b.field("holder_name", h.name(&holder.name), upper(&holder.name))?;
            b.field("holder_id", h.id(&holder.id), holder.id.clone())?;
            b.heading("II. Thửa đất, nhà ở và tài sản khác gắn liền với đất");
            let parcel = rng.gen_range(1..=1500u32);
            let sheet = rng.gen_range(1..=80u32);
            b.field("parcel_number", parcel.to_string(), parcel)?;
            b.field("map_sheet", sheet.to_string(), sheet)?;
            b.field("address", addr.clone(), addr)?;
            b.field("area_m2", area_printed, area_value)?;
            if rng.gen_bool(0.6) {
                b.line(
                    "Hình thức sử dụng:",
                    pick(rng, &["Sử dụng riêng", "Sử dụng chung"]),
                );
            }
            b.field("land_use_purpose", purpose, purpose)?;
            b.optional(rng, 0.85, "land_use_term", term.clone(), term)?;
            if rng.gen_bool(0.5) {
                b.line(
                    "Nguồn gốc sử dụng:",
                    "Nhà nước công nhận quyền sử dụng đất như giao đất có thu tiền sử dụng đất",
                );
            }
            b.field("issue_date", h.date(issued), iso(issued))?;
            if rng.gen_bool(0.5) {
                b.line(
                    "Số vào sổ cấp GCN:",
                    format!("CS{:05}", rng.gen_range(0..100_000)),
                );
            }
            office = format!("Ủy ban nhân dân {}", district_seat(rng, loc));
            sig_date = issued;
            annex.push("III. Sơ đồ thửa đất, nhà ở và tài sản khác gắn liền với đất".to_string());
            annex.push("IV. Những thay đổi sau khi cấp Giấy chứng nhận: không có.".to_string());
        }
        DocType::ConstructionPermit => {
            let owner = Person::random(rng, era, date!(1950 - 01 - 01), date!(1998 - 12 - 31));
            let issued = rand_date(
                rng,
                std::cmp::max(add_years(owner.dob, 18), date!(2015 - 01 - 01)),
                TODAY,
            );
            let issued = era.issued(rng, add_years(owner.dob, 18), issued);
            let no = rng.gen_range(1..=999);
            let permit = format!("{no}/GPXD");
            let (area_printed, area_value) = area(rng, 40, 300);
            let floors = rng.gen_range(1..=7u32);
            b.field("permit_number", permit.clone(), permit)?;
            b.field("owner_name", h.name(&owner.name), upper(&owner.name))?;
            if rng.gen_bool(0.5) {
                b.line("Được phép xây dựng công trình:", "Nhà ở riêng lẻ");
            }
            let addr = address(rng, loc);
            b.field("address", addr.clone(), addr)?;
            let parcel = rng.gen_range(1..=1500u32);
            let sheet = rng.gen_range(1..=80u32);
            b.field("parcel_number", parcel.to_string(), parcel)?;
            b.field("map_sheet", sheet.to_string(), sheet)?;
            b.field("building_area_m2", area_printed, area_value)?;
            b.field("floors", floors.to_string(), floors)?;
            if rng.gen_bool(0.5) {
                b.line(
                    "Chiều cao công trình:",
                    format!("{},{} m", 3 * floors + 2, rng.gen_range(0..10)),
                );
            }
            b.field("issue_date", h.date(issued), iso(issued))?;
            b.para("Giấy phép này có hiệu lực khởi công xây dựng trong thời hạn 12 tháng kể từ ngày cấp.");
            office = format!("Ủy ban nhân dân {}", district_seat(rng, loc));
            sig_date = issued;
            annex.push("Bản vẽ thiết kế kèm theo giấy phép gồm 05 bản vẽ.".to_string());
        }
    }
    annex.push(format!("Số điện thoại liên hệ: {}", phone(rng)));
    let mut sig = signature(rng, loc, sig_date, role);
    if let Some(name) = signer_override {
        sig.signer = name;
        sig.note = "(Ký và ghi rõ họ tên)".to_string();
    }
    Ok(Document {
        title,
        subtitle,
        items: b.items,
        signature: sig,
        seal_text: seal_text(&office),
        annex,
        truth: b.truth,
        application: false,
    })
}

fn title_case(upper_name: &str) -> String {
    upper_name
        .split(' ')
        .map(|w| {
            let lower = w.to_lowercase();
            capitalize(&lower)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A paper outside the contract with the same national header and look-alike
/// labels: a hard negative.
fn unknown(rng: &mut StdRng, h: Habits, era: Era) -> Result<Document, SampleError> {
    use DocType::BirthCertificate as Birth;
    let loc = era.locale(rng);
    let p = Person::random(rng, era, date!(1950 - 01 - 01), date!(2004 - 12 - 31));
    let signed = rand_date(rng, date!(2018 - 01 - 01), TODAY);
    let signed = era.issued(rng, signed, signed);
    let office = civil_office(rng, loc);
    let mut items = Vec::new();
    let entry = |label: &str, value: String| {
        Item::Entry(Entry {
            label: label.to_string(),
            value,
        })
    };
    let (title, subtitle, role) = match rng.gen_range(0..5) {
        0 => {
            items.push(Item::Para(format!("Kính gửi: {office}")));
            items.push(entry("Họ và tên:", h.name(&p.name)));
            items.push(entry("Ngày sinh:", h.date(p.dob)));
            items.push(entry(
                &contract_label(Birth, "sex")?,
                p.sex.printed().to_string(),
            ));
            items.push(entry(&contract_label(Birth, "personal_id")?, h.id(&p.id)));
            items.push(entry("Địa chỉ:", address(rng, p.home)));
            items.push(entry("Số điện thoại:", phone(rng)));
            items.push(Item::Para(
                "Nội dung đề nghị: Cấp bản sao trích lục hộ tịch để bổ sung hồ sơ.".to_string(),
            ));
            items.push(Item::Para(
                "Tôi xin cam đoan những thông tin trên là đúng sự thật.".to_string(),
            ));
            let sub = pick(
                rng,
                &[
                    "(V/v cấp bản sao trích lục hộ tịch)",
                    "(V/v xác nhận thông tin cư trú)",
                    "(V/v cấp lại giấy tờ)",
                ],
            );
            (
                "ĐƠN ĐỀ NGHỊ",
                Some(sub.to_string()),
                vec!["NGƯỜI LÀM ĐƠN".to_string()],
            )
        }
        1 => {
            let q = Person::random(rng, era, date!(1960 - 01 - 01), date!(2004 - 12 - 31));
            items.push(Item::Heading("BÊN ỦY QUYỀN (Bên A):".to_string()));
            items.push(entry("Họ và tên:", h.name(&p.name)));
            items.push(entry("Ngày sinh:", h.date(p.dob)));
            items.push(entry(&contract_label(Birth, "personal_id")?, h.id(&p.id)));
            items.push(entry("Địa chỉ:", address(rng, p.home)));
            items.push(Item::Heading("BÊN ĐƯỢC ỦY QUYỀN (Bên B):".to_string()));
            items.push(entry("Họ và tên:", h.name(&q.name)));
            items.push(entry("Ngày sinh:", h.date(q.dob)));
            items.push(entry(&contract_label(Birth, "personal_id")?, h.id(&q.id)));
            items.push(entry("Địa chỉ:", address(rng, q.home)));
            items.push(Item::Para("Nội dung ủy quyền: Bên B được thay mặt Bên A nộp hồ sơ và nhận kết quả giải quyết thủ tục hành chính.".to_string()));
            items.push(entry(
                "Thời hạn ủy quyền:",
                "06 tháng kể từ ngày ký".to_string(),
            ));
            ("GIẤY ỦY QUYỀN", None, vec!["NGƯỜI ỦY QUYỀN".to_string()])
        }
        2 => {
            let q = Person::random(rng, era, date!(1960 - 01 - 01), date!(1995 - 12 - 31));
            items.push(Item::Para(format!(
                "Hôm nay, {}, tại trụ sở {office}, chúng tôi gồm:",
                print_date(signed, DateStyle::Words)
            )));
            items.push(entry("Họ và tên:", h.name(&q.name)));
            items.push(entry("Chức vụ:", "Công chức tư pháp - hộ tịch".to_string()));
            items.push(entry("Họ và tên:", h.name(&p.name)));
            items.push(entry("Địa chỉ:", address(rng, p.home)));
            items.push(Item::Para(
                "Nội dung: Bàn giao hồ sơ, giấy tờ gồm 03 bộ, mỗi bộ 02 bản.".to_string(),
            ));
            items.push(Item::Para(
                "Biên bản được lập thành 02 bản có giá trị như nhau, mỗi bên giữ 01 bản."
                    .to_string(),
            ));
            let sub = pick(rng, &["BÀN GIAO HỒ SƠ", "LÀM VIỆC", "XÁC MINH"]);
            (
                "BIÊN BẢN",
                Some(sub.to_string()),
                vec!["ĐẠI DIỆN BÊN GIAO".to_string()],
            )
        }
        3 => {
            items.push(entry("Họ, chữ đệm và tên:", h.name(&p.name)));
            items.push(entry(
                &contract_label(Birth, "date_of_birth")?,
                h.date(p.dob),
            ));
            items.push(entry(
                &contract_label(Birth, "sex")?,
                p.sex.printed().to_string(),
            ));
            items.push(entry(&contract_label(Birth, "personal_id")?, h.id(&p.id)));
            items.push(entry("Nơi thường trú:", address(rng, p.home)));
            items.push(entry(
                "Nghề nghiệp:",
                pick(
                    rng,
                    &["Công nhân", "Nông dân", "Giáo viên", "Kinh doanh", "Kỹ sư"],
                )
                .to_string(),
            ));
            items.push(Item::Para(
                "Nội dung đề nghị: Điều chỉnh thông tin về cư trú trong Cơ sở dữ liệu về cư trú."
                    .to_string(),
            ));
            let sub = pick(
                rng,
                &[
                    "THAY ĐỔI THÔNG TIN CƯ TRÚ",
                    "ĐỀ NGHỊ CẤP HỘ CHIẾU PHỔ THÔNG",
                    "ĐĂNG KÝ TẠM TRÚ",
                ],
            );
            (
                "TỜ KHAI",
                Some(sub.to_string()),
                vec!["NGƯỜI KÊ KHAI".to_string()],
            )
        }
        _ => {
            items.push(entry(&contract_label(Birth, "full_name")?, h.name(&p.name)));
            items.push(entry(
                &contract_label(Birth, "date_of_birth")?,
                h.date(p.dob),
            ));
            items.push(entry(
                &contract_label(Birth, "sex")?,
                p.sex.printed().to_string(),
            ));
            items.push(entry(
                &contract_label(Birth, "ethnicity")?,
                pick(rng, p.home.ethnicities).to_string(),
            ));
            items.push(entry(
                &contract_label(Birth, "nationality")?,
                "Việt Nam".to_string(),
            ));
            items.push(entry(&contract_label(Birth, "personal_id")?, h.id(&p.id)));
            items.push(entry("Nơi cư trú:", address(rng, p.home)));
            items.push(entry(
                "Tình trạng hôn nhân:",
                "Hiện tại chưa đăng ký kết hôn với ai".to_string(),
            ));
            items.push(Item::Para(
                "Giấy này có giá trị sử dụng trong thời hạn 06 tháng kể từ ngày cấp.".to_string(),
            ));
            let sub = pick(
                rng,
                &["TÌNH TRẠNG HÔN NHÂN", "THÔNG TIN VỀ CƯ TRÚ", "NHÂN THÂN"],
            );
            ("GIẤY XÁC NHẬN", Some(sub.to_string()), signer_roles(rng))
        }
    };
    let sig = signature(rng, loc, signed, role);
    Ok(Document {
        title: title.to_string(),
        subtitle,
        items,
        signature: sig,
        seal_text: seal_text(&office),
        annex: vec![
            "Hồ sơ kèm theo: bản sao giấy tờ tùy thân.".to_string(),
            format!("Số điện thoại liên hệ: {}", phone(rng)),
        ],
        truth: BTreeMap::new(),
        application: matches!(title, "ĐƠN ĐỀ NGHỊ" | "TỜ KHAI"),
    })
}

/// The citizen's application for a household business registration: the
/// labels and values of the certificate it asks for, none of its own
/// (no business code, no registration date), signed by the applicant.
fn business_application(rng: &mut StdRng, h: Habits, era: Era) -> Result<Document, SampleError> {
    use DocType::BusinessHouseholdRegistration as Reg;
    let loc = era.locale(rng);
    let owner = Person::random(rng, era, date!(1955 - 01 - 01), date!(2000 - 12 - 31));
    let signed = rand_date(rng, date!(2018 - 01 - 01), TODAY);
    let signed = era.issued(rng, signed, signed);
    let office = if loc.district.is_empty() {
        format!("Phòng Kinh tế {}", pick(rng, loc.wards))
    } else {
        format!("Phòng Tài chính - Kế hoạch {}", loc.district)
    };
    let (trade, lines) = TRADES[rng.gen_range(0..TRADES.len())];
    let name = format!("{trade} {}", pick(rng, SHOP_NAMES));
    let name = if h.names_upper {
        upper(&name)
    } else {
        title_case(&upper(&name))
    };
    const MILLIONS: [u64; 6] = [50, 100, 200, 300, 500, 1000];
    let capital = MILLIONS[rng.gen_range(0..MILLIONS.len())] * 1_000_000;
    let entry = |label: String, value: String| Item::Entry(Entry { label, value });
    let items = vec![
        Item::Para(format!("Kính gửi: {office}")),
        Item::Para(format!(
            "Tôi là: {}, chủ hộ kinh doanh, đề nghị đăng ký hộ kinh doanh với các nội dung sau:",
            h.name(&owner.name)
        )),
        entry(contract_label(Reg, "business_name")?, name),
        entry(contract_label(Reg, "address")?, address(rng, loc)),
        entry("Điện thoại:".to_string(), phone(rng)),
        entry(contract_label(Reg, "business_lines")?, lines.to_string()),
        entry(
            contract_label(Reg, "capital_vnd")?,
            format!("{} đồng", thousands(capital)),
        ),
        entry(contract_label(Reg, "owner_name")?, h.name(&owner.name)),
        entry("Ngày sinh:".to_string(), h.date(owner.dob)),
        entry(contract_label(Reg, "owner_id")?, h.id(&owner.id)),
        Item::Para(
            "Tôi cam kết chịu trách nhiệm trước pháp luật về tính hợp pháp, chính xác, trung thực của nội dung đăng ký trên.".to_string(),
        ),
    ];
    let mut sig = signature(rng, loc, signed, vec!["NGƯỜI ĐỀ NGHỊ".to_string()]);
    sig.signer = owner.name.clone();
    sig.note = "(Ký và ghi rõ họ tên)".to_string();
    Ok(Document {
        title: "GIẤY ĐỀ NGHỊ ĐĂNG KÝ HỘ KINH DOANH".to_string(),
        subtitle: None,
        items,
        signature: sig,
        seal_text: String::new(),
        annex: vec!["Kèm theo: bản sao giấy tờ pháp lý của cá nhân.".to_string()],
        truth: BTreeMap::new(),
        application: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn dates_print_in_every_style() {
        let d = date!(2024 - 07 - 05);
        assert_eq!(print_date(d, DateStyle::Slash), "05/07/2024");
        assert_eq!(print_date(d, DateStyle::Dash), "05-07-2024");
        assert_eq!(print_date(d, DateStyle::Words), "ngày 05 tháng 7 năm 2024");
        assert_eq!(
            print_date(date!(2024 - 02 - 09), DateStyle::Words),
            "ngày 09 tháng 02 năm 2024"
        );
    }

    #[test]
    fn personal_ids_follow_birth_year_and_sex() {
        let mut rng = StdRng::seed_from_u64(1);
        let id = personal_id(&mut rng, "079", Sex::Female, date!(1988 - 03 - 01));
        assert_eq!(&id[..6], "079188");
        let id = personal_id(&mut rng, "001", Sex::Male, date!(2003 - 03 - 01));
        assert_eq!(&id[..6], "001203");
        assert_eq!(id.len(), 12);
    }

    #[test]
    fn money_and_area_print_the_vietnamese_way() {
        assert_eq!(thousands(1_500_000_000), "1.500.000.000");
        assert_eq!(thousands(50_000_000), "50.000.000");
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..50 {
            let (printed, value) = area(&mut rng, 40, 300);
            let back: f64 = printed
                .trim_end_matches(" m²")
                .replace(',', ".")
                .parse()
                .unwrap();
            assert_eq!(back, value);
        }
    }

    #[test]
    fn documents_after_the_reform_name_its_units_on_its_dates() {
        let mut provinces: Vec<&str> = locales_2025().iter().map(|l| l.province).collect();
        provinces.dedup();
        assert_eq!(provinces.len(), 34, "{provinces:?}");
        let mut rng = StdRng::seed_from_u64(11);
        for t in DocType::ALL {
            for _ in 0..12 {
                let h = Habits::random(&mut rng);
                let doc = typed(t, &mut rng, h, Era::After2025).unwrap();
                assert!(t.schema().invalid_fields(&doc.truth).is_empty(), "{t}");
                for name in [
                    "address",
                    "registration_office",
                    "place_of_residence",
                    "place_of_origin",
                ] {
                    let Some(v) = doc.truth.get(name).and_then(Value::as_str) else {
                        continue;
                    };
                    // `…, commune, province`: no district level.
                    let parts: Vec<&str> = v.rsplitn(3, ", ").collect();
                    assert!(provinces.contains(&parts[0]), "{t} {name}: {v}");
                    let commune = parts[1].trim_start_matches("UBND ");
                    let commune = commune
                        .trim_start_matches("Ủy ban nhân dân ")
                        .to_lowercase();
                    assert!(
                        commune.starts_with("phường ") || commune.starts_with("xã "),
                        "{t} {name}: {v}"
                    );
                }
                for name in [
                    "registration_date",
                    "issue_date",
                    "first_registration_date",
                    "termination_date",
                    "date_of_death",
                ] {
                    if let Some(v) = doc.truth.get(name).and_then(Value::as_str) {
                        assert!(
                            ("2025-07-01"..="2026-06-30").contains(&v),
                            "{t} {name}: {v}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_business_application_has_the_certificate_labels_but_no_truth() {
        let mut rng = StdRng::seed_from_u64(5);
        let variant = Variant {
            era: Era::Before2025,
            business_application: true,
        };
        let doc = document(Kind::Unknown, &mut rng, variant).unwrap();
        assert!(doc.application && doc.truth.is_empty());
        assert!(doc.title.starts_with("GIẤY ĐỀ NGHỊ"));
        let labels: Vec<&str> = doc
            .items
            .iter()
            .filter_map(|i| match i {
                Item::Entry(e) => Some(e.label.as_str()),
                _ => None,
            })
            .collect();
        let owner = contract_label(DocType::BusinessHouseholdRegistration, "owner_id").unwrap();
        assert!(labels.contains(&owner.as_str()), "{labels:?}");
    }

    #[test]
    fn names_upper_case_keeps_stacked_diacritics() {
        assert_eq!(upper("Nguyễn Thị Hường"), "NGUYỄN THỊ HƯỜNG");
        assert_eq!(title_case("CÀ PHÊ HOA SỮA"), "Cà Phê Hoa Sữa");
    }
}
