//! The sequences users run every day, each a bug once: `run` then `deploy`, a re-run of the
//! same deploy, rollback after one-off tasks, `rollback --to` another family or a template,
//! pruning with `--no-wait`, an overlay taken for a hand edit, the placeholder rolled out, and
//! the output a pipeline reads (closed pipes, JSON for every error, pauses, `--exit-code`).
//! The ECS side is the simulator in `support::deployments`, written from the ECS API reference.

use crate::support;
use crate::support::proxy::{RecordingProxy, Scenario};
use crate::support::{
    CmdOutput, Moto, bootstrap_service_on, ecs_call, ecstpl, ecstpl_with_summary, register_raw,
};
use serde_json::{Value as Json, json};

const FAST: [&str; 4] = ["--poll-interval", "200ms", "--timeout", "60s"];

/// Cluster `prod` and service `name` bootstrapped on a template revision of `name-template`
/// (an app container with a placeholder image and a sidecar), deployment configuration
/// `configuration`. Returns the template revision's ARN.
fn service(endpoint: &str, name: &str, configuration: Json) -> String {
    bootstrap_service_on(
        endpoint,
        name,
        json!({"family": format!("{name}-template"), "memory": "512",
        "containerDefinitions": [
            {"name": "app", "image": "placeholder", "environment": [{"name": "LOG_LEVEL", "value": "info"}]},
            {"name": "log", "image": "fluent-bit:3", "essential": false}
        ]}),
        json!({"desiredCount": 2, "deploymentConfiguration": configuration}),
    )
}

fn cli(endpoint: &str, command: &str, service: &str, extra: &[&str]) -> CmdOutput {
    let mut args = vec![command, "--cluster", "prod", "--service", service];
    if matches!(command, "deploy" | "rollback" | "continue" | "run") {
        args.extend(FAST);
    }
    args.extend(extra);
    ecstpl(endpoint, &args)
}

fn deploy(endpoint: &str, service: &str, extra: &[&str]) -> CmdOutput {
    cli(endpoint, "deploy", service, extra)
}

/// `ecstpl run` with the command after `--`.
fn run(endpoint: &str, service: &str, extra: &[&str], command: &[&str]) -> CmdOutput {
    let mut args = extra.to_vec();
    args.push("--");
    args.extend(command);
    cli(endpoint, "run", service, &args)
}

fn describe_service(endpoint: &str, service: &str) -> Json {
    let (_, body) = ecs_call(
        endpoint,
        "DescribeServices",
        &json!({"cluster": "prod", "services": [service]}),
    );
    body["services"][0].clone()
}

/// What the service runs: `family:revision`.
fn live(endpoint: &str, service: &str) -> String {
    let arn = describe_service(endpoint, service)["taskDefinition"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    arn.rsplit('/').next().unwrap_or_default().to_string()
}

fn describe(endpoint: &str, id: &str) -> Json {
    let (_, body) = ecs_call(
        endpoint,
        "DescribeTaskDefinition",
        &json!({"taskDefinition": id, "include": ["TAGS"]}),
    );
    body
}

fn image_of(endpoint: &str, id: &str) -> String {
    describe(endpoint, id)["taskDefinition"]["containerDefinitions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["name"] == "app")
        .and_then(|c| c["image"].as_str())
        .unwrap_or_default()
        .to_string()
}

fn status_of(endpoint: &str, id: &str) -> String {
    describe(endpoint, id)["taskDefinition"]["status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn json_result(output: &CmdOutput) -> Json {
    serde_json::from_str(output.stdout.trim())
        .unwrap_or_else(|err| panic!("one JSON result on stdout ({err}): {}", output.combined()))
}

fn start(scenario: Scenario) -> (Moto, RecordingProxy, String) {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.deployment_scenario(scenario);
    let endpoint = proxy.endpoint();
    (moto, proxy, endpoint)
}

#[test]
fn rollback_returns_to_what_ran_before_never_to_a_one_off_tasks_revision() {
    let (_moto, proxy, endpoint) = start(Scenario::Succeed { steps: 1 });
    service(&endpoint, "web", json!({}));
    proxy.clear();
    for (step, output) in [
        deploy(&endpoint, "web", &["--image", "app=repo/web:v1"]),
        deploy(&endpoint, "web", &["--image", "app=repo/web:v2"]),
        run(
            &endpoint,
            "web",
            &["--image", "app=repo/web:v3"],
            &["migrate"],
        ),
        deploy(&endpoint, "web", &["--image", "app=repo/web:v3"]),
        run(
            &endpoint,
            "web",
            &["--image", "app=repo/web:v4-broken"],
            &["sh", "-c", "exit 1"],
        ),
        deploy(&endpoint, "web", &["--image", "app=repo/web:v5"]),
    ]
    .into_iter()
    .enumerate()
    {
        assert_eq!(output.code, 0, "step {step}: {}", output.combined());
    }
    // The migration and the deploy after it ran one revision: five in all, not six.
    assert_eq!(
        proxy.count("RegisterTaskDefinition"),
        5,
        "{:?}",
        proxy.calls()
    );
    let before = live(&endpoint, "web");
    assert_eq!(image_of(&endpoint, &before), "repo/web:v5");

    let rolled = cli(&endpoint, "rollback", "web", &["--output", "json"]);
    assert_eq!(rolled.code, 0, "{}", rolled.combined());
    let now = live(&endpoint, "web");
    assert_eq!(
        image_of(&endpoint, &now),
        "repo/web:v3",
        "back to what ran before {before}, not to the broken migration's {}",
        rolled.combined()
    );
    assert_eq!(json_result(&rolled)["result"], "rolled back");
    // And a second rollback returns to what ran before that: v5 again.
    let again = cli(&endpoint, "rollback", "web", &[]);
    assert_eq!(again.code, 0, "{}", again.combined());
    assert_eq!(image_of(&endpoint, &live(&endpoint, "web")), "repo/web:v5");
}

#[test]
fn rollback_of_a_service_created_on_its_revision_says_it_cannot_tell_and_changes_nothing() {
    let (_moto, proxy, endpoint) = start(Scenario::Succeed { steps: 1 });
    let template = service(&endpoint, "web", json!({}));
    let ok = deploy(&endpoint, "web", &["--image", "app=repo/web:v1"]);
    assert_eq!(ok.code, 0, "{}", ok.combined());
    // What ran before web:1 is the template (the placeholder): refused without --force.
    proxy.clear();
    let refused = cli(&endpoint, "rollback", "web", &[]);
    assert_eq!(refused.code, 2, "{}", refused.combined());
    assert!(
        refused.stderr.contains("template revision") && refused.stderr.contains("--force"),
        "{}",
        refused.stderr
    );
    assert!(proxy.write_calls().is_empty(), "{:?}", proxy.write_calls());
    let forced = cli(&endpoint, "rollback", "web", &["--force"]);
    assert_eq!(forced.code, 0, "{}", forced.combined());
    assert!(template.ends_with(&live(&endpoint, "web")));
}

#[test]
fn rollback_to_another_family_or_a_template_needs_force() {
    let (_moto, proxy, endpoint) = start(Scenario::Succeed { steps: 1 });
    service(&endpoint, "web", json!({}));
    service(&endpoint, "bg-web", json!({}));
    for image in ["app=repo/web:v1", "app=repo/web:v2"] {
        let ok = deploy(&endpoint, "web", &["--image", image]);
        assert_eq!(ok.code, 0, "{}", ok.combined());
    }
    proxy.clear();
    for (to, why) in [
        ("bg-web-template:1", "template revision"),
        ("web-template:1", "template revision"),
    ] {
        let refused = cli(
            &endpoint,
            "rollback",
            "web",
            &["--to", to, "--output", "json"],
        );
        assert_eq!(refused.code, 2, "--to {to}: {}", refused.combined());
        assert!(refused.stderr.contains(why), "{}", refused.stderr);
        assert_eq!(json_result(&refused)["exit_code"], 2);
    }
    // Another application's deployed revision.
    let other = deploy(&endpoint, "bg-web", &["--image", "app=repo/bg:v1"]);
    assert_eq!(other.code, 0, "{}", other.combined());
    proxy.clear();
    let refused = cli(&endpoint, "rollback", "web", &["--to", "bg-web:1"]);
    assert_eq!(refused.code, 2, "{}", refused.combined());
    assert!(
        refused.stderr.contains("another application's"),
        "{}",
        refused.stderr
    );
    assert!(proxy.write_calls().is_empty(), "{:?}", proxy.write_calls());
    assert_eq!(live(&endpoint, "web"), "web:2");
    // Within the family, by number.
    let to_one = cli(&endpoint, "rollback", "web", &["--to", "1"]);
    assert_eq!(to_one.code, 0, "{}", to_one.combined());
    assert_eq!(live(&endpoint, "web"), "web:1");
}

#[test]
fn run_then_deploy_share_one_revision_and_a_rerun_registers_and_updates_nothing() {
    let (_moto, proxy, endpoint) = start(Scenario::Succeed { steps: 1 });
    service(&endpoint, "web", json!({}));
    proxy.clear();
    let migrated = run(
        &endpoint,
        "web",
        &["--image", "app=repo/web:v1"],
        &["migrate"],
    );
    assert_eq!(migrated.code, 0, "{}", migrated.combined());
    let task_definition = proxy.run_requests()[0]["taskDefinition"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let deployed = deploy(
        &endpoint,
        "web",
        &["--image", "app=repo/web:v1", "--output", "json"],
    );
    assert_eq!(deployed.code, 0, "{}", deployed.combined());
    assert_eq!(
        json_result(&deployed)["task_definition_arn"],
        task_definition
    );
    assert_eq!(
        proxy.count("RegisterTaskDefinition"),
        1,
        "{:?}",
        proxy.calls()
    );

    proxy.clear();
    let again = deploy(
        &endpoint,
        "web",
        &["--image", "app=repo/web:v1", "--output", "json"],
    );
    assert_eq!(again.code, 0, "{}", again.combined());
    assert_eq!(json_result(&again)["result"], "already live");
    assert!(proxy.write_calls().is_empty(), "{:?}", proxy.write_calls());
    // Without --image: CI's image kept, the same template: the same render again.
    let same = deploy(&endpoint, "web", &[]);
    assert_eq!(same.code, 0, "{}", same.combined());
    assert!(proxy.write_calls().is_empty(), "{:?}", proxy.write_calls());
    // A migration before the next deploy runs the live revision when nothing changed.
    let rerun = run(&endpoint, "web", &[], &["migrate"]);
    assert_eq!(rerun.code, 0, "{}", rerun.combined());
    assert_eq!(
        proxy.count("RegisterTaskDefinition"),
        0,
        "{:?}",
        proxy.calls()
    );
}

#[test]
fn prune_waits_for_success_and_keeps_the_live_and_the_rollback_revisions() {
    let (_moto, proxy, endpoint) = start(Scenario::Succeed { steps: 1 });
    service(&endpoint, "web", json!({}));
    proxy.clear();
    let refused = deploy(
        &endpoint,
        "web",
        &[
            "--image",
            "app=repo/web:v1",
            "--no-wait",
            "--prune-keep",
            "0",
        ],
    );
    assert_eq!(refused.code, 2, "{}", refused.combined());
    assert!(refused.stderr.contains("--no-wait"), "{}", refused.stderr);
    assert!(proxy.calls().is_empty(), "{:?}", proxy.calls());

    for image in ["app=repo/web:v1", "app=repo/web:v2", "app=repo/web:v3"] {
        let ok = deploy(&endpoint, "web", &["--image", image]);
        assert_eq!(ok.code, 0, "{}", ok.combined());
    }
    let pruned = deploy(
        &endpoint,
        "web",
        &["--image", "app=repo/web:v4", "--prune-keep", "0"],
    );
    assert_eq!(pruned.code, 0, "{}", pruned.combined());
    assert_eq!(live(&endpoint, "web"), "web:4");
    assert_eq!(status_of(&endpoint, "web:4"), "ACTIVE", "the live revision");
    assert_eq!(
        status_of(&endpoint, "web:3"),
        "ACTIVE",
        "the rollback target"
    );
    assert_eq!(status_of(&endpoint, "web:2"), "INACTIVE");
    assert_eq!(status_of(&endpoint, "web:1"), "INACTIVE");
    let rolled = cli(&endpoint, "rollback", "web", &[]);
    assert_eq!(rolled.code, 0, "{}", rolled.combined());
    assert_eq!(live(&endpoint, "web"), "web:3");

    // A deploy stopped at a pause prunes nothing: the deployment has not ended.
    let (_moto, proxy, endpoint) = start(Scenario::Succeed { steps: 1 });
    service(
        &endpoint,
        "bg",
        json!({"strategy": "BLUE_GREEN", "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}]}),
    );
    for image in ["app=repo/bg:v1", "app=repo/bg:v2"] {
        let paused = deploy(
            &endpoint,
            "bg",
            &["--image", image, "--wait-until", "paused"],
        );
        assert_eq!(paused.code, 0, "{}", paused.combined());
        let resumed = cli(&endpoint, "continue", "bg", &[]);
        assert_eq!(resumed.code, 0, "{}", resumed.combined());
    }
    proxy.clear();
    let paused = deploy(
        &endpoint,
        "bg",
        &[
            "--image",
            "app=repo/bg:v3",
            "--wait-until",
            "paused",
            "--prune-keep",
            "0",
        ],
    );
    assert_eq!(paused.code, 0, "{}", paused.combined());
    assert!(
        !proxy
            .calls()
            .iter()
            .any(|c| c == "DeregisterTaskDefinition"),
        "{}",
        paused.combined()
    );
    assert!(paused.stderr.contains("not pruned"), "{}", paused.stderr);
}

#[test]
fn an_overlay_is_not_drift_but_a_hand_registered_copy_is() {
    let (_moto, _proxy, endpoint) = start(Scenario::Succeed { steps: 1 });
    service(&endpoint, "web", json!({}));
    let dir = tempfile::tempdir().unwrap();
    let overlay = dir.path().join("overlay.json");
    std::fs::write(
        &overlay,
        r#"{"containerDefinitions": [{"name": "app", "environment": [{"name": "FEATURE", "value": "on"}]}]}"#,
    )
    .unwrap();
    let overlay = overlay.to_string_lossy().into_owned();
    let deployed = deploy(
        &endpoint,
        "web",
        &["--image", "app=repo/web:v1", "--overlay", &overlay],
    );
    assert_eq!(deployed.code, 0, "{}", deployed.combined());
    let status = cli(
        &endpoint,
        "status",
        "web",
        &["--output", "json", "--exit-code"],
    );
    assert_eq!(status.code, 0, "{}", status.combined());
    assert_eq!(json_result(&status)["drift"], json!([]));
    // Re-running the same overlaid deploy is the same render.
    let again = deploy(
        &endpoint,
        "web",
        &["--image", "app=repo/web:v1", "--overlay", &overlay],
    );
    assert_eq!(again.code, 0, "{}", again.combined());
    assert_eq!(live(&endpoint, "web"), "web:1");

    // Somebody registers a copy with an edited environment, tags and all, and points the
    // service at it: that is a hand edit.
    let mut copy = describe(&endpoint, "web:1");
    let mut definition = copy["taskDefinition"].take();
    for key in [
        "taskDefinitionArn",
        "revision",
        "status",
        "requiresAttributes",
        "compatibilities",
        "registeredAt",
        "registeredBy",
    ] {
        definition.as_object_mut().unwrap().remove(key);
    }
    definition["containerDefinitions"][0]["environment"] =
        json!([{"name": "FEATURE", "value": "off"}, {"name": "LOG_LEVEL", "value": "info"}]);
    definition["tags"] = copy["tags"].clone();
    let registered = register_raw(&endpoint, &definition);
    let (code, body) = ecs_call(
        &endpoint,
        "UpdateService",
        &json!({"cluster": "prod", "service": "web",
                "taskDefinition": registered["taskDefinition"]["taskDefinitionArn"]}),
    );
    assert_eq!(code, 200, "{body}");
    let status = cli(
        &endpoint,
        "status",
        "web",
        &["--output", "json", "--exit-code"],
    );
    assert_eq!(status.code, 1, "{}", status.combined());
    assert_eq!(
        json_result(&status)["drift"],
        json!(["containerDefinitions[app].environment"])
    );
}

#[test]
fn the_placeholder_is_never_rolled_out_unless_asked() {
    let (_moto, proxy, endpoint) = start(Scenario::Succeed { steps: 1 });
    service(&endpoint, "web", json!({}));
    proxy.clear();
    let refused = deploy(&endpoint, "web", &["--output", "json"]);
    assert_eq!(refused.code, 2, "{}", refused.combined());
    assert!(
        refused.stderr.contains("app = placeholder"),
        "{}",
        refused.stderr
    );
    assert_eq!(json_result(&refused)["result"], "failed");
    let task = run(&endpoint, "web", &[], &["migrate"]);
    assert_eq!(task.code, 2, "{}", task.combined());
    assert!(proxy.write_calls().is_empty(), "{:?}", proxy.write_calls());

    let meant = deploy(&endpoint, "web", &["--allow-template-images"]);
    assert_eq!(meant.code, 0, "{}", meant.combined());
    assert_eq!(image_of(&endpoint, &live(&endpoint, "web")), "placeholder");
    // Once CI set an image, a deploy without --image keeps it.
    let ci = deploy(&endpoint, "web", &["--image", "app=repo/web:v1"]);
    assert_eq!(ci.code, 0, "{}", ci.combined());
    let kept = deploy(&endpoint, "web", &[]);
    assert_eq!(kept.code, 0, "{}", kept.combined());
    assert_eq!(image_of(&endpoint, &live(&endpoint, "web")), "repo/web:v1");
}

#[test]
fn a_closed_pipe_does_not_stop_a_deploy_or_panic() {
    let (_moto, _proxy, endpoint) = start(Scenario::Succeed { steps: 3 });
    service(&endpoint, "web", json!({}));
    // `ecstpl deploy … 2>&1 | head -1`: the reader goes away after the first line.
    let mut child = support::ecstpl_command(
        &endpoint,
        &[
            "deploy",
            "--cluster",
            "prod",
            "--service",
            "web",
            "--image",
            "app=repo/web:v1",
            "--poll-interval",
            "200ms",
        ],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    drop(child.stdout.take());
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "no panic (exit 101), the deploy's own code"
    );
    assert_eq!(image_of(&endpoint, &live(&endpoint, "web")), "repo/web:v1");
}

#[test]
fn every_result_agrees_with_its_exit_code_and_is_said_once() {
    let (_moto, proxy, endpoint) = start(Scenario::Succeed { steps: 1 });
    // An early error with --output json is a JSON result.
    let missing = deploy(
        &endpoint,
        "nosuch",
        &["--image", "app=repo:v1", "--output", "json"],
    );
    assert_eq!(missing.code, 2, "{}", missing.combined());
    let result = json_result(&missing);
    assert_eq!(
        (result["result"].as_str(), result["exit_code"].as_i64()),
        (Some("failed"), Some(2))
    );
    assert!(
        result["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not found")
    );

    service(
        &endpoint,
        "bg",
        json!({"strategy": "BLUE_GREEN", "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
               "timeoutConfiguration": {"timeoutInMinutes": 60, "action": "ROLLBACK"}}]}),
    );
    // A deploy that stops at a pause is paused, not deployed; the step summary says so.
    let summary = tempfile::NamedTempFile::new().unwrap();
    let with_summary = |args: &[&str]| ecstpl_with_summary(&endpoint, args, summary.path());
    let paused = with_summary(&[
        "deploy",
        "--cluster",
        "prod",
        "--service",
        "bg",
        "--image",
        "app=repo/bg:v1",
        "--wait-until",
        "paused",
        "--poll-interval",
        "50ms",
        "--output",
        "json",
    ]);
    assert_eq!(paused.code, 0, "{}", paused.combined());
    assert_eq!(json_result(&paused)["result"], "paused");
    assert!(
        paused
            .stderr
            .contains("--poll-interval 50ms is under the 200ms floor"),
        "{}",
        paused.stderr
    );
    // status gives times as deploy does: RFC 3339.
    let status = cli(&endpoint, "status", "bg", &["--output", "json"]);
    let expires = json_result(&status)["deployment"]["pause"]["expires_at"].clone();
    assert!(
        expires
            .as_str()
            .is_some_and(|t| t.ends_with('Z') && t.contains('T')),
        "{expires}"
    );
    assert_eq!(
        expires,
        json_result(&paused)["pause"]["expires_at"],
        "the same instant, the same form"
    );
    let resumed = with_summary(&[
        "continue",
        "--cluster",
        "prod",
        "--service",
        "bg",
        "--output",
        "json",
    ]);
    assert_eq!(resumed.code, 0, "{}", resumed.combined());
    assert_eq!(json_result(&resumed)["result"], "continued");
    let written = std::fs::read_to_string(summary.path()).unwrap();
    assert!(written.contains("ecstpl deploy: ⏸️ paused"), "{written}");
    assert!(
        written.contains("ecstpl continue: ✅ continued"),
        "{written}"
    );

    // A failure is said once, on stderr, in text; its JSON says failed with the same code.
    service(&endpoint, "web", json!({}));
    proxy.deployment_scenario(Scenario::FailByCircuitBreaker { steps: 1 });
    let failed = deploy(&endpoint, "web", &["--image", "app=repo/web:broken"]);
    assert_eq!(failed.code, 4, "{}", failed.combined());
    assert_eq!(
        failed
            .combined()
            .matches("ROLLBACK_SUCCESSFUL: rolled back")
            .count(),
        1,
        "{}",
        failed.combined()
    );
    let failed = deploy(
        &endpoint,
        "web",
        &["--image", "app=repo/web:broken2", "--output", "json"],
    );
    let result = json_result(&failed);
    assert_eq!((failed.code, result["exit_code"].as_i64()), (4, Some(4)));
    assert_eq!(result["result"], "failed");
}

#[test]
fn diff_and_status_gate_a_pipeline_with_exit_code() {
    let (_moto, _proxy, endpoint) = start(Scenario::Succeed { steps: 1 });
    service(&endpoint, "web", json!({}));
    let ok = deploy(&endpoint, "web", &["--image", "app=repo/web:v1"]);
    assert_eq!(ok.code, 0, "{}", ok.combined());
    let same = cli(&endpoint, "diff", "web", &["--exit-code"]);
    assert_eq!(same.code, 0, "{}", same.combined());
    let changed = cli(
        &endpoint,
        "diff",
        "web",
        &["--exit-code", "--image", "app=repo/web:v2"],
    );
    assert_eq!(changed.code, 1, "{}", changed.combined());
    assert!(changed.stdout.contains("+"), "{}", changed.stdout);
    let without = cli(&endpoint, "diff", "web", &["--image", "app=repo/web:v2"]);
    assert_eq!(without.code, 0, "without --exit-code a diff is no failure");
    let in_sync = cli(&endpoint, "status", "web", &["--exit-code"]);
    assert_eq!(in_sync.code, 0, "{}", in_sync.combined());
    // The template moves on: the service is behind it.
    register_raw(
        &endpoint,
        &json!({"family": "web-template", "memory": "512",
                "containerDefinitions": [
                    {"name": "app", "image": "placeholder", "environment": [{"name": "LOG_LEVEL", "value": "debug"}]},
                    {"name": "log", "image": "fluent-bit:3", "essential": false}
                ],
                "tags": [{"key": "ecstpl:role", "value": "template"}, {"key": "ecstpl:deploy-family", "value": "web"}]}),
    );
    let behind = cli(&endpoint, "status", "web", &["--exit-code"]);
    assert_eq!(behind.code, 1, "{}", behind.combined());
    assert!(
        behind.stdout.contains("in sync:          no"),
        "{}",
        behind.stdout
    );
    let informational = cli(&endpoint, "status", "web", &[]);
    assert_eq!(informational.code, 0);
}
