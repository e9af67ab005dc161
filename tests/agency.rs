//! What a verifying agency does, through the real binary: verify a result PDF
//! against the office's signed trust list (pinned or not), a printed copy's
//! QR seal rasterized from the real certificate page, a tampered trust list,
//! a signing certificate that had expired, and the online status check
//! against `docseal serve` before and after `docseal revoke`.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

mod common;
use common::{docseal, docseal_cmd, text, OFFICE};

const SAMPLE: &str = "samples/0000_birth_certificate.png";

/// The JSON report of `docseal verify --json ARGS`, with its exit code.
fn verify_json(data: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["verify", "--json"];
    all.extend_from_slice(args);
    let out = docseal(data, &all);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not a JSON report ({e}): {}", text(&out)));
    (out.status.code().unwrap_or(-1), report)
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no check {name} in {report:#}"))
}

fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// A `docseal serve` process, stopped when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(data: &Path) -> Server {
        let mut child = docseal_cmd(data)
            .args(["serve", "--public-only", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("docseal serve starts");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("its stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("docseal serve prints its address");
        let url = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("http://"))
            .and_then(|rest| rest.split('/').next())
            .map(|authority| format!("http://{authority}"))
            .unwrap_or_else(|| panic!("no address in `{line}`"));
        Server { child, url }
    }

    /// Sends raw bytes and returns the raw answer.
    fn raw(&self, request: &[u8]) -> String {
        let addr = self.url.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(addr).expect("the server accepts");
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        // The server may answer and close before reading everything.
        let _ = stream.write_all(request);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn pages_of(pdf: &Path) -> usize {
    lopdf::Document::load(pdf)
        .expect("the result PDF loads")
        .get_pages()
        .len()
}

#[test]
fn an_agency_verifies_a_document_its_printed_copy_and_its_status_online() {
    let data_dir = tempfile::tempdir().unwrap();
    let data = data_dir.path();
    let scans = data.join("scans");
    std::fs::create_dir_all(&scans).unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join(SAMPLE);
    std::fs::copy(&sample, scans.join("birth.png")).unwrap();
    let out = docseal(data, &["run", "--json", s(&scans)]);
    assert!(out.status.success(), "{}", text(&out));
    let line: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(line["status"], "issued", "{line}");
    let document_id = line["document_id"].as_str().unwrap().to_string();
    let pdf = PathBuf::from(line["result_pdf"].as_str().unwrap());
    let full_name = line["record"]["fields"]["full_name"]
        .as_str()
        .unwrap()
        .to_string();

    // The trust list the office hands out, and its root certificate.
    let trust = data.join("trust.json");
    let out = docseal(data, &["keys", "export-trust", "--out", s(&trust)]);
    assert!(out.status.success(), "{}", text(&out));
    let root = data.join("keys").join("root.pem");

    // A result PDF, with the root pinned.
    let (code, report) = verify_json(data, &["--trust", s(&trust), "--root", s(&root), s(&pdf)]);
    assert_eq!(code, 0, "{report:#}");
    let t = check(&report, "trust_list");
    assert_eq!(t["status"], "pass");
    assert!(
        t["detail"].as_str().unwrap().contains("root you pinned"),
        "{t}"
    );
    // Offline, the report says that revocation was not asked about.
    let online = check(&report, "registry_status");
    assert_eq!(online["status"], "skipped", "{online}");
    assert!(
        online["detail"]
            .as_str()
            .unwrap()
            .contains("not checked online"),
        "{online}"
    );

    // A printed copy: the certificate page rasterized at 200 dpi, its QR read.
    let last = pages_of(&pdf).to_string();
    let prefix = data.join("page");
    let out = Command::new("pdftoppm")
        .args(["-r", "200", "-png", "-f", &last, "-l", &last, "-singlefile"])
        .arg(&pdf)
        .arg(&prefix)
        .output()
        .expect("pdftoppm (poppler-utils) is installed");
    assert!(out.status.success(), "{}", text(&out));
    let png = data.join("page.png");
    let out = docseal(
        data,
        &["verify", "--trust", s(&trust), "--qr-image", s(&png)],
    );
    let printed = text(&out);
    assert_eq!(out.status.code(), Some(0), "{printed}");
    assert!(printed.contains(&document_id), "{printed}");
    assert!(printed.contains(&full_name), "{printed}");

    // One byte changed in the signed trust list: not used, cannot tell.
    let good = std::fs::read_to_string(&trust).unwrap();
    let at = good.find("\"not_before\": \"").expect("a key's validity") + 15;
    let mut bytes = good.into_bytes();
    bytes[at + 3] = if bytes[at + 3] == b'9' { b'8' } else { b'9' };
    let bad = data.join("bad-trust.json");
    std::fs::write(&bad, &bytes).unwrap();
    let (code, report) = verify_json(data, &["--trust", s(&bad), s(&pdf)]);
    assert_eq!(code, 4, "{report:#}");
    assert_eq!(report["verdict"], "cannot_tell");
    let t = check(&report, "trust_list");
    assert_eq!(t["status"], "unknown");
    let why = t["detail"].as_str().unwrap();
    assert!(
        why.contains("changed after the root signed it") && why.contains("was not used"),
        "{why}"
    );
    assert_eq!(report["checks"].as_array().unwrap().len(), 1, "{report:#}");

    // A genuine list pinned against another office's root: cannot tell.
    let other = tempfile::tempdir().unwrap();
    assert!(docseal(other.path(), &["keys", "init"]).status.success());
    let foreign_root = other.path().join("keys").join("root.pem");
    let (code, report) = verify_json(
        data,
        &["--trust", s(&trust), "--root", s(&foreign_root), s(&pdf)],
    );
    assert_eq!(code, 4, "{report:#}");
    let why = check(&report, "trust_list")["detail"].as_str().unwrap();
    assert!(why.contains("not by the root you pinned"), "{why}");

    // Online: the registry's signed answer, made with the status key; the
    // server does without the document-signing key.
    let signing_key = data.join("keys").join("signing.key");
    let aside = data.join("signing.key.aside");
    std::fs::rename(&signing_key, &aside).unwrap();
    let server = Server::start(data);
    let (code, report) = verify_json(
        data,
        &["--trust", s(&trust), "--online", &server.url, s(&pdf)],
    );
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(check(&report, "registry_status")["status"], "pass");

    // The endpoint refuses what it does not serve, cleanly.
    let answer = server.raw(b"BREW /v1/documents/x/status HTTP/1.1\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 405 "), "{answer}");
    let answer = server.raw(b"garbage\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    let answer = server.raw(b"GET /v1/documents/x%00y/status HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(answer.contains("\"code\":\"bad_request\""), "{answer}");
    let mut huge = b"GET /v1/documents/x/status HTTP/1.1\r\nX: ".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 20_000));
    let answer = server.raw(&huge);
    assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");

    // Revoked at the office: invalid, with the reason.
    let reason = "issued from another citizen's scan";
    let out = docseal(data, &["revoke", &document_id, "--reason", reason]);
    assert!(out.status.success(), "{}", text(&out));
    let out = docseal(data, &["revoke", "DS-0000-0000-0000-0000", "--reason", "x"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let out = docseal(
        data,
        &[
            "verify",
            "--trust",
            s(&trust),
            "--online",
            &server.url,
            s(&pdf),
        ],
    );
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("INVALID") && said.contains(reason), "{said}");
    let (code, report) = verify_json(
        data,
        &["--trust", s(&trust), "--online", &server.url, s(&pdf)],
    );
    assert_eq!(code, 1);
    let online = check(&report, "registry_status");
    assert_eq!(online["status"], "fail");
    assert!(online["detail"].as_str().unwrap().contains(reason));
    // The printed copy is revoked too.
    let (code, report) = verify_json(
        data,
        &[
            "--trust",
            s(&trust),
            "--online",
            &server.url,
            "--qr-image",
            s(&png),
        ],
    );
    assert_eq!(code, 1, "{report:#}");
    drop(server);
    std::fs::rename(&aside, &signing_key).unwrap();

    // The registry cannot be reached: cannot tell, offline checks still shown.
    let (code, report) = verify_json(
        data,
        &[
            "--trust",
            s(&trust),
            "--online",
            "http://127.0.0.1:9",
            s(&pdf),
        ],
    );
    assert_eq!(code, 4, "{report:#}");
    assert_eq!(check(&report, "registry_status")["status"], "unknown");
    assert_eq!(check(&report, "pdf_signature")["status"], "pass");
    assert_eq!(check(&report, "qr_seal")["status"], "pass");
}

#[test]
fn a_document_signed_after_its_certificate_expired_is_invalid() {
    use docseal::model::{IssuedAt, Issuer};
    use docseal::office::{Credentials, PdfCredentials, PdfSigner, PDF_ROOT_KEY_FILE, TRUST_FILE};
    use docseal::pipeline::{self, IssueContext, PipelineOptions};

    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join(SAMPLE);
    let analysis = pipeline::analyze(&std::fs::read(sample).unwrap(), &PipelineOptions::default())
        .expect("analysis");
    let creds = Credentials::load_or_create(&keys, OFFICE).expect("keys");
    let root_key = PdfSigner::load(&keys.join(PDF_ROOT_KEY_FILE)).expect("the PDF root key");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    const YEAR: i64 = 365 * 24 * 3600;
    let pdf = creds.pdf.expect("the PDF-signing key");
    let expired = docseal::office::pki::issue_pdf_signing_cert(
        OFFICE,
        docseal::office::pki::CertKey::P256(root_key.signing_key()),
        &pdf.root,
        &pdf.signer.verifying_key(),
        now - 3 * YEAR,
        now - YEAR,
    )
    .expect("a certificate that ended a year ago");
    let creds = Credentials {
        pdf: Some(PdfCredentials {
            cert: expired,
            ..pdf
        }),
        ..creds
    };
    let fonts = docseal::render::FontSet::find().expect("fonts");
    let issued = pipeline::issue(
        &analysis,
        &IssueContext {
            issuer: &Issuer {
                office: OFFICE.into(),
                operator: "Trần Thị Thu".into(),
            },
            issued_at: IssuedAt::from_unix_seconds(now),
            credentials: &creds,
            fonts: &fonts,
            pipeline_version: docseal::PIPELINE_VERSION,
            pdf_signature: Default::default(),
        },
    )
    .expect("issue");
    let pdf = dir.path().join("result.pdf");
    std::fs::write(&pdf, &issued.pdf).unwrap();
    let trust = keys.join(TRUST_FILE);
    let (code, report) = verify_json(dir.path(), &["--trust", s(&trust), s(&pdf)]);
    assert_eq!(code, 1, "{report:#}");
    let sig = check(&report, "pdf_signature");
    assert_eq!(sig["status"], "fail");
    let why = sig["detail"].as_str().unwrap();
    assert!(why.contains("was not valid at the signing time"), "{why}");
}
