//! Task definition documents (RegisterTaskDefinition input JSON) written as Terraform
//! configuration, the way a team migrating to `ecstpl_template` would write them, and the
//! corpus of real task definitions. Pure text generation: nothing here knows how ecstpl
//! compares or normalizes.

use std::path::PathBuf;

use serde_json::{Map, Value as Json};

use super::repo_root;

/// `required_providers` and a provider block with few retries, for generated configurations.
pub const PROVIDER_HEADER: &str = r#"
terraform {
  required_providers {
    ecstpl = { source = "ecstpl/ecstpl" }
  }
}

provider "ecstpl" {
  region      = "us-east-1"
  max_retries = 3
}
"#;

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
            let text = std::fs::read_to_string(&path).unwrap();
            let text = text.trim_start_matches('\u{feff}');
            let mut document: Map<String, Json> = serde_json::from_str(text).unwrap();
            if let Some(Json::Object(inner)) = document.get("taskDefinition").cloned() {
                let tags = document.remove("tags");
                document = inner;
                if let Some(tags) = tags {
                    document.entry("tags").or_insert(tags);
                }
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
