//! Submitted PDFs, read with the `pdf` crate: the scanned image of each page
//! (`pages`) and the visible text layer of each page (`text`), from one parse
//! of the file, so both agree on the page tree.
//!
//! This is the only place that reads a PDF someone else wrote. Everything it
//! reads is bounded ([`crate::codec::Limits`], [`super::syntax::MAX_STREAM_BYTES`]),
//! and any panic inside the `pdf` crate becomes a
//! [`crate::codec::DecodeError::Corrupt`] for that file.

mod objects;
mod pages;
mod text;

pub(crate) use pages::decode_pdf;
pub use text::{MIN_GLYPHS, MIN_MAPPED, TEXT_LAYER_CONF, TEXT_LAYER_DPI};
