//! `docseal archive`: a folder tree of a few hundred scans with copies among
//! them, a file that is no scan, one that cannot be read and a CSV: every
//! scan is stored and queued once, each copy reported as the duplicate of
//! the file it repeats and not stored again, the CSV's dossier, procedure
//! and reception recorded (the on-time report counts from that reception),
//! the bad files reported without stopping the run; a second run changes
//! nothing. Then the same from a bucket prefix on the test S3 server.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{docseal, docseal_cmd, text};
use docseal::queue::{Jobs, QueueUrl, Reviews, Stats, Timeline};

/// A small PNG whose pixels spell `n`, so each `n` gives other bytes.
fn png(n: u32) -> Vec<u8> {
    let img = image::GrayImage::from_fn(16, 16, |x, y| {
        let bit = (n >> ((x + 16 * y) % 32)) & 1;
        image::Luma([if bit == 1 { 0 } else { 255 }])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

const SCANS: u32 = 300;
const COPIES: u32 = 20;

/// Writes the archive: `SCANS` scans in nested folders, `COPIES` copies of
/// some of them elsewhere, a text file and a dangling link; returns the
/// copies (copy, original).
fn write_archive(root: &Path) -> Vec<(String, String)> {
    for n in 0..SCANS {
        let rel = format!("{:02}/{:02}/scan-{n:04}.png", n % 7, n % 11);
        let path = root.join(&rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, png(n + 1)).unwrap();
    }
    let mut copies = Vec::new();
    for k in 0..COPIES {
        let n = k * 13;
        let original = format!("{:02}/{:02}/scan-{n:04}.png", n % 7, n % 11);
        let copy = format!("zz-copies/copy-{k:02}.png");
        std::fs::create_dir_all(root.join("zz-copies")).unwrap();
        std::fs::copy(root.join(&original), root.join(&copy)).unwrap();
        copies.push((copy, original));
    }
    std::fs::write(root.join("notes.txt"), "not a scan\n").unwrap();
    std::os::unix::fs::symlink(root.join("gone.png"), root.join("dangling.png")).unwrap();
    copies
}

/// The report's lines by file.
fn report(path: &Path) -> BTreeMap<String, serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["file"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

fn count(lines: &BTreeMap<String, serde_json::Value>, status: &str) -> usize {
    lines.values().filter(|v| v["status"] == status).count()
}

fn files_under(dir: &Path) -> usize {
    walk(dir).len()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_archive_is_taken_in_once_with_duplicates_csv_and_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let (root, data) = (dir.path().join("archive"), dir.path().join("data"));
    let copies = write_archive(&root);
    let csv = dir.path().join("archive.csv");
    std::fs::write(
        &csv,
        "file,dossier_code,procedure_code,received_date\n\
         00/00/scan-0000.png,000.00.12.H29-250701-0001,1.001612,2025-07-01\n\
         01/01/scan-0001.png,000.00.12.H29-250702-0002,,2025-07-02T09:15:00+07:00\n\
         zz-copies/copy-01.png,000.00.12.H29-250703-9999,2.000001,2025-07-03\n",
    )
    .unwrap();
    let first = dir.path().join("first.ndjson");
    let out = docseal(
        &data,
        &[
            "archive",
            root.to_str().unwrap(),
            "--csv",
            csv.to_str().unwrap(),
            "--report",
            first.to_str().unwrap(),
        ],
    );
    // The dangling link is an error: reported, the run goes on, exit 1.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let summary = text(&out);
    assert!(
        summary.contains(&format!(
            "{} files: {SCANS} new, 0 known, 0 unchanged, {COPIES} duplicate, 1 skipped, 1 error",
            SCANS + COPIES + 2
        )),
        "{summary}"
    );
    let lines = report(&first);
    assert_eq!(lines.len() as u32, SCANS + COPIES + 2);
    assert_eq!(count(&lines, "new") as u32, SCANS);
    for (copy, original) in &copies {
        assert_eq!(lines[copy]["status"], "duplicate", "{copy}");
        assert_eq!(lines[copy]["duplicate_of"], original.as_str(), "{copy}");
        assert_eq!(
            lines[copy]["submission_id"],
            lines[original]["submission_id"]
        );
        assert!(summary.contains(&format!("duplicate: {copy} of {original}")));
    }
    assert_eq!(lines["notes.txt"]["status"], "skipped");
    assert_eq!(lines["dangling.png"]["status"], "error");
    assert!(
        summary.contains("error: dangling.png: cannot read"),
        "{summary}"
    );
    // Each scan stored once.
    assert_eq!(files_under(&data.join("objects/scans")) as u32, SCANS);

    let queue = docseal::queue::AnyQueue::open(
        &QueueUrl::parse(&format!(
            "sqlite://{}",
            data.join("docseal.sqlite").display()
        ))
        .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(queue.unfinished().await.unwrap() as u32, SCANS);
    assert_eq!(queue.status().await.unwrap().received as u32, SCANS);
    let id0 = lines["00/00/scan-0000.png"]["submission_id"]
        .as_str()
        .unwrap()
        .to_string();
    let id1 = lines["01/01/scan-0001.png"]["submission_id"]
        .as_str()
        .unwrap()
        .to_string();
    let meta = queue.meta(&id0).await.unwrap();
    assert_eq!(
        meta.dossier_code.as_deref(),
        Some("000.00.12.H29-250701-0001")
    );
    assert_eq!(meta.procedure_code.as_deref(), Some("1.001612"));
    let meta = queue.meta(&id1).await.unwrap();
    assert_eq!(
        meta.dossier_code.as_deref(),
        Some("000.00.12.H29-250702-0002")
    );
    assert_eq!(meta.procedure_code, None);
    // A duplicate's CSV row changes nothing of the file it repeats.
    let copied = lines["zz-copies/copy-01.png"]["submission_id"]
        .as_str()
        .unwrap();
    assert_eq!(queue.meta(copied).await.unwrap().dossier_code, None);
    // The reception the report counts from is the CSV's: 2025-07-01 00:00 UTC+7.
    let july = 1_751_302_800_000i64;
    let times = queue
        .submission_times(july - 86_400_000, july + 31 * 86_400_000)
        .await
        .unwrap();
    let received: BTreeMap<&str, i64> = times
        .iter()
        .map(|t| (t.submission_id.as_str(), t.received_at))
        .collect();
    assert_eq!(received.get(id0.as_str()), Some(&july));
    assert_eq!(
        received.get(id1.as_str()),
        Some(&(july + 86_400_000 + 9 * 3_600_000 + 15 * 60_000))
    );
    assert_eq!(
        times.len(),
        2,
        "only the CSV's receptions fall in July 2025"
    );
    drop(queue);

    // Again: nothing new, nothing stored or queued twice.
    let second = dir.path().join("second.ndjson");
    let out = docseal_cmd(&data)
        .args([
            "archive",
            root.to_str().unwrap(),
            "--csv",
            csv.to_str().unwrap(),
            "--report",
            second.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let summary = text(&out);
    assert!(
        summary.contains(&format!(
            "0 new, 0 known, {SCANS} unchanged, {COPIES} duplicate, 1 skipped, 1 error"
        )),
        "{summary}"
    );
    let again = report(&second);
    for (copy, original) in &copies {
        assert_eq!(again[copy]["duplicate_of"], original.as_str());
    }
    assert_eq!(files_under(&data.join("objects/scans")) as u32, SCANS);
    let out = docseal(&data, &["status", "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["counts"]["received"], SCANS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_prefix_is_taken_in_once() {
    let env = common::S3Env::from_env();
    let bucket = common::fresh_bucket(&env).await;
    let store = docseal::store::S3Store::new(&env.options(&bucket)).unwrap();
    use docseal::store::ObjectStore;
    for n in 0..40u32 {
        store
            .put(&format!("archive/2024/scan-{n:03}.png"), png(1000 + n))
            .await
            .unwrap();
    }
    store
        .put("archive/2025/copy.png", png(1000 + 7))
        .await
        .unwrap();
    store.put("elsewhere/other.png", png(5000)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let report_path = dir.path().join("report.ndjson");
    let run = || {
        docseal_cmd(&data)
            .args([
                "archive",
                &format!("s3://{bucket}/archive"),
                "--report",
                report_path.to_str().unwrap(),
            ])
            .env("AWS_ENDPOINT_URL_S3", &env.endpoint)
            .env("AWS_ACCESS_KEY_ID", &env.access_key)
            .env("AWS_SECRET_ACCESS_KEY", &env.secret_key)
            .output()
            .unwrap()
    };
    let out = run();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out)
            .contains("41 files: 40 new, 0 known, 0 unchanged, 1 duplicate, 0 skipped, 0 error"),
        "{}",
        text(&out)
    );
    let lines = report(&report_path);
    assert_eq!(lines["2025/copy.png"]["duplicate_of"], "2024/scan-007.png");
    assert!(!lines.contains_key("other.png"));
    assert_eq!(files_under(&data.join("objects/scans")), 40);
    let out = run();
    assert!(
        text(&out).contains("41 files: 0 new, 0 known, 40 unchanged, 1 duplicate"),
        "{}",
        text(&out)
    );
}

/// The intake tables read and write alike on both databases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_tables_on_sqlite_and_postgres() {
    use docseal::queue::{AnyQueue, Intake, NewSubmission, SubmissionPart};
    let dir = tempfile::tempdir().unwrap();
    let urls = [
        format!("sqlite://{}", dir.path().join("q.sqlite").display()),
        common::fresh_pg_url().await,
    ];
    for url in urls {
        let q = AnyQueue::open(&QueueUrl::parse(&url).unwrap())
            .await
            .unwrap();
        let (a, b) = ("a".repeat(64), "b".repeat(64));
        assert!(!q.submission_exists(&a).await.unwrap());
        let sub = NewSubmission {
            id: a.clone(),
            name: "a.png".into(),
            size: 1,
            media_type: "image/png".into(),
            scan_key: "scans/aa/a".into(),
        };
        q.submit(&sub, "v1", false).await.unwrap();
        assert!(q.submission_exists(&a).await.unwrap());

        assert_eq!(q.archive_file("x/1.png").await.unwrap(), None);
        q.record_archive_file("x/2.png", &a, 20).await.unwrap();
        q.record_archive_file("x/1.png", &a, 10).await.unwrap();
        q.record_archive_file("x/1.png", &a, 30).await.unwrap();
        assert_eq!(q.archive_file("x/1.png").await.unwrap(), Some(a.clone()));
        // The same bytes again keep their first time; the first file stays first.
        assert_eq!(
            q.first_archive_file(&a).await.unwrap().as_deref(),
            Some("x/1.png")
        );
        q.record_archive_file("x/1.png", &b, 40).await.unwrap();
        assert_eq!(q.archive_file("x/1.png").await.unwrap(), Some(b.clone()));
        assert_eq!(
            q.first_archive_file(&a).await.unwrap().as_deref(),
            Some("x/2.png")
        );

        q.set_received(&a, 1_000).await.unwrap();
        q.set_received(&a, 2_000).await.unwrap();
        let times = q.submission_times(0, 5_000).await.unwrap();
        assert_eq!(times.len(), 1, "{url}");
        assert_eq!(times[0].received_at, 2_000);

        let parts: Vec<SubmissionPart> = [(1, 3, "p1"), (5, 9, "p2")]
            .iter()
            .map(|&(first_page, last_page, id)| SubmissionPart {
                source_id: b.clone(),
                first_page,
                last_page,
                part_id: id.repeat(32),
            })
            .collect();
        q.add_parts(&parts).await.unwrap();
        q.add_parts(&parts).await.unwrap();
        assert_eq!(q.parts_of(&b).await.unwrap(), parts);
        assert_eq!(
            q.part_source(&"p2".repeat(32)).await.unwrap().as_ref(),
            Some(&parts[1])
        );
        assert_eq!(q.part_source(&a).await.unwrap(), None);
    }
}
