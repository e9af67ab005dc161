use std::collections::BTreeMap;
use std::process::Command;

use image::{DynamicImage, GrayImage, Luma};
use serde_json::json;

use super::*;
use crate::model::{BBox, Confidence, IssuedAt, Issuer, Line, Record, SourceInfo, Word};
use crate::pdf::write::{page_text, read_attachment};
use crate::schema::DocType;

fn fonts() -> FontSet {
    match FontSet::find() {
        Ok(f) => f,
        Err(e) => panic!("{e}"),
    }
}

fn manifest(doc_type: DocType, fields: serde_json::Value) -> Manifest {
    let fields: BTreeMap<String, serde_json::Value> = serde_json::from_value(fields).unwrap();
    Manifest {
        format: "docseal-manifest/1".into(),
        document_id: "01J2ZK8Q4T6W3XBN5R7M9P0ASD".into(),
        doc_type: doc_type.as_str().into(),
        schema_id: doc_type.schema().id.clone(),
        record: Record {
            doc_type: Some(doc_type),
            fields,
            confidence: Confidence::default(),
            needs_review: vec![],
            text_sources: vec![],
            review_reasons: BTreeMap::new(),
            places: BTreeMap::new(),
            reread: BTreeMap::new(),
        },
        source: SourceInfo {
            sha256: "9f2c4a1b7e3d5f60812a9c0b4d6e8f1a2b3c4d5e6f708192a3b4c5d6e7f80912".into(),
            pages: 1,
            media_type: "image/jpeg".into(),
        },
        pipeline_version: "docseal/0.1.0".into(),
        issuer: Issuer {
            office: "UBND phường Bến Nghé, TP. Hồ Chí Minh".into(),
            operator: "Trần Thị Hường".into(),
        },
        issued_at: IssuedAt::parse("2024-07-05T09:30:00Z").unwrap(),
        key_id: "ubnd-ben-nghe-2024".into(),
        review: None,
        dossier: None,
        layout: None,
    }
}

fn birth() -> Manifest {
    manifest(
        DocType::BirthCertificate,
        json!({
            "registration_number": "125/2024",
            "full_name": "NGUYỄN VĂN ĐỨC",
            "date_of_birth": "2024-03-12",
            "sex": "male",
            "ethnicity": "Kinh",
            "nationality": "Việt Nam",
            "place_of_birth": "Bệnh viện Hùng Vương, Quận 5, Thành phố Hồ Chí Minh",
            "personal_id": "079224001234",
            "mother_name": "LÊ THỊ QUỲNH",
            "father_name": "NGUYỄN VĂN AN",
            "registration_office": "UBND phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh",
            "registration_date": "2024-03-20"
        }),
    )
}

fn land() -> Manifest {
    manifest(
        DocType::LandUseCertificate,
        json!({
            "serial": "CS 123456",
            "holder_name": "PHẠM THỊ HƯỜNG",
            "holder_id": "001050012345",
            "parcel_number": 1234,
            "map_sheet": 15,
            "address": "Thôn Đông, xã Quỳnh Lâm, huyện Quỳnh Lưu, tỉnh Nghệ An, thửa đất tiếp giáp đường liên xã phía Đông và kênh thủy lợi phía Tây",
            "area_m2": 1520.5,
            "land_use_purpose": "Đất ở tại nông thôn",
            "land_use_term": "Lâu dài",
            "issue_date": "2019-11-02"
        }),
    )
}

/// A white page with a few dark bars and the OCR words that "are" on it.
fn scan(jpeg: bool) -> (Page, OcrPage) {
    let (w, h) = (1240u32, 1754u32); // A4 at 150 dpi
    let img = GrayImage::from_fn(w, h, |x, y| {
        let ink = (y / 40) % 3 == 1 && (200..1000).contains(&x) && (y % 40) > 10;
        Luma([if ink { 30 } else { 245 }])
    });
    let jpeg_bytes = jpeg.then(|| {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 75)
            .encode_image(&img)
            .unwrap();
        out
    });
    let word = |text: &str, x0, y0, x1, y1| Word {
        text: text.into(),
        conf: 0.95,
        bbox: BBox { x0, y0, x1, y1 },
    };
    let ocr = OcrPage {
        width: w,
        height: h,
        dpi: 150,
        lines: vec![
            Line {
                words: vec![
                    word("CỘNG", 300, 100, 420, 130),
                    word("HÒA", 430, 100, 520, 130),
                    word("XÃ", 530, 100, 590, 130),
                    word("HỘI", 600, 100, 680, 130),
                ],
            },
            Line {
                words: vec![
                    word("GIẤY", 450, 220, 580, 262),
                    word("KHAI", 595, 220, 720, 262),
                    word("SINH", 735, 220, 860, 262),
                ],
            },
            Line {
                words: vec![
                    word("Họ,", 150, 400, 210, 430),
                    word("chữ", 220, 400, 290, 430),
                    word("đệm,", 300, 400, 380, 430),
                    word("tên:", 390, 400, 450, 430),
                    word("NGUYỄN", 470, 398, 640, 430),
                    word("VĂN", 655, 398, 730, 430),
                    word("ĐỨC", 745, 398, 830, 430),
                ],
            },
        ],
        source: Default::default(),
    };
    let page = Page {
        image: DynamicImage::ImageLuma8(img),
        dpi: Some(150),
        original: jpeg_bytes,
    };
    (page, ocr)
}

fn render_one(m: &Manifest, jpeg: bool) -> (Vec<u8>, Page, OcrPage) {
    let (page, ocr) = scan(jpeg);
    let pdf = render_page(m, &page, &ocr, &fonts());
    (pdf, page, ocr)
}

/// The result PDF of one scanned page, without a QR seal.
fn render_page(m: &Manifest, page: &Page, ocr: &OcrPage, fonts: &FontSet) -> Vec<u8> {
    let attachment = serde_json::to_vec(m).unwrap();
    let input = RenderInput {
        pages: std::slice::from_ref(page),
        ocr: std::slice::from_ref(ocr),
        manifest: m,
        attachment: &attachment,
        qr: None,
        trust: None,
    };
    render(&input, fonts).unwrap()
}

#[test]
fn certificate_page_reads_back_as_certificate_lines() {
    for m in [birth(), land()] {
        let (pdf, _, _) = render_one(&m, true);
        let lines = certificate_lines(&m);
        assert_eq!(page_text(&pdf, 1).unwrap(), lines);
        assert!(
            lines.contains(&"Họ, chữ đệm, tên: NGUYỄN VĂN ĐỨC".to_string())
                || m.doc_type != "birth_certificate"
        );
    }
}

#[test]
fn certificate_lines_say_what_the_record_says() {
    let lines = certificate_lines(&birth());
    let expect = [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "BẢN ĐIỆN TỬ CHUYỂN ĐỔI TỪ BẢN GIẤY",
        "GIẤY KHAI SINH",
        "Số: 125/2024",
        "Ngày, tháng, năm sinh: 12/03/2024",
        "Giới tính: Nam",
        "Họ, chữ đệm, tên người mẹ: LÊ THỊ QUỲNH",
        "Mã tài liệu / Document ID: 01J2ZK8Q4T6W3XBN5R7M9P0ASD",
        "Thời điểm cấp / Issued at: 05/07/2024 16:30:00 (UTC+07:00)",
    ];
    for e in expect {
        assert!(lines.iter().any(|l| l == e), "missing {e:?} in {lines:#?}");
    }
    // Fields in the order of the contract, not alphabetical.
    let at = |prefix: &str| lines.iter().position(|l| l.starts_with(prefix)).unwrap();
    assert!(at("Số: ") < at("Họ, chữ đệm, tên: NGUYỄN"));
    assert!(at("Họ, chữ đệm, tên: NGUYỄN") < at("Ngày, tháng, năm sinh:"));
    assert!(at("Nơi đăng ký:") < at("Ngày, tháng, năm đăng ký:"));
    let statement = lines
        .iter()
        .find(|l| l.starts_with("Bản điện tử này"))
        .unwrap();
    assert!(statement.contains("UBND phường Bến Nghé, TP. Hồ Chí Minh"));
    assert!(statement.contains("Trần Thị Hường"));
    assert!(statement.contains("docseal/0.1.0"));
    let land = certificate_lines(&land());
    assert!(land.contains(&"Diện tích: 1.520,5 m²".to_string()));
    assert!(land.contains(&"Thửa đất số: 1.234".to_string()));
}

#[test]
fn scanned_page_text_layer_reads_back_line_by_line() {
    let (pdf, _, ocr) = render_one(&birth(), false);
    let want: Vec<String> = ocr.lines.iter().map(|l| l.text()).collect();
    assert_eq!(page_text(&pdf, 0).unwrap(), want);
}

#[test]
fn manifest_is_attached() {
    let m = birth();
    let (pdf, _, _) = render_one(&m, true);
    let got = read_attachment(&pdf, MANIFEST_ATTACHMENT).unwrap().unwrap();
    assert_eq!(got, serde_json::to_vec(&m).unwrap());
}

#[test]
fn jpeg_page_is_embedded_byte_for_byte() {
    let (pdf, page, _) = render_one(&birth(), true);
    let jpeg = page.original.unwrap();
    assert!(pdf.windows(jpeg.len()).any(|w| w == jpeg.as_slice()));
}

/// A gray or RGB PNG page goes into the result with its compressed data as
/// is, and poppler's `pdfimages` takes exactly the scan's pixels out of it.
#[test]
fn png_page_is_embedded_as_is_and_reads_back_the_same() {
    let (gray_page, ocr) = scan(false);
    let gray = gray_page.image.to_luma8();
    let rgb = image::RgbImage::from_fn(gray.width(), gray.height(), |x, y| {
        let g = gray.get_pixel(x, y)[0];
        image::Rgb([g, g.saturating_add((x % 7) as u8), 255 - g / 2])
    });
    let dir = tempfile::tempdir().unwrap();
    for (name, img) in [
        ("gray", DynamicImage::ImageLuma8(gray.clone())),
        ("rgb", DynamicImage::ImageRgb8(rgb)),
    ] {
        let mut png = Vec::new();
        img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        // As decode hands on a PNG without transparency (its tests check
        // that it does): the pixels, no stated resolution, the file as is.
        let page = Page {
            image: img.clone(),
            dpi: None,
            original: Some(png.clone()),
        };
        let pdf = render_page(&birth(), &page, &ocr, &fonts());
        let idat = crate::headers::png_idat(&png);
        assert!(
            pdf.windows(idat.len()).any(|w| w == idat.as_slice()),
            "{name}: the PNG's data is not in the PDF"
        );
        let path = dir.path().join(format!("{name}.pdf"));
        std::fs::write(&path, &pdf).unwrap();
        let prefix = dir.path().join(name);
        let status = Command::new("pdfimages")
            .args(["-f", "1", "-l", "1", "-png"])
            .arg(&path)
            .arg(&prefix)
            .status()
            .expect("pdfimages (poppler-utils) runs");
        assert!(status.success());
        let out = image::open(dir.path().join(format!("{name}-000.png"))).unwrap();
        assert_eq!(out.to_rgb8(), img.to_rgb8(), "{name}: pixels differ");
    }
}

#[test]
fn page_size_comes_from_pixels_and_dpi() {
    let (pdf, _, _) = render_one(&birth(), true);
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let pages = doc.get_pages();
    let media = |n: u32| {
        let page = doc.get_dictionary(pages[&n]).unwrap();
        let mb = page.get(b"MediaBox").unwrap().as_array().unwrap();
        (mb[2].as_float().unwrap(), mb[3].as_float().unwrap())
    };
    let (w, h) = media(1);
    assert!(
        (w - 595.2).abs() < 0.1 && (h - 841.92).abs() < 0.1,
        "{w} x {h}"
    );
    let (w, h) = media(2);
    assert!((w - PAGE_WIDTH).abs() < 0.01 && (h - PAGE_HEIGHT).abs() < 0.01);
}

#[test]
fn same_input_same_bytes() {
    let m = birth();
    let (a, _, _) = render_one(&m, false);
    let (b, _, _) = render_one(&m, false);
    assert_eq!(a, b);
}

#[test]
fn errors_name_the_problem() {
    let m = birth();
    let f = fonts();
    let input = RenderInput {
        pages: &[],
        ocr: &[],
        manifest: &m,
        attachment: b"{}",
        qr: None,
        trust: None,
    };
    assert!(matches!(render(&input, &f), Err(RenderError::NoPages)));
    let (page, _) = scan(false);
    let input = RenderInput {
        pages: std::slice::from_ref(&page),
        ocr: &[],
        manifest: &m,
        attachment: b"{}",
        qr: None,
        trust: None,
    };
    assert!(matches!(
        render(&input, &f),
        Err(RenderError::OcrMismatch { pages: 1, ocr: 0 })
    ));

    let mut long = birth();
    long.record
        .fields
        .insert("place_of_birth".into(), json!("Bệnh viện ".repeat(800)));
    let (page, ocr) = scan(false);
    let input = RenderInput {
        pages: std::slice::from_ref(&page),
        ocr: std::slice::from_ref(&ocr),
        manifest: &long,
        attachment: b"{}",
        qr: None,
        trust: None,
    };
    match render(&input, &f) {
        Err(RenderError::CertificateTooLong { field, .. }) => assert_eq!(field, "place_of_birth"),
        other => panic!("expected CertificateTooLong, got {other:?}"),
    }

    let missing = std::path::Path::new("/nonexistent/NotoSerif-Regular.ttf");
    let err = FontSet::load(missing, missing).unwrap_err().to_string();
    assert!(err.contains("/nonexistent/NotoSerif-Regular.ttf"), "{err}");
}

/// `pdftotext` (poppler) sees the OCR words of the scanned page and the
/// certificate's text, as any viewer's search would.
#[test]
fn pdftotext_reads_scan_words_and_certificate() {
    let m = birth();
    let (pdf, _, ocr) = render_one(&m, true);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("result.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let run = |page: u32| -> Option<String> {
        let out = Command::new("pdftotext")
            .args([
                "-f",
                &page.to_string(),
                "-l",
                &page.to_string(),
                "-enc",
                "UTF-8",
            ])
            .arg(&path)
            .arg("-")
            .output()
            .ok()?;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(String::from_utf8(out.stdout).unwrap())
    };
    let Some(page1) = run(1) else {
        eprintln!("pdftotext is not installed (Debian: poppler-utils); skipping");
        return;
    };
    let got: Vec<String> = page1
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    let want: Vec<String> = ocr.lines.iter().map(|l| l.text()).collect();
    assert_eq!(got, want, "pdftotext page 1:\n{page1}");
    let page2 = run(2).unwrap();
    // Long values wrap, and a hash wraps inside itself: compare without spaces.
    let dense: String = page2.split_whitespace().collect();
    for line in certificate_lines(&m) {
        let line: String = line.split_whitespace().collect();
        assert!(dense.contains(&line), "pdftotext lacks {line:?}:\n{page2}");
    }
    let flat = page2.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("NGUYỄN VĂN ĐỨC"));
    assert!(flat.contains("BẢN ĐIỆN TỬ CHUYỂN ĐỔI TỪ BẢN GIẤY"));
}

/// `qpdf --check` finds no structural errors (skipped when qpdf is absent).
#[test]
fn qpdf_finds_no_errors() {
    let (pdf, _, _) = render_one(&land(), true);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("result.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let Ok(out) = Command::new("qpdf").arg("--check").arg(&path).output() else {
        eprintln!("qpdf is not installed (Debian: qpdf); skipping");
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "qpdf --check:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("No syntax or stream encoding errors"),
        "{text}"
    );
}

/// Writes sample result PDFs to `$DOCSEAL_RENDER_SAMPLES` for a person to look at.
#[test]
fn write_samples_when_asked() {
    let Ok(dir) = std::env::var("DOCSEAL_RENDER_SAMPLES") else {
        return;
    };
    for (name, m, jpeg) in [("birth.pdf", birth(), true), ("land.pdf", land(), false)] {
        let (pdf, _, _) = render_one(&m, jpeg);
        std::fs::write(std::path::Path::new(&dir).join(name), pdf).unwrap();
    }
}

/// How long `render` takes for one A4 page at 300 dpi, as JPEG, gray and
/// black-and-white pixels:
/// `cargo test --lib render::tests::render_time -- --ignored --nocapture`.
#[test]
#[ignore]
fn render_time() {
    let (w, h) = (2480u32, 3508u32);
    let mut seed = 12345u32;
    let img = GrayImage::from_fn(w, h, |x, y| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let noise = (seed >> 24) as u8 % 12;
        let ink =
            (y / 80) % 3 == 1 && (300..2200).contains(&x) && (y % 80) > 20 && (x / 23) % 5 != 0;
        Luma([if ink { 25 + noise } else { 240 + noise }])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80)
        .encode_image(&img)
        .unwrap();
    let bw = GrayImage::from_fn(w, h, |x, y| {
        Luma([if img.get_pixel(x, y)[0] < 128 { 0 } else { 255 }])
    });
    let (_, mut ocr) = scan(false);
    ocr.width = w;
    ocr.height = h;
    ocr.dpi = 300;
    let m = birth();
    let f = fonts();
    for (name, page) in [
        (
            "jpeg",
            Page {
                image: DynamicImage::ImageLuma8(img.clone()),
                dpi: Some(300),
                original: Some(jpeg.clone()),
            },
        ),
        (
            "gray",
            Page {
                image: DynamicImage::ImageLuma8(img.clone()),
                dpi: Some(300),
                original: None,
            },
        ),
        (
            "1-bit",
            Page {
                image: DynamicImage::ImageLuma8(bw.clone()),
                dpi: Some(300),
                original: None,
            },
        ),
    ] {
        let start = std::time::Instant::now();
        let pdf = render_page(&m, &page, &ocr, &f);
        let took = start.elapsed();
        println!(
            "{name}: {} bytes in {:.1} ms (scan JPEG {} bytes)",
            pdf.len(),
            took.as_secs_f64() * 1e3,
            jpeg.len()
        );
    }
}

/// `m` as this version issues it: the top-left QR layout, with a dossier.
fn with_dossier(mut m: Manifest) -> Manifest {
    m.layout = Some(crate::model::LAYOUT_QR_TOP_LEFT);
    m.dossier = Some(crate::dossier::DossierResult {
        dossier_code: "000.00.12.H29-250701-0001".into(),
        procedure_code: Some("1.004227".into()),
        result_code: "000.00.12.H29-250701-0001-KQ1".into(),
    });
    m
}

#[test]
fn the_top_left_layout_prints_the_codes_system_and_lookup() {
    let m = with_dossier(land());
    let (page, ocr) = scan(true);
    let attachment = serde_json::to_vec(&m).unwrap();
    let qr = "DS1:TEST-QR-TEXT";
    let pdf = render(
        &RenderInput {
            pages: std::slice::from_ref(&page),
            ocr: std::slice::from_ref(&ocr),
            manifest: &m,
            attachment: &attachment,
            qr: Some(qr),
            trust: None,
        },
        &fonts(),
    )
    .unwrap();
    let lines = page_text(&pdf, 1).unwrap();
    assert_eq!(lines, certificate_lines(&m));
    let lookup = format!(
        "Tra cứu / Lookup: {} tại / at /d/{}",
        m.document_id, m.document_id
    );
    for want in [
        lookup.as_str(),
        "Mã kết quả / Result code: 000.00.12.H29-250701-0001-KQ1",
        "Mã hồ sơ / Dossier code: 000.00.12.H29-250701-0001",
        "Mã thủ tục / Procedure code: 1.004227",
        "Hệ thống / System: docseal · UBND phường Bến Nghé, TP. Hồ Chí Minh",
    ] {
        assert!(lines.iter().any(|l| l == want), "{want} not in {lines:#?}");
    }
    // The seal is drawn at the top left, not where the first layout had it.
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let (_, last) = doc.get_pages().into_iter().next_back().unwrap();
    let content = doc.get_page_content(last);
    let at = |area: Rect| {
        let ops = qr_ops_at(qr, area).unwrap();
        content.windows(ops.len()).any(|w| w == ops.as_slice())
    };
    assert!(at(QR_AREA_TOP_LEFT) && !at(QR_AREA));
    const { assert!(QR_AREA_TOP_LEFT.y > PAGE_HEIGHT / 2.0 && QR_AREA_TOP_LEFT.x < PAGE_WIDTH / 4.0) };
    // An older manifest keeps its layout and lines.
    assert!(!certificate_lines(&land())
        .iter()
        .any(|l| l.starts_with("Tra cứu")));
}

/// Every object of a document, streams' dictionaries included.
fn dictionaries(doc: &lopdf::Document) -> Vec<&lopdf::Dictionary> {
    doc.objects
        .values()
        .filter_map(|o| match o {
            lopdf::Object::Dictionary(d) => Some(d),
            lopdf::Object::Stream(s) => Some(&s.dict),
            _ => None,
        })
        .collect()
}

#[test]
fn the_result_is_pdf_a_3b_in_structure() {
    use lopdf::Object;
    let m = with_dossier(birth());
    let (pdf, _, _) = render_one(&m, true);
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let catalog = doc.catalog().unwrap();
    let deref = |o: &Object| -> Object {
        match o {
            Object::Reference(id) => doc.get_object(*id).unwrap().clone(),
            other => other.clone(),
        }
    };

    // XMP: PDF/A-3B, agreeing with /Info.
    let Object::Stream(meta) = deref(catalog.get(b"Metadata").unwrap()) else {
        panic!("no metadata stream")
    };
    assert_eq!(
        meta.dict.get(b"Subtype").unwrap().as_name().unwrap(),
        b"XML"
    );
    assert!(meta.dict.get(b"Filter").is_err(), "XMP left uncompressed");
    let xmp = String::from_utf8(meta.content.clone()).unwrap();
    assert!(xmp.contains("<pdfaid:part>3</pdfaid:part>"), "{xmp}");
    assert!(xmp.contains("<pdfaid:conformance>B</pdfaid:conformance>"));
    let info_id = doc.trailer.get(b"Info").unwrap().as_reference().unwrap();
    let info = doc.get_dictionary(info_id).unwrap();
    let title = crate::pdf::syntax::decode_text(info.get(b"Title").unwrap().as_str().unwrap());
    assert!(
        xmp.contains(&format!("<rdf:li xml:lang=\"x-default\">{title}</rdf:li>")),
        "dc:title {title} in {xmp}"
    );
    assert_eq!(
        info.get(b"CreationDate").unwrap().as_str().unwrap(),
        b"D:20240705093000Z"
    );
    assert!(xmp.contains("<xmp:CreateDate>2024-07-05T09:30:00Z</xmp:CreateDate>"));

    // The sRGB output intent with its profile.
    let intents = catalog.get(b"OutputIntents").unwrap().as_array().unwrap();
    let Object::Dictionary(intent) = deref(&intents[0]) else {
        panic!("output intent")
    };
    assert_eq!(intent.get(b"S").unwrap().as_name().unwrap(), b"GTS_PDFA1");
    let Object::Stream(mut icc) = deref(intent.get(b"DestOutputProfile").unwrap()) else {
        panic!("no ICC profile")
    };
    assert_eq!(icc.dict.get(b"N").unwrap().as_i64().unwrap(), 3);
    icc.decompress().unwrap();
    assert_eq!(icc.content, crate::pdf::write::SRGB_ICC);

    // Associated files: every attachment in /AF, a name relationship, MIME
    // type and params.
    let af = catalog.get(b"AF").unwrap().as_array().unwrap();
    assert!(!af.is_empty());
    for spec in af {
        let Object::Dictionary(spec) = deref(spec) else {
            panic!("file spec")
        };
        let rel = spec.get(b"AFRelationship").unwrap().as_name().unwrap();
        assert!(rel == b"Data" || rel == b"Source");
        let ef = spec.get(b"EF").unwrap().as_dict().unwrap();
        let Object::Stream(file) = deref(ef.get(b"F").unwrap()) else {
            panic!("embedded file")
        };
        assert!(file
            .dict
            .get(b"Subtype")
            .unwrap()
            .as_name()
            .unwrap()
            .contains(&b'/'));
        let params = file.dict.get(b"Params").unwrap().as_dict().unwrap();
        assert!(params.get(b"Size").is_ok() && params.get(b"ModDate").is_ok());
    }
    let manifest_in_af = af.iter().any(|s| match deref(s) {
        Object::Dictionary(d) => {
            d.get(b"UF")
                .ok()
                .and_then(|u| u.as_str().ok())
                .map(crate::pdf::syntax::decode_text)
                .as_deref()
                == Some(MANIFEST_ATTACHMENT)
        }
        _ => false,
    });
    assert!(manifest_in_af, "the manifest is an associated file");

    // Fonts embedded; no JavaScript, LZW or soft masks; a trailer /ID.
    let all = dictionaries(&doc);
    let descriptors: Vec<_> = all
        .iter()
        .filter(|d| d.get(b"Type").and_then(Object::as_name).ok() == Some(b"FontDescriptor"))
        .collect();
    assert!(!descriptors.is_empty());
    assert!(descriptors.iter().all(|d| d.get(b"FontFile2").is_ok()));
    for d in &all {
        for key in [
            b"JS".as_slice(),
            b"JavaScript",
            b"SMask",
            b"OpenAction",
            b"AA",
        ] {
            assert!(
                d.get(key).is_err(),
                "forbidden /{}",
                String::from_utf8_lossy(key)
            );
        }
        if let Ok(f) = d.get(b"Filter") {
            assert!(!format!("{f:?}").contains("LZW"));
        }
    }
    assert_eq!(doc.trailer.get(b"ID").unwrap().as_array().unwrap().len(), 2);
    assert!(
        pdf.starts_with(b"%PDF-1.7\n%"),
        "binary comment after the header"
    );
}
