//! Verifying with only an office's root certificate, in an empty directory:
//! a result PDF carries the office's root-signed trust list, so no trust
//! file is needed, also for a document whose key was rotated since; a
//! document of another office is CANNOT TELL, naming that office, unless its
//! root is in `--trust-dir`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;
use common::{docseal, docseal_cmd, text, OFFICE};

const OTHER_OFFICE: &str = "UBND xã Tân Phú, Huyện Châu Thành";

fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// Issues one sample in `data` for `office`; returns the result PDF's path.
fn issue(data: &Path, sample: &str, office: &str) -> PathBuf {
    let scans = data.join("scans").join(sample);
    std::fs::create_dir_all(&scans).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(sample);
    std::fs::copy(&src, scans.join(sample)).unwrap();
    let out = docseal_cmd(data)
        .env("DOCSEAL_OFFICE", office)
        .args(["run", "--json", s(&scans)])
        .output()
        .expect("the docseal binary runs");
    assert!(out.status.success(), "{}", text(&out));
    let line: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(line["status"], "issued", "{line}");
    PathBuf::from(line["result_pdf"].as_str().unwrap())
}

/// `docseal verify --json ARGS` run in `dir` with no data directory, trust
/// file or settings: only what is in `dir` and the arguments.
fn verify_in(dir: &Path, args: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_docseal"))
        .current_dir(dir)
        .env_remove("DOCSEAL_DATA")
        .env_remove("DOCSEAL_CONFIG")
        .env("XDG_STATE_HOME", dir.join(".state"))
        .args(["verify", "--json"])
        .args(args)
        .output()
        .expect("the docseal binary runs");
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

fn detail<'a>(report: &'a Value, name: &str) -> &'a str {
    check(report, name)["detail"].as_str().unwrap_or_default()
}

#[test]
fn only_the_root_verifies_fresh_rotated_and_other_offices_documents() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let pdf_a = issue(a.path(), "0000_birth_certificate.png", OFFICE);
    let pdf_b = issue(b.path(), "0001_death_extract.jpg", OTHER_OFFICE);

    // The agency's empty directory: two PDFs and office A's root.
    let agency = tempfile::tempdir().unwrap();
    let dir = agency.path();
    std::fs::copy(&pdf_a, dir.join("a.pdf")).unwrap();
    std::fs::copy(&pdf_b, dir.join("b.pdf")).unwrap();
    std::fs::copy(a.path().join("keys/root.pem"), dir.join("root.pem")).unwrap();

    // A fresh result: VALID with the root alone, from the list it carries.
    let (code, report) = verify_in(dir, &["--root", "root.pem", "a.pdf"]);
    assert_eq!(code, 0, "{report:#}");
    let t = detail(&report, "trust_list");
    assert!(
        t.contains("the document carries") && t.contains("root you pinned"),
        "{t}"
    );
    assert_eq!(check(&report, "pdf_signature")["status"], "pass");
    assert!(
        !dir.join("docseal-data").exists(),
        "verify made no data dir"
    );

    // Without a pinned root the carried list vouches for nothing.
    let (code, report) = verify_in(dir, &["a.pdf"]);
    assert_eq!(code, 4, "{report:#}");
    assert!(detail(&report, "trust_list").contains("--root"));

    // The office rotates its key: the older document stays VALID with the
    // root alone, and with the newer list the office exports.
    let out = docseal(a.path(), &["keys", "rotate"]);
    assert!(out.status.success(), "{}", text(&out));
    let (code, report) = verify_in(dir, &["--root", "root.pem", "a.pdf"]);
    assert_eq!(code, 0, "{report:#}");
    let out = docseal(
        a.path(),
        &["keys", "export-trust", "--out", s(&dir.join("trust.json"))],
    );
    assert!(out.status.success(), "{}", text(&out));
    let (code, report) = verify_in(
        dir,
        &["--trust", "trust.json", "--root", "root.pem", "a.pdf"],
    );
    assert_eq!(code, 0, "{report:#}");
    let t = detail(&report, "trust_list");
    assert!(
        t.contains("trust.json"),
        "the newer given list is used: {t}"
    );
    // A document issued after the rotation carries the newer list.
    let pdf_a2 = issue(a.path(), "0004_business_household_registration.png", OFFICE);
    std::fs::copy(&pdf_a2, dir.join("a2.pdf")).unwrap();
    let (code, report) = verify_in(dir, &["--root", "root.pem", "a2.pdf"]);
    assert_eq!(code, 0, "{report:#}");

    // Another office's document: CANNOT TELL, naming that office.
    let (code, report) = verify_in(dir, &["--root", "root.pem", "b.pdf"]);
    assert_eq!(code, 4, "{report:#}");
    assert_eq!(report["verdict"], "cannot_tell");
    let t = detail(&report, "trust_list");
    assert!(t.contains(OTHER_OFFICE) && t.contains("--trust-dir"), "{t}");

    // A directory of roots: office A's only, then both offices'.
    let roots = dir.join("roots");
    std::fs::create_dir(&roots).unwrap();
    std::fs::copy(dir.join("root.pem"), roots.join("a.pem")).unwrap();
    let (code, report) = verify_in(dir, &["--trust-dir", "roots", "b.pdf"]);
    assert_eq!(code, 4, "{report:#}");
    assert!(detail(&report, "trust_list").contains(OTHER_OFFICE));
    std::fs::copy(b.path().join("keys/root.pem"), roots.join("b.pem")).unwrap();
    for pdf in ["a.pdf", "b.pdf"] {
        let (code, report) = verify_in(dir, &["--trust-dir", "roots", pdf]);
        assert_eq!(code, 0, "{pdf}: {report:#}");
    }
    let (_, report) = verify_in(dir, &["--trust-dir", "roots", "b.pdf"]);
    assert_eq!(report["document"]["office"], OTHER_OFFICE);
}
