//! Semantic normalization: the canonical form of container definitions in which everything
//! ECS rewrites on registration compares equal to what the user wrote. Used only to compare;
//! nothing normalized is ever sent to ECS or stored.

use serde_json::{Map, Value as Json};

use crate::taskdef::{Container, Context};

/// List fields where an empty list equals an absent one and empty elements are dropped.
pub(crate) const LIST_FIELDS: &[&str] = &[
    "command",
    "entryPoint",
    "environment",
    "environmentFiles",
    "secrets",
    "mountPoints",
    "volumesFrom",
    "portMappings",
    "dependsOn",
    "links",
    "dnsServers",
    "dnsSearchDomains",
    "extraHosts",
    "dockerSecurityOptions",
    "ulimits",
    "systemControls",
    "resourceRequirements",
    "credentialSpecs",
];

/// Health check timing ECS fills in when the user leaves it out.
const HEALTH_CHECK_DEFAULTS: &[(&str, i64)] = &[("interval", 30), ("retries", 3), ("timeout", 5)];

/// True when ECS would treat both lists of container definitions as the same.
pub fn containers_equivalent(a: &[Container], b: &[Container], context: &Context) -> bool {
    normalize_containers(a, context) == normalize_containers(b, context)
}

/// Every container normalized, sorted by name (ECS does not keep the order meaningful).
pub fn normalize_containers(containers: &[Container], context: &Context) -> Json {
    let mut normalized: Vec<Json> = containers
        .iter()
        .map(|c| Json::Object(normalize_container(c, context)))
        .collect();
    normalized.sort_by(|a, b| container_name(a).cmp(container_name(b)));
    Json::Array(normalized)
}

fn container_name(container: &Json) -> &str {
    container
        .get("name")
        .and_then(Json::as_str)
        .unwrap_or_default()
}

/// One container in canonical form.
pub fn normalize_container(container: &Container, context: &Context) -> Container {
    let mut out = Map::new();
    for (key, value) in container {
        if value.is_null() {
            continue;
        }
        let value = if LIST_FIELDS.contains(&key.as_str()) {
            match normalize_list(key, value, context) {
                Some(list) => list,
                None => continue,
            }
        } else {
            drop_nulls(value)
        };
        out.insert(key.clone(), value);
    }
    // `essential` defaults to true.
    out.entry("essential").or_insert(Json::Bool(true));
    // A container cpu of 0 is what ECS stores for "no reservation".
    if out.get("cpu").and_then(Json::as_i64) == Some(0) {
        out.remove("cpu");
    }
    if let Some(Json::Object(health)) = out.get_mut("healthCheck") {
        for (field, default) in HEALTH_CHECK_DEFAULTS {
            health.entry(*field).or_insert(Json::from(*default));
        }
    }
    out
}

fn normalize_list(key: &str, value: &Json, context: &Context) -> Option<Json> {
    let Json::Array(items) = value else {
        // Not a list: leave it for validation to report, compare it as written.
        return Some(drop_nulls(value));
    };
    let mut items: Vec<Json> = items
        .iter()
        .filter(|item| !is_empty_element(item))
        .map(|item| match key {
            "portMappings" => normalize_port_mapping(item, context),
            _ => drop_nulls(item),
        })
        .collect();
    if items.is_empty() {
        return None;
    }
    if key == "environment" || key == "secrets" {
        // ECS returns these sorted by name; sort by the whole entry so duplicate names stay
        // distinguishable and the order is total.
        items.sort_by_key(|item| {
            (
                item.get("name")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string(),
                item.to_string(),
            )
        });
    }
    Some(Json::Array(items))
}

fn is_empty_element(item: &Json) -> bool {
    match item {
        Json::Null => true,
        Json::String(s) => s.is_empty(),
        Json::Object(object) => object.values().all(Json::is_null),
        _ => false,
    }
}

fn normalize_port_mapping(mapping: &Json, context: &Context) -> Json {
    let Json::Object(mapping) = drop_nulls(mapping) else {
        return mapping.clone();
    };
    let mut mapping = mapping;
    if mapping.get("protocol").and_then(Json::as_str) == Some("tcp") {
        mapping.remove("protocol");
    }
    if mapping.get("hostPort").and_then(Json::as_i64) == Some(0) {
        mapping.remove("hostPort");
    }
    // Under awsvpc the host port is the container port; ECS fills it in. Under bridge an
    // absent host port means a dynamic one, which is different from any fixed port.
    if context.is_awsvpc()
        && !mapping.contains_key("hostPort")
        && let Some(container_port) = mapping.get("containerPort").cloned()
    {
        mapping.insert("hostPort".into(), container_port);
    }
    Json::Object(mapping)
}

/// The value with null object members removed at every depth (null means absent).
pub(crate) fn drop_nulls(value: &Json) -> Json {
    match value {
        Json::Object(object) => Json::Object(
            object
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), drop_nulls(v)))
                .collect(),
        ),
        Json::Array(items) => Json::Array(items.iter().map(drop_nulls).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn containers(value: Json) -> Vec<Container> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_object().unwrap().clone())
            .collect()
    }

    fn equivalent(a: Json, b: Json, network_mode: Option<&str>) -> bool {
        let context = Context {
            network_mode: network_mode.map(str::to_string),
            requires_compatibilities: vec![],
        };
        containers_equivalent(&containers(a), &containers(b), &context)
    }

    #[test]
    fn essential_absent_is_true_but_false_is_a_real_change() {
        assert!(equivalent(
            json!([{"name": "a"}]),
            json!([{"name": "a", "essential": true}]),
            None
        ));
        assert!(!equivalent(
            json!([{"name": "a"}]),
            json!([{"name": "a", "essential": false}]),
            None
        ));
    }

    #[test]
    fn cpu_zero_is_absent_other_values_are_not() {
        assert!(equivalent(
            json!([{"name": "a"}]),
            json!([{"name": "a", "cpu": 0}]),
            None
        ));
        assert!(!equivalent(
            json!([{"name": "a"}]),
            json!([{"name": "a", "cpu": 128}]),
            None
        ));
    }

    #[test]
    fn empty_lists_and_nulls_equal_absent() {
        let user = json!([{"name": "a", "command": null, "links": []}]);
        let aws = json!([{"name": "a", "mountPoints": [], "volumesFrom": [], "environment": [],
                          "secrets": [], "systemControls": [], "portMappings": []}]);
        assert!(equivalent(user, aws, None));
        assert!(!equivalent(
            json!([{"name": "a"}]),
            json!([{"name": "a", "command": ["run"]}]),
            None
        ));
    }

    #[test]
    fn environment_and_secrets_order_does_not_matter() {
        let user = json!([{"name": "a", "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]}]);
        let aws = json!([{"name": "a", "environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}]);
        assert!(equivalent(user, aws, None));
        let changed = json!([{"name": "a", "environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}]}]);
        assert!(!equivalent(
            json!([{"name": "a", "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]}]),
            changed,
            None
        ));
    }

    #[test]
    fn duplicate_environment_names_stay_distinguishable() {
        let a = json!([{"name": "c", "environment": [{"name": "X", "value": "1"}, {"name": "X", "value": "2"}]}]);
        let b = json!([{"name": "c", "environment": [{"name": "X", "value": "2"}, {"name": "X", "value": "1"}]}]);
        let c = json!([{"name": "c", "environment": [{"name": "X", "value": "1"}, {"name": "X", "value": "1"}]}]);
        assert!(equivalent(a.clone(), b, None));
        assert!(!equivalent(a, c, None));
    }

    #[test]
    fn container_order_does_not_matter() {
        assert!(equivalent(
            json!([{"name": "b"}, {"name": "a"}]),
            json!([{"name": "a"}, {"name": "b"}]),
            None
        ));
    }

    #[test]
    fn port_mapping_defaults() {
        let user = json!([{"name": "a", "portMappings": [{"containerPort": 80}]}]);
        let awsvpc = json!([{"name": "a", "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}]}]);
        assert!(equivalent(user.clone(), awsvpc.clone(), Some("awsvpc")));
        // Under bridge an absent host port is dynamic: not the same as a fixed port 80.
        assert!(!equivalent(user.clone(), awsvpc, Some("bridge")));
        let bridge = json!([{"name": "a", "portMappings": [{"containerPort": 80, "hostPort": 0, "protocol": "tcp"}]}]);
        assert!(equivalent(user.clone(), bridge, Some("bridge")));
        let udp =
            json!([{"name": "a", "portMappings": [{"containerPort": 80, "protocol": "udp"}]}]);
        assert!(!equivalent(user, udp, Some("bridge")));
    }

    #[test]
    fn health_check_timing_defaults() {
        let user = json!([{"name": "a", "healthCheck": {"command": ["CMD", "true"]}}]);
        let aws = json!([{"name": "a", "healthCheck": {"command": ["CMD", "true"], "interval": 30, "retries": 3, "timeout": 5}}]);
        assert!(equivalent(user.clone(), aws, None));
        let changed =
            json!([{"name": "a", "healthCheck": {"command": ["CMD", "true"], "interval": 10}}]);
        assert!(!equivalent(user, changed, None));
    }
}
