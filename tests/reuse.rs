//! Held records out: export pages, lookup by citizen and prefill, on both
//! queues (SQLite; PostgreSQL from `tests/services.sh`), and the reuse API
//! of `docseal serve`: a `system` token reads, other callers are refused
//! (`401`, `403`), an unknown citizen is `404`, and every call is audited.
//! `docseal export` streams 10,000 records in the memory it takes for 1,000.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;

use docseal::queue::{
    AnyQueue, Completion, DocumentRow, DocumentStatus, JobState, Jobs, NewSubmission, QueueUrl,
    Records, Registry,
};
use serde_json::{json, Value};

/// The citizen the tests look up.
const CITIZEN: &str = "079203001234";

/// Registers and completes one submission as an issued document of
/// `doc_type` with `fields`, through the queue's own API.
async fn issue(q: &AnyQueue, n: usize, doc_type: &str, fields: Value) -> String {
    let id = format!("{n:064x}");
    let sub = NewSubmission {
        scan_key: format!("scans/{id}"),
        name: format!("{n}.png"),
        id: id.clone(),
        size: 1,
        media_type: "image/png".into(),
    };
    q.submit(&sub, "v-test", false).await.unwrap();
    let lease = q
        .lease("filler", std::time::Duration::from_secs(60), 3)
        .await
        .unwrap()
        .expect("the job just queued");
    let document_id = format!("DS-T{n:08}");
    let record = json!({"doc_type": doc_type, "fields": fields, "confidence": {"doc_type": 1.0, "fields": {}}, "needs_review": []});
    let done = Completion {
        state: JobState::Issued,
        record_json: record.to_string(),
        record_key: format!("records/{id}"),
        text_key: format!("text/{id}"),
        document: Some(DocumentRow {
            document_id: document_id.clone(),
            submission_id: lease.submission_id.clone(),
            doc_type: doc_type.into(),
            issued_at: 1_751_328_000 + n as i64,
            key_id: "k".into(),
            pdf_key: format!("results/{id}.pdf"),
            pdf_sha256: id.clone(),
            status: DocumentStatus::Valid,
            status_reason: None,
            status_at: None,
        }),
    };
    q.complete(&lease, &done).await.unwrap();
    document_id
}

/// A citizen's id card, birth certificate and household business, another
/// person's card, and a revoked card of the citizen.
async fn fill_people(q: &AnyQueue) {
    let card = json!({"id_number": CITIZEN, "full_name": "NGUYỄN THỊ LAN",
        "date_of_birth": "1990-03-15", "sex": "female", "nationality": "Việt Nam",
        "place_of_residence": "12 Lý Tự Trọng, Phường Sài Gòn, TP. Hồ Chí Minh"});
    issue(q, 1, "citizen_id", card).await;
    issue(
        q,
        2,
        "birth_certificate",
        json!({"personal_id": CITIZEN,
        "full_name": "NGUYỄN THỊ LAN", "ethnicity": "Kinh", "mother_name": "TRẦN THỊ HOA"}),
    )
    .await;
    issue(
        q,
        3,
        "business_household_registration",
        json!({"owner_id": CITIZEN,
        "owner_name": "NGUYỄN THỊ LAN", "business_code": "41A8001234",
        "business_name": "HỘ KINH DOANH LAN ANH", "address": "5 Nguyễn Huệ"}),
    )
    .await;
    issue(
        q,
        4,
        "citizen_id",
        json!({"id_number": "001099000777", "full_name": "LÊ VĂN AN"}),
    )
    .await;
    let revoked = issue(
        q,
        5,
        "citizen_id",
        json!({"id_number": CITIZEN, "full_name": "CŨ"}),
    )
    .await;
    q.revoke_document(&revoked, "test").await.unwrap();
}

async fn pages_and_lookup(q: AnyQueue) {
    fill_people(&q).await;
    // Pages of 2 by keyset cover every held record once, oldest first.
    let mut seen = Vec::new();
    let mut after: Option<(i64, String)> = None;
    loop {
        let cursor = after.as_ref().map(|(t, id)| (*t, id.as_str()));
        let page = q.records_page(None, i64::MIN, cursor, 2).await.unwrap();
        seen.extend(page.iter().map(|r| r.document_id.clone()));
        match page.last() {
            Some(last) if page.len() == 2 => {
                after = Some((last.issued_at, last.document_id.clone()))
            }
            _ => break,
        }
    }
    assert_eq!(
        seen,
        [
            "DS-T00000001",
            "DS-T00000002",
            "DS-T00000003",
            "DS-T00000004"
        ]
    );
    let cards = q
        .records_page(Some("citizen_id"), 1_751_328_002, None, 10)
        .await
        .unwrap();
    assert_eq!(cards.len(), 1, "one valid card issued since then");
    let held = q.records_mentioning(CITIZEN, 100).await.unwrap();
    let mine = docseal::reuse::person_records(&held, CITIZEN);
    let ids: Vec<&str> = mine.iter().map(|r| r.document_id.as_str()).collect();
    assert_eq!(
        ids,
        ["DS-T00000003", "DS-T00000002", "DS-T00000001"],
        "newest first, revoked left out"
    );
    assert!(q
        .records_mentioning("000000000000", 100)
        .await
        .unwrap()
        .is_empty());
}

async fn sqlite_queue(dir: &Path) -> AnyQueue {
    AnyQueue::open(&QueueUrl::Sqlite(dir.join("docseal.sqlite")))
        .await
        .unwrap()
}

#[tokio::test]
async fn records_page_by_keyset_and_by_citizen_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    pages_and_lookup(sqlite_queue(dir.path()).await).await;
}

#[tokio::test]
async fn records_page_by_keyset_and_by_citizen_on_postgres() {
    let url = common::fresh_pg_url().await;
    let q = AnyQueue::open(&QueueUrl::parse(&url).unwrap())
        .await
        .unwrap();
    pages_and_lookup(q).await;
}

/// A data directory (on a memory file system when there is one) whose
/// SQLite queue holds `n` synthetic records of about 1.5 KB each.
async fn filled(n: usize) -> (tempfile::TempDir, PathBuf) {
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let q = sqlite_queue(&data).await;
    let filler = "đường ".repeat(200);
    for i in 0..n {
        issue(
            &q,
            i + 1,
            "citizen_id",
            json!({"id_number": format!("{:012}", i),
            "full_name": "NGUYỄN VĂN A", "place_of_residence": filler}),
        )
        .await;
    }
    (dir, data)
}

/// Runs `docseal export` under `/usr/bin/time`; returns the lines written
/// and the peak resident memory in KiB.
fn export(data: &Path, format: &str) -> (usize, u64) {
    let rss_file = data.join("rss");
    let out = std::process::Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&rss_file)
        .arg(env!("CARGO_BIN_EXE_docseal"))
        .arg("--data")
        .arg(data)
        .args(["export", "--format", format])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::text(&out));
    let lines = out
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    let rss = std::fs::read_to_string(&rss_file).unwrap();
    let rss = rss.lines().last().unwrap().trim().parse().unwrap();
    (lines, rss)
}

#[tokio::test(flavor = "multi_thread")]
async fn export_streams_ten_thousand_records_in_flat_memory() {
    let (_a, small) = filled(1_000).await;
    let (_b, large) = filled(10_000).await;
    let (n_small, rss_small) = export(&small, "ndjson");
    let (n_large, rss_large) = export(&large, "ndjson");
    assert_eq!((n_small, n_large), (1_000, 10_000));
    eprintln!("peak RSS: 1,000 records {rss_small} KiB, 10,000 records {rss_large} KiB");
    // The 9,000 more records are about 14 MB of output: held in memory, they
    // would show; streamed, the peak stays within a few MB.
    assert!(
        rss_large < rss_small + 6 * 1024,
        "peak RSS grew from {rss_small} KiB to {rss_large} KiB"
    );
    let (n_csv, _) = export(&small, "csv");
    assert_eq!(n_csv, 1_001, "a header and one line per record");
}

/// `docseal users add NAME --role ROLE`'s token.
fn add_user(data: &Path, name: &str, role: &str) -> String {
    let out = common::docseal(data, &["users", "add", name, "--role", role]);
    assert!(out.status.success(), "{}", common::text(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .expect("the token")
        .trim()
        .to_string()
}

/// Status and JSON body of a GET.
fn get(base: &str, path: &str, token: Option<&str>) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent.get(format!("{base}{path}"));
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    let mut r = req.call().expect("the server answers");
    let body = r.body_mut().read_to_string().unwrap();
    let v = serde_json::from_str(&body).unwrap_or(Value::String(body));
    (r.status().as_u16(), v)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_reuse_api_answers_systems_only_and_audits_every_call() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let system = add_user(&data, "tax-office", "system");
    let clerk = add_user(&data, "clerk1", "clerk");
    let admin = add_user(&data, "admin1", "admin");
    fill_people(&sqlite_queue(&data).await).await;
    let mut child = common::docseal_cmd(&data)
        .args(["serve", "--listen", "127.0.0.1:0", "--workers", "1"])
        .env("OMP_THREAD_LIMIT", "1")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let base = first
        .trim()
        .strip_prefix("Listening on ")
        .unwrap()
        .to_string();
    let records = format!("/v1/records?personal_id={CITIZEN}");
    let (_, api) = get(&base, "/v1/openapi.json", None);
    for path in ["/v1/records", "/v1/prefill", "/v1/report"] {
        assert!(
            api["paths"].get(path).is_some(),
            "{path} in the OpenAPI document"
        );
    }

    let (status, body) = get(&base, &records, Some(&system));
    assert_eq!(status, 200, "{body}");
    let found: Vec<&str> = body["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["document_id"].as_str().unwrap())
        .collect();
    assert_eq!(found, ["DS-T00000003", "DS-T00000002", "DS-T00000001"]);

    let prefill = format!("/v1/prefill?personal_id={CITIZEN}&form=business_household_registration");
    let (status, body) = get(&base, &prefill, Some(&system));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["fields"]["owner_full_name"]["value"], "NGUYỄN THỊ LAN");
    assert_eq!(body["fields"]["owner_ethnicity"]["value"], "Kinh");
    assert_eq!(
        body["fields"]["owner_ethnicity"]["document_id"],
        "DS-T00000002"
    );
    let termination =
        format!("/v1/prefill?personal_id={CITIZEN}&form=business_household_termination");
    let (status, body) = get(&base, &termination, Some(&system));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["fields"]["business_code"]["value"], "41A8001234");

    let (status, _) = get(&base, "/v1/records?personal_id=000000000001", Some(&system));
    assert_eq!(status, 404, "an unknown citizen");
    let unknown = "/v1/prefill?personal_id=000000000001&form=certified_copy";
    assert_eq!(get(&base, unknown, Some(&system)).0, 404);
    let bad_form = format!("/v1/prefill?personal_id={CITIZEN}&form=nope");
    assert_eq!(get(&base, &bad_form, Some(&system)).0, 404);
    assert_eq!(
        get(&base, "/v1/records?personal_id=12", Some(&system)).0,
        422
    );
    assert_eq!(get(&base, &records, None).0, 401);
    assert_eq!(get(&base, &records, Some("dst_not-a-token")).0, 401);
    assert_eq!(get(&base, &records, Some(&clerk)).0, 403);
    assert_eq!(get(&base, &prefill, Some(&admin)).0, 403);
    // A system token reads records and nothing else.
    assert_eq!(get(&base, "/v1/stats", Some(&system)).0, 403);

    let (status, log) = get(&base, "/v1/audit", Some(&admin));
    assert_eq!(status, 200);
    let lines: Vec<Value> = log
        .as_str()
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let of =
        |action: &str| -> Vec<&Value> { lines.iter().filter(|l| l["action"] == action).collect() };
    assert_eq!(of("records.read").len(), 2, "{lines:?}");
    assert_eq!(of("records.prefill").len(), 3, "{lines:?}");
    let refused = of("records.refused");
    let refusals: Vec<(String, i64)> = refused
        .iter()
        .map(|l| {
            (
                l["actor"].as_str().unwrap().to_string(),
                l["after"]["refused"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        refusals,
        [
            ("anonymous".to_string(), 401),
            ("anonymous".to_string(), 401),
            ("clerk1".to_string(), 403),
            ("admin1".to_string(), 403)
        ]
    );
    assert!(refused.iter().all(|l| l["subject"] == CITIZEN));

    let (status, report) = get(&base, "/v1/report?month=2025-07", Some(&clerk));
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["month"], "2025-07");
    let _ = child.kill();
    let _ = child.wait();
}
