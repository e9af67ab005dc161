//! Low-level PDF building blocks on `lopdf`: embedded Unicode fonts (Type0,
//! Identity-H, subset, ToUnicode), images, attachments, and reading them back.

/// Errors reading or writing PDFs.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The bytes are not a readable PDF.
    #[error("not a readable PDF: {0}")]
    Parse(String),
}

/// The bytes of an attachment, by name.
pub fn read_attachment(pdf: &[u8], name: &str) -> Result<Option<Vec<u8>>, PdfError> {
    let _ = (pdf, name);
    Err(PdfError::Parse("stub".into()))
}

/// The text lines of a page.
pub fn page_text(pdf: &[u8], page_index: usize) -> Result<Vec<String>, PdfError> {
    let _ = (pdf, page_index);
    Err(PdfError::Parse("stub".into()))
}
