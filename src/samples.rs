//! The synthetic scan generator: documents of every type with ground truth.
