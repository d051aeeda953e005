//! Semantic normalization: the canonical form of a task definition in which everything ECS
//! rewrites on registration ([`crate::taskdef::rules::RULES`], each with its source) compares
//! equal to what the user wrote. Used only to compare — plan against prior state, import,
//! drift, `ecstpl diff` — never to build what is sent to ECS or stored in state. The rule ids
//! in comments point into that table.

use serde_json::{Map, Value as Json};

use crate::taskdef::{
    CONTAINER_DEFAULTS, Container, Context, DefaultValue, READ_ONLY_FIELDS, TASK_DEFAULTS,
    default_of, defaults_under, normalize_cpu, normalize_memory,
};

/// Health check timing ECS fills in when the user leaves it out (C13).
fn health_check_defaults() -> impl Iterator<Item = (&'static str, DefaultValue)> {
    defaults_under(CONTAINER_DEFAULTS, &["healthCheck"])
}

/// A container field's default (C1, C9), from the one table of defaults.
fn container_default(path: &[&str]) -> Option<DefaultValue> {
    default_of(CONTAINER_DEFAULTS, path)
}

/// Task-level fields that say who owns a revision rather than what it is.
const OWNERSHIP_FIELDS: &[&str] = &["family", "tags"];

/// True when ECS would treat both lists of container definitions as the same.
pub fn containers_equivalent(a: &[Container], b: &[Container], context: &Context) -> bool {
    normalize_containers(a, context) == normalize_containers(b, context)
}

/// Every container in canonical form, sorted by name: ECS does not keep the order (C15).
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

/// Removes what means "not set" at every depth: nulls (C16), empty lists (C3–C5, C14) and
/// empty objects (T8). None when nothing is left.
pub(crate) fn clean(value: &Json) -> Option<Json> {
    match value {
        Json::Null => None,
        Json::Array(items) => {
            let items: Vec<Json> = items.iter().filter_map(clean).collect();
            (!items.is_empty()).then_some(Json::Array(items))
        }
        Json::Object(object) => {
            let object: Map<String, Json> = object
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), clean(v)?)))
                .collect();
            (!object.is_empty()).then_some(Json::Object(object))
        }
        other => Some(other.clone()),
    }
}

/// One container in canonical form.
pub fn normalize_container(container: &Container, context: &Context) -> Container {
    let mut out = Map::new();
    for (key, value) in container {
        let Some(value) = clean(value) else {
            continue;
        };
        let value = match (key.as_str(), value) {
            ("portMappings", Json::Array(mappings)) => Json::Array(
                mappings
                    .iter()
                    .map(|m| normalize_port_mapping(m, context))
                    .collect(),
            ),
            ("environment", Json::Array(entries)) => {
                // C12: an entry without a value is dropped.
                let mut entries: Vec<Json> = entries
                    .into_iter()
                    .filter(|e| {
                        e.get("value")
                            .and_then(Json::as_str)
                            .is_some_and(|v| !v.is_empty())
                    })
                    .collect();
                if entries.is_empty() {
                    continue;
                }
                sort_by_name(&mut entries);
                Json::Array(entries)
            }
            ("secrets", Json::Array(mut entries)) => {
                sort_by_name(&mut entries);
                Json::Array(entries)
            }
            ("healthCheck", Json::Object(mut health)) => {
                for (field, default) in health_check_defaults() {
                    health.entry(field).or_insert(default.to_json());
                }
                Json::Object(health)
            }
            (_, value) => value,
        };
        out.insert(key.clone(), value);
    }
    // C1: `essential` defaults to true.
    if let Some(essential) = container_default(&["essential"]) {
        out.entry("essential").or_insert(essential.to_json());
    }
    // C2: a container cpu of 0 is what ECS stores for "no reservation".
    if out.get("cpu").and_then(Json::as_i64) == Some(0) {
        out.remove("cpu");
    }
    without_firelens_defaults(&mut out);
    without_documented_defaults(&mut out);
    out
}

/// Container fields whose documented default means the same as leaving them out (C19), from
/// the one table of defaults.
fn without_documented_defaults(container: &mut Container) {
    for field in ["versionConsistency"] {
        if let Some(default) = container_default(&[field])
            && container
                .get(field)
                .is_some_and(|value| default.matches(value))
        {
            container.remove(field);
        }
    }
}

/// What ECS fills in on a FireLens log router (a container with `firelensConfiguration`),
/// removed. C17: registered without `user`, it is stored with `"0"`, the only user ECS
/// accepts there. C18: `enable-ecs-log-metadata` is on unless it is `"false"`.
fn without_firelens_defaults(container: &mut Container) {
    let Some(Json::Object(firelens)) = container.get_mut("firelensConfiguration") else {
        return;
    };
    if let Some(Json::Object(options)) = firelens.get_mut("options") {
        if options
            .get("enable-ecs-log-metadata")
            .and_then(Json::as_str)
            == Some("true")
        {
            options.remove("enable-ecs-log-metadata");
        }
        if options.is_empty() {
            firelens.remove("options");
        }
    }
    if container.get("user").and_then(Json::as_str) == Some("0") {
        container.remove("user");
    }
}

/// C10, C11: ECS does not keep the order; sort by name, then by the whole entry so that
/// duplicate names stay distinguishable and the order is total.
fn sort_by_name(entries: &mut [Json]) {
    entries.sort_by_key(|entry| {
        (
            entry
                .get("name")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_string(),
            entry.to_string(),
        )
    });
}

fn is_default_protocol(mapping: &Map<String, Json>) -> bool {
    container_default(&["portMappings", "protocol"])
        .zip(mapping.get("protocol"))
        .is_some_and(|(default, value)| default.matches(value))
}

fn normalize_port_mapping(mapping: &Json, context: &Context) -> Json {
    let Json::Object(mapping) = mapping else {
        return mapping.clone();
    };
    let mut mapping = mapping.clone();
    // C9: tcp is the default protocol.
    if is_default_protocol(&mapping) {
        mapping.remove("protocol");
    }
    // C8: host port 0 is a dynamic host port, as is none.
    if mapping.get("hostPort").and_then(Json::as_i64) == Some(0) {
        mapping.remove("hostPort");
    }
    // C6, C7: under awsvpc and host the host port is the container port. Under bridge an
    // absent host port is dynamic, which differs from any fixed port.
    if context.host_port_is_container_port()
        && !mapping.contains_key("hostPort")
        && let Some(container_port) = mapping.get("containerPort").cloned()
    {
        mapping.insert("hostPort".into(), container_port);
    }
    Json::Object(mapping)
}

/// The context a whole definition gives its containers.
pub(crate) fn context_of(definition: &Map<String, Json>) -> Context {
    Context {
        network_mode: definition
            .get("networkMode")
            .and_then(Json::as_str)
            .map(str::to_string),
        requires_compatibilities: definition
            .get("requiresCompatibilities")
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// A whole task definition in canonical form: read-only fields (T12) and ownership (family,
/// tags) aside, task-level rewrites undone, containers by name.
pub fn normalize_task_definition(definition: &Map<String, Json>) -> Map<String, Json> {
    let mut definition = definition.clone();
    crate::taskdef::without_empty_enums(&mut definition);
    let definition = &definition;
    let mut out = Map::new();
    for (key, value) in definition {
        if READ_ONLY_FIELDS.contains(&key.as_str())
            || OWNERSHIP_FIELDS.contains(&key.as_str())
            || key == "containerDefinitions"
        {
            continue;
        }
        if let Some(value) = normalize_task_field(key, value) {
            out.insert(key.clone(), value);
        }
    }
    // T3: no network mode is bridge mode.
    if let Some(mode) = default_of(TASK_DEFAULTS, &["networkMode"]) {
        out.entry("networkMode").or_insert(mode.to_json());
    }
    let containers = crate::taskdef::render::containers(definition);
    out.insert(
        "containerDefinitions".into(),
        normalize_containers(&containers, &context_of(definition)),
    );
    out
}

fn normalize_task_field(key: &str, value: &Json) -> Option<Json> {
    match (key, value.as_str()) {
        // T1, T2: sizes are stored in units.
        ("cpu", Some(text)) => return normalize_cpu(text).map(Json::from).or_else(|| clean(value)),
        ("memory", Some(text)) => {
            return normalize_memory(text)
                .map(Json::from)
                .or_else(|| clean(value));
        }
        _ => {}
    }
    let value = without_false(&clean(value)?)?;
    match (key, value) {
        ("requiresCompatibilities", Json::Array(mut items)) => {
            // A set: the order means nothing.
            items.sort_by_key(Json::to_string);
            items.dedup();
            Some(Json::Array(items))
        }
        ("volumes", Json::Array(volumes)) => {
            let volumes: Vec<Json> = volumes.iter().filter_map(normalize_volume).collect();
            (!volumes.is_empty()).then_some(Json::Array(volumes))
        }
        ("proxyConfiguration", Json::Object(mut proxy)) => {
            // T11: APPMESH is the only type.
            if default_of(TASK_DEFAULTS, &["proxyConfiguration", "type"])
                .zip(proxy.get("type"))
                .is_some_and(|(default, value)| default.matches(value))
            {
                proxy.remove("type");
            }
            if let Some(Json::Array(properties)) = proxy.get_mut("properties") {
                sort_by_name(properties);
            }
            Some(Json::Object(proxy))
        }
        (_, value) => Some(value),
    }
}

/// Task-level flags all default to false (T5, T7, Docker `autoprovision`): false is absent.
fn without_false(value: &Json) -> Option<Json> {
    match value {
        Json::Bool(false) => None,
        Json::Array(items) => {
            let items: Vec<Json> = items.iter().filter_map(without_false).collect();
            (!items.is_empty()).then_some(Json::Array(items))
        }
        Json::Object(object) => {
            let object: Map<String, Json> = object
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), without_false(v)?)))
                .collect();
            (!object.is_empty()).then_some(Json::Object(object))
        }
        other => Some(other.clone()),
    }
}

fn normalize_volume(volume: &Json) -> Option<Json> {
    let Json::Object(volume) = volume else {
        return Some(volume.clone());
    };
    let mut volume = volume.clone();
    // T6, T9, T10: a value equal to its default is the same as none; the flags among them
    // are false, which `without_false` has already dropped.
    for configuration in ["efsVolumeConfiguration", "dockerVolumeConfiguration"] {
        if let Some(Json::Object(inner)) = volume.get_mut(configuration) {
            for (field, default) in defaults_under(TASK_DEFAULTS, &["volumes", configuration]) {
                if inner.get(field).is_some_and(|v| default.matches(v)) {
                    inner.remove(field);
                }
            }
        }
    }
    if let Some(Json::Object(efs)) = volume.get_mut("efsVolumeConfiguration")
        && let Some(Json::Object(authorization)) = efs.get_mut("authorizationConfig")
    {
        let path = ["volumes", "efsVolumeConfiguration", "authorizationConfig"];
        for (field, default) in defaults_under(TASK_DEFAULTS, &path) {
            if authorization.get(field).is_some_and(|v| default.matches(v)) {
                authorization.remove(field);
            }
        }
        if authorization.is_empty() {
            efs.remove("authorizationConfig");
        }
    }
    clean(&Json::Object(volume))
}

/// A live container without what ECS added as pure defaults, keeping ECS's order of keys and
/// entries: how an imported revision is written into state, close to what users write.
pub(crate) fn minimal_container(container: &Container, context: &Context) -> Container {
    let mut out = Map::new();
    for (key, value) in container {
        let Some(mut value) = clean(value) else {
            continue;
        };
        match (key.as_str(), &mut value) {
            ("essential", v) if container_default(&["essential"]).is_some_and(|d| d.matches(v)) => {
                continue;
            }
            ("cpu", v) if v.as_i64() == Some(0) => continue,
            ("portMappings", Json::Array(mappings)) => {
                for mapping in mappings.iter_mut().filter_map(Json::as_object_mut) {
                    if is_default_protocol(mapping) {
                        mapping.remove("protocol");
                    }
                    let host = mapping.get("hostPort").and_then(Json::as_i64);
                    let container_port = mapping.get("containerPort").and_then(Json::as_i64);
                    if host == Some(0)
                        || (context.host_port_is_container_port() && host == container_port)
                    {
                        mapping.remove("hostPort");
                    }
                }
            }
            ("healthCheck", Json::Object(health)) => {
                for (field, default) in health_check_defaults() {
                    if health.get(field).is_some_and(|v| default.matches(v)) {
                        health.remove(field);
                    }
                }
            }
            _ => {}
        }
        out.insert(key.clone(), value);
    }
    if out.contains_key("firelensConfiguration")
        && out.get("user").and_then(Json::as_str) == Some("0")
    {
        // C17: ECS's own addition on a log router, not the user's.
        out.remove("user");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taskdef::rules::{RULES, Scope};
    use serde_json::json;

    fn object(text: &str) -> Map<String, Json> {
        serde_json::from_str(text).unwrap()
    }

    fn containers(value: Json) -> Vec<Container> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_object().unwrap().clone())
            .collect()
    }

    #[test]
    fn every_rule_example_is_equivalent_and_its_real_change_is_not() {
        for rule in RULES {
            let user = normalize_task_definition(&object(rule.example_user));
            let stored = normalize_task_definition(&object(rule.example_stored));
            let changed = normalize_task_definition(&object(rule.example_changed));
            assert_eq!(user, stored, "{}: {}", rule.id, rule.field);
            assert_ne!(user, changed, "{}: the real change went unseen", rule.id);
            // Every example is a definition ECS accepts.
            for example in [rule.example_user, rule.example_changed] {
                let mut definition = object(example);
                definition.insert("family".into(), Json::from("example"));
                crate::taskdef::strip_read_only(&mut definition);
                let errors: Vec<_> = crate::taskdef::validate_task_definition(&definition, &[])
                    .into_iter()
                    .filter(|p| !p.warning)
                    .collect();
                assert!(errors.is_empty(), "{}: {errors:?}", rule.id);
            }
        }
    }

    #[test]
    fn every_rule_has_a_source_and_the_ids_are_unique() {
        let mut ids = std::collections::BTreeSet::new();
        for rule in RULES {
            assert!(ids.insert(rule.id), "duplicate {}", rule.id);
            assert!(
                rule.sources.iter().all(|s| s.starts_with("https://")),
                "{}",
                rule.id
            );
            assert!(!rule.sources.is_empty());
            let prefix = if rule.scope == Scope::Container {
                "C"
            } else {
                "T"
            };
            assert!(rule.id.starts_with(prefix));
        }
    }

    #[test]
    fn bridge_keeps_an_absent_host_port_dynamic() {
        let context = |mode: &str| Context {
            network_mode: Some(mode.into()),
            requires_compatibilities: vec![],
        };
        let user = containers(json!([{"name": "a", "portMappings": [{"containerPort": 80}]}]));
        let fixed = containers(
            json!([{"name": "a", "portMappings": [{"containerPort": 80, "hostPort": 80}]}]),
        );
        assert!(!containers_equivalent(&user, &fixed, &context("bridge")));
        assert!(containers_equivalent(&user, &fixed, &context("host")));
        assert!(containers_equivalent(&user, &fixed, &context("awsvpc")));
    }

    #[test]
    fn empty_strings_in_commands_are_kept() {
        let context = Context::default();
        let a = containers(json!([{"name": "a", "command": ["echo", ""]}]));
        let b = containers(json!([{"name": "a", "command": ["echo"]}]));
        assert!(!containers_equivalent(&a, &b, &context));
    }

    #[test]
    fn duplicate_environment_names_stay_distinguishable() {
        let context = Context::default();
        let a = containers(
            json!([{"name": "c", "environment": [{"name": "X", "value": "1"}, {"name": "X", "value": "2"}]}]),
        );
        let b = containers(
            json!([{"name": "c", "environment": [{"name": "X", "value": "2"}, {"name": "X", "value": "1"}]}]),
        );
        let c = containers(
            json!([{"name": "c", "environment": [{"name": "X", "value": "1"}, {"name": "X", "value": "1"}]}]),
        );
        assert!(containers_equivalent(&a, &b, &context));
        assert!(!containers_equivalent(&a, &c, &context));
    }

    #[test]
    fn minimal_form_drops_only_defaults_and_means_the_same() {
        let context = Context {
            network_mode: Some("awsvpc".into()),
            requires_compatibilities: vec![],
        };
        let live = containers(
            json!([{"name": "app", "image": "x", "essential": true, "cpu": 0,
            "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
            "mountPoints": [], "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
            "healthCheck": {"command": ["CMD", "true"], "interval": 30, "timeout": 5, "retries": 3}}]),
        );
        let minimal: Vec<Container> = live
            .iter()
            .map(|c| minimal_container(c, &context))
            .collect();
        assert_eq!(
            Json::Array(minimal.iter().cloned().map(Json::Object).collect()),
            json!([{"name": "app", "image": "x", "portMappings": [{"containerPort": 80}],
                "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
                "healthCheck": {"command": ["CMD", "true"]}}])
        );
        assert!(containers_equivalent(&minimal, &live, &context));
    }
}
