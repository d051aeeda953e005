//! The task definition domain: pure model, normalization, validation. No I/O.
