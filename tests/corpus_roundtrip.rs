//! Real task definitions from public repositories (tests/corpus, provenance in SOURCES.tsv),
//! each written as an `ecstpl_template` the way a team migrating would write it: every valid
//! one applies and then plans clean; every invalid one is rejected at plan time.
//!
//! Templating: the family becomes `corpus-N` (published families are often placeholders);
//! `containerDefinitions` go to a JSON file read with `file()`; task-level fields become the
//! arguments and blocks of the same names; a task size left to envsubst (`${TASK_CPU}`)
//! becomes 256/512 because ECS needs a real size, and the one file that sets no memory at all
//! gets a task memory of 512 (ECS refuses it otherwise, and so does ecstpl at plan time).
//! `${` and `%{` in strings are escaped.

mod support;

use std::path::PathBuf;

use serde_json::{Map, Value as Json};
use support::proxy::RecordingProxy;
use support::{Moto, Workspace, repo_root, terraform_binaries};

fn corpus(set: &str) -> Vec<(String, Map<String, Json>)> {
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

fn hcl_string(text: &str) -> String {
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

fn template(index: usize, document: &Map<String, Json>, dir: &std::path::Path) -> String {
    let containers = document
        .get("containerDefinitions")
        .cloned()
        .unwrap_or(Json::Array(vec![]));
    let file = format!("corpus-{index}.json");
    std::fs::write(
        dir.join(&file),
        serde_json::to_string_pretty(&containers).unwrap(),
    )
    .unwrap();
    let mut lines = vec![
        format!("resource \"ecstpl_template\" \"c{index}\" {{"),
        format!("  family = \"corpus-{index}\""),
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

const HEADER: &str = r#"
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

#[test]
fn every_valid_corpus_file_applies_and_plans_clean_even_after_ecs_rewrites_it() {
    let moto = Moto::start();
    // moto stores definitions verbatim; the proxy makes its answers look like ECS's.
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.rewrite_like_ecs();
    let terraform = terraform_binaries().remove(0);
    let workspace = Workspace::new(&terraform, &proxy.endpoint());
    let files = corpus("valid");
    assert!(files.len() >= 60);
    let mut config = String::from(HEADER);
    for (index, (_, document)) in files.iter().enumerate() {
        config.push('\n');
        config.push_str(&template(index, document, workspace.path()));
        config.push('\n');
    }
    workspace.write("main.tf", &config);
    let output = workspace.run(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=4",
    ]);
    assert!(
        output.success(),
        "apply of {} corpus templates failed:\n{}",
        files.len(),
        output.combined()
    );
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    if code != 0 {
        let names: Vec<String> = files
            .iter()
            .enumerate()
            .map(|(i, (name, _))| format!("c{i} = {name}"))
            .collect();
        panic!(
            "second plan is not clean (exit {code}):\n{}\n{}",
            names.join("\n"),
            output.combined()
        );
    }
}

#[test]
fn every_invalid_corpus_file_is_rejected_at_plan_time() {
    let moto = Moto::start();
    let terraform = terraform_binaries().remove(0);
    let mut accepted = Vec::new();
    for (index, (name, document)) in corpus("invalid").iter().enumerate() {
        let workspace = Workspace::new(&terraform, &moto.endpoint());
        let config = format!(
            "{HEADER}\n{}\n",
            template(index, document, workspace.path())
        );
        workspace.write("main.tf", &config);
        let output = workspace.run(&["plan", "-input=false", "-no-color"]);
        if output.success() {
            accepted.push(name.clone());
        } else {
            eprintln!(
                "{name}: {}",
                output
                    .stderr
                    .lines()
                    .find(|l| l.contains("Error:"))
                    .unwrap_or_default()
            );
        }
    }
    // Tags written as a JSON object are wrong only in the API's JSON shape: HCL has a single
    // shape for tags (a map), so that file's one problem cannot be written in HCL at all.
    let inexpressible =
        ["AmaliTech-Training-Academy__talentradar-config-server-rw__.aws_task-definition.json"];
    accepted.retain(|name| !inexpressible.contains(&name.as_str()));
    assert!(accepted.is_empty(), "accepted at plan time: {accepted:?}");
}

/// The file as a `task_definition` document, byte for byte, except where ECS needs a real
/// value the file leaves to another tool (the same substitutions as the argument form).
fn document_text(name: &str, dir: &std::path::Path, index: usize) -> String {
    let path = repo_root()
        .join("tests/corpus")
        .join(if dir.ends_with("invalid") {
            "invalid"
        } else {
            "valid"
        })
        .join(name);
    let mut text = std::fs::read_to_string(path).unwrap();
    text = text
        .replace("\"${TASK_CPU}\"", "\"256\"")
        .replace("\"${TASK_MEMORY}\"", "\"512\"");
    if name.starts_with("NASA-ACROSS") {
        text = text.replacen('{', "{\"memory\": \"512\",", 1);
    }
    let file = format!("document-{index}.json");
    std::fs::write(dir.join(&file), text).unwrap();
    file
}

#[test]
fn every_valid_corpus_document_applies_and_plans_clean_even_after_ecs_rewrites_it() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.rewrite_like_ecs();
    let terraform = terraform_binaries().remove(0);
    let workspace = Workspace::new(&terraform, &proxy.endpoint());
    let files = corpus("valid");
    let mut config = String::from(HEADER);
    let marker = workspace.path().join("valid");
    std::fs::create_dir_all(&marker).unwrap();
    for (index, (name, _)) in files.iter().enumerate() {
        let file = document_text(name, &marker, index);
        config.push_str(&format!(
            "\nresource \"ecstpl_template\" \"d{index}\" {{\n  family          = \"document-{index}\"\n  task_definition = file(\"valid/{file}\")\n}}\n"
        ));
    }
    workspace.write("main.tf", &config);
    let output = workspace.run(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-no-color",
        "-parallelism=4",
    ]);
    assert!(
        output.success(),
        "apply of {} corpus documents failed:\n{}",
        files.len(),
        output.combined()
    );
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    if code != 0 {
        let names: Vec<String> = files
            .iter()
            .enumerate()
            .map(|(i, (name, _))| format!("d{i} = {name}"))
            .collect();
        panic!(
            "second plan is not clean (exit {code}):\n{}\n{}",
            names.join("\n"),
            output.combined()
        );
    }
}

#[test]
fn every_invalid_corpus_document_is_rejected_at_plan_time_for_its_problem() {
    let expected = [
        ("AmaliTech", "Invalid tags"),
        ("CS3219", "Empty image"),
        (
            "Oxford",
            "Privileged containers are not supported on Fargate",
        ),
        ("XYOracle", "Empty image"),
        ("YAPP", "Missing image"),
        ("keenethics", "Missing image"),
        ("nekochans", "Empty image"),
    ];
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let terraform = terraform_binaries().remove(0);
    let files = corpus("invalid");
    assert_eq!(files.len(), expected.len());
    let mut failures = Vec::new();
    for (index, (name, _)) in files.iter().enumerate() {
        let (_, summary) = expected
            .iter()
            .find(|(prefix, _)| name.starts_with(prefix))
            .unwrap();
        let workspace = Workspace::new(&terraform, &proxy.endpoint());
        let dir = workspace.path().join("invalid");
        std::fs::create_dir_all(&dir).unwrap();
        let file = document_text(name, &dir, index);
        workspace.write(
            "main.tf",
            &format!("{HEADER}\nresource \"ecstpl_template\" \"bad\" {{\n  family          = \"document\"\n  task_definition = file(\"invalid/{file}\")\n}}\n"),
        );
        let output = workspace.run(&["plan", "-input=false", "-no-color"]);
        let text = output.combined();
        if output.success() || !text.contains(&format!("Error: {summary}")) {
            failures.push(format!("{name}: expected {summary:?}\n{text}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert_eq!(proxy.write_calls(), Vec::<String>::new());
}
