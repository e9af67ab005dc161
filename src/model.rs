//! The nouns the stages share, as plain data: no I/O, no stage logic.
//!
//! - [`Page`], [`Format`]: a decoded scan page and the container it came in.
//! - [`OcrPage`], [`Line`], [`Word`], [`BBox`], [`TextSource`]: the text of a
//!   page with its geometry, from OCR or a PDF's text layer.
//! - [`Record`], [`Confidence`], [`ReviewReason`]: the typed record extracted
//!   from a document, and why a field of it goes to review.
//! - [`Manifest`], [`Issuer`], [`SourceInfo`], [`IssuedAt`]: what an issued
//!   document asserts, and when it was issued.
//!
//! Stages depend on `model` for these, never on each other.

mod instant;
mod manifest;
mod page;
mod record;
mod text;

pub use instant::{format_rfc3339, now_rfc3339, parse_rfc3339, IssuedAt};
pub use manifest::{
    Issuer, Manifest, ManifestReview, SourceInfo, LAYOUT_QR_TOP_LEFT, MANIFEST_FORMAT,
};
pub use page::{Format, Page};
pub use record::{Confidence, FieldPlace, Record, Reread, ReviewReason};
#[cfg(test)]
pub(crate) use text::synthetic_page;
pub use text::{BBox, Line, OcrPage, TextSource, Word};
