//! `ecstpl_deployed_revision` through a stack's life, with real Terraform against moto:
//! bootstrap on the fallback, a service on the template, an out-of-band deploy, a template
//! change, a hand edit. In every phase the data source's `arn` is what ECS says the service
//! runs, the whole configuration plans clean, and the data source made no write call.

use std::collections::BTreeMap;

use crate::support;
use crate::support::proxy::{RecordingProxy, Rollout};
use crate::support::templates::{PLAIN_HEADER, web_stack};
use crate::support::{Moto, Workspace, create_service, ecs_client, terraform_binaries};
use aws_sdk_ecs::types::{ContainerDefinition, KeyValuePair, Tag};
use serde_json::{Value as Json, json};

fn config(log_level: &str) -> String {
    web_stack(log_level, "")
}

/// The data source, to configure it alone.
const DATA_SOURCE: &str = r#"
data "ecstpl_deployed_revision" "web" {
  cluster  = "prod"
  service  = "web"
  template = "web-template"
}
"#;

/// Only the data source, for counting its calls alone.
fn data_only() -> String {
    format!("{PLAIN_HEADER}{DATA_SOURCE}")
}

/// The data source's attributes as the plan's refreshed state holds them.
fn data_source(workspace: &Workspace) -> serde_json::Map<String, Json> {
    let plan = workspace.plan_json(&[]);
    let resources = plan["prior_state"]["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    resources
        .iter()
        .find(|r| r["address"] == "data.ecstpl_deployed_revision.web")
        .and_then(|r| r["values"].as_object().cloned())
        .unwrap_or_else(|| panic!("no data source in the plan's state: {plan:#}"))
}

async fn service_task_definition(ecs: &aws_sdk_ecs::Client) -> String {
    let described = ecs
        .describe_services()
        .cluster("prod")
        .services("web")
        .send()
        .await
        .unwrap();
    described.services()[0]
        .task_definition()
        .unwrap()
        .to_string()
}

/// What `ecstpl deploy` does, by hand: register into the deploy family with the contract
/// tags, point the service at it.
async fn deploy_by_hand(
    ecs: &aws_sdk_ecs::Client,
    template: &str,
    image: &str,
    memory: &str,
    log_level: &str,
) -> String {
    let registered = ecs
        .register_task_definition()
        .family("web")
        .memory(memory)
        .container_definitions(
            ContainerDefinition::builder()
                .name("app")
                .image(image)
                .environment(
                    KeyValuePair::builder()
                        .name("LOG_LEVEL")
                        .value(log_level)
                        .build(),
                )
                .build(),
        )
        .tags(Tag::builder().key("ecstpl:role").value("deployed").build())
        .tags(
            Tag::builder()
                .key("ecstpl:template")
                .value(template)
                .build(),
        )
        .tags(Tag::builder().key("ecstpl:ci-images").value("app").build())
        .send()
        .await
        .unwrap();
    let arn = registered
        .task_definition()
        .unwrap()
        .task_definition_arn()
        .unwrap()
        .to_string();
    ecs.update_service()
        .cluster("prod")
        .service("web")
        .task_definition(&arn)
        .send()
        .await
        .unwrap();
    arn
}

fn assert_clean(workspace: &Workspace, phase: &str) {
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(
        code,
        0,
        "{phase}: the plan must be clean:\n{}",
        output.combined()
    );
}

async fn lifecycle(terraform: &support::Terraform) {
    let moto = Moto::start();
    // moto never moves deployments; the proxy plays ECS's rollouts (completing at once).
    let ecs_api = RecordingProxy::start(&moto.endpoint());
    ecs_api.simulate_rollouts(Rollout::CompleteAfter(0));
    let ecs = ecs_client(&ecs_api.endpoint()).await;
    let workspace = Workspace::new(terraform, &ecs_api.endpoint());
    workspace.write("main.tf", &config("info"));

    // 1. A new stack: no service yet, the fallback (the template revision) is returned.
    workspace.apply(&[]);
    let template_1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web-template:1";
    let read = data_source(&workspace);
    assert_eq!(read["arn"], template_1);
    assert_eq!(read["found"], false);
    assert_clean(&workspace, "bootstrap");

    // 2. The service is created on the template revision.
    create_service(
        &ecs_api.endpoint(),
        &json!({"cluster": "prod", "serviceName": "web", "desiredCount": 1, "taskDefinition": template_1}),
    );
    let read = data_source(&workspace);
    assert_eq!(read["arn"], service_task_definition(&ecs).await.as_str());
    assert_eq!(read["found"], true);
    assert_eq!(read["template_arn"], template_1);
    assert_eq!(read["in_sync"], true);
    assert_clean(&workspace, "service on the template");

    // 3. CI deploys out of band.
    let deployed = deploy_by_hand(&ecs, "web-template:1", "repo:v1", "512", "info").await;
    let read = data_source(&workspace);
    assert_eq!(read["arn"], deployed.as_str());
    assert_eq!(read["arn"], service_task_definition(&ecs).await.as_str());
    assert_eq!(read["family"], "web");
    assert_eq!(read["images"]["app"], "repo:v1");
    assert_eq!(read["template_arn"], template_1);
    assert_eq!(read["in_sync"], true);
    assert_eq!(
        read["drift"],
        Json::Array(vec![]),
        "a deploy by the contract is not drift"
    );
    assert_clean(&workspace, "after an out-of-band deploy");

    // 4. The template changes: the live revision is now behind.
    workspace.write("main.tf", &config("debug"));
    workspace.apply(&[]);
    let read = data_source(&workspace);
    assert_eq!(read["arn"], service_task_definition(&ecs).await.as_str());
    assert_eq!(read["in_sync"], false);
    assert_clean(&workspace, "after the template change");

    // 5. Somebody edits the live revision by hand (memory), still claiming template 1.
    let edited = deploy_by_hand(&ecs, "web-template:1", "repo:v1", "1024", "info").await;
    let read = data_source(&workspace);
    assert_eq!(read["arn"], edited.as_str());
    assert_eq!(read["arn"], service_task_definition(&ecs).await.as_str());
    assert_eq!(read["drift"], Json::Array(vec![Json::from("memory")]));
    assert_clean(&workspace, "after a hand edit");

    // The data source alone, behind a recording proxy: reads only.
    let proxy = RecordingProxy::start(&ecs_api.endpoint());
    let reader = Workspace::new(terraform, &proxy.endpoint());
    reader.write("main.tf", &data_only());
    reader.apply(&[]);
    let (code, output) = reader.plan_detailed_exitcode(&[]);
    assert_eq!(code, 0, "{}", output.combined());
    let calls = proxy.calls();
    assert!(calls.iter().any(|c| c == "DescribeServices"), "{calls:?}");
    assert_eq!(
        proxy.write_calls(),
        Vec::<String>::new(),
        "all calls: {calls:?}"
    );
    let counts: BTreeMap<&str, usize> = calls.iter().fold(BTreeMap::new(), |mut m, c| {
        *m.entry(c.as_str()).or_default() += 1;
        m
    });
    eprintln!("data source calls over apply + plan: {counts:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn data_source_follows_the_live_revision_through_a_stacks_life() {
    for terraform in terraform_binaries() {
        eprintln!("== Terraform {} ({})", terraform.version, terraform.label);
        lifecycle(&terraform).await;
    }
}

#[test]
fn missing_service_without_fallback_explains_how_to_bootstrap() {
    let moto = Moto::start();
    let terraform = terraform_binaries().remove(0);
    let workspace = Workspace::new(&terraform, &moto.endpoint());
    workspace.write("main.tf", &data_only());
    let output = workspace.run(&["plan", "-input=false", "-no-color"]);
    assert!(!output.success());
    let text = output.combined();
    assert!(text.contains("Nothing deployed yet"), "{text}");
    assert!(text.contains("fallback_arn"), "{text}");
    assert!(
        text.contains("\\\"web\\\"") || text.contains("\"web\""),
        "{text}"
    );
}

#[test]
fn both_lookup_forms_at_once_are_rejected_at_validate() {
    let moto = Moto::start();
    let terraform = terraform_binaries().remove(0);
    let workspace = Workspace::new(&terraform, &moto.endpoint());
    workspace.write(
        "main.tf",
        &data_only().replace("template = \"web-template\"", "family = \"web\""),
    );
    let output = workspace.run(&["validate", "-no-color"]);
    assert!(!output.success());
    assert!(
        output.combined().contains("Conflicting lookups"),
        "{}",
        output.combined()
    );
}

/// Lookups that cannot name anything are refused at validate, on their attribute, before
/// any ECS call.
#[test]
fn a_fallback_that_is_no_arn_and_an_empty_family_are_rejected_on_their_attribute() {
    let moto = Moto::start();
    let proxy = support::proxy::RecordingProxy::start(&moto.endpoint());
    let terraform = terraform_binaries().remove(0);
    let cases = [
        (
            "  template = \"web-template\"\n  fallback_arn = \"garbage\"",
            "Invalid fallback_arn",
            "fallback_arn",
            "is not a task definition ARN",
        ),
        (
            "  template = \"web-template\"\n  fallback_arn = \"arn:aws:s3:::bucket\"",
            "Invalid fallback_arn",
            "fallback_arn",
            "is not a task definition ARN",
        ),
    ];
    let family_only = "data \"ecstpl_deployed_revision\" \"web\" {\n  family = \"\"\n}\n";
    let mut configs: Vec<(String, &str, &str, &str)> = cases
        .iter()
        .map(|(lines, summary, attribute, detail)| {
            (
                data_only().replace("  template = \"web-template\"", lines),
                *summary,
                *attribute,
                *detail,
            )
        })
        .collect();
    configs.push((
        format!("{PLAIN_HEADER}\n{family_only}"),
        "Invalid family",
        "family",
        "must be 1 to 255 characters",
    ));
    for (config, summary, attribute, detail) in configs {
        let workspace = Workspace::new(&terraform, &proxy.endpoint());
        workspace.write("main.tf", &config);
        let output = workspace.run(&["validate", "-json", "-no-color"]);
        let validated: serde_json::Value = serde_json::from_str(&output.stdout).unwrap_or_default();
        let expected_line = config
            .lines()
            .position(|l| l.trim_start().starts_with(&format!("{attribute} ")))
            .map(|p| p as u64 + 1);
        let found = validated["diagnostics"].as_array().and_then(|ds| {
            ds.iter().find(|d| {
                d["severity"] == "error"
                    && d["summary"] == summary
                    && d["detail"].as_str().is_some_and(|t| t.contains(detail))
            })
        });
        let Some(found) = found else {
            panic!("{summary} expected for:\n{config}\ngot {}", output.stdout);
        };
        assert_eq!(
            found["range"]["start"]["line"].as_u64(),
            expected_line,
            "the diagnostic points at {attribute}: {found}"
        );
    }
    assert_eq!(proxy.calls(), Vec::<String>::new(), "no ECS call at all");
}
