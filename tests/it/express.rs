//! The template pattern on ECS Express services: `deploy` and `rollback` hand the revision to
//! UpdateExpressGatewayService and never call UpdateService; a template that cannot serve an
//! Express service is refused before anything is registered; `status` and
//! `ecstpl_deployed_revision` read what the Express service runs from its own API. The ECS
//! side is the simulator (`support::express`, `support::deployments`), written from the ECS
//! API reference.

use crate::support;
use crate::support::proxy::{RecordingProxy, Scenario};
use crate::support::templates::PLAIN_HEADER;
use crate::support::{
    Moto, Workspace, create_service, ecs_call, ecstpl, register_raw, terraform_1_15,
    terraform_binaries,
};
use serde_json::{Value as Json, json};

const FAST: [&str; 4] = ["--poll-interval", "50ms", "--timeout", "60s"];

/// A template revision of `web-template` (deploy family `web`) with `containers`, FARGATE
/// compatible unless `compatibilities` says otherwise. Returns its ARN.
fn template(endpoint: &str, containers: Json, compatibilities: Json) -> String {
    let body = register_raw(
        endpoint,
        &json!({"family": "web-template", "cpu": "256", "memory": "512", "networkMode": "awsvpc",
                "requiresCompatibilities": compatibilities,
                "containerDefinitions": containers,
                "tags": [{"key": "ecstpl:role", "value": "template"},
                         {"key": "ecstpl:deploy-family", "value": "web"}]}),
    );
    body["taskDefinition"]["taskDefinitionArn"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn main_container(environment: Json) -> Json {
    json!([
        {"name": "Main", "image": "placeholder", "environment": environment,
         "portMappings": [{"containerPort": 8080, "name": "http"}]},
        {"name": "log", "image": "fluent-bit:3", "essential": false}
    ])
}

/// Cluster `prod` with the Express service `web` on a template revision, deploying the way
/// Express services do (canary, developer guide), marked as Express in the simulator.
fn express_service(proxy: &RecordingProxy) -> String {
    let endpoint = proxy.endpoint();
    proxy.deployment_scenario(Scenario::Succeed { steps: 1 });
    let _ = ecs_call(&endpoint, "CreateCluster", &json!({"clusterName": "prod"}));
    let arn = template(&endpoint, main_container(json!([])), json!(["FARGATE"]));
    let (status, body) = ecs_call(
        &endpoint,
        "CreateService",
        &json!({"cluster": "prod", "serviceName": "web", "desiredCount": 2,
                "taskDefinition": arn, "launchType": "FARGATE",
                "deploymentConfiguration": {"strategy": "CANARY", "bakeTimeInMinutes": 3,
                    "canaryConfiguration": {"canaryPercent": 5.0, "canaryBakeTimeInMinutes": 3}}}),
    );
    assert_eq!(status, 200, "CreateService: {body}");
    proxy.mark_express("web");
    arn
}

fn deploy(endpoint: &str, extra: &[&str]) -> support::CmdOutput {
    let mut args = vec!["deploy", "--cluster", "prod", "--service", "web"];
    args.extend(extra);
    args.extend(FAST);
    ecstpl(endpoint, &args)
}

fn count(calls: &[String], operation: &str) -> usize {
    calls.iter().filter(|c| c.as_str() == operation).count()
}

/// What the Express service runs, as its own API says (newest active configuration).
fn express_live(endpoint: &str) -> String {
    let (_, services) = ecs_call(
        endpoint,
        "DescribeServices",
        &json!({"cluster": "prod", "services": ["web"]}),
    );
    let arn = services["services"][0]["serviceArn"].clone();
    let (status, body) = ecs_call(
        endpoint,
        "DescribeExpressGatewayService",
        &json!({"serviceArn": arn}),
    );
    assert_eq!(status, 200, "{body}");
    let configurations = body["service"]["activeConfigurations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(configurations.len(), 1, "settled: {body}");
    configurations[0]["taskDefinitionArn"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn described(endpoint: &str, arn: &str) -> Json {
    let (status, body) = ecs_call(
        endpoint,
        "DescribeTaskDefinition",
        &json!({"taskDefinition": arn, "include": ["TAGS"]}),
    );
    assert_eq!(status, 200, "{body}");
    body["taskDefinition"].clone()
}

fn container<'a>(definition: &'a Json, name: &str) -> &'a Json {
    definition["containerDefinitions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no container {name} in {definition}"))
}

#[test]
fn deploy_to_an_express_service_goes_through_update_express_gateway_service_alone() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let endpoint = proxy.endpoint();
    express_service(&proxy);

    proxy.clear();
    let first = deploy(&endpoint, &["--image", "Main=repo/web:v1"]);
    assert_eq!(first.code, 0, "{}", first.combined());
    assert!(
        first.stdout.contains("deployment SUCCESSFUL"),
        "{}",
        first.combined()
    );
    let calls = proxy.calls();
    assert_eq!(count(&calls, "UpdateExpressGatewayService"), 1, "{calls:?}");
    assert_eq!(count(&calls, "UpdateService"), 0, "{calls:?}");
    assert_eq!(count(&calls, "RegisterTaskDefinition"), 1, "{calls:?}");
    let v1 = express_live(&endpoint);
    assert!(v1.ends_with("task-definition/web:1"), "{v1}");
    assert_eq!(
        container(&described(&endpoint, &v1), "Main")["image"],
        "repo/web:v1"
    );

    // Terraform changes the template; CI deploys without naming an image.
    template(
        &endpoint,
        main_container(json!([{"name": "MODE", "value": "fast"}])),
        json!(["FARGATE"]),
    );
    proxy.clear();
    let change = deploy(&endpoint, &["--output", "json"]);
    assert_eq!(change.code, 0, "{}", change.combined());
    let result: Json = serde_json::from_str(&change.stdout).unwrap();
    assert_eq!(result["deployment_status"], "SUCCESSFUL", "{result}");
    assert_eq!(result["strategy"], "CANARY", "{result}");
    let calls = proxy.calls();
    assert_eq!(count(&calls, "UpdateExpressGatewayService"), 1, "{calls:?}");
    assert_eq!(count(&calls, "UpdateService"), 0, "{calls:?}");
    let v2 = express_live(&endpoint);
    assert_eq!(result["task_definition_arn"], v2.as_str());
    let main = container(&described(&endpoint, &v2), "Main").clone();
    assert_eq!(main["image"], "repo/web:v1", "CI's image kept: {main}");
    assert_eq!(
        main["environment"],
        json!([{"name": "MODE", "value": "fast"}])
    );
}

#[test]
fn templates_that_cannot_serve_an_express_service_are_refused_before_registering() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let endpoint = proxy.endpoint();
    express_service(&proxy);
    let cases = [
        (
            "app=repo/web:v1",
            json!([{"name": "app", "image": "placeholder",
                    "portMappings": [{"containerPort": 8080, "name": "http"}]}]),
            json!(["FARGATE"]),
            "No container named Main",
        ),
        (
            "Main=repo/web:v1",
            json!([{"name": "Main", "image": "placeholder",
                    "portMappings": [{"containerPort": 8080}]}]),
            json!(["FARGATE"]),
            "no name",
        ),
        (
            "Main=repo/web:v1",
            main_container(json!([])),
            json!(["EC2"]),
            "FARGATE",
        ),
    ];
    for (image, containers, compatibilities, reason) in cases {
        let case = reason;
        template(&endpoint, containers, compatibilities);
        proxy.clear();
        let refused = deploy(&endpoint, &["--image", image]);
        assert_eq!(refused.code, 2, "{case}: {}", refused.combined());
        assert!(
            refused.stderr.contains(reason) && refused.stderr.contains("Express service"),
            "{case}: {}",
            refused.combined()
        );
        let calls = proxy.calls();
        assert_eq!(
            count(&calls, "RegisterTaskDefinition"),
            0,
            "{case}: {calls:?}"
        );
        assert!(proxy.write_calls().is_empty(), "{case}: {calls:?}");
    }
}

#[test]
fn the_simulator_refuses_what_the_reference_says_express_cannot_take() {
    // The model ecstpl is checked against, checked itself: UpdateExpressGatewayService with a
    // task definition without a port name is refused, with a good one it starts a deployment.
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let endpoint = proxy.endpoint();
    express_service(&proxy);
    let (_, services) = ecs_call(
        &endpoint,
        "DescribeServices",
        &json!({"cluster": "prod", "services": ["web"]}),
    );
    assert_eq!(services["services"][0]["resourceManagementType"], "ECS");
    let service = services["services"][0]["serviceArn"].clone();
    let unnamed = template(
        &endpoint,
        json!([{"name": "Main", "image": "x", "portMappings": [{"containerPort": 80}]}]),
        json!(["FARGATE"]),
    );
    let (status, body) = ecs_call(
        &endpoint,
        "UpdateExpressGatewayService",
        &json!({"serviceArn": service, "taskDefinitionArn": unnamed}),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["__type"], "InvalidParameterException");
    let good = template(&endpoint, main_container(json!([])), json!(["FARGATE"]));
    let (status, body) = ecs_call(
        &endpoint,
        "UpdateExpressGatewayService",
        &json!({"serviceArn": service, "taskDefinitionArn": good, "cpu": "512"}),
    );
    assert_eq!(status, 400, "cpu with a task definition: {body}");
    let (status, body) = ecs_call(
        &endpoint,
        "UpdateExpressGatewayService",
        &json!({"serviceArn": service, "taskDefinitionArn": good}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["service"]["targetConfiguration"]["taskDefinitionArn"],
        good.as_str()
    );
}

#[test]
fn status_and_the_data_source_read_the_express_services_live_revision() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let endpoint = proxy.endpoint();
    express_service(&proxy);
    let deployed = deploy(&endpoint, &["--image", "Main=repo/web:v1"]);
    assert_eq!(deployed.code, 0, "{}", deployed.combined());
    let live = express_live(&endpoint);

    proxy.clear();
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
    assert_eq!(status.code, 0, "{}", status.combined());
    let result: Json = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(result["live_arn"], live.as_str(), "{result}");
    assert_eq!(result["express"], true, "{result}");
    assert_eq!(result["in_sync"], true, "{result}");
    assert_eq!(result["images"]["Main"], "repo/web:v1", "{result}");
    let calls = proxy.calls();
    assert_eq!(
        count(&calls, "DescribeExpressGatewayService"),
        1,
        "{calls:?}"
    );

    let terraform = terraform_binaries().remove(0);
    let workspace = Workspace::new(&terraform, &endpoint);
    workspace.write(
        "main.tf",
        &format!(
            "{PLAIN_HEADER}{}",
            r#"
data "ecstpl_deployed_revision" "web" {
  cluster  = "prod"
  service  = "web"
  template = "web-template"
}
"#
        ),
    );
    proxy.clear();
    let plan = workspace.plan_json(&[]);
    let values = plan["prior_state"]["values"]["root_module"]["resources"]
        .as_array()
        .and_then(|r| {
            r.iter()
                .find(|r| r["address"] == "data.ecstpl_deployed_revision.web")
        })
        .map(|r| r["values"].clone())
        .unwrap_or_else(|| panic!("no data source in {plan:#}"));
    assert_eq!(values["arn"], live.as_str(), "{values:#}");
    assert_eq!(values["images"]["Main"], "repo/web:v1", "{values:#}");
    assert_eq!(values["in_sync"], true, "{values:#}");
    assert!(
        proxy.count("DescribeExpressGatewayService") >= 1,
        "{:?}",
        proxy.calls()
    );
}

#[test]
fn rollback_of_an_express_service_goes_back_through_update_express_gateway_service() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let endpoint = proxy.endpoint();
    express_service(&proxy);
    for image in ["Main=repo/web:v1", "Main=repo/web:v2"] {
        let deployed = deploy(&endpoint, &["--image", image]);
        assert_eq!(deployed.code, 0, "{}", deployed.combined());
    }
    assert!(express_live(&endpoint).ends_with("task-definition/web:2"));

    proxy.clear();
    let mut args = vec!["rollback", "--cluster", "prod", "--service", "web"];
    args.extend(FAST);
    let rolled = ecstpl(&endpoint, &args);
    assert_eq!(rolled.code, 0, "{}", rolled.combined());
    let calls = proxy.calls();
    assert_eq!(count(&calls, "UpdateExpressGatewayService"), 1, "{calls:?}");
    assert_eq!(count(&calls, "UpdateService"), 0, "{calls:?}");
    let live = express_live(&endpoint);
    assert!(live.ends_with("task-definition/web:1"), "{live}");
    assert_eq!(
        container(&described(&endpoint, &live), "Main")["image"],
        "repo/web:v1"
    );
}

/// `ecstpl_template` for the Express service with `express = true`; `main` is the name of
/// its first container and `level` an environment value.
fn express_template(main: &str, level: &str) -> String {
    format!(
        r#"
resource "ecstpl_template" "web" {{
  family                   = "web-template"
  deploy_family            = "web"
  express                  = true
  cpu                      = "256"
  memory                   = "512"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  container_definitions = jsonencode([{{
    name         = "{main}"
    image        = "placeholder"
    portMappings = [{{ containerPort = 8080, name = "http" }}]
    environment  = [{{ name = "LEVEL", value = "{level}" }}]
  }}])
}}

action "ecstpl_rollout" "web" {{
  config {{
    cluster       = "prod"
    service       = "web"
    template      = ecstpl_template.web.family
    timeout       = "60s"
    poll_interval = "200ms"
  }}
}}
"#
    )
}

#[test]
fn the_rollout_action_and_plan_time_checks_on_an_express_service() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let endpoint = proxy.endpoint();
    proxy.deployment_scenario(Scenario::Succeed { steps: 1 });
    let terraform = terraform_1_15();
    let workspace = Workspace::new(&terraform, &endpoint);

    // express = true refuses, at plan, a template Express cannot take: nothing registered.
    workspace.write(
        "main.tf",
        &format!("{PLAIN_HEADER}{}", express_template("app", "a")),
    );
    let refused = workspace.run(&["plan", "-input=false", "-no-color"]);
    assert!(!refused.success(), "{}", refused.combined());
    assert!(
        refused.combined().contains("No container named Main"),
        "{}",
        refused.combined()
    );
    assert_eq!(proxy.count("RegisterTaskDefinition"), 0);

    // The template, an Express service on it, and CI's deploy of the image.
    workspace.write(
        "main.tf",
        &format!("{PLAIN_HEADER}{}", express_template("Main", "a")),
    );
    workspace.apply(&[]);
    create_service(
        &endpoint,
        &json!({"cluster": "prod", "serviceName": "web", "desiredCount": 1,
                "taskDefinition": "web-template:1", "launchType": "FARGATE"}),
    );
    proxy.mark_express("web");
    let deployed = deploy(&endpoint, &["--image", "Main=repo/web:v1"]);
    assert_eq!(deployed.code, 0, "{}", deployed.combined());

    // A template change rolled out by the action: through UpdateExpressGatewayService alone,
    // with CI's image kept.
    workspace.write(
        "main.tf",
        &format!("{PLAIN_HEADER}{}", express_template("Main", "b")),
    );
    workspace.apply(&[]);
    proxy.clear();
    let invoked = workspace.apply(&["-invoke=action.ecstpl_rollout.web"]);
    assert!(
        invoked.combined().contains("deployment SUCCESSFUL"),
        "{}",
        invoked.combined()
    );
    let calls = proxy.calls();
    assert_eq!(count(&calls, "UpdateExpressGatewayService"), 1, "{calls:?}");
    assert_eq!(count(&calls, "UpdateService"), 0, "{calls:?}");
    let live = express_live(&endpoint);
    let main = container(&described(&endpoint, &live), "Main").clone();
    assert_eq!(main["image"], "repo/web:v1", "{main}");
    assert_eq!(
        main["environment"],
        json!([{"name": "LEVEL", "value": "b"}])
    );
}

#[test]
fn run_places_a_one_off_task_like_the_express_services_tasks() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let endpoint = proxy.endpoint();
    express_service(&proxy);
    proxy.clear();
    let ran = ecstpl(
        &endpoint,
        &[
            "run",
            "--cluster",
            "prod",
            "--service",
            "web",
            "--image",
            "Main=repo/web:v1",
            "--poll-interval",
            "50ms",
            "--timeout",
            "60s",
            "--",
            "migrate",
        ],
    );
    assert_eq!(ran.code, 0, "{}", ran.combined());
    let runs = proxy.run_requests();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["launchType"], "FARGATE", "{}", runs[0]);
    assert_eq!(
        runs[0]["overrides"]["containerOverrides"][0]["name"], "Main",
        "{}",
        runs[0]
    );
    let calls = proxy.calls();
    assert_eq!(count(&calls, "UpdateExpressGatewayService"), 0, "{calls:?}");
    assert_eq!(count(&calls, "UpdateService"), 0, "{calls:?}");
}

#[test]
fn an_alarm_rollback_fails_the_deploy_and_keeps_the_last_good_revision() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let endpoint = proxy.endpoint();
    express_service(&proxy);
    let good = deploy(&endpoint, &["--image", "Main=repo/web:v1"]);
    assert_eq!(good.code, 0, "{}", good.combined());
    let v1 = express_live(&endpoint);

    // Express rolls back by its 4xx/5xx alarm (developer guide, express-service-update-full).
    proxy.deployment_scenario(Scenario::FailByAlarm {
        stage: "PRODUCTION_TRAFFIC_SHIFT",
        alarm: "web-5xx",
    });
    let bad = deploy(&endpoint, &["--image", "Main=repo/web:broken"]);
    assert_eq!(bad.code, 4, "{}", bad.combined());
    assert!(
        bad.stderr.contains("ROLLBACK_SUCCESSFUL") && bad.stderr.contains("web-5xx"),
        "{}",
        bad.combined()
    );
    assert_eq!(express_live(&endpoint), v1);
}
