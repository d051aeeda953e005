//! Network rules: which network modes a launch type takes, and port mappings under each
//! network mode (API reference: RegisterTaskDefinition `networkMode`, PortMapping).

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use super::ecs_checks::{APP_PROTOCOLS, Checks, PROTOCOLS, index, key, list, text};
use crate::taskdef::Context;
use crate::taskdef::validate::PathSegment;

/// ECS Anywhere: "tasks that run on external instances must use the bridge, host, or none
/// network modes"; Managed Instances: awsvpc or host.
pub(super) fn check_launch_types(checks: &mut Checks, context: &Context, mode_known: bool) {
    let root: Vec<PathSegment> = Vec::new();
    let mode = context.network_mode.as_deref();
    let compatibilities = &context.requires_compatibilities;
    if !mode_known {
        return;
    }
    if compatibilities.iter().any(|c| c == "EXTERNAL") && mode == Some("awsvpc") {
        checks.error(
            key(&root, "networkMode"),
            "EXTERNAL does not support awsvpc",
            "Tasks on external instances (ECS Anywhere) use the bridge, host or none network mode.",
        );
    }
    if compatibilities.iter().any(|c| c == "MANAGED_INSTANCES")
        && matches!(mode, Some("bridge" | "none"))
    {
        checks.error(
            key(&root, "networkMode"),
            "MANAGED_INSTANCES needs awsvpc or host",
            "Tasks on Amazon ECS Managed Instances use the awsvpc (default) or host network mode.",
        );
    }
}

/// A container's port mappings: protocols, port ranges, names, host ports under awsvpc and
/// host networking, port ranges, one protocol per container port.
pub(super) fn check_port_mappings(
    checks: &mut Checks,
    container: &Map<String, Json>,
    path: &[PathSegment],
    label: &str,
    mode: Option<&str>,
    mode_known: bool,
) {
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
}

#[cfg(test)]
mod tests {
    use crate::taskdef::validate_task_definition;
    use serde_json::json;

    fn summaries(definition: serde_json::Value) -> Vec<String> {
        validate_task_definition(definition.as_object().unwrap(), &[])
            .into_iter()
            .filter(|p| !p.warning)
            .map(|p| p.summary)
            .collect()
    }

    fn with_ports(mode: &str, mappings: serde_json::Value) -> serde_json::Value {
        json!({"family": "f", "networkMode": mode, "memory": "512",
               "containerDefinitions": [{"name": "app", "image": "i", "portMappings": mappings}]})
    }

    #[test]
    fn awsvpc_and_host_need_the_host_port_to_be_the_container_port() {
        // "When networkMode=awsvpc, the host ports and container ports in port mappings must match."
        let differs = with_ports("awsvpc", json!([{"containerPort": 80, "hostPort": 8080}]));
        assert!(
            summaries(differs)
                .iter()
                .any(|s| s.contains("Host port differs"))
        );
        let same = with_ports("awsvpc", json!([{"containerPort": 80, "hostPort": 80}]));
        assert!(summaries(same).is_empty());
        let bridge = with_ports("bridge", json!([{"containerPort": 80, "hostPort": 8080}]));
        assert!(summaries(bridge).is_empty(), "bridge maps any host port");
    }

    #[test]
    fn one_container_port_has_one_protocol_and_ports_are_in_range() {
        let both = with_ports(
            "bridge",
            json!([{"containerPort": 53, "protocol": "udp"}, {"containerPort": 53, "protocol": "tcp"}]),
        );
        assert!(summaries(both).iter().any(|s| s.contains("two protocols")));
        let out_of_range = with_ports("bridge", json!([{"containerPort": 70000}]));
        assert!(!summaries(out_of_range).is_empty());
        let none = with_ports("none", json!([{"containerPort": 80}]));
        assert!(
            summaries(none)
                .iter()
                .any(|s| s.contains("networkMode none"))
        );
    }

    #[test]
    fn external_instances_take_no_awsvpc_and_managed_instances_no_bridge() {
        let external = json!({"family": "f", "networkMode": "awsvpc", "memory": "512", "requiresCompatibilities": ["EXTERNAL"],
                              "containerDefinitions": [{"name": "app", "image": "i"}]});
        assert!(summaries(external).iter().any(|s| s.contains("EXTERNAL")));
        let managed = json!({"family": "f", "networkMode": "bridge", "memory": "512", "requiresCompatibilities": ["MANAGED_INSTANCES"],
                             "containerDefinitions": [{"name": "app", "image": "i"}]});
        assert!(
            summaries(managed)
                .iter()
                .any(|s| s.contains("MANAGED_INSTANCES"))
        );
    }
}
