//! Publishing as a platform team does it, proven with real Terraform: `scripts/release`
//! output installs from a filesystem mirror (hash recorded in the lock file), and from a
//! provider registry served over HTTPS on loopback (throwaway CA trusted through
//! SSL_CERT_FILE, throwaway GPG key) with the signature verified; a zip altered by one byte or
//! a signature by another key makes `terraform init` fail.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use crate::support;
use crate::support::{
    Moto, PROVIDER_BINARY, Terraform, Workspace, gpg_key, repo_root, terraform_binaries,
};
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

const VERSION: &str = "0.1.0";

fn platform() -> (&'static str, &'static str) {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => panic!("no Go architecture name for {other}"),
    };
    ("linux", arch)
}

/// Runs scripts/release on the test binary, signed with `private_key`.
fn release(out: &Path, private_key: Option<&str>) {
    let mut command = Command::new(repo_root().join("scripts/release"));
    command
        .args(["--binary", PROVIDER_BINARY, "--out"])
        .arg(out);
    match private_key {
        Some(key) => command.env("ECSTPL_GPG_PRIVATE_KEY", key),
        None => command.arg("--unsigned"),
    };
    let output = command.env_remove("ECSTPL_GPG_KEY_ID").output().unwrap();
    assert!(
        output.status.success(),
        "release: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn zip_name() -> String {
    let (os, arch) = platform();
    format!("terraform-provider-ecstpl_{VERSION}_{os}_{arch}.zip")
}

fn config(source: &str) -> String {
    format!(
        r#"
terraform {{
  required_providers {{
    ecstpl = {{
      source  = "{source}"
      version = "{VERSION}"
    }}
  }}
}}

provider "ecstpl" {{
  region = "us-east-1"
}}

resource "ecstpl_template" "web" {{
  family                = "web-template"
  container_definitions = jsonencode([{{ name = "app", image = "placeholder", memory = 128 }}])
}}
"#
    )
}

/// A filesystem mirror holding this machine's zip from an unsigned `scripts/release`.
fn filesystem_mirror() -> tempfile::TempDir {
    let mirror = tempfile::tempdir().unwrap();
    let release_dir = tempfile::tempdir().unwrap();
    release(release_dir.path(), None);
    let package_dir = mirror.path().join("registry.terraform.io/ecstpl/ecstpl");
    std::fs::create_dir_all(&package_dir).unwrap();
    std::fs::copy(
        release_dir.path().join(zip_name()),
        package_dir.join(zip_name()),
    )
    .unwrap();
    mirror
}

/// The CLI configuration docs/guides/publishing.md gives for a filesystem mirror.
fn mirror_cli_config(mirror: &Path) -> String {
    format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/ecstpl/ecstpl\"]\n  }}\n}}\n",
        mirror.display()
    )
}

#[test]
fn release_refuses_to_produce_unsigned_artifacts_unless_asked() {
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(repo_root().join("scripts/release"))
        .args(["--binary", PROVIDER_BINARY, "--out"])
        .arg(out.path())
        .env_remove("ECSTPL_GPG_KEY_ID")
        .env_remove("ECSTPL_GPG_PRIVATE_KEY")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("refusing to produce unsigned artifacts")
    );
    assert!(
        std::fs::read_dir(out.path()).unwrap().next().is_none(),
        "nothing written"
    );
}

#[test]
fn filesystem_mirror_install_records_the_hash_and_plans() {
    let moto = Moto::start();
    let mirror = filesystem_mirror();
    for terraform in terraform_binaries() {
        let cli_config = mirror_cli_config(mirror.path());
        let workspace = Workspace::with_cli_config(&terraform, &moto.endpoint(), &cli_config);
        workspace.write("main.tf", &config("ecstpl/ecstpl"));
        let init = workspace.run(&["init", "-input=false", "-no-color"]);
        assert!(
            init.success(),
            "Terraform {} init:\n{}",
            terraform.version,
            init.combined()
        );
        let lock = std::fs::read_to_string(workspace.path().join(".terraform.lock.hcl")).unwrap();
        assert!(
            lock.contains("provider \"registry.terraform.io/ecstpl/ecstpl\""),
            "{lock}"
        );
        assert!(
            lock.contains(&format!("version     = \"{VERSION}\"")),
            "{lock}"
        );
        assert!(lock.contains("\"h1:") || lock.contains("\"zh:"), "{lock}");
        let (code, output) = workspace.plan_detailed_exitcode(&[]);
        assert_eq!(
            code,
            2,
            "Terraform {}:\n{}",
            terraform.version,
            output.combined()
        );
    }
}

/// The `terraform providers lock` command of docs/guides/publishing.md, for a mirror at
/// `mirror`: the guide's path replaced, and only this machine's platform kept (the test
/// mirror has only its zip).
fn guide_lock_command(mirror: &Path) -> Vec<String> {
    let guide = std::fs::read_to_string(repo_root().join("docs/guides/publishing.md")).unwrap();
    let line = guide
        .lines()
        .find(|l| l.trim_start().starts_with("terraform providers lock"))
        .expect("docs/guides/publishing.md shows a `terraform providers lock` command line");
    let (os, arch) = platform();
    let host = format!("-platform={os}_{arch}");
    line.split_whitespace()
        .skip(1)
        .filter(|arg| !arg.starts_with("-platform=") || *arg == host)
        .map(|arg| arg.replace("/opt/terraform-mirror", &mirror.display().to_string()))
        .collect()
}

/// The guide's lock command works for a filesystem mirror: it records the provider's hash
/// from the mirror, and `terraform init` installs from the mirror against that lock file. Any
/// request that would leave the machine goes to a closed loopback port (HTTPS_PROXY), so a
/// command that asks the origin registry fails here.
#[test]
fn the_publishing_guides_lock_command_locks_from_a_filesystem_mirror() {
    let moto = Moto::start();
    let mirror = filesystem_mirror();
    let command = guide_lock_command(mirror.path());
    let (os, arch) = platform();
    assert!(
        command.contains(&format!("-platform={os}_{arch}")),
        "the guide locks {os}_{arch}: {command:?}"
    );
    for terraform in terraform_binaries() {
        let cli_config = mirror_cli_config(mirror.path());
        let mut workspace = Workspace::with_cli_config(&terraform, &moto.endpoint(), &cli_config);
        workspace.env("HTTPS_PROXY", "http://127.0.0.1:9");
        workspace.env("NO_PROXY", "127.0.0.1,localhost");
        workspace.write("main.tf", &config("ecstpl/ecstpl"));
        let args: Vec<&str> = command.iter().map(String::as_str).collect();
        let locked = workspace.run(&args);
        assert!(
            locked.success(),
            "Terraform {} {args:?}:\n{}",
            terraform.version,
            locked.combined()
        );
        let lock = std::fs::read_to_string(workspace.path().join(".terraform.lock.hcl")).unwrap();
        assert!(
            lock.contains("provider \"registry.terraform.io/ecstpl/ecstpl\"")
                && lock.contains(&format!("version     = \"{VERSION}\"")),
            "{lock}"
        );
        let init = workspace.run(&["init", "-input=false", "-no-color"]);
        assert!(
            init.success(),
            "Terraform {} init against the lock file:\n{}",
            terraform.version,
            init.combined()
        );
    }
}

/// A provider registry over HTTPS on loopback, serving one release directory.
struct Registry {
    port: u16,
    ca_file: PathBuf,
    _dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Registry {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Served {
    files: PathBuf,
    key_id: String,
    public_key: String,
}

fn start_registry(files: PathBuf, key_id: String, public_key: String) -> Registry {
    let dir = tempfile::tempdir().unwrap();
    let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "ecstpl test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let server_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let server_params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let server_cert = server_params.signed_by(&server_key, &issuer).unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![server_cert.der().clone()],
            rustls_pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
        )
        .unwrap();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let served = Arc::new(Served {
        files,
        key_id,
        public_key,
    });
    let (shutdown_tx, mut shutdown_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let stream = tokio::select! {
                    _ = &mut shutdown_rx => return,
                    accepted = listener.accept() => match accepted { Ok((s, _)) => s, Err(_) => continue },
                };
                let acceptor = acceptor.clone();
                let served = served.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(stream).await else { return };
                    let service = hyper::service::service_fn(move |request| {
                        let served = served.clone();
                        async move { Ok::<_, std::convert::Infallible>(answer(&served, port, &request)) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(tls), service).await;
                });
            }
        });
    });
    Registry {
        port,
        ca_file,
        _dir: dir,
        shutdown: Some(shutdown_tx),
        thread: Some(thread),
    }
}

/// The provider registry protocol: discovery, versions, download metadata, then the files.
fn answer(
    served: &Served,
    port: u16,
    request: &Request<hyper::body::Incoming>,
) -> Response<Full<Bytes>> {
    let (os, arch) = platform();
    let base = format!("https://localhost:{port}");
    let prefix = format!("terraform-provider-ecstpl_{VERSION}");
    let json = |value: serde_json::Value| {
        Response::builder()
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(value.to_string())))
            .unwrap()
    };
    let path = request.uri().path();
    match path {
        "/.well-known/terraform.json" => {
            json(serde_json::json!({"providers.v1": "/v1/providers/"}))
        }
        "/v1/providers/ecstpl/ecstpl/versions" => json(serde_json::json!({
            "versions": [{"version": VERSION, "protocols": ["6.0"], "platforms": [{"os": os, "arch": arch}]}]
        })),
        p if p == format!("/v1/providers/ecstpl/ecstpl/{VERSION}/download/{os}/{arch}") => {
            let sums =
                std::fs::read_to_string(served.files.join(format!("{prefix}_SHA256SUMS"))).unwrap();
            let shasum = sums
                .lines()
                .find(|l| l.ends_with(&zip_name()))
                .and_then(|l| l.split_whitespace().next())
                .unwrap()
                .to_string();
            json(serde_json::json!({
                "protocols": ["6.0"], "os": os, "arch": arch,
                "filename": zip_name(),
                "download_url": format!("{base}/files/{}", zip_name()),
                "shasums_url": format!("{base}/files/{prefix}_SHA256SUMS"),
                "shasums_signature_url": format!("{base}/files/{prefix}_SHA256SUMS.sig"),
                "shasum": shasum,
                "signing_keys": {"gpg_public_keys": [{"key_id": served.key_id, "ascii_armor": served.public_key}]}
            }))
        }
        p if p.starts_with("/files/") => {
            let name = &p["/files/".len()..];
            match std::fs::read(served.files.join(name)) {
                Ok(bytes) => Response::new(Full::new(Bytes::from(bytes))),
                Err(_) => Response::builder()
                    .status(StatusCode::NOT_FOUND)
                    .body(Full::new(Bytes::new()))
                    .unwrap(),
            }
        }
        _ => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Full::new(Bytes::new()))
            .unwrap(),
    }
}

fn init_from(
    terraform: &Terraform,
    registry: &Registry,
    moto: &Moto,
) -> (Workspace, support::CmdOutput) {
    let mut workspace = Workspace::with_cli_config(terraform, &moto.endpoint(), "");
    workspace.env("SSL_CERT_FILE", &registry.ca_file.display().to_string());
    workspace.write(
        "main.tf",
        &config(&format!("localhost:{}/ecstpl/ecstpl", registry.port)),
    );
    let output = workspace.run(&["init", "-input=false", "-no-color"]);
    (workspace, output)
}

#[test]
fn https_registry_install_verifies_the_signature_and_refuses_tampering() {
    let moto = Moto::start();
    // RSA: Terraform 1.0's OpenPGP library has no EdDSA.
    let (_home, key_id, private_key, public_key) = gpg_key("release", "rsa2048");
    let (_other_home, other_key_id, _, other_public_key) = gpg_key("impostor", "rsa2048");
    let files = tempfile::tempdir().unwrap();
    release(files.path(), Some(&private_key));

    for terraform in terraform_binaries() {
        let registry = start_registry(
            files.path().to_path_buf(),
            key_id.clone(),
            public_key.clone(),
        );
        let (workspace, init) = init_from(&terraform, &registry, &moto);
        assert!(
            init.success(),
            "Terraform {} init from the registry:\n{}",
            terraform.version,
            init.combined()
        );
        assert!(
            init.combined().contains("Signed by") || init.combined().contains("signed by"),
            "{}",
            init.combined()
        );
        let lock = std::fs::read_to_string(workspace.path().join(".terraform.lock.hcl")).unwrap();
        assert!(
            lock.contains(&format!("localhost:{}/ecstpl/ecstpl", registry.port)),
            "{lock}"
        );
        let (code, output) = workspace.plan_detailed_exitcode(&[]);
        assert_eq!(
            code,
            2,
            "Terraform {}:\n{}",
            terraform.version,
            output.combined()
        );

        // A signature by another key than the registry announces.
        let registry = start_registry(
            files.path().to_path_buf(),
            other_key_id.clone(),
            other_public_key.clone(),
        );
        let (_, init) = init_from(&terraform, &registry, &moto);
        assert!(
            !init.success(),
            "Terraform {} accepted a signature by another key",
            terraform.version
        );
        let text = init.combined();
        assert!(
            text.contains("signature") || text.contains("Signature"),
            "refused for another reason:\n{text}"
        );
    }

    // The zip altered by one byte (the sums and signature are the genuine ones).
    let tampered = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(files.path()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), tampered.path().join(entry.file_name())).unwrap();
    }
    let zip = tampered.path().join(zip_name());
    let mut bytes = std::fs::read(&zip).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&zip, bytes).unwrap();
    for terraform in terraform_binaries() {
        let registry = start_registry(
            tampered.path().to_path_buf(),
            key_id.clone(),
            public_key.clone(),
        );
        let (_, init) = init_from(&terraform, &registry, &moto);
        assert!(
            !init.success(),
            "Terraform {} installed a tampered zip",
            terraform.version
        );
        let text = init.combined();
        assert!(
            text.contains("checksum") || text.contains("match"),
            "refused for another reason:\n{text}"
        );
    }
}
