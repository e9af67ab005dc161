//! The transparency log against an independent implementation of the C2SP
//! specs (`tests/tlog_check.py`, Python standard library + `cryptography`):
//! a checkpoint and an inclusion proof docseal produced must check there, and
//! a proof for other bytes must not.

use std::process::Command;

use docseal::queue::{LogEntries, SqliteQueue};
use docseal::store::DirStore;
use docseal::tlog::publish::{prove, publish};
use docseal::tlog::{EntryKind, LogKey};

#[tokio::test]
async fn proofs_check_with_an_independent_implementation() {
    let dir = tempfile::tempdir().unwrap();
    let q = SqliteQueue::open(&dir.path().join("q.sqlite"))
        .await
        .unwrap();
    let store = DirStore::new(dir.path().join("objects"));
    let key = LogKey::create(&dir.path().join("log.key"), "docseal/test-office").unwrap();
    for i in 0..300 {
        let m = format!("{{\"manifest\":{i}}}");
        q.append(EntryKind::Document, &format!("DS-{i}"), m.as_bytes())
            .await
            .unwrap();
    }
    publish(&q, &store, &key).await.unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tlog_check.py");
    for i in [0usize, 1, 255, 256, 299] {
        let proof = prove(&q, EntryKind::Document, &format!("DS-{i}"), false)
            .await
            .unwrap();
        let proof_path = dir.path().join("proof");
        std::fs::write(&proof_path, proof.to_text()).unwrap();
        let entry_path = dir.path().join("entry");
        std::fs::write(&entry_path, format!("{{\"manifest\":{i}}}")).unwrap();
        let out = Command::new("python3")
            .args([script, &key.vkey()])
            .arg(&proof_path)
            .arg(&entry_path)
            .output()
            .expect("python3 runs");
        let text = String::from_utf8_lossy(&out.stdout);
        let errors = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "entry {i}: {text}{errors}");
        assert!(text.contains("\"size\": 300"), "{text}");
        assert!(!text.contains("\"cosigned_at\": null"), "{text}");

        std::fs::write(&entry_path, b"a forged manifest").unwrap();
        let out = Command::new("python3")
            .args([script, &key.vkey()])
            .arg(&proof_path)
            .arg(&entry_path)
            .output()
            .unwrap();
        assert!(!out.status.success(), "a proof for other bytes must fail");
    }
}

const OFFICE: &str = "UBND phường Bến Nghé, Quận 1, TP. Hồ Chí Minh";
const SAMPLE: &str = "samples/0000_birth_certificate.png";

fn docseal(data: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_docseal"))
        .arg("--data")
        .arg(data)
        .env("DOCSEAL_OFFICE", OFFICE)
        .env("DOCSEAL_OPERATOR", "Trần Thị Thu")
        .args(args)
        .output()
        .expect("the docseal binary runs")
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn key_validity(out: &std::process::Output) -> String {
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not a JSON report ({e}): {}", text(out)));
    report["checks"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == "key_validity"))
        .map(|c| format!("{} {}", c["status"], c["detail"]))
        .unwrap_or_else(|| format!("no key_validity check: {report:#}"))
}

/// Revocation that cannot be backdated, at the binary level: after the signing key is revoked, a
/// genuine document with its log proof from before the revocation is VALID;
/// without it CANNOT TELL; a forgery dated before the revocation and signed
/// with a copy of the key is not VALID, with or without a proof.
#[test]
fn a_key_revoked_later_needs_proof_of_existence_from_the_log() {
    use docseal::model::{IssuedAt, Issuer};
    use docseal::office::Credentials;
    use docseal::pipeline::{self, IssueContext, PipelineOptions};

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let s = |p: &std::path::Path| p.to_str().unwrap().to_string();
    let scans = data.join("scans");
    std::fs::create_dir_all(&scans).unwrap();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(SAMPLE);
    std::fs::copy(&sample, scans.join("birth.png")).unwrap();
    for args in [&["keys", "init"][..], &["log", "init"]] {
        let out = docseal(data, args);
        assert!(out.status.success(), "{}", text(&out));
    }
    let before_revocation = time::OffsetDateTime::now_utc().unix_timestamp();
    let out = docseal(data, &["run", "--json", &s(&scans)]);
    assert!(out.status.success(), "{}", text(&out));
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(line["status"], "issued", "{line}");
    let id = line["document_id"].as_str().unwrap().to_string();
    let pdf = line["result_pdf"].as_str().unwrap().to_string();
    let proof = data.join("doc.tlog-proof");
    let out = docseal(data, &["log", "proof", &id, "--out", &s(&proof)]);
    assert!(out.status.success(), "{}", text(&out));
    let out = docseal(data, &["log", "verify"]);
    assert!(out.status.success(), "{}", text(&out));

    // The key is stolen and revoked, a little after the checkpoint.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let creds = Credentials::load_or_create(&data.join("keys"), OFFICE).unwrap();
    let key_id = creds.signer.key_id().to_string();
    let out = docseal(data, &["keys", "revoke", &key_id, "--reason", "stolen"]);
    assert!(out.status.success(), "{}", text(&out));
    let seen = data.join("seen");
    let verify = |extra: &[&str], file: &str| {
        let mut args = vec!["verify", "--json", "--seen-dir"];
        let seen = s(&seen);
        args.push(&seen);
        args.extend_from_slice(extra);
        args.push(file);
        docseal(data, &args)
    };
    let out = verify(&[], &pdf);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(
        key_validity(&out).contains("--log-proof"),
        "{}",
        key_validity(&out)
    );
    let out = verify(&["--log-proof", &s(&proof)], &pdf);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // A forgery made now with a copy of the key, dated before the revocation
    // (within the certificate's validity).
    let analysis = pipeline::analyze(
        &std::fs::read(&sample).unwrap(),
        &PipelineOptions::default(),
    )
    .expect("analysis");
    let fonts = docseal::render::FontSet::find().expect("fonts");
    let forged = pipeline::issue(
        &analysis,
        &IssueContext {
            issuer: &Issuer {
                office: OFFICE.into(),
                operator: "Trần Thị Thu".into(),
            },
            issued_at: IssuedAt::from_unix_seconds(before_revocation),
            credentials: &creds,
            fonts: &fonts,
            pipeline_version: "forged",
            pdf_signature: Default::default(),
        },
    )
    .expect("issue");
    let forged_pdf = data.join("forged.pdf");
    std::fs::write(&forged_pdf, &forged.pdf).unwrap();
    let out = verify(&[], &s(&forged_pdf));
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let out = verify(&["--log-proof", &s(&proof)], &s(&forged_pdf));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}
