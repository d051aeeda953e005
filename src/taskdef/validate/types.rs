//! The JSON type of every field of a RegisterTaskDefinition request, and the check that each
//! value has it. ECS's JSON protocol refuses a value of the wrong type with a
//! `SerializationException` ("… can not be converted to an String") at apply; here it fails at
//! plan time with its path. This module knows types only: which keys exist, which are required
//! and which values are allowed belong to the other rule families.
//!
//! Source of the table: the ECS API reference (RegisterTaskDefinition, ContainerDefinition and
//! the shapes they name, "Type: String / Integer / Boolean / Array of … / String to string
//! map"), cross-read with the serializers the AWS SDK for Rust generates from the same model
//! (`aws-sdk-ecs` 1.133, `src/protocol_serde/shape_*.rs`). Smithy `Integer` is 32-bit signed.

use serde_json::{Map, Value as Json};

use crate::taskdef::validate::{PathSegment, Problem};

/// A JSON type of the ECS API model.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Type {
    String,
    /// Smithy `Integer`: a whole number that fits in 32 bits.
    Integer,
    Boolean,
    List(&'static Type),
    /// `String to string map`: an object whose values are strings.
    StringMap,
    /// A structure: its fields; keys not listed are another family's concern.
    Object(&'static [(&'static str, Type)]),
}

// `Str` for `Type::String`, short so the table reads as a table.
use Type::{Boolean, Integer, List, Object, String as Str, StringMap};

const STRINGS: Type = List(&Str);

const KEY_VALUE_PAIR: Type = Object(&[("name", Str), ("value", Str)]);
const SECRET: Type = Object(&[("name", Str), ("valueFrom", Str)]);
const PORT_MAPPING: Type = Object(&[
    ("containerPort", Integer),
    ("hostPort", Integer),
    ("protocol", Str),
    ("name", Str),
    ("appProtocol", Str),
    ("containerPortRange", Str),
]);
const REPOSITORY_CREDENTIALS: Type = Object(&[("credentialsParameter", Str)]);
const CONTAINER_RESTART_POLICY: Type = Object(&[
    ("enabled", Boolean),
    ("ignoredExitCodes", List(&Integer)),
    ("restartAttemptPeriod", Integer),
]);
const ENVIRONMENT_FILE: Type = Object(&[("value", Str), ("type", Str)]);
const MOUNT_POINT: Type = Object(&[
    ("sourceVolume", Str),
    ("containerPath", Str),
    ("readOnly", Boolean),
]);
const VOLUME_FROM: Type = Object(&[("sourceContainer", Str), ("readOnly", Boolean)]);
const LINUX_PARAMETERS: Type = Object(&[
    (
        "capabilities",
        Object(&[("add", STRINGS), ("drop", STRINGS)]),
    ),
    (
        "devices",
        List(&Object(&[
            ("hostPath", Str),
            ("containerPath", Str),
            ("permissions", STRINGS),
        ])),
    ),
    ("initProcessEnabled", Boolean),
    ("sharedMemorySize", Integer),
    (
        "tmpfs",
        List(&Object(&[
            ("containerPath", Str),
            ("size", Integer),
            ("mountOptions", STRINGS),
        ])),
    ),
    ("maxSwap", Integer),
    ("swappiness", Integer),
]);
const CONTAINER_DEPENDENCY: Type = Object(&[("containerName", Str), ("condition", Str)]);
const HOST_ENTRY: Type = Object(&[("hostname", Str), ("ipAddress", Str)]);
const ULIMIT: Type = Object(&[
    ("name", Str),
    ("softLimit", Integer),
    ("hardLimit", Integer),
]);
const LOG_CONFIGURATION: Type = Object(&[
    ("logDriver", Str),
    ("options", StringMap),
    ("secretOptions", List(&SECRET)),
]);
const HEALTH_CHECK: Type = Object(&[
    ("command", STRINGS),
    ("interval", Integer),
    ("timeout", Integer),
    ("retries", Integer),
    ("startPeriod", Integer),
]);
const SYSTEM_CONTROL: Type = Object(&[("namespace", Str), ("value", Str)]);
const RESOURCE_REQUIREMENT: Type = Object(&[("value", Str), ("type", Str)]);
const FIRELENS_CONFIGURATION: Type = Object(&[("type", Str), ("options", StringMap)]);

/// ContainerDefinition.
pub(crate) const CONTAINER_DEFINITION: Type = Object(&[
    ("name", Str),
    ("image", Str),
    ("repositoryCredentials", REPOSITORY_CREDENTIALS),
    ("cpu", Integer),
    ("memory", Integer),
    ("memoryReservation", Integer),
    ("links", STRINGS),
    ("portMappings", List(&PORT_MAPPING)),
    ("essential", Boolean),
    ("restartPolicy", CONTAINER_RESTART_POLICY),
    ("entryPoint", STRINGS),
    ("command", STRINGS),
    ("environment", List(&KEY_VALUE_PAIR)),
    ("environmentFiles", List(&ENVIRONMENT_FILE)),
    ("mountPoints", List(&MOUNT_POINT)),
    ("volumesFrom", List(&VOLUME_FROM)),
    ("linuxParameters", LINUX_PARAMETERS),
    ("secrets", List(&SECRET)),
    ("dependsOn", List(&CONTAINER_DEPENDENCY)),
    ("startTimeout", Integer),
    ("stopTimeout", Integer),
    ("versionConsistency", Str),
    ("hostname", Str),
    ("user", Str),
    ("workingDirectory", Str),
    ("disableNetworking", Boolean),
    ("privileged", Boolean),
    ("readonlyRootFilesystem", Boolean),
    ("dnsServers", STRINGS),
    ("dnsSearchDomains", STRINGS),
    ("extraHosts", List(&HOST_ENTRY)),
    ("dockerSecurityOptions", STRINGS),
    ("interactive", Boolean),
    ("pseudoTerminal", Boolean),
    ("dockerLabels", StringMap),
    ("ulimits", List(&ULIMIT)),
    ("logConfiguration", LOG_CONFIGURATION),
    ("healthCheck", HEALTH_CHECK),
    ("systemControls", List(&SYSTEM_CONTROL)),
    ("resourceRequirements", List(&RESOURCE_REQUIREMENT)),
    ("firelensConfiguration", FIRELENS_CONFIGURATION),
    ("credentialSpecs", STRINGS),
]);

const VOLUME: Type = Object(&[
    ("name", Str),
    ("host", Object(&[("sourcePath", Str)])),
    (
        "dockerVolumeConfiguration",
        Object(&[
            ("scope", Str),
            ("autoprovision", Boolean),
            ("driver", Str),
            ("driverOpts", StringMap),
            ("labels", StringMap),
        ]),
    ),
    (
        "efsVolumeConfiguration",
        Object(&[
            ("fileSystemId", Str),
            ("rootDirectory", Str),
            ("transitEncryption", Str),
            ("transitEncryptionPort", Integer),
            (
                "authorizationConfig",
                Object(&[("accessPointId", Str), ("iam", Str)]),
            ),
        ]),
    ),
    (
        "s3filesVolumeConfiguration",
        Object(&[
            ("fileSystemArn", Str),
            ("rootDirectory", Str),
            ("transitEncryptionPort", Integer),
            ("accessPointArn", Str),
        ]),
    ),
    (
        "fsxWindowsFileServerVolumeConfiguration",
        Object(&[
            ("fileSystemId", Str),
            ("rootDirectory", Str),
            (
                "authorizationConfig",
                Object(&[("credentialsParameter", Str), ("domain", Str)]),
            ),
        ]),
    ),
    ("configuredAtLaunch", Boolean),
]);

/// RegisterTaskDefinition's input. Task `cpu` and `memory` are strings ("256", "1 vCPU"),
/// unlike a container's, which are integers.
pub(crate) const TASK_DEFINITION: Type = Object(&[
    ("family", Str),
    ("taskRoleArn", Str),
    ("executionRoleArn", Str),
    ("networkMode", Str),
    ("containerDefinitions", List(&CONTAINER_DEFINITION)),
    ("volumes", List(&VOLUME)),
    (
        "placementConstraints",
        List(&Object(&[("type", Str), ("expression", Str)])),
    ),
    ("requiresCompatibilities", STRINGS),
    ("cpu", Str),
    ("memory", Str),
    ("tags", List(&Object(&[("key", Str), ("value", Str)]))),
    ("pidMode", Str),
    ("ipcMode", Str),
    (
        "proxyConfiguration",
        Object(&[
            ("type", Str),
            ("containerName", Str),
            ("properties", List(&KEY_VALUE_PAIR)),
        ]),
    ),
    (
        "inferenceAccelerators",
        List(&Object(&[("deviceName", Str), ("deviceType", Str)])),
    ),
    ("ephemeralStorage", Object(&[("sizeInGiB", Integer)])),
    (
        "runtimePlatform",
        Object(&[("cpuArchitecture", Str), ("operatingSystemFamily", Str)]),
    ),
    ("enableFaultInjection", Boolean),
]);

impl Type {
    fn expected(self) -> &'static str {
        match self {
            Str => "a string",
            Integer => "a whole number",
            Boolean => "true or false",
            List(_) => "a list",
            StringMap => "an object of strings",
            Object(_) => "an object",
        }
    }

    fn matches(self, value: &Json) -> bool {
        match self {
            Str => value.is_string(),
            Integer => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
            Boolean => value.is_boolean(),
            List(_) => value.is_array(),
            StringMap | Object(_) => value.is_object(),
        }
    }
}

/// What a value is, for a message: `the number 5`, `the string "5"`.
fn found(value: &Json) -> String {
    match value {
        Json::Null => "null".into(),
        Json::Bool(b) => format!("the boolean {b}"),
        Json::Number(n) => format!("the number {n}"),
        Json::String(s) => format!("the string {s:?}"),
        Json::Array(_) => "a list".into(),
        Json::Object(_) => "an object".into(),
    }
}

/// Every value under `value` whose JSON type is not `ty`'s, with its path below `path`.
/// A null is "not set" at any depth, as elsewhere in the domain.
pub(crate) fn check(
    value: &Json,
    ty: Type,
    path: &mut Vec<PathSegment>,
    problems: &mut Vec<Problem>,
) {
    if value.is_null() {
        return;
    }
    if !ty.matches(value) {
        let range = if matches!(ty, Integer) && value.is_i64() {
            " that fits in 32 bits"
        } else {
            ""
        };
        problems.push(Problem::new(
            path.clone(),
            "Wrong type",
            format!("expected {}{range}, got {}.", ty.expected(), found(value)),
        ));
        return;
    }
    match (ty, value) {
        (List(item), Json::Array(items)) => {
            for (index, entry) in items.iter().enumerate() {
                path.push(PathSegment::Index(index));
                check(entry, *item, path, problems);
                path.pop();
            }
        }
        (StringMap, Json::Object(object)) => {
            for (key, entry) in object {
                path.push(PathSegment::Key(key.clone()));
                check(entry, Str, path, problems);
                path.pop();
            }
        }
        (Object(fields), Json::Object(object)) => check_fields(object, fields, path, problems),
        _ => {}
    }
}

fn check_fields(
    object: &Map<String, Json>,
    fields: &[(&str, Type)],
    path: &mut Vec<PathSegment>,
    problems: &mut Vec<Problem>,
) {
    for (key, field) in fields {
        if let Some(entry) = object.get(*key) {
            path.push(PathSegment::Key((*key).to_string()));
            check(entry, *field, path, problems);
            path.pop();
        }
    }
}

/// The type problems of a whole task definition (RegisterTaskDefinition input), paths from
/// its root.
pub(crate) fn check_task_definition(definition: &Map<String, Json>) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Object(fields) = TASK_DEFINITION {
        check_fields(definition, fields, &mut Vec::new(), &mut problems);
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The "Type:" line of each member in the ECS API reference, written from the pages
    /// (API_ContainerDefinition, API_RegisterTaskDefinition), not from the table above.
    const CONTAINER_DOCUMENTED: &[(&str, &str)] = &[
        ("name", "String"),
        ("image", "String"),
        ("repositoryCredentials", "object"),
        ("cpu", "Integer"),
        ("memory", "Integer"),
        ("memoryReservation", "Integer"),
        ("links", "Array of strings"),
        ("portMappings", "Array of objects"),
        ("essential", "Boolean"),
        ("restartPolicy", "object"),
        ("entryPoint", "Array of strings"),
        ("command", "Array of strings"),
        ("environment", "Array of objects"),
        ("environmentFiles", "Array of objects"),
        ("mountPoints", "Array of objects"),
        ("volumesFrom", "Array of objects"),
        ("linuxParameters", "object"),
        ("secrets", "Array of objects"),
        ("dependsOn", "Array of objects"),
        ("startTimeout", "Integer"),
        ("stopTimeout", "Integer"),
        ("versionConsistency", "String"),
        ("hostname", "String"),
        ("user", "String"),
        ("workingDirectory", "String"),
        ("disableNetworking", "Boolean"),
        ("privileged", "Boolean"),
        ("readonlyRootFilesystem", "Boolean"),
        ("dnsServers", "Array of strings"),
        ("dnsSearchDomains", "Array of strings"),
        ("extraHosts", "Array of objects"),
        ("dockerSecurityOptions", "Array of strings"),
        ("interactive", "Boolean"),
        ("pseudoTerminal", "Boolean"),
        ("dockerLabels", "String to string map"),
        ("ulimits", "Array of objects"),
        ("logConfiguration", "object"),
        ("healthCheck", "object"),
        ("systemControls", "Array of objects"),
        ("resourceRequirements", "Array of objects"),
        ("firelensConfiguration", "object"),
        ("credentialSpecs", "Array of strings"),
    ];

    const TASK_DOCUMENTED: &[(&str, &str)] = &[
        ("family", "String"),
        ("taskRoleArn", "String"),
        ("executionRoleArn", "String"),
        ("networkMode", "String"),
        ("containerDefinitions", "Array of objects"),
        ("volumes", "Array of objects"),
        ("placementConstraints", "Array of objects"),
        ("requiresCompatibilities", "Array of strings"),
        ("cpu", "String"),
        ("memory", "String"),
        ("tags", "Array of objects"),
        ("pidMode", "String"),
        ("ipcMode", "String"),
        ("proxyConfiguration", "object"),
        ("inferenceAccelerators", "Array of objects"),
        ("ephemeralStorage", "object"),
        ("runtimePlatform", "object"),
        ("enableFaultInjection", "Boolean"),
    ];

    /// A value of the documented type, and one of another type.
    fn samples(documented: &str) -> (Json, Json) {
        match documented {
            "String" => (json!("x"), json!(5)),
            "Integer" => (json!(1), json!("1")),
            "Boolean" => (json!(true), json!("true")),
            "Array of strings" => (json!(["x"]), json!([5])),
            "Array of objects" => (json!([{}]), json!({})),
            "String to string map" => (json!({"k": "v"}), json!({"k": 1})),
            "object" => (json!({}), json!([])),
            other => panic!("no sample for {other}"),
        }
    }

    fn problems_of(definition: Json) -> Vec<Problem> {
        check_task_definition(definition.as_object().unwrap())
    }

    #[test]
    fn every_container_field_has_its_documented_type() {
        for (field, documented) in CONTAINER_DOCUMENTED {
            let (good, bad) = samples(documented);
            let found = problems_of(json!({"containerDefinitions": [{ *field: good }]}));
            assert!(found.is_empty(), "{field} = {good}: {found:?}");
            let found = problems_of(json!({"containerDefinitions": [{ *field: bad }]}));
            assert!(!found.is_empty(), "{field} = {bad} passed");
            assert_eq!(
                found[0].path[..3],
                [
                    PathSegment::Key("containerDefinitions".into()),
                    PathSegment::Index(0),
                    PathSegment::Key((*field).into())
                ]
            );
        }
        let Object(fields) = CONTAINER_DEFINITION else {
            panic!("a structure")
        };
        assert_eq!(fields.len(), CONTAINER_DOCUMENTED.len());
    }

    #[test]
    fn every_task_field_has_its_documented_type() {
        for (field, documented) in TASK_DOCUMENTED {
            let (good, bad) = samples(documented);
            assert!(problems_of(json!({ *field: good })).is_empty(), "{field}");
            let found = problems_of(json!({ *field: bad }));
            assert_eq!(found.len(), 1, "{field} = {bad}: {found:?}");
            assert_eq!(found[0].path[0], PathSegment::Key((*field).into()));
        }
        let Object(fields) = TASK_DEFINITION else {
            panic!("a structure")
        };
        assert_eq!(fields.len(), TASK_DOCUMENTED.len());
    }

    /// Nested shapes, each case a member's documented type (API_KeyValuePair, API_PortMapping,
    /// API_HealthCheck, API_MountPoint, API_LogConfiguration, API_Ulimit, API_LinuxParameters,
    /// API_Tmpfs, API_KernelCapabilities, API_ContainerRestartPolicy,
    /// API_EFSVolumeConfiguration, API_DockerVolumeConfiguration, API_EphemeralStorage,
    /// API_RuntimePlatform, API_ProxyConfiguration, API_Tag) against a value of another type.
    #[test]
    fn nested_values_of_the_wrong_type_are_found_with_their_path() {
        let cases = [
            (
                json!({"containerDefinitions": [{"environment": [{"name": "N", "value": 5}]}]}),
                "containerDefinitions.0.environment.0.value",
                "expected a string, got the number 5.",
            ),
            (
                json!({"containerDefinitions": [{"portMappings": [{"containerPort": "80"}]}]}),
                "containerDefinitions.0.portMappings.0.containerPort",
                "expected a whole number, got the string \"80\".",
            ),
            (
                json!({"containerDefinitions": [{"healthCheck": {"interval": 30.5}}]}),
                "containerDefinitions.0.healthCheck.interval",
                "expected a whole number, got the number 30.5.",
            ),
            (
                json!({"containerDefinitions": [{"memory": 4_294_967_296_i64}]}),
                "containerDefinitions.0.memory",
                "expected a whole number that fits in 32 bits, got the number 4294967296.",
            ),
            (
                json!({"containerDefinitions": [{"mountPoints": [{"readOnly": "true"}]}]}),
                "containerDefinitions.0.mountPoints.0.readOnly",
                "expected true or false, got the string \"true\".",
            ),
            (
                json!({"containerDefinitions": [{"logConfiguration": {"options": {"awslogs-create-group": true}}}]}),
                "containerDefinitions.0.logConfiguration.options.awslogs-create-group",
                "expected a string, got the boolean true.",
            ),
            (
                json!({"containerDefinitions": [{"logConfiguration": {"secretOptions": [{"valueFrom": 1}]}}]}),
                "containerDefinitions.0.logConfiguration.secretOptions.0.valueFrom",
                "expected a string, got the number 1.",
            ),
            (
                json!({"containerDefinitions": [{"ulimits": [{"name": "nofile", "softLimit": "1024"}]}]}),
                "containerDefinitions.0.ulimits.0.softLimit",
                "expected a whole number, got the string \"1024\".",
            ),
            (
                json!({"containerDefinitions": [{"linuxParameters": {"tmpfs": [{"size": "64"}], "capabilities": {"add": [1]}, "initProcessEnabled": "true"}}]}),
                "containerDefinitions.0.linuxParameters.capabilities.add.0 containerDefinitions.0.linuxParameters.initProcessEnabled containerDefinitions.0.linuxParameters.tmpfs.0.size",
                "",
            ),
            (
                json!({"containerDefinitions": [{"restartPolicy": {"ignoredExitCodes": ["1"]}}]}),
                "containerDefinitions.0.restartPolicy.ignoredExitCodes.0",
                "expected a whole number, got the string \"1\".",
            ),
            (
                json!({"volumes": [{"efsVolumeConfiguration": {"transitEncryptionPort": "2049", "authorizationConfig": {"iam": true}}}]}),
                "volumes.0.efsVolumeConfiguration.transitEncryptionPort volumes.0.efsVolumeConfiguration.authorizationConfig.iam",
                "",
            ),
            (
                json!({"volumes": [{"dockerVolumeConfiguration": {"autoprovision": "true"}}]}),
                "volumes.0.dockerVolumeConfiguration.autoprovision",
                "expected true or false, got the string \"true\".",
            ),
            (
                json!({"ephemeralStorage": {"sizeInGiB": "21"}}),
                "ephemeralStorage.sizeInGiB",
                "expected a whole number, got the string \"21\".",
            ),
            (
                json!({"runtimePlatform": {"cpuArchitecture": 64}}),
                "runtimePlatform.cpuArchitecture",
                "expected a string, got the number 64.",
            ),
            (
                json!({"proxyConfiguration": {"properties": [{"name": "ProxyIngressPort", "value": 15000}]}}),
                "proxyConfiguration.properties.0.value",
                "expected a string, got the number 15000.",
            ),
            (
                json!({"tags": [{"key": "team", "value": 7}]}),
                "tags.0.value",
                "expected a string, got the number 7.",
            ),
        ];
        for (definition, paths, detail) in cases {
            let found = problems_of(definition.clone());
            let shown: Vec<String> = found
                .iter()
                .map(|p| {
                    p.path
                        .iter()
                        .map(|s| match s {
                            PathSegment::Key(k) => k.clone(),
                            PathSegment::Index(i) => i.to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join(".")
                })
                .collect();
            assert_eq!(shown.join(" "), paths, "{definition}");
            if !detail.is_empty() {
                assert_eq!(found[0].detail, detail, "{definition}");
            }
        }
    }

    #[test]
    fn nulls_and_unknown_keys_are_left_to_other_checks() {
        let found = problems_of(json!({
            "cpu": null,
            "containerDefinitions": [null, {"environment": [null, {"name": "A", "value": null}], "imagee": 5}],
            "extra": 1
        }));
        assert!(found.is_empty(), "{found:?}");
    }

    /// Real task definitions that register have no value of the wrong type.
    #[test]
    fn the_valid_corpus_has_the_documented_types() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/valid");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let document = crate::taskdef::parse_task_definition_document(&text).unwrap();
            let found = check_task_definition(&document);
            assert!(found.is_empty(), "{}: {found:#?}", path.display());
        }
    }
}
