//! Review end to end with the real binary and real Tesseract, on both
//! backends: samples that need review go through the worker, `review show`
//! gives reasons and boxes, `review approve` issues a document `verify`
//! says is VALID and whose manifest names the approver and the corrected
//! field, a second decision is refused, a malformed value is refused naming
//! its field, `review reject` ends a job, the queue pages by cursor, and an
//! approval the store interrupts leaves the job in review until a retry
//! issues exactly one document.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

mod common;
use common::{fresh_bucket, fresh_pg_url, text, S3Env};

/// Needs review: at [`common::REVIEW_THRESHOLD`] every field is doubtful.
const BIRTH: &str = "0009_birth_certificate.jpg";
/// Needs review too; rejected here.
const TERMINATION: &str = "0005_business_household_termination.jpg";

/// Where the tests run: a data directory, and for the shared backends a
/// PostgreSQL database and an S3 bucket.
struct Site {
    dir: tempfile::TempDir,
    shared: Option<(String, String, S3Env)>,
}

impl Site {
    fn embedded() -> Site {
        Site {
            dir: tempfile::tempdir().unwrap(),
            shared: None,
        }
    }

    async fn shared() -> Site {
        let s3 = S3Env::from_env();
        let bucket = fresh_bucket(&s3).await;
        Site {
            dir: tempfile::tempdir().unwrap(),
            shared: Some((fresh_pg_url().await, bucket, s3)),
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_docseal"));
        c.arg("--data")
            .arg(self.data())
            .env_remove("DOCSEAL_CONFIG")
            .env("DOCSEAL_OFFICE", common::OFFICE)
            .env("DOCSEAL_OPERATOR", "Trần Thị Thu")
            .env("DOCSEAL_REVIEW_THRESHOLD", common::REVIEW_THRESHOLD)
            .env("OMP_THREAD_LIMIT", "1")
            .stdin(Stdio::null());
        if let Some((pg, bucket, s3)) = &self.shared {
            c.args(["--queue", pg, "--store", &format!("s3://{bucket}")])
                .env("AWS_ENDPOINT_URL", &s3.endpoint)
                .env("AWS_REGION", "us-east-1")
                .env("AWS_ACCESS_KEY_ID", &s3.access_key)
                .env("AWS_SECRET_ACCESS_KEY", &s3.secret_key);
        }
        c.args(args).output().expect("the docseal binary runs")
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    /// The bytes of a stored object.
    async fn object(&self, key: &str) -> Vec<u8> {
        use docseal::store::{ObjectStore, S3Store};
        match &self.shared {
            None => std::fs::read(self.data().join("objects").join(key)).unwrap(),
            Some((_, bucket, s3)) => S3Store::new(&s3.options(bucket))
                .unwrap()
                .get(key)
                .await
                .unwrap()
                .unwrap(),
        }
    }
}

fn sample(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
        .display()
        .to_string()
}

/// The exit code of a finished command.
fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

async fn review_end_to_end(site: &Site, interrupt: bool) {
    // Both samples through the worker; both stop at needs_review.
    let out = site.run(&["run", "--json", &sample(BIRTH), &sample(TERMINATION)]);
    let lines = common::json_lines(&out);
    assert_eq!(lines.len(), 2, "{}", text(&out));
    let id_of = |name: &str| -> String {
        let l = lines
            .iter()
            .find(|l| l["source"].as_str().unwrap().ends_with(name))
            .unwrap();
        assert_eq!(l["status"], "needs_review", "{l}");
        l["submission_id"].as_str().unwrap().to_string()
    };
    let birth = id_of(BIRTH);
    let termination = id_of(TERMINATION);

    // The queue, oldest first, one page at a time.
    let all = site.json(&["review", "list", "--json"]);
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let order: Vec<(i64, String)> = items
        .iter()
        .map(|i| {
            (
                i["finished_at"].as_i64().unwrap(),
                i["submission_id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
    let first = site.json(&["review", "list", "--json", "--limit", "1"]);
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    let next = first["next"].as_str().unwrap().to_string();
    let rest = site.json(&["review", "list", "--json", "--after", &next]);
    assert_eq!(rest["items"][0]["submission_id"], order[1].1.as_str());
    assert!(rest["next"].is_null());
    let births = site.json(&[
        "review",
        "list",
        "--json",
        "--doc-type",
        "birth_certificate",
    ]);
    assert_eq!(births["items"][0]["submission_id"], birth.as_str());
    assert_eq!(births["items"].as_array().unwrap().len(), 1);

    // What a reviewer sees: reasons in two languages and boxes on the page.
    let view = site.json(&["review", "show", &birth, "--json"]);
    assert_eq!(view["state"], "needs_review");
    let page = &view["pages"][0];
    let (w, h) = (
        page["width"].as_u64().unwrap(),
        page["height"].as_u64().unwrap(),
    );
    let fields = view["fields"].as_array().unwrap();
    let flagged: Vec<&Value> = fields.iter().filter(|f| !f["review"].is_null()).collect();
    assert!(!flagged.is_empty(), "{view}");
    for f in &flagged {
        assert!(!f["review"]["code"].as_str().unwrap().is_empty());
        assert!(!f["review"]["en"].as_str().unwrap().is_empty());
        assert!(!f["review"]["vi"].as_str().unwrap().is_empty());
    }
    let boxed: Vec<&Value> = fields.iter().filter(|f| !f["bbox"].is_null()).collect();
    assert!(boxed.len() >= fields.len() / 2, "{view}");
    for f in boxed {
        let b: Vec<u64> = f["bbox"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert!(b[0] < b[2] && b[1] < b[3] && b[2] <= w && b[3] <= h, "{f}");
        assert_eq!(f["page"], 1);
    }
    let shown = site.run(&["review", "show", &birth]);
    assert!(shown.status.success());
    assert!(String::from_utf8_lossy(&shown.stdout).contains(" / "));

    // A malformed value is refused, naming the field; nothing is decided.
    let bad = site.run(&[
        "review",
        "approve",
        &birth,
        "--field",
        "date_of_birth=31/02/2020",
    ]);
    assert_eq!(code(&bad), 1, "{}", text(&bad));
    assert!(text(&bad).contains("date_of_birth"), "{}", text(&bad));
    assert!(site.json(&["review", "show", &birth, "--json"])["decision"].is_null());

    let approve = [
        "review",
        "approve",
        &birth,
        "--field",
        "full_name=NGUYỄN THỊ DUYỆT",
        "--as",
        "Lê Văn Kiểm",
    ];
    if interrupt {
        // The store refuses the result PDF: a file where its directory goes.
        let results = site.data().join("objects").join("results");
        std::fs::write(&results, b"in the way").unwrap();
        let failed = site.run(&approve);
        assert_eq!(code(&failed), 3, "{}", text(&failed));
        std::fs::remove_file(&results).unwrap();
        let view = site.json(&["review", "show", &birth, "--json"]);
        assert_eq!(view["state"], "needs_review");
        assert_eq!(view["decision"]["completed"], false);
        assert!(view["document_id"].is_null());
    }
    let done = site.run(&approve);
    assert_eq!(code(&done), 0, "{}", text(&done));
    let view = site.json(&["review", "show", &birth, "--json"]);
    assert_eq!(view["state"], "issued");
    assert_eq!(view["decision"]["completed"], true);
    let status = site.json(&["status", "--json"]);
    assert_eq!(status["counts"]["issued"], 1, "{status}");

    // The document verifies and names who approved and what was corrected.
    let document_id = view["document_id"].as_str().unwrap();
    let pdf_key = {
        let job = site.json(&["review", "show", &birth, "--json"]);
        assert_eq!(job["record"]["fields"]["full_name"], "NGUYỄN THỊ DUYỆT");
        assert_eq!(job["record"]["needs_review"], serde_json::json!([]));
        let printed = String::from_utf8_lossy(&done.stdout).to_string();
        let at = printed.find("results/").expect("the PDF's key is printed");
        printed[at..].trim_end().trim_end_matches(')').to_string()
    };
    let pdf_path = site.dir.path().join("approved.pdf");
    std::fs::write(&pdf_path, site.object(&pdf_key).await).unwrap();
    let verified = site.run(&["verify", "--json", pdf_path.to_str().unwrap()]);
    assert_eq!(code(&verified), 0, "{}", text(&verified));
    let report: Value = serde_json::from_slice(&verified.stdout).unwrap();
    assert_eq!(report["verdict"], "valid", "{report}");
    assert_eq!(report["document"]["document_id"], document_id);
    let review = &report["document"]["review"];
    assert_eq!(review["approved_by"], "Lê Văn Kiểm", "{report}");
    assert_eq!(review["corrected"], serde_json::json!(["full_name"]));
    assert!(!review["confirmed"].as_array().unwrap().is_empty());
    assert_eq!(
        report["document"]["fields"]["full_name"],
        "NGUYỄN THỊ DUYỆT"
    );
    let plain = site.run(&["verify", pdf_path.to_str().unwrap()]);
    assert!(
        text(&plain).contains("approved by Lê Văn Kiểm"),
        "{}",
        text(&plain)
    );

    // Decided once: a second approval and a rejection are refused.
    let again = site.run(&approve);
    assert_eq!(code(&again), 1, "{}", text(&again));
    assert!(
        text(&again).contains("already approved"),
        "{}",
        text(&again)
    );
    let late = site.run(&["review", "reject", &birth, "--reason", "too late"]);
    assert_eq!(code(&late), 1, "{}", text(&late));

    // A rejection ends the other job; it leaves the queue.
    let reject = site.run(&[
        "review",
        "reject",
        &termination,
        "--reason",
        "Bản quét bị mờ, yêu cầu nộp lại",
        "--as",
        "Lê Văn Kiểm",
    ]);
    assert_eq!(code(&reject), 0, "{}", text(&reject));
    let view = site.json(&["review", "show", &termination, "--json"]);
    assert_eq!(view["state"], "rejected");
    assert_eq!(
        view["decision"]["reason"],
        "Bản quét bị mờ, yêu cầu nộp lại"
    );
    let left = site.json(&["review", "list", "--json"]);
    assert_eq!(left["items"], serde_json::json!([]));
    // Submitting a rejected scan again, even forced, does not run it again.
    let forced = site.run(&["submit", "--force", &sample(TERMINATION)]);
    assert!(forced.status.success(), "{}", text(&forced));
    let view = site.json(&["review", "show", &termination, "--json"]);
    assert_eq!(view["state"], "rejected");

    let missing = site.run(&["review", "show", &"0".repeat(64)]);
    assert_eq!(code(&missing), 1);
}

#[tokio::test]
async fn review_on_sqlite_and_files_survives_an_interrupted_approval() {
    review_end_to_end(&Site::embedded(), true).await;
}

#[tokio::test]
async fn review_on_postgres_and_s3() {
    review_end_to_end(&Site::shared().await, false).await;
}

#[tokio::test]
async fn the_page_image_is_served_upright_within_its_size() {
    let site = Site::embedded();
    let out = site.run(&["run", "--json", &sample(BIRTH)]);
    let id = common::json_lines(&out)[0]["submission_id"]
        .as_str()
        .unwrap()
        .to_string();
    let view = site.json(&["review", "show", &id, "--json"]);
    let config = docseal::config::load_with(
        &docseal::config::Overrides {
            data_dir: Some(site.data()),
            ..Default::default()
        },
        &|_| None,
    )
    .unwrap();
    let queue = docseal::queue::AnyQueue::open(&config.queue_url())
        .await
        .unwrap();
    let store = docseal::store::AnyStore::open(&config.store_url())
        .await
        .unwrap();
    let services = docseal::worker::Services {
        queue: std::sync::Arc::new(queue),
        store: std::sync::Arc::new(store),
        credentials: std::sync::Arc::new(
            docseal::office::Credentials::load(&config.keys_dir()).unwrap(),
        ),
        fonts: std::sync::Arc::new(docseal::render::FontSet::find().unwrap()),
        pipeline: std::sync::Arc::new(config.pipeline.clone()),
        issuer: config.issuer(),
    };
    let png = docseal::review::page_png(&services, &id, 1).await.unwrap();
    let image = image::load_from_memory(&png).unwrap();
    assert_eq!(
        u64::from(image.width()),
        view["pages"][0]["width"].as_u64().unwrap()
    );
    assert_eq!(
        u64::from(image.height()),
        view["pages"][0]["height"].as_u64().unwrap()
    );
    assert!(matches!(
        docseal::review::page_png(&services, &id, 2).await,
        Err(docseal::review::ReviewError::NotFound(_))
    ));
}
