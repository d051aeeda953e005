//! Action `ecstpl_rollout` with real Terraform 1.15: `terraform apply -invoke=…` rolls a
//! template change out keeping CI's image, an `action_trigger` after an update does the same
//! in one apply, and a deployment the circuit breaker rolls back fails the action with the
//! reason; a blue/green deployment paused at a PAUSE hook ends the action with
//! `wait_until = "paused"` and says how to continue it. ECS deployments come from the rollout
//! simulator (`support::deployments`, written
//! from the ECS API reference); moto stores the task definitions.

use crate::support;
use crate::support::proxy::{RecordingProxy, Rollout, Scenario};
use crate::support::templates::{PLAIN_HEADER, web_template};
use crate::support::{Moto, Workspace, create_service, ecs_call, ecstpl, example, terraform_1_15};
use serde_json::{Value as Json, json};

/// The documented action block, with test timings.
fn action() -> String {
    example("actions/ecstpl_rollout/action.tf")
        .replace("timeout       = \"20m\"", "timeout       = \"60s\"")
        .replace("poll_interval = \"10s\"", "poll_interval = \"200ms\"")
}

/// What the service runs: its task definition's family:revision, the app's image and LEVEL.
fn live(endpoint: &str) -> (String, String, String) {
    let (_, services) = ecs_call(
        endpoint,
        "DescribeServices",
        &json!({"cluster": "prod", "services": ["web"]}),
    );
    let arn = services["services"][0]["taskDefinition"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (_, described) = ecs_call(
        endpoint,
        "DescribeTaskDefinition",
        &json!({"taskDefinition": arn}),
    );
    let app = &described["taskDefinition"]["containerDefinitions"][0];
    let level = app["environment"]
        .as_array()
        .and_then(|env| env.iter().find(|e| e["name"] == "LEVEL"))
        .and_then(|e| e["value"].as_str())
        .unwrap_or_default()
        .to_string();
    let short = arn.rsplit('/').next().unwrap_or_default().to_string();
    (
        short,
        app["image"].as_str().unwrap_or_default().to_string(),
        level,
    )
}

/// A command's output on one line, as wrapped diagnostics read.
fn one_line(output: &support::CmdOutput) -> String {
    output
        .combined()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_rollout_action_rolls_template_changes_out_keeping_cis_image() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.simulate_rollouts(Rollout::CompleteAfter(2));
    let terraform = terraform_1_15();
    let workspace = Workspace::new(&terraform, &proxy.endpoint());

    // The template, a service bootstrapped on it, and a CI deploy of the app's image.
    workspace.write(
        "main.tf",
        &format!("{PLAIN_HEADER}{}", web_template("a", "")),
    );
    workspace.apply(&[]);
    create_service(
        &proxy.endpoint(),
        &json!({"cluster": "prod", "serviceName": "web", "desiredCount": 1,
                "taskDefinition": "web-template:1"}),
    );
    let deployed = ecstpl(
        &proxy.endpoint(),
        &[
            "deploy",
            "--cluster",
            "prod",
            "--service",
            "web",
            "--image",
            "app=repo:v1",
            "--poll-interval",
            "50ms",
            "--timeout",
            "60s",
        ],
    );
    assert_eq!(deployed.code, 0, "{}", deployed.combined());
    assert_eq!(
        live(&proxy.endpoint()),
        ("web:1".into(), "repo:v1".into(), "a".into())
    );

    // 1. A template change, then -invoke: the change reaches the service, CI's image stays.
    workspace.write(
        "main.tf",
        &format!("{PLAIN_HEADER}{}{}", web_template("b", ""), action()),
    );
    workspace.apply(&[]);
    assert_eq!(
        live(&proxy.endpoint()).2,
        "a",
        "applying the template alone deploys nothing"
    );
    let invoked = workspace.apply(&["-invoke=action.ecstpl_rollout.web"]);
    let text = invoked.combined();
    assert!(
        text.contains("registered web:2 from template web-template:2"),
        "progress is streamed: {text}"
    );
    assert!(text.contains("deployment SUCCESSFUL"), "{text}");
    assert_eq!(
        live(&proxy.endpoint()),
        ("web:2".into(), "repo:v1".into(), "b".into())
    );
    let (code, plan) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 0, "the action changes no state: {}", plan.combined());

    // Invoked again with nothing new: nothing is registered.
    proxy.clear();
    let again = workspace.apply(&["-invoke=action.ecstpl_rollout.web"]);
    assert!(
        again.combined().contains("nothing to roll out"),
        "{}",
        again.combined()
    );
    assert_eq!(
        proxy.count("RegisterTaskDefinition"),
        0,
        "{:?}",
        proxy.calls()
    );

    // 2. action_trigger after_update: the template change rolls out in the same apply.
    let trigger = "lifecycle {\n    action_trigger {\n      events  = [after_update]\n      actions = [action.ecstpl_rollout.web]\n    }\n  }";
    workspace.write(
        "main.tf",
        &format!("{PLAIN_HEADER}{}{}", web_template("c", trigger), action()),
    );
    let applied = workspace.apply(&[]);
    assert!(
        applied
            .combined()
            .contains("registered web:3 from template web-template:3"),
        "{}",
        applied.combined()
    );
    assert_eq!(
        live(&proxy.endpoint()),
        ("web:3".into(), "repo:v1".into(), "c".into())
    );
    let (code, plan) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 0, "{}", plan.combined());

    // 3. The circuit breaker rolls the deployment back: the action, and the apply, fail with
    // the reason; the service is back on web:3.
    proxy.simulate_rollouts(Rollout::FailAfter(1));
    workspace.write(
        "main.tf",
        &format!("{PLAIN_HEADER}{}{}", web_template("d", trigger), action()),
    );
    let failed = workspace.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert!(!failed.success(), "{}", failed.combined());
    let text = one_line(&failed);
    assert!(text.contains("Rollout failed"), "{text}");
    assert!(text.contains("web:4 on service web"), "{text}");
    assert!(text.contains("ROLLBACK_SUCCESSFUL"), "the reason: {text}");
    assert_eq!(live(&proxy.endpoint()).0, "web:3");
}

/// `terraform validate` of `config` says "Invalid {attribute}" on the line that sets it;
/// returns that diagnostic.
fn validation_error_on(workspace: &Workspace, config: &str, attribute: &str) -> Json {
    workspace.write("main.tf", config);
    let output = workspace.run(&["validate", "-json", "-no-color"]);
    let validated: Json = serde_json::from_str(&output.stdout).unwrap_or_default();
    let summary = format!("Invalid {attribute}");
    let found = validated["diagnostics"]
        .as_array()
        .and_then(|ds| ds.iter().find(|d| d["summary"] == summary.as_str()));
    let Some(found) = found else {
        panic!("{summary} expected: {}", output.stdout);
    };
    let line = config
        .lines()
        .position(|l| l.trim_start().starts_with(&format!("{attribute} ")))
        .map(|p| p as u64 + 1);
    assert_eq!(found["range"]["start"]["line"].as_u64(), line, "{found}");
    found.clone()
}

/// Bad action configuration fails at validate, on the attribute, before any ECS call.
#[test]
fn a_bad_action_configuration_is_refused_on_its_attribute() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let terraform = terraform_1_15();
    let workspace = Workspace::new(&terraform, &proxy.endpoint());
    let config = format!(
        "{PLAIN_HEADER}{}{}",
        web_template("a", ""),
        action().replace("timeout       = \"60s\"", "timeout       = \"soon\"")
    );
    validation_error_on(&workspace, &config, "timeout");
    assert!(proxy.calls().is_empty(), "{:?}", proxy.calls());
}

/// A blue/green deployment with a PAUSE hook after the test traffic shift: with
/// `wait_until = "paused"` the action succeeds at the pause and says how to continue (and that
/// way works); with the default (`deployed`) the pause holds the action until `timeout`, which
/// then fails it saying the deployment is paused, how to continue it and how not to wait.
#[test]
fn the_rollout_action_stops_at_a_pause_hook_when_asked_and_says_how_to_continue() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.deployment_scenario(Scenario::Succeed { steps: 1 });
    let endpoint = proxy.endpoint();
    let terraform = terraform_1_15();
    let workspace = Workspace::new(&terraform, &endpoint);
    workspace.write(
        "main.tf",
        &format!("{PLAIN_HEADER}{}", web_template("a", "")),
    );
    workspace.apply(&[]);
    create_service(
        &endpoint,
        &json!({"cluster": "prod", "serviceName": "web", "desiredCount": 2,
                "taskDefinition": "web-template:1",
                "deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5,
                    "lifecycleHooks": [{"targetType": "PAUSE",
                        "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
                        "timeoutConfiguration": {"timeoutInMinutes": 60, "action": "ROLLBACK"}}]}}),
    );
    // CI deploys the app's image (through the pause): the template's image is a placeholder.
    let wait = ["--poll-interval", "50ms", "--timeout", "60s"];
    let service = ["--cluster", "prod", "--service", "web"];
    let mut deploy = vec!["deploy", "--image", "app=repo:v1", "--wait-until", "paused"];
    deploy.extend(service);
    deploy.extend(wait);
    let deployed = ecstpl(&endpoint, &deploy);
    assert_eq!(deployed.code, 0, "{}", deployed.combined());
    let mut resume = vec!["continue"];
    resume.extend(service);
    resume.extend(wait);
    let resumed = ecstpl(&endpoint, &resume);
    assert_eq!(resumed.code, 0, "{}", resumed.combined());

    // wait_until = "paused": the action ends at the pause, successfully, and says how to go on.
    let paused_action =
        action().replace("wait_until    = \"deployed\"", "wait_until    = \"paused\"");
    assert!(paused_action.contains("\"paused\""), "{paused_action}");
    workspace.write(
        "main.tf",
        &format!("{PLAIN_HEADER}{}{paused_action}", web_template("b", "")),
    );
    workspace.apply(&[]);
    let invoked = workspace.apply(&["-invoke=action.ecstpl_rollout.web"]);
    let text = one_line(&invoked);
    assert!(
        text.contains("paused at POST_TEST_TRAFFIC_SHIFT"),
        "the action reports the pause: {text}"
    );
    // How to continue, in ECS's API (a Terraform user may have no ecstpl CLI), with the
    // deployment and the hook.
    let named = |flag: &str| {
        text.split_whitespace()
            .skip_while(|word| *word != flag)
            .nth(1)
            .map(str::to_string)
            .unwrap_or_else(|| panic!("the action names no {flag}: {text}"))
    };
    assert!(
        text.contains("aws ecs continue-service-deployment"),
        "and how to continue: {text}"
    );
    let (deployment, hook) = (named("--service-deployment-arn"), named("--hook-id"));
    assert_eq!(
        live(&endpoint),
        ("web:2".into(), "repo:v1".into(), "b".into()),
        "the service is on the new revision, CI's image kept"
    );

    // The way the action names works: the deployment completes.
    let (status, body) = ecs_call(
        &endpoint,
        "ContinueServiceDeployment",
        &json!({"serviceDeploymentArn": deployment, "hookId": hook, "action": "CONTINUE"}),
    );
    assert_eq!(status, 200, "{body}");
    let ended = (0..50).find_map(|_| {
        let (_, described) = ecs_call(
            &endpoint,
            "DescribeServiceDeployments",
            &json!({"serviceDeploymentArns": [deployment]}),
        );
        let status = described["serviceDeployments"][0]["status"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        (status != "IN_PROGRESS" && status != "PENDING").then_some(status)
    });
    assert_eq!(ended.as_deref(), Some("SUCCESSFUL"));

    // The default waits for the deployment to end: at a pause nobody continues, the timeout
    // fails the action, saying why and what to do.
    let waiting_action = action().replace("timeout       = \"60s\"", "timeout       = \"3s\"");
    workspace.write(
        "main.tf",
        &format!("{PLAIN_HEADER}{}{waiting_action}", web_template("c", "")),
    );
    workspace.apply(&[]);
    let failed = workspace.run(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-invoke=action.ecstpl_rollout.web",
    ]);
    assert!(!failed.success(), "{}", failed.combined());
    let text = one_line(&failed);
    assert!(text.contains("Rollout failed"), "{text}");
    assert!(text.contains("paused"), "{text}");
    assert!(
        text.contains("aws ecs continue-service-deployment"),
        "{text}"
    );
    assert!(text.contains("wait_until = \"paused\""), "{text}");
}

/// `wait_until` is checked on its attribute at validate, before any ECS call.
#[test]
fn a_wait_until_that_means_nothing_is_refused_on_its_attribute() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let workspace = Workspace::new(&terraform_1_15(), &proxy.endpoint());
    let config = format!(
        "{PLAIN_HEADER}{}{}",
        web_template("a", ""),
        action().replace(
            "wait_until    = \"deployed\"",
            "wait_until    = \"finished\"",
        )
    );
    let found = validation_error_on(&workspace, &config, "wait_until");
    assert!(
        found["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("\"paused\""),
        "{found}"
    );
    assert!(proxy.calls().is_empty(), "{:?}", proxy.calls());
}
