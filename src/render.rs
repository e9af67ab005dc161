//! The result PDF: the scanned pages with an invisible text layer, then a
//! certificate page that prints the record and states what the document is; the
//! signed manifest is attached as an embedded file.

use crate::decode::Page;
use crate::ocr::OcrPage;
use crate::seal::Manifest;

/// Fonts for result documents.
#[derive(Debug, Clone, Default)]
pub struct FontSet {}

impl FontSet {
    /// Finds the default fonts on this machine.
    pub fn discover() -> Result<FontSet, RenderError> {
        Ok(FontSet {})
    }
}

/// Errors of rendering.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Not implemented.
    #[error("rendering is not available: {0}")]
    Unavailable(String),
}

/// What goes into a result PDF.
pub struct RenderInput<'a> {
    /// The scanned pages.
    pub pages: &'a [Page],
    /// Their text.
    pub ocr: &'a [OcrPage],
    /// The manifest.
    pub manifest: &'a Manifest,
    /// The signed manifest bytes to attach.
    pub attachment: &'a [u8],
}

/// Renders the result PDF.
pub fn render(input: &RenderInput, fonts: &FontSet) -> Result<Vec<u8>, RenderError> {
    let _ = (input, fonts);
    Err(RenderError::Unavailable("stub".into()))
}

/// The lines the certificate page prints.
pub fn certificate_lines(m: &Manifest) -> Vec<String> {
    vec![m.document_id.clone()]
}
