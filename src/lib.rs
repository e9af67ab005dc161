//! docseal turns scanned paper submissions into typed records and signed,
//! verifiable electronic result documents.
//!
//! # Layout
//!
//! The pipeline is a chain of plain functions, one module per stage; every arrow
//! is a typed value, so stages cannot run out of order:
//!
//! ```text
//! Submission ─decode→ Vec<Page> ─prepare→ Vec<Page> ─ocr→ Vec<OcrPage>
//!   ─classify→ Classified ─extract→ Record ─seal→ SealedRecord ─render→ ResultDocument
//! ```
//!
//! - [`schema`]: the typed-record contract, read from `schemas/*.schema.json`:
//!   document types, field labels, normalized forms, validation.
//! - [`decode`]: scan bytes (PNG, JPEG, TIFF, PDF) into page images, within limits,
//!   with the trusted visible text layers of PDF pages.
//! - [`prepare`]: page clean-up before OCR (grayscale, resolution).
//! - [`ocr`]: Tesseract, one engine per thread; words with boxes and confidences.
//! - [`hocr`]: the words with their geometry as hOCR, stored beside the result.
//! - [`normalize`]: the normalized forms (name, date, id12, ...) of field values.
//! - [`classify`]: which document type a page is, or `unknown`, and why.
//! - [`extract`]: fields of a classified document, normalized and validated.
//! - [`seal`]: the manifest, its canonical bytes and its Ed25519 signature; keys.
//! - [`pki`]: X.509 certificates of the issuing office (Ed25519 root and signing certificate).
//! - [`qrseal`]: the QR seal for printed copies (COSE_Sign1, zlib, base45): encode, read, verify, draw.
//! - [`pdf`]: every PDF byte: submitted PDFs read with the `pdf` crate
//!   (`pdf::read`), our result documents written, read back and signed with
//!   `lopdf` (`pdf::write`, `pdf::sign`: PAdES B-B, Ed25519 per ISO 32002).
//! - [`headers`]: JPEG and PNG headers (size, components, resolution), for
//!   `decode` and the PDF writer.
//! - [`render`]: the result PDF (scan pages with text layer, certificate page).
//! - [`verify`]: verification of a result document or a QR seal, offline, and
//!   online against the registry's status endpoint.
//! - [`status`]: the registry's signed statement of a document's status.
//! - [`server`]: `docseal serve`, the HTTP status endpoint, and its client.
//! - [`store`]: the [`store::ObjectStore`] trait and its implementations.
//! - [`queue`]: the [`queue::JobQueue`] trait (jobs + registry) and its implementations.
//! - [`pipeline`]: one submission through every stage (no I/O of its own).
//! - [`worker`]: the worker pool that leases jobs, runs the pipeline, stores, acks.
//! - [`samples`]: the synthetic scan generator with ground truth.
//! - [`eval`]: accuracy of the pipeline against ground truth.
//! - [`config`]: where data lives and how the pipeline is tuned.
//! - [`cli`]: the command-line front end.

pub mod classify;
pub mod cli;
pub mod config;
pub mod decode;
pub mod eval;
pub mod extract;
pub mod headers;
pub mod hocr;
pub mod normalize;
pub mod ocr;
pub mod pdf;
pub mod pipeline;
pub mod pki;
pub mod prepare;
pub mod qrseal;
pub mod queue;
pub mod render;
pub mod samples;
pub mod schema;
pub mod seal;
pub mod server;
pub mod status;
pub mod store;
pub mod verify;
pub mod worker;

/// The version of the pipeline, recorded in every manifest.
pub const PIPELINE_VERSION: &str = concat!("docseal/", env!("CARGO_PKG_VERSION"));
