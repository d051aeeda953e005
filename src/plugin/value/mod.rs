//! cty-like values.
