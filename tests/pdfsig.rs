//! Result PDFs signed with ECDSA P-256 (the default `pdf_signature`) as the
//! viewers agencies use see them: poppler's `pdfsig` (NSS) says the
//! signature is valid and, with the office's PDF root in its NSS database,
//! trusted; pyHanko says INTACT:TRUSTED,UNTOUCHED; `docseal verify` with
//! only `root.pem` in an empty directory says VALID; a changed byte is
//! caught by docseal and pdfsig. `pdf_signature = "ed25519"` still signs
//! with the document key, a keys directory made before the PDF key gets one
//! on its next `keys init`, and rotation replaces both keys while earlier
//! documents stay valid.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

mod common;
use common::{docseal, docseal_cmd, text};

fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// Issues `sample` in `data` with `extra` settings flags; returns the
/// result PDF's path.
fn issue(data: &Path, sample: &str, extra: &[&str]) -> PathBuf {
    let scans = data.join("scans").join(sample);
    std::fs::create_dir_all(&scans).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(sample);
    std::fs::copy(&src, scans.join(sample)).unwrap();
    let out = docseal_cmd(data)
        .args(extra)
        .args(["run", "--json", s(&scans)])
        .output()
        .expect("the docseal binary runs");
    assert!(out.status.success(), "{}", text(&out));
    let line: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(line["status"], "issued", "{line}");
    PathBuf::from(line["result_pdf"].as_str().unwrap())
}

/// `docseal verify --json --root root.pem FILE` in `dir`, with nothing
/// else: no data directory, trust file or settings.
fn verify_in(dir: &Path, file: &str) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_docseal"))
        .current_dir(dir)
        .env_remove("DOCSEAL_DATA")
        .env_remove("DOCSEAL_CONFIG")
        .env("XDG_STATE_HOME", dir.join(".state"))
        .args(["verify", "--json", "--root", "root.pem", file])
        .output()
        .expect("the docseal binary runs");
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not a JSON report ({e}): {}", text(&out)));
    (out.status.code().unwrap_or(-1), report)
}

fn detail<'a>(report: &'a Value, name: &str) -> &'a str {
    report["checks"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["name"] == name))
        .and_then(|c| c["detail"].as_str())
        .unwrap_or_else(|| panic!("no check {name} in {report:#}"))
}

fn run(cmd: &mut Command, what: &str) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("{what} must be installed (make deps): {e}"))
}

/// `pdfsig [-nssdir sql:DB] PDF`'s output.
fn pdfsig(pdf: &Path, nss: Option<&Path>) -> String {
    let mut cmd = Command::new("pdfsig");
    if let Some(db) = nss {
        cmd.arg("-nssdir").arg(format!("sql:{}", db.display()));
    }
    text(&run(cmd.arg(pdf), "pdfsig (poppler-utils)"))
}

/// A fresh NSS database trusting `root` as a CA for signed documents
/// (the S/MIME field, which poppler's signature check uses).
fn nss_trusting(dir: &Path, root: &Path) -> PathBuf {
    let db = dir.join("nss");
    std::fs::create_dir_all(&db).unwrap();
    let sql = format!("sql:{}", db.display());
    let out = run(
        Command::new("certutil").args(["-N", "--empty-password", "-d", &sql]),
        "certutil (libnss3-tools)",
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = run(
        Command::new("certutil")
            .args([
                "-A",
                "-d",
                &sql,
                "-n",
                "docseal office PDF root",
                "-t",
                ",C,",
                "-i",
            ])
            .arg(root),
        "certutil (libnss3-tools)",
    );
    assert!(out.status.success(), "{}", text(&out));
    db
}

/// `pyhanko sign validate` with `root` as the only trust anchor.
fn pyhanko(root: &Path, pdf: &Path) -> String {
    let out = run(
        Command::new("pyhanko")
            .args(["sign", "validate", "--trust"])
            .arg(root)
            .args(["--trust-replace", "--no-revocation-check"])
            .arg(pdf),
        "pyhanko (make pydeps)",
    );
    text(&out)
}

#[test]
fn a_p256_signed_result_is_valid_and_trusted_in_pdfsig_pyhanko_and_docseal() {
    let office = tempfile::tempdir().unwrap();
    let data = office.path();
    let pdf = issue(data, "0000_birth_certificate.png", &[]);
    let keys = data.join("keys");

    // The agency's directory: the PDF, root.pem, and the PDF root it
    // imports into its viewers.
    let agency = tempfile::tempdir().unwrap();
    let dir = agency.path();
    std::fs::copy(&pdf, dir.join("result.pdf")).unwrap();
    std::fs::copy(keys.join("root.pem"), dir.join("root.pem")).unwrap();
    std::fs::copy(keys.join("pdf-root.pem"), dir.join("pdf-root.pem")).unwrap();
    let result = dir.join("result.pdf");

    // pdfsig: valid without the root, and trusted with it.
    let said = pdfsig(&result, None);
    assert!(
        said.contains("Signature Validation: Signature is Valid."),
        "{said}"
    );
    assert!(said.contains("Signing Hash Algorithm: SHA-256"), "{said}");
    assert!(said.contains("ETSI.CAdES.detached"), "{said}");
    let nss = nss_trusting(dir, &dir.join("pdf-root.pem"));
    let said = pdfsig(&result, Some(&nss));
    assert!(
        said.contains("Signature Validation: Signature is Valid."),
        "{said}"
    );
    assert!(
        said.contains("Certificate Validation: Certificate is Trusted."),
        "{said}"
    );
    // Another office's PDF root vouches for nothing.
    let other = tempfile::tempdir().unwrap();
    let out = docseal(other.path(), &["keys", "init"]);
    assert!(out.status.success(), "{}", text(&out));
    let foreign = tempfile::tempdir().unwrap();
    let nss_foreign = nss_trusting(foreign.path(), &other.path().join("keys/pdf-root.pem"));
    let said = pdfsig(&result, Some(&nss_foreign));
    assert!(!said.contains("Certificate is Trusted."), "{said}");

    // pyHanko with the PDF root as the only trust anchor.
    let said = pyhanko(&dir.join("pdf-root.pem"), &result);
    assert!(said.contains(":INTACT:TRUSTED,UNTOUCHED"), "{said}");

    // docseal with only root.pem, in an empty directory.
    let (code, report) = verify_in(dir, "result.pdf");
    assert_eq!(code, 0, "{report:#}");
    let sig = detail(&report, "pdf_signature");
    assert!(
        sig.contains("PDF-signing key p256:") && sig.contains("ECDSA P-256"),
        "{sig}"
    );
    assert!(detail(&report, "pdf_key_validity").contains("was valid"));
    assert!(
        !dir.join("docseal-data").exists(),
        "verify made no data dir"
    );

    // One changed byte inside the signed range: INVALID for docseal and
    // not valid for pdfsig.
    let bytes = std::fs::read(&result).unwrap();
    let mut bad = bytes.clone();
    let at = bytes.len() / 3;
    bad[at] ^= 0x20;
    std::fs::write(dir.join("tampered.pdf"), &bad).unwrap();
    let (code, report) = verify_in(dir, "tampered.pdf");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["verdict"], "invalid", "{report:#}");
    let said = pdfsig(&dir.join("tampered.pdf"), Some(&nss));
    assert!(said.contains("Signature Validation:"), "{said}");
    assert!(!said.contains("Signature is Valid."), "{said}");
}

#[test]
fn ed25519_still_signs_and_an_upgraded_or_rotated_office_keeps_earlier_documents_valid() {
    let office = tempfile::tempdir().unwrap();
    let data = office.path();
    let keys = data.join("keys");
    let out = docseal(data, &["keys", "init"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("PDF-signing key p256:"),
        "{}",
        text(&out)
    );

    // A keys directory as an earlier version left it: no PDF root or key,
    // and a trust list that names neither (signed again by the root).
    let path = keys.join("trust.json");
    let mut list: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    list["keys"]
        .as_array_mut()
        .unwrap()
        .retain(|k| k["usage"] != "pdf");
    list["roots"].as_array_mut().unwrap().truncate(1);
    std::fs::write(&path, serde_json::to_vec_pretty(&list).unwrap()).unwrap();
    for f in ["pdf.key", "pdf.pem", "pdf-root.key", "pdf-root.pem"] {
        std::fs::remove_file(keys.join(f)).unwrap();
    }
    let out = docseal(data, &["keys", "sign-trust"]);
    assert!(out.status.success(), "{}", text(&out));

    // With pdf_signature = "ed25519" (here the flag) the PDF is signed by the
    // document key; the run completes the directory with a PDF key.
    let ed = issue(
        data,
        "0000_birth_certificate.png",
        &["--pdf-signature", "ed25519"],
    );
    assert!(keys.join("pdf.key").exists() && keys.join("pdf-root.pem").exists());
    let agency = tempfile::tempdir().unwrap();
    let dir = agency.path();
    std::fs::copy(&ed, dir.join("ed25519.pdf")).unwrap();
    std::fs::copy(keys.join("root.pem"), dir.join("root.pem")).unwrap();
    let (code, report) = verify_in(dir, "ed25519.pdf");
    assert_eq!(code, 0, "{report:#}");
    let sig = detail(&report, "pdf_signature");
    assert!(
        sig.contains("Document Signing") && !sig.contains("p256"),
        "{sig}"
    );
    let said = pyhanko(&dir.join("root.pem"), &dir.join("ed25519.pdf"));
    assert!(said.contains(":INTACT:TRUSTED,UNTOUCHED"), "{said}");

    // Rotation replaces both keys; the earlier documents stay VALID with
    // the root alone, and the next one is signed by the new PDF key.
    let before = docseal(data, &["keys", "list"]);
    let out = docseal(data, &["keys", "rotate"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("new pdf key p256:"), "{}", text(&out));
    let p256 = issue(data, "0001_death_extract.jpg", &[]);
    std::fs::copy(&p256, dir.join("p256.pdf")).unwrap();
    for file in ["ed25519.pdf", "p256.pdf"] {
        let (code, report) = verify_in(dir, file);
        assert_eq!(code, 0, "{file}: {report:#}");
    }
    let (_, report) = verify_in(dir, "p256.pdf");
    let listed = text(&docseal(data, &["keys", "list"]));
    let new_key = detail(&report, "pdf_signature")
        .split_whitespace()
        .find(|w| w.starts_with("p256:"))
        .expect("the report names the PDF key")
        .to_string();
    assert!(!text(&before).contains(&new_key), "{}", text(&before));
    assert!(listed.contains(&format!("{new_key}  pdf")), "{listed}");
    assert_eq!(listed.matches("  pdf  ").count(), 2, "{listed}");
    assert!(listed.contains("PDF root"), "{listed}");
}
