//! The result PDF: the scanned pages with an invisible text layer, then a
//! certificate page that prints the record and states what the document is; the
//! signed manifest is attached as an embedded file.
