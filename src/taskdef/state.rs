//! What goes to ECS and what an import writes into Terraform state. Registration sends the
//! user's definitions as written (nulls aside); an imported revision is written in its minimal
//! form, without the defaults ECS added, so it reads like what users write and compares equal
//! to it.

use serde_json::Value as Json;

use crate::taskdef::normalize::{clean, minimal_container};
use crate::taskdef::{Container, Context};

/// The container definitions text for the state of an imported revision.
pub fn imported_container_definitions(live: &[Container], context: &Context) -> String {
    Json::Array(
        live.iter()
            .map(|c| Json::Object(minimal_container(c, context)))
            .collect(),
    )
    .to_string()
}

/// The containerDefinitions to register: explicit nulls removed (ECS treats them as absent;
/// some implementations reject them), everything else verbatim.
pub fn containers_for_register(containers: &[Container]) -> Json {
    Json::Array(
        containers
            .iter()
            .map(|c| without_nulls(&Json::Object(c.clone())))
            .collect(),
    )
}

/// Any JSON value without null object members (null means absent).
pub fn without_nulls(value: &Json) -> Json {
    match value {
        Json::Object(object) => Json::Object(
            object
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Json::Array(items) => Json::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// Enum-valued fields where some SDKs (Go's, behind ecspresso and `describe` dumps) write
/// `""` for "not set": task-level and in containers, and in port mappings.
const ENUM_FIELDS: &[&str] = &["pidMode", "ipcMode", "networkMode"];
const CONTAINER_ENUM_FIELDS: &[&str] = &["versionConsistency"];
const PORT_ENUM_FIELDS: &[&str] = &["appProtocol", "protocol"];

/// The definition without the `""` enum values that mean "not set": what ecstpl registers,
/// so a document dumped by such a tool registers as that tool would register it.
pub fn without_empty_enums(definition: &mut serde_json::Map<String, Json>) {
    let empty = |v: &Json| v.as_str() == Some("");
    definition.retain(|k, v| !(ENUM_FIELDS.contains(&k.as_str()) && empty(v)));
    if let Some(Json::Array(containers)) = definition.get_mut("containerDefinitions") {
        for container in containers.iter_mut().filter_map(Json::as_object_mut) {
            container.retain(|k, v| !(CONTAINER_ENUM_FIELDS.contains(&k.as_str()) && empty(v)));
            if let Some(Json::Array(mappings)) = container.get_mut("portMappings") {
                for mapping in mappings.iter_mut().filter_map(Json::as_object_mut) {
                    mapping.retain(|k, v| !(PORT_ENUM_FIELDS.contains(&k.as_str()) && empty(v)));
                }
            }
        }
    }
}

/// Whether a value means "not set" (null, or empty at every depth).
pub fn is_absent(value: &Json) -> bool {
    clean(value).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taskdef::{containers_equivalent, parse_container_definitions};
    use serde_json::json;

    fn containers(value: Json) -> Vec<Container> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_object().unwrap().clone())
            .collect()
    }

    #[test]
    fn import_drops_aws_defaults_and_means_the_same() {
        let awsvpc = Context {
            network_mode: Some("awsvpc".into()),
            requires_compatibilities: vec!["FARGATE".into()],
        };
        let live = containers(
            json!([{"name": "app", "image": "x", "essential": true, "cpu": 0,
            "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
            "mountPoints": [], "environment": [{"name": "A", "value": "1"}]}]),
        );
        let state = imported_container_definitions(&live, &awsvpc);
        assert_eq!(
            state,
            r#"[{"name":"app","image":"x","portMappings":[{"containerPort":80}],"environment":[{"name":"A","value":"1"}]}]"#
        );
        let reparsed = parse_container_definitions(&state).unwrap();
        assert!(containers_equivalent(&reparsed, &live, &awsvpc));
    }

    #[test]
    fn register_payload_drops_nulls_only() {
        let defs = containers(json!([{"name": "a", "image": "x", "portMappings": null,
            "logConfiguration": {"logDriver": "awslogs", "secretOptions": null}, "essential": true}]));
        assert_eq!(
            containers_for_register(&defs),
            json!([{"name": "a", "image": "x", "logConfiguration": {"logDriver": "awslogs"}, "essential": true}])
        );
    }
}
