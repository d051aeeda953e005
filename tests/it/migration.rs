//! Migrating to ecstpl with newer Terraform (1.15): `moved` from the AWS provider's
//! `aws_ecs_task_definition` (MoveResourceState) and import by resource identity. Where the
//! real hashicorp/aws is installed in a Terraform filesystem mirror (`/opt/tf-plugins`, or
//! `ECSTPL_TEST_AWS_MIRROR`), it registers the task definitions that are then moved, so the
//! state moved is the state it really writes; elsewhere that test says why it did not run. A
//! schema stub stands in for hashicorp/aws in the others (examples/aws-schema-stub.rs, the AWS
//! provider's schema version 1 attributes); the state it "wrote" is written in the form
//! Terraform stores (state format 4).

use crate::support;
use crate::support::proxy::RecordingProxy;
use crate::support::templates::PROVIDER_HEADER;
use crate::support::{Moto, Workspace, aws_stub_dir, example, register_raw, terraform_1_15};
use serde_json::{Value as Json, json};

const CONTAINERS_HCL: &str = r#"jsonencode([{ name = "app", image = "nginx:1.27", memory = 128, essential = true, portMappings = [{ containerPort = 80 }] }])"#;

/// A revision registered the way the AWS provider registers one (no ecstpl tags).
fn register_foreign(endpoint: &str, family: &str) -> String {
    let body = register_raw(
        endpoint,
        &json!({
            "family": family,
            "containerDefinitions": [{"name": "app", "image": "nginx:1.27", "memory": 128, "essential": true, "portMappings": [{"containerPort": 80}]}],
            "tags": [{"key": "team", "value": "web"}],
        }),
    );
    body["taskDefinition"]["taskDefinitionArn"]
        .as_str()
        .expect("registered ARN")
        .to_string()
}

/// `terraform.tfstate` holding one instance of `type_name` of hashicorp/aws.
fn aws_state(type_name: &str, schema_version: i64, attributes: Json) -> String {
    json!({
        "version": 4,
        "terraform_version": "1.15.0",
        "serial": 1,
        "lineage": "5f1c7c0e-6f7e-4d0a-9d43-6c4b8a3e2b11",
        "outputs": {},
        "resources": [{
            "mode": "managed",
            "type": type_name,
            "name": "web",
            "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
            "instances": [{"schema_version": schema_version, "attributes": attributes, "sensitive_attributes": []}]
        }],
        "check_results": null
    })
    .to_string()
}

/// The attributes hashicorp/aws 5.x stores for a revision (as `terraform show -json` of a
/// real state has them: empty strings for unset strings, normalized container JSON).
fn task_definition_attributes(arn: &str, family: &str) -> Json {
    json!({
        "arn": arn,
        "arn_without_revision": arn.rsplit_once(':').map(|(base, _)| base).unwrap_or(arn),
        "container_definitions": "[{\"essential\":true,\"image\":\"nginx:1.27\",\"memory\":128,\"mountPoints\":[],\"name\":\"app\",\"portMappings\":[{\"containerPort\":80,\"hostPort\":0,\"protocol\":\"tcp\"}],\"systemControls\":[],\"volumesFrom\":[]}]",
        "cpu": "",
        "enable_fault_injection": false,
        "ephemeral_storage": [],
        "execution_role_arn": "",
        "family": family,
        "id": family,
        "ipc_mode": "",
        "memory": "",
        "network_mode": "",
        "pid_mode": "",
        "placement_constraints": [],
        "requires_compatibilities": [],
        "revision": 1,
        "runtime_platform": [],
        "skip_destroy": false,
        "tags": {"team": "web"},
        "tags_all": {"team": "web"},
        "task_role_arn": "",
        "track_latest": false,
        "volume": []
    })
}

fn state_instance(workspace: &Workspace) -> Json {
    let text = std::fs::read_to_string(workspace.path().join("terraform.tfstate")).expect("state");
    let state: Json = serde_json::from_str(&text).expect("state JSON");
    state["resources"][0]["instances"][0].clone()
}

fn template_config(family: &str, image: &str, extra: &str) -> String {
    let containers = CONTAINERS_HCL.replace("nginx:1.27", image);
    format!(
        "{PROVIDER_HEADER}\nresource \"ecstpl_template\" \"web\" {{\n  family = \"{family}\"\n  container_definitions = {containers}\n  tags = {{ team = \"web\" }}\n}}\n{extra}\n"
    )
}

#[test]
fn moved_from_aws_ecs_task_definition_keeps_the_revision_and_plans_only_the_contract_tags() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let endpoint = proxy.endpoint();
    let terraform = terraform_1_15();
    let arn = register_foreign(&moto.endpoint(), "legacy-web");
    let workspace = Workspace::with_aws_stub(&terraform, &endpoint, &aws_stub_dir().keep());
    workspace.write(
        "terraform.tfstate",
        &aws_state(
            "aws_ecs_task_definition",
            1,
            task_definition_attributes(&arn, "legacy-web"),
        ),
    );
    workspace.write(
        "main.tf",
        &template_config(
            "legacy-web",
            "nginx:1.27",
            &example("resources/ecstpl_template/moved.tf"),
        ),
    );

    let plan = workspace.plan_json(&[]);
    let changes = plan["resource_changes"]
        .as_array()
        .expect("resource_changes");
    assert_eq!(changes.len(), 1, "{plan:#}");
    let change = &changes[0];
    assert_eq!(change["address"], "ecstpl_template.web");
    assert_eq!(change["previous_address"], "aws_ecs_task_definition.web");
    assert_eq!(change["change"]["actions"], json!(["update"]), "{change:#}");
    let before = change["change"]["before"].as_object().expect("before");
    let after = change["change"]["after"].as_object().expect("after");
    let mut changed: Vec<&str> = before
        .keys()
        .filter(|k| before.get(*k) != after.get(*k))
        .map(String::as_str)
        .collect();
    changed.sort();
    // tags_all is unknown in the plan (it gains the contract tags at apply).
    assert_eq!(
        changed,
        ["tags_all"],
        "only the contract tags change: {change:#}"
    );
    assert_eq!(before["arn"], json!(arn));

    let applied = workspace.apply(&[]);
    assert!(applied.success(), "{}", applied.combined());
    let calls = proxy.calls();
    assert!(
        !calls.iter().any(|c| c == "RegisterTaskDefinition"),
        "nothing registered: {calls:?}"
    );
    assert!(calls.iter().any(|c| c == "TagResource"), "{calls:?}");
    let instance = state_instance(&workspace);
    assert_eq!(
        instance["attributes"]["arn"],
        json!(arn),
        "the same revision"
    );
    let (_, described) = support::ecs_call(
        &moto.endpoint(),
        "DescribeTaskDefinition",
        &json!({"taskDefinition": arn, "include": ["TAGS"]}),
    );
    let tags = described["tags"].as_array().cloned().unwrap_or_default();
    assert!(
        tags.iter()
            .any(|t| t["key"] == "ecstpl:role" && t["value"] == "template"),
        "the contract tags on the same revision: {described}"
    );
    assert_eq!(instance["identity"]["family"], "legacy-web", "{instance:#}");
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 0, "clean after the move: {}", output.combined());
}

#[test]
fn a_move_from_anything_else_is_refused_with_the_reason() {
    let moto = Moto::start();
    let terraform = terraform_1_15();
    let arn = register_foreign(&moto.endpoint(), "refused-web");
    let cases = [
        (
            aws_state(
                "aws_ecs_service",
                1,
                json!({"id": "svc", "name": "svc", "cluster": "c", "desired_count": 1, "launch_type": "", "task_definition": arn, "network_configuration": [], "deployment_circuit_breaker": []}),
            ),
            "aws_ecs_service",
            "can be moved only from aws_ecs_task_definition",
        ),
        (
            aws_state(
                "aws_ecs_task_definition",
                0,
                task_definition_attributes(&arn, "refused-web"),
            ),
            "aws_ecs_task_definition",
            "schema version 0",
        ),
    ];
    for (state, from, reason) in cases {
        let workspace =
            Workspace::with_aws_stub(&terraform, &moto.endpoint(), &aws_stub_dir().keep());
        workspace.write("terraform.tfstate", &state);
        workspace.write(
            "main.tf",
            &template_config(
                "refused-web",
                "nginx:1.27",
                &format!("moved {{\n  from = {from}.web\n  to   = ecstpl_template.web\n}}\n"),
            ),
        );
        let output = workspace.run(&["plan", "-input=false", "-no-color"]);
        let text = output.combined().replace('\n', " ");
        assert!(!output.success(), "{text}");
        assert!(text.contains(reason), "{reason:?} in: {text}");
    }
}

#[test]
fn an_import_block_with_identity_imports_and_the_identity_is_stable() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let endpoint = proxy.endpoint();
    let terraform = terraform_1_15();
    let arn = register_foreign(&moto.endpoint(), "by-identity");
    let workspace = Workspace::new(&terraform, &endpoint);
    let import = example("resources/ecstpl_template/import-identity.tf")
        .replace("web-template", "by-identity");
    workspace.write(
        "main.tf",
        &template_config("by-identity", "nginx:1.27", &import),
    );
    let applied = workspace.apply(&[]);
    assert!(applied.success(), "{}", applied.combined());
    assert!(applied.stdout.contains("1 imported"), "{}", applied.stdout);
    let first = state_instance(&workspace);
    assert_eq!(first["attributes"]["arn"], json!(arn));
    let identity = first["identity"].clone();
    assert_eq!(
        identity,
        json!({"account_id": "123456789012", "region": "us-east-1", "family": "by-identity"}),
        "{first:#}"
    );
    assert!(
        !proxy.calls().iter().any(|c| c == "RegisterTaskDefinition"),
        "{:?}",
        proxy.calls()
    );

    let refreshed = workspace.run(&[
        "apply",
        "-refresh-only",
        "-auto-approve",
        "-input=false",
        "-no-color",
    ]);
    assert!(refreshed.success(), "{}", refreshed.combined());
    assert_eq!(
        state_instance(&workspace)["identity"],
        identity,
        "stable across refresh"
    );

    // A template change registers a new revision of the same family: the same identity.
    workspace.write("main.tf", &template_config("by-identity", "nginx:1.28", ""));
    let updated = workspace.apply(&[]);
    assert!(updated.success(), "{}", updated.combined());
    let after = state_instance(&workspace);
    assert_eq!(after["attributes"]["revision"], 2);
    assert_eq!(after["identity"], identity, "stable across an update");
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 0, "{}", output.combined());
}

#[test]
fn an_identity_in_another_region_is_refused_before_anything_is_written() {
    let moto = Moto::start();
    let terraform = terraform_1_15();
    register_foreign(&moto.endpoint(), "elsewhere");
    let workspace = Workspace::new(&terraform, &moto.endpoint());
    let import = "import {\n  to       = ecstpl_template.web\n  identity = { family = \"elsewhere\", region = \"eu-west-1\" }\n}\n";
    workspace.write(
        "main.tf",
        &template_config("elsewhere", "nginx:1.27", import),
    );
    let output = workspace.run(&["plan", "-input=false", "-no-color"]);
    let text = output.combined().replace('\n', " ");
    assert!(!output.success(), "{text}");
    assert!(text.contains("identity.region is \"eu-west-1\""), "{text}");
}

fn register_family(endpoint: &str, family: &str, tags: &[(&str, &str)]) {
    let tags: Vec<Json> = tags
        .iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect();
    register_raw(
        endpoint,
        &json!({
            "family": family,
            "containerDefinitions": [{"name": "app", "image": "placeholder", "memory": 128, "essential": true}],
            "tags": tags,
        }),
    );
}

const TEMPLATE_TAGS: &[(&str, &str)] = &[("ecstpl:role", "template"), ("team", "a")];

fn query_families(workspace: &Workspace, config: &str) -> Vec<String> {
    workspace.write(
        "search.tfquery.hcl",
        &format!("list \"ecstpl_template\" \"found\" {{\n  provider = ecstpl\n  limit    = 1000\n  config {{\n{config}\n  }}\n}}\n"),
    );
    let output = workspace.run(&["query", "-no-color"]);
    assert!(output.success(), "{}", output.combined());
    let mut found: Vec<String> = output
        .stdout
        .split_whitespace()
        .filter_map(|word| {
            let (family, revision) = word.rsplit_once(':')?;
            (family.starts_with("q-") && revision.chars().all(|c| c.is_ascii_digit()))
                .then(|| family.to_string())
        })
        .collect();
    found.sort();
    found.dedup();
    found
}

#[test]
fn terraform_query_lists_what_the_filters_say_and_generated_config_plans_no_change() {
    let moto = Moto::start();
    let endpoint = moto.endpoint();
    let terraform = terraform_1_15();
    for i in 0..8 {
        let tags: &[(&str, &str)] = if i % 2 == 0 {
            TEMPLATE_TAGS
        } else {
            &TEMPLATE_TAGS[..1]
        };
        register_family(&endpoint, &format!("q-tpl-{i:02}"), tags);
    }
    for i in 0..12 {
        register_family(&endpoint, &format!("q-app-{i:02}"), &[("team", "a")]);
    }
    // A family whose only revision was deregistered is not ACTIVE any more.
    register_family(&endpoint, "q-gone", &[]);
    let (status, _) = support::ecs_call(
        &endpoint,
        "DeregisterTaskDefinition",
        &json!({"taskDefinition": "q-gone:1"}),
    );
    assert_eq!(status, 200);

    let workspace = Workspace::new(&terraform, &endpoint);
    workspace.write("main.tf", PROVIDER_HEADER);
    let names = |prefix: &str, n: usize| {
        (0..n)
            .map(|i| format!("{prefix}-{i:02}"))
            .collect::<Vec<_>>()
    };
    let mut every = names("q-app", 12);
    every.extend(names("q-tpl", 8));
    assert_eq!(
        query_families(&workspace, "    family_prefix = \"q-\""),
        every
    );
    assert_eq!(
        query_families(&workspace, "    only_templates = true"),
        names("q-tpl", 8)
    );
    assert_eq!(
        query_families(
            &workspace,
            "    only_templates = true\n    tags = { team = \"a\" }"
        ),
        ["q-tpl-00", "q-tpl-02", "q-tpl-04", "q-tpl-06"]
    );
    assert_eq!(
        query_families(
            &workspace,
            "    status = \"INACTIVE\"\n    family_prefix = \"q-\""
        ),
        ["q-gone"]
    );

    // -generate-config-out writes resource and import blocks that plan to import and change nothing.
    workspace.write(
        "search.tfquery.hcl",
        &example("list-resources/ecstpl_template/list.tfquery.hcl"),
    );
    let generated = workspace.run(&["query", "-no-color", "-generate-config-out=generated.tf"]);
    assert!(generated.success(), "{}", generated.combined());
    let text =
        std::fs::read_to_string(workspace.path().join("generated.tf")).expect("generated.tf");
    assert_eq!(
        text.matches("resource \"ecstpl_template\"").count(),
        8,
        "{text}"
    );
    assert_eq!(text.matches("import {").count(), 8, "{text}");
    let plan = workspace.run(&["plan", "-input=false", "-no-color"]);
    assert!(plan.success(), "{}\n{text}", plan.combined());
    assert!(
        plan.stdout
            .contains("Plan: 8 to import, 0 to add, 0 to change, 0 to destroy."),
        "{}\n{text}",
        plan.stdout
    );
}

/// Where the real hashicorp/aws is installed as a Terraform filesystem mirror, if it is.
fn aws_provider_mirror() -> Result<std::path::PathBuf, String> {
    let mirror = std::env::var_os("ECSTPL_TEST_AWS_MIRROR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| "/opt/tf-plugins".into());
    let package = mirror.join("registry.terraform.io/hashicorp/aws");
    let installed = std::fs::read_dir(&package).is_ok_and(|mut versions| versions.next().is_some());
    match installed {
        true => Ok(mirror),
        false => Err(format!(
            "hashicorp/aws is not installed in a filesystem mirror at {} (set ECSTPL_TEST_AWS_MIRROR)",
            mirror.display()
        )),
    }
}

/// The task definitions the AWS provider registers, one per resource, with every block and
/// argument whose unset value the provider writes into state as a zero value or a default
/// (the audit in docs/guides/migrating.md). `RESOURCE` is the resource type.
const AWS_TASK_DEFINITIONS: &str = r#"
resource "RESOURCE" "ec2" {
  family       = "moved-ec2"
  network_mode = "bridge"
  container_definitions = jsonencode([{
    name      = "app"
    image     = "nginx:1.27"
    memory    = 256
    essential = true
    mountPoints = [
      { sourceVolume = "cache", containerPath = "/cache" },
      { sourceVolume = "data", containerPath = "/data" },
      { sourceVolume = "host", containerPath = "/host" },
      { sourceVolume = "shared", containerPath = "/shared" },
    ]
    resourceRequirements = [{ type = "InferenceAccelerator", value = "device_1" }]
  }])
  tags = { team = "web" }

  volume {
    name = "cache"
    docker_volume_configuration {
      driver = "local"
    }
  }
  volume {
    name = "data"
    efs_volume_configuration {
      file_system_id = "fs-12345678"
    }
  }
  volume {
    name      = "host"
    host_path = "/var/data"
  }
  volume {
    name = "shared"
    docker_volume_configuration {
      scope         = "shared"
      autoprovision = true
      driver_opts   = { type = "nfs" }
      labels        = { team = "web" }
    }
  }
  placement_constraints {
    type       = "memberOf"
    expression = "attribute:ecs.os-type == linux"
  }
  inference_accelerator {
    device_name = "device_1"
    device_type = "eia2.medium"
  }
}

resource "RESOURCE" "fargate" {
  family                   = "moved-fargate"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  cpu                      = "512"
  memory                   = "1024"
  execution_role_arn       = "arn:aws:iam::123456789012:role/execution"
  task_role_arn            = "arn:aws:iam::123456789012:role/task"
  container_definitions = jsonencode([
    {
      name        = "app"
      image       = "nginx:1.27"
      essential   = true
      mountPoints = [{ sourceVolume = "efs", containerPath = "/data" }]
      portMappings = [{ containerPort = 8080 }]
    },
    { name = "envoy", image = "envoy:1", essential = true, user = "1337" },
  ])

  volume {
    name = "efs"
    efs_volume_configuration {
      file_system_id     = "fs-12345678"
      root_directory     = "/"
      transit_encryption = "ENABLED"
      authorization_config {
        access_point_id = "fsap-12345678"
        iam             = "ENABLED"
      }
    }
  }
  runtime_platform {
    cpu_architecture = "ARM64"
  }
  ephemeral_storage {
    size_in_gib = 30
  }
  proxy_configuration {
    container_name = "envoy"
    properties = {
      AppPorts         = "8080"
      IgnoredUID       = "1337"
      ProxyIngressPort = "15000"
      ProxyEgressPort  = "15001"
    }
  }
}

resource "RESOURCE" "plain" {
  family                = "moved-plain"
  container_definitions = jsonencode([{ name = "app", image = "nginx:1.27", memory = 128 }])
}

resource "RESOURCE" "reordered" {
  family = "moved-reordered"
  container_definitions = jsonencode([{
    name        = "app"
    image       = "nginx:1.27"
    memory      = 128
    mountPoints = [{ sourceVolume = "zeta", containerPath = "/z" }, { sourceVolume = "alpha", containerPath = "/a" }]
  }])

  volume {
    name = "zeta"
    efs_volume_configuration {
      file_system_id = "fs-12345678"
    }
  }
  volume {
    name      = "alpha"
    host_path = "/var/alpha"
  }
}
"#;

const AWS_RESOURCE_NAMES: [&str; 4] = ["ec2", "fargate", "plain", "reordered"];

/// The real hashicorp/aws registers task definitions (an EFS volume, Docker, host and FSx-less
/// volumes, placement constraints, an inference accelerator, a Fargate definition with a
/// runtime platform, ephemeral storage and an App Mesh proxy, and one with nothing optional);
/// then `moved` blocks, as the migration guide says, make them ecstpl_templates. The plan
/// changes only the contract tags (`tags_all`) in place, the apply registers nothing (counted
/// at the ECS API), and the plan after it is clean. Volumes listed in another order than the
/// state holds them change order in place, registering nothing.
#[test]
fn moved_from_the_real_aws_provider_registers_nothing_whatever_it_wrote_for_unset_arguments() {
    let mirror = match aws_provider_mirror() {
        Ok(mirror) => mirror,
        Err(reason) => {
            eprintln!("SKIPPED moved_from_the_real_aws_provider…: {reason}");
            return;
        }
    };
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let endpoint = proxy.endpoint();
    let terraform = terraform_1_15();
    let bin = std::path::Path::new(support::PROVIDER_BINARY)
        .parent()
        .expect("target dir");
    let cli_config = format!(
        "provider_installation {{\n  dev_overrides {{\n    \"registry.terraform.io/ecstpl/ecstpl\" = \"{}\"\n  }}\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/hashicorp/aws\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/hashicorp/aws\"]\n  }}\n}}\n",
        bin.display(),
        mirror.display()
    );
    let workspace = Workspace::with_cli_config(&terraform, &endpoint, &cli_config);
    let header = format!(
        r#"
terraform {{
  required_providers {{
    aws    = {{ source = "hashicorp/aws" }}
    ecstpl = {{ source = "ecstpl/ecstpl" }}
  }}
}}

provider "aws" {{
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  endpoints {{
    ecs = "{endpoint}"
  }}
}}

provider "ecstpl" {{
  region = "us-east-1"
}}
"#
    );
    workspace.write(
        "main.tf",
        &format!(
            "{header}{}",
            AWS_TASK_DEFINITIONS.replace("RESOURCE", "aws_ecs_task_definition")
        ),
    );
    let init = workspace.run(&["init", "-input=false", "-no-color"]);
    assert!(init.success(), "{}", init.combined());
    workspace.apply(&[]);
    let registered: Vec<Json> = AWS_RESOURCE_NAMES
        .iter()
        .map(|name| state_attributes(&workspace, name)["arn"].clone())
        .collect();

    // The migration guide's step: rename the type, keep the arguments, add `moved` blocks.
    let moves: String = AWS_RESOURCE_NAMES
        .iter()
        .map(|name| {
            format!(
                "moved {{\n  from = aws_ecs_task_definition.{name}\n  to   = ecstpl_template.{name}\n}}\n"
            )
        })
        .collect();
    workspace.write(
        "main.tf",
        &format!(
            "{header}{}{moves}",
            AWS_TASK_DEFINITIONS.replace("RESOURCE", "ecstpl_template")
        ),
    );
    let plan = workspace.plan_json(&[]);
    let changes = plan["resource_changes"]
        .as_array()
        .expect("resource_changes");
    assert_eq!(changes.len(), AWS_RESOURCE_NAMES.len(), "{plan:#}");
    for (name, arn) in AWS_RESOURCE_NAMES.iter().zip(&registered) {
        let change = changes
            .iter()
            .find(|c| c["address"] == format!("ecstpl_template.{name}"))
            .unwrap_or_else(|| panic!("no change for {name}: {plan:#}"));
        assert_eq!(
            change["previous_address"],
            format!("aws_ecs_task_definition.{name}")
        );
        assert_eq!(change["change"]["actions"], json!(["update"]), "{change:#}");
        let before = change["change"]["before"].as_object().expect("before");
        let after = change["change"]["after"].as_object().expect("after");
        assert_eq!(
            after.get("arn"),
            Some(arn),
            "{name}: the same revision, no registration planned: {change:#}"
        );
        let changed: Vec<&str> = before
            .keys()
            .filter(|k| before.get(*k) != after.get(*k))
            .map(String::as_str)
            .collect();
        let expected: &[&str] = if *name == "reordered" {
            &["tags_all", "volume"]
        } else {
            &["tags_all"]
        };
        assert_eq!(changed, expected, "{name}: {change:#}");
    }

    proxy.clear();
    workspace.apply(&[]);
    let calls = proxy.calls();
    assert!(
        !calls.iter().any(|c| c == "RegisterTaskDefinition"),
        "nothing registered: {calls:?}"
    );
    for (name, arn) in AWS_RESOURCE_NAMES.iter().zip(&registered) {
        assert_eq!(&state_attributes(&workspace, name)["arn"], arn, "{name}");
    }
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 0, "clean after the move: {}", output.combined());
}

/// The attributes of the resource named `name` in the workspace's state.
fn state_attributes(workspace: &Workspace, name: &str) -> Json {
    let text = std::fs::read_to_string(workspace.path().join("terraform.tfstate")).expect("state");
    let state: Json = serde_json::from_str(&text).expect("state JSON");
    state["resources"]
        .as_array()
        .and_then(|resources| resources.iter().find(|r| r["name"] == name))
        .map(|resource| resource["instances"][0]["attributes"].clone())
        .unwrap_or_else(|| panic!("no {name} in {state:#}"))
}

/// The `deploy_family` the migration guide gives the moved template, if it gives one.
fn guide_deploy_family() -> Option<String> {
    let guide = std::fs::read_to_string(support::repo_root().join("docs/guides/migrating.md"))
        .expect("docs/guides/migrating.md");
    guide.lines().find_map(|line| {
        let value = line.trim().strip_prefix("deploy_family")?.trim_start();
        let value = value.strip_prefix('=')?.trim_start().strip_prefix('"')?;
        Some(value.split('"').next()?.to_string())
    })
}

/// A team migrates the family its service runs, as docs/guides/migrating.md says: `moved`,
/// with the deploy family the guide gives. The apply registers nothing, and the first
/// `ecstpl deploy` afterwards succeeds: the service moves to the deploy family, and the plan
/// after it is clean.
#[test]
fn following_the_migration_guide_the_first_deploy_succeeds() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.simulate_rollouts(support::proxy::Rollout::CompleteAfter(1));
    let endpoint = proxy.endpoint();
    let terraform = terraform_1_15();
    let arn = register_foreign(&moto.endpoint(), "web");
    support::create_service(
        &endpoint,
        &json!({"cluster": "prod", "serviceName": "web", "desiredCount": 1, "taskDefinition": arn}),
    );

    let workspace = Workspace::with_aws_stub(&terraform, &endpoint, &aws_stub_dir().keep());
    workspace.write(
        "terraform.tfstate",
        &aws_state(
            "aws_ecs_task_definition",
            1,
            task_definition_attributes(&arn, "web"),
        ),
    );
    let deploy_family = guide_deploy_family();
    let config = template_config(
        "web",
        "nginx:1.27",
        &example("resources/ecstpl_template/moved.tf"),
    );
    let config = match &deploy_family {
        Some(family) => config.replace(
            "  tags = { team = \"web\" }",
            &format!("  tags = {{ team = \"web\" }}\n  deploy_family = \"{family}\""),
        ),
        None => config,
    };
    workspace.write("main.tf", &config);
    proxy.clear();
    workspace.apply(&[]);
    assert!(
        !proxy.calls().iter().any(|c| c == "RegisterTaskDefinition"),
        "the move registers nothing: {:?}",
        proxy.calls()
    );

    let deployed = support::ecstpl(
        &endpoint,
        &[
            "deploy",
            "--cluster",
            "prod",
            "--service",
            "web",
            "--image",
            "app=nginx:1.28",
            "--poll-interval",
            "50ms",
            "--timeout",
            "60s",
        ],
    );
    assert_eq!(deployed.code, 0, "{}", deployed.combined());
    let family = deploy_family.expect("the guide gives the template a deploy_family");
    let (_, services) = support::ecs_call(
        &endpoint,
        "DescribeServices",
        &json!({"cluster": "prod", "services": ["web"]}),
    );
    let live = services["services"][0]["taskDefinition"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(live.ends_with(&format!("/{family}:1")), "{live}");
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(
        code,
        0,
        "clean after the first deploy: {}",
        output.combined()
    );
}
