//! Every PDF byte docseal reads or writes, with one reader per role:
//!
//! - [`read`]: submitted PDFs (someone else's file), read with the `pdf`
//!   crate: the scanned image and the visible text layer of each page.
//! - [`write`]: our own result documents, built with `lopdf`: Unicode fonts,
//!   images, attachments, and reading their text and attachments back.
//! - [`sign`]: the PDF signature of our own result documents (PAdES B-B,
//!   Ed25519): sign and verify, with `lopdf`.
//! - [`syntax`]: small shared pieces: PDF dates, text strings, ToUnicode
//!   CMaps, the bound on inflated streams.
//!
//! Image file headers (JPEG, PNG) are read by [`crate::headers`], shared with
//! `decode`.

pub mod read;
pub mod sign;
pub mod syntax;
pub mod write;
