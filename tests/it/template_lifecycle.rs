//! `ecstpl_template` driven by real Terraform (every version the harness provides: 1.15.x and
//! 1.0.3 at least) against the moto ECS emulator: create, clean second plan, an in-place
//! update that registers revision 2, destroy; plus provider logs under TF_LOG.

use crate::support;
use crate::support::templates::{PLAIN_HEADER, provider_header};
use crate::support::{Moto, Terraform, Workspace, ecs_client, terraform_1_15, terraform_binaries};

/// The template and the variable it takes, after the header.
const CONFIG: &str = r#"
variable "log_level" {
  type    = string
  default = "info"
}

resource "ecstpl_template" "web" {
  family                   = "web-template"
  deploy_family            = "web"
  cpu                      = ".25 vCPU"
  memory                   = "512"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  tags                     = { team = "platform" }

  container_definitions = jsonencode([{
    name         = "app"
    image        = "public.ecr.aws/docker/library/nginx:placeholder"
    portMappings = [{ containerPort = 8080 }]
    environment = [
      { name = "LOG_LEVEL", value = var.log_level },
      { name = "REGION", value = "us-east-1" },
    ]
  }])
}

output "arn" {
  value = ecstpl_template.web.arn
}
"#;

async fn describe(
    client: &aws_sdk_ecs::Client,
    id: &str,
) -> aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionOutput {
    client
        .describe_task_definition()
        .task_definition(id)
        .include(aws_sdk_ecs::types::TaskDefinitionField::Tags)
        .send()
        .await
        .unwrap_or_else(|err| panic!("describe {id}: {err:?}"))
}

fn env_value(
    output: &aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionOutput,
    name: &str,
) -> Option<String> {
    output
        .task_definition()?
        .container_definitions()
        .first()?
        .environment()
        .iter()
        .find(|pair| pair.name() == Some(name))
        .and_then(|pair| pair.value().map(str::to_string))
}

fn tag(
    output: &aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionOutput,
    key: &str,
) -> Option<String> {
    output
        .tags()
        .iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value().map(str::to_string))
}

fn status(
    output: &aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionOutput,
) -> String {
    output
        .task_definition()
        .and_then(|td| td.status())
        .map(|s| s.as_str().to_string())
        .unwrap_or_default()
}

async fn lifecycle(terraform: &Terraform) {
    let moto = Moto::start();
    let ecs = ecs_client(&moto.endpoint()).await;
    let workspace = Workspace::new(terraform, &moto.endpoint());
    workspace.write("main.tf", &format!("{PLAIN_HEADER}{CONFIG}"));

    workspace.apply(&[]);
    let first = describe(&ecs, "web-template:1").await;
    assert_eq!(env_value(&first, "LOG_LEVEL").as_deref(), Some("info"));
    assert_eq!(tag(&first, "ecstpl:role").as_deref(), Some("template"));
    assert_eq!(tag(&first, "ecstpl:deploy-family").as_deref(), Some("web"));
    assert_eq!(tag(&first, "team").as_deref(), Some("platform"));
    let registered = first.task_definition().unwrap();
    assert_eq!(
        registered.cpu(),
        Some("256"),
        "task size is sent as ECS stores it"
    );
    assert_eq!(
        registered.network_mode().map(|m| m.as_str()),
        Some("awsvpc")
    );

    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 0, "second plan must be clean:\n{}", output.combined());

    let change = ["-var", "log_level=debug"];
    let (code, output) = workspace.plan_detailed_exitcode(&change);
    assert_eq!(
        code,
        2,
        "a changed variable is a change:\n{}",
        output.combined()
    );
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
    assert!(
        !output.stdout.contains("must be replaced"),
        "{}",
        output.stdout
    );

    workspace.apply(&change);
    let second = describe(&ecs, "web-template:2").await;
    assert_eq!(env_value(&second, "LOG_LEVEL").as_deref(), Some("debug"));
    assert_eq!(tag(&second, "ecstpl:role").as_deref(), Some("template"));
    assert_eq!(
        status(&describe(&ecs, "web-template:1").await),
        "INACTIVE",
        "the superseded template revision is deregistered"
    );
    let (code, output) = workspace.plan_detailed_exitcode(&change);
    assert_eq!(
        code,
        0,
        "plan after the update must be clean:\n{}",
        output.combined()
    );

    workspace.destroy(&change);
    assert_eq!(status(&describe(&ecs, "web-template:2").await), "INACTIVE");
}

#[tokio::test(flavor = "multi_thread")]
async fn template_create_clean_plan_update_in_place_and_destroy() {
    for terraform in terraform_binaries() {
        eprintln!("== Terraform {} ({})", terraform.version, terraform.label);
        lifecycle(&terraform).await;
    }
}

#[test]
fn provider_log_lines_show_under_tf_log_debug() {
    let moto = Moto::start();
    for terraform in terraform_binaries() {
        let workspace = Workspace::new(&terraform, &moto.endpoint());
        workspace.write("main.tf", &format!("{PLAIN_HEADER}{CONFIG}"));
        let output = workspace.run_with_env(&["validate", "-no-color"], &[("TF_LOG", "debug")]);
        assert!(output.success(), "{}", output.combined());
        let logs = output.combined();
        assert!(
            logs.contains("provider.terraform-provider-ecstpl") && logs.contains("plugin serving"),
            "Terraform {}: the provider's own debug line is missing from TF_LOG output",
            terraform.version
        );
    }
}

/// The revisions of `family` that are ACTIVE and tagged as ecstpl's template, as the ECS API
/// lists and describes them.
async fn active_templates(client: &aws_sdk_ecs::Client, family: &str) -> Vec<String> {
    let listed = client
        .list_task_definitions()
        .family_prefix(family)
        .status(aws_sdk_ecs::types::TaskDefinitionStatus::Active)
        .send()
        .await
        .expect("list task definitions");
    let mut templates = Vec::new();
    for arn in listed.task_definition_arns() {
        let described = describe(client, arn).await;
        let same_family = described.task_definition().and_then(|td| td.family()) == Some(family);
        if same_family
            && status(&described) == "ACTIVE"
            && tag(&described, "ecstpl:role").as_deref() == Some("template")
        {
            templates.push(arn.clone());
        }
    }
    templates
}

/// Destroy removes every template revision the resource owns: the current one, the superseded
/// ones `keep_superseded_revisions` kept, and one whose clean-up failed (pending_deregistration).
/// A revision somebody registered into the family by hand stays. Afterwards the family has no
/// template, so `ecstpl render` (and `deploy`) refuse instead of rendering a kept revision.
#[tokio::test(flavor = "multi_thread")]
async fn destroy_deregisters_kept_and_pending_template_revisions() {
    use crate::support::proxy::{Fault, RecordingProxy};
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let ecs = ecs_client(&moto.endpoint()).await;
    let terraform = terraform_1_15();
    let workspace = Workspace::new(&terraform, &proxy.endpoint());
    let config = format!("{}{CONFIG}", provider_header("  max_retries = 1\n")).replace(
        "tags                     = { team = \"platform\" }",
        "tags                     = { team = \"platform\" }\n  keep_superseded_revisions = 1",
    );
    workspace.write("main.tf", &config);
    workspace.apply(&[]);
    workspace.apply(&["-var", "log_level=debug"]);
    // The third apply keeps :2 and fails to deregister :1 (two failed attempts with
    // max_retries = 1): :1 is left in pending_deregistration.
    proxy.inject(Fault::ServerError {
        operation: Some("DeregisterTaskDefinition".into()),
        times: 2,
    });
    let third = workspace.apply(&["-var", "log_level=warn"]);
    assert!(
        third
            .combined()
            .contains("Could not deregister a superseded template revision"),
        "{}",
        third.combined()
    );
    assert_eq!(
        active_templates(&ecs, "web-template").await.len(),
        3,
        "current, kept and pending are ACTIVE before destroy"
    );
    // Somebody registers a revision into the family by hand: not ecstpl's to deregister.
    let foreign = support::register_raw(
        &moto.endpoint(),
        &serde_json::json!({"family": "web-template",
            "containerDefinitions": [{"name": "app", "image": "nginx", "memory": 128}]}),
    );
    let foreign = foreign["taskDefinition"]["taskDefinitionArn"]
        .as_str()
        .expect("foreign ARN")
        .to_string();
    // A service bootstrapped on the current template revision, as a new stack starts.
    support::create_service(
        &moto.endpoint(),
        &serde_json::json!({"cluster": "prod", "serviceName": "web", "desiredCount": 1,
            "taskDefinition": "web-template:3"}),
    );

    workspace.destroy(&["-var", "log_level=warn"]);

    assert_eq!(
        active_templates(&ecs, "web-template").await,
        Vec::<String>::new(),
        "no ACTIVE template revision is left in the family"
    );
    assert_eq!(status(&describe(&ecs, &foreign).await), "ACTIVE");
    let render = support::ecstpl(
        &moto.endpoint(),
        &["render", "--cluster", "prod", "--service", "web"],
    );
    assert_eq!(render.code, 2, "{}", render.combined());
    assert!(
        render.stderr.contains("has no ACTIVE revision tagged"),
        "{}",
        render.combined()
    );
    let deploy = support::ecstpl(
        &moto.endpoint(),
        &[
            "deploy",
            "--cluster",
            "prod",
            "--service",
            "web",
            "--image",
            "app=repo:v1",
            "--no-wait",
        ],
    );
    assert_eq!(deploy.code, 2, "{}", deploy.combined());
}
