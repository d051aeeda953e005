//! The nested blocks of `ecstpl_template` (volumes, placement constraints, proxy, runtime
//! platform, ephemeral storage, inference accelerators), with the names of
//! `aws_ecs_task_definition`, and their translation to and from the ECS API's JSON.
//!
//! Translation is table-driven: Terraform names are the snake_case of the API's camelCase
//! names except for the few listed in [`RENAMES`] and the two shapes that differ
//! (`host_path` is `host.sourcePath`; proxy `properties` is a list of name/value pairs).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde_json::{Map, Value as Json};

use crate::plugin::schema::{Attribute, Block, Mode, NestedBlock, Nesting};
use crate::plugin::value::{Number, Type, Value};

/// Terraform name → API name where it is not the plain camelCase.
const RENAMES: &[(&str, &str)] = &[
    ("volume", "volumes"),
    ("inference_accelerator", "inferenceAccelerators"),
    ("size_in_gib", "sizeInGiB"),
    ("configure_at_launch", "configuredAtLaunch"),
];

/// The attribute name of an API key inside a block (`sizeInGiB` → `size_in_gib`).
pub(crate) fn attribute_name(api: &str) -> String {
    if let Some((tf, _)) = RENAMES.iter().find(|(_, a)| *a == api) {
        return (*tf).to_string();
    }
    let mut out = String::with_capacity(api.len() + 4);
    for c in api.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn api_name(name: &str) -> String {
    if let Some((_, api)) = RENAMES.iter().find(|(tf, _)| *tf == name) {
        return (*api).to_string();
    }
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn attribute(name: &str, ty: Type, mode: Mode, description: &str) -> Attribute {
    Attribute::new(name, ty, mode, description)
}

fn single(
    name: &str,
    description: &str,
    attributes: Vec<Attribute>,
    blocks: Vec<NestedBlock>,
) -> NestedBlock {
    NestedBlock::new(
        name,
        Nesting::Single,
        Block {
            description: description.into(),
            attributes,
            blocks,
            deprecated: false,
        },
    )
}

fn list(
    name: &str,
    description: &str,
    attributes: Vec<Attribute>,
    blocks: Vec<NestedBlock>,
) -> NestedBlock {
    NestedBlock::new(
        name,
        Nesting::List,
        Block {
            description: description.into(),
            attributes,
            blocks,
            deprecated: false,
        },
    )
}

/// The nested blocks of the resource schema.
pub(crate) fn blocks() -> Vec<NestedBlock> {
    use Mode::{Optional, OptionalComputed, Required};
    let s = Type::String;
    vec![
        list(
            "volume",
            "A data volume containers can mount (`mountPoints[].sourceVolume`).",
            vec![
                attribute(
                    "name",
                    s.clone(),
                    Required,
                    "Volume name, referenced by `sourceVolume` in mount points.",
                ),
                attribute(
                    "host_path",
                    s.clone(),
                    Optional,
                    "Path on the host (EC2) to bind-mount.",
                ),
                attribute(
                    "configure_at_launch",
                    Type::Bool,
                    OptionalComputed,
                    "Whether the volume is configured when a task is run or a service created. Left out means `false`.",
                ),
            ],
            vec![
                single(
                    "docker_volume_configuration",
                    "A Docker volume.",
                    vec![
                        attribute(
                            "scope",
                            s.clone(),
                            OptionalComputed,
                            "`task` (the default) or `shared`.",
                        ),
                        attribute(
                            "autoprovision",
                            Type::Bool,
                            OptionalComputed,
                            "Create the volume if it does not exist (shared scope). Left out means `false`.",
                        ),
                        attribute(
                            "driver",
                            s.clone(),
                            OptionalComputed,
                            "Volume driver (`local` when left out).",
                        ),
                        attribute(
                            "driver_opts",
                            Type::map(s.clone()),
                            Optional,
                            "Driver options.",
                        ),
                        attribute("labels", Type::map(s.clone()), Optional, "Volume labels."),
                    ],
                    vec![],
                ),
                single(
                    "efs_volume_configuration",
                    "An Amazon EFS file system.",
                    vec![
                        attribute("file_system_id", s.clone(), Required, "EFS file system ID."),
                        attribute(
                            "root_directory",
                            s.clone(),
                            OptionalComputed,
                            "Directory of the file system to mount as the root (`/` when left out).",
                        ),
                        attribute(
                            "transit_encryption",
                            s.clone(),
                            OptionalComputed,
                            "`ENABLED` or `DISABLED` (the default).",
                        ),
                        attribute(
                            "transit_encryption_port",
                            Type::Number,
                            Optional,
                            "Port for encrypted traffic.",
                        ),
                    ],
                    vec![single(
                        "authorization_config",
                        "Access point and IAM authorization.",
                        vec![
                            attribute(
                                "access_point_id",
                                s.clone(),
                                Optional,
                                "EFS access point ID.",
                            ),
                            attribute(
                                "iam",
                                s.clone(),
                                OptionalComputed,
                                "`ENABLED` or `DISABLED` (the default): use the task role.",
                            ),
                        ],
                        vec![],
                    )],
                ),
                single(
                    "fsx_windows_file_server_volume_configuration",
                    "An FSx for Windows File Server file system.",
                    vec![
                        attribute("file_system_id", s.clone(), Required, "FSx file system ID."),
                        attribute(
                            "root_directory",
                            s.clone(),
                            Required,
                            "Directory to mount as the root.",
                        ),
                    ],
                    vec![single(
                        "authorization_config",
                        "Credentials for the file system.",
                        vec![
                            attribute(
                                "credentials_parameter",
                                s.clone(),
                                Required,
                                "ARN of the Secrets Manager secret or SSM parameter with the credentials.",
                            ),
                            attribute("domain", s.clone(), Required, "Active Directory domain."),
                        ],
                        vec![],
                    )],
                ),
            ],
        ),
        list(
            "placement_constraints",
            "Rules for placing tasks (EC2).",
            vec![
                attribute("type", s.clone(), Required, "`memberOf`."),
                attribute(
                    "expression",
                    s.clone(),
                    Optional,
                    "Cluster query language expression.",
                ),
            ],
            vec![],
        ),
        single(
            "proxy_configuration",
            "App Mesh proxy configuration.",
            vec![
                attribute(
                    "container_name",
                    s.clone(),
                    Required,
                    "Name of the proxy container.",
                ),
                attribute(
                    "properties",
                    Type::map(s.clone()),
                    Optional,
                    "Proxy properties (name → value).",
                ),
                attribute(
                    "type",
                    s.clone(),
                    OptionalComputed,
                    "`APPMESH` (the default and only type).",
                ),
            ],
            vec![],
        ),
        single(
            "runtime_platform",
            "Operating system and CPU architecture (required for Windows and ARM on Fargate).",
            vec![
                attribute(
                    "operating_system_family",
                    s.clone(),
                    Optional,
                    "e.g. `LINUX`, `WINDOWS_SERVER_2022_CORE`.",
                ),
                attribute(
                    "cpu_architecture",
                    s.clone(),
                    Optional,
                    "`X86_64` or `ARM64`.",
                ),
            ],
            vec![],
        ),
        single(
            "ephemeral_storage",
            "Ephemeral storage for Fargate tasks.",
            vec![attribute(
                "size_in_gib",
                Type::Number,
                Required,
                "Size in GiB (21 to 200).",
            )],
            vec![],
        ),
        list(
            "inference_accelerator",
            "Elastic Inference accelerators.",
            vec![
                attribute(
                    "device_name",
                    s.clone(),
                    Required,
                    "Device name, referenced by containers' `resourceRequirements`.",
                ),
                attribute("device_type", s, Required, "Accelerator type."),
            ],
            vec![],
        ),
    ]
}

fn value_to_json(value: &Value) -> Option<Json> {
    match value {
        Value::Null | Value::Unknown(_) => None,
        Value::String(s) => Some(Json::from(s.clone())),
        Value::Bool(b) => Some(Json::from(*b)),
        Value::Number(Number::Int(i)) => Some(Json::from(*i)),
        Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map(Json::Number),
        Value::Map(items) => Some(Json::Object(
            items
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), value_to_json(v)?)))
                .collect(),
        )),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => Some(Json::Array(
            items.iter().filter_map(value_to_json).collect(),
        )),
        Value::Object(_) => None,
    }
}

fn block_to_json(block: &Block, value: &Value) -> Map<String, Json> {
    let mut out = Map::new();
    for attribute in &block.attributes {
        let Some(v) = value.get_attr(&attribute.name) else {
            continue;
        };
        match (attribute.name.as_str(), value_to_json(v)) {
            (_, None) => {}
            ("host_path", Some(path)) => {
                out.insert("host".into(), serde_json::json!({ "sourcePath": path }));
            }
            ("properties", Some(Json::Object(properties))) => {
                let pairs: Vec<Json> = properties
                    .into_iter()
                    .map(|(name, value)| serde_json::json!({"name": name, "value": value}))
                    .collect();
                out.insert("properties".into(), Json::Array(pairs));
            }
            (name, Some(json)) => {
                out.insert(api_name(name), json);
            }
        }
    }
    for nested in &block.blocks {
        let Some(v) = value.get_attr(&nested.name) else {
            continue;
        };
        let json = match nested.nesting {
            Nesting::Single if v.as_object().is_some() => {
                Json::Object(block_to_json(&nested.block, v))
            }
            Nesting::List | Nesting::Set => match v.as_elements() {
                Some(items) if !items.is_empty() => Json::Array(
                    items
                        .iter()
                        .map(|item| Json::Object(block_to_json(&nested.block, item)))
                        .collect(),
                ),
                _ => continue,
            },
            _ => continue,
        };
        out.insert(api_name(&nested.name), json);
    }
    out
}

/// Adds the nested blocks of `state` to a RegisterTaskDefinition request.
pub(crate) fn to_request(state: &Value, request: &mut Map<String, Json>) {
    request.extend(block_to_json(root(), state));
}

/// The blocks as one block, built once: every plan and registration converts with it.
pub(crate) fn root() -> &'static Block {
    static ROOT: LazyLock<Block> = LazyLock::new(|| Block {
        blocks: blocks(),
        ..Block::default()
    });
    &ROOT
}

fn json_to_value(ty: &Type, json: Option<&Json>) -> Value {
    match (ty, json) {
        (_, None | Some(Json::Null)) => Value::Null,
        (Type::String, Some(Json::String(s))) => Value::String(s.clone()),
        (Type::String, Some(other)) => Value::String(other.to_string()),
        (Type::Bool, Some(Json::Bool(b))) => Value::Bool(*b),
        (Type::Number, Some(Json::Number(n))) => Value::Number(match n.as_i64() {
            Some(i) => Number::Int(i),
            None => Number::Float(n.as_f64().unwrap_or_default()),
        }),
        (Type::Map(_), Some(Json::Object(items))) => Value::Map(
            items
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        Value::String(v.as_str().map_or_else(|| v.to_string(), str::to_string)),
                    )
                })
                .collect(),
        ),
        _ => Value::Null,
    }
}

fn block_from_json(block: &Block, json: &Map<String, Json>) -> Value {
    let mut attributes = BTreeMap::new();
    for attribute in &block.attributes {
        let live = match attribute.name.as_str() {
            "host_path" => json.get("host").and_then(|h| h.get("sourcePath")).cloned(),
            "properties" => json
                .get("properties")
                .and_then(Json::as_array)
                .map(|pairs| {
                    Json::Object(
                        pairs
                            .iter()
                            .filter_map(|p| {
                                Some((
                                    p.get("name")?.as_str()?.to_string(),
                                    p.get("value").cloned().unwrap_or(Json::from("")),
                                ))
                            })
                            .collect(),
                    )
                }),
            name => json.get(&api_name(name)).cloned(),
        };
        let value = json_to_value(&attribute.ty, live.as_ref());
        attributes.insert(attribute.name.clone(), value);
    }
    for nested in &block.blocks {
        let value = match nested.nesting {
            Nesting::Single => match json.get(&api_name(&nested.name)) {
                Some(Json::Object(inner)) => block_from_json(&nested.block, inner),
                _ => Value::Null,
            },
            Nesting::List | Nesting::Set => {
                let items = json
                    .get(&api_name(&nested.name))
                    .and_then(Json::as_array)
                    .cloned()
                    .unwrap_or_default();
                Value::List(
                    items
                        .iter()
                        .filter_map(|item| Some(block_from_json(&nested.block, item.as_object()?)))
                        .collect(),
                )
            }
        };
        attributes.insert(nested.name.clone(), value);
    }
    Value::Object(attributes)
}

/// Sets the nested blocks of `state` from a described revision, as ECS stores them (defaults
/// included: the plan rules compare them with a configuration that leaves them out).
pub(crate) fn from_revision(live: &Map<String, Json>, state: &mut Value) {
    if let Value::Object(read) = block_from_json(root(), live) {
        for (name, value) in read {
            state.set_attr(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::schema::Block;
    use serde_json::json;

    fn root() -> Block {
        Block {
            blocks: blocks(),
            ..Block::default()
        }
    }

    #[test]
    fn api_names() {
        assert_eq!(
            api_name("efs_volume_configuration"),
            "efsVolumeConfiguration"
        );
        assert_eq!(
            api_name("fsx_windows_file_server_volume_configuration"),
            "fsxWindowsFileServerVolumeConfiguration"
        );
        assert_eq!(api_name("size_in_gib"), "sizeInGiB");
        assert_eq!(api_name("volume"), "volumes");
        for name in [
            "efs_volume_configuration",
            "size_in_gib",
            "configure_at_launch",
            "cpu_architecture",
            "file_system_id",
        ] {
            assert_eq!(attribute_name(&api_name(name)), name);
        }
    }

    #[test]
    fn blocks_round_trip_through_api_json() {
        let api = json!({
            "volumes": [
                {"name": "data", "host": {"sourcePath": "/data"}},
                {"name": "efs", "efsVolumeConfiguration": {"fileSystemId": "fs-1", "rootDirectory": "/app",
                    "transitEncryption": "ENABLED", "authorizationConfig": {"iam": "ENABLED", "accessPointId": "fsap-1"}}},
                {"name": "docker", "dockerVolumeConfiguration": {"scope": "shared", "driver": "local", "autoprovision": true}}
            ],
            "placementConstraints": [{"type": "memberOf", "expression": "attribute:ecs.os-type == linux"}],
            "proxyConfiguration": {"type": "APPMESH", "containerName": "envoy",
                "properties": [{"name": "AppPorts", "value": "8080"}, {"name": "IgnoredUID", "value": "1337"}]},
            "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "ARM64"},
            "ephemeralStorage": {"sizeInGiB": 30},
            "inferenceAccelerators": [{"deviceName": "d1", "deviceType": "eia2.medium"}]
        });
        let mut state = Value::object(Vec::<(&str, Value)>::new());
        from_revision(api.as_object().unwrap(), &mut state);
        let mut request = Map::new();
        to_request(&state, &mut request);
        assert_eq!(Json::Object(request), api);
        // The value fits the schema's type exactly.
        crate::plugin::value::encode(&state, &root().value_type()).unwrap();
    }
}
