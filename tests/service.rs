//! `docseal serve` through its HTTP API, with real Tesseract, on both
//! backends (SQLite + a directory; PostgreSQL + S3 from `tests/services.sh`):
//! upload, the review queue, a record's reasons and page, a refused value,
//! approval, a second approval, rejection, the PDF, verification, status,
//! revocation, roles, error bodies, the audit log, graceful shutdown.

mod common;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A scan of `samples/` that the pipeline sends to review (a birth
/// certificate; at [`common::REVIEW_THRESHOLD`] every field is doubtful).
const NEEDS_REVIEW: &str = "samples/0009_birth_certificate.jpg";
/// Another one, to reject.
const TO_REJECT: &str = "samples/0002_marriage_certificate.tif";

struct Server {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
    reviewer: String,
    clerk: String,
    admin: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where the backends are, as flags and environment.
struct Backend {
    flags: Vec<String>,
    env: Vec<(&'static str, String)>,
}

fn sqlite() -> Backend {
    Backend {
        flags: Vec::new(),
        env: Vec::new(),
    }
}

async fn shared() -> Backend {
    let s3 = common::S3Env::from_env();
    let bucket = common::fresh_bucket(&s3).await;
    let pg = common::fresh_pg_url().await;
    Backend {
        flags: vec![
            "--queue".into(),
            pg,
            "--store".into(),
            format!("s3://{bucket}"),
        ],
        env: vec![
            ("AWS_ENDPOINT_URL", s3.endpoint.clone()),
            ("AWS_REGION", "us-east-1".to_string()),
            ("AWS_ACCESS_KEY_ID", s3.access_key.clone()),
            ("AWS_SECRET_ACCESS_KEY", s3.secret_key.clone()),
        ],
    }
}

fn docseal(data: &Path, backend: &Backend, args: &[&str]) -> Command {
    let mut c = common::docseal_cmd(data);
    c.args(&backend.flags)
        .args(args)
        .envs(backend.env.iter().cloned());
    c
}

fn add_user(data: &Path, backend: &Backend, name: &str, role: &str) -> String {
    let out = docseal(data, backend, &["users", "add", name, "--role", role])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::text(&out));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .last()
        .expect("the token on the last line")
        .trim()
        .to_string()
}

fn start(backend: &Backend, max_bytes: Option<u64>) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let reviewer = add_user(&data, backend, "reviewer1", "reviewer");
    let clerk = add_user(&data, backend, "clerk1", "clerk");
    let admin = add_user(&data, backend, "admin1", "admin");
    let mut cmd = docseal(
        &data,
        backend,
        &["serve", "--listen", "127.0.0.1:0", "--workers", "1"],
    );
    if let Some(n) = max_bytes {
        cmd.env("DOCSEAL_MAX_BYTES", n.to_string());
    }
    let mut child = cmd
        .env("DOCSEAL_REVIEW_THRESHOLD", common::REVIEW_THRESHOLD)
        .env("OMP_THREAD_LIMIT", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut first).unwrap();
    // Keep reading what the server prints, so that it never writes to a
    // closed pipe.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    let base = first
        .trim()
        .strip_prefix("Listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {first:?}"))
        .to_string();
    Server {
        child,
        base,
        _dir: dir,
        reviewer,
        clerk,
        admin,
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

/// An answer: status and body.
struct Answer {
    status: u16,
    body: Vec<u8>,
    content_type: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {} {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn answer(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Answer {
    let mut r = r.expect("the server answers");
    let content_type = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    Answer {
        status: r.status().as_u16(),
        body: r
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .unwrap(),
        content_type,
    }
}

impl Server {
    fn get(&self, path: &str, token: Option<&str>) -> Answer {
        let mut req = agent().get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        answer(req.call())
    }

    fn post(&self, path: &str, token: Option<&str>, content_type: &str, body: &[u8]) -> Answer {
        let mut req = agent()
            .post(format!("{}{path}", self.base))
            .header("Content-Type", content_type);
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        answer(req.send(body))
    }

    fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> Answer {
        self.post(
            path,
            token,
            "application/json",
            &serde_json::to_vec(body).unwrap(),
        )
    }

    fn upload(&self, token: &str, files: &[(&str, &[u8])], dossier: Option<&str>) -> Answer {
        let boundary = "----docsealtestboundary7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        if let Some(d) = dossier {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"dossier_code\"\r\n\r\n{d}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.post(
            "/v1/submissions",
            Some(token),
            &format!("multipart/form-data; boundary={boundary}"),
            &body,
        )
    }

    /// Waits until the submission's job is finished; returns its view.
    fn wait_finished(&self, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let a = self.get(&format!("/v1/submissions/{id}"), Some(&self.clerk));
            assert_eq!(a.status, 200, "{}", a.text());
            let v = a.json();
            let state = v["state"].as_str().unwrap_or_default().to_string();
            if !matches!(state.as_str(), "queued" | "processing") {
                return v;
            }
            assert!(Instant::now() < deadline, "{id} still {state}");
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

fn read(path: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// No error body names a file, a table or a library.
fn assert_clean_error(a: &Answer) {
    let v = a.json();
    assert!(v["error"]["code"].is_string(), "{}", a.text());
    let t = a.text();
    for leak in [
        "/tmp", "/work", "SELECT", "INSERT", "sqlx", "sqlite", "postgres", "panicked",
    ] {
        assert!(!t.contains(leak), "error body leaks `{leak}`: {t}");
    }
}

fn scenario(s: &Server) {
    // Operations and the API description.
    assert_eq!(s.get("/healthz", None).status, 200);
    let ready = s.get("/readyz", None);
    assert_eq!(ready.status, 200, "{}", ready.text());
    let api = s.get("/v1/openapi.json", None);
    assert_eq!(api.status, 200);
    let doc = api.json();
    assert_eq!(doc["openapi"], "3.1.0");
    for path in [
        "/v1/submissions",
        "/v1/submissions/{id}",
        "/v1/submissions/{id}/pages/{n}",
        "/v1/review",
        "/v1/submissions/{id}/approve",
        "/v1/submissions/{id}/reject",
        "/v1/documents/{id}",
        "/v1/documents/{id}/pdf",
        "/v1/documents/{id}/status",
        "/v1/documents/{id}/revoke",
        "/v1/verify",
        "/v1/stats",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }

    // Access: no token, a bad token, a clerk where a reviewer is needed.
    let a = s.get("/v1/stats", None);
    assert_eq!(a.status, 401);
    assert_clean_error(&a);
    assert_eq!(s.get("/v1/stats", Some("dst_not-a-token")).status, 401);
    assert_eq!(s.get("/v1/stats", Some(&s.clerk)).status, 200);

    // Bad uploads: wrong type, empty, not multipart.
    let a = s.upload(
        &s.clerk,
        &[("notes.txt", b"just some text, not a scan")],
        None,
    );
    assert_eq!(a.status, 415, "{}", a.text());
    assert_clean_error(&a);
    assert!(a.text().contains("notes.txt"), "{}", a.text());
    let a = s.post_json("/v1/submissions", Some(&s.clerk), &json!({}));
    assert_eq!(a.status, 415);

    // Upload two scans that need review.
    let scan = read(NEEDS_REVIEW);
    let other = read(TO_REJECT);
    let a = s.upload(
        &s.clerk,
        &[("birth.jpg", &scan), ("marriage.tif", &other)],
        Some("H01.22-250101-0001"),
    );
    assert_eq!(a.status, 202, "{}", a.text());
    let created = a.json();
    let id = created["submissions"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let id2 = created["submissions"][1]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The same bytes again are not queued twice.
    let again = s
        .upload(&s.clerk, &[("birth-again.jpg", &scan)], None)
        .json();
    assert_eq!(again["submissions"][0]["id"], id.as_str());
    assert_eq!(again["submissions"][0]["duplicate"], true);
    // A dossier code that is not one is refused, naming the field.
    let bad = s.upload(
        &s.clerk,
        &[("birth-bad.jpg", &scan)],
        Some("H01.22-251301-0001"),
    );
    assert_eq!(bad.status, 422, "{}", bad.text());
    assert_eq!(
        bad.json()["error"]["field"],
        "dossier_code",
        "{}",
        bad.text()
    );

    let view = s.wait_finished(&id);
    assert_eq!(view["state"], "needs_review", "{view:#}");
    assert_eq!(view["meta"]["dossier_code"], "H01.22-250101-0001");
    let fields = view["fields"].as_array().unwrap();
    let doubtful: Vec<&Value> = fields.iter().filter(|f| f["review"].is_object()).collect();
    assert!(!doubtful.is_empty(), "{view:#}");
    for f in &doubtful {
        assert!(f["review"]["code"].is_string(), "{f}");
        assert!(
            !f["review"]["en"].as_str().unwrap_or_default().is_empty(),
            "{f}"
        );
        assert!(
            !f["review"]["vi"].as_str().unwrap_or_default().is_empty(),
            "{f}"
        );
    }
    assert!(
        fields.iter().any(|f| f["bbox"].is_array()),
        "some field has a box on the page: {view:#}"
    );
    let page = s.get(&format!("/v1/submissions/{id}/pages/1"), Some(&s.clerk));
    assert_eq!(page.status, 200);
    assert_eq!(page.content_type, "image/png");
    assert!(page.body.starts_with(b"\x89PNG"));
    assert_eq!(
        s.get(&format!("/v1/submissions/{id}/pages/99"), Some(&s.clerk))
            .status,
        404
    );

    // The review queue, oldest first, one at a time with the cursor.
    let q = s.get("/v1/review?limit=1", Some(&s.clerk));
    assert_eq!(q.status, 200, "{}", q.text());
    let q = q.json();
    assert_eq!(q["items"].as_array().unwrap().len(), 1);
    let cursor = q["next_cursor"].as_str().expect("a next page").to_string();
    s.wait_finished(&id2);
    let q2 = s
        .get(
            &format!("/v1/review?limit=10&cursor={cursor}"),
            Some(&s.clerk),
        )
        .json();
    let first = q["items"][0]["submission_id"].as_str().unwrap();
    assert!(q2["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["submission_id"] != first));
    let bad = s.get("/v1/review?cursor=nonsense", Some(&s.clerk));
    assert_eq!(bad.status, 422);

    // Approving: a clerk may not; a malformed value is refused naming the
    // field; then the reviewer's values issue the document.
    let fields_read: serde_json::Map<String, Value> = fields
        .iter()
        .filter_map(|f| {
            let v = f["value"].clone();
            (!v.is_null()).then(|| (f["name"].as_str().unwrap().to_string(), v))
        })
        .collect();
    let date_field = fields
        .iter()
        .find(|f| f["form"] == "date")
        .expect("a birth certificate has a date field");
    let date_name = date_field["name"].as_str().unwrap().to_string();
    let a = s.post_json(
        &format!("/v1/submissions/{id}/approve"),
        Some(&s.clerk),
        &json!({ "fields": fields_read }),
    );
    assert_eq!(a.status, 403);
    let mut wrong = fields_read.clone();
    wrong.insert(date_name.clone(), json!("31/02/20x9"));
    let a = s.post_json(
        &format!("/v1/submissions/{id}/approve"),
        Some(&s.reviewer),
        &json!({ "fields": wrong }),
    );
    assert_eq!(a.status, 422, "{}", a.text());
    assert_clean_error(&a);
    assert_eq!(a.json()["error"]["field"], date_name.as_str());

    // Fill every required field the machine did not find with a value of
    // its form, and correct the date.
    let mut values = fields_read.clone();
    for f in fields {
        let name = f["name"].as_str().unwrap();
        if f["value"].is_null() && f["required"] == true {
            let v = match f["form"].as_str().unwrap_or_default() {
                "date" => "2000-02-01",
                "id12" => "001099012345",
                "sex" => "female",
                _ => "Nguyễn Văn An",
            };
            values.insert(name.to_string(), json!(v));
        }
    }
    values.insert(date_name.clone(), json!("2000-04-25"));
    let a = s.post_json(
        &format!("/v1/submissions/{id}/approve"),
        Some(&s.reviewer),
        &json!({ "fields": values }),
    );
    assert_eq!(a.status, 200, "{}", a.text());
    let document_id = a.json()["document_id"].as_str().unwrap().to_string();
    let a = s.post_json(
        &format!("/v1/submissions/{id}/approve"),
        Some(&s.reviewer),
        &json!({ "fields": values }),
    );
    assert_eq!(a.status, 409, "approving twice: {}", a.text());
    assert_clean_error(&a);

    // Rejecting the other one; then it cannot be approved.
    let a = s.post_json(
        &format!("/v1/submissions/{id2}/reject"),
        Some(&s.reviewer),
        &json!({ "reason": "ảnh chụp mờ, yêu cầu nộp lại" }),
    );
    assert_eq!(a.status, 204, "{}", a.text());
    let a = s.post_json(
        &format!("/v1/submissions/{id2}/approve"),
        Some(&s.reviewer),
        &json!({ "fields": {} }),
    );
    assert_eq!(a.status, 409);

    // The document, its PDF, verification and status.
    let d = s.get(&format!("/v1/documents/{document_id}"), Some(&s.clerk));
    assert_eq!(d.status, 200);
    assert_eq!(d.json()["status"], "valid");
    let pdf = s.get(&format!("/v1/documents/{document_id}/pdf"), Some(&s.clerk));
    assert_eq!(pdf.status, 200);
    assert!(pdf.body.starts_with(b"%PDF-"));
    let report = s.post("/v1/verify", None, "application/pdf", &pdf.body);
    assert_eq!(report.status, 200, "{}", report.text());
    let report = report.json();
    assert_eq!(report["verdict"], "valid", "{report:#}");
    assert_eq!(report["document"]["fields"][&date_name], "2000-04-25");
    let mut tampered = pdf.body.clone();
    let at = tampered.len() / 3;
    tampered[at] ^= 0x20;
    let report = s
        .post("/v1/verify", None, "application/pdf", &tampered)
        .json();
    assert_eq!(report["verdict"], "invalid", "{report:#}");
    let st = s.get(
        &format!("/v1/documents/{document_id}/status?nonce=00ff"),
        None,
    );
    assert_eq!(st.status, 200);
    assert_eq!(st.json()["statement"]["status"], "valid");
    assert_eq!(st.json()["statement"]["nonce"], "00ff");
    assert_eq!(
        s.get("/v1/documents/DS-0000-0000-0000-0000/status", None)
            .status,
        404
    );

    // Revocation is for admins, once.
    let r = s.post_json(
        &format!("/v1/documents/{document_id}/revoke"),
        Some(&s.reviewer),
        &json!({ "reason": "x" }),
    );
    assert_eq!(r.status, 403);
    let r = s.post_json(
        &format!("/v1/documents/{document_id}/revoke"),
        Some(&s.admin),
        &json!({ "reason": "cấp nhầm hồ sơ" }),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = s.post_json(
        &format!("/v1/documents/{document_id}/revoke"),
        Some(&s.admin),
        &json!({ "reason": "again" }),
    );
    assert_eq!(r.status, 409);
    let report = s
        .post("/v1/verify", None, "application/pdf", &pdf.body)
        .json();
    assert_eq!(report["verdict"], "invalid", "{report:#}");

    // Public pages.
    let page = s.get(&format!("/d/{document_id}"), None);
    assert_eq!(page.status, 200);
    assert!(page.text().contains("revoked"), "{}", page.text());
    assert_eq!(s.get("/verify", None).status, 200);

    // Stats and the audit log (admins only).
    let stats = s.get("/v1/stats", Some(&s.clerk)).json();
    assert!(
        stats["counts"]["issued"].as_u64().unwrap() >= 1,
        "{stats:#}"
    );
    assert!(stats["daily"].as_array().is_some_and(|d| !d.is_empty()));
    assert_eq!(s.get("/v1/audit", Some(&s.reviewer)).status, 403);
    let audit = s.get("/v1/audit", Some(&s.admin));
    assert_eq!(audit.status, 200);
    let actions: Vec<String> = audit
        .text()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["action"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for want in [
        "user.add",
        "submission.upload",
        "submission.approve",
        "submission.reject",
        "document.revoke",
    ] {
        assert!(
            actions.iter().any(|a| a == want),
            "{want} not in {actions:?}"
        );
    }
    let metrics = s.get("/metrics", None);
    assert_eq!(metrics.status, 200);
    assert!(metrics.text().contains("docseal_http_requests_total"));
}

fn stop(mut s: Server) {
    // SIGTERM: the server drains and the process ends well.
    let pid = s.child.id().to_string();
    let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = s.child.try_wait().unwrap() {
            assert!(status.success(), "serve ended with {status}");
            break;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_service_on_sqlite() {
    let s = start(&sqlite(), None);
    scenario(&s);
    stop(s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_on_postgres_and_s3() {
    let backend = shared().await;
    tokio::task::spawn_blocking(move || {
        let s = start(&backend, None);
        scenario(&s);
        stop(s);
    })
    .await
    .unwrap();
}

#[test]
fn an_upload_over_the_limit_is_refused() {
    // A scan over the limit but small enough to be sent whole before the
    // server answers (a larger body may see its connection closed mid-send).
    let s = start(&sqlite(), Some(1024));
    let mut scan = b"\x89PNG\r\n\x1a\n".to_vec();
    scan.resize(3000, 0);
    let a = s.upload(&s.clerk, &[("big.png", &scan)], None);
    assert_eq!(a.status, 413, "{}", a.text());
    assert_clean_error(&a);
    assert!(a.text().contains("big.png"), "{}", a.text());
    // The server goes on.
    assert_eq!(s.get("/healthz", None).status, 200);
    stop(s);
}
