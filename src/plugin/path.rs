//! Attribute paths.
