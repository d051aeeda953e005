//! Rendering and drift: the task definition a deploy registers is the template revision with
//! the images injected — every other field and value carried through — and "drift" is any
//! difference between a live revision and that rendering other than images.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json};

use crate::taskdef::normalize::normalize_task_definition;
use crate::taskdef::strip_read_only;

/// The template's definition with read-only fields stripped and `images` (container name →
/// image) injected. Containers not named keep the template's image. `family` and `tags` are
/// the caller's to set.
pub fn render(
    template: &Map<String, Json>,
    images: &BTreeMap<String, String>,
) -> Map<String, Json> {
    let mut rendered = template.clone();
    strip_read_only(&mut rendered);
    crate::taskdef::without_empty_enums(&mut rendered);
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

/// The container definitions of a whole definition (entries that are not objects skipped).
pub(crate) fn containers(definition: &Map<String, Json>) -> Vec<Map<String, Json>> {
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

/// Where `live` differs from `expected` other than in images and ownership fields, as paths
/// like `memory` or `containerDefinitions[app].environment`. Sorted; empty when in line.
pub fn drift(expected: &Map<String, Json>, live: &Map<String, Json>) -> Vec<String> {
    differences(expected, live, false)
}

/// A fingerprint of what a definition means to ECS: SHA-256 of its canonical form (the form
/// [`task_definitions_equivalent`] compares, keys sorted), hex. Equal for two definitions ECS
/// would store the same way, so a registered revision can be recognised from what ECS returns.
pub fn definition_digest(definition: &Map<String, Json>) -> String {
    use sha2::Digest;
    let canonical = sort_keys(&Json::Object(normalize_task_definition(definition)));
    let digest = sha2::Sha256::digest(canonical.to_string().as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// `value` with the keys of every object in sorted order (for text that only depends on
/// meaning, not on the order fields came in).
pub fn sort_keys(value: &Json) -> Json {
    match value {
        Json::Object(map) => {
            let sorted: BTreeMap<&String, Json> =
                map.iter().map(|(k, v)| (k, sort_keys(v))).collect();
            Json::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Json::Array(items) => Json::Array(items.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

/// Hand edits of a deployed revision: where `live` differs from the template rendered with
/// its images. A revision that carries `digest` (what ecstpl registered, overlay included)
/// and still means exactly that has none: what ecstpl itself deployed is never drift.
pub fn hand_edits(
    template: &Map<String, Json>,
    live: &Map<String, Json>,
    digest: Option<&str>,
) -> Vec<String> {
    if digest.is_some_and(|digest| digest == definition_digest(live)) {
        return Vec::new();
    }
    drift(&render(template, &images(live)), live)
}

/// True when ECS would treat both task definitions as the same (images included; family,
/// tags and read-only fields aside).
pub fn task_definitions_equivalent(a: &Map<String, Json>, b: &Map<String, Json>) -> bool {
    normalize_task_definition(a) == normalize_task_definition(b)
}

/// Where two task definitions differ in meaning, as paths (see [`drift`]).
pub fn differences(
    expected: &Map<String, Json>,
    live: &Map<String, Json>,
    compare_images: bool,
) -> Vec<String> {
    let expected = normalize_task_definition(expected);
    let live = normalize_task_definition(live);
    let mut paths = BTreeSet::new();
    let keys: BTreeSet<&String> = expected.keys().chain(live.keys()).collect();
    for key in keys {
        if key != "containerDefinitions" && expected.get(key) != live.get(key) {
            paths.insert(key.clone());
        }
    }
    let by_name = |definition: &Map<String, Json>| -> BTreeMap<String, Map<String, Json>> {
        containers(definition)
            .into_iter()
            .map(|c| {
                let name = c
                    .get("name")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string();
                (name, c)
            })
            .collect()
    };
    let expected_containers = by_name(&expected);
    let live_containers = by_name(&live);
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
