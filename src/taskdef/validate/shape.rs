//! The shape of a document and the entry points of validation: JSON syntax and kinds, known
//! keys (with a suggestion for a misspelt one), required fields, names, the limits on a whole
//! definition (its size, ten containers, fifty tags), essential containers and memory; then
//! every other rule family ([`super::ecs_checks`] and the modules beside it, and the JSON types
//! of [`super::types`]) on the same document. Sources: the RegisterTaskDefinition and
//! ContainerDefinition pages of the ECS API reference.

use std::collections::BTreeSet;

use serde_json::{Map, Value as Json};

use super::{PathSegment, Problem, ecs_checks, types};
use crate::taskdef::document::json_kind;
use crate::taskdef::{Container, Context, ParseError, parse_container_definitions};

/// ECS's limit on a whole task definition.
const MAX_DEFINITION_BYTES: usize = 64 * 1024;
const MAX_CONTAINERS: usize = 10;
const MAX_TAGS: usize = 50;

/// Every key ContainerDefinition has in the ECS API.
const CONTAINER_KEYS: &[&str] = &[
    "name",
    "image",
    "repositoryCredentials",
    "cpu",
    "memory",
    "memoryReservation",
    "links",
    "portMappings",
    "essential",
    "restartPolicy",
    "entryPoint",
    "command",
    "environment",
    "environmentFiles",
    "mountPoints",
    "volumesFrom",
    "linuxParameters",
    "secrets",
    "dependsOn",
    "startTimeout",
    "stopTimeout",
    "versionConsistency",
    "hostname",
    "user",
    "workingDirectory",
    "disableNetworking",
    "privileged",
    "readonlyRootFilesystem",
    "dnsServers",
    "dnsSearchDomains",
    "extraHosts",
    "dockerSecurityOptions",
    "interactive",
    "pseudoTerminal",
    "dockerLabels",
    "ulimits",
    "logConfiguration",
    "healthCheck",
    "systemControls",
    "resourceRequirements",
    "firelensConfiguration",
    "credentialSpecs",
];

const PORT_MAPPING_KEYS: &[&str] = &[
    "containerPort",
    "hostPort",
    "protocol",
    "name",
    "appProtocol",
    "containerPortRange",
];
const KEY_VALUE_KEYS: &[&str] = &["name", "value"];
const SECRET_KEYS: &[&str] = &["name", "valueFrom"];
const LOG_CONFIGURATION_KEYS: &[&str] = &["logDriver", "options", "secretOptions"];
const HEALTH_CHECK_KEYS: &[&str] = &["command", "interval", "timeout", "retries", "startPeriod"];

/// Keys of a RegisterTaskDefinition request (plus read-only fields of described revisions).
const TASK_KEYS: &[&str] = &[
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "tags",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
    "enableFaultInjection",
];

fn suggestion(key: &str, known: &[&str]) -> Option<&'static str> {
    let lower = key.to_ascii_lowercase();
    known
        .iter()
        .map(|candidate| {
            let score = if candidate.to_ascii_lowercase() == lower {
                1.0
            } else {
                strsim::jaro_winkler(&lower, &candidate.to_ascii_lowercase())
            };
            (score, *candidate)
        })
        .filter(|(score, _)| *score >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        // The known lists are 'static; find the same string there.
        .and_then(|(_, candidate)| {
            [
                CONTAINER_KEYS,
                PORT_MAPPING_KEYS,
                KEY_VALUE_KEYS,
                SECRET_KEYS,
                LOG_CONFIGURATION_KEYS,
                HEALTH_CHECK_KEYS,
                TASK_KEYS,
            ]
            .iter()
            .flat_map(|list| list.iter())
            .find(|k| **k == candidate)
            .copied()
        })
}

fn check_keys(
    object: &Map<String, Json>,
    known: &[&str],
    path: &[PathSegment],
    what: &str,
    problems: &mut Vec<Problem>,
) {
    for key in object.keys() {
        if known.contains(&key.as_str()) {
            continue;
        }
        let mut at = path.to_vec();
        at.push(PathSegment::Key(key.clone()));
        let detail = match suggestion(key, known) {
            Some(candidate) => format!("{what} has no key {key:?}. Did you mean {candidate:?}?"),
            None => format!(
                "{what} has no key {key:?}. Keys are case-sensitive and camelCase, as in the ECS API."
            ),
        };
        problems.push(Problem::new(at, "Unknown key", detail));
    }
}

fn check_list_of_objects(
    container: &Map<String, Json>,
    key: &str,
    known: &[&str],
    required: &[&str],
    path: &[PathSegment],
    problems: &mut Vec<Problem>,
) {
    let Some(value) = container.get(key).filter(|v| !v.is_null()) else {
        return;
    };
    let mut at = path.to_vec();
    at.push(PathSegment::Key(key.to_string()));
    let Some(items) = value.as_array() else {
        problems.push(Problem::new(
            at,
            format!("Invalid {key}"),
            format!("{key} must be a list of objects, not {}.", json_kind(value)),
        ));
        return;
    };
    for (index, item) in items.iter().enumerate() {
        let mut item_path = at.clone();
        item_path.push(PathSegment::Index(index));
        let Some(object) = item.as_object() else {
            if !item.is_null() {
                problems.push(Problem::new(
                    item_path,
                    format!("Invalid {key} entry"),
                    format!(
                        "each {key} entry must be an object, not {}.",
                        json_kind(item)
                    ),
                ));
            }
            continue;
        };
        check_keys(
            object,
            known,
            &item_path,
            &format!("a {key} entry"),
            problems,
        );
        for field in required {
            if object.get(*field).is_none_or(Json::is_null) {
                let mut field_path = item_path.clone();
                field_path.push(PathSegment::Key(field.to_string()));
                problems.push(Problem::new(
                    field_path,
                    format!("Missing {field} in {key}"),
                    format!("each {key} entry needs {field:?}."),
                ));
            }
        }
    }
}

fn string_field<'a>(container: &'a Map<String, Json>, key: &str) -> Option<&'a str> {
    container.get(key).and_then(Json::as_str)
}

/// Checks container definitions text as written in `container_definitions` on its own:
/// syntax and shape, then [`validate_containers`] (for the whole-definition rules, use
/// [`validate_task_definition`]).
pub fn validate_container_definitions(text: &str, context: &Context) -> Vec<Problem> {
    match parse_containers_text(text) {
        Ok(containers) => validate_containers(&containers, context),
        Err(problem) => vec![problem],
    }
}

/// Parses `container_definitions` text, or the problem to report (with line and column).
pub fn parse_containers_text(text: &str) -> Result<Vec<Container>, Problem> {
    match parse_container_definitions(text) {
        Ok(containers) => Ok(containers),
        Err(err @ ParseError::Syntax { .. }) => {
            Err(Problem::new(Vec::new(), "Invalid JSON", err.to_string()))
        }
        Err(err) => Err(Problem::new(
            Vec::new(),
            "Not a list of container definitions",
            err.to_string(),
        )),
    }
}

/// The checks of each container and of the list, paths relative to the list.
pub fn validate_containers(containers: &[Container], context: &Context) -> Vec<Problem> {
    let mut problems = Vec::new();
    if containers.is_empty() {
        problems.push(Problem::new(
            Vec::new(),
            "No containers",
            "a task definition needs at least one container.",
        ));
    }
    if containers.len() > MAX_CONTAINERS {
        problems.push(Problem::new(
            Vec::new(),
            "Too many containers",
            format!(
                "{} containers; ECS allows at most {MAX_CONTAINERS} per task definition.",
                containers.len()
            ),
        ));
    }
    let mut names = BTreeSet::new();
    let mut any_essential = false;
    for (index, container) in containers.iter().enumerate() {
        let path = vec![PathSegment::Index(index)];
        let at = |key: &str| {
            let mut p = path.clone();
            p.push(PathSegment::Key(key.to_string()));
            p
        };
        check_keys(
            container,
            CONTAINER_KEYS,
            &path,
            &format!("container {index}"),
            &mut problems,
        );
        match container.get("name") {
            Some(Json::String(name)) if !name.trim().is_empty() => {
                if !names.insert(name.clone()) {
                    problems.push(Problem::new(
                        at("name"),
                        "Duplicate container name",
                        format!("more than one container is named {name:?}; names must be unique."),
                    ));
                }
            }
            Some(other) if !other.is_null() => problems.push(Problem::new(
                at("name"),
                "Invalid container name",
                format!("name must be a non-empty string, not {}.", json_kind(other)),
            )),
            _ => problems.push(Problem::new(
                at("name"),
                "Missing container name",
                format!("container {index} has no \"name\"."),
            )),
        }
        let label = string_field(container, "name").map_or_else(
            || format!("container {index}"),
            |n| format!("container {n:?}"),
        );
        match container.get("image") {
            Some(Json::String(image)) if !image.trim().is_empty() => {}
            Some(Json::String(_)) => problems.push(Problem::new(at("image"), "Empty image", format!("{label} has an empty \"image\"; a template needs a placeholder image (CI replaces it), e.g. \"placeholder\"."))),
            Some(other) if !other.is_null() => problems.push(Problem::new(at("image"), "Invalid image", format!("image must be a string, not {}.", json_kind(other)))),
            _ => problems.push(Problem::new(at("image"), "Missing image", format!("{label} has no \"image\"; a template needs a placeholder image (CI replaces it), e.g. \"placeholder\"."))),
        }
        match container.get("essential") {
            None | Some(Json::Null) | Some(Json::Bool(true)) => any_essential = true,
            Some(Json::Bool(false)) => {}
            Some(other) => problems.push(Problem::new(
                at("essential"),
                "Invalid essential",
                format!("essential must be true or false, not {}.", json_kind(other)),
            )),
        }
        for key in [
            "cpu",
            "memory",
            "memoryReservation",
            "startTimeout",
            "stopTimeout",
        ] {
            if let Some(value) = container.get(key).filter(|v| !v.is_null())
                && value.as_i64().is_none_or(|n| n < 0)
            {
                problems.push(Problem::new(
                    at(key),
                    format!("Invalid {key}"),
                    format!("{key} must be a whole number, not {value}."),
                ));
            }
        }
        for key in [
            "privileged",
            "readonlyRootFilesystem",
            "disableNetworking",
            "interactive",
            "pseudoTerminal",
        ] {
            if let Some(value) = container
                .get(key)
                .filter(|v| !v.is_null() && !v.is_boolean())
            {
                problems.push(Problem::new(
                    at(key),
                    format!("Invalid {key}"),
                    format!("{key} must be true or false, not {}.", json_kind(value)),
                ));
            }
        }
        if context.is_fargate() && container.get("privileged") == Some(&Json::Bool(true)) {
            problems.push(Problem::new(at("privileged"), "Privileged containers are not supported on Fargate", format!("{label} sets \"privileged\": true, which ECS rejects for FARGATE; remove it or drop FARGATE from requires_compatibilities.")));
        }
        for key in [
            "command",
            "entryPoint",
            "links",
            "dnsServers",
            "dnsSearchDomains",
            "dockerSecurityOptions",
        ] {
            if let Some(value) = container.get(key).filter(|v| !v.is_null())
                && !value
                    .as_array()
                    .is_some_and(|items| items.iter().all(|i| i.is_string() || i.is_null()))
            {
                problems.push(Problem::new(
                    at(key),
                    format!("Invalid {key}"),
                    format!("{key} must be a list of strings."),
                ));
            }
        }
        check_list_of_objects(
            container,
            "environment",
            KEY_VALUE_KEYS,
            &["name"],
            &path,
            &mut problems,
        );
        check_list_of_objects(
            container,
            "secrets",
            SECRET_KEYS,
            &["name", "valueFrom"],
            &path,
            &mut problems,
        );
        check_list_of_objects(
            container,
            "portMappings",
            PORT_MAPPING_KEYS,
            &[],
            &path,
            &mut problems,
        );
        for (key, known) in [
            ("logConfiguration", LOG_CONFIGURATION_KEYS),
            ("healthCheck", HEALTH_CHECK_KEYS),
        ] {
            match container.get(key) {
                Some(Json::Object(object)) => {
                    check_keys(object, known, &at(key), key, &mut problems)
                }
                Some(Json::Null) | None => {}
                Some(other) => problems.push(Problem::new(
                    at(key),
                    format!("Invalid {key}"),
                    format!("{key} must be an object, not {}.", json_kind(other)),
                )),
            }
        }
    }
    if !containers.is_empty() && !any_essential {
        problems.push(Problem::new(Vec::new(), "No essential container", "every container sets \"essential\": false; ECS requires at least one essential container."));
    }
    problems
}

/// A tag ECS accepts: key 1–128 characters, value up to 256, both of letters, digits,
/// spaces and `_ . : / = + - @`, and no key with the reserved `aws:` prefix (the ECS API's
/// Tag shape).
pub fn check_tag(key: &str, value: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c);
    if key.is_empty() {
        return Err("a tag key may not be empty".into());
    }
    if key.chars().count() > 128 {
        return Err(format!("the tag key {key:?} is longer than 128 characters"));
    }
    if value.chars().count() > 256 {
        return Err(format!(
            "the value of tag {key:?} is longer than 256 characters"
        ));
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err(format!(
            "the tag key {key:?} starts with \"aws:\", which AWS reserves"
        ));
    }
    if let Some(bad) = key.chars().chain(value.chars()).find(|c| !allowed(*c)) {
        return Err(format!(
            "tag {key:?} has {bad:?}; tags may hold letters, digits, spaces and _ . : / = + - @"
        ));
    }
    Ok(())
}

/// A family name: 1–255 letters, digits, hyphens and underscores.
pub fn validate_family(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 255 {
        return Err(format!("{name:?} must be 1 to 255 characters long."));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(format!(
            "{name:?} contains {bad:?}; a family may hold only letters, digits, hyphens and underscores."
        ));
    }
    Ok(())
}

/// Every check of a whole task definition (RegisterTaskDefinition input as JSON), container
/// checks included: the one entry point for both input forms of `ecstpl_template` and for
/// `ecstpl render`, so they cannot disagree. `unknown` lists top-level keys whose value is not
/// known yet (at plan time); checks that need them are skipped.
pub fn validate_task_definition(definition: &Map<String, Json>, unknown: &[&str]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let known = |k: &str| !unknown.contains(&k);
    let key = |k: &str| vec![PathSegment::Key(k.to_string())];
    check_keys(
        definition,
        TASK_KEYS,
        &[],
        "a task definition",
        &mut problems,
    );
    match definition.get("family").and_then(Json::as_str) {
        Some(family) => {
            if let Err(message) = validate_family(family) {
                problems.push(Problem::new(key("family"), "Invalid family", message));
            }
        }
        None if known("family") => problems.push(Problem::new(
            key("family"),
            "Missing family",
            "a task definition needs a \"family\".",
        )),
        None => {}
    }
    let size = Json::Object(definition.clone()).to_string().len();
    if size > MAX_DEFINITION_BYTES {
        problems.push(Problem::new(
            key("containerDefinitions"),
            "Task definition too large",
            format!("{size} bytes; ECS accepts at most 64 KiB for a whole task definition."),
        ));
    }
    let context = crate::taskdef::normalize::context_of(definition);
    let task_memory_absent = definition.get("memory").is_none_or(Json::is_null) && known("memory");
    match definition.get("containerDefinitions") {
        Some(Json::Array(items)) => {
            let mut containers = Vec::new();
            for (index, item) in items.iter().enumerate() {
                match item {
                    Json::Object(container) => containers.push(container.clone()),
                    other => problems.push(Problem::new(
                        vec![
                            PathSegment::Key("containerDefinitions".into()),
                            PathSegment::Index(index),
                        ],
                        "Not a list of container definitions",
                        format!(
                            "container definition {index} is {} instead of an object",
                            json_kind(other)
                        ),
                    )),
                }
            }
            let mut found = validate_containers(&containers, &context);
            if task_memory_absent {
                found.extend(missing_memory(&containers));
            }
            for mut problem in found {
                problem
                    .path
                    .insert(0, PathSegment::Key("containerDefinitions".into()));
                problems.push(problem);
            }
        }
        None if !known("containerDefinitions") => {}
        _ => problems.push(Problem::new(
            key("containerDefinitions"),
            "Missing containerDefinitions",
            "a task definition needs a \"containerDefinitions\" list.",
        )),
    }
    match definition.get("tags") {
        None | Some(Json::Null) => {}
        Some(Json::Array(tags)) => {
            if tags.len() > MAX_TAGS {
                problems.push(Problem::new(
                    key("tags"),
                    "Too many tags",
                    format!("{} tags; ECS allows at most {MAX_TAGS}.", tags.len()),
                ));
            }
            for (index, tag) in tags.iter().enumerate() {
                let at = vec![PathSegment::Key("tags".into()), PathSegment::Index(index)];
                match tag.get("key").and_then(Json::as_str) {
                    None | Some("") => problems.push(Problem::new(
                        at,
                        "Invalid tag",
                        "each tag needs a non-empty \"key\".",
                    )),
                    Some(key) => {
                        let value = tag.get("value").and_then(Json::as_str).unwrap_or_default();
                        if let Err(message) = check_tag(key, value) {
                            problems.push(Problem::new(at, "Invalid tag", message));
                        }
                    }
                }
            }
        }
        Some(other) => problems.push(Problem::new(
            key("tags"),
            "Invalid tags",
            format!(
                "tags must be a list of {{\"key\": …, \"value\": …}} objects, not {}.",
                json_kind(other)
            ),
        )),
    }
    let mut sizes_valid = true;
    for (field, normalize, what) in [
        (
            "cpu",
            crate::taskdef::normalize_cpu as fn(&str) -> Option<String>,
            "CPU size: use CPU units (\"256\") or vCPUs (\".25 vCPU\", \"1 vCPU\")",
        ),
        (
            "memory",
            crate::taskdef::normalize_memory,
            "memory size: use MiB (\"512\") or GB (\".5 GB\", \"2 GB\")",
        ),
    ] {
        match definition.get(field) {
            None | Some(Json::Null) => {}
            Some(Json::String(text)) if normalize(text).is_some() => {}
            Some(other) => {
                sizes_valid = false;
                let shown = other
                    .as_str()
                    .map_or_else(|| other.to_string(), |t| format!("{t:?}"));
                problems.push(Problem::new(
                    key(field),
                    format!("Invalid {field}"),
                    format!("{shown} is not a {what}."),
                ));
            }
        }
    }
    problems.extend(ecs_checks::check(definition, &context, unknown));
    if context.is_fargate() && known("requiresCompatibilities") {
        // A missing size has no line of its own to point at; the launch type that needs it has.
        for field in ["cpu", "memory"] {
            if definition.get(field).is_none_or(Json::is_null) && known(field) {
                problems.push(Problem::new(
                    key("requiresCompatibilities"),
                    format!("Fargate needs a task {field}"),
                    "requires_compatibilities includes FARGATE, which requires task-level cpu and memory.",
                ));
            }
        }
        if let (true, Some(cpu), Some(memory)) = (
            sizes_valid,
            definition.get("cpu").and_then(Json::as_str),
            definition.get("memory").and_then(Json::as_str),
        ) && let Err(message) = crate::taskdef::validate_fargate_size(cpu, memory)
        {
            problems.push(Problem::new(
                key("memory"),
                "Invalid Fargate task size",
                message,
            ));
        }
        if known("networkMode")
            && definition.get("networkMode").and_then(Json::as_str) != Some("awsvpc")
        {
            problems.push(Problem::new(
                key("networkMode"),
                "Fargate needs awsvpc",
                "Tasks on FARGATE must use network mode \"awsvpc\" (network_mode = \"awsvpc\").",
            ));
        }
    }
    // One problem per place: a value another check already refused (`essential: "yes"`,
    // `cpu: 256` at task level) is not reported twice.
    for problem in types::check_task_definition(definition) {
        if !problems.iter().any(|p| p.path == problem.path) {
            problems.push(problem);
        }
    }
    problems
}

/// ECS refuses a container without memory or memoryReservation unless the task sets memory.
fn missing_memory(containers: &[Container]) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (index, container) in containers.iter().enumerate() {
        let has = |key: &str| container.get(key).is_some_and(|v| !v.is_null());
        if !has("memory") && !has("memoryReservation") {
            let name = container.get("name").and_then(Json::as_str).unwrap_or("?");
            problems.push(Problem::new(
                vec![PathSegment::Index(index)],
                "Missing memory",
                format!(
                    "container {name:?} sets neither memory nor memoryReservation, and the task sets no memory; ECS requires one of them. Set the task's memory, or the container's."
                ),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<Problem> {
        validate_container_definitions(text, &Context::default())
    }

    fn fargate() -> Context {
        Context {
            network_mode: Some("awsvpc".into()),
            requires_compatibilities: vec!["FARGATE".into()],
        }
    }

    #[test]
    fn unknown_keys_suggest_the_right_one() {
        for (typo, expected) in [
            ("imagee", "image"),
            ("Image", "image"),
            ("portmappings", "portMappings"),
        ] {
            let text = format!(r#"[{{"name": "a", "image": "x", "{typo}": 1}}]"#);
            let found = problems(&text);
            assert_eq!(found.len(), 1, "{typo}: {found:?}");
            assert!(
                found[0]
                    .detail
                    .contains(&format!("Did you mean {expected:?}")),
                "{:?}",
                found[0]
            );
            assert_eq!(
                found[0].path,
                vec![PathSegment::Index(0), PathSegment::Key(typo.into())]
            );
        }
    }

    #[test]
    fn missing_name_and_image_and_duplicates() {
        assert!(
            problems(r#"[{"image": "x"}]"#)
                .iter()
                .any(|p| p.summary == "Missing container name")
        );
        assert!(
            problems(r#"[{"name": "a"}]"#)
                .iter()
                .any(|p| p.summary == "Missing image")
        );
        assert!(
            problems(r#"[{"name": "a", "image": ""}]"#)
                .iter()
                .any(|p| p.summary == "Empty image")
        );
        assert!(
            problems(r#"[{"name": "a", "image": "x"}, {"name": "a", "image": "y"}]"#)
                .iter()
                .any(|p| p.summary == "Duplicate container name")
        );
    }

    #[test]
    fn essential_container_and_limits() {
        assert!(
            problems(r#"[{"name": "a", "image": "x", "essential": false}]"#)
                .iter()
                .any(|p| p.summary == "No essential container")
        );
        let many: Vec<String> = (0..11)
            .map(|i| format!(r#"{{"name": "c{i}", "image": "x"}}"#))
            .collect();
        assert!(
            problems(&format!("[{}]", many.join(",")))
                .iter()
                .any(|p| p.summary == "Too many containers")
        );
        let big = format!(
            r#"{{"family": "web", "containerDefinitions": [{{"name": "a", "image": "x", "memory": 64, "command": ["{}"]}}]}}"#,
            "y".repeat(70_000)
        );
        let big: Map<String, Json> = serde_json::from_str(&big).unwrap();
        assert!(
            validate_task_definition(&big, &[])
                .iter()
                .any(|p| p.summary == "Task definition too large")
        );
    }

    #[test]
    fn wrong_shapes_are_reported_with_paths() {
        let found = problems(r#"[{"name": "a", "image": "x", "environment": {"A": "1"}}]"#);
        assert_eq!(
            found[0].path,
            vec![
                PathSegment::Index(0),
                PathSegment::Key("environment".into())
            ]
        );
        let found = problems(r#"[{"name": "a", "image": "x", "environment": [{"value": "1"}]}]"#);
        assert_eq!(found[0].summary, "Missing name in environment");
        assert!(
            problems("{")
                .iter()
                .any(|p| p.summary == "Invalid JSON" && p.detail.contains("line 1"))
        );
        assert!(
            problems(r#"{"name": "a"}"#)
                .iter()
                .any(|p| p.summary == "Not a list of container definitions")
        );
    }

    #[test]
    fn privileged_is_rejected_on_fargate_only() {
        let text = r#"[{"name": "a", "image": "x", "privileged": true}]"#;
        assert!(
            validate_container_definitions(text, &fargate())
                .iter()
                .any(|p| p.summary.contains("Privileged"))
        );
        assert!(problems(text).is_empty());
    }

    #[test]
    fn family_names() {
        assert!(validate_family("web-template_2").is_ok());
        assert!(validate_family("").is_err());
        assert!(validate_family("web:1").unwrap_err().contains("':'"));
        assert!(validate_family(&"a".repeat(256)).is_err());
    }

    fn corpus(set: &str) -> Vec<(String, String)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/corpus")
            .join(set);
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read_to_string(&p).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn every_invalid_corpus_file_is_rejected_for_its_real_problem() {
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
        let files = corpus("invalid");
        assert_eq!(files.len(), expected.len());
        for (name, text) in files {
            let (_, summary) = expected
                .iter()
                .find(|(prefix, _)| name.starts_with(prefix))
                .unwrap();
            let document = crate::taskdef::parse_task_definition_document(&text).unwrap();
            let found = validate_task_definition(&document, &[]);
            assert!(
                found.iter().any(|p| p.summary == *summary),
                "{name}: expected {summary:?}, got {found:#?}"
            );
        }
    }
}
