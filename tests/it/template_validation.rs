//! Bad input is rejected at plan time, before any API call: each case below gives its
//! diagnostic on the attribute it is about, and the ECS API receives no write call at all
//! (counted by a recording proxy in front of the emulator).

use crate::support::proxy::RecordingProxy;
use crate::support::templates::{PLAIN_HEADER, provider_header};
use crate::support::{Moto, Workspace, terraform_binaries};

struct Case {
    name: &'static str,
    /// The resource body.
    body: String,
    /// The diagnostic's summary.
    summary: &'static str,
    /// The attribute the diagnostic is about: Terraform points the diagnostic's source range at
    /// the line that starts with this (in the resource, or in the provider block).
    attribute: &'static str,
    /// More text the diagnostic must contain.
    detail: &'static str,
    /// Lines added to the provider block.
    provider: &'static str,
}

fn body(family: &str, containers: &str, extra: &str) -> String {
    format!("family = \"{family}\"\n  container_definitions = {containers}\n  {extra}")
}

fn json(containers: &str) -> String {
    format!("<<-EOT\n{containers}\nEOT")
}

const OK: &str = r#"[{"name": "app", "image": "placeholder", "memory": 128}]"#;

fn cases() -> Vec<Case> {
    let fargate = "requires_compatibilities = [\"FARGATE\"]\n  network_mode = \"awsvpc\"";
    let many: Vec<String> = (0..11)
        .map(|i| format!(r#"{{"name": "c{i}", "image": "x", "memory": 64}}"#))
        .collect();
    let huge = format!(
        r#"[{{"name": "a", "image": "x", "memory": 64, "command": ["{}"]}}]"#,
        "y".repeat(70_000)
    );
    let tags: Vec<String> = (0..48).map(|i| format!("t{i} = \"v\"")).collect();
    let case = |name, body, summary, attribute, detail| Case {
        name,
        body,
        summary,
        attribute,
        detail,
        provider: "",
    };
    let provider_case = |name, provider, summary, attribute, detail| Case {
        name,
        body: body("web", &json(OK), ""),
        summary,
        attribute,
        detail,
        provider,
    };
    let containers = |c: &str| body("web", &json(c), "");
    let awsvpc = "network_mode = \"awsvpc\"";
    vec![
        case(
            "syntax error",
            body("web", &json("[{\"name\": \"app\",}]"), ""),
            "Invalid JSON",
            "container_definitions",
            "line 1",
        ),
        case(
            "not an array",
            body("web", &json(r#"{"name": "app", "image": "x"}"#), ""),
            "Not a list of container definitions",
            "container_definitions",
            "array",
        ),
        case(
            "typo imagee",
            body(
                "web",
                &json(r#"[{"name": "app", "imagee": "x", "image": "x"}]"#),
                "",
            ),
            "Unknown key",
            "container_definitions",
            "Did you mean \"image\"",
        ),
        case(
            "case Image",
            body(
                "web",
                &json(r#"[{"name": "app", "Image": "x", "image": "x"}]"#),
                "",
            ),
            "Unknown key",
            "container_definitions",
            "Did you mean \"image\"",
        ),
        case(
            "portmappings",
            body(
                "web",
                &json(r#"[{"name": "app", "image": "x", "portmappings": []}]"#),
                "",
            ),
            "Unknown key",
            "container_definitions",
            "portMappings",
        ),
        case(
            "missing name",
            body("web", &json(r#"[{"image": "x"}]"#), ""),
            "Missing container name",
            "container_definitions",
            "containerDefinitions[0].name",
        ),
        case(
            "missing image",
            body("web", &json(r#"[{"name": "app"}]"#), ""),
            "Missing image",
            "container_definitions",
            "placeholder",
        ),
        case(
            "empty image",
            body("web", &json(r#"[{"name": "app", "image": ""}]"#), ""),
            "Empty image",
            "container_definitions",
            "containerDefinitions[0].image",
        ),
        case(
            "duplicate names",
            body(
                "web",
                &json(r#"[{"name": "a", "image": "x"}, {"name": "a", "image": "y"}]"#),
                "",
            ),
            "Duplicate container name",
            "container_definitions",
            "containerDefinitions[1].name",
        ),
        case(
            "no essential",
            body(
                "web",
                &json(r#"[{"name": "a", "image": "x", "essential": false}]"#),
                "",
            ),
            "No essential container",
            "container_definitions",
            "essential",
        ),
        case(
            "eleven containers",
            body("web", &json(&format!("[{}]", many.join(","))), ""),
            "Too many containers",
            "container_definitions",
            "at most 10",
        ),
        case(
            "over 64 KiB",
            body("web", &json(&huge), ""),
            "Task definition too large",
            "container_definitions",
            "64 KiB",
        ),
        case(
            "environment not a list",
            body(
                "web",
                &json(r#"[{"name": "a", "image": "x", "environment": {"A": "1"}}]"#),
                "",
            ),
            "Invalid environment",
            "container_definitions",
            "list of objects",
        ),
        case(
            "environment without name",
            body(
                "web",
                &json(r#"[{"name": "a", "image": "x", "environment": [{"value": "1"}]}]"#),
                "",
            ),
            "Missing name in environment",
            "container_definitions",
            "environment[0].name",
        ),
        case(
            "container memory as text",
            body(
                "web",
                &json(r#"[{"name": "a", "image": "x", "memory": "512"}]"#),
                "",
            ),
            "Invalid memory",
            "container_definitions",
            "whole number",
        ),
        case(
            "privileged on Fargate",
            body(
                "web",
                &json(r#"[{"name": "a", "image": "x", "privileged": true}]"#),
                &format!("{fargate}\n  cpu = \"256\"\n  memory = \"512\""),
            ),
            "Privileged containers are not supported on Fargate",
            "container_definitions",
            "privileged",
        ),
        case(
            "family with a colon",
            body("web:1", &json(OK), ""),
            "Invalid family",
            "family",
            "letters, digits, hyphens and underscores",
        ),
        case(
            "cpu not a size",
            body("web", &json(OK), "cpu = \"fast\""),
            "Invalid cpu",
            "cpu",
            "vCPU",
        ),
        case(
            "memory not a size",
            body("web", &json(OK), "memory = \"2 TB\""),
            "Invalid memory",
            "memory",
            "GB",
        ),
        case(
            "Fargate size",
            body(
                "web",
                &json(OK),
                &format!("{fargate}\n  cpu = \"256\"\n  memory = \"4096\""),
            ),
            "Invalid Fargate task size",
            "memory",
            "512, 1024 or 2048",
        ),
        case(
            "Fargate without cpu",
            body("web", &json(OK), &format!("{fargate}\n  memory = \"512\"")),
            "Fargate needs a task cpu",
            "requires_compatibilities",
            "cpu and memory",
        ),
        case(
            "Fargate on bridge",
            body(
                "web",
                &json(OK),
                "requires_compatibilities = [\"FARGATE\"]\n  network_mode = \"bridge\"\n  cpu = \"256\"\n  memory = \"512\"",
            ),
            "Fargate needs awsvpc",
            "network_mode",
            "awsvpc",
        ),
        case(
            "reserved tag",
            body(
                "web",
                &json(OK),
                "tags = { \"ecstpl:role\" = \"deployed\" }",
            ),
            "Reserved tag key",
            "tags",
            "deploy_family",
        ),
        case(
            "too many tags",
            body(
                "web",
                &json(OK),
                &format!("tags = {{\n    {}\n  }}", tags.join("\n    ")),
            ),
            "Too many tags",
            "tags",
            "at most 47",
        ),
        case(
            "deploy family equals family",
            body("web", &json(OK), "deploy_family = \"web\""),
            "deploy_family must differ from family",
            "deploy_family",
            "family of their own",
        ),
        case(
            "negative keep",
            body("web", &json(OK), "keep_superseded_revisions = -1"),
            "Invalid keep_superseded_revisions",
            "keep_superseded_revisions",
            "deregister_superseded",
        ),
        case(
            "keep is not whole",
            body("web", &json(OK), "keep_superseded_revisions = 1.5"),
            "Invalid keep_superseded_revisions",
            "keep_superseded_revisions",
            "whole number",
        ),
        case(
            "protocol http",
            containers(
                r#"[{"name": "a", "image": "x", "memory": 64, "portMappings": [{"containerPort": 80, "protocol": "http"}]}]"#,
            ),
            "Invalid protocol",
            "container_definitions",
            "\"tcp\" or \"udp\"",
        ),
        case(
            "unknown log driver",
            containers(
                r#"[{"name": "a", "image": "x", "memory": 64, "logConfiguration": {"logDriver": "logentries"}}]"#,
            ),
            "Invalid logDriver",
            "container_definitions",
            "awslogs",
        ),
        case(
            "ulimit name",
            containers(
                r#"[{"name": "a", "image": "x", "memory": 64, "ulimits": [{"name": "memory", "softLimit": 1, "hardLimit": 2}]}]"#,
            ),
            "Invalid name",
            "container_definitions",
            "nofile",
        ),
        case(
            "dependsOn condition",
            containers(
                r#"[{"name": "a", "image": "x", "memory": 64, "dependsOn": [{"containerName": "b", "condition": "DONE"}]}, {"name": "b", "image": "x", "memory": 64, "essential": false}]"#,
            ),
            "Invalid condition",
            "container_definitions",
            "HEALTHY",
        ),
        case(
            "dependsOn unknown container",
            containers(
                r#"[{"name": "a", "image": "x", "memory": 64, "dependsOn": [{"containerName": "db", "condition": "START"}]}]"#,
            ),
            "Unknown container in dependsOn",
            "container_definitions",
            "\"db\"",
        ),
        case(
            "SUCCESS on an essential container",
            containers(
                r#"[{"name": "a", "image": "x", "memory": 64, "dependsOn": [{"containerName": "migrate", "condition": "SUCCESS"}]}, {"name": "migrate", "image": "x", "memory": 64}]"#,
            ),
            "An essential container cannot be a COMPLETE or SUCCESS dependency",
            "container_definitions",
            "essential",
        ),
        case(
            "container port out of range",
            containers(
                r#"[{"name": "a", "image": "x", "memory": 64, "portMappings": [{"containerPort": 70000}]}]"#,
            ),
            "Invalid containerPort",
            "container_definitions",
            "1 to 65535",
        ),
        case(
            "host port differs under awsvpc",
            body(
                "web",
                &json(
                    r#"[{"name": "a", "image": "x", "memory": 64, "portMappings": [{"containerPort": 80, "hostPort": 8080}]}]"#,
                ),
                awsvpc,
            ),
            "Host port differs under awsvpc",
            "container_definitions",
            "host port must be left out",
        ),
        case(
            "health check interval",
            containers(
                r#"[{"name": "a", "image": "x", "memory": 64, "healthCheck": {"command": ["CMD", "true"], "interval": 1}}]"#,
            ),
            "Invalid interval",
            "container_definitions",
            "5 to 300",
        ),
        case(
            "unknown volume",
            containers(
                r#"[{"name": "a", "image": "x", "memory": 64, "mountPoints": [{"sourceVolume": "data", "containerPath": "/data"}]}]"#,
            ),
            "Unknown volume",
            "container_definitions",
            "\"data\"",
        ),
        case(
            "memoryReservation above memory",
            containers(r#"[{"name": "a", "image": "x", "memory": 64, "memoryReservation": 128}]"#),
            "memoryReservation above memory",
            "container_definitions",
            "must not exceed",
        ),
        case(
            "container memory above task memory",
            body(
                "web",
                &json(r#"[{"name": "a", "image": "x", "memory": 1024}]"#),
                "memory = \"512\"",
            ),
            "Container memory above task memory",
            "container_definitions",
            "512 MiB",
        ),
        case(
            "execution role that is no role",
            body(
                "web",
                &json(OK),
                "execution_role_arn = \"arn:aws:s3:::bucket\"",
            ),
            "Invalid executionRoleArn",
            "execution_role_arn",
            "IAM role ARN",
        ),
        case(
            "secrets need an execution role",
            containers(
                r#"[{"name": "a", "image": "x", "memory": 64, "secrets": [{"name": "DB", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/db"}]}]"#,
            ),
            "An execution role is needed",
            "execution_role_arn",
            "secrets",
        ),
        case(
            "network mode bridged",
            body("web", &json(OK), "network_mode = \"bridged\""),
            "Invalid networkMode",
            "network_mode",
            "\"awsvpc\"",
        ),
        case(
            "pid mode container",
            body("web", &json(OK), "pid_mode = \"container\""),
            "Invalid pidMode",
            "pid_mode",
            "\"task\"",
        ),
        case(
            "launch type LAMBDA",
            body("web", &json(OK), "requires_compatibilities = [\"LAMBDA\"]"),
            "Invalid requiresCompatibilities",
            "requires_compatibilities",
            "FARGATE",
        ),
        case(
            "cpu architecture",
            body(
                "web",
                &json(OK),
                "runtime_platform {\n    cpu_architecture = \"x86\"\n  }",
            ),
            "Invalid cpuArchitecture",
            "cpu_architecture",
            "ARM64",
        ),
        case(
            "ephemeral storage too small",
            body(
                "web",
                &json(OK),
                &format!(
                    "{fargate}\n  cpu = \"256\"\n  memory = \"512\"\n  ephemeral_storage {{\n    size_in_gib = 10\n  }}"
                ),
            ),
            "Invalid sizeInGiB",
            "size_in_gib",
            "21 to 200",
        ),
        case(
            "duplicate volume names",
            body(
                "web",
                &json(OK),
                "volume {\n    name = \"data\"\n  }\n  volume {\n    name = \"data\"\n  }",
            ),
            "Duplicate volume name",
            "name#2",
            "\"data\"",
        ),
        case(
            "docker volume on Fargate",
            body(
                "web",
                &json(OK),
                &format!(
                    "{fargate}\n  cpu = \"256\"\n  memory = \"512\"\n  volume {{\n    name = \"cache\"\n    docker_volume_configuration {{\n      scope = \"task\"\n    }}\n  }}"
                ),
            ),
            "Docker volumes are not supported on Fargate",
            "docker_volume_configuration",
            "EFS",
        ),
        case(
            "EFS IAM without transit encryption",
            body(
                "web",
                &json(OK),
                "task_role_arn = \"arn:aws:iam::123456789012:role/app\"\n  volume {\n    name = \"efs\"\n    efs_volume_configuration {\n      file_system_id = \"fs-1\"\n      authorization_config {\n        iam = \"ENABLED\"\n      }\n    }\n  }",
            ),
            "EFS IAM authorization needs transit encryption",
            "efs_volume_configuration",
            "transitEncryption ENABLED",
        ),
        case(
            "placement constraints on Fargate",
            body(
                "web",
                &json(OK),
                &format!(
                    "{fargate}\n  cpu = \"256\"\n  memory = \"512\"\n  placement_constraints {{\n    type = \"memberOf\"\n    expression = \"attribute:ecs.os-type == linux\"\n  }}"
                ),
            ),
            "placementConstraints are not supported on Fargate",
            "placement_constraints",
            "Fargate",
        ),
        case(
            "aws: tag",
            body("web", &json(OK), "tags = { \"aws:team\" = \"web\" }"),
            "Invalid tag",
            "tags",
            "reserves",
        ),
        case(
            "tag key too long",
            body(
                "web",
                &json(OK),
                &format!("tags = {{ \"{}\" = \"x\" }}", "k".repeat(129)),
            ),
            "Invalid tag",
            "tags",
            "128 characters",
        ),
        case(
            "tag value too long",
            body(
                "web",
                &json(OK),
                &format!("tags = {{ team = \"{}\" }}", "v".repeat(257)),
            ),
            "Invalid tag",
            "tags",
            "longer than 256 characters",
        ),
        case(
            "empty tag key",
            body("web", &json(OK), "tags = { \"\" = \"x\" }"),
            "Invalid tag",
            "tags",
            "may not be empty",
        ),
        provider_case(
            "region with spaces",
            "region = \"eu west 1\"",
            "Invalid region",
            "region",
            "eu-west-1",
        ),
        provider_case(
            "endpoint not http",
            "endpoints {\n    ecs = \"ftp://example.com\"\n  }",
            "Invalid endpoint",
            "ecs",
            "http or https",
        ),
        provider_case(
            "endpoint not a url",
            "endpoints {\n    ecs = \"not a url\"\n  }",
            "Invalid endpoint",
            "ecs",
            "not a URL",
        ),
        provider_case(
            "role ARN that is no ARN",
            "assume_role {\n    role_arn = \"deploy\"\n  }",
            "Invalid role_arn",
            "role_arn",
            "IAM role ARN",
        ),
        provider_case(
            "default_tags setting a contract tag",
            "default_tags {\n    tags = { \"ecstpl:role\" = \"x\" }\n  }",
            "Reserved tag key",
            "tags",
            "default_tags may not set them",
        ),
    ]
}

#[test]
fn invalid_inputs_are_rejected_at_plan_time_without_any_write_call() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let terraform = terraform_binaries().remove(0);
    let cases = cases();
    assert!(cases.len() >= 50);
    let mut failures = Vec::new();
    for case in &cases {
        let workspace = Workspace::new(&terraform, &proxy.endpoint());
        let config = format!(
            "{}\nresource \"ecstpl_template\" \"bad\" {{\n  {}\n}}\n",
            provider_header(&format!("  {}\n", case.provider)),
            case.body
        );
        // The provider block's own `region` is overridden by a case that sets one.
        let config = if case.provider.starts_with("region") {
            config.replacen("  region = \"us-east-1\"\n", "", 1)
        } else {
            config
        };
        workspace.write("main.tf", &config);
        // The line the diagnostic must point at: the case's attribute, in the provider block
        // for provider cases, else in the resource.
        let from = if case.provider.is_empty() {
            config.find("resource \"ecstpl_template\"").unwrap_or(0)
        } else {
            config.find("provider \"ecstpl\"").unwrap_or(0)
        };
        // An attribute the configuration does not set has no line: Terraform points at the
        // block that lacks it. `name#2` is the second line that sets `name`.
        let block_line = config[..from].matches('\n').count() + 1;
        let (attribute, occurrence) = match case.attribute.split_once('#') {
            Some((attribute, n)) => (attribute, n.parse::<usize>().unwrap_or(1)),
            None => (case.attribute, 1),
        };
        let expected_line = config[from..]
            .lines()
            .enumerate()
            .filter(|(_, l)| {
                let l = l.trim_start();
                l.starts_with(&format!("{attribute} ")) || l.starts_with(&format!("{attribute}="))
            })
            .nth(occurrence - 1)
            .map_or(block_line, |(p, _)| block_line + p);
        let output = workspace.run(&["validate", "-json", "-no-color"]);
        let validated: serde_json::Value = serde_json::from_str(&output.stdout).unwrap_or_default();
        let diagnostics = validated["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let found = diagnostics
            .iter()
            .find(|d| d["severity"] == "error" && d["summary"].as_str() == Some(case.summary));
        let ok = found.is_some_and(|d| {
            let detail = d["detail"]
                .as_str()
                .unwrap_or_default()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            d["range"]["start"]["line"].as_u64() == Some(expected_line as u64)
                && detail.contains(case.detail)
        });
        if !ok {
            failures.push(format!(
                "{}: expected {:?} on line {expected_line} ({}) mentioning {:?}, got:\n{}",
                case.name,
                case.summary,
                case.attribute,
                case.detail,
                serde_json::to_string_pretty(&diagnostics).unwrap_or_default()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    assert_eq!(
        proxy.write_calls(),
        Vec::<String>::new(),
        "no write call may reach ECS for invalid input"
    );
    eprintln!(
        "{} invalid inputs rejected; ECS calls made: {:?}",
        cases.len(),
        proxy.calls()
    );
}

/// The 50-tag limit counts `tags`, the provider's `default_tags` and ecstpl's own contract
/// tags together. `terraform validate` cannot know `default_tags` (the provider is not
/// configured then), so this is a plan-time check: the plan fails and nothing is written.
#[test]
fn tags_and_default_tags_together_over_the_limit_fail_the_plan_without_any_write_call() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let terraform = terraform_binaries().remove(0);
    let workspace = Workspace::new(&terraform, &proxy.endpoint());
    let defaults: Vec<String> = (0..30).map(|i| format!("d{i} = \"v\"")).collect();
    let own: Vec<String> = (0..20).map(|i| format!("t{i} = \"v\"")).collect();
    let header = provider_header(&format!(
        "  default_tags {{\n    tags = {{\n      {}\n    }}\n  }}\n",
        defaults.join("\n      ")
    ));
    let config = format!(
        "{header}\nresource \"ecstpl_template\" \"web\" {{\n  {}\n  tags = {{\n    {}\n  }}\n}}\n",
        body("web", &json(OK), ""),
        own.join("\n    ")
    );
    workspace.write("main.tf", &config);
    let validate = workspace.run(&["validate", "-no-color"]);
    assert!(
        validate.success(),
        "20 tags of its own pass validate: {}",
        validate.combined()
    );
    let output = workspace.run(&["plan", "-input=false", "-no-color"]);
    assert!(!output.success(), "{}", output.combined());
    let text = output
        .combined()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.contains("Too many tags"), "{text}");
    assert!(text.contains("make 50 tags"), "{text}");
    assert_eq!(proxy.write_calls(), Vec::<String>::new());
    // 45 and the contract tag fit: the plan succeeds.
    let fewer: Vec<String> = (0..15).map(|i| format!("t{i} = \"v\"")).collect();
    workspace.write(
        "main.tf",
        &config.replace(&own.join("\n    "), &fewer.join("\n    ")),
    );
    let output = workspace.run(&["plan", "-input=false", "-no-color"]);
    assert!(
        output.success(),
        "45 tags and the contract's fit in 50: {}",
        output.combined()
    );
}

/// `jsonencode` writes an HCL number as a JSON number; ECS wants a string for an environment
/// value and answers a SerializationException at apply. The plan fails instead, with the path
/// to the value, in both input forms, and nothing is written.
#[test]
fn a_number_where_ecs_wants_a_string_fails_the_plan_with_its_path() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let terraform = terraform_binaries().remove(0);
    let container = r#"{ name = "app", image = "placeholder", memory = 128, environment = [{ name = "N", value = 5 }] }"#;
    let forms = [
        (
            "container_definitions",
            format!("container_definitions = jsonencode([{container}])"),
        ),
        (
            "task_definition",
            format!("task_definition = jsonencode({{ containerDefinitions = [{container}] }})"),
        ),
    ];
    for (form, argument) in forms {
        let workspace = Workspace::new(&terraform, &proxy.endpoint());
        let config = format!(
            "{PLAIN_HEADER}\nresource \"ecstpl_template\" \"web\" {{\n  family = \"web\"\n  {argument}\n}}\n"
        );
        workspace.write("main.tf", &config);
        let output = workspace.run(&["plan", "-input=false", "-no-color"]);
        assert!(!output.success(), "{form}: {}", output.combined());
        let text = output
            .combined()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(text.contains("Wrong type"), "{form}: {text}");
        assert!(
            text.contains(
                "containerDefinitions[0].environment[0].value: expected a string, got the number 5"
            ),
            "{form}: {text}"
        );
        assert!(text.contains(&format!("{form} =")), "{form}: {text}");
        // The same configuration with the value as a string plans.
        workspace.write("main.tf", &config.replace("value = 5", "value = \"5\""));
        let output = workspace.run(&["plan", "-input=false", "-no-color"]);
        assert!(output.success(), "{form}: {}", output.combined());
    }
    assert_eq!(proxy.write_calls(), Vec::<String>::new());
}
