//! `docseal reprocess` end to end: submissions stored by an older pipeline
//! (some issued by the machine, some approved by a person through `docseal
//! review approve`, some left in review) are reprocessed by this one, first
//! as a dry run, then for real while the process is SIGKILLed twice and
//! started again. Afterwards each submission was handled exactly once: no
//! duplicate documents, superseded documents verify VALID online with a note
//! naming the newer one, approved documents untouched (a review opened
//! where the machine disagrees), and the dry run's report is what the real
//! run did.
//!
//! The older pipeline is this binary with two hidden test settings (debug
//! builds only): `DOCSEAL_TEST_PIPELINE_VERSION` labels its records with
//! another version, and `DOCSEAL_TEST_UNCHECKED_PLACES=1` takes place names
//! as read, as versions before the gazetteer did. Scans are born-digital
//! PDFs whose visible text layer is read without OCR, so a thousand of them
//! take minutes, not hours; some carry a place name with a misread mark
//! (`Long Xuyen`), which only the gazetteer puts right.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use docseal::queue::{AnyQueue, DocumentStatus, JobState, QueueUrl, Registry, Reprocessing};
use docseal::reprocess::Selection;
use docseal::PIPELINE_VERSION;
use serde_json::Value;

use common::{docseal_cmd, text};

/// The older pipeline's version label.
const OLD: &str = "docseal/0.0.9-before-gazetteer";

/// What a generated submission is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Read alike by both pipelines.
    Clean,
    /// A place name with a misread mark: the newer pipeline corrects it.
    Misread,
    /// No personal id: in review; left there.
    InReview,
    /// No personal id: approved by a person who gave it.
    Approved,
    /// No personal id: approved by a person who gave it and also changed
    /// the name the machine reads.
    ApprovedOtherName,
}

fn kind(n: usize) -> Kind {
    match n % 40 {
        6 => Kind::Approved,
        16 => Kind::ApprovedOtherName,
        _ => match n % 10 {
            0..=3 | 7..=9 => Kind::Clean,
            4 | 5 => Kind::Misread,
            _ => Kind::InReview,
        },
    }
}

fn personal_id(n: usize) -> String {
    format!("0890909{n:05}")
}

/// The text of a birth certificate as a born-digital form prints it.
fn lines(n: usize) -> Vec<String> {
    let k = kind(n);
    let city = if k == Kind::Misread {
        "Long Xuyen"
    } else {
        "Long Xuyên"
    };
    let mut l = vec![
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM".to_string(),
        "Độc lập - Tự do - Hạnh phúc".into(),
        "GIẤY KHAI SINH".into(),
        format!("Số: {}/1990", 100 + n),
        "Họ, chữ đệm, tên: Hoàng Hoàng Khải".into(),
        "Ngày, tháng, năm sinh: 11/08/1990".into(),
        "Giới tính: Nam".into(),
        "Quốc tịch: Việt Nam".into(),
        format!("Nơi sinh: Phường Mỹ Long, thành phố {city}, tỉnh An Giang"),
    ];
    if matches!(k, Kind::Clean | Kind::Misread) {
        l.push(format!("Số định danh cá nhân: {}", personal_id(n)));
    }
    l.extend([
        "Họ, chữ đệm, tên người mẹ: Nguyễn Ngọc Oanh".into(),
        "Họ, chữ đệm, tên người cha: Hoàng Trọng Huy".into(),
        "Nơi đăng ký: UBND phường Mỹ Bình, thành phố Long Xuyên, tỉnh An Giang".into(),
        "Ngày, tháng, năm đăng ký: 10/09/1990".into(),
        "An Giang, ngày 10 tháng 9 năm 1990".into(),
    ]);
    l
}

/// An A4 PDF with `lines` drawn visibly in an embedded Unicode font.
fn text_pdf(lines: &[String], fonts: &docseal::render::FontSet) -> Vec<u8> {
    use docseal::pdf::write::{Content, PdfBuilder};
    let mut b = PdfBuilder::new();
    let font = b.add_font(&fonts.regular).unwrap();
    let mut c = Content::new();
    for (i, line) in lines.iter().enumerate() {
        c.begin_text();
        c.render_mode(0);
        c.font("F1", 12.0);
        let x = if i < 4 { 150.0 } else { 60.0 };
        c.text_at(x, 780.0 - 26.0 * i as f32);
        c.show(b.font(font), line);
        c.end_text();
    }
    b.add_page(595.0, 842.0, c, &[("F1", font)], &[]);
    b.finish().unwrap()
}

/// Where the test's installation keeps its data, and how to reach it.
struct Site {
    data: PathBuf,
    /// `DOCSEAL_*` variables of the backends (empty: the embedded default).
    env: Vec<(String, String)>,
    queue: QueueUrl,
    /// The bucket, on S3.
    bucket: Option<String>,
}

impl Site {
    fn cmd(&self, args: &[&str]) -> std::process::Command {
        let mut c = docseal_cmd(&self.data);
        c.env("OMP_THREAD_LIMIT", "1").args(args);
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    fn old(&self, args: &[&str]) -> std::process::Output {
        let out = self
            .cmd(args)
            .env("DOCSEAL_TEST_PIPELINE_VERSION", OLD)
            .env("DOCSEAL_TEST_UNCHECKED_PLACES", "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        out
    }

    fn current(&self, args: &[&str]) -> std::process::Output {
        self.cmd(args).output().unwrap()
    }

    async fn queue(&self) -> AnyQueue {
        AnyQueue::open(&self.queue).await.unwrap()
    }
}

fn report(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Items of the run finished so far.
async fn done(site: &Site, run_id: &str) -> usize {
    site.queue()
        .await
        .run_items(run_id)
        .await
        .unwrap_or_default()
        .iter()
        .filter(|i| i.outcome.is_some())
        .count()
}

/// Starts a real run; kills it with SIGKILL once `at_least` items are done.
async fn run_and_kill(site: &Site, run_id: &str, at_least: usize, report: &Path) -> usize {
    let mut child: Child = site
        .cmd(&[
            "reprocess",
            "--workers",
            "2",
            "--report",
            report.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let n = done(site, run_id).await;
        if n >= at_least {
            child.kill().unwrap();
            child.wait().unwrap();
            return done(site, run_id).await;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("reprocess ended ({status}) before being killed, with {n} items done");
        }
        assert!(Instant::now() < deadline, "reprocess is too slow: {n} done");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every stored object's key, for the embedded default.
fn objects(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out
}

/// A `docseal serve --public-only`, stopped when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(site: &Site) -> Server {
        let mut child = site
            .cmd(&["serve", "--public-only", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("http://"))
            .and_then(|rest| rest.split('/').next())
            .map(|a| format!("http://{a}"))
            .unwrap_or_else(|| panic!("no address in `{line}`"));
        Server { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The whole scenario on `site` with `count` submissions; `objects_of`
/// lists the store's keys.
async fn scenario(site: &Site, count: usize, objects_of: impl Fn() -> BTreeSet<String>) {
    let t0 = Instant::now();
    let scans = site.data.parent().unwrap().join("scans");
    std::fs::create_dir_all(&scans).unwrap();
    let fonts = docseal::render::FontSet::find().expect("fonts");
    let mut id_of = BTreeMap::new();
    for n in 0..count {
        let pdf = text_pdf(&lines(n), &fonts);
        id_of.insert(n, docseal::store::sha256_hex(&pdf));
        std::fs::write(scans.join(format!("bc-{n:05}.pdf")), pdf).unwrap();
    }
    // The older pipeline stores them.
    site.old(&["run", "--workers", "2", scans.to_str().unwrap()]);
    eprintln!("stored {count} by {OLD} in {:?}", t0.elapsed());
    for (n, id) in &id_of {
        let given = format!("personal_id={}", personal_id(*n));
        match kind(*n) {
            Kind::Approved => {
                site.old(&[
                    "review",
                    "approve",
                    id.as_str(),
                    "--field",
                    &given,
                    "--as",
                    "Lê Văn Tâm",
                ]);
            }
            Kind::ApprovedOtherName => {
                site.old(&[
                    "review",
                    "approve",
                    id.as_str(),
                    "--field",
                    &given,
                    "--field",
                    "full_name=Hoàng Hoàng Khánh",
                    "--as",
                    "Lê Văn Tâm",
                ]);
            }
            _ => {}
        }
    }
    let queue = site.queue().await;
    let before = queue.submission_facts_page("", 10_000).await.unwrap();
    assert_eq!(before.len(), count);
    let old_doc = |id: &str| -> Option<String> {
        let f = before.iter().find(|f| f.submission_id == id)?;
        f.jobs.iter().find_map(|j| j.document_id.clone())
    };
    for (n, id) in &id_of {
        let has = old_doc(id).is_some();
        assert_eq!(has, kind(*n) != Kind::InReview, "{n}: {:?}", kind(*n));
    }
    eprintln!("approved in {:?}", t0.elapsed());

    // A dry run changes nothing.
    let dry = site.data.parent().unwrap().join("dry.ndjson");
    let objects_before = objects_of();
    let out = site.current(&["reprocess", "--dry-run", "--report", dry.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        queue.submission_facts_page("", 10_000).await.unwrap(),
        before
    );
    assert_eq!(objects_of(), objects_before);
    let dry = report(&dry);
    assert_eq!(dry.len(), count);
    eprintln!("dry run in {:?}", t0.elapsed());

    // The real run, killed twice.
    let run_id = Selection::default().run_id(PIPELINE_VERSION);
    let real = site.data.parent().unwrap().join("real.ndjson");
    let first = run_and_kill(site, &run_id, count / 5, &real).await;
    let second = run_and_kill(site, &run_id, first + count / 3, &real).await;
    assert!(first < second && second < count, "{first} {second}");
    eprintln!("killed with {first}, then {second} items done");
    let out = site.current(&[
        "reprocess",
        "--workers",
        "2",
        "--report",
        real.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    let before: usize = said
        .split(" done before")
        .next()
        .and_then(|s| s.rsplit('(').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{said}"));
    assert!(before >= second && before < count, "{said}");
    eprintln!("real run in {:?}: {said}", t0.elapsed());
    let real = report(&real);
    assert_eq!(real, dry, "the dry run's report is what the real run did");

    // Each submission handled once, as its kind says.
    let after = queue.submission_facts_page("", 10_000).await.unwrap();
    let line_of = |id: &str| real.iter().find(|l| l["submission_id"] == id).unwrap();
    let mut superseded = Vec::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (n, id) in &id_of {
        let f = after.iter().find(|f| f.submission_id == *id).unwrap();
        let line = line_of(id);
        let action = line["action"].as_str().unwrap();
        *counts.entry(action).or_default() += 1;
        let valid: Vec<_> = f
            .jobs
            .iter()
            .filter(|j| j.document_status == Some(DocumentStatus::Valid))
            .collect();
        assert!(valid.len() <= 1, "{n}: {f:?}");
        let new_job = f
            .jobs
            .iter()
            .find(|j| j.pipeline_version == PIPELINE_VERSION);
        let expected = match kind(*n) {
            Kind::Clean | Kind::Approved => "unchanged",
            Kind::Misread => "superseded",
            Kind::InReview | Kind::ApprovedOtherName => "review",
        };
        assert_eq!(action, expected, "{n} {:?}: {line}", kind(*n));
        match expected {
            "unchanged" => assert!(new_job.is_none(), "{n}: {f:?}"),
            "superseded" => {
                let new_job = new_job.unwrap();
                assert_eq!(new_job.state, JobState::Issued);
                let new_id = new_job.document_id.clone().unwrap();
                assert_eq!(line["new_document_id"], new_id.as_str());
                assert_eq!(valid[0].document_id.as_deref(), Some(new_id.as_str()));
                let old = queue
                    .document(&old_doc(id).unwrap())
                    .await
                    .unwrap()
                    .unwrap();
                assert_eq!(old.status, DocumentStatus::Superseded);
                assert!(old.status_reason.unwrap().contains(&new_id));
                let field = line["fields"].as_array().unwrap();
                assert_eq!(field.len(), 1, "{line}");
                assert_eq!(field[0]["field"], "place_of_birth");
                superseded.push((old.pdf_key.clone(), new_id));
            }
            _ => {
                let new_job = new_job.unwrap();
                assert_eq!(new_job.state, JobState::NeedsReview, "{n}");
                assert!(new_job.document_id.is_none());
                // What stood still stands.
                let stood = old_doc(id);
                assert_eq!(valid.first().and_then(|j| j.document_id.clone()), stood);
                if kind(*n) == Kind::ApprovedOtherName {
                    let record: Value =
                        serde_json::from_str(new_job.record_json.as_deref().unwrap()).unwrap();
                    // The name a person gave and the machine reads
                    // differently is flagged; the id is still unread.
                    assert_eq!(
                        record["needs_review"],
                        serde_json::json!(["full_name", "personal_id"])
                    );
                    assert_eq!(line["fields"][0]["old"], "HOÀNG HOÀNG KHÁNH", "{line}");
                }
            }
        }
    }
    eprintln!("outcomes: {counts:?}");
    // Approved documents: untouched.
    for (n, id) in &id_of {
        if matches!(kind(*n), Kind::Approved | Kind::ApprovedOtherName) {
            let d = queue
                .document(&old_doc(id).unwrap())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(d.status, DocumentStatus::Valid, "{n}");
            assert!(d.status_reason.is_none());
        }
    }

    // The same command again: nothing left to do, nothing changes.
    let out = site.current(&["reprocess"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        queue.submission_facts_page("", 10_000).await.unwrap(),
        after
    );

    // Superseded documents still verify VALID online, naming the newer one.
    let server = Server::start(site);
    for (pdf_key, new_id) in superseded.iter().take(3) {
        let pdf = site.data.parent().unwrap().join("old.pdf");
        let bytes = fetch_object(site, pdf_key).await;
        std::fs::write(&pdf, bytes).unwrap();
        let out = site.current(&[
            "verify",
            "--json",
            "--online",
            &server.url,
            pdf.to_str().unwrap(),
        ]);
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out)));
        assert_eq!(out.status.code(), Some(0), "{v:#}");
        assert_eq!(v["verdict"], "valid", "{v:#}");
        let notes = v["notes"].to_string();
        assert!(notes.contains(new_id.as_str()), "{notes}");
    }
}

async fn fetch_object(site: &Site, key: &str) -> Vec<u8> {
    use docseal::store::{ObjectStore, S3Store};
    match &site.bucket {
        None => std::fs::read(site.data.join("objects").join(key)).unwrap(),
        Some(bucket) => {
            let store = S3Store::new(&common::S3Env::from_env().options(bucket)).unwrap();
            store.get(key).await.unwrap().unwrap()
        }
    }
}

/// How many submissions the SQLite run has (`DOCSEAL_TEST_REPROCESS_COUNT`
/// to try another number).
fn count() -> usize {
    std::env::var("DOCSEAL_TEST_REPROCESS_COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_submissions_reprocessed_through_two_kills_are_handled_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let site = Site {
        queue: QueueUrl::Sqlite(data.join("docseal.sqlite")),
        data: data.clone(),
        env: Vec::new(),
        bucket: None,
    };
    let objects_dir = data.join("objects");
    scenario(&site, count(), || objects(&objects_dir)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reprocessing_on_postgres_and_s3_is_handled_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s3 = common::S3Env::from_env();
    let bucket = common::fresh_bucket(&s3).await;
    let pg = common::fresh_pg_url().await;
    let env = vec![
        ("DOCSEAL_QUEUE".to_string(), pg.clone()),
        ("DOCSEAL_STORE".to_string(), format!("s3://{bucket}")),
        ("DOCSEAL_S3_ENDPOINT".to_string(), s3.endpoint.clone()),
        (
            "DOCSEAL_S3_ACCESS_KEY_ID".to_string(),
            s3.access_key.clone(),
        ),
        (
            "DOCSEAL_S3_SECRET_ACCESS_KEY".to_string(),
            s3.secret_key.clone(),
        ),
    ];
    let site = Site {
        queue: QueueUrl::parse(&pg).unwrap(),
        data,
        env,
        bucket: Some(bucket.clone()),
    };
    let s3c = s3.clone();
    let b = bucket.clone();
    scenario(&site, 80, move || {
        let (s3c, b) = (s3c.clone(), b.clone());
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(common::list_bucket(&s3c, &b, ""))
                .into_iter()
                .collect()
        })
        .join()
        .unwrap()
    })
    .await;
}
