//! Task definition documents (RegisterTaskDefinition input JSON) written as Terraform
//! configuration, the way a team migrating to `ecstpl_template` would write them, and the
//! corpus of real task definitions. Pure text generation: nothing here knows how ecstpl
//! compares or normalizes.

use std::path::PathBuf;

use serde_json::{Map, Value as Json};

use super::repo_root;

/// The start of a test configuration up to the provider block's region: `required_providers`
/// with ecstpl (loaded through the workspace's `dev_overrides`) and `provider "ecstpl"` in
/// us-east-1. A literal, for the headers below to close with their own arguments.
macro_rules! header_open {
    () => {
        r#"
terraform {
  required_providers {
    ecstpl = { source = "ecstpl/ecstpl" }
  }
}

provider "ecstpl" {
  region = "us-east-1"
"#
    };
}

const HEADER_OPEN: &str = header_open!();

/// `required_providers` and a provider block with the provider's defaults.
pub const PLAIN_HEADER: &str = concat!(header_open!(), "}\n");

/// `required_providers` and a provider block with few retries, for generated configurations.
pub const PROVIDER_HEADER: &str = concat!(header_open!(), "  max_retries = 3\n}\n");

/// `required_providers` and a provider block with `arguments` after the region: HCL lines,
/// each indented by two spaces and ending in a newline.
pub fn provider_header(arguments: &str) -> String {
    format!("{HEADER_OPEN}{arguments}}}\n")
}

/// `ecstpl_template.web`: the template family `web-template` of deploy family `web`, one
/// container `app` with a placeholder image, 128 MiB and `LEVEL` = `level` in its
/// environment; `lifecycle` is the resource's lifecycle block, if any.
pub fn web_template(level: &str, lifecycle: &str) -> String {
    format!(
        r#"
resource "ecstpl_template" "web" {{
  family                = "web-template"
  deploy_family         = "web"
  container_definitions = jsonencode([{{
    name        = "app"
    image       = "placeholder"
    memory      = 128
    environment = [{{ name = "LEVEL", value = "{level}" }}]
  }}])
  {lifecycle}
}}
"#
    )
}

/// A stack as it starts: [`PLAIN_HEADER`], `ecstpl_template.web` (template family
/// `web-template`, deploy family `web`, 512 MiB, one container `app` with a placeholder image
/// and `LOG_LEVEL` = `log_level`; `arguments` are more lines of the resource after `memory`)
/// and `data.ecstpl_deployed_revision.web` reading service `web` in cluster `prod`, falling
/// back to the template revision.
pub fn web_stack(log_level: &str, arguments: &str) -> String {
    format!(
        r#"{PLAIN_HEADER}
resource "ecstpl_template" "web" {{
  family        = "web-template"
  deploy_family = "web"
  memory        = "512"
{arguments}  container_definitions = jsonencode([{{
    name        = "app"
    image       = "placeholder"
    environment = [{{ name = "LOG_LEVEL", value = "{log_level}" }}]
  }}])
}}

data "ecstpl_deployed_revision" "web" {{
  cluster      = "prod"
  service      = "web"
  template     = ecstpl_template.web.family
  fallback_arn = ecstpl_template.web.arn
}}
"#
    )
}

/// `{{ … }}` placeholders (ecspresso's `{{ must_env `X` }}`, a CI step's `{{ACCOUNT_ID}}`) as
/// their tool renders them: an account ID, a region, or a plain name.
fn render_placeholders(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        let inner = rest[start + 2..start + end].trim();
        out.push_str(match inner {
            "ACCOUNT_ID" => "123456789012",
            "REGION" => "us-east-1",
            _ => "rendered",
        });
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

/// Where a published file leaves a value to another tool (envsubst, a CI template step) and
/// ECS needs a real one, the value that tool would put there: task sizes `${TASK_CPU}` and
/// `${TASK_MEMORY}` become 256 and 512, `{{ … }}` placeholders are rendered (ECS's tag
/// pattern has no braces, an ARN needs an account), and the one file that sets no memory anywhere gets a task memory
/// of 512 (ECS refuses it otherwise, and so does ecstpl at plan time).
pub fn substitute(name: &str, text: &str) -> String {
    let mut text = render_placeholders(
        &text
            .replace("\"${TASK_CPU}\"", "\"256\"")
            .replace("\"${TASK_MEMORY}\"", "\"512\""),
    );
    if name.starts_with("NASA-ACROSS") {
        text = text.replacen('{', "{\"memory\": \"512\",", 1);
    }
    text
}

/// What a file's deploy tool fills in before ECS sees it, where the file holds a placeholder
/// ECS would refuse: role ARNs with a placeholder account (`ACCOUNT_ID`, `XXXXXXXXXXXX`,
/// `<executionRoleArn>`) get a real-looking one; container names with `$VAR` lose the shell
/// syntax; environment files get an S3 object ARN; a templated CPU architecture gets one; and the two old Fargate samples that log
/// with awslogs but name no execution role (ECS: "Fargate requires task definition to have
/// execution role ARN to support log driver awslogs") get one. Returns whether anything changed.
pub fn render_for_ecs(document: &mut Map<String, Json>) -> bool {
    let before = document.clone();
    let role_ok = |value: &str| {
        ecstpl::taskdef::is_role_arn(value)
            || (!value.is_empty()
                && value.len() <= 64
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
                && value != "rendered")
    };
    for field in ["executionRoleArn", "taskRoleArn"] {
        if let Some(value) = document.get(field).and_then(Json::as_str)
            && !role_ok(value)
        {
            document.insert(
                field.into(),
                Json::from("arn:aws:iam::123456789012:role/ecsTaskExecutionRole"),
            );
        }
    }
    if let Some(Json::Object(platform)) = document.get_mut("runtimePlatform")
        && platform.get("cpuArchitecture").and_then(Json::as_str) == Some("rendered")
    {
        platform.insert("cpuArchitecture".into(), Json::from("X86_64"));
    }
    let fargate = document
        .get("requiresCompatibilities")
        .and_then(Json::as_array)
        .is_some_and(|c| c.iter().any(|c| c == "FARGATE"));
    let mut awslogs = false;
    if let Some(Json::Array(containers)) = document.get_mut("containerDefinitions") {
        for container in containers.iter_mut().filter_map(Json::as_object_mut) {
            if let Some(name) = container.get("name").and_then(Json::as_str)
                && name.contains(['$', '{', '}'])
            {
                let plain: String = name.chars().filter(|c| !"${}".contains(*c)).collect();
                container.insert("name".into(), Json::from(plain));
            }
            if let Some(Json::Array(files)) = container.get_mut("environmentFiles") {
                for file in files.iter_mut().filter_map(Json::as_object_mut) {
                    if !file
                        .get("value")
                        .and_then(Json::as_str)
                        .is_some_and(|v| v.starts_with("arn:aws:s3:::"))
                    {
                        file.insert("value".into(), Json::from("arn:aws:s3:::bucket/app.env"));
                    }
                }
            }
            awslogs |= container
                .get("logConfiguration")
                .and_then(|l| l.get("logDriver"))
                == Some(&Json::from("awslogs"));
        }
    }
    if fargate && awslogs && document.get("executionRoleArn").is_none_or(Json::is_null) {
        document.insert(
            "executionRoleArn".into(),
            Json::from("arn:aws:iam::123456789012:role/ecsTaskExecutionRole"),
        );
    }
    *document != before
}

pub fn corpus(set: &str) -> Vec<(String, Map<String, Json>)> {
    let dir = repo_root().join("tests/corpus").join(set);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = substitute(&name, &std::fs::read_to_string(&path).unwrap());
            let text = text.trim_start_matches('\u{feff}');
            let mut document: Map<String, Json> = serde_json::from_str(text).unwrap();
            if let Some(Json::Object(inner)) = document.get("taskDefinition").cloned() {
                let tags = document.remove("tags");
                document = inner;
                if let Some(tags) = tags {
                    document.entry("tags").or_insert(tags);
                }
            }
            if set == "valid" {
                render_for_ecs(&mut document);
            }
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                document,
            )
        })
        .collect()
}

pub fn hcl_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out.replace("${", "$${").replace("%{", "%%{")
}

fn scalar(value: &Json) -> Option<String> {
    match value {
        Json::String(s) => Some(hcl_string(s)),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn string_map(value: &Json) -> String {
    let entries: Vec<String> = value
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    format!(
                        "{} = {}",
                        hcl_string(k),
                        hcl_string(v.as_str().unwrap_or(&v.to_string()))
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    format!("{{ {} }}", entries.join(", "))
}

/// One nested block from an API object: (api key, terraform name) pairs for attributes.
fn block(name: &str, object: &Json, attributes: &[(&str, &str)], nested: &str) -> String {
    let mut lines = vec![format!("  {name} {{")];
    for (api, tf) in attributes {
        if let Some(value) = object.get(*api).and_then(scalar) {
            lines.push(format!("    {tf} = {value}"));
        }
    }
    if !nested.is_empty() {
        lines.push(nested.to_string());
    }
    lines.push("  }".into());
    lines.join("\n")
}

/// A corpus document as `resource "ecstpl_template" "c{index}"` in family `corpus-{index}`.
pub fn template(index: usize, document: &Map<String, Json>, dir: &std::path::Path) -> String {
    template_named(
        &format!("c{index}"),
        &format!("corpus-{index}"),
        document,
        dir,
    )
}

/// A task definition document as an `ecstpl_template` in the argument form, the way a team
/// migrating would write it; the container definitions go to `<family>.json`, read with
/// `file()`.
pub fn template_named(
    resource: &str,
    family: &str,
    document: &Map<String, Json>,
    dir: &std::path::Path,
) -> String {
    let containers = document
        .get("containerDefinitions")
        .cloned()
        .unwrap_or(Json::Array(vec![]));
    let file = format!("{family}.json");
    std::fs::write(
        dir.join(&file),
        serde_json::to_string_pretty(&containers).unwrap(),
    )
    .unwrap();
    let mut lines = vec![
        format!("resource \"ecstpl_template\" \"{resource}\" {{"),
        format!("  family = \"{family}\""),
        format!("  container_definitions = file(\"{file}\")"),
    ];
    // One file leaves memory to its deploy tool entirely; ECS needs it somewhere.
    let containers_without_memory = containers.as_array().into_iter().flatten().any(|c| {
        c.get("memory").is_none_or(Json::is_null)
            && c.get("memoryReservation").is_none_or(Json::is_null)
    });
    if document.get("memory").is_none_or(Json::is_null) && containers_without_memory {
        lines.push("  memory = \"512\"".into());
    }
    for (api, tf, placeholder_value) in [("cpu", "cpu", "256"), ("memory", "memory", "512")] {
        if let Some(value) = document.get(api).filter(|v| !v.is_null()) {
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string);
            let text = if text.contains("${") {
                placeholder_value.to_string()
            } else {
                text
            };
            lines.push(format!("  {tf} = {}", hcl_string(&text)));
        }
    }
    for (api, tf) in [
        ("networkMode", "network_mode"),
        ("executionRoleArn", "execution_role_arn"),
        ("taskRoleArn", "task_role_arn"),
        ("pidMode", "pid_mode"),
        ("ipcMode", "ipc_mode"),
        ("enableFaultInjection", "enable_fault_injection"),
    ] {
        if let Some(value) = document.get(api).and_then(scalar) {
            lines.push(format!("  {tf} = {value}"));
        }
    }
    if let Some(Json::Array(compatibilities)) = document.get("requiresCompatibilities") {
        let items: Vec<String> = compatibilities.iter().filter_map(scalar).collect();
        lines.push(format!(
            "  requires_compatibilities = [{}]",
            items.join(", ")
        ));
    }
    match document.get("tags") {
        Some(Json::Array(tags)) if !tags.is_empty() => {
            let entries: Vec<String> = tags
                .iter()
                .map(|t| {
                    format!(
                        "{} = {}",
                        hcl_string(t["key"].as_str().unwrap_or_default()),
                        hcl_string(t["value"].as_str().unwrap_or_default())
                    )
                })
                .collect();
            lines.push(format!("  tags = {{ {} }}", entries.join(", ")));
        }
        // Tags written as an object are not the API's shape; HCL has only one shape for them.
        Some(tags @ Json::Object(_)) => lines.push(format!("  tags = {}", string_map(tags))),
        _ => {}
    }
    for volume in document
        .get("volumes")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let mut nested = Vec::new();
        if let Some(docker) = volume
            .get("dockerVolumeConfiguration")
            .filter(|v| v.is_object())
        {
            let mut b = block(
                "docker_volume_configuration",
                docker,
                &[
                    ("scope", "scope"),
                    ("autoprovision", "autoprovision"),
                    ("driver", "driver"),
                ],
                "",
            );
            for (api, tf) in [("driverOpts", "driver_opts"), ("labels", "labels")] {
                if let Some(map) = docker.get(api).filter(|v| v.is_object()) {
                    b = b.replacen("  }", &format!("    {tf} = {}\n  }}", string_map(map)), 1);
                }
            }
            nested.push(b);
        }
        if let Some(efs) = volume
            .get("efsVolumeConfiguration")
            .filter(|v| v.is_object())
        {
            let auth = efs
                .get("authorizationConfig")
                .filter(|v| v.is_object())
                .map(|a| {
                    block(
                        "authorization_config",
                        a,
                        &[("accessPointId", "access_point_id"), ("iam", "iam")],
                        "",
                    )
                })
                .unwrap_or_default();
            nested.push(block(
                "efs_volume_configuration",
                efs,
                &[
                    ("fileSystemId", "file_system_id"),
                    ("rootDirectory", "root_directory"),
                    ("transitEncryption", "transit_encryption"),
                    ("transitEncryptionPort", "transit_encryption_port"),
                ],
                &auth,
            ));
        }
        let mut attributes = vec![
            ("name", "name"),
            ("configuredAtLaunch", "configure_at_launch"),
        ];
        let host = volume
            .get("host")
            .and_then(|h| h.get("sourcePath"))
            .and_then(scalar);
        let mut text = block(
            "volume",
            volume,
            &attributes.split_off(0),
            &nested.join("\n"),
        );
        if let Some(host) = host {
            text = text.replacen("\n", &format!("\n    host_path = {host}\n"), 1);
        }
        lines.push(text);
    }
    for constraint in document
        .get("placementConstraints")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        lines.push(block(
            "placement_constraints",
            constraint,
            &[("type", "type"), ("expression", "expression")],
            "",
        ));
    }
    if let Some(proxy) = document.get("proxyConfiguration").filter(|v| v.is_object()) {
        let properties: Map<String, Json> = proxy
            .get("properties")
            .and_then(Json::as_array)
            .map(|pairs| {
                pairs
                    .iter()
                    .filter_map(|p| {
                        Some((
                            p.get("name")?.as_str()?.to_string(),
                            p.get("value").cloned().unwrap_or(Json::from("")),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let nested = if properties.is_empty() {
            String::new()
        } else {
            format!("    properties = {}", string_map(&Json::Object(properties)))
        };
        lines.push(block(
            "proxy_configuration",
            proxy,
            &[("type", "type"), ("containerName", "container_name")],
            &nested,
        ));
    }
    if let Some(platform) = document.get("runtimePlatform").filter(|v| v.is_object()) {
        lines.push(block(
            "runtime_platform",
            platform,
            &[
                ("operatingSystemFamily", "operating_system_family"),
                ("cpuArchitecture", "cpu_architecture"),
            ],
            "",
        ));
    }
    if let Some(storage) = document.get("ephemeralStorage").filter(|v| v.is_object()) {
        lines.push(block(
            "ephemeral_storage",
            storage,
            &[("sizeInGiB", "size_in_gib")],
            "",
        ));
    }
    for accelerator in document
        .get("inferenceAccelerators")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        lines.push(block(
            "inference_accelerator",
            accelerator,
            &[("deviceName", "device_name"), ("deviceType", "device_type")],
            "",
        ));
    }
    lines.push("}".into());
    lines.join("\n")
}
