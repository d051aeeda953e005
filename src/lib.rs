//! ecstpl: a Terraform provider and a CI tool for the ECS task definition template pattern.
//!
//! Layers, each knowing only the ones below it:
//! - [`plugin`]: Terraform's plugin protocol (handshake, AutoMTLS, gRPC, values); knows nothing of ECS.
//! - [`taskdef`]: the task definition domain (normalize, validate, render, diff); pure, no I/O.
//! - [`aws`]: the only code that calls the ECS API.
//! - [`provider`]: the Terraform front end built on the layers above.
//! - [`cli`]: the CI front end (`ecstpl`), on the same domain and adapter.

pub mod aws;
pub mod cli;
pub mod plugin;
pub mod provider;
pub mod rollout;
pub mod taskdef;
