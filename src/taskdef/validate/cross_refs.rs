//! References between the parts of a task definition (API reference and the API errors
//! users have quoted): `dependsOn`, `mountPoints`, `volumesFrom` and `links` name containers and
//! volumes of the same task; a FireLens log router and the containers that log through it come
//! together; the proxy and inference accelerator references name what the task has.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json};

use super::ecs_checks::{CONDITIONS, Checks, index, key, list, text};
use crate::taskdef::validate::PathSegment;

/// What one container names of the others and of the task's volumes.
pub(super) fn check_container(
    checks: &mut Checks,
    container: &Map<String, Json>,
    path: &[PathSegment],
    label: &str,
    containers: &[Map<String, Json>],
    names: &BTreeSet<&str>,
    volumes: &BTreeMap<String, &Map<String, Json>>,
) {
    for (j, dependency) in list(container, "dependsOn").iter().enumerate() {
        let Some(dependency) = dependency.as_object() else {
            continue;
        };
        let dpath = index(&key(path, "dependsOn"), j);
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
        let Some(target_definition) = containers.iter().find(|c| text(c, "name") == Some(target))
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
        let essential = target_definition.get("essential").and_then(Json::as_bool) != Some(false);
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
            checks.error(key(&index(&key(path, "mountPoints"), j), "sourceVolume"), "Unknown volume", format!("{label} mounts {source:?}, which is not a volume of this task definition (volume blocks: {}).", volumes.keys().cloned().collect::<Vec<_>>().join(", ")));
        }
    }
    for (j, from) in list(container, "volumesFrom").iter().enumerate() {
        if let Some(source) = from.get("sourceContainer").and_then(Json::as_str)
            && (!names.contains(source) || Some(source) == text(container, "name"))
        {
            checks.warn(key(&index(&key(path, "volumesFrom"), j), "sourceContainer"), "Unknown container in volumesFrom", format!("{label} takes volumes from {source:?}, which is not another container of this task definition."));
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
            checks.warn(
                index(&key(path, "links"), j),
                "Unknown container in links",
                format!(
                    "{label} links to {target:?}, which is not a container of this task definition."
                ),
            );
        }
    }
}

/// What the task as a whole names: the FireLens pairing, the proxy's container, the
/// inference accelerators' devices.
#[allow(clippy::too_many_arguments)]
pub(super) fn check_task(
    checks: &mut Checks,
    definition: &Map<String, Json>,
    containers: &[Map<String, Json>],
    names: &BTreeSet<&str>,
    cpath: &[PathSegment],
    root: &[PathSegment],
    firelens_containers: usize,
    firelens_logging: bool,
) {
    // API errors: "When awsfirelens log driver is specified in log configuration, a firelens
    // configuration object must be configured in one of the containers." and the reverse.
    if firelens_logging && firelens_containers == 0 {
        checks.error(cpath.to_vec(), "awsfirelens needs a FireLens container", "A container logs with the awsfirelens driver, but no container has a firelensConfiguration (the log router).");
    }
    if firelens_containers > 0 && !firelens_logging {
        checks.error(cpath.to_vec(), "FireLens container without awsfirelens logging", "A container has a firelensConfiguration, but no container logs with the awsfirelens driver.");
    }
    if let Some(Json::Object(proxy)) = definition.get("proxyConfiguration")
        && let Some(target) = text(proxy, "containerName")
        && !names.is_empty()
        && !names.contains(target)
    {
        checks.warn(key(&key(root, "proxyConfiguration"), "containerName"), "Unknown proxy container", format!("The proxy configuration names {target:?}, which is not a container of this task definition."));
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
                checks.error(index(&key(&index(cpath, i), "resourceRequirements"), j), "Unknown inference accelerator", format!("The resource requirement names {value:?}, which no inferenceAccelerators entry has as deviceName."));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::taskdef::validate_task_definition;
    use serde_json::json;

    fn problems(containers: serde_json::Value) -> Vec<(bool, String)> {
        let definition =
            json!({"family": "f", "memory": "512", "containerDefinitions": containers});
        validate_task_definition(definition.as_object().unwrap(), &[])
            .into_iter()
            .map(|p| (p.warning, p.summary))
            .collect()
    }

    #[test]
    fn depends_on_names_another_container_and_no_essential_one_may_complete() {
        // API error: "Cannot depend on container + 'X' because it does not exist".
        let unknown = problems(
            json!([{"name": "a", "image": "i", "dependsOn": [{"containerName": "b", "condition": "START"}]}]),
        );
        assert!(
            unknown
                .iter()
                .any(|(w, s)| !w && s == "Unknown container in dependsOn"),
            "{unknown:?}"
        );
        // "This condition can't be set on an essential container."
        let essential = problems(
            json!([{"name": "a", "image": "i", "dependsOn": [{"containerName": "b", "condition": "SUCCESS"}]},
                                        {"name": "b", "image": "i"}]),
        );
        assert!(essential.iter().any(|(w, _)| !w), "{essential:?}");
        let fine = problems(
            json!([{"name": "a", "image": "i", "dependsOn": [{"containerName": "b", "condition": "SUCCESS"}]},
                                   {"name": "b", "image": "i", "essential": false}]),
        );
        assert!(fine.is_empty(), "{fine:?}");
    }

    #[test]
    fn mounts_name_a_volume_and_firelens_comes_in_pairs() {
        // API error: "Unknown volume 'X'."
        let mount = problems(
            json!([{"name": "a", "image": "i", "mountPoints": [{"sourceVolume": "data", "containerPath": "/d"}]}]),
        );
        assert!(
            mount.iter().any(|(w, s)| !w && s == "Unknown volume"),
            "{mount:?}"
        );
        let router_only = problems(
            json!([{"name": "a", "image": "i", "firelensConfiguration": {"type": "fluentbit"}}]),
        );
        assert!(
            router_only
                .iter()
                .any(|(_, s)| s == "FireLens container without awsfirelens logging"),
            "{router_only:?}"
        );
        let logging_only = problems(
            json!([{"name": "a", "image": "i", "logConfiguration": {"logDriver": "awsfirelens"}}]),
        );
        assert!(
            logging_only
                .iter()
                .any(|(_, s)| s == "awsfirelens needs a FireLens container"),
            "{logging_only:?}"
        );
    }
}
