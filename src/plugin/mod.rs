//! Terraform's plugin protocol: handshake, AutoMTLS, gRPC services, the value model and
//! diagnostics. This layer knows nothing of ECS.

pub mod diag;
pub mod framework;
pub mod grpc;
pub mod log;
pub mod path;
pub mod plan;
pub mod proto;
pub mod schema;
pub mod server;
pub mod tls;
pub mod value;
