//! Generated protobuf and gRPC code for the plugin protocol. Nothing else lives here.

#![allow(clippy::all, clippy::pedantic, missing_docs)]

/// Terraform's plugin protocol, version 6 (the subset ecstpl serves).
pub mod tfplugin6 {
    tonic::include_proto!("tfplugin6");
}

/// hashicorp/go-plugin's controller and stdio services.
pub mod goplugin {
    tonic::include_proto!("plugin");
}
