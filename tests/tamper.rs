//! A real result document, changed one byte at a time, never verifies; and the
//! verdicts for keys revoked before or after issue and for a foreign trust list.

use std::path::Path;

use docseal::model::{IssuedAt, Issuer};
use docseal::office::{Credentials, KeyUsage, TrustList, TRUST_FILE};
use docseal::pipeline::{self, IssueContext, PipelineOptions};
use docseal::render::FontSet;
use docseal::verify::{verify_bytes, Verdict};

/// Issues one document from a committed sample scan, with keys in `dir`.
fn issue_one(dir: &Path) -> Vec<u8> {
    let scan = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/0000_birth_certificate.png");
    let bytes = std::fs::read(&scan).expect("the committed sample");
    let analysis = pipeline::analyze(&bytes, &PipelineOptions::default()).expect("analysis");
    assert!(
        analysis.record.is_issuable(),
        "the sample is issuable: {:?}",
        analysis.record.needs_review
    );
    let creds =
        Credentials::load_or_create(&dir.join("keys"), "UBND phường Bến Nghé").expect("keys");
    let fonts = FontSet::find().expect("fonts");
    let issued_at = IssuedAt::from_unix_seconds(time::OffsetDateTime::now_utc().unix_timestamp());
    pipeline::issue(
        &analysis,
        &IssueContext {
            issuer: &Issuer {
                office: "UBND phường Bến Nghé".into(),
                operator: "Trần Thị Thu".into(),
            },
            issued_at,
            credentials: &creds,
            fonts: &fonts,
            pipeline_version: docseal::PIPELINE_VERSION,
            pdf_signature: Default::default(),
        },
    )
    .expect("issue")
    .pdf
}

#[test]
fn a_thousand_single_byte_changes_are_all_rejected_and_revocation_is_judged_by_issue_time() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = issue_one(dir.path());
    let trust_path = dir.path().join("keys").join(TRUST_FILE);
    let trust = TrustList::load(&trust_path).unwrap();
    let report = verify_bytes("result.pdf", &pdf, &trust);
    assert_eq!(report.verdict, Verdict::Valid, "{}", report.to_text());

    // 1,000 random single-byte changes anywhere in the file.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..1000 {
        let at = (next() % pdf.len() as u64) as usize;
        let delta = 1 + (next() % 255) as u8;
        let mut bad = pdf.clone();
        bad[at] = bad[at].wrapping_add(delta);
        let r = verify_bytes("tampered.pdf", &bad, &trust);
        assert_ne!(
            r.verdict,
            Verdict::Valid,
            "change #{i} at byte {at} (+{delta}) went unnoticed:\n{}",
            r.to_text()
        );
    }

    // Bytes appended after signing are reported.
    let mut appended = pdf.clone();
    appended.extend_from_slice(b"\n% a later update\n");
    let r = verify_bytes("appended.pdf", &appended, &trust);
    assert_eq!(r.verdict, Verdict::Invalid, "{}", r.to_text());

    // The signing key revoked after the time the document claims: without
    // proof that it existed before the revocation, it cannot be told from a
    // forgery made with a copy of the key (see tests/tlog.rs for the proof).
    let key_id = report.document.as_ref().unwrap().key_id.clone();
    let mut later = trust.clone();
    later
        .revoke(
            &key_id,
            "key rotated after a laptop was lost",
            "2099-01-01T00:00:00Z",
        )
        .unwrap();
    let r = verify_bytes("result.pdf", &pdf, &later);
    assert_eq!(r.verdict, Verdict::CannotTell, "{}", r.to_text());
    assert!(r.to_text().contains("--log-proof"), "{}", r.to_text());

    // Revoked before the document was issued: invalid.
    let mut earlier = trust.clone();
    earlier
        .revoke(&key_id, "key compromised", "2000-01-01T00:00:00Z")
        .unwrap();
    let r = verify_bytes("result.pdf", &pdf, &earlier);
    assert_eq!(r.verdict, Verdict::Invalid, "{}", r.to_text());
    assert!(r.to_text().contains("key compromised"));

    // The same rules for the P-256 key that signed the PDF: revoked before
    // the document was issued, invalid; after, cannot tell without a log
    // proof; not listed as the office's PDF key, cannot tell.
    let pdf_key = trust
        .keys
        .iter()
        .find(|k| k.usage == KeyUsage::Pdf)
        .expect("the PDF-signing key is listed")
        .key_id
        .clone();
    let said = report.to_text();
    assert!(said.contains(&pdf_key), "{said}");
    let mut earlier = trust.clone();
    earlier
        .revoke(&pdf_key, "PDF key compromised", "2000-01-01T00:00:00Z")
        .unwrap();
    let r = verify_bytes("result.pdf", &pdf, &earlier);
    assert_eq!(r.verdict, Verdict::Invalid, "{}", r.to_text());
    assert!(r.to_text().contains("PDF key compromised"));
    let mut later = trust.clone();
    later
        .revoke(&pdf_key, "PDF key lost", "2099-01-01T00:00:00Z")
        .unwrap();
    let r = verify_bytes("result.pdf", &pdf, &later);
    assert_eq!(r.verdict, Verdict::CannotTell, "{}", r.to_text());
    let mut unlisted = trust.clone();
    unlisted.keys.retain(|k| k.key_id != pdf_key);
    let r = verify_bytes("result.pdf", &pdf, &unlisted);
    assert_eq!(r.verdict, Verdict::CannotTell, "{}", r.to_text());
    // Listed for another use than PDF signatures: not accepted either.
    let mut as_status = trust.clone();
    for k in as_status.keys.iter_mut().filter(|k| k.key_id == pdf_key) {
        k.usage = KeyUsage::Status;
    }
    let r = verify_bytes("result.pdf", &pdf, &as_status);
    assert_ne!(r.verdict, Verdict::Valid, "{}", r.to_text());

    // Another office's trust list: cannot tell.
    let other = tempfile::tempdir().unwrap();
    Credentials::load_or_create(other.path(), "UBND xã khác").unwrap();
    let foreign = TrustList::load(&other.path().join(TRUST_FILE)).unwrap();
    let r = verify_bytes("result.pdf", &pdf, &foreign);
    assert_ne!(r.verdict, Verdict::Valid, "{}", r.to_text());
}
