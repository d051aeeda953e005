//! `moved` from the AWS provider's `aws_ecs_task_definition` (Terraform 1.8+): its state
//! becomes an `ecstpl_template`'s without a call to ECS and without registering anything.
//!
//! The AWS provider's arguments have ecstpl's names, but its state holds a value for every
//! argument its configuration left out: `""` for strings, `0` for numbers, `false` for flags,
//! `{}` for maps, `[]` for lists and sets, and the schema defaults (`root_directory = "/"`,
//! proxy `type = "APPMESH"`). An ecstpl configuration with the same arguments leaves those
//! null, so each is taken here as unset, or is a value ECS fills in that the plan rules
//! already treat as unset (`AbsentMeans` in the schema module). The audit, with its evidence,
//! is the table in docs/guides/migrating.md; `tests/it/migration.rs` runs it against the real
//! hashicorp/aws where it is installed.
//!
//! The AWS provider keeps `volume`, `placement_constraints` and `inference_accelerator` as
//! sets, which Terraform stores in an order of its own; ecstpl keeps them as lists in
//! configuration order. The moved lists are sorted by name, and until the first apply after
//! the move a plan takes a configuration that lists the same blocks in another order as the
//! same revision ([`same_revision_in_any_order`]): the order changes in place, registering
//! nothing.

use serde_json::{Map, Value as Json};

use crate::aws;
use crate::plugin::diag::Diagnostics;
use crate::plugin::framework::{MoveRequest, MoveResponse};
use crate::plugin::value::{Type, Value};
use crate::provider::template::attrs::*;
use crate::provider::template::private::Private;
use crate::provider::template::{identity, request, schema};

/// Attributes of the AWS provider's state whose zero value means "not set" (ECS has no value
/// for them), by name wherever they appear: `transit_encryption_port` (EFS: the provider
/// writes 0 when ECS returns none; 0 is no port ECS accepts).
const ZERO_IS_UNSET: &[&str] = &["transit_encryption_port"];

/// The set-backed blocks, and the attribute that keys (and sorts) their elements.
const SET_BLOCKS: &[(&str, &[&str])] = &[
    (VOLUME, &["name"]),
    (PLACEMENT_CONSTRAINTS, &["type", "expression"]),
    (INFERENCE_ACCELERATOR, &["device_name"]),
];

/// `moved` from `aws_ecs_task_definition`. Terraform moves state before it configures any
/// provider, so this reads nothing from ECS. The refresh that follows reads status and tags,
/// and the plan compares the configuration with the moved values semantically, so the first
/// plan shows only ecstpl's contract tags, added in place on the same revision.
pub(crate) fn move_state(request: MoveRequest) -> MoveResponse {
    let mut response = MoveResponse {
        state: Value::Null,
        private: Vec::new(),
        diagnostics: Diagnostics::new(),
    };
    let source = match identity::move_source(&request) {
        Ok(source) => source,
        Err(diagnostics) => {
            response.diagnostics = diagnostics;
            return response;
        }
    };
    let ty = schema::value_type();
    if let Err(diagnostics) = refuse_what_ecstpl_cannot_hold(&source.attributes, ty) {
        response.diagnostics = diagnostics;
        return response;
    }
    let attributes = source
        .attributes
        .into_iter()
        .map(|(key, value)| {
            let value = match (key.as_str(), value) {
                // Defaults of the AWS provider's own arguments: unset here.
                (REQUIRES_COMPATIBILITIES, Json::Array(items)) if items.is_empty() => Json::Null,
                (SKIP_DESTROY, Json::Bool(false)) => Json::Null,
                (TAGS, Json::Object(tags)) if tags.is_empty() => Json::Null,
                (_, value) => unset_as_null(value),
            };
            (key, value)
        })
        .collect::<Map<String, Json>>();
    let bytes = as_single_blocks(Json::Object(attributes), ty)
        .to_string()
        .into_bytes();
    let mut state = match crate::plugin::value::decode_json(&bytes, ty) {
        Ok(state) => super::with_empty_block_lists(state),
        Err(err) => {
            response.diagnostics.error(
                "Cannot move this aws_ecs_task_definition: its state does not fit ecstpl_template",
                err.to_string(),
            );
            return response;
        }
    };
    sort_set_blocks(&mut state);
    let family = state.get_attr(FAMILY).cloned().unwrap_or(Value::Null);
    state.set_attr(ID, family);
    state.set_attr(PENDING_DEREGISTRATION, Value::List(Vec::new()));
    let is_template = state
        .get_attr(TAGS_ALL)
        .and_then(|tags| tags.get_attr(aws::contract::TAG_ROLE))
        .and_then(Value::as_str)
        == Some(aws::contract::ROLE_TEMPLATE);
    response.state = state;
    response.private = Private {
        contract_tags_missing: !is_template,
        moved: true,
        ..Private::default()
    }
    .to_bytes();
    response
}

/// A volume type ecstpl has no block for (newer AWS provider versions may add one) would be
/// dropped by the move and lost at the next registration: refused with the reason instead.
fn refuse_what_ecstpl_cannot_hold(
    attributes: &Map<String, Json>,
    ty: &Type,
) -> Result<(), Diagnostics> {
    let Type::Object(types) = ty else {
        return Ok(());
    };
    let Some(Type::List(volume)) = types.get(VOLUME) else {
        return Ok(());
    };
    let Type::Object(volume) = volume.as_ref() else {
        return Ok(());
    };
    let volumes = attributes.get(VOLUME).and_then(Json::as_array);
    for volume_state in volumes.into_iter().flatten().filter_map(Json::as_object) {
        for (key, value) in volume_state {
            let set = match value {
                Json::Array(items) => !items.is_empty(),
                Json::Null => false,
                _ => true,
            };
            if set && !volume.contains_key(key) {
                return Err(Diagnostics::single_error(
                    "Cannot move this aws_ecs_task_definition: a volume ecstpl cannot hold",
                    format!(
                        "Volume {} has `{key}`, which ecstpl_template has no block for; moving it would drop it from the next revision. Keep this task definition in the AWS provider, or import the revision with an ecstpl version that knows `{key}`.",
                        volume_state.get("name").unwrap_or(&Json::Null)
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The AWS provider keeps a block of at most one (`ephemeral_storage`, `runtime_platform`,
/// `proxy_configuration`, the volume configurations) as a list of one; ecstpl as the block.
fn as_single_blocks(value: Json, ty: &Type) -> Json {
    match (value, ty) {
        (Json::Array(mut items), Type::Object(_)) if items.len() <= 1 => match items.pop() {
            Some(item) => as_single_blocks(item, ty),
            None => Json::Null,
        },
        (Json::Object(fields), Type::Object(types)) => Json::Object(
            fields
                .into_iter()
                .map(|(key, value)| {
                    let value = match types.get(&key) {
                        Some(ty) => as_single_blocks(value, ty),
                        None => value,
                    };
                    (key, value)
                })
                .collect(),
        ),
        (Json::Array(items), Type::List(element) | Type::Set(element)) => Json::Array(
            items
                .into_iter()
                .map(|item| as_single_blocks(item, element))
                .collect(),
        ),
        (other, _) => other,
    }
}

/// What the AWS provider writes for an argument left out, as null: "" for a string in
/// attributes and in blocks (lists of objects), and in blocks also `{}` for a map
/// (`driver_opts`, `labels`, proxy `properties`) and 0 for [`ZERO_IS_UNSET`]. A map with
/// entries keeps them as they are.
fn unset_as_null(value: Json) -> Json {
    match value {
        Json::String(text) if text.is_empty() => Json::Null,
        Json::Array(items) => Json::Array(
            items
                .into_iter()
                .map(|item| match item {
                    Json::Object(block) => Json::Object(
                        block
                            .into_iter()
                            .map(|(key, value)| {
                                let value = match value {
                                    Json::Object(map) if map.is_empty() => Json::Null,
                                    Json::Number(n)
                                        if n.as_i64() == Some(0)
                                            && ZERO_IS_UNSET.contains(&key.as_str()) =>
                                    {
                                        Json::Null
                                    }
                                    value => unset_as_null(value),
                                };
                                (key, value)
                            })
                            .collect(),
                    ),
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}

/// The sort key of a set-backed block's element.
fn element_key(element: &Value, keys: &[&str]) -> Vec<String> {
    keys.iter()
        .map(|key| {
            element
                .get_attr(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

/// Sorts the set-backed blocks of `state` by their keys.
fn sort_set_blocks(state: &mut Value) {
    for (block, keys) in SET_BLOCKS {
        if let Some(Value::List(items)) = state.get_attr_mut(block) {
            items.sort_by_key(|item| element_key(item, keys));
        }
    }
}

/// Whether `planned` and `prior` describe the same revision when the set-backed blocks may be
/// in another order: what a plan asks right after a move, before the configuration's order is
/// in state.
pub(crate) fn same_revision_in_any_order(planned: &Value, prior: &Value) -> bool {
    let (mut planned, mut prior) = (planned.clone(), prior.clone());
    sort_set_blocks(&mut planned);
    sort_set_blocks(&mut prior);
    request::same_revision(&planned, &prior)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use super::*;
    use crate::plugin::framework::{PlanRequest, Resource, plan_resource};
    use crate::plugin::schema::Mode;
    use crate::provider::Shared;
    use crate::provider::template::TemplateResource;
    use crate::provider::values;

    const LEGACY_ARN: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/legacy-web:1";

    /// The attributes hashicorp/aws 5.100.0 wrote for a task definition with an EFS, a Docker
    /// and a host volume configured with nothing optional (copied from the state of a real
    /// run against the emulator).
    fn aws_state() -> Json {
        serde_json::json!({
            "arn": LEGACY_ARN,
            "arn_without_revision": "arn:aws:ecs:us-east-1:123456789012:task-definition/legacy-web",
            "container_definitions": "[{\"environment\":[],\"essential\":true,\"image\":\"nginx:1.27\",\"memory\":128,\"mountPoints\":[{\"containerPath\":\"/data\",\"sourceVolume\":\"efs\"},{\"containerPath\":\"/cache\",\"sourceVolume\":\"docker\"},{\"containerPath\":\"/host\",\"sourceVolume\":\"host\"}],\"name\":\"app\",\"portMappings\":[{\"containerPort\":80}],\"volumesFrom\":[]}]",
            "cpu": "", "enable_fault_injection": false, "ephemeral_storage": [],
            "execution_role_arn": "", "family": "legacy-web", "id": "legacy-web",
            "inference_accelerator": [], "ipc_mode": "", "memory": "", "network_mode": "bridge",
            "pid_mode": "",
            "placement_constraints": [{"expression": "attribute:ecs.os-type == linux", "type": "memberOf"}],
            "proxy_configuration": [], "requires_compatibilities": null, "revision": 1,
            "runtime_platform": [], "skip_destroy": false, "tags": {"team": "web"},
            "tags_all": {"team": "web"}, "task_role_arn": "", "track_latest": false,
            "volume": [
                {"configure_at_launch": false,
                 "docker_volume_configuration": [{"autoprovision": false, "driver": "local", "driver_opts": {}, "labels": {}, "scope": ""}],
                 "efs_volume_configuration": [], "fsx_windows_file_server_volume_configuration": [],
                 "host_path": "", "name": "docker"},
                {"configure_at_launch": false, "docker_volume_configuration": [],
                 "efs_volume_configuration": [{"authorization_config": [], "file_system_id": "fs-12345678", "root_directory": "/", "transit_encryption": "", "transit_encryption_port": 0}],
                 "fsx_windows_file_server_volume_configuration": [], "host_path": "", "name": "efs"},
                {"configure_at_launch": false, "docker_volume_configuration": [],
                 "efs_volume_configuration": [], "fsx_windows_file_server_volume_configuration": [],
                 "host_path": "/var/data", "name": "host"}
            ]
        })
    }

    fn moved(state: Json) -> MoveResponse {
        move_state(MoveRequest {
            source_provider_address: "registry.terraform.io/hashicorp/aws".into(),
            source_type_name: "aws_ecs_task_definition".into(),
            source_schema_version: 1,
            source_state: state.to_string().into_bytes(),
        })
    }

    /// The same arguments in an ecstpl configuration, volumes in `order`.
    fn config(order: &[&str]) -> Value {
        let volume = |name: &str| match name {
            "efs" => {
                serde_json::json!({"name": "efs", "efs_volume_configuration": {"file_system_id": "fs-12345678"}})
            }
            "docker" => {
                serde_json::json!({"name": "docker", "docker_volume_configuration": {"driver": "local"}})
            }
            _ => serde_json::json!({"name": "host", "host_path": "/var/data"}),
        };
        let json = serde_json::json!({
            "family": "legacy-web",
            "network_mode": "bridge",
            "tags": {"team": "web"},
            "container_definitions": r#"[{"name":"app","image":"nginx:1.27","memory":128,"essential":true,"portMappings":[{"containerPort":80}],"mountPoints":[{"sourceVolume":"efs","containerPath":"/data"},{"sourceVolume":"docker","containerPath":"/cache"},{"sourceVolume":"host","containerPath":"/host"}]}]"#,
            "placement_constraints": [{"type": "memberOf", "expression": "attribute:ecs.os-type == linux"}],
            "volume": order.iter().map(|name| volume(name)).collect::<Vec<_>>(),
        });
        let value =
            crate::plugin::value::decode_json(json.to_string().as_bytes(), schema::value_type())
                .expect("a configuration of the schema");
        super::super::with_empty_block_lists(value)
    }

    /// What Terraform proposes: the configuration, with computed attributes it leaves null
    /// taken from the prior state.
    fn proposed(prior: &Value, config: &Value) -> Value {
        let mut proposed = config.clone();
        for attribute in schema::schema().block.attributes {
            let computed = matches!(attribute.mode, Mode::Computed | Mode::OptionalComputed);
            if computed && config.get_attr(&attribute.name).is_none_or(Value::is_null) {
                let prior = prior.get_attr(&attribute.name).cloned();
                proposed.set_attr(attribute.name.clone(), prior.unwrap_or(Value::Null));
            }
        }
        proposed
    }

    async fn plan(order: &[&str]) -> Value {
        let moved = moved(aws_state());
        assert!(moved.diagnostics.is_empty(), "{:?}", moved.diagnostics);
        let shared = Arc::new(Shared::default());
        shared.configure_for_tests(BTreeMap::new());
        let resource = TemplateResource::new(shared);
        let config = config(order);
        let request = PlanRequest {
            proposed_new_state: proposed(&moved.state, &config),
            prior_state: moved.state,
            config,
            prior_private: moved.private,
        };
        let response = plan_resource(&resource, &resource.schema(), request).await;
        assert!(
            response.diagnostics.is_empty(),
            "{:?}",
            response.diagnostics
        );
        assert!(response.requires_replace.is_empty());
        response.planned_state
    }

    #[tokio::test]
    async fn what_the_aws_provider_writes_for_unset_arguments_plans_no_registration() {
        // Volumes in the order the move sorts them (by name): the plan keeps the revision.
        let planned = plan(&["docker", "efs", "host"]).await;
        assert_eq!(values::string(&planned, ARN).as_deref(), Some(LEGACY_ARN));
        // In another order: the order changes in place, the revision stays.
        let planned = plan(&["efs", "docker", "host"]).await;
        assert_eq!(values::string(&planned, ARN).as_deref(), Some(LEGACY_ARN));
    }

    #[test]
    fn zero_values_and_empty_maps_the_aws_provider_writes_are_unset() {
        let state = moved(aws_state()).state;
        let volumes = state.get_attr(VOLUME).and_then(Value::as_elements).unwrap();
        let names: Vec<_> = volumes
            .iter()
            .map(|v| v.get_attr("name").and_then(Value::as_str).unwrap())
            .collect();
        assert_eq!(names, ["docker", "efs", "host"]);
        let docker = volumes[0].get_attr("docker_volume_configuration").unwrap();
        for unset in ["driver_opts", "labels", "scope"] {
            assert_eq!(docker.get_attr(unset), Some(&Value::Null), "{unset}");
        }
        let efs = volumes[1].get_attr("efs_volume_configuration").unwrap();
        for unset in ["transit_encryption_port", "transit_encryption"] {
            assert_eq!(efs.get_attr(unset), Some(&Value::Null), "{unset}");
        }
        assert_eq!(efs.get_attr("authorization_config"), Some(&Value::Null));
        for unset in [
            CPU,
            MEMORY,
            IPC_MODE,
            PID_MODE,
            SKIP_DESTROY,
            REQUIRES_COMPATIBILITIES,
        ] {
            assert_eq!(state.get_attr(unset), Some(&Value::Null), "{unset}");
        }
    }

    #[test]
    fn a_volume_type_ecstpl_cannot_hold_is_refused() {
        let mut state = aws_state();
        state["volume"][2]["s3files_volume_configuration"] =
            serde_json::json!([{"file_system_arn": "arn:aws:s3files:us-east-1:1:fs/x"}]);
        let response = moved(state);
        let text = format!("{:?}", response.diagnostics);
        assert!(text.contains("s3files_volume_configuration"), "{text}");
        assert!(response.state.is_null());
        // Present but empty, as a newer provider writes it for every volume: moves.
        let mut state = aws_state();
        state["volume"][2]["s3files_volume_configuration"] = serde_json::json!([]);
        state["region"] = serde_json::json!("us-east-1");
        assert!(moved(state).diagnostics.is_empty());
    }
}
