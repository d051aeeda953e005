//! What RegisterTaskDefinition rejects beyond the shape of the document, and the entry point
//! that runs every rule family: enum values and ARNs here, beside the families of their own
//! modules (`networking`, `fargate`, `volumes`, `cross_refs`, `limits`; `types` and the shape
//! checks run from `validate/mod.rs`). Each check names its source: the ECS API reference
//! (through the SDK's documentation of the same model, `aws-sdk-ecs` types) or an API error
//! users have seen (`ClientException` text quoted in a public issue). What registers but will
//! not work as meant is a warning.

use std::collections::BTreeSet;

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
pub(super) const PROTOCOLS: &[&str] = &["tcp", "udp"];
pub(super) const APP_PROTOCOLS: &[&str] = &["http", "http2", "grpc"];
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
pub(super) const CONDITIONS: &[&str] = &["START", "COMPLETE", "SUCCESS", "HEALTHY"];
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
    super::networking::check_launch_types(&mut checks, context, known("networkMode"));
    if let Some(Json::Object(platform)) = definition.get("runtimePlatform") {
        let path = key(&root, "runtimePlatform");
        checks.one_of(platform, &path, "cpuArchitecture", CPU_ARCHITECTURES);
        checks.one_of(platform, &path, "operatingSystemFamily", OS_FAMILIES);
    }
    if let Some(Json::Object(storage)) = definition.get("ephemeralStorage") {
        let path = key(&root, "ephemeralStorage");
        super::limits::check_ephemeral_storage(&mut checks, storage, &path);
        if !fargate && known("requiresCompatibilities") {
            super::fargate::warn_ephemeral_storage_elsewhere(&mut checks, path);
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
    super::limits::check_placement_constraints(&mut checks, constraints.len(), &root);
    if fargate {
        super::fargate::check_task(
            &mut checks,
            definition,
            &root,
            constraints.len(),
            known("ipcMode"),
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
        super::cross_refs::check_container(
            &mut checks,
            container,
            &path,
            &label,
            &containers,
            &names,
            &volumes,
        );
        reserved += super::limits::check_container_memory(
            &mut checks,
            container,
            &path,
            &label,
            task_memory,
        );
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
    super::limits::check_reserved_memory(&mut checks, &cpath, reserved, task_memory);
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
    super::cross_refs::check_task(
        &mut checks,
        definition,
        &containers,
        &names,
        &cpath,
        &root,
        firelens_containers,
        firelens_logging,
    );
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
    super::networking::check_port_mappings(checks, container, path, label, mode, mode_known);
    // Health check: "between 5 and 300 seconds", "between 2 and 60", "between 1 and 10",
    // "between 0 and 300".
    if let Some(Json::Object(health)) = container.get("healthCheck") {
        let hpath = key(path, "healthCheck");
        super::limits::check_health_check(checks, health, &hpath);
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

#[cfg(test)]
mod tests {
    use super::is_role_arn;
    use crate::taskdef::validate_task_definition;
    use serde_json::json;

    fn errors(definition: serde_json::Value) -> Vec<String> {
        validate_task_definition(definition.as_object().unwrap(), &[])
            .into_iter()
            .filter(|p| !p.warning)
            .map(|p| p.summary)
            .collect()
    }

    fn task(extra: serde_json::Value, container: serde_json::Value) -> serde_json::Value {
        let mut app = json!({"name": "app", "image": "i"});
        for (k, v) in container.as_object().unwrap() {
            app[k] = v.clone();
        }
        let mut d = json!({"family": "f", "memory": "512", "containerDefinitions": [app]});
        for (k, v) in extra.as_object().unwrap() {
            d[k] = v.clone();
        }
        d
    }

    #[test]
    fn enum_values_are_the_ones_the_api_reference_lists() {
        // RegisterTaskDefinition networkMode: none | bridge | awsvpc | host.
        assert!(!errors(task(json!({"networkMode": "overlay"}), json!({}))).is_empty());
        assert!(errors(task(json!({"networkMode": "host"}), json!({}))).is_empty());
        // LogConfiguration.logDriver: json-file, syslog, journald, gelf, fluentd, awslogs,
        // splunk, awsfirelens.
        let bad_driver = task(
            json!({}),
            json!({"logConfiguration": {"logDriver": "stdout"}}),
        );
        assert!(!errors(bad_driver).is_empty());
        // DependsOn.condition: START | COMPLETE | SUCCESS | HEALTHY.
        let bad_condition = json!({"family": "f", "memory": "512", "containerDefinitions": [
            {"name": "a", "image": "i", "dependsOn": [{"containerName": "b", "condition": "READY"}]},
            {"name": "b", "image": "i", "essential": false}]});
        assert!(!errors(bad_condition).is_empty());
    }

    #[test]
    fn roles_are_arns_or_short_names() {
        assert!(is_role_arn(
            "arn:aws:iam::123456789012:role/ecsTaskExecutionRole"
        ));
        assert!(is_role_arn(
            "arn:aws-cn:iam::123456789012:role/path/to/role"
        ));
        assert!(!is_role_arn("arn:aws:iam::123456789012:user/someone"));
        assert!(!is_role_arn("arn:aws:iam::1234:role/short-account"));
        assert!(
            errors(task(
                json!({"executionRoleArn": "ecsTaskExecutionRole"}),
                json!({})
            ))
            .is_empty()
        );
        assert!(!errors(task(json!({"executionRoleArn": "not a role!"}), json!({}))).is_empty());
    }
}
