//! What each fuzz target does with one input. The targets in `fuzz_targets/`
//! call these, and `tests/fuzz_regressions.rs` in the main crate includes this
//! file to replay every input a fuzzer found crashing, so a fixture means the
//! same thing in both.
//!
//! Every function returns whatever the library returns, `Ok` or `Err`: only a
//! panic, an abort, a timeout or running out of memory is a finding.

use std::sync::OnceLock;

use docseal::decode::{decode_with_text, sniff, Limits};
use docseal::model::Format;
use docseal::office::TrustList;

/// What a target does with one input.
pub type Target = fn(&[u8]);

/// Every target, by the name of its directory of corpus and fixtures.
pub const TARGETS: &[(&str, Target)] = &[
    ("decode_any", decode_any),
    ("decode_png", decode_png),
    ("decode_jpeg", decode_jpeg),
    ("decode_tiff", decode_tiff),
    ("decode_pdf", decode_pdf),
    ("pdf_text_layer", pdf_text_layer),
    ("verify_pdf", verify_pdf),
    ("verify_qr", verify_qr),
];

/// The environment variable naming the trust list (`trust.json`) the verify
/// targets check against; without it they use an empty list.
pub const TRUST_VAR: &str = "DOCSEAL_FUZZ_TRUST";

/// Limits small enough that one input takes milliseconds, not seconds; every
/// other limit is the default.
#[allow(clippy::needless_update)]
pub fn limits() -> Limits {
    Limits {
        max_bytes: 8 << 20,
        max_pages: 4,
        max_pixels: 4_000_000,
        max_total_pixels: 8_000_000,
        max_decoded_bytes: 64 << 20,
        max_operations: 1_000_000,
        max_seconds: 15,
        ..Limits::default()
    }
}

/// Any bytes, the format sniffed as for a submission.
pub fn decode_any(data: &[u8]) {
    decode(data);
}

/// PNG: the signature is put in front of inputs that lack it.
pub fn decode_png(data: &[u8]) {
    decode_as(Format::Png, b"\x89PNG\r\n\x1a\n", data);
}

/// JPEG: the start-of-image marker is put in front of inputs that lack it.
pub fn decode_jpeg(data: &[u8]) {
    decode_as(Format::Jpeg, &[0xFF, 0xD8, 0xFF], data);
}

/// TIFF: a little-endian header is put in front of inputs that lack one.
pub fn decode_tiff(data: &[u8]) {
    decode_as(Format::Tiff, b"II*\0", data);
}

/// PDF: a header is put in front of inputs that lack one.
pub fn decode_pdf(data: &[u8]) {
    decode_as(Format::Pdf, b"%PDF-1.7\n", data);
}

/// The text layer of a PDF page: the input, up to its first NUL byte, is the
/// page's content stream, and what follows is the ToUnicode CMap of its
/// composite font (a fixed one when there is no NUL). The rest of the PDF
/// is fixed and well-formed, so the fuzzer spends its time in the content
/// interpreter and the CMap parser rather than in the cross-reference table.
pub fn pdf_text_layer(data: &[u8]) {
    let (content, cmap) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, DEFAULT_CMAP),
    };
    let pdf = text_layer_pdf(content, cmap);
    if let Ok(d) = decode_with_text(&pdf, &limits()) {
        assert_eq!(d.pages.len(), d.text.len(), "one text slot per page");
    }
}

/// A result PDF, verified offline against the trust list of [`TRUST_VAR`].
pub fn verify_pdf(data: &[u8]) {
    let _ = docseal::verify::verify_bytes("fuzz.pdf", data, trust());
}

/// A QR seal's text, verified against the trust list of [`TRUST_VAR`].
pub fn verify_qr(data: &[u8]) {
    let _ = docseal::verify::verify_qr(&String::from_utf8_lossy(data), trust());
}

fn decode(data: &[u8]) {
    let _ = decode_with_text(data, &limits());
}

fn decode_as(format: Format, magic: &[u8], data: &[u8]) {
    if sniff(data) == Some(format) {
        decode(data);
    } else {
        let mut with = magic.to_vec();
        with.extend_from_slice(data);
        decode(&with);
    }
}

fn trust() -> &'static TrustList {
    static TRUST: OnceLock<TrustList> = OnceLock::new();
    TRUST.get_or_init(|| match std::env::var_os(TRUST_VAR) {
        Some(path) => TrustList::load(std::path::Path::new(&path))
            .unwrap_or_else(|e| panic!("{TRUST_VAR}: {e}")),
        None => TrustList::empty(),
    })
}

/// The ToUnicode CMap used when the input has none: codes 0001–00FF to
/// U+0020 upward, and a few Vietnamese letters.
pub const DEFAULT_CMAP: &[u8] = b"/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CMapName /Fuzz def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
1 beginbfrange
<0001> <00FF> <0020>
endbfrange
3 beginbfchar
<0100> <1EA1>
<0101> <01B0>
<0102> <0111>
endbfchar
endcmap
CMapName currentdict /CMap defineresource pop
end
end
";

/// One page with a simple font (`/F1`, Helvetica), a composite font with a
/// ToUnicode map (`/F2`), a Form XObject that shows text (`/Fm1`) and an
/// 8 × 8 gray image (`/Im1`), drawing `content`.
pub fn text_layer_pdf(content: &[u8], cmap: &[u8]) -> Vec<u8> {
    fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
        let mut s = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
        s.extend_from_slice(data);
        s.extend_from_slice(b"\nendstream");
        s
    }
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources \
<< /Font << /F1 5 0 R /F2 6 0 R >> /XObject << /Fm1 8 0 R /Im1 9 0 R >> >> /Contents 4 0 R >>"
            .to_vec(),
        stream("", content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_vec(),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /Fuzz /Encoding /Identity-H \
/DescendantFonts [10 0 R] /ToUnicode 7 0 R >>"
            .to_vec(),
        stream("", cmap),
        stream(
            "/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >>",
            b"BT /F1 10 Tf 72 72 Td (Text drawn by a form, long enough to count) Tj ET",
        ),
        stream(
            "/Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray /BitsPerComponent 8",
            &[0x80; 64],
        ),
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Fuzz /CIDSystemInfo \
<< /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 500 /W [1 [600 600] 3 10 550] >>"
            .to_vec(),
    ];
    let mut pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}
