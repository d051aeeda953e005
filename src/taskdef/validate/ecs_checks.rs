//! What RegisterTaskDefinition rejects beyond the shape of the document: enum values, ranges,
//! references between fields, launch-type and network-mode rules, ARNs, and the EFS rules.
//! Each check names its source: the ECS API reference (through the SDK's documentation of the
//! same model, `aws-sdk-ecs` types) or an API error users have seen (`ClientException` text
//! quoted in a public issue). What registers but will not work as meant is a warning.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json};

use crate::taskdef::validate::{PathSegment, Problem};
use crate::taskdef::{Container, Context};

/// Collects problems with paths.
pub(super) struct Checks {
    pub(super) problems: Vec<Problem>,
}

pub(super) fn key(path: &[PathSegment], k: &str) -> Vec<PathSegment> {
    let mut p = path.to_vec();
    p.push(PathSegment::Key(k.to_string()));
    p
}

pub(super) fn index(path: &[PathSegment], i: usize) -> Vec<PathSegment> {
    let mut p = path.to_vec();
    p.push(PathSegment::Index(i));
    p
}

pub(super) fn list<'a>(object: &'a Map<String, Json>, k: &str) -> &'a [Json] {
    object
        .get(k)
        .and_then(Json::as_array)
        .map_or(&[], Vec::as_slice)
}

pub(super) fn text<'a>(object: &'a Map<String, Json>, k: &str) -> Option<&'a str> {
    object.get(k).and_then(Json::as_str)
}

impl Checks {
    pub(super) fn error(
        &mut self,
        path: Vec<PathSegment>,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.problems.push(Problem::new(path, summary, detail));
    }

    pub(super) fn warn(
        &mut self,
        path: Vec<PathSegment>,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.problems.push(Problem::warning(path, summary, detail));
    }

    /// A string field, when present, is one of `allowed`.
    pub(super) fn one_of(
        &mut self,
        object: &Map<String, Json>,
        path: &[PathSegment],
        k: &str,
        allowed: &[&str],
    ) {
        match object.get(k) {
            // An empty string is unset, as the SDKs behind ecspresso and `describe` dumps
            // write it (ecstpl does not send it: `without_empty_enums`).
            None | Some(Json::Null) => {}
            Some(Json::String(value)) if value.is_empty() => {}
            Some(Json::String(value)) if allowed.contains(&value.as_str()) => {}
            Some(other) => self.error(
                key(path, k),
                format!("Invalid {k}"),
                format!("{k} is {other}; ECS accepts {}.", quoted(allowed)),
            ),
        }
    }

    /// A number field, when present, is a whole number within `min..=max`.
    pub(super) fn whole_in(
        &mut self,
        object: &Map<String, Json>,
        path: &[PathSegment],
        k: &str,
        min: i64,
        max: i64,
    ) -> Option<i64> {
        let value = object.get(k).filter(|v| !v.is_null())?;
        match value.as_i64() {
            Some(n) if (min..=max).contains(&n) => Some(n),
            Some(n) => {
                self.error(
                    key(path, k),
                    format!("Invalid {k}"),
                    format!("{k} is {n}; ECS accepts {min} to {max}."),
                );
                None
            }
            None => {
                self.error(
                    key(path, k),
                    format!("Invalid {k}"),
                    format!("{k} must be a whole number, not {value}."),
                );
                None
            }
        }
    }
}

pub(super) fn quoted(values: &[&str]) -> String {
    let quoted: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}

/// Names of containers and volumes: up to 255 letters, digits, hyphens and underscores
/// (ContainerDefinition.name, Volume.name).
pub(super) fn name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `arn:<partition>:<service>:…`.
fn arn_service(value: &str) -> Option<&str> {
    let mut parts = value.splitn(4, ':');
    (parts.next()? == "arn" && parts.next()?.starts_with("aws")).then_some(())?;
    parts.next()
}

/// An IAM role ARN: `arn:<partition>:iam::<12-digit account>:role/<path><name>`.
pub fn is_role_arn(value: &str) -> bool {
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && parts[5]
            .strip_prefix("role/")
            .is_some_and(|name| !name.is_empty())
}

// Enum values, from the SDK's types for the ECS model (aws-sdk-ecs src/types/_*.rs).
const PROTOCOLS: &[&str] = &["tcp", "udp"];
const APP_PROTOCOLS: &[&str] = &["http", "http2", "grpc"];
const LOG_DRIVERS: &[&str] = &[
    "awsfirelens",
    "awslogs",
    "fluentd",
    "gelf",
    "journald",
    "json-file",
    "splunk",
    "syslog",
];
/// "For tasks on Fargate, the supported log drivers are awslogs, splunk, and awsfirelens."
const FARGATE_LOG_DRIVERS: &[&str] = &["awslogs", "splunk", "awsfirelens"];
const ULIMIT_NAMES: &[&str] = &[
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];
const CONDITIONS: &[&str] = &["START", "COMPLETE", "SUCCESS", "HEALTHY"];
const PID_MODES: &[&str] = &["host", "task"];
const IPC_MODES: &[&str] = &["host", "task", "none"];
const CPU_ARCHITECTURES: &[&str] = &["X86_64", "ARM64"];
const OS_FAMILIES: &[&str] = &[
    "LINUX",
    "WINDOWS_SERVER_2016_FULL",
    "WINDOWS_SERVER_2019_FULL",
    "WINDOWS_SERVER_2019_CORE",
    "WINDOWS_SERVER_2022_FULL",
    "WINDOWS_SERVER_2022_CORE",
    "WINDOWS_SERVER_2025_FULL",
    "WINDOWS_SERVER_2025_CORE",
    "WINDOWS_SERVER_2004_CORE",
    "WINDOWS_SERVER_20H2_CORE",
];
const COMPATIBILITIES: &[&str] = &["EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"];
const NETWORK_MODES: &[&str] = &["none", "bridge", "awsvpc", "host"];
const RESOURCE_TYPES: &[&str] = &["GPU", "InferenceAccelerator", "NeuronDevice"];
const FIRELENS_TYPES: &[&str] = &["fluentd", "fluentbit"];
const VERSION_CONSISTENCY: &[&str] = &["enabled", "disabled"];

/// Every check of this module, on a whole definition.
pub(crate) fn check(
    definition: &Map<String, Json>,
    context: &Context,
    unknown: &[&str],
) -> Vec<Problem> {
    let mut checks = Checks {
        problems: Vec::new(),
    };
    let root: Vec<PathSegment> = Vec::new();
    let known = |k: &str| !unknown.contains(&k);
    let fargate = context.is_fargate();
    let mode = context.network_mode.as_deref();

    checks.one_of(definition, &root, "networkMode", NETWORK_MODES);
    checks.one_of(definition, &root, "pidMode", PID_MODES);
    checks.one_of(definition, &root, "ipcMode", IPC_MODES);
    for (i, compatibility) in list(definition, "requiresCompatibilities")
        .iter()
        .enumerate()
    {
        if !compatibility
            .as_str()
            .is_some_and(|c| COMPATIBILITIES.contains(&c))
        {
            checks.error(
                index(&key(&root, "requiresCompatibilities"), i),
                "Invalid requiresCompatibilities",
                format!(
                    "{compatibility} is no launch type; ECS accepts {}.",
                    quoted(COMPATIBILITIES)
                ),
            );
        }
    }
    let compatibilities = &context.requires_compatibilities;
    if known("networkMode") {
        // ECS Anywhere: "tasks that run on external instances must use the bridge, host, or none
        // network modes"; Managed Instances: awsvpc or host.
        if compatibilities.iter().any(|c| c == "EXTERNAL") && mode == Some("awsvpc") {
            checks.error(key(&root, "networkMode"), "EXTERNAL does not support awsvpc", "Tasks on external instances (ECS Anywhere) use the bridge, host or none network mode.");
        }
        if compatibilities.iter().any(|c| c == "MANAGED_INSTANCES")
            && matches!(mode, Some("bridge" | "none"))
        {
            checks.error(key(&root, "networkMode"), "MANAGED_INSTANCES needs awsvpc or host", "Tasks on Amazon ECS Managed Instances use the awsvpc (default) or host network mode.");
        }
    }
    if let Some(Json::Object(platform)) = definition.get("runtimePlatform") {
        let path = key(&root, "runtimePlatform");
        checks.one_of(platform, &path, "cpuArchitecture", CPU_ARCHITECTURES);
        checks.one_of(platform, &path, "operatingSystemFamily", OS_FAMILIES);
    }
    if let Some(Json::Object(storage)) = definition.get("ephemeralStorage") {
        let path = key(&root, "ephemeralStorage");
        // "The minimum supported value is 21 GiB and the maximum supported value is 200 GiB."
        checks.whole_in(storage, &path, "sizeInGiB", 21, 200);
        if !fargate && known("requiresCompatibilities") {
            checks.warn(path, "ephemeralStorage applies to Fargate only", "ephemeralStorage sets the ephemeral storage of Fargate tasks; other launch types ignore it.");
        }
    }
    if let Some(Json::Object(proxy)) = definition.get("proxyConfiguration") {
        let path = key(&root, "proxyConfiguration");
        checks.one_of(proxy, &path, "type", &["APPMESH"]);
    }
    let constraints = list(definition, "placementConstraints");
    for (i, constraint) in constraints.iter().enumerate() {
        if let Some(constraint) = constraint.as_object() {
            checks.one_of(
                constraint,
                &index(&key(&root, "placementConstraints"), i),
                "type",
                &["memberOf"],
            );
        }
    }
    // "You can specify a maximum of 10 constraints for each task."
    if constraints.len() > 10 {
        checks.error(
            key(&root, "placementConstraints"),
            "Too many placement constraints",
            format!(
                "{} placement constraints; ECS allows at most 10.",
                constraints.len()
            ),
        );
    }
    if fargate && !constraints.is_empty() {
        checks.error(
            key(&root, "placementConstraints"),
            "placementConstraints are not supported on Fargate",
            "Fargate places tasks itself; remove the placement constraints or drop FARGATE.",
        );
    }
    if fargate && known("ipcMode") && text(definition, "ipcMode").is_some_and(|v| !v.is_empty()) {
        checks.error(
            key(&root, "ipcMode"),
            "ipcMode is not supported on Fargate",
            "The IPC namespace mode is not supported for tasks on Fargate; remove ipcMode.",
        );
    }
    // "On Fargate for Linux containers, the only valid value is task."
    if fargate && text(definition, "pidMode") == Some("host") {
        checks.error(
            key(&root, "pidMode"),
            "pidMode host is not supported on Fargate",
            "On Fargate the only process namespace mode is \"task\".",
        );
    }
    for field in ["executionRoleArn", "taskRoleArn"] {
        if let Some(value) = text(definition, field) {
            // "The short name or full Amazon Resource Name (ARN) of the IAM role"; a role name
            // has up to 64 of letters, digits and + = , . @ _ - (IAM's RoleName).
            let short_name = !value.is_empty()
                && value.len() <= 64
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
            if !short_name && !is_role_arn(value) {
                checks.error(
                    key(&root, field),
                    format!("Invalid {field}"),
                    format!("{value:?} is not an IAM role ARN, like \"arn:aws:iam::123456789012:role/ecsTaskExecutionRole\"."),
                );
            }
        }
    }

    let volumes = super::volumes::check_volumes(&mut checks, definition, fargate);
    let containers: Vec<Container> = list(definition, "containerDefinitions")
        .iter()
        .filter_map(|c| c.as_object().cloned())
        .collect();
    let names: BTreeSet<&str> = containers.iter().filter_map(|c| text(c, "name")).collect();
    let cpath = key(&root, "containerDefinitions");
    let task_memory = definition
        .get("memory")
        .and_then(Json::as_str)
        .and_then(crate::taskdef::normalize_memory)
        .and_then(|m| m.parse::<i64>().ok());
    let mut reserved = 0;
    let mut needs_execution_role: Option<String> = None;
    let mut firelens_containers = 0;
    let mut firelens_logging = false;
    for (i, container) in containers.iter().enumerate() {
        let path = index(&cpath, i);
        let label = text(container, "name")
            .map_or_else(|| format!("container {i}"), |n| format!("container {n:?}"));
        check_container(
            &mut checks,
            container,
            &path,
            &label,
            context,
            known("networkMode"),
        );
        // References to other containers and to volumes.
        for (j, dependency) in list(container, "dependsOn").iter().enumerate() {
            let Some(dependency) = dependency.as_object() else {
                continue;
            };
            let dpath = index(&key(&path, "dependsOn"), j);
            checks.one_of(dependency, &dpath, "condition", CONDITIONS);
            let Some(target) = text(dependency, "containerName") else {
                checks.error(
                    key(&dpath, "containerName"),
                    "Missing containerName in dependsOn",
                    "each dependsOn entry names a container of the task.",
                );
                continue;
            };
            // API error: "Cannot depend on container + 'X' because it does not exist".
            let Some(target_definition) =
                containers.iter().find(|c| text(c, "name") == Some(target))
            else {
                checks.error(key(&dpath, "containerName"), "Unknown container in dependsOn", format!("{label} depends on {target:?}, which is not a container of this task definition."));
                continue;
            };
            if target == text(container, "name").unwrap_or_default() {
                checks.error(
                    key(&dpath, "containerName"),
                    "A container cannot depend on itself",
                    format!("{label} depends on itself."),
                );
            }
            let condition = text(dependency, "condition").unwrap_or_default();
            let essential =
                target_definition.get("essential").and_then(Json::as_bool) != Some(false);
            // "This condition can't be set on an essential container."
            if matches!(condition, "COMPLETE" | "SUCCESS") && essential {
                checks.error(key(&dpath, "condition"), "An essential container cannot be a COMPLETE or SUCCESS dependency", format!("{label} waits for {target:?} to {}, but {target:?} is essential (the default); set \"essential\": false on it.", condition.to_ascii_lowercase()));
            }
            if condition == "HEALTHY"
                && target_definition
                    .get("healthCheck")
                    .is_none_or(Json::is_null)
            {
                checks.warn(key(&dpath, "condition"), "HEALTHY dependency without a health check", format!("{label} waits for {target:?} to be healthy, but {target:?} has no healthCheck, so it never is."));
            }
        }
        for (j, mount) in list(container, "mountPoints").iter().enumerate() {
            if let Some(source) = mount.get("sourceVolume").and_then(Json::as_str)
                && !volumes.contains_key(source)
            {
                // API error: "Unknown volume 'X'."
                checks.error(key(&index(&key(&path, "mountPoints"), j), "sourceVolume"), "Unknown volume", format!("{label} mounts {source:?}, which is not a volume of this task definition (volume blocks: {}).", volumes.keys().cloned().collect::<Vec<_>>().join(", ")));
            }
        }
        for (j, from) in list(container, "volumesFrom").iter().enumerate() {
            if let Some(source) = from.get("sourceContainer").and_then(Json::as_str)
                && (!names.contains(source) || Some(source) == text(container, "name"))
            {
                checks.warn(key(&index(&key(&path, "volumesFrom"), j), "sourceContainer"), "Unknown container in volumesFrom", format!("{label} takes volumes from {source:?}, which is not another container of this task definition."));
            }
        }
        for (j, link) in list(container, "links").iter().enumerate() {
            let target = link
                .as_str()
                .unwrap_or_default()
                .split(':')
                .next()
                .unwrap_or_default();
            if !names.contains(target) {
                checks.warn(index(&key(&path, "links"), j), "Unknown container in links", format!("{label} links to {target:?}, which is not a container of this task definition."));
            }
        }
        // Memory: "memory must be greater than memoryReservation"; API error "The 'memory'
        // setting for container 'X' is greater than for the task."
        let memory = container.get("memory").and_then(Json::as_i64);
        let reservation = container.get("memoryReservation").and_then(Json::as_i64);
        if let (Some(memory), Some(reservation)) = (memory, reservation)
            && reservation > memory
        {
            checks.error(key(&path, "memoryReservation"), "memoryReservation above memory", format!("{label} reserves {reservation} MiB but its hard limit (memory) is {memory} MiB; the reservation must not exceed memory."));
        }
        if let (Some(memory), Some(task)) = (memory, task_memory)
            && memory > task
        {
            checks.error(
                key(&path, "memory"),
                "Container memory above task memory",
                format!("{label} has memory {memory} MiB, more than the task's {task} MiB."),
            );
        }
        for (field, value) in [("memory", memory), ("memoryReservation", reservation)] {
            if let Some(value) = value.filter(|v| *v > 0 && *v < 6) {
                checks.warn(key(&path, field), format!("Very small {field}"), format!("{label} has {field} {value} MiB; Docker reserves at least 6 MiB for a container, so it will not start."));
            }
        }
        reserved += reservation.or(memory).unwrap_or(0);
        // The execution role: API errors "When you are specifying container secrets, you must
        // also specify a value for 'executionRoleArn'", "Private repository authentication
        // requires …", "Fargate requires task definition to have execution role ARN to support
        // log driver awslogs." and "… to support ECR images."
        let log_driver = container
            .get("logConfiguration")
            .and_then(|l| l.get("logDriver"))
            .and_then(Json::as_str);
        let image = text(container, "image").unwrap_or_default();
        let why = if !list(container, "secrets").is_empty() {
            Some("its secrets are read with the execution role")
        } else if container
            .get("repositoryCredentials")
            .is_some_and(|v| !v.is_null())
        {
            Some("private registry credentials are read with the execution role")
        } else if fargate && log_driver == Some("awslogs") {
            Some("Fargate sends awslogs logs with the execution role")
        } else if fargate && image.contains(".dkr.ecr.") {
            Some("Fargate pulls ECR images with the execution role")
        } else {
            None
        };
        if let Some(why) = why
            && needs_execution_role.is_none()
        {
            needs_execution_role = Some(format!("{label}: {why}"));
        }
        if container
            .get("firelensConfiguration")
            .is_some_and(Json::is_object)
        {
            firelens_containers += 1;
        }
        if log_driver == Some("awsfirelens") {
            firelens_logging = true;
        }
    }
    if let Some(task) = task_memory
        && reserved > task
    {
        checks.warn(
            cpath.clone(),
            "Containers reserve more memory than the task has",
            format!(
                "The containers reserve {reserved} MiB in all, more than the task's {task} MiB."
            ),
        );
    }
    if let Some(why) = needs_execution_role
        && known("executionRoleArn")
        && definition.get("executionRoleArn").is_none_or(Json::is_null)
    {
        checks.error(
            key(&root, "executionRoleArn"),
            "An execution role is needed",
            format!("Set executionRoleArn (execution_role_arn): {why}."),
        );
    }
    // API errors: "When awsfirelens log driver is specified in log configuration, a firelens
    // configuration object must be configured in one of the containers." and the reverse.
    if firelens_logging && firelens_containers == 0 {
        checks.error(cpath.clone(), "awsfirelens needs a FireLens container", "A container logs with the awsfirelens driver, but no container has a firelensConfiguration (the log router).");
    }
    if firelens_containers > 0 && !firelens_logging {
        checks.error(cpath.clone(), "FireLens container without awsfirelens logging", "A container has a firelensConfiguration, but no container logs with the awsfirelens driver.");
    }
    if let Some(Json::Object(proxy)) = definition.get("proxyConfiguration")
        && let Some(target) = text(proxy, "containerName")
        && !names.is_empty()
        && !names.contains(target)
    {
        checks.warn(key(&key(&root, "proxyConfiguration"), "containerName"), "Unknown proxy container", format!("The proxy configuration names {target:?}, which is not a container of this task definition."));
    }
    // Inference accelerators: "the value matches the deviceName for an InferenceAccelerator
    // specified in a task definition".
    let devices: BTreeSet<&str> = list(definition, "inferenceAccelerators")
        .iter()
        .filter_map(|a| a.get("deviceName").and_then(Json::as_str))
        .collect();
    for (i, container) in containers.iter().enumerate() {
        for (j, requirement) in list(container, "resourceRequirements").iter().enumerate() {
            if requirement.get("type").and_then(Json::as_str) == Some("InferenceAccelerator")
                && let Some(value) = requirement.get("value").and_then(Json::as_str)
                && !devices.contains(value)
            {
                checks.error(index(&key(&index(&cpath, i), "resourceRequirements"), j), "Unknown inference accelerator", format!("The resource requirement names {value:?}, which no inferenceAccelerators entry has as deviceName."));
            }
        }
    }
    checks.problems
}

fn check_container(
    checks: &mut Checks,
    container: &Map<String, Json>,
    path: &[PathSegment],
    label: &str,
    context: &Context,
    mode_known: bool,
) {
    let fargate = context.is_fargate();
    let mode = context.network_mode.as_deref();
    if let Some(name) = text(container, "name")
        && !name.trim().is_empty()
        && !name_ok(name)
    {
        checks.error(
            key(path, "name"),
            "Invalid container name",
            format!(
                "{name:?}: a container name has up to 255 letters, digits, hyphens and underscores."
            ),
        );
    }
    checks.one_of(container, path, "versionConsistency", VERSION_CONSISTENCY);
    // Port mappings.
    let mappings = list(container, "portMappings");
    if mode == Some("none") && !mappings.is_empty() {
        checks.error(
            key(path, "portMappings"),
            "No port mappings with networkMode none",
            format!("{label} maps ports, but the task has no network (network mode none)."),
        );
    }
    let mut seen: BTreeMap<i64, String> = BTreeMap::new();
    for (i, mapping) in mappings.iter().enumerate() {
        let Some(mapping) = mapping.as_object() else {
            continue;
        };
        let mpath = index(&key(path, "portMappings"), i);
        checks.one_of(mapping, &mpath, "protocol", PROTOCOLS);
        checks.one_of(mapping, &mpath, "appProtocol", APP_PROTOCOLS);
        let container_port = checks.whole_in(mapping, &mpath, "containerPort", 1, 65535);
        let host_port = checks.whole_in(mapping, &mpath, "hostPort", 0, 65535);
        if let Some(name) = text(mapping, "name") {
            // "up to 64 characters … lowercase letters, numbers, underscores (_), and hyphens
            // (-). The name can't start with a hyphen."
            let ok = !name.is_empty()
                && name.len() <= 64
                && !name.starts_with('-')
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
            if !ok {
                checks.error(key(&mpath, "name"), "Invalid port mapping name", format!("{name:?}: up to 64 lowercase letters, digits, underscores and hyphens, not starting with a hyphen."));
            }
        }
        // "When networkMode=awsvpc, the host ports and container ports in port mappings must
        // match." (and the same under host networking).
        if mode_known
            && let (Some(cp), Some(hp)) = (container_port, host_port)
            && hp != 0
            && hp != cp
            && matches!(mode, Some("awsvpc" | "host"))
        {
            checks.error(key(&mpath, "hostPort"), format!("Host port differs under {}", mode.unwrap_or_default()), format!("{label} maps container port {cp} to host port {hp}; under the {} network mode the host port must be left out or equal the container port.", mode.unwrap_or_default()));
        }
        if let Some(range) = mapping.get("containerPortRange").filter(|r| !r.is_null()) {
            let parsed = range
                .as_str()
                .and_then(|r| r.split_once('-'))
                .and_then(|(a, b)| {
                    Some((a.trim().parse::<i64>().ok()?, b.trim().parse::<i64>().ok()?))
                });
            match parsed {
                Some((first, last)) if 1 <= first && first < last && last <= 65535 => {}
                _ => checks.error(
                    key(&mpath, "containerPortRange"),
                    "Invalid containerPortRange",
                    format!("{range} is not \"FIRST-LAST\" with 1 ≤ FIRST < LAST ≤ 65535."),
                ),
            }
            if host_port.is_some_and(|h| h != 0) {
                checks.error(
                    key(&mpath, "hostPort"),
                    "hostPort with a containerPortRange",
                    "With a containerPortRange, leave hostPort out (ECS assigns the host ports).",
                );
            }
            if mode_known && !matches!(mode, Some("awsvpc") | Some("bridge") | None) {
                checks.error(
                    key(&mpath, "containerPortRange"),
                    "containerPortRange needs bridge or awsvpc",
                    "Port ranges work with the bridge or awsvpc network mode only.",
                );
            }
        }
        // "You can't expose the same container port for multiple protocols."
        if let Some(cp) = container_port {
            let protocol = text(mapping, "protocol").unwrap_or("tcp").to_string();
            match seen.get(&cp) {
                Some(other) if *other != protocol => checks.error(mpath.clone(), "One container port, two protocols", format!("{label} exposes port {cp} as both {other} and {protocol}; ECS does not allow that.")),
                _ => {
                    seen.insert(cp, protocol);
                }
            }
        }
    }
    // Health check: "between 5 and 300 seconds", "between 2 and 60", "between 1 and 10",
    // "between 0 and 300".
    if let Some(Json::Object(health)) = container.get("healthCheck") {
        let hpath = key(path, "healthCheck");
        checks.whole_in(health, &hpath, "interval", 5, 300);
        checks.whole_in(health, &hpath, "timeout", 2, 60);
        checks.whole_in(health, &hpath, "retries", 1, 10);
        checks.whole_in(health, &hpath, "startPeriod", 0, 300);
        match health.get("command").and_then(Json::as_array) {
            None => checks.error(key(&hpath, "command"), "Missing health check command", format!("{label} has a healthCheck without a command.")),
            Some(command) if command.is_empty() => checks.error(key(&hpath, "command"), "Empty health check command", format!("{label} has a healthCheck with an empty command.")),
            Some(command) if !matches!(command[0].as_str(), Some("CMD" | "CMD-SHELL")) => checks.warn(key(&hpath, "command"), "Health check command form", format!("{label}'s health check command starts with {}; it must start with \"CMD\" or \"CMD-SHELL\".", command[0])),
            _ => {}
        }
    }
    if let Some(Json::Object(logging)) = container.get("logConfiguration") {
        let lpath = key(path, "logConfiguration");
        checks.one_of(logging, &lpath, "logDriver", LOG_DRIVERS);
        if fargate
            && let Some(driver) = text(logging, "logDriver")
            && LOG_DRIVERS.contains(&driver)
            && !FARGATE_LOG_DRIVERS.contains(&driver)
        {
            checks.error(
                key(&lpath, "logDriver"),
                "Log driver not supported on Fargate",
                format!(
                    "{label} logs with {driver:?}; on Fargate the log drivers are {}.",
                    quoted(FARGATE_LOG_DRIVERS)
                ),
            );
        }
        if logging.get("logDriver").is_none_or(Json::is_null) {
            checks.error(
                key(&lpath, "logDriver"),
                "Missing logDriver",
                format!("{label}'s logConfiguration names no logDriver."),
            );
        }
    }
    for (i, limit) in list(container, "ulimits").iter().enumerate() {
        let Some(limit) = limit.as_object() else {
            continue;
        };
        let upath = index(&key(path, "ulimits"), i);
        // API error: "Unrecognized ulimit name memory".
        checks.one_of(limit, &upath, "name", ULIMIT_NAMES);
        let soft = limit.get("softLimit").and_then(Json::as_i64);
        let hard = limit.get("hardLimit").and_then(Json::as_i64);
        if soft.is_none() || hard.is_none() {
            checks.error(
                upath.clone(),
                "Incomplete ulimit",
                "each ulimit sets name, softLimit and hardLimit (whole numbers).",
            );
        }
    }
    for (i, requirement) in list(container, "resourceRequirements").iter().enumerate() {
        let Some(requirement) = requirement.as_object() else {
            continue;
        };
        let rpath = index(&key(path, "resourceRequirements"), i);
        checks.one_of(requirement, &rpath, "type", RESOURCE_TYPES);
        if fargate && text(requirement, "type") == Some("GPU") {
            checks.error(
                rpath,
                "GPUs are not supported on Fargate",
                format!("{label} requires a GPU, which Fargate does not offer."),
            );
        }
    }
    if let Some(Json::Object(firelens)) = container.get("firelensConfiguration") {
        checks.one_of(
            firelens,
            &key(path, "firelensConfiguration"),
            "type",
            FIRELENS_TYPES,
        );
    }
    for (i, file) in list(container, "environmentFiles").iter().enumerate() {
        let Some(file) = file.as_object() else {
            continue;
        };
        let fpath = index(&key(path, "environmentFiles"), i);
        checks.one_of(file, &fpath, "type", &["s3"]);
        // "The Amazon Resource Name (ARN) of the Amazon S3 object", with a .env extension.
        match text(file, "value") {
            Some(value) if arn_service(value) == Some("s3") && value.ends_with(".env") => {}
            value => checks.error(key(&fpath, "value"), "Invalid environment file", format!("{} is not the ARN of an S3 object with the .env extension (arn:aws:s3:::bucket/app.env).", value.map_or_else(|| "nothing".to_string(), |v| format!("{v:?}")))),
        }
    }
    if list(container, "environmentFiles").len() > 10 {
        checks.error(
            key(path, "environmentFiles"),
            "Too many environment files",
            format!("{label} has more than 10 environment files."),
        );
    }
    if list(container, "credentialSpecs").len() > 1 {
        checks.error(
            key(path, "credentialSpecs"),
            "Too many credential specs",
            format!("{label} has more than one credential spec."),
        );
    }
    for (i, secret) in list(container, "secrets").iter().enumerate() {
        // "either the full ARN of the Secrets Manager secret or the full ARN of the parameter in
        // the SSM Parameter Store", or a parameter name in the task's Region.
        if let Some(value) = secret.get("valueFrom").and_then(Json::as_str)
            && value.starts_with("arn:")
            && !matches!(arn_service(value), Some("secretsmanager" | "ssm"))
        {
            checks.error(key(&index(&key(path, "secrets"), i), "valueFrom"), "Invalid secret reference", format!("{value:?} is neither a Secrets Manager secret ARN nor an SSM parameter ARN (or a parameter name)."));
        }
    }
    // Duplicate environment names: ECS keeps one, and which one is not said.
    let mut env_names = BTreeSet::new();
    for (i, entry) in list(container, "environment").iter().enumerate() {
        if let Some(name) = entry.get("name").and_then(Json::as_str)
            && !env_names.insert(name)
        {
            checks.warn(index(&key(path, "environment"), i), "Duplicate environment variable", format!("{label} sets {name:?} more than once; the container sees only one of the values."));
        }
    }
    if let Some(Json::Object(restart)) = container.get("restartPolicy") {
        let rpath = key(path, "restartPolicy");
        if !restart.get("enabled").is_some_and(Json::is_boolean) {
            checks.error(
                key(&rpath, "enabled"),
                "Missing restartPolicy.enabled",
                "a restartPolicy says whether it is enabled (true or false).",
            );
        }
        // "a minimum restartAttemptPeriod of 60 seconds and a maximum … of 1800 seconds";
        // "a maximum of 50 container exit codes".
        checks.whole_in(restart, &rpath, "restartAttemptPeriod", 60, 1800);
        if list(restart, "ignoredExitCodes").len() > 50 {
            checks.error(
                key(&rpath, "ignoredExitCodes"),
                "Too many ignored exit codes",
                "a restart policy ignores at most 50 exit codes.",
            );
        }
    }
    if let Some(Json::Object(linux)) = container.get("linuxParameters") {
        let lpath = key(path, "linuxParameters");
        checks.whole_in(linux, &lpath, "swappiness", 0, 100);
        checks.whole_in(linux, &lpath, "maxSwap", 0, i64::MAX);
        if fargate {
            for field in [
                "devices",
                "sharedMemorySize",
                "tmpfs",
                "maxSwap",
                "swappiness",
            ] {
                if linux.get(field).is_some_and(|v| !v.is_null()) {
                    checks.error(
                        key(&lpath, field),
                        format!("linuxParameters.{field} is not supported on Fargate"),
                        format!(
                            "{label} sets linuxParameters.{field}, which Fargate does not support."
                        ),
                    );
                }
            }
            // "Tasks launched on Fargate only support adding the SYS_PTRACE kernel capability."
            if let Some(added) = linux
                .get("capabilities")
                .and_then(|c| c.get("add"))
                .and_then(Json::as_array)
            {
                for capability in added
                    .iter()
                    .filter_map(Json::as_str)
                    .filter(|c| *c != "SYS_PTRACE")
                {
                    checks.warn(
                        key(&key(&lpath, "capabilities"), "add"),
                        "Capability not supported on Fargate",
                        format!(
                            "{label} adds {capability}; on Fargate only SYS_PTRACE can be added."
                        ),
                    );
                }
            }
        }
    }
    // "The valid values for Fargate are 2-120 seconds."
    if fargate {
        for field in ["startTimeout", "stopTimeout"] {
            if let Some(value) = container
                .get(field)
                .and_then(Json::as_i64)
                .filter(|v| !(2..=120).contains(v))
            {
                checks.warn(key(path, field), format!("{field} outside Fargate's range"), format!("{label} sets {field} {value}; on Fargate the valid values are 2 to 120 seconds."));
            }
        }
        for field in [
            "dockerSecurityOptions",
            "links",
            "dnsServers",
            "dnsSearchDomains",
            "extraHosts",
        ] {
            if container
                .get(field)
                .and_then(Json::as_array)
                .is_some_and(|a| !a.is_empty())
            {
                checks.error(
                    key(path, field),
                    format!("{field} is not supported on Fargate"),
                    format!("{label} sets {field}, which Fargate tasks cannot use."),
                );
            }
        }
        if container.get("disableNetworking") == Some(&Json::Bool(true)) {
            checks.error(
                key(path, "disableNetworking"),
                "disableNetworking is not supported on Fargate",
                format!("{label} sets disableNetworking, which Fargate tasks cannot use."),
            );
        }
    }
    if mode_known
        && !matches!(mode, Some("bridge") | None)
        && !list(container, "links").is_empty()
        && !fargate
    {
        // API error: "Links are not supported when networkMode=awsvpc."
        checks.error(
            key(path, "links"),
            "links need the bridge network mode",
            format!("{label} uses links, which work only in bridge network mode."),
        );
    }
    if mode_known && mode == Some("awsvpc") {
        // API error: "hostname is not supported on container when networkMode=awsvpc."
        if container.get("hostname").is_some_and(|v| !v.is_null()) {
            checks.error(
                key(path, "hostname"),
                "hostname is not supported under awsvpc",
                format!("{label} sets hostname, which the awsvpc network mode does not support."),
            );
        }
        if !fargate
            && container
                .get("extraHosts")
                .and_then(Json::as_array)
                .is_some_and(|a| !a.is_empty())
        {
            checks.error(
                key(path, "extraHosts"),
                "extraHosts is not supported under awsvpc",
                format!("{label} sets extraHosts, which the awsvpc network mode does not support."),
            );
        }
    }
    for (field, service) in [("repositoryCredentials", "credentialsParameter")] {
        if let Some(Json::Object(credentials)) = container.get(field) {
            match text(credentials, service) {
                Some(value) if !value.starts_with("arn:") || arn_service(value) == Some("secretsmanager") => {}
                _ => checks.error(key(&key(path, field), service), "Invalid registry credentials", "repositoryCredentials.credentialsParameter names a Secrets Manager secret (its ARN, or its name in the task's Region)."),
            }
        }
    }
}
