//! The CLI where CI users look for it: `scripts/release` writes a reproducible CLI archive
//! listed in the release's SHA256SUMS; the GitHub Action's install script installs it from a
//! local release directory (checksum and signature verified, tool cache reused) and refuses a
//! tampered archive or one the sums do not list; its deploy script maps the inputs to
//! `ecstpl deploy` against the emulator and writes the outputs, refusing bad inputs by name
//! before anything is registered; action.yml, the example workflow, the README copy of it and
//! the Dockerfile are checked against each other and the CLI.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::proxy::{RecordingProxy, Rollout};
use crate::support::{
    CmdOutput, Moto, PROVIDER_BINARY, bootstrap_service_on, ecs_call, gpg_key, repo_root,
};
use serde_json::{Value as Json, json};

const ECSTPL: &str = env!("CARGO_BIN_EXE_ecstpl");
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => panic!("no Go architecture name for {other}"),
    }
}

fn archive_name() -> String {
    format!("ecstpl_{VERSION}_linux_{}.tar.gz", arch())
}

fn sums_name() -> String {
    format!("terraform-provider-ecstpl_{VERSION}_SHA256SUMS")
}

/// A command with nothing of the machine's GitHub Actions, runner or AWS settings.
fn clean(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut command = Command::new(program);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if ["GITHUB_", "RUNNER_", "INPUT_", "AWS_", "ACTION_", "ECSTPL_"]
            .iter()
            .any(|p| key.starts_with(p))
        {
            command.env_remove(key.as_ref());
        }
    }
    command
}

/// scripts/release on the test binaries (the CLI from `cli_binary`), unsigned unless a private
/// key is given.
fn release(out: &Path, cli_binary: &Path, private_key: Option<&str>) -> CmdOutput {
    let mut command = clean(repo_root().join("scripts/release"));
    command
        .args(["--binary", PROVIDER_BINARY, "--cli-binary"])
        .arg(cli_binary)
        .arg("--out")
        .arg(out);
    match private_key {
        Some(key) => command.env("ECSTPL_GPG_PRIVATE_KEY", key),
        None => command.arg("--unsigned"),
    };
    let output = CmdOutput::from(command.output().expect("run scripts/release"));
    assert!(output.success(), "release:\n{}", output.combined());
    output
}

fn sha256(path: &Path) -> String {
    let output = Command::new("sha256sum").arg(path).output().unwrap();
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn release_writes_a_reproducible_cli_archive_listed_in_the_sums() {
    let first = tempfile::tempdir().unwrap();
    release(first.path(), Path::new(ECSTPL), None);
    let archive = first.path().join(archive_name());
    assert!(archive.exists(), "no {}", archive.display());

    let sums = std::fs::read_to_string(first.path().join(sums_name())).unwrap();
    let listed: Vec<(&str, &str)> = sums.lines().filter_map(|l| l.split_once("  ")).collect();
    assert!(
        listed.contains(&(sha256(&archive).as_str(), archive_name().as_str())),
        "{} with its checksum is not in the sums:\n{sums}",
        archive_name()
    );
    let provider_zip = format!("terraform-provider-ecstpl_{VERSION}_linux_{}.zip", arch());
    assert!(
        listed.iter().any(|(_, name)| *name == provider_zip),
        "the provider's zip left the sums:\n{sums}"
    );

    // What is inside: the binary and the README, root-owned by number, at the fixed time.
    let listing = Command::new("tar")
        .args(["--numeric-owner", "-tvzf"])
        .arg(&archive)
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout).into_owned();
    let names: Vec<&str> = listing
        .lines()
        .map(|l| l.split_whitespace().last().unwrap())
        .collect();
    assert_eq!(names, ["README.md", "ecstpl"], "{listing}");
    for line in listing.lines() {
        assert!(line.contains(" 0/0 "), "not owned by 0/0: {line}");
        assert!(line.contains("2000-01-01"), "not the fixed time: {line}");
    }
    let extracted = tempfile::tempdir().unwrap();
    let untar = Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(extracted.path())
        .status()
        .unwrap();
    assert!(untar.success());
    let version = Command::new(extracted.path().join("ecstpl"))
        .arg("--version")
        .output()
        .expect("the extracted ecstpl runs");
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("ecstpl {VERSION}")
    );

    // The same binary from another path, with another mtime, under another umask: the same
    // bytes.
    let copy_dir = tempfile::tempdir().unwrap();
    let copy = copy_dir.path().join("ecstpl");
    std::fs::copy(ECSTPL, &copy).unwrap();
    let touched = Command::new("touch")
        .args(["-d", "2021-06-01T12:34:56Z"])
        .arg(&copy)
        .status()
        .unwrap();
    assert!(touched.success());
    let second = tempfile::tempdir().unwrap();
    let mut command = clean("sh");
    command
        .args(["-c", "umask 077 && exec \"$0\" \"$@\""])
        .arg(repo_root().join("scripts/release"))
        .args(["--unsigned", "--binary", PROVIDER_BINARY, "--cli-binary"])
        .arg(copy)
        .arg("--out")
        .arg(second.path());
    let again = CmdOutput::from(command.output().unwrap());
    assert!(again.success(), "{}", again.combined());
    let rebuilt = second.path().join(archive_name());
    if std::fs::read(&archive).unwrap() != std::fs::read(&rebuilt).unwrap() {
        let listing = |path: &Path| {
            let out = Command::new("tar")
                .args(["--numeric-owner", "--full-time", "-tvzf"])
                .arg(path)
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        panic!(
            "two builds of the archive from the same binary differ (README.md edited in between?):\n{}\n{}",
            listing(&archive),
            listing(&rebuilt)
        );
    }
}

/// A runner's view for the install script: its own tool cache, GITHUB_PATH and GITHUB_OUTPUT.
struct Runner {
    dir: tempfile::TempDir,
}

impl Runner {
    fn new() -> Runner {
        let runner = Runner {
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::create_dir(runner.dir.path().join("temp")).unwrap();
        runner
    }

    fn cache(&self) -> PathBuf {
        self.dir.path().join("toolcache")
    }

    fn installed_dir(&self) -> PathBuf {
        self.cache().join("ecstpl").join(VERSION).join(arch())
    }

    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    fn install(&self, release_url: &str, signing_key: Option<&str>) -> CmdOutput {
        let mut command = clean(repo_root().join("action/install.sh"));
        command
            .env("INPUT_VERSION", VERSION)
            .env("INPUT_RELEASE_URL", release_url)
            .env("RUNNER_TOOL_CACHE", self.cache())
            .env("RUNNER_TEMP", self.dir.path().join("temp"))
            .env("GITHUB_PATH", self.dir.path().join("github_path"))
            .env("GITHUB_OUTPUT", self.dir.path().join("github_output"))
            .env("HOME", self.dir.path());
        if let Some(key) = signing_key {
            command.env("INPUT_SIGNING_KEY", key);
        }
        CmdOutput::from(command.output().expect("run action/install.sh"))
    }
}

#[test]
fn install_verifies_the_release_installs_into_the_tool_cache_and_reuses_it() {
    let (_home, _, private_key, public_key) = gpg_key("release", "ed25519");
    let (_other_home, _, _, other_public_key) = gpg_key("impostor", "ed25519");
    let files = tempfile::tempdir().unwrap();
    release(files.path(), Path::new(ECSTPL), Some(&private_key));

    // Signed by another key than the one given: refused, nothing installed.
    let runner = Runner::new();
    let refused = runner.install(&files.path().display().to_string(), Some(&other_public_key));
    assert_ne!(refused.code, 0, "{}", refused.combined());
    assert!(
        refused.stderr.contains("signature"),
        "{}",
        refused.combined()
    );
    assert!(
        !runner.cache().join("ecstpl").exists(),
        "something was cached"
    );
    assert_eq!(runner.file("github_path"), "");

    // The right key, from a file:// URL.
    let url = format!("file://{}", files.path().display());
    let installed = runner.install(&url, Some(&public_key));
    assert_eq!(installed.code, 0, "{}", installed.combined());
    assert!(
        installed
            .stdout
            .contains("signed by the key in input signing-key"),
        "{}",
        installed.stdout
    );
    assert!(
        installed.stdout.contains("matches its checksum"),
        "{}",
        installed.stdout
    );
    let dir = runner.installed_dir();
    assert_eq!(runner.file("github_path"), format!("{}\n", dir.display()));
    assert_eq!(
        runner.file("github_output"),
        format!("ecstpl={}\n", dir.join("ecstpl").display())
    );
    let version = Command::new(dir.join("ecstpl"))
        .arg("--version")
        .output()
        .expect("the installed ecstpl runs");
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("ecstpl {VERSION}")
    );

    // Again, from a release location with nothing in it: only the cache can answer.
    let empty = tempfile::tempdir().unwrap();
    let cached = runner.install(&empty.path().display().to_string(), None);
    assert_eq!(cached.code, 0, "{}", cached.combined());
    assert!(
        cached.stdout.contains("using the cached ecstpl"),
        "{}",
        cached.stdout
    );
    assert_eq!(
        runner.file("github_path"),
        format!("{}\n{}\n", dir.display(), dir.display())
    );

    // A plain directory as the release location, no signature asked for.
    let other = Runner::new();
    let plain = other.install(&files.path().display().to_string(), None);
    assert_eq!(plain.code, 0, "{}", plain.combined());
    assert!(other.installed_dir().join("ecstpl").exists());
}

#[test]
fn install_refuses_a_tampered_archive_and_one_the_sums_do_not_list() {
    let files = tempfile::tempdir().unwrap();
    release(files.path(), Path::new(ECSTPL), None);
    let genuine = std::fs::read(files.path().join(archive_name())).unwrap();
    let sums = std::fs::read_to_string(files.path().join(sums_name())).unwrap();

    let copy_release = |archive: &[u8], sums: &str| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(archive_name()), archive).unwrap();
        std::fs::write(dir.path().join(sums_name()), sums).unwrap();
        dir
    };

    let mut flipped = genuine.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x01;
    // Bytes after the gzip stream: tar still extracts it (gzip only warns), the checksum not.
    let mut appended = genuine.clone();
    appended.extend_from_slice(b"#!/bin/sh\necho owned\n");
    for (what, archive) in [("one byte flipped", flipped), ("bytes appended", appended)] {
        let release = copy_release(&archive, &sums);
        let runner = Runner::new();
        let output = runner.install(&release.path().display().to_string(), None);
        assert_ne!(
            output.code,
            0,
            "installed an archive with {what}:\n{}",
            output.combined()
        );
        assert!(
            output.stderr.contains("checksum mismatch") && output.stderr.contains("refusing"),
            "{what}: refused for another reason:\n{}",
            output.combined()
        );
        assert!(
            !runner.cache().join("ecstpl").exists(),
            "{what}: something was put in the tool cache"
        );
        assert_eq!(runner.file("github_path"), "", "{what}");
        assert_eq!(runner.file("github_output"), "", "{what}");
    }

    // The genuine archive, but the sums no longer list it (the provider's zip still is).
    let unlisted: String = sums
        .lines()
        .filter(|l| !l.ends_with(&format!("  {}", archive_name())))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(unlisted, sums);
    let release = copy_release(&genuine, &unlisted);
    let runner = Runner::new();
    let output = runner.install(&release.path().display().to_string(), None);
    assert_ne!(output.code, 0, "{}", output.combined());
    assert!(
        output.stderr.contains("is not listed in"),
        "{}",
        output.combined()
    );
    assert!(!runner.cache().join("ecstpl").exists());
}

/// Task definition ARNs registered in exactly `family`.
fn revisions(endpoint: &str, family: &str) -> Vec<String> {
    let (status, body) = ecs_call(
        endpoint,
        "ListTaskDefinitions",
        &json!({"familyPrefix": family}),
    );
    assert_eq!(status, 200, "{body}");
    body["taskDefinitionArns"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a.as_str())
        .filter(|a| {
            a.rsplit_once("task-definition/")
                .and_then(|(_, rest)| rest.split_once(':'))
                .is_some_and(|(f, _)| f == family)
        })
        .map(str::to_string)
        .collect()
}

fn deploy_action(
    endpoint: &str,
    inputs: &[(&str, &str)],
    runner: &Path,
) -> (CmdOutput, String, String) {
    let output_file = runner.join("github_output");
    let summary_file = runner.join("step_summary");
    let _ = std::fs::remove_file(&output_file);
    let _ = std::fs::remove_file(&summary_file);
    let mut command = clean(repo_root().join("action/deploy.sh"));
    command
        .env("ECSTPL_BIN", ECSTPL)
        .env("GITHUB_OUTPUT", &output_file)
        .env("GITHUB_STEP_SUMMARY", &summary_file)
        .env("RUNNER_TEMP", runner)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (name, value) in inputs {
        command.env(
            format!("INPUT_{}", name.to_uppercase().replace('-', "_")),
            value,
        );
    }
    let output = CmdOutput::from(command.output().expect("run action/deploy.sh"));
    let outputs = std::fs::read_to_string(&output_file).unwrap_or_default();
    let summary = std::fs::read_to_string(&summary_file).unwrap_or_default();
    (output, outputs, summary)
}

fn output_value<'a>(outputs: &'a str, name: &str) -> Option<&'a str> {
    outputs
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
}

/// The emulator behind a recording proxy that simulates rollouts, with a service `web` in
/// cluster `prod` bootstrapped on a template with the containers `app` and `worker`.
fn emulated_service() -> (Moto, RecordingProxy) {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.simulate_rollouts(Rollout::CompleteAfter(1));
    let endpoint = proxy.endpoint();
    bootstrap_service_on(
        &endpoint,
        "web",
        json!({"family": "web-template", "memory": "512",
        "containerDefinitions": [
            {"name": "app", "image": "placeholder"},
            {"name": "worker", "image": "worker-placeholder", "essential": false}
        ]}),
        json!({"desiredCount": 1}),
    );
    (moto, proxy)
}

/// (container, image) of a registered revision, in order.
fn images_of(endpoint: &str, arn: &str) -> Vec<(String, String)> {
    let (_, described) = ecs_call(
        endpoint,
        "DescribeTaskDefinition",
        &json!({"taskDefinition": arn}),
    );
    described["taskDefinition"]["containerDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["image"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn the_fleet_input_deploys_every_service_of_a_fleet_file() {
    let (_moto, proxy) = emulated_service();
    let endpoint = proxy.endpoint();
    let (status, body) = ecs_call(
        &endpoint,
        "CreateService",
        &json!({"cluster": "prod", "serviceName": "web-2", "desiredCount": 1, "taskDefinition": "web-template:1"}),
    );
    assert_eq!(status, 200, "{body}");
    let runner = tempfile::tempdir().unwrap();
    let fleet = runner.path().join("fleet.toml");
    std::fs::write(
        &fleet,
        "[defaults]\npoll_interval = \"200ms\"\n\n[[wave]]\nname = \"first\"\n[[wave.target]]\ncluster = \"prod\"\nservice = \"web\"\n\n[[wave]]\nname = \"then\"\n[[wave.target]]\ncluster = \"prod\"\nservice = \"web-2\"\n",
    )
    .unwrap();
    let fleet = fleet.display().to_string();
    let (output, outputs, summary) = deploy_action(
        &endpoint,
        &[("fleet", &fleet), ("image", "app=repo/app:v1")],
        runner.path(),
    );
    assert_eq!(output.code, 0, "{}", output.combined());
    let result: Json = serde_json::from_str(output.stdout.trim()).unwrap();
    let results: Vec<&str> = result["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["result"].as_str().unwrap())
        .collect();
    assert_eq!(results, ["deployed", "deployed"], "{result}");
    // One row a service in the step summary; the single-service outputs stay empty.
    assert!(
        summary.contains("| us-east-1/prod/web | first |")
            && summary.contains("| us-east-1/prod/web-2 | then |"),
        "{summary}"
    );
    assert_eq!(output_value(&outputs, "task-definition-arn"), Some(""));
    // A fleet names its services: cluster next to it, or prune-keep, is refused.
    proxy.clear();
    let (refused, _, _) = deploy_action(
        &endpoint,
        &[("fleet", &fleet), ("cluster", "prod"), ("prune-keep", "2")],
        runner.path(),
    );
    assert_eq!(refused.code, 2, "{}", refused.combined());
    assert!(
        refused.stderr.contains("input cluster: not with fleet")
            && refused.stderr.contains("input prune-keep: not with fleet"),
        "{}",
        refused.stderr
    );
    assert!(proxy.calls().is_empty(), "{:?}", proxy.calls());
}

#[test]
fn deploy_maps_the_inputs_to_ecstpl_deploy_writes_the_outputs_and_refuses_bad_inputs() {
    let (_moto, proxy) = emulated_service();
    let endpoint = proxy.endpoint();
    let runner = tempfile::tempdir().unwrap();

    // An image line with the blank line and stray spaces a YAML block leaves.
    let (output, outputs, summary) = deploy_action(
        &endpoint,
        &[
            ("cluster", "prod"),
            ("service", "web"),
            ("image", "\n  app = repo/app:v1 \n\n"),
            ("wait-for-minutes", "2"),
        ],
        runner.path(),
    );
    assert_eq!(output.code, 0, "{}", output.combined());
    let arn = output_value(&outputs, "task-definition-arn").expect(&outputs);
    assert!(
        arn.starts_with("arn:aws:ecs:us-east-1:") && arn.ends_with(":task-definition/web:1"),
        "{outputs}"
    );
    let deployment = output_value(&outputs, "service-deployment-arn").expect(&outputs);
    assert!(
        deployment.starts_with("arn:aws:ecs:") && deployment.contains(":service-deployment/"),
        "{outputs}"
    );
    assert_eq!(
        images_of(&endpoint, arn),
        pairs(&[("app", "repo/app:v1"), ("worker", "worker-placeholder")])
    );
    let (_, services) = ecs_call(
        &endpoint,
        "DescribeServices",
        &json!({"cluster": "prod", "services": ["web"]}),
    );
    assert_eq!(services["services"][0]["taskDefinition"], arn);
    assert!(
        proxy
            .calls()
            .iter()
            .any(|op| op == "DescribeServiceDeployments"),
        "the deployment was not followed: {:?}",
        proxy.calls()
    );
    assert!(
        summary.contains("ecstpl deploy") && summary.contains("repo/app:v1"),
        "step summary:\n{summary}"
    );

    // wait-for-service-stability: false does not follow the deployment.
    proxy.clear();
    let (output, outputs, _) = deploy_action(
        &endpoint,
        &[
            ("cluster", "prod"),
            ("service", "web"),
            ("image", "app=repo/app:v2"),
            ("wait-for-service-stability", "false"),
        ],
        runner.path(),
    );
    assert_eq!(output.code, 0, "{}", output.combined());
    assert!(
        output_value(&outputs, "task-definition-arn").is_some_and(|a| a.ends_with("/web:2")),
        "{outputs}"
    );
    assert!(
        !proxy
            .calls()
            .iter()
            .any(|op| op == "DescribeServiceDeployments"),
        "not waiting follows nothing: {:?}",
        proxy.calls()
    );

    // Bad inputs: named, exit 2, no ECS call at all, no output.
    let before = revisions(&endpoint, "web");
    assert_eq!(before.len(), 2, "{before:?}");
    for (inputs, named) in [
        (
            vec![
                ("cluster", "prod"),
                ("service", "web"),
                ("image", "app=repo/app:v3"),
                ("wait-for-minutes", "abc"),
            ],
            "input wait-for-minutes",
        ),
        (
            vec![
                ("cluster", "prod"),
                ("service", "web"),
                ("image", "app=repo/app:v3\nworker repo/worker:v3"),
            ],
            "input image: line 2",
        ),
        (
            vec![
                ("cluster", "prod"),
                ("service", "web"),
                ("wait-for-service-stability", "false"),
                ("wait-until", "stable"),
            ],
            "input wait-for-service-stability",
        ),
        (
            vec![
                ("cluster", "prod"),
                ("service", "web"),
                ("image", "app=repo/app:v3"),
                ("wait-for-service-stability", "false"),
                ("prune-keep", "2"),
            ],
            "input prune-keep",
        ),
        (
            vec![
                ("cluster", "prod"),
                ("service", "web"),
                ("image", "app=repo/app:v3"),
                ("verify", "maybe"),
            ],
            "input verify",
        ),
        (
            vec![("service", "web"), ("image", "app=repo/app:v3")],
            "input cluster",
        ),
    ] {
        proxy.clear();
        let (output, outputs, _) = deploy_action(&endpoint, &inputs, runner.path());
        assert_eq!(output.code, 2, "{inputs:?}: {}", output.combined());
        assert!(
            output.stderr.contains(named),
            "{inputs:?}: the message does not name {named}:\n{}",
            output.stderr
        );
        assert!(
            proxy.calls().is_empty(),
            "{inputs:?}: ECS was called: {:?}",
            proxy.calls()
        );
        assert_eq!(outputs, "", "{inputs:?}");
    }
    assert_eq!(revisions(&endpoint, "web"), before);
}

/// Apart from the test above: a deploy setting two images exercises the `ecstpl:ci-images` tag
/// with two names.
#[test]
fn deploy_with_two_image_lines_registers_both_images() {
    let (_moto, proxy) = emulated_service();
    let endpoint = proxy.endpoint();
    let runner = tempfile::tempdir().unwrap();
    let (output, outputs, _) = deploy_action(
        &endpoint,
        &[
            ("cluster", "prod"),
            ("service", "web"),
            ("image", "app=repo/app:v1\nworker=repo/worker:v1\n"),
        ],
        runner.path(),
    );
    assert_eq!(output.code, 0, "{}", output.combined());
    let arn = output_value(&outputs, "task-definition-arn").expect(&outputs);
    assert_eq!(
        images_of(&endpoint, arn),
        pairs(&[("app", "repo/app:v1"), ("worker", "repo/worker:v1")])
    );
}

/// A YAML file as JSON, read by PyYAML from the project's test environment.
fn yaml(path: &Path) -> Json {
    let python = repo_root().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/bootstrap (or scripts/test) first",
        python.display()
    );
    let output = Command::new(python)
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{} does not parse as YAML:\n{}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn env_name(input: &str) -> String {
    format!("INPUT_{}", input.to_uppercase().replace('-', "_"))
}

/// The names after `prefix` in `text` (`inputs.` → every input referenced).
fn references(text: &str, prefix: &str) -> BTreeSet<String> {
    text.match_indices(prefix)
        .map(|(at, _)| {
            text[at + prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect()
        })
        .collect()
}

fn declared_inputs(action: &Json) -> BTreeSet<String> {
    action["inputs"]
        .as_object()
        .expect("action.yml declares inputs")
        .keys()
        .cloned()
        .collect()
}

#[test]
fn action_yml_declares_every_input_it_uses_and_passes_every_input_to_its_scripts() {
    let path = repo_root().join("action.yml");
    let action = yaml(&path);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(action["runs"]["using"], "composite");
    let declared = declared_inputs(&action);
    for name in [
        "cluster",
        "service",
        "wait-for-service-stability",
        "wait-for-minutes",
        "image",
        "template",
        "family",
        "overlay",
        "wait-until",
        "version",
        "release-url",
    ] {
        assert!(declared.contains(name), "input {name} is not declared");
    }
    let used = references(&text, "inputs.");
    for name in &used {
        assert!(
            declared.contains(name),
            "inputs.{name} is used but not declared"
        );
    }

    let steps = action["runs"]["steps"].as_array().unwrap();
    let mut scripts = String::new();
    let mut passed: Vec<(String, String)> = Vec::new();
    for step in steps {
        // A step only calls one of the scripts, which holds the logic.
        let run = step["run"].as_str().expect("every step runs a script");
        let script = run
            .strip_prefix("bash \"$GITHUB_ACTION_PATH/")
            .and_then(|r| r.strip_suffix('"'))
            .unwrap_or_else(|| panic!("step {} does more than call a script: {run}", step["id"]));
        let file = repo_root().join(script);
        let syntax = Command::new("bash").arg("-n").arg(&file).output().unwrap();
        assert!(
            syntax.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&syntax.stderr)
        );
        scripts.push_str(&std::fs::read_to_string(file).unwrap());
        for (key, value) in step["env"].as_object().into_iter().flatten() {
            passed.push((key.clone(), value.as_str().unwrap_or_default().to_string()));
        }
    }
    for name in &declared {
        let variable = env_name(name);
        let expression = format!("${{{{ inputs.{name} }}}}");
        assert!(
            passed.contains(&(variable.clone(), expression.clone())),
            "input {name} is not passed to a script as {variable}: {expression}"
        );
        assert!(
            scripts.contains(&variable),
            "no script reads {variable} (input {name})"
        );
    }

    // The outputs come from what the scripts write.
    let outputs = action["outputs"].as_object().unwrap();
    for name in ["task-definition-arn", "service-deployment-arn"] {
        assert_eq!(
            outputs[name]["value"],
            format!("${{{{ steps.deploy.outputs.{name} }}}}"),
            "output {name}"
        );
        assert!(
            scripts.contains(&format!("echo \"{name}=")),
            "no script writes {name}"
        );
    }
    assert!(passed.contains(&(
        "ECSTPL_BIN".to_string(),
        "${{ steps.install.outputs.ecstpl }}".to_string()
    )));
    assert!(scripts.contains("echo \"ecstpl=$binary\""));
}

#[test]
fn example_workflow_uses_declared_inputs_and_existing_run_flags() {
    let path = repo_root().join("examples/github-actions/deploy.yml");
    let workflow = yaml(&path);
    let declared = declared_inputs(&yaml(&repo_root().join("action.yml")));
    let steps: Vec<&Json> = workflow["jobs"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|job| job["steps"].as_array().unwrap())
        .collect();
    for action in [
        "docker/build-push-action@",
        "aws-actions/configure-aws-credentials@",
    ] {
        assert!(
            steps
                .iter()
                .any(|s| s["uses"].as_str().is_some_and(|u| u.starts_with(action))),
            "the example uses no {action}"
        );
    }

    let ours: Vec<&&Json> = steps
        .iter()
        .filter(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("ecstpl/ecstpl@"))
        })
        .collect();
    assert!(!ours.is_empty(), "the example does not use the action");
    let mut deploys = 0;
    for step in ours {
        let with = step["with"]
            .as_object()
            .expect("the action step has inputs");
        for key in with.keys() {
            assert!(
                declared.contains(key),
                "the example passes undeclared input {key}"
            );
        }
        if with.contains_key("cluster") {
            deploys += 1;
            for line in with["image"].as_str().unwrap().lines() {
                assert!(line.contains('='), "image line without CONTAINER=: {line}");
            }
        }
    }
    assert_eq!(deploys, 1, "one deploy step");

    let help = Command::new(ECSTPL)
        .args(["run", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    let known: BTreeSet<&str> = help
        .split_whitespace()
        .filter(|w| w.starts_with("--"))
        .map(|w| w.trim_end_matches([',', '.', ':', ')']))
        .collect();
    let mut runs = 0;
    for step in &steps {
        let Some(script) = step["run"].as_str() else {
            continue;
        };
        let Some(at) = script.find("ecstpl run ") else {
            continue;
        };
        runs += 1;
        let command = &script[at..];
        let options = command.split(" -- ").next().unwrap();
        assert!(
            command.contains(" -- "),
            "no `--` before the command: {command}"
        );
        for flag in options.split_whitespace().filter(|w| w.starts_with("--")) {
            assert!(
                known.contains(flag),
                "`ecstpl run` has no {flag} (its --help lists {known:?})"
            );
        }
    }
    assert!(runs > 0, "the example runs no migration with ecstpl run");
}

#[test]
fn readme_holds_the_example_workflow_verbatim() {
    let example =
        std::fs::read_to_string(repo_root().join("examples/github-actions/deploy.yml")).unwrap();
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("```yaml\n{example}```\n")),
        "README.md does not hold examples/github-actions/deploy.yml verbatim in a yaml block"
    );
    let install = readme
        .find("\n## Installing the CLI\n")
        .expect("README has Installing the CLI");
    let provider = readme.find("\n## Installing the provider\n").unwrap();
    assert!(
        provider < install,
        "Installing the CLI follows Installing the provider"
    );
}

/// Dockerfile instructions (continuations joined, comments dropped) as (keyword, arguments).
fn dockerfile() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(repo_root().join("Dockerfile")).unwrap();
    let mut instructions = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (current.is_empty() && trimmed.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(start) => {
                current.push_str(start);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                let (keyword, args) = current.split_once(' ').unwrap_or((&current, ""));
                instructions.push((keyword.to_uppercase(), args.trim().to_string()));
                current.clear();
            }
        }
    }
    instructions
}

/// A lint, not a build: what the Dockerfile says it builds and runs.
#[test]
fn dockerfile_lint_static_ecstpl_on_distroless_as_non_root() {
    let instructions = dockerfile();
    let stages: Vec<usize> = instructions
        .iter()
        .enumerate()
        .filter(|(_, (k, _))| k == "FROM")
        .map(|(i, _)| i)
        .collect();
    assert!(stages.len() >= 2, "a multi-stage build");
    let (builder, final_stage) = instructions.split_at(*stages.last().unwrap());
    let builder_name = builder
        .iter()
        .rev()
        .find(|(k, _)| k == "FROM")
        .and_then(|(_, a)| a.split(" AS ").nth(1).or_else(|| a.split(" as ").nth(1)))
        .expect("the builder stage is named")
        .trim()
        .to_string();

    let build = builder
        .iter()
        .filter(|(k, _)| k == "RUN")
        .map(|(_, a)| a.as_str())
        .find(|a| a.contains("cargo build"))
        .expect("the builder runs cargo build");
    for part in ["--release", "--locked", "--bin ecstpl"] {
        assert!(build.contains(part), "cargo build without {part}: {build}");
    }
    assert!(
        (build.contains("-C target-feature=+crt-static") && build.contains("--target"))
            || build.contains("-unknown-linux-musl"),
        "the binary is not built static: {build}"
    );

    let base = &final_stage[0].1;
    assert!(
        base.starts_with("gcr.io/distroless/static") || base == "scratch",
        "the final stage is {base}"
    );
    if base == "scratch" {
        assert!(
            final_stage
                .iter()
                .any(|(k, a)| k == "COPY" && a.contains("ca-certificates")),
            "scratch without CA certificates"
        );
    }
    assert!(
        final_stage.iter().any(|(k, a)| k == "COPY"
            && a.starts_with(&format!("--from={builder_name} "))
            && a.contains("ecstpl")),
        "the final stage does not copy ecstpl from {builder_name}"
    );
    let user = final_stage
        .iter()
        .rev()
        .find(|(k, _)| k == "USER")
        .map(|(_, a)| a.as_str())
        .expect("the final stage sets USER");
    let uid = user.split(':').next().unwrap();
    assert!(
        !matches!(uid, "root" | "0" | ""),
        "the image runs as {user}"
    );
    let entrypoint = final_stage
        .iter()
        .rev()
        .find(|(k, _)| k == "ENTRYPOINT")
        .map(|(_, a)| a.as_str())
        .expect("an ENTRYPOINT");
    let entrypoint: Vec<String> =
        serde_json::from_str(entrypoint).expect("ENTRYPOINT in exec (JSON) form");
    assert!(
        entrypoint[0].ends_with("/ecstpl"),
        "ENTRYPOINT {entrypoint:?}"
    );

    // The same static build as the release archives.
    for file in ["scripts/release", ".github/workflows/release.yml"] {
        let text = std::fs::read_to_string(repo_root().join(file)).unwrap();
        assert!(
            text.contains("-C target-feature=+crt-static") && text.contains("--bin ecstpl"),
            "{file} does not build ecstpl as the Dockerfile does"
        );
    }
    let ignored = std::fs::read_to_string(repo_root().join(".dockerignore")).unwrap();
    for path in ["target/", ".venv/", ".tools/", "dist/"] {
        assert!(
            ignored.lines().any(|l| l.trim() == path),
            ".dockerignore does not exclude {path}"
        );
    }
}

/// The image itself, built and run, where a container engine and both base images are on the
/// machine already (nothing is pulled); otherwise it says it skipped.
#[test]
fn container_image_builds_and_runs_where_docker_and_the_base_images_are_local() {
    let docker = |args: &[&str]| {
        Command::new("docker")
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let bases: Vec<String> = dockerfile()
        .into_iter()
        .filter(|(k, _)| k == "FROM")
        .map(|(_, a)| a.split_whitespace().next().unwrap().to_string())
        .filter(|b| b != "scratch")
        .collect();
    if !docker(&["info"]) || !bases.iter().all(|b| docker(&["image", "inspect", b])) {
        eprintln!(
            "SKIPPED: no container engine with {bases:?} available locally; the Dockerfile lint still ran"
        );
        return;
    }
    let tag = format!("ecstpl-test:{}", std::process::id());
    let build = Command::new("docker")
        .args(["build", "--pull=false", "-t", &tag])
        .arg(repo_root())
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "docker build:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let run = Command::new("docker")
        .args(["run", "--rm", &tag, "--version"])
        .output()
        .unwrap();
    let user = Command::new("docker")
        .args(["image", "inspect", "--format", "{{.Config.User}}", &tag])
        .output()
        .unwrap();
    let _ = Command::new("docker").args(["rmi", "-f", &tag]).output();
    assert_eq!(
        String::from_utf8_lossy(&run.stdout).trim(),
        format!("ecstpl {VERSION}")
    );
    assert_eq!(String::from_utf8_lossy(&user.stdout).trim(), "65532:65532");
}
