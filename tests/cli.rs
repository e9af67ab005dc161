//! The `docseal` binary end to end, in temporary data directories, on the
//! committed samples and on bad input.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lopdf::dictionary;
use serde_json::Value;

fn docseal(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_docseal"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env(
            "DOCSEAL_OFFICE",
            "UBND phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
        )
        .env("DOCSEAL_OPERATOR", "Trần Thị Thu")
        .output()
        .expect("the docseal binary runs")
}

fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples")
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn truth_of(source: &str) -> Value {
    let p = Path::new(source);
    let stem = p.file_stem().unwrap().to_string_lossy().to_string();
    let t = p.with_file_name(format!("{stem}.truth.json"));
    serde_json::from_slice(&std::fs::read(&t).unwrap()).unwrap()
}

/// One run over the committed samples, shared by the tests that read it.
fn run_samples(data: &Path) -> Vec<Value> {
    let out = docseal(data, &["run", "--json", samples_dir().to_str().unwrap()]);
    assert!(
        out.status.success(),
        "docseal run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_lines(&out)
}

#[test]
fn run_on_samples_types_and_fields_match_the_truth_and_results_verify() {
    let data = tempfile::tempdir().unwrap();
    let lines = run_samples(data.path());
    assert!(
        lines.len() >= 9,
        "expected the committed samples, got {}",
        lines.len()
    );
    let mut issued = 0;
    let mut right_type = 0;
    for line in &lines {
        let source = line["source"].as_str().unwrap();
        let truth = truth_of(source);
        let status = line["status"].as_str().unwrap();
        assert_ne!(status, "failed", "{source}: {}", line["error"]);
        let record = &line["record"];
        // Record shape exactly as the contract says.
        let mut keys: Vec<&str> = record
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            vec!["confidence", "doc_type", "fields", "needs_review"]
        );
        if record["doc_type"] == truth["doc_type"] {
            right_type += 1;
        }
        if status == "issued" {
            issued += 1;
            assert_eq!(record["doc_type"], truth["doc_type"], "{source}");
            assert!(record["needs_review"].as_array().unwrap().is_empty());
            // Every field of an issued record is right.
            for (name, got) in record["fields"].as_object().unwrap() {
                let want = &truth["fields"][name];
                let same = match (got.as_f64(), want.as_f64()) {
                    (Some(a), Some(b)) => (a - b).abs() < 1e-9,
                    _ => got == want,
                };
                assert!(same, "{source}: {name}: got {got}, truth {want}");
            }
            let doc = line["document_id"].as_str().unwrap();
            assert!(doc.starts_with("DS-"));
            let pdf = line["result_pdf"].as_str().unwrap();
            let v = docseal(data.path(), &["verify", pdf]);
            assert_eq!(
                v.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&v.stdout)
            );
        } else {
            assert!(line["document_id"].is_null());
        }
        if truth["doc_type"] == "unknown" {
            assert_eq!(status, "needs_review", "{source} is none of the types");
        }
    }
    assert!(
        right_type * 100 >= lines.len() * 95,
        "classification {right_type}/{}",
        lines.len()
    );
    assert!(
        issued * 2 >= lines.len(),
        "only {issued} of {} issued",
        lines.len()
    );

    // The same files again: no second document, same ids.
    let again = run_samples(data.path());
    let ids = |ls: &[Value]| -> BTreeMap<String, Value> {
        ls.iter()
            .map(|l| {
                (
                    l["source"].as_str().unwrap().to_string(),
                    l["document_id"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(ids(&lines), ids(&again));
    let status = docseal(data.path(), &["status", "--json"]);
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["counts"]["issued"].as_u64().unwrap(), issued as u64);
    assert_eq!(
        status["counts"]["received"].as_u64().unwrap(),
        lines.len() as u64
    );
}

#[test]
fn verify_rejects_a_manifest_with_one_byte_changed() {
    let data = tempfile::tempdir().unwrap();
    let lines = run_samples(data.path());
    let pdf = lines
        .iter()
        .find(|l| l["status"] == "issued")
        .and_then(|l| l["result_pdf"].as_str())
        .expect("at least one issued document")
        .to_string();
    let good = std::fs::read(&pdf).unwrap();

    // Change one byte of the attached manifest (a digit of the source hash).
    let mut doc = lopdf::Document::load_mem(&good).unwrap();
    let mut changed = false;
    for (_, obj) in doc.objects.iter_mut() {
        if let Ok(stream) = obj.as_stream_mut() {
            let is_file = stream
                .dict
                .get(b"Type")
                .and_then(|t| t.as_name())
                .is_ok_and(|n| n == b"EmbeddedFile");
            if is_file {
                let mut content = stream
                    .decompressed_content()
                    .unwrap_or(stream.content.clone());
                let Some(at) = find(&content, b"\"sha256\":\"") else {
                    continue; // the QR seal's text, not the manifest
                };
                let at = at + 10;
                content[at] = if content[at] == b'0' { b'1' } else { b'0' };
                stream.set_plain_content(content);
                changed = true;
            }
        }
    }
    assert!(changed, "the result PDF has an embedded manifest");
    let mut bad = Vec::new();
    doc.save_to(&mut bad).unwrap();
    let bad_path = data.path().join("tampered.pdf");
    std::fs::write(&bad_path, &bad).unwrap();
    let out = docseal(
        data.path(),
        &["verify", "--json", bad_path.to_str().unwrap()],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verdict"], "invalid");
    let manifest_check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "signature")
        .expect("the manifest's signature was checked");
    assert_eq!(manifest_check["status"], "fail", "{report}");
    let manifest_check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "signature")
        .expect("the manifest's signature was checked");
    assert_eq!(manifest_check["status"], "fail", "{report}");

    // Without the trust file the verifier cannot tell.
    let out = docseal(
        data.path(),
        &["verify", "--trust", "/nonexistent/trust.json", &pdf],
    );
    assert_eq!(out.status.code(), Some(2));
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A valid PNG of `w`×`h` 1-bit pixels, all white, built by hand so that a huge
/// one costs little to make.
fn blank_png(w: u32, h: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    let row_len = 1 + w.div_ceil(8) as usize;
    let mut row = vec![0xFFu8; row_len];
    row[0] = 0;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    for _ in 0..h {
        z.write_all(&row).unwrap();
    }
    chunk(&mut out, b"IDAT", &z.finish().unwrap());
    chunk(&mut out, b"IEND", &[]);
    out
}

#[test]
fn bad_inputs_fail_alone_with_a_clear_error() {
    let data = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good_png = std::fs::read_dir(samples_dir())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "png"))
        .expect("a PNG sample");
    let png = std::fs::read(&good_png).unwrap();
    std::fs::write(d.join("empty.png"), b"").unwrap();
    let mut noise = vec![0u8; 4096];
    let mut x: u32 = 12345;
    for b in noise.iter_mut() {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        *b = (x >> 16) as u8;
    }
    std::fs::write(d.join("random.jpg"), &noise).unwrap();
    std::fs::write(d.join("truncated.png"), &png[..png.len() / 2]).unwrap();
    std::fs::write(
        d.join("letter.pdf"),
        "Kính gửi: UBND phường\nThis is text.\n",
    )
    .unwrap();
    let mut no_images = lopdf::Document::with_version("1.7");
    let pages_id = no_images.new_object_id();
    let content = no_images.add_object(lopdf::Stream::new(
        lopdf::Dictionary::new(),
        b"0 0 m 100 100 l S".to_vec(),
    ));
    let page = no_images.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    no_images.objects.insert(
        pages_id,
        lopdf::Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1,
        }),
    );
    let catalog = no_images.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    no_images.trailer.set("Root", catalog);
    let mut bytes = Vec::new();
    no_images.save_to(&mut bytes).unwrap();
    std::fs::write(d.join("no-images.pdf"), bytes).unwrap();
    std::fs::write(d.join("huge.png"), blank_png(30_000, 30_000)).unwrap();
    std::fs::copy(&good_png, d.join("good.png")).unwrap();

    let out = docseal(data.path(), &["run", "--json", d.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 7);
    let by_name: BTreeMap<String, &Value> = lines
        .iter()
        .map(|l| {
            let s = l["source"].as_str().unwrap();
            (
                Path::new(s)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .to_string(),
                l,
            )
        })
        .collect();
    let expect = [
        ("empty.png", "empty"),
        ("random.jpg", "not a scan"),
        ("truncated.png", "corrupt or truncated"),
        ("letter.pdf", "not a scan"),
        ("no-images.pdf", "no page images"),
        ("huge.png", "more than the limit"),
    ];
    for (name, cause) in expect {
        let l = by_name[name];
        assert_eq!(l["status"], "failed", "{name}: {l}");
        let err = l["error"].as_str().unwrap();
        assert!(
            err.contains(name),
            "{name}: error does not name the file: {err}"
        );
        assert!(
            err.contains(cause),
            "{name}: error does not say `{cause}`: {err}"
        );
    }
    assert_ne!(by_name["good.png"]["status"], "failed");
}
