//! What makes a result document PDF/A-3b (ISO 19005-3, level B) besides what
//! the builder does anyway (embedded fonts, no encryption, no JavaScript, no
//! LZW, images without transparency, files attached as associated files with
//! a MIME type, `/AFRelationship` and `/Params /ModDate`, a trailer `/ID`): the
//! XMP metadata stream that says so and agrees with `/Info`, and the sRGB
//! output intent.
//!
//! The ICC profile `srgb.icc` (588 bytes, ICC v4, "sRGB built-in") was made
//! once with Little CMS through Pillow 9.4 (Debian `python3-pil`):
//! `ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()`.

use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

use super::{deflate, Info};
use crate::pdf::syntax::text_string;

/// The sRGB ICC profile of the output intent.
pub const SRGB_ICC: &[u8] = include_bytes!("srgb.icc");

/// The output condition the intent names.
pub const SRGB_CONDITION: &str = "sRGB IEC61966-2.1";

/// `D:20240705093000Z` (the form `pdf_date` writes) → `2024-07-05T09:30:00Z`.
fn xmp_date(pdf_date: &str) -> Option<String> {
    let d = pdf_date.strip_prefix("D:")?.strip_suffix('Z')?;
    if d.len() != 14 || !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!(
        "{}-{}-{}T{}:{}:{}Z",
        &d[0..4],
        &d[4..6],
        &d[6..8],
        &d[8..10],
        &d[10..12],
        &d[12..14]
    ))
}

/// Text for XML character data and attribute values.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The XMP packet: PDF/A-3B identification, and the document information
/// as `/Info` states it (title, subject, producer, dates).
pub fn xmp(info: &Info) -> String {
    let mut props = String::new();
    if let Some(t) = &info.title {
        props.push_str(&format!(
            "   <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt></dc:title>\n",
            xml(t)
        ));
    }
    if let Some(s) = &info.subject {
        props.push_str(&format!(
            "   <dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt></dc:description>\n",
            xml(s)
        ));
    }
    if let Some(p) = &info.producer {
        props.push_str(&format!("   <pdf:Producer>{}</pdf:Producer>\n", xml(p)));
    }
    if let Some(d) = info.creation_date.as_deref().and_then(xmp_date) {
        props.push_str(&format!(
            "   <xmp:CreateDate>{d}</xmp:CreateDate>\n   <xmp:ModifyDate>{d}</xmp:ModifyDate>\n   <xmp:MetadataDate>{d}</xmp:MetadataDate>\n"
        ));
    }
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n\
 <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n\
  <rdf:Description rdf:about=\"\"\n\
    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n\
    xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n\
    xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\"\n\
    xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">\n\
   <pdfaid:part>3</pdfaid:part>\n\
   <pdfaid:conformance>B</pdfaid:conformance>\n\
   <dc:format>application/pdf</dc:format>\n\
{props}\
  </rdf:Description>\n\
 </rdf:RDF>\n\
</x:xmpmeta>\n\
<?xpacket end=\"w\"?>"
    )
}

/// Adds the XMP metadata stream (uncompressed, as PDF/A recommends) and the
/// sRGB output intent to the catalog being built.
pub fn add_to_catalog(doc: &mut Document, catalog: &mut Dictionary, info: &Info) {
    let mut meta = Dictionary::new();
    meta.set("Type", "Metadata");
    meta.set("Subtype", "XML");
    let meta_id = doc.add_object(Stream::new(meta, xmp(info).into_bytes()).with_compression(false));
    catalog.set("Metadata", meta_id);

    let mut icc = Dictionary::new();
    icc.set("N", 3);
    icc.set("Filter", "FlateDecode");
    let icc_id: ObjectId =
        doc.add_object(Stream::new(icc, deflate(SRGB_ICC)).with_compression(false));
    let mut intent = Dictionary::new();
    intent.set("Type", "OutputIntent");
    intent.set("S", "GTS_PDFA1");
    intent.set("OutputConditionIdentifier", text_string(SRGB_CONDITION));
    intent.set("Info", text_string(SRGB_CONDITION));
    intent.set("DestOutputProfile", icc_id);
    catalog.set("OutputIntents", vec![Object::Dictionary(intent)]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_text_are_written_for_xmp() {
        assert_eq!(
            xmp_date("D:20240705093000Z").as_deref(),
            Some("2024-07-05T09:30:00Z")
        );
        assert_eq!(xmp_date("D:2024"), None);
        let x = xmp(&Info {
            title: Some("A & <B>".into()),
            creation_date: Some("D:20240705093000Z".into()),
            ..Info::default()
        });
        assert!(x.contains("<rdf:li xml:lang=\"x-default\">A &amp; &lt;B&gt;</rdf:li>"));
        assert!(x.contains("<xmp:CreateDate>2024-07-05T09:30:00Z</xmp:CreateDate>"));
        assert!(x.contains("<pdfaid:part>3</pdfaid:part>"));
        assert_eq!(&SRGB_ICC[36..40], b"acsp", "an ICC profile");
    }
}
