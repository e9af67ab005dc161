//! Deadlines and on-time reporting: each procedure's legal processing time
//! in working days (`schemas/procedures.toml`), the days that are not
//! working days (weekends and `schemas/holidays.toml`), a submission's due
//! date, and a month's report per procedure as a table, JSON or an SVG bar
//! chart. Plain functions over [`SubmissionTimes`]: no I/O but reading the
//! two tables.
//!
//! Days are those of Vietnam (UTC+7, no daylight saving). A submission
//! received on day D for a procedure of N working days is due by the end
//! of the Nth working day after D; it is on time when it was resolved (a
//! document issued, or a person's rejection) before then.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use time::{Date, Duration, Month, OffsetDateTime, UtcOffset, Weekday};

use crate::queue::SubmissionTimes;

/// The committed procedure table.
const PROCEDURES: &str = include_str!("../schemas/procedures.toml");
/// The committed holiday list.
const HOLIDAYS: &str = include_str!("../schemas/holidays.toml");
/// Vietnam's offset from UTC, in seconds.
const OFFSET_SECS: i64 = 7 * 3600;
/// A day in milliseconds.
const DAY_MS: i64 = 86_400_000;
/// The procedure row of submissions without a procedure code.
pub const NO_PROCEDURE: &str = "-";

/// Errors of reading the tables or a month.
#[derive(Debug, thiserror::Error)]
pub enum DeadlineError {
    /// A table file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A table is not what it should be.
    #[error("{what}: {reason}")]
    Table {
        /// Which table (a file, or the committed one).
        what: String,
        /// What is wrong.
        reason: String,
    },
    /// A month is not `YYYY-MM`.
    #[error("month `{0}`: expected YYYY-MM, e.g. 2025-07")]
    Month(String),
}

/// One procedure of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    /// Its code, as clerks give it (`procedure_code`).
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its legal processing time in working days.
    pub working_days: u32,
    /// The prefill form of its application, if any.
    #[serde(default)]
    pub form: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProcedureFile {
    procedure: Vec<Procedure>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayFile {
    holidays: Vec<String>,
    #[serde(default)]
    working_days: Vec<String>,
}

/// The procedures and the calendar of working days.
#[derive(Debug, Clone)]
pub struct Deadlines {
    procedures: BTreeMap<String, Procedure>,
    holidays: BTreeSet<Date>,
    working_saturdays: BTreeSet<Date>,
}

fn parse_date(what: &str, s: &str) -> Result<Date, DeadlineError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, format).map_err(|e| DeadlineError::Table {
        what: what.to_string(),
        reason: format!("`{s}` is not a date YYYY-MM-DD ({e})"),
    })
}

impl Deadlines {
    /// Reads the tables from their texts; `what` names them in errors.
    pub fn parse(
        procedures: (&str, &str),
        holidays: (&str, &str),
    ) -> Result<Deadlines, DeadlineError> {
        let bad = |what: &str, reason: String| DeadlineError::Table {
            what: what.to_string(),
            reason,
        };
        let (what, text) = procedures;
        let file: ProcedureFile = toml::from_str(text).map_err(|e| bad(what, e.to_string()))?;
        let mut table = BTreeMap::new();
        for p in file.procedure {
            if p.code.trim().is_empty() || p.code == NO_PROCEDURE {
                return Err(bad(what, format!("procedure `{}` has no code", p.name)));
            }
            if p.working_days > 365 {
                return Err(bad(what, format!("{}: more than 365 working days", p.code)));
            }
            if let Some(old) = table.insert(p.code.clone(), p) {
                return Err(bad(what, format!("{} is listed twice", old.code)));
            }
        }
        let (what, text) = holidays;
        let file: HolidayFile = toml::from_str(text).map_err(|e| bad(what, e.to_string()))?;
        let holidays = file
            .holidays
            .iter()
            .map(|d| parse_date(what, d))
            .collect::<Result<_, _>>()?;
        let working_saturdays = file
            .working_days
            .iter()
            .map(|d| parse_date(what, d))
            .collect::<Result<_, _>>()?;
        Ok(Deadlines {
            procedures: table,
            holidays,
            working_saturdays,
        })
    }

    /// The committed tables (`schemas/procedures.toml`,
    /// `schemas/holidays.toml`), read once.
    pub fn builtin() -> Result<&'static Deadlines, DeadlineError> {
        static BUILTIN: OnceLock<Result<Deadlines, String>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| {
                Deadlines::parse(
                    ("schemas/procedures.toml", PROCEDURES),
                    ("schemas/holidays.toml", HOLIDAYS),
                )
                .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|reason| DeadlineError::Table {
                what: "the committed tables".into(),
                reason: reason.clone(),
            })
    }

    /// The committed tables, with either replaced by a file.
    pub fn load(
        procedures: Option<&Path>,
        holidays: Option<&Path>,
    ) -> Result<Deadlines, DeadlineError> {
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|source| DeadlineError::Read {
                path: path.to_path_buf(),
                source,
            })
        };
        let p = procedures.map(read).transpose()?;
        let h = holidays.map(read).transpose()?;
        let name = |path: Option<&Path>, default: &str| {
            path.map_or(default.to_string(), |p| p.display().to_string())
        };
        Deadlines::parse(
            (
                &name(procedures, "schemas/procedures.toml"),
                p.as_deref().unwrap_or(PROCEDURES),
            ),
            (
                &name(holidays, "schemas/holidays.toml"),
                h.as_deref().unwrap_or(HOLIDAYS),
            ),
        )
    }

    /// The procedure with this code.
    pub fn procedure(&self, code: &str) -> Option<&Procedure> {
        self.procedures.get(code)
    }

    /// Every procedure, by code.
    pub fn procedures(&self) -> impl Iterator<Item = &Procedure> {
        self.procedures.values()
    }

    /// Whether `day` is a working day: Monday to Friday except holidays,
    /// and the Saturdays worked in exchange.
    pub fn is_working_day(&self, day: Date) -> bool {
        match day.weekday() {
            Weekday::Sunday => false,
            Weekday::Saturday => self.working_saturdays.contains(&day),
            _ => !self.holidays.contains(&day),
        }
    }

    /// The `n`th working day after `day` (`day` itself when `n` is 0).
    pub fn add_working_days(&self, day: Date, n: u32) -> Date {
        let mut d = day;
        let mut left = n;
        while left > 0 {
            match d.next_day() {
                Some(next) => d = next,
                None => return Date::MAX,
            }
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// When a submission received at `received_ms` (Unix ms) for a
    /// procedure of `working_days` is due: the end of the last working day
    /// (Unix ms, exclusive).
    pub fn due_ms(&self, received_ms: i64, working_days: u32) -> i64 {
        let day = local_day(received_ms);
        let last = self.add_working_days(day, working_days);
        day_start_ms(last).saturating_add(DAY_MS)
    }

    /// When a submission is due under its procedure, if the procedure is
    /// in the table.
    pub fn due_for(&self, t: &SubmissionTimes) -> Option<i64> {
        let p = self.procedure(t.procedure_code.as_deref()?)?;
        Some(self.due_ms(t.received_at, p.working_days))
    }

    /// The report of `month` over the submissions' times, as things stood
    /// at `now_ms` (the month's end when it is over).
    pub fn report(&self, month: YearMonth, times: &[SubmissionTimes], now_ms: i64) -> MonthReport {
        let (start, end) = month.range_ms();
        let cutoff = end.min(now_ms);
        let mut rows: BTreeMap<String, ProcedureRow> = BTreeMap::new();
        for t in times {
            let code = t
                .procedure_code
                .clone()
                .filter(|c| !c.trim().is_empty())
                .unwrap_or_else(|| NO_PROCEDURE.to_string());
            let row = rows.entry(code.clone()).or_insert_with(|| {
                let p = self.procedure(&code);
                ProcedureRow {
                    procedure: code.clone(),
                    name: p.map(|p| p.name.clone()),
                    working_days: p.map(|p| p.working_days),
                    ..ProcedureRow::default()
                }
            });
            let due = self.due_for(t);
            row.count(t, due, start, end, cutoff);
        }
        let mut total = ProcedureRow {
            procedure: "total".into(),
            ..ProcedureRow::default()
        };
        for r in rows.values() {
            total.add(r);
        }
        MonthReport {
            month: month.to_string(),
            as_of: crate::model::format_rfc3339(cutoff.div_euclid(1000)),
            procedures: rows.into_values().filter(|r| !r.is_empty()).collect(),
            total,
        }
    }
}

/// The local (UTC+7) day of a Unix-ms instant.
pub fn local_day(ms: i64) -> Date {
    let secs = ms.div_euclid(1000) + OFFSET_SECS;
    OffsetDateTime::from_unix_timestamp(secs.clamp(-377_705_116_800, 253_402_300_799))
        .map(|t| t.date())
        .unwrap_or(Date::MIN)
}

/// Unix ms of the start of a local (UTC+7) day.
pub fn day_start_ms(day: Date) -> i64 {
    let offset = UtcOffset::from_whole_seconds(OFFSET_SECS as i32).unwrap_or(UtcOffset::UTC);
    day.midnight().assume_offset(offset).unix_timestamp() * 1000
}

/// A calendar month, `YYYY-MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearMonth {
    /// The year.
    pub year: i32,
    /// The month.
    pub month: Month,
}

impl YearMonth {
    /// Parses `YYYY-MM`.
    pub fn parse(s: &str) -> Result<YearMonth, DeadlineError> {
        let bad = || DeadlineError::Month(s.to_string());
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u8 = m.parse().map_err(|_| bad())?;
        let month = Month::try_from(month).map_err(|_| bad())?;
        if !(1970..=9998).contains(&year) {
            return Err(bad());
        }
        Ok(YearMonth { year, month })
    }

    /// The month holding a Unix-ms instant (local time).
    pub fn of(ms: i64) -> YearMonth {
        let d = local_day(ms);
        YearMonth {
            year: d.year(),
            month: d.month(),
        }
    }

    /// Its first day.
    pub fn first_day(self) -> Date {
        Date::from_calendar_date(self.year, self.month, 1).unwrap_or(Date::MIN)
    }

    /// Its start and the next month's start, Unix ms (local time).
    pub fn range_ms(self) -> (i64, i64) {
        let first = self.first_day();
        let next = first + Duration::days(i64::from(first.month().length(first.year())));
        (day_start_ms(first), day_start_ms(next))
    }
}

impl std::fmt::Display for YearMonth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month as u8)
    }
}

/// One procedure's figures for a month.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProcedureRow {
    /// The procedure code (`-` for submissions without one, `total`).
    pub procedure: String,
    /// Its name, when the table knows it.
    pub name: Option<String>,
    /// Its processing time in working days, when the table knows it.
    pub working_days: Option<u32>,
    /// Received during the month.
    pub received: u64,
    /// Of those, received online.
    pub received_online: u64,
    /// Of those, received at the desk.
    pub received_desk: u64,
    /// Resolved during the month (issued or rejected), whatever the
    /// month they were received in.
    pub resolved: u64,
    /// Of those, resolved by their due date.
    pub on_time: u64,
    /// Of those, resolved after it.
    pub late: u64,
    /// Received but not resolved at the month's end (or now, during the
    /// month), whatever the month they were received in.
    pub pending: u64,
    /// Of those, already past their due date.
    pub overdue: u64,
}

impl ProcedureRow {
    fn count(&mut self, t: &SubmissionTimes, due: Option<i64>, start: i64, end: i64, cutoff: i64) {
        if (start..end).contains(&t.received_at) {
            self.received += 1;
            if t.online {
                self.received_online += 1;
            } else {
                self.received_desk += 1;
            }
        }
        match t.resolved_at {
            Some(r) if (start..end).contains(&r) => {
                self.resolved += 1;
                match due {
                    Some(due) if r < due => self.on_time += 1,
                    Some(_) => self.late += 1,
                    None => {}
                }
            }
            _ => {}
        }
        let open_at_cutoff = t.received_at < cutoff && t.resolved_at.is_none_or(|r| r >= cutoff);
        if open_at_cutoff {
            self.pending += 1;
            if due.is_some_and(|due| due <= cutoff) {
                self.overdue += 1;
            }
        }
    }

    fn add(&mut self, o: &ProcedureRow) {
        self.received += o.received;
        self.received_online += o.received_online;
        self.received_desk += o.received_desk;
        self.resolved += o.resolved;
        self.on_time += o.on_time;
        self.late += o.late;
        self.pending += o.pending;
        self.overdue += o.overdue;
    }

    fn is_empty(&self) -> bool {
        self.received == 0 && self.resolved == 0 && self.pending == 0
    }
}

/// A month's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthReport {
    /// The month, `YYYY-MM`.
    pub month: String,
    /// The instant pending and overdue are counted at: the month's end, or
    /// now during the month (RFC 3339).
    pub as_of: String,
    /// One row per procedure with anything to count, by code.
    pub procedures: Vec<ProcedureRow>,
    /// The sums.
    pub total: ProcedureRow,
}

impl MonthReport {
    /// The report as a text table.
    pub fn to_table(&self) -> String {
        let mut out = format!("On-time report for {} (as of {})\n", self.month, self.as_of);
        let _ = writeln!(
            out,
            "{:<10} {:>5} {:>9} {:>7} {:>5} {:>9} {:>8} {:>5} {:>8} {:>8}  name",
            "procedure",
            "days",
            "received",
            "online",
            "desk",
            "resolved",
            "on time",
            "late",
            "pending",
            "overdue"
        );
        for r in self.procedures.iter().chain(std::iter::once(&self.total)) {
            let days = r.working_days.map_or("-".to_string(), |d| d.to_string());
            let _ = writeln!(
                out,
                "{:<10} {:>5} {:>9} {:>7} {:>5} {:>9} {:>8} {:>5} {:>8} {:>8}  {}",
                r.procedure,
                days,
                r.received,
                r.received_online,
                r.received_desk,
                r.resolved,
                r.on_time,
                r.late,
                r.pending,
                r.overdue,
                r.name.as_deref().unwrap_or("")
            );
        }
        let judged = self.total.on_time + self.total.late;
        if judged > 0 {
            let rate = 100.0 * self.total.on_time as f64 / judged as f64;
            let _ = writeln!(
                out,
                "On time: {rate:.1} % of {judged} resolved with a deadline."
            );
        }
        out
    }

    /// The report as an SVG bar chart: per procedure, bars of resolved on
    /// time, late, pending and overdue.
    pub fn to_svg(&self) -> String {
        const SERIES: [(&str, &str); 4] = [
            ("on time", "#2e7d32"),
            ("late", "#c62828"),
            ("pending", "#9e9e9e"),
            ("overdue", "#ef6c00"),
        ];
        let (bar, gap, top, left, height) = (14.0, 18.0, 50.0, 60.0, 220.0);
        let group = SERIES.len() as f64 * bar + gap;
        let width = left + group * self.procedures.len().max(1) as f64 + 20.0;
        let max = self
            .procedures
            .iter()
            .flat_map(|r| [r.on_time, r.late, r.pending, r.overdue])
            .max()
            .unwrap_or(0)
            .max(1) as f64;
        let mut s = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{:.0}\" \
             font-family=\"sans-serif\" font-size=\"11\">\n",
            top + height + 60.0
        );
        let _ = writeln!(
            s,
            "<text x=\"{left}\" y=\"18\" font-size=\"14\">On-time report {} (as of {})</text>",
            escape(&self.month),
            escape(&self.as_of)
        );
        for (i, (name, colour)) in SERIES.iter().enumerate() {
            let x = left + i as f64 * 80.0;
            let _ = writeln!(
                s,
                "<rect x=\"{x}\" y=\"28\" width=\"10\" height=\"10\" fill=\"{colour}\"/>\
                 <text x=\"{}\" y=\"37\">{name}</text>",
                x + 14.0
            );
        }
        let base = top + height;
        let _ = writeln!(
            s,
            "<line x1=\"{left}\" y1=\"{base}\" x2=\"{:.0}\" y2=\"{base}\" stroke=\"#333\"/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{max:.0}</text>",
            width - 10.0,
            left - 4.0,
            top + 4.0
        );
        for (g, r) in self.procedures.iter().enumerate() {
            let x0 = left + g as f64 * group + gap / 2.0;
            for (i, v) in [r.on_time, r.late, r.pending, r.overdue].iter().enumerate() {
                let h = height * *v as f64 / max;
                let _ = writeln!(
                    s,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bar}\" height=\"{h:.1}\" fill=\"{}\">\
                     <title>{}: {v} {}</title></rect>",
                    x0 + i as f64 * bar,
                    base - h,
                    SERIES[i].1,
                    escape(&r.procedure),
                    SERIES[i].0
                );
            }
            let _ = writeln!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x0 + SERIES.len() as f64 * bar / 2.0,
                base + 16.0,
                escape(&r.procedure)
            );
        }
        s.push_str("</svg>\n");
        s
    }
}

/// Text made safe inside SVG.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Date {
        parse_date("test", s).unwrap()
    }

    #[test]
    fn the_committed_tables_read() {
        let d = Deadlines::builtin().unwrap();
        assert_eq!(d.procedure("1.001612").unwrap().working_days, 3);
        assert!(!d.is_working_day(day("2025-09-02")));
        assert!(d.is_working_day(day("2025-04-26")), "a Saturday worked");
        assert!(!d.is_working_day(day("2025-07-05")), "a Saturday");
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        let d = Deadlines::builtin().unwrap();
        // Friday 29 August 2025 + 3 working days: 1 and 2 September are
        // National Day, so Wednesday 3, Thursday 4, Friday 5.
        assert_eq!(d.add_working_days(day("2025-08-29"), 3), day("2025-09-05"));
        // Received on a Saturday: counted from Monday.
        assert_eq!(d.add_working_days(day("2025-07-05"), 1), day("2025-07-07"));
        // Due at the end of the day, Vietnamese time.
        let received = day_start_ms(day("2025-07-01")) + 10 * 3_600_000;
        assert_eq!(d.due_ms(received, 1), day_start_ms(day("2025-07-03")));
    }

    #[test]
    fn months_parse_and_span_their_days() {
        let m = YearMonth::parse("2025-07").unwrap();
        let (a, b) = m.range_ms();
        assert_eq!(b - a, 31 * DAY_MS);
        assert_eq!(m.to_string(), "2025-07");
        assert!(YearMonth::parse("2025-13").is_err());
        assert!(YearMonth::parse("July").is_err());
    }
}
