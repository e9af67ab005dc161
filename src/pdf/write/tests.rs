use std::path::Path;

use super::*;

const SERIF: &str = "/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf";

fn serif() -> FontFile {
    match FontFile::open(Path::new(SERIF)) {
        Ok(f) => f,
        Err(e) => panic!("{e} (install fonts-noto-core)"),
    }
}

/// A one-page document showing each of `lines` as its own text object.
fn text_pdf(font_file: &FontFile, lines: &[&str]) -> Vec<u8> {
    let mut b = PdfBuilder::new();
    let f = b.add_font(font_file).unwrap();
    let mut c = Content::new();
    for (i, l) in lines.iter().enumerate() {
        c.begin_text();
        c.font("F1", 12.0);
        c.text_at(50.0, 700.0 - 20.0 * i as f32);
        c.show(b.font(f), l);
        c.end_text();
    }
    b.add_page(595.0, 842.0, c, &[("F1", f)], &[]);
    b.finish().unwrap()
}

#[test]
fn vietnamese_text_reads_back_exactly() {
    let font = serif();
    let lines = [
        "NGUYỄN VĂN ĐỨC",
        "Hường",
        "Quỳnh",
        "Độc lập - Tự do - Hạnh phúc",
    ];
    let pdf = text_pdf(&font, &lines);
    assert_eq!(page_text(&pdf, 0).unwrap(), lines);
    // The subset is a few kilobytes, not the whole 589 KB font.
    assert!(pdf.len() < 30_000, "PDF is {} bytes", pdf.len());
}

#[test]
fn decomposed_input_is_shown_composed() {
    let font = serif();
    // "Đức" with a combining acute and dot below instead of the precomposed ứ.
    let pdf = text_pdf(&font, &["\u{110}\u{1b0}\u{301}c"]);
    assert_eq!(page_text(&pdf, 0).unwrap(), ["Đức"]);
}

#[test]
fn characters_without_a_glyph_or_sharing_one_still_read_back() {
    let font = serif();
    let line = "a\u{a0}b c 漢字 ✓";
    let pdf = text_pdf(&font, &[line]);
    assert_eq!(page_text(&pdf, 0).unwrap(), [line]);
}

#[test]
fn width_grows_with_text_and_size() {
    let font = serif();
    let f = UnicodeFont::new(&font).unwrap();
    let w = f.width("NGUYỄN VĂN ĐỨC", 10.0);
    assert!(w > 50.0 && w < 120.0, "{w}");
    assert!((f.width("NGUYỄN VĂN ĐỨC", 20.0) - 2.0 * w).abs() < 0.01);
    assert!(f.covers("Quỳnh Hường"));
    assert!(!f.covers("漢"));
}

#[test]
fn missing_page_is_an_error() {
    let font = serif();
    let pdf = text_pdf(&font, &["x"]);
    assert!(matches!(
        page_text(&pdf, 1),
        Err(PdfError::NoPage { index: 1, count: 1 })
    ));
}

#[test]
fn attachment_round_trip() {
    let json = br#"{"document_id":"abc","name":"NGUY\u1ec4N"}"#;
    let mut b = PdfBuilder::new();
    b.add_page(100.0, 100.0, Content::new(), &[], &[]);
    b.attach(&Attachment {
        name: "manifest.json",
        media_type: "application/json",
        description: "Signed manifest",
        data: json,
    });
    b.attach(&Attachment {
        name: "other.txt",
        media_type: "text/plain",
        description: "Other",
        data: b"hello",
    });
    let pdf = b.finish().unwrap();
    assert_eq!(
        read_attachment(&pdf, "manifest.json").unwrap().as_deref(),
        Some(&json[..])
    );
    assert_eq!(
        read_attachment(&pdf, "other.txt").unwrap().as_deref(),
        Some(&b"hello"[..])
    );
    assert_eq!(read_attachment(&pdf, "missing.json").unwrap(), None);
    let text = String::from_utf8_lossy(&pdf);
    assert!(
        text.contains("/Subtype/application#2Fjson"),
        "media type name"
    );
    assert!(text.contains("/AFRelationship/Data"));
    assert!(text.contains("/Params<</Size 42>>"));
}

#[test]
fn jpeg_is_embedded_byte_for_byte() {
    let img = ::image::GrayImage::from_fn(64, 48, |x, y| {
        ::image::Luma([((x * 3 + y * 5) % 256) as u8])
    });
    let mut jpeg = Vec::new();
    ::image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 80)
        .encode_image(&img)
        .unwrap();
    let info = JpegHeader::read(&jpeg)
        .filter(JpegHeader::dct_decodable)
        .unwrap();
    assert_eq!((info.width, info.height, info.components), (64, 48, 1));
    let mut b = PdfBuilder::new();
    let im = b.add_jpeg(&jpeg).unwrap();
    let mut c = Content::new();
    c.image("Im1", 0.0, 0.0, 64.0, 48.0);
    b.add_page(64.0, 48.0, c, &[], &[("Im1", im)]);
    let pdf = b.finish().unwrap();
    assert!(pdf.windows(jpeg.len()).any(|w| w == jpeg.as_slice()));
    assert!(String::from_utf8_lossy(&pdf).contains("/DCTDecode"));
}

#[test]
fn black_and_white_pixels_become_one_bit() {
    let img = ::image::GrayImage::from_fn(80, 40, |x, _| {
        ::image::Luma([if x % 7 == 0 { 0 } else { 255 }])
    });
    let stream = image::pixel_xobject(&::image::DynamicImage::ImageLuma8(img));
    assert_eq!(
        stream
            .dict
            .get(b"BitsPerComponent")
            .unwrap()
            .as_i64()
            .unwrap(),
        1
    );
    let gray = ::image::GrayImage::from_fn(80, 40, |x, _| ::image::Luma([x as u8]));
    let stream = image::pixel_xobject(&::image::DynamicImage::ImageLuma8(gray));
    assert_eq!(
        stream
            .dict
            .get(b"BitsPerComponent")
            .unwrap()
            .as_i64()
            .unwrap(),
        8
    );
}

#[test]
fn same_input_same_bytes() {
    let font = serif();
    let a = text_pdf(&font, &["NGUYỄN VĂN ĐỨC", "Hường"]);
    let b = text_pdf(&font, &["NGUYỄN VĂN ĐỨC", "Hường"]);
    assert_eq!(a, b);
    let c = text_pdf(&font, &["NGUYỄN VĂN ĐỨC", "Quỳnh"]);
    assert_ne!(a, c);
    let text = String::from_utf8_lossy(&a);
    assert!(text.contains("/ID"));
    assert!(text.contains("\nxref\n"), "a classic cross-reference table");
}
