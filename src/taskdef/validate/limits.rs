//! Limits and ranges from the API reference: placement constraints per task, ephemeral
//! storage, health check timings, and container memory against its reservation and the task.

use serde_json::{Map, Value as Json};

use super::ecs_checks::{Checks, key};
use crate::taskdef::validate::PathSegment;

/// "You can specify a maximum of 10 constraints for each task."
pub(super) fn check_placement_constraints(checks: &mut Checks, count: usize, root: &[PathSegment]) {
    if count > 10 {
        checks.error(
            key(root, "placementConstraints"),
            "Too many placement constraints",
            format!("{count} placement constraints; ECS allows at most 10."),
        );
    }
}

/// "The minimum supported value is 21 GiB and the maximum supported value is 200 GiB."
pub(super) fn check_ephemeral_storage(
    checks: &mut Checks,
    storage: &Map<String, Json>,
    path: &[PathSegment],
) {
    checks.whole_in(storage, path, "sizeInGiB", 21, 200);
}

/// Health check: "between 5 and 300 seconds", "between 2 and 60", "between 1 and 10",
/// "between 0 and 300".
pub(super) fn check_health_check(
    checks: &mut Checks,
    health: &Map<String, Json>,
    path: &[PathSegment],
) {
    checks.whole_in(health, path, "interval", 5, 300);
    checks.whole_in(health, path, "timeout", 2, 60);
    checks.whole_in(health, path, "retries", 1, 10);
    checks.whole_in(health, path, "startPeriod", 0, 300);
}

/// A container's memory against its reservation and the task's memory; returns what it
/// reserves (its reservation, else its hard limit).
pub(super) fn check_container_memory(
    checks: &mut Checks,
    container: &Map<String, Json>,
    path: &[PathSegment],
    label: &str,
    task_memory: Option<i64>,
) -> i64 {
    // Memory: "memory must be greater than memoryReservation"; API error "The 'memory'
    // setting for container 'X' is greater than for the task."
    let memory = container.get("memory").and_then(Json::as_i64);
    let reservation = container.get("memoryReservation").and_then(Json::as_i64);
    if let (Some(memory), Some(reservation)) = (memory, reservation)
        && reservation > memory
    {
        checks.error(key(path, "memoryReservation"), "memoryReservation above memory", format!("{label} reserves {reservation} MiB but its hard limit (memory) is {memory} MiB; the reservation must not exceed memory."));
    }
    if let (Some(memory), Some(task)) = (memory, task_memory)
        && memory > task
    {
        checks.error(
            key(path, "memory"),
            "Container memory above task memory",
            format!("{label} has memory {memory} MiB, more than the task's {task} MiB."),
        );
    }
    for (field, value) in [("memory", memory), ("memoryReservation", reservation)] {
        if let Some(value) = value.filter(|v| *v > 0 && *v < 6) {
            checks.warn(key(path, field), format!("Very small {field}"), format!("{label} has {field} {value} MiB; Docker reserves at least 6 MiB for a container, so it will not start."));
        }
    }
    reservation.or(memory).unwrap_or(0)
}

/// What all containers reserve against the task's memory.
pub(super) fn check_reserved_memory(
    checks: &mut Checks,
    path: &[PathSegment],
    reserved: i64,
    task_memory: Option<i64>,
) {
    if let Some(task) = task_memory
        && reserved > task
    {
        checks.warn(
            path.to_vec(),
            "Containers reserve more memory than the task has",
            format!(
                "The containers reserve {reserved} MiB in all, more than the task's {task} MiB."
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::taskdef::validate_task_definition;
    use serde_json::json;

    fn problems(definition: serde_json::Value) -> Vec<(bool, String)> {
        validate_task_definition(definition.as_object().unwrap(), &[])
            .into_iter()
            .map(|p| (p.warning, p.summary))
            .collect()
    }

    #[test]
    fn memory_reservation_container_and_task_memory_relate_as_documented() {
        let definition = |container: serde_json::Value| json!({"family": "f", "memory": "512", "containerDefinitions": [container]});
        let above = problems(definition(
            json!({"name": "a", "image": "i", "memory": 256, "memoryReservation": 300}),
        ));
        assert!(
            above
                .iter()
                .any(|(w, s)| !w && s == "memoryReservation above memory"),
            "{above:?}"
        );
        let bigger = problems(definition(
            json!({"name": "a", "image": "i", "memory": 1024}),
        ));
        assert!(
            bigger
                .iter()
                .any(|(w, s)| !w && s == "Container memory above task memory"),
            "{bigger:?}"
        );
        let tiny = problems(definition(json!({"name": "a", "image": "i", "memory": 4})));
        assert!(
            tiny.iter().any(|(w, s)| *w && s == "Very small memory"),
            "{tiny:?}"
        );
        let fine = problems(definition(
            json!({"name": "a", "image": "i", "memory": 256, "memoryReservation": 128}),
        ));
        assert!(fine.is_empty(), "{fine:?}");
    }

    #[test]
    fn ranges_from_the_api_reference() {
        let base = |extra: serde_json::Value| {
            let mut d = json!({"family": "f", "memory": "512", "containerDefinitions": [{"name": "a", "image": "i"}]});
            for (k, v) in extra.as_object().unwrap() {
                d[k] = v.clone();
            }
            d
        };
        let constraints: Vec<serde_json::Value> = (0..11)
            .map(|_| json!({"type": "memberOf", "expression": "attribute:x == y"}))
            .collect();
        assert!(
            problems(base(json!({"placementConstraints": constraints})))
                .iter()
                .any(|(_, s)| s == "Too many placement constraints")
        );
        assert!(!problems(base(json!({"ephemeralStorage": {"sizeInGiB": 20}, "requiresCompatibilities": ["FARGATE"]}))).is_empty());
        let health = json!({"family": "f", "memory": "512", "containerDefinitions": [{"name": "a", "image": "i",
            "healthCheck": {"command": ["CMD", "true"], "interval": 4}}]});
        assert!(problems(health).iter().any(|(w, _)| !w));
    }
}
