//! Submitted PDFs, read with the `pdf` crate: the scanned image of each page
//! (`pages`) and the visible text layer of each page (`text`), from one parse
//! of the file, so both agree on the page tree.
//!
//! This is the only place that reads a PDF someone else wrote. Everything it
//! reads is bounded: what the file states by [`crate::codec::Limits`] before
//! it is read (pages, pixels, the longest chain of references), what reading
//! costs by the submission's [`crate::codec::Budget`] (bytes out of filters,
//! content-stream operations, pixels, time), each stream by
//! [`super::syntax::MAX_STREAM_BYTES`]. Any panic inside the `pdf` crate
//! becomes a [`crate::codec::DecodeError::Corrupt`] for that file.

mod objects;
mod pages;
mod text;

pub(crate) use pages::decode_pdf;
pub use text::{MIN_GLYPHS, MIN_MAPPED, TEXT_LAYER_CONF, TEXT_LAYER_DPI};

/// The `pdf` crate's error text without the source locations some of its
/// errors carry (`Try at /…/pdf-0.10.0/src/file.rs:123:45:[…], caused by`,
/// `NoneError at …`, `Unimplemented @ …`): they name paths of the machine
/// the program was built on and tell the user nothing. One line, the causes
/// joined by `: `.
pub(crate) fn without_source_locations(text: &str) -> String {
    let mut parts = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some(at) = line.find(".rs:") else {
            parts.push(line.to_string());
            continue;
        };
        let start = line[..at].rfind(' ').map_or(0, |i| i + 1);
        let end = line[at..]
            .find(", caused by")
            .map_or(line.len(), |i| at + i);
        let head = line[..start].trim_end();
        let head = head
            .strip_suffix(" at")
            .or_else(|| head.strip_suffix(" @"))
            .unwrap_or(head)
            .trim();
        let tail = &line[end..];
        match head {
            // Only a link in the chain: its cause follows on the next line.
            "Try" | "Try at" | "" if tail.starts_with(", caused by") => {}
            "NoneError" | "NoneError at" => parts.push("a value the file needs is missing".into()),
            _ => parts.push(format!("{head}{tail}").trim().to_string()),
        }
    }
    parts
        .iter()
        .map(|p| p.trim_end_matches(", caused by").trim())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(": ")
}

#[cfg(test)]
mod tests {
    use super::without_source_locations;

    /// Regression: errors from the `pdf` crate carried the paths of the
    /// machine the program was built on.
    #[test]
    fn the_pdf_crates_source_locations_are_left_out() {
        let given = "Try at /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pdf-0.10.0/src/file.rs:520:25:[(\"a\", \"b, c\")], caused by\n  \
                     Try at /build/x/pdf-0.10.0/src/parser/mod.rs:12:5:[], caused by\n  \
                     Unexpected token 'x' at 17 - expected 'obj'";
        assert_eq!(
            without_source_locations(given),
            "Unexpected token 'x' at 17 - expected 'obj'"
        );
        assert_eq!(
            without_source_locations("NoneError at /root/.cargo/pdf/src/object/mod.rs:3:4:[]"),
            "a value the file needs is missing"
        );
        assert_eq!(
            without_source_locations("Unimplemented @ /root/.cargo/pdf/src/enc.rs:362"),
            "Unimplemented"
        );
        assert_eq!(
            without_source_locations(
                "page 3 cannot be read (Out of bounds: index 4, but len is 2)"
            ),
            "page 3 cannot be read (Out of bounds: index 4, but len is 2)"
        );
        // Whatever the crate says about a broken file, no path of ours.
        for bytes in [
            &b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF"[..],
            b"%PDF-1.7\nxref\n0 1\n0000000000 65535 f \ntrailer << /Size 1 /Root 1 0 R >>\nstartxref\n9\n%%EOF",
        ] {
            let Err(e) = ::pdf::file::FileOptions::uncached().load(bytes.to_vec()) else {
                continue;
            };
            let text = without_source_locations(&e.to_string());
            assert!(!text.contains(".rs:") && !text.contains(".cargo"), "{text}");
        }
    }
}
