//! What plans of `ecstpl_template` show, with real Terraform against moto: a one-variable
//! change is an in-place update showing that variable and the computed arn/revision only;
//! default_tags merge into tags_all with no diff; superseded revisions are deregistered only
//! when they are ecstpl's own; import of every id form plans clean.

use crate::support;
use crate::support::templates::{PLAIN_HEADER, provider_header};
use crate::support::{Moto, Terraform, Workspace, ecs_client, terraform_binaries};
use aws_sdk_ecs::types::{ContainerDefinition, Tag, TaskDefinitionField};
use serde_json::Value as Json;

fn newest_terraform() -> Terraform {
    terraform_binaries().remove(0)
}

fn template(log_level: &str, extra: &str) -> String {
    let header = provider_header(
        "  default_tags {\n    tags = { owner = \"platform\", env = \"default\" }\n  }\n",
    );
    format!(
        r#"{header}
resource "ecstpl_template" "web" {{
  family        = "web-template"
  deploy_family = "web"
  cpu           = "256"
  memory        = "512"
  network_mode  = "awsvpc"
  tags          = {{ env = "prod", service = "web" }}
  {extra}

  container_definitions = jsonencode([{{
    name         = "app"
    image        = "placeholder"
    essential    = true
    portMappings = [{{ containerPort = 8080 }}]
    environment = [
      {{ name = "LOG_LEVEL", value = "{log_level}" }},
      {{ name = "PORT", value = "8080" }},
    ]
  }}])

  volume {{
    name      = "scratch"
    host_path = "/tmp/scratch"
  }}
}}
"#
    )
}

async fn status(ecs: &aws_sdk_ecs::Client, id: &str) -> String {
    ecs.describe_task_definition()
        .task_definition(id)
        .send()
        .await
        .unwrap()
        .task_definition()
        .and_then(|t| t.status())
        .map(|s| s.as_str().to_string())
        .unwrap_or_default()
}

#[test]
fn one_variable_change_shows_that_variable_and_the_new_revision_only() {
    let moto = Moto::start();
    let workspace = Workspace::new(&newest_terraform(), &moto.endpoint());
    workspace.write("main.tf", &template("info", ""));
    workspace.apply(&[]);
    workspace.write("main.tf", &template("debug", ""));

    let plan = workspace.plan_json(&[]);
    let changes = plan["resource_changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1);
    let change = &changes[0]["change"];
    assert_eq!(change["actions"], serde_json::json!(["update"]));
    let before = change["before"].as_object().unwrap();
    let after = change["after"].as_object().unwrap();
    let unknown = change["after_unknown"].as_object().unwrap();
    let mut changed: Vec<&str> = before
        .keys()
        .filter(|k| unknown.get(*k) == Some(&Json::Bool(true)) || before.get(*k) != after.get(*k))
        .map(String::as_str)
        .collect();
    changed.sort();
    assert_eq!(changed, vec!["arn", "container_definitions", "revision"]);
    let old: Json =
        serde_json::from_str(before["container_definitions"].as_str().unwrap()).unwrap();
    let new: Json = serde_json::from_str(after["container_definitions"].as_str().unwrap()).unwrap();
    let old_env = &old[0]["environment"];
    let new_env = &new[0]["environment"];
    assert_eq!(old_env[1], new_env[1], "PORT is unchanged");
    assert_eq!(old_env[0]["value"], "info");
    assert_eq!(new_env[0]["value"], "debug");
    let mut old_rest = old.clone();
    let mut new_rest = new.clone();
    old_rest[0]["environment"] = Json::Null;
    new_rest[0]["environment"] = Json::Null;
    assert_eq!(old_rest, new_rest, "nothing but the variable differs");

    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 2);
    let text = &output.stdout;
    assert!(text.contains("update in-place"), "{text}");
    assert!(text.contains("~ value = \"info\" -> \"debug\""), "{text}");
    assert!(text.contains("~ revision"), "{text}");
    assert!(text.contains("~ arn "), "{text}");
    assert!(!text.contains("~ memory"), "{text}");
    assert!(!text.contains("~ tags"), "{text}");
    assert!(!text.contains("~ volume"), "{text}");
    assert!(!text.contains("forces replacement"), "{text}");
}

#[test]
fn default_tags_merge_into_tags_all_and_plan_clean() {
    let moto = Moto::start();
    let workspace = Workspace::new(&newest_terraform(), &moto.endpoint());
    workspace.write("main.tf", &template("info", ""));
    let plan = workspace.plan_json(&[]);
    let after = &plan["resource_changes"][0]["change"]["after"];
    assert_eq!(
        after["tags_all"],
        serde_json::json!({"env": "prod", "owner": "platform", "service": "web"}),
        "resource tags win over default_tags"
    );
    workspace.apply(&[]);
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 0, "{}", output.combined());
}

#[tokio::test(flavor = "multi_thread")]
async fn tag_only_change_retags_the_same_revision() {
    let moto = Moto::start();
    let ecs = ecs_client(&moto.endpoint()).await;
    let workspace = Workspace::new(&newest_terraform(), &moto.endpoint());
    workspace.write("main.tf", &template("info", ""));
    workspace.apply(&[]);
    workspace.write(
        "main.tf",
        &template("info", "").replace("service = \"web\"", "service = \"web2\""),
    );
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 2);
    assert!(
        !output.stdout.contains("known after apply"),
        "arn stays known: {}",
        output.stdout
    );
    workspace.apply(&[]);
    let described = ecs
        .describe_task_definition()
        .task_definition("web-template")
        .include(TaskDefinitionField::Tags)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.task_definition().unwrap().revision(),
        1,
        "no new revision"
    );
    assert!(
        described
            .tags()
            .iter()
            .any(|t| t.key() == Some("service") && t.value() == Some("web2"))
    );
    let (code, _) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn superseded_revisions_default_deregister_keep_and_foreign_ones_stay() {
    let moto = Moto::start();
    let ecs = ecs_client(&moto.endpoint()).await;
    let workspace = Workspace::new(&newest_terraform(), &moto.endpoint());
    workspace.write("main.tf", &template("a", ""));
    workspace.apply(&[]);
    // Somebody else registers into the template family (no ecstpl tags): revision 2.
    ecs.register_task_definition()
        .family("web-template")
        .memory("256")
        .container_definitions(ContainerDefinition::builder().name("x").image("y").build())
        .tags(Tag::builder().key("owner").value("someone-else").build())
        .send()
        .await
        .unwrap();

    // Default: the superseded template revision 1 is deregistered; revision 2 is not ours.
    workspace.write("main.tf", &template("b", ""));
    workspace.apply(&[]);
    assert_eq!(status(&ecs, "web-template:1").await, "INACTIVE");
    assert_eq!(
        status(&ecs, "web-template:2").await,
        "ACTIVE",
        "a foreign revision is never deregistered"
    );
    assert_eq!(status(&ecs, "web-template:3").await, "ACTIVE");

    // Keeping: deregister_superseded = false leaves revision 3 ACTIVE.
    workspace.write("main.tf", &template("c", "deregister_superseded = false"));
    workspace.apply(&[]);
    assert_eq!(status(&ecs, "web-template:3").await, "ACTIVE");
    assert_eq!(status(&ecs, "web-template:4").await, "ACTIVE");

    // Keep the newest one superseded revision: 4 stays, 3 goes.
    workspace.write("main.tf", &template("d", "keep_superseded_revisions = 1"));
    workspace.apply(&[]);
    assert_eq!(status(&ecs, "web-template:3").await, "INACTIVE");
    assert_eq!(status(&ecs, "web-template:4").await, "ACTIVE");
    assert_eq!(status(&ecs, "web-template:5").await, "ACTIVE");
    assert_eq!(status(&ecs, "web-template:2").await, "ACTIVE");
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 0, "{}", output.combined());
}

/// The imported template, after the header.
const IMPORTED: &str = r#"
resource "ecstpl_template" "imported" {
  family       = "legacy-template"
  memory       = "512"
  network_mode = "bridge"
  container_definitions = jsonencode([{
    name         = "app"
    image        = "nginx:placeholder"
    portMappings = [{ containerPort = 80, hostPort = 8080 }]
  }])
  tags = { team = "legacy" }
}
"#;

async fn register_legacy(ecs: &aws_sdk_ecs::Client) -> String {
    let registered = ecs
        .register_task_definition()
        .family("legacy-template")
        .memory("512")
        .network_mode(aws_sdk_ecs::types::NetworkMode::Bridge)
        .container_definitions(
            ContainerDefinition::builder()
                .name("app")
                .image("nginx:placeholder")
                .essential(true)
                .cpu(0)
                .port_mappings(
                    aws_sdk_ecs::types::PortMapping::builder()
                        .container_port(80)
                        .host_port(8080)
                        .protocol(aws_sdk_ecs::types::TransportProtocol::Tcp)
                        .build(),
                )
                .build(),
        )
        .tags(Tag::builder().key("team").value("legacy").build())
        .tags(Tag::builder().key("ecstpl:role").value("template").build())
        .send()
        .await
        .unwrap();
    registered
        .task_definition()
        .unwrap()
        .task_definition_arn()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn import_by_arn_family_revision_and_family_then_plan_clean() {
    let moto = Moto::start();
    let ecs = ecs_client(&moto.endpoint()).await;
    let arn = register_legacy(&ecs).await;
    for terraform in terraform_binaries() {
        for id in [arn.as_str(), "legacy-template:1", "legacy-template"] {
            let workspace = Workspace::new(&terraform, &moto.endpoint());
            workspace.write("main.tf", &format!("{PLAIN_HEADER}{IMPORTED}"));
            let output = workspace.run(&[
                "import",
                "-input=false",
                "-no-color",
                "ecstpl_template.imported",
                id,
            ]);
            assert!(
                output.success(),
                "Terraform {} import {id}:\n{}",
                terraform.version,
                output.combined()
            );
            let (code, output) = workspace.plan_detailed_exitcode(&[]);
            assert_eq!(
                code,
                0,
                "Terraform {} after import {id}:\n{}",
                terraform.version,
                output.combined()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn import_block_plans_clean_on_terraform_with_config_driven_import() {
    let moto = Moto::start();
    let ecs = ecs_client(&moto.endpoint()).await;
    register_legacy(&ecs).await;
    for terraform in terraform_binaries() {
        // `import {}` blocks exist since Terraform 1.5.
        let minor = terraform.minor();
        if minor < 5 {
            continue;
        }
        let workspace = Workspace::new(&terraform, &moto.endpoint());
        workspace.write(
            "main.tf",
            &format!("{PLAIN_HEADER}{IMPORTED}\nimport {{\n  to = ecstpl_template.imported\n  id = \"legacy-template\"\n}}\n"),
        );
        let (code, output) = workspace.plan_detailed_exitcode(&[]);
        assert_eq!(code, 2, "{}", output.combined());
        assert!(
            output
                .stdout
                .contains("1 to import, 0 to add, 0 to change, 0 to destroy"),
            "{}",
            output.stdout
        );
        workspace.apply(&[]);
        let (code, output) = workspace.plan_detailed_exitcode(&[]);
        assert_eq!(
            code,
            0,
            "Terraform {}:\n{}",
            terraform.version,
            output.combined()
        );
    }
}

/// An update whose superseded-revision clean-up meets `fault` (two failed attempts with
/// `max_retries = 1`, then the fault is over): the apply warns `warning`, the new revision is in
/// state and `:1` stays ACTIVE; the next plan shows the pending clean-up, the next apply does
/// it without registering anything, and the plan after it is clean.
async fn superseded_cleanup_is_kept_and_retried(fault: support::proxy::Fault, warning: &str) {
    use crate::support::proxy::RecordingProxy;
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let ecs = ecs_client(&moto.endpoint()).await;
    let workspace = Workspace::new(&newest_terraform(), &proxy.endpoint());
    let retries_once = |level: &str| {
        template(level, "").replace(
            "region = \"us-east-1\"",
            "region = \"us-east-1\"\n  max_retries = 1",
        )
    };
    workspace.write("main.tf", &retries_once("a"));
    workspace.apply(&[]);
    proxy.inject(fault);
    workspace.write("main.tf", &retries_once("b"));
    let output = workspace.apply(&[]);
    assert!(output.combined().contains(warning), "{}", output.combined());
    assert_eq!(
        proxy.injected(),
        2,
        "two failed attempts, then the fault was over"
    );
    assert_eq!(status(&ecs, "web-template:2").await, "ACTIVE");
    assert_eq!(
        status(&ecs, "web-template:1").await,
        "ACTIVE",
        "left for the next apply to clean up"
    );
    let state = workspace.run(&["state", "show", "-no-color", "ecstpl_template.web"]);
    assert!(state.stdout.contains("web-template:2"), "{}", state.stdout);
    // The failed clean-up is kept and planned: the next apply retries it, registering nothing.
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 2, "{}", output.combined());
    assert!(
        output.stdout.contains("pending_deregistration")
            && output
                .stdout
                .contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        output.stdout
    );
    proxy.clear();
    workspace.apply(&[]);
    assert!(
        !proxy
            .calls()
            .iter()
            .any(|op| op == "RegisterTaskDefinition"),
        "{:?}",
        proxy.calls()
    );
    assert_eq!(status(&ecs, "web-template:1").await, "INACTIVE");
    assert_eq!(status(&ecs, "web-template:2").await, "ACTIVE");
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 0, "{}", output.combined());
}

/// Deregistering the superseded revision fails; the new revision exists all the same.
#[tokio::test(flavor = "multi_thread")]
async fn a_failure_after_registering_keeps_the_new_revision_in_state() {
    superseded_cleanup_is_kept_and_retried(
        support::proxy::Fault::ServerError {
            operation: Some("DeregisterTaskDefinition".into()),
            times: 2,
        },
        "Could not deregister a superseded template revision",
    )
    .await;
}

/// When the family cannot even be listed after an update, the clean-up is not forgotten.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_listing_of_superseded_revisions_is_retried_by_the_next_apply() {
    superseded_cleanup_is_kept_and_retried(
        support::proxy::Fault::ServiceUnavailable {
            operation: Some("ListTaskDefinitions".into()),
            times: 2,
        },
        "Could not list superseded template revisions",
    )
    .await;
}

fn document_config(log_level: &str) -> String {
    let header = provider_header("  default_tags {\n    tags = { owner = \"platform\" }\n  }\n");
    format!(
        r#"{header}
resource "ecstpl_template" "api" {{
  family          = "api-template"
  deploy_family   = "api"
  tags            = {{ env = "prod" }}
  task_definition = jsonencode({{
    family                  = "placeholder-family-is-ignored"
    networkMode             = "awsvpc"
    requiresCompatibilities = ["FARGATE"]
    cpu                     = ".25 vCPU"
    memory                  = "512"
    pidMode                 = "task"
    containerDefinitions = [{{
      name         = "api"
      image        = "placeholder"
      portMappings = [{{ containerPort = 3000 }}]
      environment  = [{{ name = "LOG_LEVEL", value = "{log_level}" }}]
    }}]
    tags = [{{ key = "service", value = "api" }}]
  }})
}}
"#
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn task_definition_document_registers_plans_clean_and_updates_in_place() {
    let moto = Moto::start();
    let proxy = support::proxy::RecordingProxy::start(&moto.endpoint());
    proxy.model_ecs_storage();
    let ecs = ecs_client(&moto.endpoint()).await;
    let workspace = Workspace::new(&newest_terraform(), &proxy.endpoint());
    workspace.write("main.tf", &document_config("info"));
    workspace.apply(&[]);
    let described = ecs
        .describe_task_definition()
        .task_definition("api-template:1")
        .include(TaskDefinitionField::Tags)
        .send()
        .await
        .unwrap();
    let definition = described.task_definition().unwrap();
    assert_eq!(definition.family(), Some("api-template"));
    assert_eq!(definition.cpu(), Some("256"));
    assert_eq!(definition.pid_mode().map(|m| m.as_str()), Some("task"));
    let tag = |key: &str| {
        described
            .tags()
            .iter()
            .find(|t| t.key() == Some(key))
            .and_then(|t| t.value().map(str::to_string))
    };
    assert_eq!(
        tag("service").as_deref(),
        Some("api"),
        "the document's tags are registered"
    );
    assert_eq!(tag("env").as_deref(), Some("prod"));
    assert_eq!(tag("owner").as_deref(), Some("platform"));
    assert_eq!(tag("ecstpl:role").as_deref(), Some("template"));
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 0, "{}", output.combined());

    workspace.write("main.tf", &document_config("debug"));
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 2);
    assert!(
        output.stdout.contains("update in-place"),
        "{}",
        output.stdout
    );
    assert!(
        output
            .stdout
            .contains("0 to add, 1 to change, 0 to destroy"),
        "{}",
        output.stdout
    );
    workspace.apply(&[]);
    assert_eq!(status(&ecs, "api-template:2").await, "ACTIVE");
    assert_eq!(status(&ecs, "api-template:1").await, "INACTIVE");
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 0, "{}", output.combined());
}

#[test]
fn throttled_registrations_are_retried_with_backoff() {
    use crate::support::proxy::{Fault, RecordingProxy};
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.inject(Fault::Throttle {
        operation: Some("RegisterTaskDefinition".into()),
        times: 3,
    });
    let workspace = Workspace::new(&newest_terraform(), &proxy.endpoint());
    workspace.write("main.tf", &template("info", ""));
    let started = std::time::Instant::now();
    workspace.apply(&[]);
    assert_eq!(
        proxy.injected(),
        3,
        "three throttled attempts, then success"
    );
    let registrations = proxy.count("RegisterTaskDefinition");
    assert_eq!(
        registrations,
        4,
        "three throttled attempts and one that succeeded: {:?}",
        proxy.calls()
    );
    eprintln!(
        "apply with 3 throttled registrations took {:?}",
        started.elapsed()
    );
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 0, "{}", output.combined());
}

/// `terraform import ADDRESS ID`, which must succeed.
fn import(workspace: &Workspace, address: &str, id: &str) {
    let output = workspace.run(&["import", "-input=false", "-no-color", address, id]);
    assert!(output.success(), "import {id}: {}", output.combined());
}

/// A task definition with a FireLens log router, as a team registers it (the way the AWS
/// FireLens examples write one), through the proxy so that describes return what ECS stores.
fn register_firelens(endpoint: &str) {
    support::register_raw(
        endpoint,
        &serde_json::json!({
            "family": "logs-template",
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "256",
            "memory": "512",
            "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
            "containerDefinitions": [
                {
                    "name": "log_router",
                    "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable",
                    "essential": true,
                    "memoryReservation": 50,
                    "firelensConfiguration": {
                        "type": "fluentbit",
                        "options": {"enable-ecs-log-metadata": "true"}
                    }
                },
                {
                    "name": "app",
                    "image": "nginx:placeholder",
                    "essential": true,
                    "portMappings": [{"containerPort": 80}],
                    "dependsOn": [{"containerName": "log_router", "condition": "START"}],
                    "logConfiguration": {
                        "logDriver": "awsfirelens",
                        "options": {
                            "Name": "cloudwatch_logs",
                            "region": "us-east-1",
                            "log_group_name": "/ecs/app",
                            "auto_create_group": "true",
                            "log_stream_prefix": "app-"
                        }
                    }
                }
            ],
            "tags": [{"key": "ecstpl:role", "value": "template"}]
        }),
    );
}

const FIRELENS_CONFIG: &str = r#"
resource "ecstpl_template" "logs" {
  family                   = "logs-template"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  cpu                      = "256"
  memory                   = "512"
  execution_role_arn       = "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
  container_definitions = jsonencode([
    {
      name              = "log_router"
      image             = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable"
      essential         = true
      memoryReservation = 50
      firelensConfiguration = {
        type    = "fluentbit"
        options = { "enable-ecs-log-metadata" = "true" }
      }
    },
    {
      name         = "app"
      image        = "nginx:placeholder"
      essential    = true
      portMappings = [{ containerPort = 80 }]
      dependsOn    = [{ containerName = "log_router", condition = "START" }]
      logConfiguration = {
        logDriver = "awsfirelens"
        options = {
          Name              = "cloudwatch_logs"
          region            = "us-east-1"
          log_group_name    = "/ecs/app"
          auto_create_group = "true"
          log_stream_prefix = "app-"
        }
      }
    },
  ])
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn import_of_a_firelens_task_definition_as_ecs_stores_it_plans_clean() {
    let moto = Moto::start();
    let proxy = support::proxy::RecordingProxy::start(&moto.endpoint());
    proxy.model_ecs_storage();
    register_firelens(&proxy.endpoint());
    let workspace = Workspace::new(&newest_terraform(), &proxy.endpoint());
    workspace.write(
        "main.tf",
        &format!("{}{FIRELENS_CONFIG}", support::templates::PROVIDER_HEADER),
    );
    import(&workspace, "ecstpl_template.logs", "logs-template:1");
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 0, "{}", output.combined());
}

const DOCUMENT_IMPORT_CONFIG: &str = r#"
resource "ecstpl_template" "api" {
  family        = "api-template"
  deploy_family = "api"
  task_definition = jsonencode({
    networkMode             = "awsvpc"
    requiresCompatibilities = ["FARGATE"]
    cpu                     = ".25 vCPU"
    memory                  = "512"
    containerDefinitions = [{
      name         = "api"
      image        = "placeholder"
      portMappings = [{ containerPort = 3000 }]
      environment  = [{ name = "LOG_LEVEL", value = "info" }]
    }]
  })
}
"#;

/// An import always writes the argument form (it sees no configuration), and Terraform makes
/// a plan follow the configuration's form: the first plan into the document form shows the
/// form changing, says plainly that nothing will be registered, and its apply registers
/// nothing.
#[tokio::test(flavor = "multi_thread")]
async fn import_into_the_document_form_says_nothing_will_be_registered_and_registers_nothing() {
    let moto = Moto::start();
    let proxy = support::proxy::RecordingProxy::start(&moto.endpoint());
    proxy.model_ecs_storage();
    support::register_raw(
        &proxy.endpoint(),
        &serde_json::json!({
            "family": "api-template",
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "256",
            "memory": "512",
            "containerDefinitions": [{
                "name": "api",
                "image": "placeholder",
                "portMappings": [{"containerPort": 3000}],
                "environment": [{"name": "LOG_LEVEL", "value": "info"}]
            }],
            "tags": [
                {"key": "ecstpl:role", "value": "template"},
                {"key": "ecstpl:deploy-family", "value": "api"}
            ]
        }),
    );
    let workspace = Workspace::new(&newest_terraform(), &proxy.endpoint());
    workspace.write(
        "main.tf",
        &format!(
            "{}{DOCUMENT_IMPORT_CONFIG}",
            support::templates::PROVIDER_HEADER
        ),
    );
    import(&workspace, "ecstpl_template.api", "api-template");
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 2, "{}", output.combined());
    let text = output.combined();
    assert!(
        text.contains("Only the form changes: nothing will be registered"),
        "{text}"
    );
    assert!(
        text.contains("0 to add, 1 to change, 0 to destroy"),
        "{text}"
    );
    assert!(!text.contains("known after apply"), "{text}");
    proxy.clear();
    workspace.apply(&[]);
    assert!(
        !proxy.calls().iter().any(|c| c == "RegisterTaskDefinition"),
        "{:?}",
        proxy.calls()
    );
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 0, "{}", output.combined());
}
