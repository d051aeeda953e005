//! The plugin handshake as Terraform performs it: magic cookie, protocol negotiation, AutoMTLS
//! with Terraform's self-signed P-521 CA certificate, health check, schema, shutdown. And the
//! security property: a client without Terraform's certificate cannot drive the provider.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use ecstpl::plugin::proto::goplugin;
use ecstpl::plugin::proto::tfplugin6;
use ecstpl::plugin::server::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use hyper_util::rt::TokioIo;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use tonic::transport::{Channel, Endpoint};

const PROVIDER: &str = env!("CARGO_BIN_EXE_terraform-provider-ecstpl");

/// A client identity shaped like Terraform's: self-signed ECDSA P-521, marked CA:TRUE.
struct ClientIdentity {
    pem: String,
    der: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

fn terraform_like_identity() -> ClientIdentity {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "HashiCorp");
    let cert = params.self_signed(&key).unwrap();
    ClientIdentity {
        pem: cert.pem(),
        der: cert.der().clone(),
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    }
}

struct Plugin {
    child: Child,
    socket: PathBuf,
    server_cert: Option<CertificateDer<'static>>,
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_plugin(client_cert_pem: Option<&str>) -> Plugin {
    let mut command = Command::new(PROVIDER);
    command
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_PROFILE")
        .env_remove("PLUGIN_CLIENT_CERT")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(pem) = client_cert_pem {
        command.env("PLUGIN_CLIENT_CERT", pem);
    }
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(fields.len(), 6, "handshake line: {line:?}");
    assert_eq!(&fields[..3], &["1", "6", "unix"]);
    assert_eq!(fields[4], "grpc");
    let server_cert = if fields[5].is_empty() {
        None
    } else {
        assert!(!fields[5].ends_with('='), "certificate must be unpadded");
        let der = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(fields[5])
            .unwrap();
        Some(CertificateDer::from(der))
    };
    Plugin {
        child,
        socket: PathBuf::from(fields[3]),
        server_cert,
    }
}

/// Connects over the Unix socket, with TLS as go-plugin's client does it when `tls` is given.
async fn connect(
    socket: PathBuf,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> Result<Channel, tonic::transport::Error> {
    Endpoint::from_static("http://localhost")
        .connect_timeout(Duration::from_secs(5))
        .connect_with_connector(tower::service_fn(move |_| {
            let socket = socket.clone();
            let tls = tls.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(socket).await?;
                let io: Box<dyn IoStream> = match tls {
                    None => Box::new(stream),
                    Some(config) => {
                        let connector = tokio_rustls::TlsConnector::from(config);
                        let name = ServerName::try_from("localhost").unwrap();
                        Box::new(connector.connect(name, stream).await?)
                    }
                };
                Ok::<_, std::io::Error>(TokioIo::new(io))
            }
        }))
        .await
}

trait IoStream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin> IoStream for T {}

fn client_tls(
    server_cert: &CertificateDer<'static>,
    identity: Option<&ClientIdentity>,
) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(server_cert.clone()).unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let mut config = match identity {
        Some(identity) => builder
            .with_client_auth_cert(vec![identity.der.clone()], identity.key.clone_key())
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    Arc::new(config)
}

async fn schema_call(
    channel: Channel,
) -> Result<tfplugin6::get_provider_schema::Response, tonic::Status> {
    let mut client = tfplugin6::provider_client::ProviderClient::new(channel)
        .max_decoding_message_size(256 << 20);
    client
        .get_provider_schema(tfplugin6::get_provider_schema::Request {})
        .await
        .map(tonic::Response::into_inner)
}

fn wait_for_exit(plugin: &mut Plugin, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Some(status) = plugin.child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

#[tokio::test]
async fn terraform_style_mtls_handshake_serves_schema_health_and_shuts_down() {
    let identity = terraform_like_identity();
    let mut plugin = start_plugin(Some(&identity.pem));
    let server_cert = plugin
        .server_cert
        .clone()
        .expect("a certificate is advertised");
    let tls = client_tls(&server_cert, Some(&identity));
    let channel = connect(plugin.socket.clone(), Some(tls)).await.unwrap();

    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    let status = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        status.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    let schema = schema_call(channel.clone()).await.unwrap();
    assert!(schema.resource_schemas.contains_key("ecstpl_template"));
    assert!(schema.diagnostics.is_empty());

    let mut controller = goplugin::grpc_controller_client::GrpcControllerClient::new(channel);
    controller.shutdown(goplugin::Empty {}).await.unwrap();
    let status = wait_for_exit(&mut plugin, Duration::from_secs(5)).expect("exits after Shutdown");
    assert!(status.success());
    assert!(!plugin.socket.exists(), "socket is removed on exit");
}

#[tokio::test]
async fn client_without_terraforms_certificate_is_refused() {
    let identity = terraform_like_identity();
    let plugin = start_plugin(Some(&identity.pem));
    let server_cert = plugin.server_cert.clone().unwrap();

    // No client certificate at all.
    let no_cert = client_tls(&server_cert, None);
    let refused = match connect(plugin.socket.clone(), Some(no_cert)).await {
        Err(_) => true,
        Ok(channel) => schema_call(channel).await.is_err(),
    };
    assert!(
        refused,
        "a client without a certificate must not get the schema"
    );

    // A certificate of the same shape that is not the one Terraform announced.
    let impostor = terraform_like_identity();
    let wrong_cert = client_tls(&server_cert, Some(&impostor));
    let refused = match connect(plugin.socket.clone(), Some(wrong_cert)).await {
        Err(_) => true,
        Ok(channel) => schema_call(channel).await.is_err(),
    };
    assert!(
        refused,
        "a client with another certificate must not get the schema"
    );

    // Plaintext HTTP/2 on a TLS socket.
    let refused = match connect(plugin.socket.clone(), None).await {
        Err(_) => true,
        Ok(channel) => schema_call(channel).await.is_err(),
    };
    assert!(refused, "plaintext must not get the schema");

    // The real client still works afterwards.
    let tls = client_tls(&server_cert, Some(&identity));
    let channel = connect(plugin.socket.clone(), Some(tls)).await.unwrap();
    assert!(schema_call(channel).await.is_ok());
}

#[test]
fn plaintext_only_when_terraform_sends_no_certificate() {
    let plugin = start_plugin(None);
    assert!(plugin.server_cert.is_none());
}

#[test]
fn run_by_hand_it_explains_itself_and_fails() {
    let output = Command::new(PROVIDER)
        .env_remove(MAGIC_COOKIE_KEY)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("plugin for Terraform"), "{stderr}");
    assert!(
        output.stdout.is_empty(),
        "nothing on stdout that could look like a handshake"
    );
}

#[test]
fn refuses_a_terraform_that_offers_only_protocol_5() {
    let output = Command::new(PROVIDER)
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("protocol"));
}

#[tokio::test]
async fn sigint_is_ignored_because_terraform_sends_stop_provider_instead() {
    let identity = terraform_like_identity();
    let mut plugin = start_plugin(Some(&identity.pem));
    let status = Command::new("kill")
        .args(["-INT", &plugin.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        plugin.child.try_wait().unwrap().is_none(),
        "the plugin died on SIGINT"
    );
    let tls = client_tls(plugin.server_cert.as_ref().unwrap(), Some(&identity));
    let channel = connect(plugin.socket.clone(), Some(tls)).await.unwrap();
    assert!(schema_call(channel).await.is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn debug_mode_serves_plaintext_and_prints_reattach_config() {
    let mut child = Command::new(PROVIDER)
        .arg("--debug")
        .env_remove(MAGIC_COOKIE_KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut reattach = None;
    for _ in 0..10 {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if let Some(value) = line.trim().strip_prefix("TF_REATTACH_PROVIDERS='") {
            reattach = Some(value.trim_end_matches('\'').to_string());
            break;
        }
    }
    let reattach: serde_json::Value =
        serde_json::from_str(&reattach.expect("a reattach line")).unwrap();
    let entry = &reattach["registry.terraform.io/ecstpl/ecstpl"];
    assert_eq!(entry["ProtocolVersion"], 6);
    assert_eq!(entry["Pid"], child.id());
    let socket = PathBuf::from(entry["Addr"]["String"].as_str().unwrap());
    let channel = connect(socket, None).await.unwrap();
    assert!(schema_call(channel).await.is_ok());
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        child.try_wait().unwrap().is_some(),
        "Ctrl-C stops a debug-mode provider"
    );
}

/// An endpoint that accepts connections and never answers: an ECS call to it hangs.
fn black_hole() -> (std::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    (listener, endpoint)
}

#[tokio::test]
async fn stop_provider_cancels_an_in_flight_aws_call() {
    use ecstpl::plugin::framework::Provider as _;
    use ecstpl::plugin::value::{self, Value};

    let (_hole, endpoint) = black_hole();
    let identity = terraform_like_identity();
    let plugin = start_plugin(Some(&identity.pem));
    let tls = client_tls(plugin.server_cert.as_ref().unwrap(), Some(&identity));
    let channel = connect(plugin.socket.clone(), Some(tls)).await.unwrap();
    let mut client = tfplugin6::provider_client::ProviderClient::new(channel);

    let provider = ecstpl::provider::EcstplProvider::new();
    let config_type = provider.schema().value_type();
    let config = Value::object([
        ("region", Value::from("us-east-1")),
        ("max_retries", Value::from(0)),
        (
            "endpoints",
            Value::object([("ecs", Value::from(endpoint.as_str()))]),
        ),
    ]);
    let configure = client
        .configure_provider(tfplugin6::configure_provider::Request {
            terraform_version: "1.15.5".into(),
            config: Some(tfplugin6::DynamicValue {
                msgpack: value::encode(&config, &config_type).unwrap(),
                json: vec![],
            }),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        configure.diagnostics.is_empty(),
        "{:?}",
        configure.diagnostics
    );

    let template = provider.resources().remove(0);
    let state_type = template.schema().value_type();
    let state = Value::object([
        ("family", Value::from("web-template")),
        ("container_definitions", Value::from("[]")),
        (
            "arn",
            Value::from("arn:aws:ecs:us-east-1:123456789012:task-definition/web-template:1"),
        ),
    ]);
    let sent = value::encode(&state, &state_type).unwrap();
    let read = {
        let mut client = client.clone();
        let msgpack = sent.clone();
        tokio::spawn(async move {
            let start = Instant::now();
            let response = client
                .read_resource(tfplugin6::read_resource::Request {
                    type_name: "ecstpl_template".into(),
                    current_state: Some(tfplugin6::DynamicValue {
                        msgpack,
                        json: vec![],
                    }),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner();
            (start.elapsed(), response)
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    if read.is_finished() {
        let (_, response) = read.await.unwrap();
        panic!(
            "the read should hang on the black-hole endpoint: {:?}",
            response.diagnostics
        );
    }
    client
        .stop_provider(tfplugin6::stop_provider::Request {})
        .await
        .unwrap();
    let (elapsed, response) = tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .expect("the read ends soon after StopProvider")
        .unwrap();
    assert!(elapsed < Duration::from_secs(5));
    assert!(
        response
            .diagnostics
            .iter()
            .any(|d| d.summary == "Provider stopped"),
        "{:?}",
        response.diagnostics
    );
    // The state stays what Terraform sent, byte for byte.
    assert_eq!(response.new_state.map(|s| s.msgpack), Some(sent));
}

/// Other users of the machine cannot reach the plugin's socket: its directory is private.
#[test]
fn the_socket_and_its_directory_are_private_to_the_user() {
    use std::os::unix::fs::PermissionsExt;
    let identity = terraform_like_identity();
    let plugin = start_plugin(Some(&identity.pem));
    let directory = plugin.socket.parent().unwrap();
    let directory_mode = std::fs::metadata(directory).unwrap().permissions().mode();
    assert_eq!(
        directory_mode & 0o777,
        0o700,
        "{} is mode {:o}: only its owner may enter it",
        directory.display(),
        directory_mode & 0o777
    );
    let socket_mode = std::fs::symlink_metadata(&plugin.socket)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        socket_mode & 0o777,
        0o600,
        "the socket is mode {:o}: only its owner may connect",
        socket_mode & 0o777
    );
}

/// The provider says its schema call is optional (Terraform then fetches the schema from the
/// first process of a run only), so a process that was never asked for it must serve resource
/// calls with the same schemas.
#[tokio::test]
async fn resource_calls_need_no_schema_call_first() {
    use ecstpl::plugin::framework::Provider as _;
    use ecstpl::plugin::value::{self, Value};

    let identity = terraform_like_identity();
    let plugin = start_plugin(Some(&identity.pem));
    let tls = client_tls(plugin.server_cert.as_ref().unwrap(), Some(&identity));
    let channel = connect(plugin.socket.clone(), Some(tls)).await.unwrap();

    let template_type = ecstpl::provider::EcstplProvider::new()
        .resources()
        .into_iter()
        .find(|r| r.type_name() == "ecstpl_template")
        .expect("ecstpl_template is served")
        .schema()
        .value_type();
    let config = Value::object([
        ("family", Value::string("web-template")),
        ("container_definitions", Value::string("not json")),
    ]);
    let mut client = tfplugin6::provider_client::ProviderClient::new(channel.clone());
    let answer = client
        .validate_resource_config(tfplugin6::validate_resource_config::Request {
            type_name: "ecstpl_template".into(),
            config: Some(tfplugin6::DynamicValue {
                msgpack: value::encode(&config, &template_type).unwrap(),
                json: Vec::new(),
            }),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    let problem = answer
        .diagnostics
        .iter()
        .find(|d| d.severity == tfplugin6::diagnostic::Severity::Error as i32)
        .expect("the invalid JSON is reported");
    let steps = &problem.attribute.as_ref().expect("with its path").steps;
    assert!(
        matches!(
            steps.first().and_then(|s| s.selector.as_ref()),
            Some(tfplugin6::attribute_path::step::Selector::AttributeName(name))
                if name == "container_definitions"
        ),
        "{problem:?}"
    );

    let capabilities = schema_call(channel)
        .await
        .unwrap()
        .server_capabilities
        .expect("capabilities are sent");
    assert!(capabilities.get_provider_schema_optional);
    assert!(capabilities.move_resource_state);
}
