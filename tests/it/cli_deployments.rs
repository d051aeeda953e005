//! `ecstpl` against ECS deployments as they are now: the service deployment a deploy started is
//! followed to its end and judged by its own status, for every strategy; pauses at PAUSE
//! hooks, `continue`, `rollback` of a deployment in progress, one-off tasks with `run`, the
//! fallback for endpoints without the service deployments API, and the refusal of other
//! deployment controllers. The ECS side is the simulator in `support::deployments`, written
//! from the ECS API reference.

use std::process::{Child, Stdio};

use crate::support;
use crate::support::proxy::{RecordingProxy, Rollout, Scenario, TaskOutcome};
use crate::support::{CmdOutput, Moto, bootstrap_service_on, ecs_call, register_raw};
use serde_json::{Value as Json, json};

const FAST: [&str; 4] = ["--poll-interval", "50ms", "--timeout", "60s"];

use crate::support::{ecstpl, ecstpl_command as command};

fn spawn(endpoint: &str, args: &[&str]) -> Child {
    command(endpoint, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ecstpl")
}

fn finished(child: Child) -> CmdOutput {
    child.wait_with_output().expect("ecstpl ends").into()
}

/// One EC2 query API call to the emulator, returning the XML answer.
fn ec2(moto: &str, params: &str) -> String {
    support::query_call(moto, "ec2", &format!("{params}&Version=2016-11-15"))
}

fn xml_value(xml: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let start = xml.find(&open).map(|i| i + open.len()).expect("the tag");
    let end = xml[start..].find('<').expect("a closing tag");
    xml[start..start + end].to_string()
}

/// A subnet and a security group in the emulator (it checks them on CreateService).
fn network(moto: &str) -> (String, String) {
    let vpc = xml_value(
        &ec2(moto, "Action=CreateVpc&CidrBlock=10.0.0.0%2F16"),
        "vpcId",
    );
    let subnet = xml_value(
        &ec2(
            moto,
            &format!("Action=CreateSubnet&VpcId={vpc}&CidrBlock=10.0.1.0%2F24"),
        ),
        "subnetId",
    );
    let group = xml_value(
        &ec2(
            moto,
            &format!("Action=CreateSecurityGroup&GroupName=app&GroupDescription=app&VpcId={vpc}"),
        ),
        "groupId",
    );
    (subnet, group)
}

/// A cluster `prod` and a service bootstrapped on a template revision in `family-template`
/// (deploy family `family`), with `configuration` as its deployment configuration.
fn service(endpoint: &str, name: &str, configuration: Json) {
    service_in(endpoint, name, configuration, None);
}

fn service_in(endpoint: &str, name: &str, configuration: Json, network: Option<&(String, String)>) {
    let mut fields = json!({"desiredCount": 2, "launchType": "FARGATE",
            "deploymentConfiguration": configuration});
    if let Some((subnet, group)) = network {
        fields["networkConfiguration"] =
            json!({"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}});
    }
    bootstrap_service_on(
        endpoint,
        name,
        json!({"family": format!("{name}-template"), "memory": "512", "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"], "cpu": "256",
        "containerDefinitions": [
            {"name": "app", "image": "placeholder", "portMappings": [{"containerPort": 8080}]},
            {"name": "log", "image": "fluent-bit:3", "essential": false}
        ]}),
        fields,
    );
}

fn deploy(endpoint: &str, service: &str, image: &str, extra: &[&str]) -> CmdOutput {
    let mut args = vec![
        "deploy",
        "--cluster",
        "prod",
        "--service",
        service,
        "--image",
    ];
    let image = format!("app={image}");
    args.push(&image);
    args.extend(FAST);
    args.extend(extra);
    ecstpl(endpoint, &args)
}

fn live_task_definition(endpoint: &str, service: &str) -> String {
    let (_, body) = ecs_call(
        endpoint,
        "DescribeServices",
        &json!({"cluster": "prod", "services": [service]}),
    );
    body["services"][0]["taskDefinition"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn blue_green(hooks: Json) -> Json {
    json!({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5, "maximumPercent": 200, "minimumHealthyPercent": 100,
           "alarms": {"alarmNames": ["api-5xx"], "enable": true, "rollback": true},
           "lifecycleHooks": hooks})
}

fn pause_after_test_traffic() -> Json {
    json!([{"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"],
            "timeoutConfiguration": {"timeoutInMinutes": 60, "action": "ROLLBACK"}}])
}

#[test]
fn every_terminal_state_has_its_exit_code_and_says_why() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let endpoint = proxy.endpoint();
    proxy.deployment_scenario(Scenario::Succeed { steps: 1 });
    service(
        &endpoint,
        "rolling",
        json!({"deploymentCircuitBreaker": {"enable": true, "rollback": true}}),
    );
    service(
        &endpoint,
        "nobreakerrollback",
        json!({"deploymentCircuitBreaker": {"enable": true, "rollback": false}}),
    );
    service(&endpoint, "bluegreen", blue_green(json!([])));

    let ok = deploy(&endpoint, "rolling", "repo:v1", &[]);
    assert_eq!(ok.code, 0, "{}", ok.combined());
    assert!(
        ok.stdout.contains("deployment SUCCESSFUL"),
        "{}",
        ok.combined()
    );

    proxy.deployment_scenario(Scenario::FailByCircuitBreaker { steps: 1 });
    let breaker = deploy(&endpoint, "rolling", "repo:broken", &[]);
    assert_eq!(breaker.code, 4, "{}", breaker.combined());
    assert!(
        breaker.stderr.contains("ROLLBACK_SUCCESSFUL")
            && breaker.stderr.contains("circuit breaker"),
        "{}",
        breaker.combined()
    );
    assert!(
        live_task_definition(&endpoint, "rolling").ends_with("rolling:1"),
        "back on the last good revision"
    );

    let stopped = deploy(&endpoint, "nobreakerrollback", "repo:broken", &[]);
    assert_eq!(stopped.code, 4, "{}", stopped.combined());
    assert!(
        stopped.stderr.contains("STOPPED") && stopped.stderr.contains("stopped without a rollback"),
        "{}",
        stopped.combined()
    );

    proxy.deployment_scenario(Scenario::FailByAlarm {
        stage: "POST_TEST_TRAFFIC_SHIFT",
        alarm: "api-5xx",
    });
    let alarm = deploy(&endpoint, "bluegreen", "repo:broken", &[]);
    assert_eq!(alarm.code, 4, "{}", alarm.combined());
    assert!(
        alarm.stderr.contains("alarm api-5xx"),
        "{}",
        alarm.combined()
    );

    proxy.deployment_scenario(Scenario::FailHook {
        stage: "PRE_SCALE_UP",
    });
    let hook = deploy(&endpoint, "bluegreen", "repo:broken", &[]);
    assert_eq!(hook.code, 4, "{}", hook.combined());
    assert!(
        hook.stderr.contains("lifecycle hook"),
        "{}",
        hook.combined()
    );

    proxy.deployment_scenario(Scenario::RollbackFails { stage: "SCALE_UP" });
    let rollback_failed = deploy(&endpoint, "bluegreen", "repo:broken", &[]);
    assert_eq!(rollback_failed.code, 4, "{}", rollback_failed.combined());
    assert!(
        rollback_failed.stderr.contains("ROLLBACK_FAILED"),
        "{}",
        rollback_failed.combined()
    );

    proxy.deployment_scenario(Scenario::Succeed { steps: 100_000 });
    let slow = ecstpl(
        &endpoint,
        &[
            "deploy",
            "--cluster",
            "prod",
            "--service",
            "rolling",
            "--image",
            "app=repo:v2",
            "--poll-interval",
            "50ms",
            "--timeout",
            "500ms",
        ],
    );
    assert_eq!(slow.code, 5, "{}", slow.combined());
}

#[test]
fn progress_names_the_blue_green_stages_in_order_and_json_has_the_deployment() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let endpoint = proxy.endpoint();
    proxy.deployment_scenario(Scenario::Succeed { steps: 1 });
    service(&endpoint, "web", blue_green(json!([])));
    let summary = tempfile::NamedTempFile::new().unwrap();
    let output = command(
        &endpoint,
        &[
            "deploy",
            "--cluster",
            "prod",
            "--service",
            "web",
            "--image",
            "app=repo:v1",
            "--output",
            "json",
            "--poll-interval",
            "50ms",
            "--timeout",
            "60s",
        ],
    )
    .env("GITHUB_STEP_SUMMARY", summary.path())
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let expected = [
        "PRE_SCALE_UP",
        "SCALE_UP",
        "POST_SCALE_UP",
        "TEST_TRAFFIC_SHIFT",
        "POST_TEST_TRAFFIC_SHIFT",
        "PRE_PRODUCTION_TRAFFIC_SHIFT",
        "PRODUCTION_TRAFFIC_SHIFT",
        "POST_PRODUCTION_TRAFFIC_SHIFT",
        "BAKE_TIME",
        "CLEAN_UP",
    ];
    let seen: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("BLUE_GREEN IN_PROGRESS "))
        .filter_map(|l| l.split(':').next())
        .fold(Vec::new(), |mut acc, stage| {
            if acc.last() != Some(&stage) {
                acc.push(stage);
            }
            acc
        });
    assert_eq!(seen, expected, "{stderr}");
    assert!(stderr.contains("bake time 5m"), "{stderr}");
    let result: Json = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(result["deployment_status"], "SUCCESSFUL");
    assert_eq!(result["strategy"], "BLUE_GREEN");
    assert!(
        result["service_deployment_arn"]
            .as_str()
            .unwrap()
            .contains(":service-deployment/")
    );
    let stages: Vec<&str> = result["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, expected);
    let summary = std::fs::read_to_string(summary.path()).unwrap();
    assert!(
        summary.contains("BLUE_GREEN") && summary.contains("BAKE_TIME"),
        "{summary}"
    );
}

#[test]
fn linear_and_canary_progress_show_the_traffic_steps() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let endpoint = proxy.endpoint();
    proxy.deployment_scenario(Scenario::Succeed { steps: 1 });
    service(
        &endpoint,
        "linear",
        json!({"strategy": "LINEAR", "bakeTimeInMinutes": 1,
        "linearConfiguration": {"stepPercent": 25.0, "stepBakeTimeInMinutes": 1}}),
    );
    service(
        &endpoint,
        "canary",
        json!({"strategy": "CANARY", "bakeTimeInMinutes": 1,
        "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 1}}),
    );
    let linear = deploy(&endpoint, "linear", "repo:v1", &[]);
    assert_eq!(linear.code, 0, "{}", linear.combined());
    for step in [
        "25% of production traffic (step 1 of 4)",
        "50% of production traffic (step 2 of 4)",
        "75% of production traffic (step 3 of 4)",
        "100% of production traffic (step 4 of 4)",
    ] {
        assert!(linear.stderr.contains(step), "{step}:\n{}", linear.stderr);
    }
    let canary = deploy(&endpoint, "canary", "repo:v1", &[]);
    assert_eq!(canary.code, 0, "{}", canary.combined());
    assert!(
        canary
            .stderr
            .contains("10% of production traffic (step 1 of 2)"),
        "{}",
        canary.stderr
    );
    assert!(
        canary
            .stderr
            .contains("100% of production traffic (step 2 of 2)"),
        "{}",
        canary.stderr
    );
}

#[test]
fn a_pause_is_reported_then_continue_completes_it() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let endpoint = proxy.endpoint();
    proxy.deployment_scenario(Scenario::Succeed { steps: 1 });
    service(&endpoint, "web", blue_green(pause_after_test_traffic()));

    let paused = deploy(
        &endpoint,
        "web",
        "repo:v1",
        &["--wait-until", "paused", "--output", "json"],
    );
    assert_eq!(paused.code, 0, "{}", paused.combined());
    let result: Json = serde_json::from_str(&paused.stdout).unwrap();
    assert!(
        result["message"]
            .as_str()
            .unwrap()
            .contains("paused at POST_TEST_TRAFFIC_SHIFT"),
        "{result}"
    );
    let hook = result["pause"]["hook_id"].as_str().unwrap().to_string();
    assert!(hook.starts_with("ecs-pause-"), "{result}");
    assert_eq!(result["pause"]["timeout_action"], "ROLLBACK");
    assert!(result["pause"]["expires_at"].as_str().is_some(), "{result}");

    // status shows the pause and changes nothing.
    proxy.clear();
    let status = ecstpl(
        &endpoint,
        &["status", "--cluster", "prod", "--service", "web"],
    );
    assert_eq!(status.code, 0, "{}", status.combined());
    assert!(
        status.stdout.contains(&format!("lifecycle hook {hook}")),
        "{}",
        status.stdout
    );
    assert!(
        proxy.write_calls().is_empty(),
        "status wrote: {:?}",
        proxy.write_calls()
    );

    let mut args = vec!["continue", "--cluster", "prod", "--service", "web"];
    args.extend(FAST);
    let continued = ecstpl(&endpoint, &args);
    assert_eq!(continued.code, 0, "{}", continued.combined());
    assert!(
        continued.stdout.contains("deployment SUCCESSFUL"),
        "{}",
        continued.combined()
    );
    assert!(live_task_definition(&endpoint, "web").ends_with("web:1"));

    // Nothing paused any more.
    let again = ecstpl(&endpoint, &args);
    assert_eq!(again.code, 2, "{}", again.combined());
}

#[test]
fn continue_rollback_and_rollback_end_a_waiting_deploy_on_the_previous_revision() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let endpoint = proxy.endpoint();
    proxy.deployment_scenario(Scenario::Succeed { steps: 1 });
    service(&endpoint, "web", blue_green(pause_after_test_traffic()));

    // A deploy waits through the pause (default --wait-until deployed); continue --rollback
    // from another job rolls it back, and the waiting deploy fails with exit 4.
    let waiting = spawn(
        &endpoint,
        &[
            "deploy",
            "--cluster",
            "prod",
            "--service",
            "web",
            "--image",
            "app=repo:v1",
            "--poll-interval",
            "100ms",
            "--timeout",
            "60s",
        ],
    );
    let mut args = vec![
        "continue",
        "--rollback",
        "--cluster",
        "prod",
        "--service",
        "web",
    ];
    args.extend(FAST);
    let mut rolled = ecstpl(&endpoint, &args);
    for _ in 0..50 {
        if rolled.code == 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
        rolled = ecstpl(&endpoint, &args);
    }
    assert_eq!(rolled.code, 0, "{}", rolled.combined());
    assert!(
        rolled.stdout.contains("rolled back"),
        "{}",
        rolled.combined()
    );
    let waited = finished(waiting);
    assert_eq!(waited.code, 4, "{}", waited.combined());
    assert!(
        waited.stderr.contains("stopped with a rollback"),
        "{}",
        waited.combined()
    );
    assert!(
        waited.stderr.contains("ROLLBACK_SUCCESSFUL"),
        "{}",
        waited.combined()
    );
    assert!(live_task_definition(&endpoint, "web").ends_with("web-template:1"));

    // rollback while a (long rolling) deployment is in progress stops it with a rollback.
    service(&endpoint, "api", json!({}));
    proxy.deployment_scenario(Scenario::Succeed { steps: 100_000 });
    let waiting = spawn(
        &endpoint,
        &[
            "deploy",
            "--cluster",
            "prod",
            "--service",
            "api",
            "--image",
            "app=repo:v1",
            "--poll-interval",
            "100ms",
            "--timeout",
            "60s",
        ],
    );
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let mut args = vec!["rollback", "--cluster", "prod", "--service", "api"];
    args.extend(FAST);
    let stopped = ecstpl(&endpoint, &args);
    assert_eq!(stopped.code, 0, "{}", stopped.combined());
    assert!(
        stopped.stderr.contains("stopping deployment"),
        "{}",
        stopped.stderr
    );
    assert!(proxy.calls().iter().any(|op| op == "StopServiceDeployment"));
    let waited = finished(waiting);
    assert_eq!(waited.code, 4, "{}", waited.combined());
    assert!(live_task_definition(&endpoint, "api").ends_with("api-template:1"));
}

#[test]
fn run_exits_with_the_containers_code_and_refuses_an_unknown_container() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let endpoint = proxy.endpoint();
    proxy.deployment_scenario(Scenario::Succeed { steps: 1 });
    let network = network(&moto.endpoint());
    service_in(&endpoint, "web", json!({}), Some(&network));
    let run = |extra: &[&str], command: &[&str]| {
        let mut args = vec![
            "run",
            "--cluster",
            "prod",
            "--service",
            "web",
            "--poll-interval",
            "50ms",
        ];
        args.extend(extra);
        args.push("--");
        args.extend(command);
        ecstpl(&endpoint, &args)
    };

    let ok = run(&["--image", "app=repo:v7"], &["bin/migrate", "--yes"]);
    assert_eq!(ok.code, 0, "{}", ok.combined());
    assert!(
        ok.stdout.trim().starts_with("arn:aws:ecs:"),
        "prints the task ARN: {}",
        ok.stdout
    );
    let requests = proxy.run_requests();
    let request = requests.last().unwrap();
    assert_eq!(
        request["overrides"]["containerOverrides"][0],
        json!({"name": "app", "command": ["bin/migrate", "--yes"]})
    );
    assert_eq!(request["launchType"], "FARGATE");
    assert_eq!(
        request["networkConfiguration"]["awsvpcConfiguration"]["subnets"],
        json!([network.0])
    );
    assert!(
        request["taskDefinition"]
            .as_str()
            .unwrap()
            .contains("task-definition/web:"),
        "{request}"
    );

    proxy.task_outcome(TaskOutcome::Exit(3));
    let failed = run(&["--revision", "live", "--output", "json"], &["false"]);
    assert_eq!(failed.code, 3, "{}", failed.combined());
    let result: Json = serde_json::from_str(&failed.stdout).unwrap();
    assert_eq!(result["exit_code"], 3);
    assert!(
        proxy.run_requests().last().unwrap()["taskDefinition"]
            .as_str()
            .unwrap()
            .contains("web-template:1")
    );

    proxy.task_outcome(TaskOutcome::FailToStart(
        "CannotPullContainerError: pull access denied for repo",
    ));
    let never = run(&["--revision", "live"], &["true"]);
    assert_eq!(never.code, 4, "{}", never.combined());
    assert!(
        never.stderr.contains("TaskFailedToStart")
            && never.stderr.contains("CannotPullContainerError"),
        "{}",
        never.stderr
    );

    proxy.clear();
    let before = proxy.run_requests().len();
    let unknown = run(
        &["--container", "nosuch", "--image", "app=repo:v9"],
        &["true"],
    );
    assert_eq!(unknown.code, 2, "{}", unknown.combined());
    assert!(
        unknown.stderr.contains("no container named \"nosuch\""),
        "{}",
        unknown.stderr
    );
    assert_eq!(proxy.run_requests().len(), before, "no task was started");
    assert!(proxy.write_calls().is_empty(), "{:?}", proxy.write_calls());

    let started = run(&["--revision", "live", "--no-wait"], &["sleep", "60"]);
    assert_eq!(started.code, 0, "{}", started.combined());
    assert!(
        !proxy.calls().iter().any(|op| op == "DescribeTasks"),
        "--no-wait does not wait"
    );
}

#[test]
fn without_the_service_deployments_api_the_services_deployments_are_judged() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let endpoint = proxy.endpoint();
    proxy.simulate_rollouts(Rollout::CompleteAfter(1));
    proxy.without_service_deployments_api();
    service(&endpoint, "web", json!({}));
    let ok = deploy(&endpoint, "web", "repo:v1", &[]);
    assert_eq!(ok.code, 0, "{}", ok.combined());
    assert!(ok.stdout.contains("rollout completed"), "{}", ok.combined());
    proxy.simulate_rollouts(Rollout::FailAfter(1));
    let failed = deploy(&endpoint, "web", "repo:broken", &[]);
    assert_eq!(failed.code, 4, "{}", failed.combined());
    assert!(
        failed.stderr.contains("rollout failed") && failed.stderr.contains("circuit breaker"),
        "{}",
        failed.combined()
    );
    assert!(live_task_definition(&endpoint, "web").ends_with("web:1"));
}

#[test]
fn code_deploy_and_external_services_are_refused_before_anything_is_registered() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let endpoint = proxy.endpoint();
    let _ = ecs_call(&endpoint, "CreateCluster", &json!({"clusterName": "prod"}));
    let template = register_raw(
        &endpoint,
        &json!({"family": "cd-template", "memory": "512",
                "containerDefinitions": [{"name": "app", "image": "placeholder"}],
                "tags": [{"key": "ecstpl:role", "value": "template"}, {"key": "ecstpl:deploy-family", "value": "cd"}]}),
    );
    for (name, controller) in [("cd", "CODE_DEPLOY"), ("ext", "EXTERNAL")] {
        let (status, body) = ecs_call(
            &endpoint,
            "CreateService",
            &json!({"cluster": "prod", "serviceName": name, "desiredCount": 1,
                    "taskDefinition": template["taskDefinition"]["taskDefinitionArn"],
                    "deploymentController": {"type": controller}}),
        );
        assert_eq!(status, 200, "{body}");
        proxy.clear();
        let refused = deploy(
            &endpoint,
            name,
            "repo:v1",
            &["--template", "cd-template", "--family", "cd"],
        );
        assert_eq!(refused.code, 2, "{}", refused.combined());
        assert!(
            refused.stderr.contains(controller)
                && refused.stderr.contains("nothing was registered"),
            "{}",
            refused.stderr
        );
        assert!(proxy.write_calls().is_empty(), "{:?}", proxy.write_calls());
    }
}
