//! Fargate's own rules for a whole task (API reference and the Fargate task definition
//! considerations): no placement constraints, no IPC namespace, the task's process namespace
//! only; ephemeral storage that only Fargate takes.

use serde_json::{Map, Value as Json};

use super::ecs_checks::{Checks, key, text};
use crate::taskdef::validate::PathSegment;

/// The task-level rules of a task that runs on Fargate.
pub(super) fn check_task(
    checks: &mut Checks,
    definition: &Map<String, Json>,
    root: &[PathSegment],
    constraints: usize,
    ipc_known: bool,
) {
    if constraints > 0 {
        checks.error(
            key(root, "placementConstraints"),
            "placementConstraints are not supported on Fargate",
            "Fargate places tasks itself; remove the placement constraints or drop FARGATE.",
        );
    }
    if ipc_known && text(definition, "ipcMode").is_some_and(|v| !v.is_empty()) {
        checks.error(
            key(root, "ipcMode"),
            "ipcMode is not supported on Fargate",
            "The IPC namespace mode is not supported for tasks on Fargate; remove ipcMode.",
        );
    }
    // "On Fargate for Linux containers, the only valid value is task."
    if text(definition, "pidMode") == Some("host") {
        checks.error(
            key(root, "pidMode"),
            "pidMode host is not supported on Fargate",
            "On Fargate the only process namespace mode is \"task\".",
        );
    }
}

/// ephemeralStorage on a task that is not for Fargate: registered, and ignored.
pub(super) fn warn_ephemeral_storage_elsewhere(checks: &mut Checks, path: Vec<PathSegment>) {
    checks.warn(path, "ephemeralStorage applies to Fargate only", "ephemeralStorage sets the ephemeral storage of Fargate tasks; other launch types ignore it.");
}

#[cfg(test)]
mod tests {
    use crate::taskdef::validate_task_definition;
    use serde_json::json;

    fn errors(definition: serde_json::Value) -> Vec<String> {
        validate_task_definition(definition.as_object().unwrap(), &[])
            .into_iter()
            .filter(|p| !p.warning)
            .map(|p| p.summary)
            .collect()
    }

    fn fargate(extra: serde_json::Value) -> serde_json::Value {
        let mut d = json!({"family": "f", "networkMode": "awsvpc", "cpu": "256", "memory": "512",
                           "requiresCompatibilities": ["FARGATE"],
                           "containerDefinitions": [{"name": "a", "image": "i"}]});
        for (k, v) in extra.as_object().unwrap() {
            d[k] = v.clone();
        }
        d
    }

    #[test]
    fn fargate_takes_no_placement_constraints_ipc_mode_or_host_pid_mode() {
        assert!(errors(fargate(json!({"placementConstraints": [{"type": "memberOf", "expression": "attribute:x == y"}]}))).iter().any(|s| s.contains("placementConstraints are not supported on Fargate")));
        assert!(
            errors(fargate(json!({"ipcMode": "task"})))
                .iter()
                .any(|s| s.contains("ipcMode"))
        );
        assert!(
            errors(fargate(json!({"pidMode": "host"})))
                .iter()
                .any(|s| s.contains("pidMode host"))
        );
        assert!(errors(fargate(json!({"pidMode": "task"}))).is_empty());
    }
}
