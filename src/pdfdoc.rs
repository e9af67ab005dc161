//! Low-level PDF building blocks on `lopdf`: embedded Unicode fonts (Type0,
//! Identity-H, subset, ToUnicode), images, attachments, and reading them back.
