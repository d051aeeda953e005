//! What goes into Terraform state and what goes to ECS. State keeps the user's own text
//! whenever the live revision means the same; when it does not, state gets the live
//! definition written as close to the user's text as possible, so the plan's diff shows only
//! the keys that really changed.

use serde_json::{Map, Value as Json};

use crate::taskdef::normalize::{LIST_FIELDS, drop_nulls, normalize_container};
use crate::taskdef::{Container, Context, containers_equivalent, parse_container_definitions};

/// The container definitions text for state after reading the live revision.
pub fn container_definitions_for_state(
    prior: Option<&str>,
    live: &[Container],
    context: &Context,
) -> String {
    let prior_containers = prior.and_then(|text| parse_container_definitions(text).ok());
    match (prior, prior_containers) {
        (Some(text), Some(prior_containers)) => {
            if containers_equivalent(&prior_containers, live, context) {
                text.to_string()
            } else {
                to_text(&merge_towards_prior(&prior_containers, live, context))
            }
        }
        _ => to_text(
            &live
                .iter()
                .map(|c| Json::Object(without_defaults(c, context)))
                .collect::<Vec<_>>(),
        ),
    }
}

fn to_text(containers: &[Json]) -> String {
    Json::Array(containers.to_vec()).to_string()
}

/// Live containers in the prior order; per key, the prior's representation where it means
/// the same, live's where it differs, nothing where live has only a default.
fn merge_towards_prior(prior: &[Container], live: &[Container], context: &Context) -> Vec<Json> {
    let name = |c: &Container| c.get("name").and_then(Json::as_str).map(str::to_string);
    let mut ordered: Vec<&Container> = Vec::with_capacity(live.len());
    for p in prior {
        if let Some(l) = live
            .iter()
            .find(|l| name(l).is_some() && name(l) == name(p))
        {
            ordered.push(l);
        }
    }
    for l in live {
        if !ordered.iter().any(|o| std::ptr::eq(*o, l)) {
            ordered.push(l);
        }
    }
    ordered
        .into_iter()
        .map(|l| {
            let Some(p) = prior
                .iter()
                .find(|p| name(p).is_some() && name(p) == name(l))
            else {
                return Json::Object(without_defaults(l, context));
            };
            let normalized_prior = normalize_container(p, context);
            let normalized_live = normalize_container(l, context);
            let mut out = Map::new();
            // Keys in the prior's order first, then keys only live has.
            let keys = p.keys().chain(l.keys().filter(|k| !p.contains_key(*k)));
            for key in keys {
                let same = normalized_prior.get(key) == normalized_live.get(key);
                if same {
                    if let Some(value) = p.get(key) {
                        out.insert(key.clone(), value.clone());
                    }
                } else if let Some(value) = normalized_live.get(key).and(l.get(key)) {
                    out.insert(key.clone(), drop_nulls(value));
                }
            }
            Json::Object(out)
        })
        .collect()
}

/// A live container without what ECS added as pure defaults (for import, where there is no
/// user text to follow).
fn without_defaults(container: &Container, context: &Context) -> Container {
    let mut out = Map::new();
    for (key, value) in container {
        if value.is_null() {
            continue;
        }
        if LIST_FIELDS.contains(&key.as_str()) && value.as_array().is_some_and(Vec::is_empty) {
            continue;
        }
        match (key.as_str(), value) {
            ("essential", Json::Bool(true)) => continue,
            ("cpu", v) if v.as_i64() == Some(0) => continue,
            ("portMappings", Json::Array(mappings)) => {
                let mappings = mappings
                    .iter()
                    .map(|m| match m {
                        Json::Object(m) => {
                            let mut m = m.clone();
                            if m.get("protocol").and_then(Json::as_str) == Some("tcp") {
                                m.remove("protocol");
                            }
                            let host = m.get("hostPort").and_then(Json::as_i64);
                            let container = m.get("containerPort").and_then(Json::as_i64);
                            if host == Some(0) || (context.is_awsvpc() && host == container) {
                                m.remove("hostPort");
                            }
                            Json::Object(m)
                        }
                        other => other.clone(),
                    })
                    .collect();
                out.insert(key.clone(), Json::Array(mappings));
            }
            _ => {
                out.insert(key.clone(), drop_nulls(value));
            }
        }
    }
    out
}

/// The containerDefinitions to register: explicit nulls removed (ECS treats them as absent;
/// some implementations reject them), everything else verbatim.
pub fn containers_for_register(containers: &[Container]) -> Json {
    Json::Array(
        containers
            .iter()
            .map(|c| drop_nulls(&Json::Object(c.clone())))
            .collect(),
    )
}

/// Any JSON value without null object members.
pub fn without_nulls(value: &Json) -> Json {
    drop_nulls(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn containers(value: Json) -> Vec<Container> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_object().unwrap().clone())
            .collect()
    }

    fn awsvpc() -> Context {
        Context {
            network_mode: Some("awsvpc".into()),
            requires_compatibilities: vec!["FARGATE".into()],
        }
    }

    #[test]
    fn equivalent_live_keeps_the_users_text_byte_for_byte() {
        let text = "[\n  {\"name\": \"app\", \"image\": \"x\",\n   \"portMappings\": [{\"containerPort\": 80}]}\n]";
        let live = containers(
            json!([{"name": "app", "image": "x", "essential": true, "cpu": 0,
            "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
            "mountPoints": [], "volumesFrom": [], "environment": []}]),
        );
        assert_eq!(
            container_definitions_for_state(Some(text), &live, &awsvpc()),
            text
        );
    }

    #[test]
    fn a_real_change_shows_only_the_changed_key() {
        let text =
            r#"[{"name":"app","image":"x","memory":512,"portMappings":[{"containerPort":80}]}]"#;
        let live = containers(
            json!([{"name": "app", "image": "x", "essential": true, "cpu": 0,
            "memory": 1024, "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
            "mountPoints": []}]),
        );
        let state = container_definitions_for_state(Some(text), &live, &awsvpc());
        assert_eq!(
            state,
            r#"[{"name":"app","image":"x","memory":1024,"portMappings":[{"containerPort":80}]}]"#
        );
    }

    #[test]
    fn import_without_prior_drops_aws_defaults() {
        let live = containers(
            json!([{"name": "app", "image": "x", "essential": true, "cpu": 0,
            "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
            "mountPoints": [], "environment": [{"name": "A", "value": "1"}]}]),
        );
        let state = container_definitions_for_state(None, &live, &awsvpc());
        assert_eq!(
            state,
            r#"[{"name":"app","image":"x","portMappings":[{"containerPort":80}],"environment":[{"name":"A","value":"1"}]}]"#
        );
        let reparsed = parse_container_definitions(&state).unwrap();
        assert!(containers_equivalent(&reparsed, &live, &awsvpc()));
    }

    #[test]
    fn register_payload_drops_nulls_only() {
        let defs = containers(json!([{"name": "a", "image": "x", "portMappings": null,
            "logConfiguration": {"logDriver": "awslogs", "secretOptions": null}, "essential": true}]));
        assert_eq!(
            containers_for_register(&defs),
            json!([{"name": "a", "image": "x", "logConfiguration": {"logDriver": "awslogs"}, "essential": true}])
        );
    }

    /// What ECS does to a container definition on registration (as documented and observed).
    fn simulate_ecs_rewrite(containers: &[Container], context: &Context) -> Vec<Container> {
        let mut out: Vec<Container> = containers
            .iter()
            .map(|c| {
                let mut c = drop_nulls(&Json::Object(c.clone()))
                    .as_object()
                    .cloned()
                    .unwrap();
                c.entry("essential").or_insert(json!(true));
                c.entry("cpu").or_insert(json!(0));
                for key in [
                    "mountPoints",
                    "volumesFrom",
                    "environment",
                    "portMappings",
                    "systemControls",
                ] {
                    c.entry(key).or_insert(json!([]));
                }
                if let Some(Json::Array(mappings)) = c.get_mut("portMappings") {
                    for m in mappings.iter_mut().filter_map(Json::as_object_mut) {
                        m.entry("protocol").or_insert(json!("tcp"));
                        let port = m.get("containerPort").cloned().unwrap_or(json!(0));
                        let host = if context.is_awsvpc() { port } else { json!(0) };
                        m.entry("hostPort").or_insert(host);
                    }
                }
                if let Some(Json::Array(env)) = c.get_mut("environment") {
                    env.sort_by_key(|e| {
                        e.get("name")
                            .and_then(Json::as_str)
                            .unwrap_or_default()
                            .to_string()
                    });
                    env.reverse();
                }
                c
            })
            .collect();
        out.reverse();
        out
    }

    #[test]
    fn every_valid_corpus_file_keeps_its_text_after_ecs_rewrites_it() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/valid");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let document = crate::taskdef::parse_task_definition_document(
                &std::fs::read_to_string(&path).unwrap(),
            )
            .unwrap();
            let context = Context {
                network_mode: document
                    .get("networkMode")
                    .and_then(Json::as_str)
                    .map(str::to_string),
                requires_compatibilities: vec![],
            };
            let text = document["containerDefinitions"].to_string();
            let user = parse_container_definitions(&text).unwrap();
            let live = simulate_ecs_rewrite(&user, &context);
            assert_eq!(
                container_definitions_for_state(Some(&text), &live, &context),
                text,
                "{}",
                path.display()
            );
            checked += 1;
        }
        assert!(checked >= 60);
    }
}
