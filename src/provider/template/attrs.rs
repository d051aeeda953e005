//! The attribute names of `ecstpl_template`, once: a typo is a compile error, not a silent null.

pub(crate) const ID: &str = "id";
pub(crate) const FAMILY: &str = "family";
pub(crate) const CONTAINER_DEFINITIONS: &str = "container_definitions";
pub(crate) const TASK_DEFINITION: &str = "task_definition";
pub(crate) const CPU: &str = "cpu";
pub(crate) const MEMORY: &str = "memory";
pub(crate) const NETWORK_MODE: &str = "network_mode";
pub(crate) const REQUIRES_COMPATIBILITIES: &str = "requires_compatibilities";
pub(crate) const EXECUTION_ROLE_ARN: &str = "execution_role_arn";
pub(crate) const TASK_ROLE_ARN: &str = "task_role_arn";
pub(crate) const PID_MODE: &str = "pid_mode";
pub(crate) const IPC_MODE: &str = "ipc_mode";
pub(crate) const DEPLOY_FAMILY: &str = "deploy_family";
pub(crate) const TAGS: &str = "tags";
pub(crate) const TAGS_ALL: &str = "tags_all";
pub(crate) const ENABLE_FAULT_INJECTION: &str = "enable_fault_injection";
pub(crate) const SKIP_DESTROY: &str = "skip_destroy";
pub(crate) const EXPRESS: &str = "express";
pub(crate) const DEREGISTER_SUPERSEDED: &str = "deregister_superseded";
pub(crate) const KEEP_SUPERSEDED_REVISIONS: &str = "keep_superseded_revisions";
pub(crate) const ARN: &str = "arn";
pub(crate) const ARN_WITHOUT_REVISION: &str = "arn_without_revision";
pub(crate) const REVISION: &str = "revision";
pub(crate) const PENDING_DEREGISTRATION: &str = "pending_deregistration";

// Blocks.
pub(crate) const VOLUME: &str = "volume";
pub(crate) const PLACEMENT_CONSTRAINTS: &str = "placement_constraints";
pub(crate) const PROXY_CONFIGURATION: &str = "proxy_configuration";
pub(crate) const RUNTIME_PLATFORM: &str = "runtime_platform";
pub(crate) const EPHEMERAL_STORAGE: &str = "ephemeral_storage";
pub(crate) const INFERENCE_ACCELERATOR: &str = "inference_accelerator";

/// The task arguments, which a `task_definition` document replaces.
pub(crate) const DOCUMENT_REPLACES: &[&str] = &[
    CONTAINER_DEFINITIONS,
    CPU,
    MEMORY,
    NETWORK_MODE,
    REQUIRES_COMPATIBILITIES,
    EXECUTION_ROLE_ARN,
    TASK_ROLE_ARN,
    PID_MODE,
    IPC_MODE,
    ENABLE_FAULT_INJECTION,
    VOLUME,
    PLACEMENT_CONSTRAINTS,
    PROXY_CONFIGURATION,
    RUNTIME_PLATFORM,
    EPHEMERAL_STORAGE,
    INFERENCE_ACCELERATOR,
];

/// Task arguments that are plain strings in the API under a camelCase name.
pub(crate) const STRING_ARGUMENTS: &[(&str, &str)] = &[
    (NETWORK_MODE, "networkMode"),
    (EXECUTION_ROLE_ARN, "executionRoleArn"),
    (TASK_ROLE_ARN, "taskRoleArn"),
    (PID_MODE, "pidMode"),
    (IPC_MODE, "ipcMode"),
];

/// The attribute a top-level key of the RegisterTaskDefinition input comes from.
pub(crate) fn attribute_of_api_key(key: &str) -> Option<&'static str> {
    Some(match key {
        "family" => FAMILY,
        "containerDefinitions" => CONTAINER_DEFINITIONS,
        "cpu" => CPU,
        "memory" => MEMORY,
        "requiresCompatibilities" => REQUIRES_COMPATIBILITIES,
        "enableFaultInjection" => ENABLE_FAULT_INJECTION,
        "tags" => TAGS,
        "volumes" => VOLUME,
        "placementConstraints" => PLACEMENT_CONSTRAINTS,
        "proxyConfiguration" => PROXY_CONFIGURATION,
        "runtimePlatform" => RUNTIME_PLATFORM,
        "ephemeralStorage" => EPHEMERAL_STORAGE,
        "inferenceAccelerators" => INFERENCE_ACCELERATOR,
        other => {
            return STRING_ARGUMENTS
                .iter()
                .find(|(_, api)| *api == other)
                .map(|(a, _)| *a);
        }
    })
}
