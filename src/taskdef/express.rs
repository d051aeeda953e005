//! What a task definition needs to serve an ECS Express service, checked before anything is
//! registered: the API reference of `CreateExpressGatewayService` and
//! `UpdateExpressGatewayService` (`taskDefinitionArn`) says "The task definition must have a
//! container named `Main` with a single TCP port mapping that includes a container port and
//! port name. The task definition must also have `FARGATE` compatibility." Pure: the same
//! rules serve `ecstpl` before it registers and `ecstpl_template` (`express = true`) at plan.

use serde_json::{Map, Value as Json};

use crate::taskdef::{PathSegment, Problem};

/// The container an Express service routes its traffic to (the name is the API's, exactly).
pub const EXPRESS_CONTAINER: &str = "Main";

fn key(name: &str) -> PathSegment {
    PathSegment::Key(name.to_string())
}

/// Why `definition` (RegisterTaskDefinition input or a described revision, as JSON) cannot
/// serve an Express service; empty when it can. `unknown` lists top-level keys not known yet
/// (at plan time): their rules are skipped.
pub fn express_problems(definition: &Map<String, Json>, unknown: &[&str]) -> Vec<Problem> {
    let mut problems = Vec::new();
    if !unknown.contains(&"requiresCompatibilities") {
        let fargate = definition
            .get("requiresCompatibilities")
            .and_then(Json::as_array)
            .is_some_and(|c| c.iter().any(|c| c.as_str() == Some("FARGATE")));
        if !fargate {
            problems.push(Problem::new(
                vec![key("requiresCompatibilities")],
                "Not FARGATE compatible",
                "an Express service runs its tasks on Fargate: the task definition must have FARGATE compatibility (requiresCompatibilities must include \"FARGATE\").",
            ));
        }
    }
    if !unknown.contains(&"containerDefinitions") {
        problems.extend(main_container_problems(definition));
    }
    problems
}

fn main_container_problems(definition: &Map<String, Json>) -> Vec<Problem> {
    let containers = definition
        .get("containerDefinitions")
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let names: Vec<&str> = containers
        .iter()
        .filter_map(|c| c.get("name").and_then(Json::as_str))
        .collect();
    let Some((index, main)) = containers
        .iter()
        .enumerate()
        .find(|(_, c)| c.get("name").and_then(Json::as_str) == Some(EXPRESS_CONTAINER))
    else {
        let hint = names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(EXPRESS_CONTAINER))
            .map(|n| format!(" ({n:?} differs only in case: the name is case-sensitive)"))
            .unwrap_or_default();
        return vec![Problem::new(
            vec![key("containerDefinitions")],
            "No container named Main",
            format!(
                "an Express service sends its traffic to the container named \"Main\"; the containers are {}{hint}.",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names
                        .iter()
                        .map(|n| format!("{n:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        )];
    };
    let at = |rest: &[PathSegment]| {
        let mut path = vec![
            key("containerDefinitions"),
            PathSegment::Index(index),
            key("portMappings"),
        ];
        path.extend_from_slice(rest);
        path
    };
    let mappings = main
        .get("portMappings")
        .and_then(Json::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let [mapping] = mappings else {
        return vec![Problem::new(
            at(&[]),
            "Main needs a single port mapping",
            format!(
                "container \"Main\" has {} port mappings; an Express service needs exactly one TCP port mapping with a containerPort and a name.",
                mappings.len()
            ),
        )];
    };
    let mut problems = Vec::new();
    let field = |name: &str| vec![PathSegment::Index(0), key(name)];
    if let Some(protocol) = mapping.get("protocol").and_then(Json::as_str)
        && !protocol.eq_ignore_ascii_case("tcp")
    {
        problems.push(Problem::new(
            at(&field("protocol")),
            "Main's port mapping is not TCP",
            format!(
                "container \"Main\" maps its port with protocol {protocol:?}; an Express service needs a TCP port mapping."
            ),
        ));
    }
    if mapping
        .get("containerPort")
        .and_then(Json::as_i64)
        .is_none()
    {
        problems.push(Problem::new(
            at(&field("containerPort")),
            "Main's port mapping has no containerPort",
            "container \"Main\" has a port mapping without a containerPort; an Express service needs the port the container listens on.",
        ));
    }
    if mapping
        .get("name")
        .and_then(Json::as_str)
        .is_none_or(str::is_empty)
    {
        problems.push(Problem::new(
            at(&field("name")),
            "Main's port mapping has no name",
            "container \"Main\" has a port mapping without a name; an Express service needs a port name on it (for example \"name\": \"http\").",
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn definition(value: Json) -> Map<String, Json> {
        value.as_object().cloned().unwrap_or_default()
    }

    fn good() -> Json {
        json!({
            "family": "web", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc",
            "containerDefinitions": [
                {"name": "Main", "image": "app", "portMappings": [{"containerPort": 8080, "name": "http"}]},
                {"name": "log", "image": "fluent-bit", "essential": false,
                 "portMappings": [{"containerPort": 2020}]}
            ]
        })
    }

    fn summaries(value: Json) -> Vec<String> {
        express_problems(&definition(value), &[])
            .into_iter()
            .map(|p| p.summary)
            .collect()
    }

    #[test]
    fn a_fargate_definition_with_main_serving_one_named_tcp_port_is_fine() {
        assert!(summaries(good()).is_empty());
        let mut explicit = good();
        explicit["containerDefinitions"][0]["portMappings"][0]["protocol"] = json!("tcp");
        assert!(summaries(explicit).is_empty());
    }

    #[test]
    fn main_is_required_by_its_exact_name() {
        let mut lower = good();
        lower["containerDefinitions"][0]["name"] = json!("main");
        let problems = express_problems(&definition(lower), &[]);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].summary, "No container named Main");
        assert!(
            problems[0].detail.contains("\"main\"") && problems[0].detail.contains("case"),
            "{}",
            problems[0].detail
        );
    }

    #[test]
    fn main_needs_exactly_one_tcp_mapping_with_a_port_and_a_name() {
        let mut unnamed = good();
        unnamed["containerDefinitions"][0]["portMappings"] = json!([{"containerPort": 8080}]);
        let problems = express_problems(&definition(unnamed), &[]);
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].path,
            vec![
                key("containerDefinitions"),
                PathSegment::Index(0),
                key("portMappings"),
                PathSegment::Index(0),
                key("name")
            ]
        );

        let mut udp = good();
        udp["containerDefinitions"][0]["portMappings"] =
            json!([{"name": "dns", "protocol": "udp"}]);
        assert_eq!(
            summaries(udp),
            [
                "Main's port mapping is not TCP",
                "Main's port mapping has no containerPort"
            ]
        );

        let mut two = good();
        two["containerDefinitions"][0]["portMappings"] = json!([
            {"containerPort": 8080, "name": "http"}, {"containerPort": 9090, "name": "admin"}
        ]);
        assert_eq!(summaries(two), ["Main needs a single port mapping"]);

        let mut none = good();
        none["containerDefinitions"][0]
            .as_object_mut()
            .map(|c| c.remove("portMappings"));
        assert_eq!(summaries(none), ["Main needs a single port mapping"]);
    }

    #[test]
    fn fargate_compatibility_is_required() {
        let mut ec2 = good();
        ec2["requiresCompatibilities"] = json!(["EC2"]);
        assert_eq!(summaries(ec2), ["Not FARGATE compatible"]);
        let mut absent = good();
        absent
            .as_object_mut()
            .map(|d| d.remove("requiresCompatibilities"));
        assert_eq!(summaries(absent), ["Not FARGATE compatible"]);
    }

    #[test]
    fn unknown_values_are_not_judged() {
        let nothing_known = definition(json!({"family": "web"}));
        assert!(
            express_problems(
                &nothing_known,
                &["requiresCompatibilities", "containerDefinitions"]
            )
            .is_empty()
        );
    }
}
