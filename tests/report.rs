//! `docseal report`: on a generated month of submissions inserted through
//! SQL with chosen reception and resolution times (several pipeline
//! versions, rejections, records left in review, procedures with and
//! without a deadline, April 2025 with its holidays and a Saturday worked),
//! the figures match a count made here, on SQLite and PostgreSQL, and
//! through the command line.

mod common;

use std::collections::BTreeMap;

use docseal::deadline::{Deadlines, YearMonth};
use docseal::queue::{AnyQueue, QueueUrl, Timeline};
use time::{Date, Month, Weekday};

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
/// The procedures used, with their days in `schemas/procedures.toml`
/// (`None`: no code, or a code the table lacks).
const PROCEDURES: [(Option<&str>, Option<u32>); 5] = [
    (Some("1.001612"), Some(3)),
    (Some("1.000656"), Some(1)),
    (Some("1.012790"), Some(20)),
    (None, None),
    (Some("9.999999"), None),
];

/// Unix ms of local (UTC+7) midnight of a day.
fn midnight(y: i32, m: Month, d: u8) -> i64 {
    let date = Date::from_calendar_date(y, m, d).unwrap();
    (date.midnight().assume_utc().unix_timestamp() - 7 * 3600) * 1000
}

/// The working days of spring 2025, counted here by hand: not weekends,
/// not 7 April, 30 April, 1 and 2 May; Saturday 26 April is worked.
fn working(d: Date) -> bool {
    let (m, day) = (d.month(), d.day());
    let holiday = matches!(
        (m, day),
        (Month::April, 7) | (Month::April, 30) | (Month::May, 1) | (Month::May, 2)
    );
    let worked_saturday = m == Month::April && day == 26;
    worked_saturday || !(holiday || matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday))
}

fn due(received: i64, days: u32) -> i64 {
    let local = time::OffsetDateTime::from_unix_timestamp(received / 1000 + 7 * 3600)
        .unwrap()
        .date();
    let mut d = local;
    let mut left = days;
    while left > 0 {
        d = d.next_day().unwrap();
        if working(d) {
            left -= 1;
        }
    }
    midnight(d.year(), d.month(), d.day()) + DAY
}

/// A generated submission: reception, procedure, and its jobs' final
/// states and times.
struct Generated {
    id: String,
    received: i64,
    procedure: usize,
    jobs: Vec<(&'static str, Option<i64>)>,
    /// Received online (else at the desk).
    online: bool,
}

/// Two hundred submissions from 20 March to the end of April 2025, from a
/// fixed pseudo-random sequence.
fn generate() -> Vec<Generated> {
    let mut seed: u64 = 0x2025_0401;
    let mut next = move |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let from = midnight(2025, Month::March, 20);
    let span = midnight(2025, Month::May, 1) - from;
    (0..200)
        .map(|i| {
            let received = from + (next(span as u64 / 60_000) as i64) * 60_000;
            let procedure = next(5) as usize;
            let online = next(3) == 0;
            let after = |h: u64| received + h as i64 * HOUR;
            let jobs = match next(6) {
                0 => vec![("issued", Some(after(next(30 * 24))))],
                1 => vec![("rejected", Some(after(next(10 * 24))))],
                2 => vec![("needs_review", Some(after(2)))],
                3 => vec![
                    ("needs_review", Some(after(1))),
                    ("issued", Some(after(next(12 * 24)))),
                ],
                4 => vec![("queued", None)],
                _ => vec![
                    ("failed", Some(after(1))),
                    ("issued", Some(after(next(4 * 24)))),
                ],
            };
            Generated {
                id: format!("{i:064x}"),
                received,
                procedure,
                jobs,
                online,
            }
        })
        .collect()
}

/// The statements that insert the generated submissions.
fn statements(all: &[Generated]) -> Vec<String> {
    let mut out = Vec::new();
    for g in all {
        out.push(format!(
            "INSERT INTO submissions (id, name, size, media_type, scan_key, received_at) \
             VALUES ('{}', 'x.png', 1, 'image/png', 'scans/x', {})",
            g.id, g.received
        ));
        if let Some(code) = PROCEDURES[g.procedure].0 {
            out.push(format!(
                "INSERT INTO submission_meta (submission_id, procedure_code) VALUES ('{}', '{code}')",
                g.id
            ));
        }
        if g.online {
            out.push(format!(
                "INSERT INTO submission_channel (submission_id, channel) VALUES ('{}', 'online')",
                g.id
            ));
        }
        for (v, (state, finished)) in g.jobs.iter().enumerate() {
            let finished = finished.map_or("NULL".to_string(), |f| f.to_string());
            out.push(format!(
                "INSERT INTO jobs (submission_id, pipeline_version, state, available_at, \
                 enqueued_at, finished_at) VALUES ('{}', 'v{v}', '{state}', {}, {}, {finished})",
                g.id, g.received, g.received
            ));
        }
    }
    out
}

/// The figures counted here: procedure → [received, resolved, on time,
/// late, pending, overdue, received online].
fn hand_count(all: &[Generated]) -> BTreeMap<String, [u64; 7]> {
    let (start, end) = (
        midnight(2025, Month::April, 1),
        midnight(2025, Month::May, 1),
    );
    let mut out: BTreeMap<String, [u64; 7]> = BTreeMap::new();
    for g in all {
        let (code, days) = PROCEDURES[g.procedure];
        let row = out.entry(code.unwrap_or("-").to_string()).or_default();
        let resolved = g
            .jobs
            .iter()
            .filter(|(s, _)| *s == "issued" || *s == "rejected")
            .filter_map(|(_, f)| *f)
            .min();
        let due = days.map(|d| due(g.received, d));
        if g.received >= start && g.received < end {
            row[0] += 1;
            if g.online {
                row[6] += 1;
            }
        }
        if let Some(r) = resolved.filter(|r| *r >= start && *r < end) {
            row[1] += 1;
            match due {
                Some(d) if r < d => row[2] += 1,
                Some(_) => row[3] += 1,
                None => {}
            }
        }
        if g.received < end && resolved.is_none_or(|r| r >= end) {
            row[4] += 1;
            if due.is_some_and(|d| d <= end) {
                row[5] += 1;
            }
        }
    }
    out.retain(|_, r| r[0] + r[1] + r[4] > 0);
    out
}

/// The report's figures in the same shape.
fn figures(report: &serde_json::Value) -> BTreeMap<String, [u64; 7]> {
    report["procedures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let n = |k: &str| r[k].as_u64().unwrap();
            (
                r["procedure"].as_str().unwrap().to_string(),
                [
                    n("received"),
                    n("resolved"),
                    n("on_time"),
                    n("late"),
                    n("pending"),
                    n("overdue"),
                    n("received_online"),
                ],
            )
        })
        .collect()
}

async fn matches_hand_count(q: AnyQueue) {
    let all = generate();
    for s in statements(&all) {
        match &q {
            AnyQueue::Sqlite(q) => sqlx::raw_sql(&s).execute(q.pool()).await.map(|_| ()),
            AnyQueue::Postgres(q) => sqlx::raw_sql(&s).execute(q.pool()).await.map(|_| ()),
        }
        .unwrap();
    }
    let month = YearMonth::parse("2025-04").unwrap();
    let (start, end) = month.range_ms();
    let times = q.submission_times(start, end).await.unwrap();
    let report = Deadlines::builtin()
        .unwrap()
        .report(month, &times, i64::MAX);
    let expected = hand_count(&all);
    assert_eq!(figures(&serde_json::to_value(&report).unwrap()), expected);
    // Each kind of figure occurs, so the comparison means something.
    let total = expected.values().fold([0; 7], |mut t, r| {
        t.iter_mut().zip(r).for_each(|(a, b)| *a += b);
        t
    });
    assert!(total.iter().all(|n| *n > 0), "{total:?}");
    assert_eq!(report.total.received, total[0]);
    assert_eq!(report.total.received_online, total[6]);
    assert_eq!(
        report.total.received_online + report.total.received_desk,
        report.total.received
    );
}

#[tokio::test]
async fn the_report_matches_a_hand_count_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data");
    std::fs::create_dir_all(&path).unwrap();
    let q = AnyQueue::open(&QueueUrl::Sqlite(path.join("docseal.sqlite")))
        .await
        .unwrap();
    matches_hand_count(q).await;
    // The command line says the same, and draws the chart.
    let svg = dir.path().join("report.svg");
    let out = common::docseal(
        &path,
        &[
            "report",
            "--month",
            "2025-04",
            "--json",
            "--svg",
            svg.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", common::text(&out));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(figures(&printed), hand_count(&generate()));
    let chart = std::fs::read_to_string(&svg).unwrap();
    assert!(
        chart.starts_with("<svg") && chart.contains("1.001612"),
        "{chart}"
    );
    let table = common::docseal(&path, &["report", "--month", "2025-04"]);
    assert!(
        common::text(&table).contains("On time:"),
        "{}",
        common::text(&table)
    );
}

#[tokio::test]
async fn the_report_matches_a_hand_count_on_postgres() {
    let url = common::fresh_pg_url().await;
    matches_hand_count(
        AnyQueue::open(&QueueUrl::parse(&url).unwrap())
            .await
            .unwrap(),
    )
    .await;
}
