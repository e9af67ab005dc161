//! Per-stage costs of everything around OCR: sealing and checking manifests,
//! issuing a typical result document (seal, QR, render, PDF signature) and
//! verifying it. One iteration is one document on one core, so documents per
//! second per core is 1 / the time shown. OCR itself is measured end to end by
//! `benches/throughput.sh`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use docseal::model::{IssuedAt, Issuer, Manifest, Record, SourceInfo, MANIFEST_FORMAT};
use docseal::office::{Signer, TrustList, TrustedKey, TRUST_FORMAT};
use docseal::seal;

fn manifest(signer: &Signer) -> Manifest {
    let mut record = Record::unknown(0.97);
    record.doc_type = Some(docseal::schema::DocType::BirthCertificate);
    for f in &docseal::schema::DocType::BirthCertificate.schema().fields {
        record.fields.insert(
            f.name.clone(),
            serde_json::json!("NGUYỄN THỊ HƯỜNG 2024-07-05"),
        );
        record.confidence.fields.insert(f.name.clone(), 0.97);
    }
    Manifest {
        format: MANIFEST_FORMAT.into(),
        document_id: "DS-0000-0000-0000-0000".into(),
        doc_type: "birth_certificate".into(),
        schema_id: "urn:docseal:schema:birth_certificate:1".into(),
        record,
        source: SourceInfo {
            sha256: "ab".repeat(32),
            pages: 1,
            media_type: "image/png".into(),
        },
        pipeline_version: docseal::PIPELINE_VERSION.into(),
        issuer: Issuer {
            office: "UBND phường Bến Nghé".into(),
            operator: "Trần Thị Thu".into(),
        },
        issued_at: IssuedAt::parse("2026-01-02T03:04:05Z").expect("a time"),
        key_id: signer.key_id().into(),
        review: None,
        dossier: None,
        layout: None,
    }
}

fn bench_seal(c: &mut Criterion) {
    let signer = Signer::from_secret(&[9u8; 32]);
    let m = manifest(&signer);
    c.bench_function("seal manifest (JCS + Ed25519)", |b| {
        b.iter_batched(
            || m.clone(),
            |m| seal::seal(m, &signer),
            BatchSize::SmallInput,
        )
    });
    let (_, bytes) = seal::seal(m, &signer).expect("seal");
    use base64::Engine as _;
    let trust = TrustList {
        format: TRUST_FORMAT.into(),
        keys: vec![TrustedKey {
            key_id: signer.key_id().into(),
            office: "x".into(),
            algorithm: "Ed25519".into(),
            public_key: base64::engine::general_purpose::STANDARD
                .encode(signer.verifying_key().as_bytes()),
            not_before: "2020-01-01T00:00:00Z".into(),
            not_after: None,
            revoked_at: None,
            revocation_reason: None,
            usage: Default::default(),
        }],
        roots: vec![],
        logs: vec![],
        signed_at: None,
        signature: None,
    };
    c.bench_function("check signed manifest", |b| {
        b.iter(|| seal::check_signed_manifest(&bytes, &trust))
    });
}

fn bench_issue_and_verify(c: &mut Criterion) {
    use docseal::pipeline::{self, IssueContext, PipelineOptions};
    let scan =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/0000_birth_certificate.png");
    let bytes = std::fs::read(scan).expect("the committed sample");
    let analysis = pipeline::analyze(&bytes, &PipelineOptions::default()).expect("analysis");
    let keys = tempfile::tempdir().expect("a temp dir");
    let creds = docseal::office::Credentials::load_or_create(keys.path(), "UBND phường Bến Nghé")
        .expect("keys");
    let fonts = docseal::render::FontSet::find().expect("fonts");
    let issuer = Issuer {
        office: "UBND phường Bến Nghé".into(),
        operator: "Trần Thị Thu".into(),
    };
    let ctx = IssueContext {
        issuer: &issuer,
        issued_at: IssuedAt::from_unix_seconds(1_780_000_000),
        credentials: &creds,
        fonts: &fonts,
        pipeline_version: docseal::PIPELINE_VERSION,
        pdf_signature: Default::default(),
    };
    c.bench_function("issue a result PDF (seal, QR, render, sign)", |b| {
        b.iter(|| pipeline::issue(&analysis, &ctx).expect("issued"))
    });
    let pdf = pipeline::issue(&analysis, &ctx).expect("issued").pdf;
    let trust = TrustList::load(&keys.path().join(docseal::office::TRUST_FILE)).expect("trust");
    c.bench_function("verify a result PDF (all checks)", |b| {
        b.iter(|| docseal::verify::verify_bytes("result.pdf", &pdf, &trust))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench_seal, bench_issue_and_verify
}
criterion_main!(benches);
