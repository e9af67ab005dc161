//! The normalized forms of field values (`../shared/doc-types.md`, "Normalized forms").
