//! docseal turns scanned paper submissions into typed records and signed,
//! verifiable electronic result documents.
//!
//! # Layout
//!
//! The pipeline is a chain of plain functions, one module per stage; every arrow
//! is a typed value, so stages cannot run out of order:
//!
//! ```text
//! scan bytes ─decode→ Vec<Page> ─prepare→ Prepared ─ocr→ Vec<OcrPage>
//!   ─classify→ Classified ─extract→ Record ─seal→ SignedManifest
//!   ─render→ result PDF ─pdf::sign→ signed result PDF
//! ```
//!
//! - [`model`]: the nouns the stages share, as plain data: pages, the text
//!   of a page with its geometry, the record (with why a field goes to
//!   review), the manifest and its issue time.
//! - [`schema`]: the typed-record contract, read from `schemas/*.schema.json`:
//!   document types, field labels, normalized forms, validation.
//! - [`decode`]: scan bytes (PNG, JPEG, TIFF, PDF) into page images, within limits,
//!   with the trusted visible text layers of PDF pages.
//! - [`codec`]: pixels from encoded image data within [`codec::Limits`]:
//!   JPEG and PNG, and the Flate, predictor and fax samples TIFF and PDF share.
//! - [`prepare`]: page clean-up before OCR (grayscale, resolution).
//! - [`raster`]: pixel operations shared by modules (quarter turns, Otsu's threshold).
//! - [`ocr`]: Tesseract, one engine per thread; words with boxes and confidences.
//! - `layout`: rows of words rebuilt from a page's lines, and fuzzy label
//!   matching, for `classify` and `extract`.
//! - [`hocr`]: the words with their geometry as hOCR, stored beside the result.
//! - [`normalize`]: the normalized forms (name, date, id12, ...) of field values.
//! - [`classify`]: which document type a page is, or `unknown`, and why.
//! - [`extract`]: fields of a classified document, normalized and validated.
//! - [`seal`]: a manifest sealed with the office's key, and the check of a sealed manifest.
//! - [`office`]: the office's keys and key files (created and changed only
//!   under the keys directory's lock, by the `keys` commands), its X.509
//!   certificates ([`office::pki`]), the trust list and its root signature,
//!   signed JSON.
//! - [`qrseal`]: the QR seal for printed copies (COSE_Sign1, zlib, base45): encode, read, verify, draw.
//! - [`pdf`]: every PDF byte: submitted PDFs read with the `pdf` crate
//!   (`pdf::read`), our result documents written, read back and signed with
//!   `lopdf` (`pdf::write`, `pdf::sign`: PAdES B-B, Ed25519 per ISO 32002).
//! - [`headers`]: JPEG and PNG headers (size, components, resolution), for
//!   `decode` and the PDF writer.
//! - [`render`]: the result PDF (scan pages with text layer, certificate page).
//! - [`verify`]: verification of a result document or a QR seal, offline, and
//!   online against the registry's status endpoint.
//! - [`status`]: the registry's statement of a document's status, signed by
//!   the office's status key, and its check (key usage, freshness, binding).
//! - [`web`]: `docseal serve` on axum: the JSON API under `/v1` (with its
//!   OpenAPI document), the staff desk, the public verification and document
//!   pages, their limits; and the client `verify --online` asks a status
//!   endpoint with.
//! - [`deadline`]: procedures' legal times in working days, public holidays,
//!   due dates and the month's on-time report (table, JSON, SVG).
//! - [`reuse`]: held records out: export lines, the records of a citizen,
//!   and prefill of another procedure's form by a committed mapping.
//! - [`intake`]: a scan taken in: stored under its SHA-256, then queued
//!   (`submit` and the service's upload).
//! - [`store`]: the [`store::ObjectStore`] trait and its implementations.
//! - [`queue`]: the job queue and registry: the narrow traits [`queue::Jobs`],
//!   [`queue::Registry`], [`queue::Stats`], [`queue::LogEntries`] (the
//!   transparency log's sequenced entries) and [`queue::Staff`] (users,
//!   sessions, the audit log), [`queue::Reviews`] (the review queue,
//!   submission facts, people's decisions) and their SQLite and PostgreSQL
//!   implementations over one shared state machine.
//! - [`tlog`]: the office's transparency log: entries, the log key and its
//!   timestamped cosignature, the Merkle tree and C2SP tiles, inclusion
//!   proofs and the checkpoints a verifier has seen, publishing.
//! - [`pipeline`]: one submission through every stage (no I/O of its own).
//! - [`worker`]: the worker pool that leases jobs, runs the pipeline, stores, acks.
//! - [`reprocess`]: stored submissions run again through this pipeline
//!   version, resumably: unchanged records issue nothing, changed ones a
//!   superseding document, approved ones a review when the machine disagrees.
//! - [`review`]: a record that went to review as a person sees it (reasons,
//!   boxes on the page, the page image), and its approval or rejection.
//! - [`samples`]: the synthetic scan generator with ground truth.
//! - [`eval`]: accuracy of the pipeline against ground truth.
//! - [`config`]: where data lives and how the pipeline is tuned.
//! - [`fsutil`]: durable, owner-only file writes (temporary file, fsync,
//!   rename; files 0600, directories 0700).
//! - [`redact`]: secrets kept out of what is printed (URL passwords).
//! - [`auth`]: staff credentials: API tokens, session ids and their hashes.
//! - [`cli`]: the command-line front end.

pub mod archive;
pub mod auth;
pub mod classify;
pub mod cli;
pub mod codec;
pub mod config;
pub mod deadline;
pub mod decode;
mod dispatch;
pub mod dossier;
pub mod eval;
pub mod extract;
pub mod fsutil;
pub mod headers;
pub mod hocr;
pub mod intake;
mod layout;
pub mod model;
pub mod normalize;
pub mod ocr;
pub mod office;
pub mod pdf;
pub mod pipeline;
pub mod prepare;
pub mod qrseal;
pub mod queue;
pub mod raster;
pub mod redact;
pub mod render;
pub mod reprocess;
pub mod reread;
pub mod reuse;
pub mod review;
pub mod samples;
pub mod schema;
pub mod seal;
pub mod split;
pub mod status;
pub mod store;
pub mod tlog;
pub mod verify;
pub mod web;
pub mod worker;

/// The version of the pipeline, recorded in every manifest.
pub const PIPELINE_VERSION: &str = concat!("docseal/", env!("CARGO_PKG_VERSION"));

/// The pipeline version this process submits, reviews and reprocesses under:
/// [`PIPELINE_VERSION`]. Debug builds only (the tests' builds) read the hidden
/// `DOCSEAL_TEST_PIPELINE_VERSION`, a label for an older pipeline, so that a
/// test can store submissions as an older version would have and reprocess
/// them with this one.
pub fn pipeline_version() -> &'static str {
    #[cfg(debug_assertions)]
    {
        static LABEL: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
        let label = LABEL.get_or_init(|| {
            std::env::var("DOCSEAL_TEST_PIPELINE_VERSION")
                .ok()
                .filter(|v| !v.trim().is_empty())
        });
        if let Some(label) = label {
            return label;
        }
    }
    PIPELINE_VERSION
}
