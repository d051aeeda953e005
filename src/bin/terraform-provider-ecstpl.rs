//! The Terraform provider plugin. Terraform starts it; run by hand it explains itself.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use ecstpl::plugin::server::{self, ServeError, ServeOptions};
use ecstpl::provider::{EcstplProvider, PROVIDER_ADDRESS};

/// Terraform provider for the ECS task definition template pattern.
///
/// Terraform starts this binary itself; it is not meant to be run by hand. With --debug it
/// serves on a socket and prints the TF_REATTACH_PROVIDERS value to attach Terraform to it.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Serve without Terraform starting the process (no TLS), for attaching a debugger.
    #[arg(long)]
    debug: bool,
    /// The provider address to announce in debug mode.
    #[arg(long, default_value = PROVIDER_ADDRESS)]
    address: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    ecstpl::plugin::log::init();
    let runtime = match server::runtime() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("terraform-provider-ecstpl: could not start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let options = ServeOptions {
        address: args.address,
        debug: args.debug,
    };
    let result = runtime.block_on(server::serve(Arc::new(EcstplProvider::new()), options));
    // Background work (idle HTTP connections, credential refresh) must not delay the exit
    // Terraform waits for.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err @ ServeError::NotStartedByTerraform) => {
            eprintln!("{err}");
            ExitCode::FAILURE
        }
        Err(err) => {
            eprintln!("terraform-provider-ecstpl: {err}");
            tracing::error!(error = %err, "provider failed");
            ExitCode::FAILURE
        }
    }
}
