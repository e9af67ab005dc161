//! The `docseal` binary end to end, in temporary data directories, on the
//! committed samples and on bad input.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lopdf::dictionary;
use serde_json::Value;

mod common;
use common::json_lines;

fn docseal(data: &Path, args: &[&str]) -> Output {
    docseal_with_env(data, args, &[])
}

fn docseal_with_env(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_docseal"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env(
            "DOCSEAL_OFFICE",
            "UBND phường Bến Nghé, Quận 1, TP. Hồ Chí Minh",
        )
        .env("DOCSEAL_OPERATOR", "Trần Thị Thu")
        .envs(env.iter().copied())
        .output()
        .expect("the docseal binary runs")
}

fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// `docseal run --json` with `env`, which must succeed; its output lines.
fn run_json(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Vec<Value> {
    let out = docseal_with_env(data, &[&["run", "--json"], args].concat(), env);
    assert!(
        out.status.success(),
        "docseal run failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_lines(&out)
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
    assert_eq!(out.status.code(), Some(4));
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

/// `pdftotext` (poppler-utils) of pages `first..=last` of a PDF.
fn pdftotext(pdf: &Path, first: u32, last: u32) -> String {
    let out = Command::new("pdftotext")
        .args([
            "-f",
            &first.to_string(),
            "-l",
            &last.to_string(),
            "-enc",
            "UTF-8",
        ])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 text")
}

/// Upper-case words, for comparing page text with normalized field values.
fn upper_words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .map(str::to_uppercase)
        .collect()
}

/// The share of the words of `value` that occur in `words`.
fn share_found(value: &str, words: &[String]) -> f64 {
    let wanted = upper_words(value);
    let found = wanted.iter().filter(|w| words.contains(w)).count();
    found as f64 / wanted.len().max(1) as f64
}

#[test]
fn result_pdf_text_and_hocr_hold_the_words_of_the_scan() {
    let data = tempfile::tempdir().unwrap();
    let scan = samples_dir().join("0000_birth_certificate.png");
    let truth = truth_of(scan.to_str().unwrap());
    let line = run_json(data.path(), &[scan.to_str().unwrap()], &[]).remove(0);
    assert_eq!(line["status"], "issued", "{line}");
    // A record of OCRed pages has exactly the contract's shape.
    assert!(line["record"].get("text_sources").is_none(), "{line}");

    // pdftotext on the scanned page alone (not the certificate page, which
    // prints the record) returns the page's words.
    let pdf = PathBuf::from(line["result_pdf"].as_str().unwrap());
    let page_words = upper_words(&pdftotext(&pdf, 1, 1));
    for field in ["full_name", "mother_name", "father_name", "place_of_birth"] {
        let value = truth["fields"][field].as_str().unwrap();
        let share = share_found(value, &page_words);
        assert!(
            share >= 0.6,
            "{field} `{value}`: {share:.2} of its words in {page_words:?}"
        );
    }
    for field in ["personal_id", "registration_number"] {
        let value = truth["fields"][field].as_str().unwrap();
        assert!(
            page_words.iter().any(|w| w == value),
            "{field} {value} in {page_words:?}"
        );
    }

    // The hOCR beside it is well-formed and holds the same words.
    let hocr_path = PathBuf::from(line["hocr"].as_str().expect("an hOCR object"));
    assert!(
        hocr_path.starts_with(data.path().join("objects").join("hocr")),
        "{hocr_path:?}"
    );
    let hocr = std::fs::read_to_string(&hocr_path).unwrap();
    let words = docseal::hocr::read_words(&hocr).expect("well-formed hOCR");
    assert!(words.len() > 50, "{} words", words.len());
    let personal_id = truth["fields"]["personal_id"].as_str().unwrap();
    assert!(words.iter().any(|w| w == personal_id), "{words:?}");
    assert!(hocr.contains("class=\"ocr_page\"") && hocr.contains("x_wconf"));

    // Processing the scan again keeps the same object, byte for byte.
    let again = run_json(data.path(), &["--force", scan.to_str().unwrap()], &[]).remove(0);
    assert_eq!(again["hocr"], line["hocr"]);
    assert_eq!(std::fs::read_to_string(&hocr_path).unwrap(), hocr);
}

/// The text of sample 0000 as a born-digital form would print it.
const BIRTH_CERTIFICATE: &[&str] = &[
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "GIẤY KHAI SINH",
    "Số: 461/1990",
    "Họ, chữ đệm, tên: Hoàng Hoàng Khải",
    "Ngày, tháng, năm sinh: 11/08/1990",
    "Giới tính: Nam",
    "Quốc tịch: Việt Nam",
    "Nơi sinh: Phường Mỹ Long, thành phố Long Xuyên, tỉnh An Giang",
    "Số định danh cá nhân: 089090925170",
    "Họ, chữ đệm, tên người mẹ: Nguyễn Ngọc Oanh",
    "Họ, chữ đệm, tên người cha: Hoàng Trọng Huy",
    "Nơi đăng ký: UBND phường Mỹ Bình, thành phố Long Xuyên, tỉnh An Giang",
    "Ngày, tháng, năm đăng ký: 10/09/1990",
    "An Giang, ngày 10 tháng 9 năm 1990",
];

/// An A4 PDF with `lines` in an embedded Unicode TrueType font (Type0,
/// Identity-H, ToUnicode) in render mode `mode`, over `jpeg` when given.
fn text_pdf(lines: &[&str], mode: u8, jpeg: Option<&[u8]>) -> Vec<u8> {
    use docseal::pdf::write::{Content, PdfBuilder};
    let fonts = docseal::render::FontSet::find().expect("Noto or DejaVu fonts");
    let mut b = PdfBuilder::new();
    let font = b.add_font(&fonts.regular).unwrap();
    let image = jpeg.map(|j| b.add_jpeg(j).expect("a baseline JPEG"));
    let mut c = Content::new();
    if image.is_some() {
        c.image("Im1", 0.0, 0.0, 595.0, 842.0);
    }
    for (i, line) in lines.iter().enumerate() {
        c.begin_text();
        c.render_mode(mode);
        c.font("F1", 12.0);
        let x = if i < 4 { 150.0 } else { 60.0 };
        c.text_at(x, 780.0 - 26.0 * i as f32);
        c.show(b.font(font), line);
        c.end_text();
    }
    let images: Vec<_> = image.iter().map(|i| ("Im1", *i)).collect();
    b.add_page(595.0, 842.0, c, &[("F1", font)], &images);
    b.finish().unwrap()
}

#[test]
fn born_digital_pdfs_are_read_from_their_text_and_hidden_layers_are_not_trusted() {
    let data = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let born = dir.path().join("born-digital.pdf");
    std::fs::write(&born, text_pdf(BIRTH_CERTIFICATE, 0, None)).unwrap();
    // A scan of another person with an invisible text layer that claims to
    // be sample 0000: the layer must be ignored and the scan read.
    let other = samples_dir().join("0009_birth_certificate.jpg");
    let forged = dir.path().join("forged-layer.pdf");
    let jpeg = std::fs::read(&other).unwrap();
    std::fs::write(&forged, text_pdf(BIRTH_CERTIFICATE, 3, Some(&jpeg))).unwrap();

    let lines = run_json(data.path(), &[dir.path().to_str().unwrap()], &[]);
    let by_name = |name: &str| -> &Value {
        lines
            .iter()
            .find(|l| l["source"].as_str().unwrap().ends_with(name))
            .unwrap()
    };

    let l = by_name("born-digital.pdf");
    assert_eq!(l["status"], "issued", "{l}");
    assert_eq!(l["record"]["text_sources"], serde_json::json!(["pdf_text"]));
    let want = truth_of(
        samples_dir()
            .join("0000_birth_certificate.png")
            .to_str()
            .unwrap(),
    );
    assert_eq!(l["record"]["doc_type"], want["doc_type"]);
    for (field, value) in want["fields"].as_object().unwrap() {
        assert_eq!(&l["record"]["fields"][field], value, "{field}");
    }
    // The result shows the text it was read from, and pdftotext finds it.
    let pdf = PathBuf::from(l["result_pdf"].as_str().unwrap());
    let page = pdftotext(&pdf, 1, 1);
    assert!(
        page.contains("Hoàng Hoàng Khải") && page.contains("089090925170"),
        "{page}"
    );
    let hocr = std::fs::read_to_string(l["hocr"].as_str().unwrap()).unwrap();
    assert!(hocr.contains("x_source pdf_text"));

    let l = by_name("forged-layer.pdf");
    assert!(l["record"].get("text_sources").is_none(), "OCRed: {l}");
    assert!(std::fs::read_to_string(l["hocr"].as_str().unwrap())
        .unwrap()
        .contains("x_source ocr"));
    let truth = truth_of(other.to_str().unwrap());
    assert_eq!(l["record"]["doc_type"], truth["doc_type"]);
    assert_eq!(
        l["record"]["fields"]["personal_id"], truth["fields"]["personal_id"],
        "{l}"
    );
    assert_ne!(
        l["record"]["fields"]["full_name"],
        want["fields"]["full_name"]
    );
}

#[test]
fn limits_are_configurable_and_errors_name_the_file() {
    let data = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/decode");
    let tiff = dir.path().join("two-pages.tif");
    let png = dir.path().join("big.png");
    std::fs::copy(fixtures.join("libtiff-g4-2pages.tif"), &tiff).unwrap();
    std::fs::copy(fixtures.join("rgb.png"), &png).unwrap();
    let lines = run_json(
        data.path(),
        &[dir.path().to_str().unwrap()],
        &[("DOCSEAL_MAX_PAGES", "1"), ("DOCSEAL_MAX_PIXELS", "50000")],
    );
    assert_eq!(lines.len(), 2);
    for (name, cause) in [
        ("two-pages.tif", "2 pages, more than the limit of 1"),
        ("big.png", "300×200 pixels, more than the limit of 50000"),
    ] {
        let l = lines
            .iter()
            .find(|l| l["source"].as_str().unwrap().ends_with(name))
            .unwrap();
        assert_eq!(l["status"], "failed", "{l}");
        let err = l["error"].as_str().unwrap();
        assert!(err.contains(name) && err.contains(cause), "{name}: {err}");
        assert!(l["hocr"].is_null());
    }
    let bad = docseal_with_env(data.path(), &["status"], &[("DOCSEAL_MAX_PAGES", "none")]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("DOCSEAL_MAX_PAGES"));
}
