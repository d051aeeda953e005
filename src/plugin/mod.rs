//! Terraform's plugin protocol: handshake, AutoMTLS, gRPC services, the value model and
//! diagnostics. This layer knows nothing of ECS.

pub mod path;
pub mod proto;
pub mod value;
