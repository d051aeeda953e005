//! Serving a provider the way hashicorp/go-plugin expects: magic-cookie check, a Unix socket in
//! a private temporary directory, AutoMTLS when Terraform sends its certificate, the handshake
//! line on stdout, the gRPC services go-plugin calls (provider, health, controller, stdio), and
//! a prompt exit on `GRPCController.Shutdown`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, watch};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::server::Connected;

use crate::plugin::framework::Provider;
use crate::plugin::grpc::ProviderService;
use crate::plugin::proto::goplugin;
use crate::plugin::proto::tfplugin6::provider_server::ProviderServer;
use crate::plugin::tls::{AutoMtls, TlsError};

/// The cookie Terraform sets so a plugin knows it was started by Terraform.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// The only plugin protocol major version this provider speaks.
pub const PROTOCOL_VERSION: u32 = 6;

/// Schemas and large states exceed tonic's 4 MiB default; Terraform's own SDK allows 256 MiB.
const MAX_MESSAGE_BYTES: usize = 256 << 20;

/// How long in-flight requests may take to finish after shutdown was requested.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// A TLS handshake that has not finished by then is abandoned.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How the provider is being run.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The provider's registry address, e.g. `registry.terraform.io/ecstpl/ecstpl` (debug mode).
    pub address: String,
    /// Serve without Terraform starting us: no cookie, no TLS, print `TF_REATTACH_PROVIDERS`.
    pub debug: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "This binary is a plugin for Terraform and is not meant to be run directly.\n\
         Install it as a provider (see the README), or run it with --debug to attach \
         Terraform through TF_REATTACH_PROVIDERS."
    )]
    NotStartedByTerraform,
    #[error(
        "Terraform offered plugin protocol versions {offered:?}; this provider speaks protocol \
         6 only (Terraform 1.0 or later, OpenTofu 1.6 or later)."
    )]
    UnsupportedProtocol { offered: String },
    #[error("could not create the plugin socket: {0}")]
    Socket(io::Error),
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("could not write the handshake line: {0}")]
    Handshake(io::Error),
    #[error("gRPC server failed: {0}")]
    Transport(#[from] tonic::transport::Error),
}

/// Serves `provider` until Terraform asks the plugin to shut down.
/// The runtime a provider process serves on: one thread. A provider's work is waiting on
/// Terraform and on the APIs it calls, and worker threads waking each other cost more than
/// they give (the refresh profile in BENCHMARKS.md).
pub fn runtime() -> io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

pub async fn serve(provider: Arc<dyn Provider>, options: ServeOptions) -> Result<(), ServeError> {
    if !options.debug {
        check_started_by_terraform()?;
    }
    // Terraform forwards Ctrl-C as StopProvider and then Shutdown; dying on SIGINT ourselves
    // would lose the state of an apply in flight. In debug mode Ctrl-C is how one stops us.
    let _sigint_guard = if options.debug {
        None
    } else {
        Some(
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
                .map_err(ServeError::Socket)?,
        )
    };

    use std::os::unix::fs::PermissionsExt;
    // Private before the socket exists (0700 asked for, not left to the umask or to the
    // temporary-file crate's default), and the socket itself 0600.
    let socket_dir = tempfile::Builder::new()
        .prefix("ecstpl-plugin")
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir()
        .map_err(ServeError::Socket)?;
    std::fs::set_permissions(socket_dir.path(), std::fs::Permissions::from_mode(0o700))
        .map_err(ServeError::Socket)?;
    let socket_path = socket_dir.path().join("plugin.sock");
    let listener = UnixListener::bind(&socket_path).map_err(ServeError::Socket)?;
    std::fs::set_permissions(&socket_path, std::fs::Permissions::from_mode(0o600))
        .map_err(ServeError::Socket)?;

    let tls = match std::env::var("PLUGIN_CLIENT_CERT") {
        Ok(pem) if !options.debug && !pem.trim().is_empty() => Some(AutoMtls::new(&pem)?),
        _ => None,
    };

    let (shutdown_tx, mut shutdown_rx) = watch::channel(false);
    let service = ProviderService::new(provider);
    let stop = service.stop_token();
    let provider_server = ProviderServer::new(service)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let (health_reporter, health_server) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;
    let controller = goplugin::grpc_controller_server::GrpcControllerServer::new(Controller {
        shutdown: shutdown_tx.clone(),
    });
    let stdio = goplugin::grpc_stdio_server::GrpcStdioServer::new(Stdio);

    let incoming = accept_connections(listener, tls.as_ref().map(|t| t.server_config.clone()));

    write_handshake(&options, &socket_path, tls.as_ref())?;
    tracing::debug!(socket = %socket_path.display(), tls = tls.is_some(), "plugin serving");

    let (stopping_tx, mut stopping_rx) = watch::channel(false);
    let shutdown = async move {
        if options.debug {
            tokio::select! {
                _ = shutdown_rx.wait_for(|stop| *stop) => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        } else {
            let _ = shutdown_rx.wait_for(|stop| *stop).await;
        }
        stop.cancel();
        let _ = stopping_tx.send(true);
    };
    let server = tonic::transport::Server::builder()
        .add_service(provider_server)
        .add_service(health_server)
        .add_service(controller)
        .add_service(stdio)
        .serve_with_incoming_shutdown(incoming, shutdown);
    // Graceful shutdown waits for clients to hang up; one that never does must not keep the
    // process alive.
    let grace_expired = async move {
        let _ = stopping_rx.wait_for(|stopping| *stopping).await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        served = server => served?,
        () = grace_expired => tracing::debug!("clients still connected after shutdown; exiting"),
    }
    drop(socket_dir);
    Ok(())
}

fn check_started_by_terraform() -> Result<(), ServeError> {
    if std::env::var(MAGIC_COOKIE_KEY).ok().as_deref() != Some(MAGIC_COOKIE_VALUE) {
        return Err(ServeError::NotStartedByTerraform);
    }
    if let Ok(offered) = std::env::var("PLUGIN_PROTOCOL_VERSIONS") {
        let speaks_ours = offered
            .split(',')
            .any(|v| v.trim().parse::<u32>().ok() == Some(PROTOCOL_VERSION));
        if !speaks_ours {
            return Err(ServeError::UnsupportedProtocol { offered });
        }
    }
    Ok(())
}

/// The handshake line go-plugin reads: `1|6|unix|<socket>|grpc|<server cert>`. The certificate
/// is raw DER in unpadded standard base64, present only when Terraform sent its own.
pub fn handshake_line(socket_path: &Path, server_certificate: Option<&[u8]>) -> String {
    let mut line = format!("1|{PROTOCOL_VERSION}|unix|{}|grpc|", socket_path.display());
    if let Some(der) = server_certificate {
        line.push_str(&base64::engine::general_purpose::STANDARD_NO_PAD.encode(der));
    }
    line
}

fn write_handshake(
    options: &ServeOptions,
    socket_path: &Path,
    tls: Option<&AutoMtls>,
) -> Result<(), ServeError> {
    let mut stdout = io::stdout().lock();
    if options.debug {
        let reattach = serde_json::json!({
            options.address.clone(): {
                "Protocol": "grpc",
                "ProtocolVersion": PROTOCOL_VERSION,
                "Pid": std::process::id(),
                "Test": true,
                "Addr": { "Network": "unix", "String": socket_path.display().to_string() },
            }
        });
        writeln!(
            stdout,
            "Provider started in debug mode. To attach Terraform, set in its environment:\n\n\
             \tTF_REATTACH_PROVIDERS='{reattach}'\n\nPress Ctrl-C to stop."
        )
        .map_err(ServeError::Handshake)?;
    } else {
        let certificate = tls.map(|t| t.server_certificate.as_slice());
        writeln!(stdout, "{}", handshake_line(socket_path, certificate))
            .map_err(ServeError::Handshake)?;
    }
    stdout.flush().map_err(ServeError::Handshake)
}

/// Accepts connections on the socket; with TLS, completes each handshake in its own task so a
/// slow or hostile client cannot hold up Terraform's connection. Refused clients are logged.
fn accept_connections(
    listener: UnixListener,
    tls: Option<Arc<rustls::ServerConfig>>,
) -> ReceiverStream<io::Result<Connection>> {
    let (tx, rx) = mpsc::channel(16);
    let acceptor = tls.map(TlsAcceptor::from);
    tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(err) => {
                    tracing::warn!(error = %err, "accepting a plugin connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            match &acceptor {
                None => {
                    if tx.send(Ok(Connection::Plain(stream))).await.is_err() {
                        return;
                    }
                }
                Some(acceptor) => {
                    let acceptor = acceptor.clone();
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        let handshake =
                            tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream));
                        match handshake.await {
                            Ok(Ok(tls_stream)) => {
                                let _ = tx.send(Ok(Connection::Tls(Box::new(tls_stream)))).await;
                            }
                            Ok(Err(err)) => {
                                tracing::warn!(error = %err, "refused a plugin connection: TLS handshake failed");
                            }
                            Err(_) => {
                                tracing::warn!(
                                    "refused a plugin connection: TLS handshake timed out"
                                );
                            }
                        }
                    });
                }
            }
        }
    });
    ReceiverStream::new(rx)
}

/// A client connection, with or without TLS.
pub enum Connection {
    Plain(UnixStream),
    Tls(Box<TlsStream<UnixStream>>),
}

impl Connected for Connection {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_flush(cx),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Connection::Plain(s) => s.is_write_vectored(),
            Connection::Tls(s) => s.is_write_vectored(),
        }
    }
}

/// go-plugin's controller: `Shutdown` ends the server (and so the process) promptly; without
/// it Terraform waits two seconds and kills each provider process.
struct Controller {
    shutdown: watch::Sender<bool>,
}

#[tonic::async_trait]
impl goplugin::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(
        &self,
        _request: tonic::Request<goplugin::Empty>,
    ) -> Result<tonic::Response<goplugin::Empty>, tonic::Status> {
        tracing::debug!("shutdown requested");
        let _ = self.shutdown.send(true);
        Ok(tonic::Response::new(goplugin::Empty {}))
    }
}

/// go-plugin's stdio forwarding. Logs go to stderr directly, so the stream never sends.
struct Stdio;

#[tonic::async_trait]
impl goplugin::grpc_stdio_server::GrpcStdio for Stdio {
    async fn stream_stdio(
        &self,
        _request: tonic::Request<()>,
    ) -> Result<tonic::Response<tonic::codegen::BoxStream<goplugin::StdioData>>, tonic::Status>
    {
        Ok(tonic::Response::new(Box::pin(tokio_stream::pending())))
    }
}

/// Where the socket of a plugin lives, given its handshake line (for tests and tools).
pub fn socket_from_handshake(line: &str) -> Option<PathBuf> {
    let mut fields = line.trim().split('|');
    match (fields.next(), fields.next(), fields.next(), fields.next()) {
        (Some("1"), Some("6"), Some("unix"), Some(path)) => Some(PathBuf::from(path)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_line_has_unpadded_base64_certificate_only_with_tls() {
        let path = Path::new("/tmp/x/plugin.sock");
        assert_eq!(
            handshake_line(path, None),
            "1|6|unix|/tmp/x/plugin.sock|grpc|"
        );
        // 4 bytes → 6 base64 chars unpadded ("AQIDBA" vs padded "AQIDBA==").
        assert_eq!(
            handshake_line(path, Some(&[1, 2, 3, 4])),
            "1|6|unix|/tmp/x/plugin.sock|grpc|AQIDBA"
        );
        assert_eq!(
            socket_from_handshake("1|6|unix|/tmp/x/plugin.sock|grpc|AQIDBA\n"),
            Some(PathBuf::from("/tmp/x/plugin.sock"))
        );
    }
}
