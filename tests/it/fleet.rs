//! `--fleet`: one command over services in two Regions, in waves. What is checked comes from
//! the emulator and the simulator's own records (the requests they received, per Region),
//! never from what ecstpl says it did.

use std::path::Path;

use crate::support::proxy::{RecordingProxy, Scenario};
use crate::support::{CmdOutput, Moto, bootstrap_service_in, ecs_call_in, ecstpl};
use serde_json::{Value as Json, json};

const EU: &str = "eu-west-1";
const US: &str = "us-east-1";

/// The fleet of these tests: a canary in eu-west-1, then two services in us-east-1 and one
/// more in eu-west-1. Every service is bootstrapped on its Region's `web-template`.
const FLEET: &str = r#"
[defaults]
template      = "web-template"
wait_until    = "deployed"
timeout       = "2m"
poll_interval = "200ms"

[[wave]]
name = "canary"
[[wave.target]]
region  = "eu-west-1"
cluster = "prod"
service = "web-eu"

[[wave]]
name = "everywhere"
[[wave.target]]
region  = "us-east-1"
cluster = "prod"
service = "web-us1"
[[wave.target]]
region  = "us-east-1"
cluster = "prod"
service = "web"
[[wave.target]]
region  = "eu-west-1"
cluster = "prod"
service = "web"
"#;

const SERVICES: [(&str, &str); 4] = [(EU, "web-eu"), (US, "web-us1"), (US, "web"), (EU, "web")];

struct Fleet {
    _moto: Moto,
    proxy: RecordingProxy,
    dir: tempfile::TempDir,
}

impl Fleet {
    fn start() -> Fleet {
        let moto = Moto::start();
        let proxy = RecordingProxy::start(&moto.endpoint());
        proxy.deployment_scenario(Scenario::Succeed { steps: 2 });
        for (region, service) in SERVICES {
            bootstrap_service_in(
                &proxy.endpoint(),
                region,
                "prod",
                service,
                "web-template",
                "web",
            );
        }
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("fleet.toml"), FLEET).expect("write the fleet file");
        proxy.clear();
        proxy.clear_access_keys();
        Fleet {
            _moto: moto,
            proxy,
            dir,
        }
    }

    fn file(&self) -> String {
        self.dir.path().join("fleet.toml").display().to_string()
    }

    fn endpoint(&self) -> String {
        self.proxy.endpoint()
    }

    fn ecstpl(&self, args: &[&str]) -> CmdOutput {
        ecstpl(&self.endpoint(), args)
    }

    fn deploy(&self, extra: &[&str]) -> CmdOutput {
        let file = self.file();
        let mut args = vec!["deploy", "--fleet", &file, "--output", "json"];
        args.extend(extra);
        self.ecstpl(&args)
    }

    /// RegisterTaskDefinition requests the emulator received, per Region.
    fn registrations(&self, region: &str) -> usize {
        self.proxy
            .requests("RegisterTaskDefinition")
            .iter()
            .filter(|r| r.region == region)
            .count()
    }

    /// The services UpdateService was asked to change, in order.
    fn updated_services(&self) -> Vec<String> {
        self.proxy
            .requests("UpdateService")
            .iter()
            .map(|r| r.body["service"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// The image the service's live revision runs, as ECS stores it.
    fn live_image(&self, region: &str, service: &str) -> String {
        let (_, services) = ecs_call_in(
            &self.endpoint(),
            region,
            "DescribeServices",
            &json!({"cluster": "prod", "services": [service]}),
        );
        let arn = services["services"][0]["taskDefinition"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let (_, revision) = ecs_call_in(
            &self.endpoint(),
            region,
            "DescribeTaskDefinition",
            &json!({"taskDefinition": arn}),
        );
        revision["taskDefinition"]["containerDefinitions"][0]["image"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

fn json_of(output: &CmdOutput) -> Json {
    serde_json::from_str(output.stdout.trim()).unwrap_or_else(|problem| {
        panic!("not one JSON document ({problem}):\n{}", output.combined())
    })
}

/// target → result, from the JSON result.
fn results(output: &CmdOutput) -> Vec<(String, String)> {
    json_of(output)["targets"]
        .as_array()
        .map(|targets| {
            targets
                .iter()
                .map(|t| {
                    (
                        t["service"].as_str().unwrap_or_default().to_string(),
                        t["result"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_fleet_deploys_wave_by_wave_registering_once_per_region_and_a_rerun_does_nothing() {
    let fleet = Fleet::start();
    let output = fleet.deploy(&["--image", "app=repo/app:v2"]);
    assert_eq!(output.code, 0, "{}", output.combined());
    assert_eq!(
        results(&output),
        SERVICES
            .iter()
            .map(|(_, s)| (s.to_string(), "deployed".to_string()))
            .collect::<Vec<_>>()
    );
    // Task definitions are read once per Region and family, whatever the number of targets
    // and waves: the template family's newest (the template, which every service runs after
    // bootstrap) and the deploy family's newest (a twin to reuse: none yet).
    for region in [EU, US] {
        let reads: Vec<String> = fleet
            .proxy
            .requests("DescribeTaskDefinition")
            .iter()
            .filter(|r| r.region == region)
            .map(|r| {
                r.body["taskDefinition"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        assert_eq!(reads, ["web-template", "web"], "{region}");
    }
    for (region, service) in SERVICES {
        assert_eq!(
            fleet.live_image(region, service),
            "repo/app:v2",
            "{service}"
        );
    }
    // One registration per Region and render, shared by every target there.
    assert_eq!(fleet.registrations(EU), 1, "{:?}", fleet.proxy.calls_in(EU));
    assert_eq!(fleet.registrations(US), 1, "{:?}", fleet.proxy.calls_in(US));
    // The canary first: its service is changed before any service of the next wave.
    let updated = fleet.updated_services();
    assert_eq!(updated.len(), 4, "{updated:?}");
    assert_eq!(updated[0], "web-eu", "{updated:?}");
    // The wave's deployments are followed together: DescribeServiceDeployments asked for
    // both us-east-1 deployments in one call at least once.
    let batched = fleet
        .proxy
        .requests("DescribeServiceDeployments")
        .iter()
        .filter(|r| r.region == US)
        .map(|r| {
            r.body["serviceDeploymentArns"]
                .as_array()
                .map_or(0, Vec::len)
        })
        .max()
        .unwrap_or(0);
    assert_eq!(
        batched, 2,
        "the us-east-1 deployments were never read in one call"
    );

    // The same release again: nothing registered, nothing updated.
    fleet.proxy.clear();
    let again = fleet.deploy(&["--image", "app=repo/app:v2"]);
    assert_eq!(again.code, 0, "{}", again.combined());
    assert!(
        results(&again)
            .iter()
            .all(|(_, result)| result == "already live"),
        "{}",
        again.combined()
    );
    assert_eq!(fleet.registrations(EU) + fleet.registrations(US), 0);
    assert!(
        fleet.updated_services().is_empty(),
        "{:?}",
        fleet.updated_services()
    );
    // The text output ends with the table, a row a target.
    let file = fleet.file();
    let text = fleet.ecstpl(&["deploy", "--fleet", &file, "--image", "app=repo/app:v2"]);
    assert_eq!(text.code, 0, "{}", text.combined());
    for (region, service) in SERVICES {
        assert!(
            text.stdout
                .lines()
                .any(|l| l.starts_with(&format!("{region}/prod/{service} "))
                    && l.contains("already live")),
            "no table row for {service}:\n{}",
            text.stdout
        );
    }
}

#[test]
fn a_canary_that_rolls_back_stops_the_fleet_before_the_next_wave() {
    let fleet = Fleet::start();
    let first = fleet.deploy(&["--image", "app=repo/app:v2"]);
    assert_eq!(first.code, 0, "{}", first.combined());
    fleet.proxy.clear();
    fleet
        .proxy
        .deployment_scenario(Scenario::FailByCircuitBreaker { steps: 1 });
    let output = fleet.deploy(&["--image", "app=repo/app:broken"]);
    assert_eq!(output.code, 4, "{}", output.combined());
    let results = results(&output);
    assert_eq!(results[0], ("web-eu".to_string(), "failed".to_string()));
    assert!(
        results[1..].iter().all(|(_, r)| r == "not started"),
        "{results:?}"
    );
    // Only the canary was touched; the next wave's services still run v2, and us-east-1 saw
    // no registration.
    assert_eq!(fleet.updated_services(), vec!["web-eu".to_string()]);
    assert_eq!(fleet.registrations(US), 0);
    for (region, service) in &SERVICES[1..] {
        assert_eq!(
            fleet.live_image(region, service),
            "repo/app:v2",
            "{service}"
        );
    }
    // Why, in ECS's words, for the target that failed.
    assert!(
        output.stderr.contains("web-eu") && output.stderr.contains("CannotPullContainerError"),
        "{}",
        output.stderr
    );
}

#[test]
fn rollback_wave_rolls_back_the_rest_of_a_failed_wave() {
    let fleet = Fleet::start();
    let first = fleet.deploy(&["--image", "app=repo/app:v2"]);
    assert_eq!(first.code, 0, "{}", first.combined());
    // In the second wave web-us1 fails; web (in both Regions) would succeed, more slowly.
    fleet
        .proxy
        .deployment_scenario(Scenario::Succeed { steps: 12 });
    fleet
        .proxy
        .deployment_scenario_for("web-us1", Scenario::FailByCircuitBreaker { steps: 1 });
    fleet
        .proxy
        .deployment_scenario_for("web-eu", Scenario::Succeed { steps: 1 });
    let output = fleet.deploy(&[
        "--image",
        "app=repo/app:v3",
        "--on-failure",
        "rollback-wave",
    ]);
    assert_eq!(output.code, 4, "{}", output.combined());
    let results = results(&output);
    assert_eq!(
        results,
        vec![
            ("web-eu".to_string(), "deployed".to_string()),
            ("web-us1".to_string(), "failed".to_string()),
            ("web".to_string(), "rolled back with its wave".to_string()),
            ("web".to_string(), "rolled back with its wave".to_string()),
        ],
        "{}",
        output.combined()
    );
    // The earlier wave keeps what it got; the failed wave is back on v2 everywhere.
    assert_eq!(fleet.live_image(EU, "web-eu"), "repo/app:v3");
    for (region, service) in &SERVICES[1..] {
        assert_eq!(
            fleet.live_image(region, service),
            "repo/app:v2",
            "{service}"
        );
    }
    // Without it, the other targets of the wave run to their end.
    let unknown = fleet.ecstpl(&[
        "deploy",
        "--cluster",
        "prod",
        "--service",
        "web-eu",
        "--on-failure",
        "rollback-wave",
    ]);
    assert_eq!(unknown.code, 2, "{}", unknown.combined());
}

#[test]
fn images_from_promotes_what_a_service_runs_and_revision_deploys_one_as_it_is() {
    let fleet = Fleet::start();
    let first = fleet.deploy(&["--image", "app=repo/app:v2"]);
    assert_eq!(first.code, 0, "{}", first.combined());
    // Staging (the canary service) gets v4 on its own; the fleet then takes its images.
    let single = fleet.ecstpl(&[
        "--region",
        EU,
        "deploy",
        "--cluster",
        "prod",
        "--service",
        "web-eu",
        "--image",
        "app=repo/app:v4",
        "--poll-interval",
        "200ms",
    ]);
    assert_eq!(single.code, 0, "{}", single.combined());
    fleet.proxy.clear();
    let promoted = fleet.deploy(&["--images-from", "eu-west-1/prod/web-eu"]);
    assert_eq!(promoted.code, 0, "{}", promoted.combined());
    assert_eq!(results(&promoted)[0].1, "already live");
    for (region, service) in SERVICES {
        assert_eq!(
            fleet.live_image(region, service),
            "repo/app:v4",
            "{service}"
        );
    }
    // web:1 is the first deploy's revision (v2) in both Regions: deployed as it is.
    fleet.proxy.clear();
    let back = fleet.deploy(&["--revision", "web:1"]);
    assert_eq!(back.code, 0, "{}", back.combined());
    assert_eq!(fleet.registrations(EU) + fleet.registrations(US), 0);
    for (region, service) in SERVICES {
        assert_eq!(
            fleet.live_image(region, service),
            "repo/app:v2",
            "{service}"
        );
    }
    // A bad source names the flag.
    let bad = fleet.deploy(&["--images-from", "prod"]);
    assert_eq!(bad.code, 2, "{}", bad.combined());
    assert!(bad.stderr.contains("--images-from"), "{}", bad.stderr);
}

#[test]
fn plain_deploy_rerun_with_the_same_images_registers_nothing() {
    let fleet = Fleet::start();
    let args = [
        "--region",
        US,
        "deploy",
        "--cluster",
        "prod",
        "--service",
        "web-us1",
        "--image",
        "app=repo/app:v2",
        "--poll-interval",
        "200ms",
        "--output",
        "json",
    ];
    let first = fleet.ecstpl(&args);
    assert_eq!(first.code, 0, "{}", first.combined());
    // Five calls to get a deployment going, the least ECS's API allows with a check for a
    // twin: the service; the revision it runs, which after bootstrap is the template, read as
    // its family's newest; the deploy family's newest (a twin to reuse: none yet); the
    // registration; the update.
    let started = |calls: Vec<String>| -> Vec<String> {
        let end = calls
            .iter()
            .position(|c| c == "UpdateService")
            .map_or(calls.len(), |i| i + 1);
        calls[..end].to_vec()
    };
    let five = [
        "DescribeServices",
        "DescribeTaskDefinition",
        "DescribeTaskDefinition",
        "RegisterTaskDefinition",
        "UpdateService",
    ];
    assert_eq!(started(fleet.proxy.calls_in(US)), five);
    // Once the service runs a deployed revision, that revision is its family's newest: read
    // as such, it is also the twin check; the template is the other read.
    fleet.proxy.clear();
    let mut next = args;
    next[8] = "app=repo/app:v3";
    let v3 = fleet.ecstpl(&next);
    assert_eq!(v3.code, 0, "{}", v3.combined());
    assert_eq!(started(fleet.proxy.calls_in(US)), five);
    fleet.proxy.clear();
    let first = fleet.ecstpl(&args);
    assert_eq!(first.code, 0, "{}", first.combined());
    assert_eq!(fleet.registrations(US), 1);
    fleet.proxy.clear();
    let again = fleet.ecstpl(&args);
    assert_eq!(again.code, 0, "{}", again.combined());
    assert_eq!(json_of(&again)["result"], "already live");
    assert_eq!(fleet.registrations(US), 0);
    assert!(fleet.updated_services().is_empty());
}

#[test]
fn a_bad_fleet_file_is_refused_with_its_line_before_any_call() {
    let fleet = Fleet::start();
    let cases: [(&str, &str, &str); 3] = [
        (
            "[[wave]]\nname = \"a\"\n[[wave.target]]\nregion = \"eu-west-1\"\ncluster = \"prod\"\nservce = \"web\"\n",
            ":6:",
            "servce",
        ),
        ("[[wave]]\nname = \"empty\"\n", ":1:", "target"),
        (
            "[[wave]]\n[[wave.target]]\ncluster = \"prod\"\n",
            ":2:",
            "service",
        ),
    ];
    for (text, line, named) in cases {
        let path = fleet.dir.path().join("bad.toml");
        std::fs::write(&path, text).expect("write");
        let path = path.display().to_string();
        for command in ["deploy", "status", "diff", "rollback"] {
            let output = fleet.ecstpl(&[command, "--fleet", &path]);
            assert_eq!(output.code, 2, "{command}: {}", output.combined());
            assert!(
                output.stderr.contains(&format!("bad.toml{line}")) && output.stderr.contains(named),
                "{command}: the message names neither the line {line} nor {named}: {}",
                output.stderr
            );
        }
    }
    // One service twice: by name in the command's Region (AWS_REGION here), then by ARN with
    // that Region written out. Two rollouts of one service would race for it.
    let path = fleet.dir.path().join("twice.toml");
    std::fs::write(
        &path,
        "[[wave]]\n[[wave.target]]\ncluster = \"prod\"\nservice = \"web-us1\"\n[[wave]]\n[[wave.target]]\nregion = \"us-east-1\"\ncluster = \"arn:aws:ecs:us-east-1:123456789012:cluster/prod\"\nservice = \"web-us1\"\n",
    )
    .expect("write");
    let path = path.display().to_string();
    for command in ["deploy", "rollback"] {
        let output = fleet.ecstpl(&[command, "--fleet", &path]);
        assert_eq!(output.code, 2, "{command}: {}", output.combined());
        assert!(
            output.stderr.contains("twice.toml:6:") && output.stderr.contains("line 2"),
            "{command}: the message names neither line: {}",
            output.stderr
        );
    }
    assert!(fleet.proxy.calls().is_empty(), "{:?}", fleet.proxy.calls());
    assert!(!Path::new(&fleet.file()).is_dir());
}

#[test]
fn status_and_diff_cover_every_target_of_the_fleet() {
    let fleet = Fleet::start();
    let first = fleet.deploy(&["--image", "app=repo/app:v2"]);
    assert_eq!(first.code, 0, "{}", first.combined());
    let file = fleet.file();
    let status = fleet.ecstpl(&[
        "status",
        "--fleet",
        &file,
        "--output",
        "json",
        "--exit-code",
    ]);
    assert_eq!(status.code, 0, "{}", status.combined());
    let targets = json_of(&status)["targets"].clone();
    assert_eq!(targets.as_array().map(Vec::len), Some(4), "{targets}");
    assert!(
        targets
            .as_array()
            .into_iter()
            .flatten()
            .all(|t| t["in_sync"] == true
                && t["live"].as_str().is_some_and(|l| l.starts_with("web:"))),
        "{targets}"
    );
    let diff = fleet.ecstpl(&[
        "diff",
        "--fleet",
        &file,
        "--image",
        "app=repo/app:v9",
        "--exit-code",
    ]);
    assert_eq!(diff.code, 1, "{}", diff.combined());
    for (region, service) in SERVICES {
        assert!(
            diff.stdout.contains(&format!("== {region}/prod/{service}")),
            "{}",
            diff.stdout
        );
    }
    let added = diff
        .stdout
        .lines()
        .filter(|l| l.starts_with('+') && l.contains("\"repo/app:v9\""))
        .count();
    assert_eq!(added, 4, "{}", diff.stdout);
    // Rollback: every service back to what it ran before (the template it was created on
    // is refused without --force, so the first deploy has nothing to go back to).
    let rollback = fleet.ecstpl(&["rollback", "--fleet", &file, "--output", "json"]);
    assert_eq!(rollback.code, 2, "{}", rollback.combined());
}

#[test]
fn each_target_calls_with_its_own_profile_or_assumed_role() {
    let fleet = Fleet::start();
    let credentials = fleet.dir.path().join("credentials");
    std::fs::write(
        &credentials,
        "[eu-deploy]\naws_access_key_id = eu-deploy-key\naws_secret_access_key = eu-deploy-secret\n",
    )
    .expect("write credentials");
    let file = fleet.dir.path().join("accounts.toml");
    std::fs::write(
        &file,
        r#"
[defaults]
template      = "web-template"
poll_interval = "200ms"

[[wave]]
[[wave.target]]
region  = "eu-west-1"
cluster = "prod"
service = "web-eu"
profile = "eu-deploy"
[[wave.target]]
region   = "us-east-1"
cluster  = "prod"
service  = "web-us1"
role_arn = "arn:aws:iam::123456789012:role/deploy"
"#,
    )
    .expect("write the fleet file");
    let file = file.display().to_string();
    let output = crate::support::ecstpl_command(
        &fleet.endpoint(),
        &[
            "deploy",
            "--fleet",
            &file,
            "--image",
            "app=repo/app:v2",
            "--output",
            "json",
        ],
    )
    .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
    .env("AWS_CONFIG_FILE", fleet.dir.path().join("no-config"))
    .output()
    .map(CmdOutput::from)
    .expect("run ecstpl");
    assert_eq!(output.code, 0, "{}", output.combined());
    // Who signed each Region's ECS calls: the profile's key in eu-west-1; in us-east-1 the
    // key STS gave for the role (assumed with the command's own credentials), never those.
    let keys = fleet.proxy.access_keys();
    let calls = fleet.proxy.calls();
    let eu: Vec<String> = fleet.proxy.calls_in(EU);
    assert!(!eu.is_empty());
    let signed_by = |region: &str| -> std::collections::BTreeSet<String> {
        let regions = fleet.proxy.regions();
        calls
            .iter()
            .zip(&keys)
            .zip(&regions)
            .filter(|((op, _), r)| r.as_str() == region && !op.starts_with('('))
            .map(|((_, key), _)| key.clone())
            .collect()
    };
    assert_eq!(
        signed_by(EU),
        ["eu-deploy-key".to_string()].into_iter().collect(),
        "{calls:?}"
    );
    let us = signed_by(US);
    assert_eq!(us.len(), 1, "{us:?}");
    assert!(
        !us.contains("testing") && !us.contains("eu-deploy-key"),
        "us-east-1 was not called with the assumed role's credentials: {us:?}"
    );
    assert!(
        json_of(&output)["targets"][1]["target"]
            .as_str()
            .is_some_and(|t| t.ends_with("@123456789012")),
        "{}",
        output.stdout
    );
}

#[test]
fn after_a_failure_no_more_targets_of_the_wave_start() {
    let fleet = Fleet::start();
    fleet
        .proxy
        .deployment_scenario_for("web-us1", Scenario::FailByCircuitBreaker { steps: 1 });
    let file = fleet.dir.path().join("serial.toml");
    std::fs::write(
        &file,
        r#"
[defaults]
template      = "web-template"
poll_interval = "200ms"
cluster       = "prod"

[[wave]]
name         = "one at a time"
max_parallel = 1
[[wave.target]]
region  = "us-east-1"
service = "web-us1"
[[wave.target]]
region  = "us-east-1"
service = "web"
[[wave.target]]
region  = "eu-west-1"
service = "web"
"#,
    )
    .expect("write the fleet file");
    let file = file.display().to_string();
    let output = fleet.ecstpl(&[
        "deploy",
        "--fleet",
        &file,
        "--image",
        "app=repo/app:v2",
        "--output",
        "json",
    ]);
    assert_eq!(output.code, 4, "{}", output.combined());
    assert_eq!(
        results(&output),
        vec![
            ("web-us1".to_string(), "failed".to_string()),
            ("web".to_string(), "skipped".to_string()),
            ("web".to_string(), "skipped".to_string()),
        ]
    );
    assert_eq!(fleet.updated_services(), vec!["web-us1".to_string()]);
}

#[test]
fn stopped_before_any_service_uses_it_a_registration_in_another_region_is_taken_back() {
    let fleet = Fleet::start();
    fleet.proxy.inject(crate::support::proxy::Fault::Latency {
        operation: Some("UpdateService".into()),
        delay: std::time::Duration::from_secs(5),
    });
    let file = fleet.file();
    // The command's own Region is us-east-1; the canary registers in eu-west-1.
    let child = crate::support::ecstpl_command(
        &fleet.endpoint(),
        &["deploy", "--fleet", &file, "--image", "app=repo/app:v2"],
    )
    .stderr(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped())
    .spawn()
    .expect("start ecstpl");
    // Registered, and waiting on UpdateService: stop it there.
    let waited = (0..100).find(|_| {
        std::thread::sleep(std::time::Duration::from_millis(50));
        fleet.registrations(EU) == 1
    });
    assert!(waited.is_some(), "the canary never registered");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let output = CmdOutput::from(child.wait_with_output().expect("wait for ecstpl"));
    assert_eq!(output.code, 143, "{}", output.combined());
    assert!(
        output.stderr.contains("which nothing used"),
        "{}",
        output.stderr
    );
    let (_, listed) = ecs_call_in(
        &fleet.endpoint(),
        EU,
        "ListTaskDefinitions",
        &json!({"familyPrefix": "web", "status": "ACTIVE"}),
    );
    let left: Vec<&str> = listed["taskDefinitionArns"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .filter(|arn| arn.contains("task-definition/web:"))
        .collect();
    assert!(
        left.is_empty(),
        "unused revisions left in eu-west-1: {left:?}"
    );
}

/// `--verify` checks every target's revision in its own account and Region before the first
/// wave: a parameter the second wave's Region lacks stops the fleet before the canary, with
/// nothing registered or updated anywhere; once it exists there, the same command deploys.
#[test]
fn verify_checks_every_target_in_its_region_before_the_first_wave() {
    use crate::support::aws_json_call_in;
    let fleet = Fleet::start();
    let overlay = fleet.dir.path().join("secrets.json");
    std::fs::write(
        &overlay,
        r#"{"executionRoleArn": "arn:aws:iam::123456789012:role/web-execution",
            "containerDefinitions": [{"name": "app", "secrets": [{"name": "DB_PASSWORD", "valueFrom": "/prod/db/password"}]}]}"#,
    )
    .expect("write the overlay");
    // IAM is global: the role is there for every target.
    let created = crate::verify::iam(
        &fleet.endpoint(),
        &[
            ("Action", "CreateRole"),
            ("RoleName", "web-execution"),
            ("AssumeRolePolicyDocument", crate::verify::TRUST_ECS),
        ],
    );
    assert!(created.contains("<RoleName>"), "{created}");
    let overlay = overlay.display().to_string();
    let put_parameter = |region: &str| {
        let (status, body) = aws_json_call_in(
            &fleet.endpoint(),
            region,
            "ssm",
            "AmazonSSM.PutParameter",
            &json!({"Name": "/prod/db/password", "Value": "s3cr3t-value", "Type": "SecureString"}),
        );
        assert_eq!(status, 200, "{body}");
    };
    // Only the canary's Region has the parameter.
    put_parameter(EU);
    fleet.proxy.clear();
    let args = [
        "--image",
        "app=repo/app:v2",
        "--overlay",
        overlay.as_str(),
        "--verify",
    ];
    let refused = fleet.deploy(&args);
    assert_eq!(refused.code, 2, "{}", refused.combined());
    assert_eq!(
        results(&refused),
        vec![
            ("web-eu".to_string(), "not started".to_string()),
            ("web-us1".to_string(), "failed".to_string()),
            ("web".to_string(), "failed".to_string()),
            ("web".to_string(), "not started".to_string()),
        ],
        "{}",
        refused.combined()
    );
    assert!(
        refused
            .stderr
            .contains("SSM parameter /prod/db/password does not exist"),
        "{}",
        refused.stderr
    );
    assert_eq!(fleet.registrations(EU) + fleet.registrations(US), 0);
    assert!(fleet.updated_services().is_empty());
    // Asked once per Region and render: the two us-east-1 targets share one check.
    let asked = |region: &str| {
        fleet
            .proxy
            .requests("GetParameter")
            .iter()
            .filter(|r| r.region == region)
            .count()
    };
    assert_eq!((asked(EU), asked(US)), (1, 1));
    // Without --verify the canary would have gone first; with the parameter everywhere the
    // same command deploys every target.
    put_parameter(US);
    let deployed = fleet.deploy(&args);
    assert_eq!(deployed.code, 0, "{}", deployed.combined());
    assert!(
        results(&deployed)
            .iter()
            .all(|(_, result)| result == "deployed"),
        "{}",
        deployed.combined()
    );
    assert_eq!((fleet.registrations(EU), fleet.registrations(US)), (1, 1));
    for (region, service) in SERVICES {
        assert_eq!(fleet.live_image(region, service), "repo/app:v2");
    }
}
