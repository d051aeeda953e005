//! A failed rollout says why, in ECS's words: the failed revision's stopped tasks, identical
//! reasons grouped, and the service's events, in the text output, `--output json`, the step
//! summary, `ecstpl status` and the `ecstpl_rollout` action's diagnostic. The stopped tasks and
//! events come from the simulator in `support::deployments` (developer guide: "stopped task
//! error codes", "service event messages").

use crate::support;
use crate::support::proxy::{RecordingProxy, Scenario, TaskOutcome};
use crate::support::templates::{PLAIN_HEADER, web_template};
use crate::support::{
    Moto, Workspace, bootstrap_service_on, create_service, ecstpl, terraform_1_15,
};
use serde_json::{Value as Json, json};

const PULL: &str = "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/repo/app:v404: docker.io/repo/app:v404: not found";
const SECRETS: &str = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: AccessDeniedException";

fn service(endpoint: &str) {
    bootstrap_service_on(
        endpoint,
        "web",
        json!({"family": "web-template", "memory": "512",
                "containerDefinitions": [{"name": "app", "image": "placeholder"}]}),
        json!({"desiredCount": 3,
                "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true, "rollback": true}}}),
    );
}

fn deploy(endpoint: &str, image: &str, extra: &[&str]) -> support::CmdOutput {
    let image = format!("app={image}");
    let mut args = vec![
        "deploy",
        "--cluster",
        "prod",
        "--service",
        "web",
        "--image",
        &image,
        "--poll-interval",
        "200ms",
        "--timeout",
        "60s",
    ];
    args.extend(extra);
    ecstpl(endpoint, &args)
}

fn failing(proxy: &RecordingProxy) {
    proxy.failing_tasks(vec![
        TaskOutcome::FailToStart(PULL),
        TaskOutcome::FailToStart(SECRETS),
        TaskOutcome::FailToStart(PULL),
    ]);
    proxy.deployment_scenario(Scenario::FailByCircuitBreaker { steps: 1 });
}

#[test]
fn a_circuit_breaker_rollback_says_why_its_tasks_stopped() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let endpoint = proxy.endpoint();
    proxy.deployment_scenario(Scenario::Succeed { steps: 1 });
    service(&endpoint);
    let good = deploy(&endpoint, "repo/app:v1", &[]);
    assert_eq!(good.code, 0, "{}", good.combined());
    assert!(
        !proxy.calls().iter().any(|c| c == "ListTasks"),
        "a rollout that works reads no stopped task: {:?}",
        proxy.calls()
    );

    failing(&proxy);
    let summary = tempfile::NamedTempFile::new().unwrap();
    let output = support::ecstpl_command(
        &endpoint,
        &[
            "deploy",
            "--cluster",
            "prod",
            "--service",
            "web",
            "--image",
            "app=repo/app:v404",
            "--poll-interval",
            "200ms",
        ],
    )
    .env("GITHUB_STEP_SUMMARY", summary.path())
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains(&format!("  2 tasks: {PULL}")), "{stderr}");
    assert!(stderr.contains(&format!("  1 task: {SECRETS}")), "{stderr}");
    assert!(
        stderr.contains("service event: (service web) (deployment ecs-svc/")
            && stderr.contains("deployment failed: tasks failed to start."),
        "{stderr}"
    );
    let written = std::fs::read_to_string(summary.path()).unwrap();
    assert!(
        written.contains("| why | 2 tasks: CannotPullContainerError"),
        "{written}"
    );

    failing(&proxy);
    let json_run = deploy(&endpoint, "repo/app:v405", &["--output", "json"]);
    assert_eq!(json_run.code, 4, "{}", json_run.combined());
    let result: Json = serde_json::from_str(json_run.stdout.trim()).unwrap();
    assert_eq!(
        result["why"]["stopped_tasks"],
        json!([{"tasks": 2, "reason": PULL}, {"tasks": 1, "reason": SECRETS}]),
        "only the failed revision's tasks, grouped: {result}"
    );
    assert!(
        result["why"]["service_events"]
            .as_array()
            .is_some_and(|events| !events.is_empty()),
        "{result}"
    );

    // status of the service whose last deployment failed says the same.
    let status = ecstpl(
        &endpoint,
        &["status", "--cluster", "prod", "--service", "web"],
    );
    assert_eq!(status.code, 0, "{}", status.combined());
    assert!(
        status
            .stdout
            .contains("last deployment:  ROLLBACK_SUCCESSFUL")
            && status.stdout.contains(&format!("2 tasks: {PULL}")),
        "{}",
        status.stdout
    );
    let status = ecstpl(
        &endpoint,
        &[
            "status",
            "--cluster",
            "prod",
            "--service",
            "web",
            "--output",
            "json",
        ],
    );
    let status: Json = serde_json::from_str(status.stdout.trim()).unwrap();
    assert_eq!(
        status["failed_deployment"]["why"]["stopped_tasks"][0],
        json!({"tasks": 2, "reason": PULL})
    );
}

#[test]
fn the_rollout_actions_diagnostic_carries_why() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let endpoint = proxy.endpoint();
    proxy.deployment_scenario(Scenario::Succeed { steps: 1 });
    let terraform = terraform_1_15();
    let workspace = Workspace::new(&terraform, &endpoint);
    let config = |level: &str| {
        format!(
            r#"{PLAIN_HEADER}{}
action "ecstpl_rollout" "web" {{
  config {{
    cluster       = "prod"
    service       = "web"
    timeout       = "60s"
    poll_interval = "200ms"
  }}
}}
"#,
            web_template(level, "")
        )
    };
    workspace.write("main.tf", &config("a"));
    workspace.apply(&[]);
    create_service(
        &endpoint,
        &json!({"cluster": "prod", "serviceName": "web", "desiredCount": 2, "taskDefinition": "web-template:1"}),
    );
    let good = deploy(&endpoint, "repo/app:v1", &[]);
    assert_eq!(good.code, 0, "{}", good.combined());

    workspace.write("main.tf", &config("b"));
    workspace.apply(&[]);
    failing(&proxy);
    let invoked = workspace.run(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-invoke=action.ecstpl_rollout.web",
    ]);
    assert_ne!(invoked.code, 0, "{}", invoked.combined());
    let text = invoked.combined();
    assert!(text.contains("Rollout failed"), "{text}");
    assert!(text.contains("2 tasks: CannotPullContainerError"), "{text}");
    assert!(
        text.contains("1 task: ResourceInitializationError"),
        "{text}"
    );
}
