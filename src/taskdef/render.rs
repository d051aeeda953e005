//! Rendering and drift: the task definition a deploy registers is the template revision with
//! the images injected — every other field and value carried through — and "drift" is any
//! difference between a live revision and that rendering other than images.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json};

use crate::taskdef::normalize::normalize_container;
use crate::taskdef::{Context, READ_ONLY_FIELDS, normalize_cpu, normalize_memory, strip_read_only};

/// The template's definition with read-only fields stripped and `images` (container name →
/// image) injected. Containers not named keep the template's image. `family` and `tags` are
/// the caller's to set.
pub fn render(
    template: &Map<String, Json>,
    images: &BTreeMap<String, String>,
) -> Map<String, Json> {
    let mut rendered = template.clone();
    strip_read_only(&mut rendered);
    if let Some(Json::Array(containers)) = rendered.get_mut("containerDefinitions") {
        for container in containers.iter_mut().filter_map(Json::as_object_mut) {
            let name = container
                .get("name")
                .and_then(Json::as_str)
                .unwrap_or_default();
            if let Some(image) = images.get(name) {
                container.insert("image".into(), Json::from(image.clone()));
            }
        }
    }
    rendered
}

/// Container name → image of a definition.
pub fn images(definition: &Map<String, Json>) -> BTreeMap<String, String> {
    containers(definition)
        .into_iter()
        .filter_map(|c| {
            let name = c.get("name")?.as_str()?.to_string();
            let image = c.get("image")?.as_str()?.to_string();
            Some((name, image))
        })
        .collect()
}

fn containers(definition: &Map<String, Json>) -> Vec<Map<String, Json>> {
    definition
        .get("containerDefinitions")
        .and_then(Json::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|c| c.as_object().cloned())
                .collect()
        })
        .unwrap_or_default()
}

/// Task-level fields that are not part of what a revision means (besides the read-only ones):
/// the family and tags say who owns it; containers are compared one by one.
const NOT_COMPARED: &[&str] = &["family", "tags", "containerDefinitions"];

/// A task-level value in comparable form: null and empty lists are absent, sizes are numbers.
fn comparable(key: &str, value: Option<&Json>) -> Option<Json> {
    // ECS stores "bridge" for a definition registered without a network mode.
    if key == "networkMode" && value.is_none_or(Json::is_null) {
        return Some(Json::from("bridge"));
    }
    let value = value.filter(|v| !v.is_null())?;
    let normalized = match (key, value.as_str()) {
        ("cpu", Some(text)) => normalize_cpu(text).map(Json::from),
        ("memory", Some(text)) => normalize_memory(text).map(Json::from),
        _ => None,
    };
    normalized.or_else(|| without_defaults(value))
}

/// Values ECS fills in inside task-level objects (volumes, proxy configuration) when they are
/// left out.
const TASK_LEVEL_DEFAULTS: &[(&str, &str)] = &[
    ("rootDirectory", "/"),
    ("transitEncryption", "DISABLED"),
    ("iam", "DISABLED"),
    ("scope", "task"),
    ("type", "APPMESH"),
];

/// A task-level value without what means "not set": nulls, `false` (every task-level flag
/// defaults to false), empty lists and objects, and the defaults ECS fills in.
fn without_defaults(value: &Json) -> Option<Json> {
    match value {
        Json::Null | Json::Bool(false) => None,
        Json::Array(items) => {
            let items: Vec<Json> = items.iter().filter_map(without_defaults).collect();
            (!items.is_empty()).then_some(Json::Array(items))
        }
        Json::Object(object) => {
            let object: Map<String, Json> = object
                .iter()
                .filter(|(k, v)| {
                    !TASK_LEVEL_DEFAULTS
                        .iter()
                        .any(|(key, default)| k == key && v.as_str() == Some(default))
                })
                .filter_map(|(k, v)| Some((k.clone(), without_defaults(v)?)))
                .collect();
            (!object.is_empty()).then_some(Json::Object(object))
        }
        other => Some(other.clone()),
    }
}

/// Where `live` differs from `expected` other than in images and ownership fields, as paths
/// like `memory` or `containerDefinitions[app].environment`. Sorted; empty when in line.
pub fn drift(expected: &Map<String, Json>, live: &Map<String, Json>) -> Vec<String> {
    differences(expected, live, false)
}

/// True when ECS would treat both task definitions as the same (images included; family,
/// tags and read-only fields aside).
pub fn task_definitions_equivalent(a: &Map<String, Json>, b: &Map<String, Json>) -> bool {
    differences(a, b, true).is_empty()
}

fn differences(
    expected: &Map<String, Json>,
    live: &Map<String, Json>,
    compare_images: bool,
) -> Vec<String> {
    let mut paths = BTreeSet::new();
    let keys: BTreeSet<&String> = expected.keys().chain(live.keys()).collect();
    for key in keys {
        if NOT_COMPARED.contains(&key.as_str()) || READ_ONLY_FIELDS.contains(&key.as_str()) {
            continue;
        }
        if comparable(key, expected.get(key)) != comparable(key, live.get(key)) {
            paths.insert(key.clone());
        }
    }
    let context = Context {
        network_mode: live
            .get("networkMode")
            .and_then(Json::as_str)
            .map(str::to_string),
        requires_compatibilities: Vec::new(),
    };
    let by_name = |definition: &Map<String, Json>| -> BTreeMap<String, Map<String, Json>> {
        containers(definition)
            .into_iter()
            .map(|c| {
                let name = c
                    .get("name")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string();
                (name, normalize_container(&c, &context))
            })
            .collect()
    };
    let expected_containers = by_name(expected);
    let live_containers = by_name(live);
    for (name, wanted) in &expected_containers {
        let Some(actual) = live_containers.get(name) else {
            paths.insert(format!("containerDefinitions[{name}]"));
            continue;
        };
        let keys: BTreeSet<&String> = wanted.keys().chain(actual.keys()).collect();
        for key in keys {
            if (compare_images || key != "image") && wanted.get(key) != actual.get(key) {
                paths.insert(format!("containerDefinitions[{name}].{key}"));
            }
        }
    }
    for name in live_containers.keys() {
        if !expected_containers.contains_key(name) {
            paths.insert(format!("containerDefinitions[{name}]"));
        }
    }
    paths.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn definition(value: Json) -> Map<String, Json> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn render_injects_images_and_keeps_everything_else() {
        let template = definition(json!({
            "taskDefinitionArn": "arn:x:1", "revision": 1, "status": "ACTIVE", "family": "web-template",
            "pidMode": "task", "ipcMode": "none", "futureField": {"a": 1},
            "containerDefinitions": [
                {"name": "app", "image": "placeholder", "environment": [{"name": "A", "value": "1"}]},
                {"name": "sidecar", "image": "envoy:1"}
            ]
        }));
        let images = BTreeMap::from([("app".to_string(), "repo:v1".to_string())]);
        let rendered = render(&template, &images);
        assert!(!rendered.contains_key("taskDefinitionArn"));
        assert!(!rendered.contains_key("revision"));
        assert_eq!(rendered["pidMode"], "task");
        assert_eq!(rendered["futureField"], json!({"a": 1}));
        assert_eq!(rendered["containerDefinitions"][0]["image"], "repo:v1");
        assert_eq!(rendered["containerDefinitions"][1]["image"], "envoy:1");
        assert_eq!(
            super::images(&rendered),
            BTreeMap::from([
                ("app".into(), "repo:v1".into()),
                ("sidecar".into(), "envoy:1".into())
            ])
        );
    }

    #[test]
    fn drift_ignores_images_ownership_and_aws_defaults() {
        let expected = definition(
            json!({"family": "web-template", "cpu": ".25 vCPU", "networkMode": "awsvpc",
            "containerDefinitions": [{"name": "app", "image": "placeholder", "portMappings": [{"containerPort": 80}]}]}),
        );
        let live = definition(
            json!({"family": "web", "cpu": "256", "networkMode": "awsvpc", "revision": 9,
            "volumes": [], "containerDefinitions": [{"name": "app", "image": "repo:v1", "essential": true, "cpu": 0,
            "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}]}]}),
        );
        assert!(
            drift(&expected, &live).is_empty(),
            "{:?}",
            drift(&expected, &live)
        );
    }

    #[test]
    fn equivalence_counts_images_and_ignores_defaults() {
        let a = definition(
            json!({"cpu": "1 vCPU", "containerDefinitions": [{"name": "app", "image": "x"}]}),
        );
        let b = definition(
            json!({"cpu": "1024", "networkMode": "bridge", "status": "ACTIVE",
            "containerDefinitions": [{"name": "app", "image": "x", "essential": true}]}),
        );
        assert!(task_definitions_equivalent(&a, &b));
        let c = definition(
            json!({"cpu": "1024", "containerDefinitions": [{"name": "app", "image": "y"}]}),
        );
        assert!(!task_definitions_equivalent(&a, &c));
    }

    #[test]
    fn drift_names_hand_edits() {
        let expected = definition(json!({"memory": "512",
            "containerDefinitions": [{"name": "app", "image": "x", "environment": [{"name": "A", "value": "1"}]}]}));
        let live = definition(json!({"memory": "1024",
            "containerDefinitions": [{"name": "app", "image": "y", "environment": [{"name": "A", "value": "2"}]},
                                     {"name": "debug", "image": "busybox"}]}));
        assert_eq!(
            drift(&expected, &live),
            vec![
                "containerDefinitions[app].environment",
                "containerDefinitions[debug]",
                "memory"
            ]
        );
    }
}
