//! Vietnam's conventions for an electronic result, end to end: dossier and
//! procedure codes given at submission and validated, the result code
//! `<dossier code>-KQ<n>` numbered per dossier and kept across retries, the
//! QR seal at the top left of the certificate page read by an independent
//! decoder (zbar) from a rasterized page and verified, and the signed result
//! checked by `qpdf --check`.

use std::path::{Path, PathBuf};
use std::process::Command;

use docseal::queue::{ResultCodes, Reviews, SqliteQueue, SubmissionMeta};
use serde_json::Value;

mod common;
use common::{docseal, docseal_cmd, json_lines, text};

const DOSSIER: &str = "000.00.12.H29-250701-0001";
const PROCEDURE: &str = "1.004227";

fn s(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

/// Copies samples into `dir`.
fn scans(dir: &Path, samples: &[&str]) -> PathBuf {
    let scans = dir.join("scans");
    std::fs::create_dir_all(&scans).unwrap();
    for sample in samples {
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples")
            .join(sample);
        std::fs::copy(&src, scans.join(sample)).unwrap();
    }
    scans
}

fn verify_json(data: &Path, args: &[&str]) -> (i32, Value) {
    let out = docseal_cmd(data)
        .args(["verify", "--json"])
        .args(args)
        .output()
        .expect("the docseal binary runs");
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not a JSON report ({e}): {}", text(&out)));
    (out.status.code().unwrap_or(-1), report)
}

/// The QR seal as zbar reads it from the top-left of the certificate page
/// (the last page) rasterized at 150 dpi.
fn zbar_top_left(pdf: &Path, work: &Path) -> String {
    let pages = lopdf::Document::load(pdf).unwrap().get_pages().len();
    let last = pages.to_string();
    let prefix = work.join("certificate");
    let status = Command::new("pdftoppm")
        .args([
            "-r",
            "150",
            "-gray",
            "-png",
            "-singlefile",
            "-f",
            &last,
            "-l",
            &last,
        ])
        .arg(pdf)
        .arg(&prefix)
        .status()
        .expect("pdftoppm (Debian poppler-utils) runs");
    assert!(status.success());
    let page = image::open(prefix.with_extension("png"))
        .unwrap()
        .to_luma8();
    // The top-left quarter of an A4 page: the seal and its quiet zone, none
    // of the heading beside it.
    let (w, h) = (page.width() * 36 / 100, page.height() / 4);
    let crop = image::imageops::crop_imm(&page, 0, 0, w, h).to_image();
    let crop_path = work.join("top-left.png");
    crop.save(&crop_path).unwrap();
    let out = Command::new("zbarimg")
        .args(["--raw", "-q", "-Sdisable", "-Sqrcode.enable"])
        .arg(&crop_path)
        .output()
        .expect("zbarimg (Debian zbar-tools) runs");
    assert!(
        out.status.success(),
        "zbar found no QR code: {}",
        text(&out)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .trim_end()
        .to_string()
}

#[test]
fn two_results_of_a_dossier_are_numbered_and_their_qr_seals_verify_from_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let scans = scans(
        dir.path(),
        &["0000_birth_certificate.png", "0001_death_extract.jpg"],
    );
    let out = docseal(
        &data,
        &[
            "run",
            "--json",
            "--dossier-code",
            DOSSIER,
            "--procedure-code",
            PROCEDURE,
            s(&scans),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2, "{}", text(&out));
    let mut codes = Vec::new();
    for line in &lines {
        assert_eq!(line["status"], "issued", "{line}");
        let pdf = PathBuf::from(line["result_pdf"].as_str().unwrap());
        let (code, report) = verify_json(&data, &[s(&pdf)]);
        assert_eq!(code, 0, "{report:#}");
        let d = &report["document"]["dossier"];
        assert_eq!(d["dossier_code"], DOSSIER, "{report:#}");
        assert_eq!(d["procedure_code"], PROCEDURE);
        codes.push(d["result_code"].as_str().unwrap().to_string());

        // PDF/A-3b structure is tested in the library; here the signed file.
        let qpdf = Command::new("qpdf")
            .arg("--check")
            .arg(&pdf)
            .output()
            .expect("qpdf (Debian qpdf) runs");
        assert!(qpdf.status.success(), "qpdf --check: {}", text(&qpdf));

        // The printed copy: zbar reads the seal off the page's pixels.
        let work = tempfile::tempdir().unwrap();
        let qr = zbar_top_left(&pdf, work.path());
        assert!(qr.starts_with("DS1:"), "{qr}");
        let (code, report) = verify_json(&data, &["--qr", &qr]);
        assert_eq!(code, 0, "{report:#}");
        assert_eq!(report["verdict"], "valid", "{report:#}");
        assert_eq!(
            report["document"]["dossier"]["result_code"],
            d["result_code"]
        );
    }
    codes.sort();
    assert_eq!(
        codes,
        [format!("{DOSSIER}-KQ1"), format!("{DOSSIER}-KQ2")],
        "one number each, in issue order"
    );
}

#[test]
fn bad_codes_are_refused_naming_the_flag_or_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let scans = scans(dir.path(), &["0000_birth_certificate.png"]);
    let scan = scans.join("0000_birth_certificate.png");

    let out = docseal(
        &data,
        &[
            "submit",
            "--dossier-code",
            "000.00.12.H29-250732-0001",
            s(&scan),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--dossier-code: `000.00.12.H29-250732-0001` is not a dossier code"),
        "{err}"
    );

    let out = docseal(&data, &["submit", "--procedure-code", "1.04227", s(&scan)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--procedure-code"));

    let csv = dir.path().join("meta.csv");
    std::fs::write(
        &csv,
        "file,dossier_code,procedure_code\n0000_birth_certificate.png,000.00.12.H29-250701,1.004227\n",
    )
    .unwrap();
    let out = docseal(&data, &["submit", "--meta", s(&csv), s(&scan)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}: line 2 (0000_birth_certificate.png), column dossier_code:",
            csv.display()
        )),
        "{err}"
    );

    // A good CSV records the codes before the job is queued.
    std::fs::write(
        &csv,
        format!(
            "file,dossier_code,procedure_code\n0000_birth_certificate.png,{DOSSIER},{PROCEDURE}\n"
        ),
    )
    .unwrap();
    let out = docseal(&data, &["submit", "--meta", s(&csv), s(&scan)]);
    assert!(out.status.success(), "{}", text(&out));
}

#[tokio::test]
async fn a_result_code_is_assigned_once_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let q = SqliteQueue::open(&dir.path().join("queue.sqlite"))
        .await
        .unwrap();
    let meta = |d: &str| SubmissionMeta {
        dossier_code: Some(d.into()),
        procedure_code: Some(PROCEDURE.into()),
        operator: None,
    };
    q.set_meta("sub-a", &meta(DOSSIER)).await.unwrap();
    q.set_meta("sub-b", &meta(DOSSIER)).await.unwrap();
    q.set_meta("sub-c", &meta("000.00.12.H29-250701-0002"))
        .await
        .unwrap();
    let code = |r: Option<docseal::dossier::DossierResult>| r.unwrap().result_code;
    let a = code(q.result_for("DS-A", "sub-a").await.unwrap());
    let b = code(q.result_for("DS-B", "sub-b").await.unwrap());
    let c = code(q.result_for("DS-C", "sub-c").await.unwrap());
    assert_eq!(a, format!("{DOSSIER}-KQ1"));
    assert_eq!(b, format!("{DOSSIER}-KQ2"));
    assert_eq!(c, "000.00.12.H29-250701-0002-KQ1");
    // A retry (even after the clerk changed the submission's facts) keeps
    // the code its document was given.
    q.set_meta("sub-a", &meta("000.00.12.H29-250701-0009"))
        .await
        .unwrap();
    assert_eq!(code(q.result_for("DS-A", "sub-a").await.unwrap()), a);
    assert_eq!(code(q.result_code("DS-B").await.unwrap()), b);
    // No dossier code, no result code.
    assert_eq!(q.result_for("DS-D", "sub-d").await.unwrap(), None);
}
