//! `ValidateResourceConfig` for `ecstpl_template`: every ECS rule comes from the domain's one
//! entry point ([`taskdef::validate_task_definition`]) applied to the task definition the
//! configuration describes, in either input form; this module adds what only the resource
//! knows (its own arguments) and points each problem at the attribute it is about.

use crate::aws;
use crate::plugin::diag::Diagnostics;
use crate::plugin::path::AttributePath;
use crate::plugin::value::Value;
use crate::provider::template::attrs::*;
use crate::provider::template::request;
use crate::provider::values;
use crate::taskdef::{self, PathSegment, Problem};

/// Maximum user tags on a task definition (ECS allows 50, ecstpl reserves room for its own).
pub(crate) const MAX_USER_TAGS: usize = 47;

fn is_set(config: &Value, name: &str) -> bool {
    match config.get_attr(name) {
        None | Some(Value::Null) => false,
        Some(Value::List(items)) => !items.is_empty(),
        Some(_) => true,
    }
}

pub(crate) fn validate(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let document = is_set(config, TASK_DEFINITION);
    if document {
        for name in DOCUMENT_REPLACES {
            if is_set(config, name) {
                diags.error_at(
                    AttributePath::root(*name),
                    format!("{name} conflicts with task_definition"),
                    "task_definition holds the whole task definition; set this inside it instead.",
                );
            }
        }
    } else if !is_set(config, CONTAINER_DEFINITIONS) {
        diags.error_at(
            AttributePath::root(CONTAINER_DEFINITIONS),
            "Missing container_definitions",
            "Give container_definitions (with the task arguments), or a whole task definition in task_definition.",
        );
    }
    match request::describe(config) {
        Err(unreadable) => report(
            &unreadable.problem,
            unreadable.attribute,
            document,
            &mut diags,
        ),
        Ok(described) => {
            let mut body = described.body;
            if document {
                // The document's own tags are validated as written (shape, count).
                if let Some(tags) = values::string(config, TASK_DEFINITION)
                    .and_then(|text| taskdef::parse_task_definition_document(&text).ok())
                    .and_then(|mut d| d.remove("tags"))
                {
                    body.insert("tags".into(), tags);
                }
            }
            let skip_all = document && values::is_unknown(config, TASK_DEFINITION);
            if !skip_all {
                for problem in taskdef::validate_task_definition(&body, &described.unknown) {
                    report(&problem, CONTAINER_DEFINITIONS, document, &mut diags);
                }
                if values::boolean(config, EXPRESS) == Some(true) {
                    for problem in taskdef::express_problems(&body, &described.unknown) {
                        report(&problem, CONTAINER_DEFINITIONS, document, &mut diags);
                    }
                }
            }
        }
    }
    for key in request::document_tags(config).keys() {
        if key.starts_with(aws::contract::RESERVED_PREFIX) {
            diags.error_at(
                AttributePath::root(TASK_DEFINITION),
                "Reserved tag key",
                format!("The document's tag {key:?} starts with {:?}, which ecstpl reserves for its contract tags.", aws::contract::RESERVED_PREFIX),
            );
        }
    }
    if let Some(deploy_family) = values::string(config, DEPLOY_FAMILY) {
        if let Err(message) = taskdef::validate_family(&deploy_family) {
            diags.error_at(
                AttributePath::root(DEPLOY_FAMILY),
                "Invalid deploy_family",
                message,
            );
        }
        if values::string(config, FAMILY).as_deref() == Some(deploy_family.as_str()) {
            diags.error_at(
                AttributePath::root(DEPLOY_FAMILY),
                "deploy_family must differ from family",
                format!(
                    "The template family holds only template revisions; deployed revisions go to a family of their own so each owner registers into its own family. Name a new family (e.g. \"{deploy_family}-live\"): the next `ecstpl deploy` registers there and moves the service to it, also when the service runs this family now (a migrated task definition; see the migrating guide)."
                ),
            );
        }
    }
    if let Some(keep) = config
        .get_attr(KEEP_SUPERSEDED_REVISIONS)
        .filter(|v| !v.is_null() && !v.is_unknown())
        && keep.as_i64().is_none()
    {
        diags.error_at(
            AttributePath::root(KEEP_SUPERSEDED_REVISIONS),
            "Invalid keep_superseded_revisions",
            "keep_superseded_revisions counts revisions to keep: a whole number, 0 or more.",
        );
    }
    if values::integer(config, KEEP_SUPERSEDED_REVISIONS).is_some_and(|n| n < 0) {
        diags.error_at(
            AttributePath::root(KEEP_SUPERSEDED_REVISIONS),
            "Invalid keep_superseded_revisions",
            "keep_superseded_revisions counts revisions to keep: 0 or more. To keep every revision, set deregister_superseded = false.",
        );
    }
    if let Some(tags) = config.get_attr(TAGS).and_then(Value::as_map) {
        for (key, value) in tags {
            if let Some(value) = value.as_str()
                && let Err(message) = taskdef::check_tag(key, value)
            {
                diags.error_at(
                    AttributePath::root(TAGS).key(key.clone()),
                    "Invalid tag",
                    message,
                );
            }
            if key.starts_with(aws::contract::RESERVED_PREFIX) {
                diags.error_at(
                    AttributePath::root(TAGS).key(key.clone()),
                    "Reserved tag key",
                    format!("Tag keys starting with {:?} are ecstpl's own contract tags; use deploy_family instead of setting them by hand.", aws::contract::RESERVED_PREFIX),
                );
            }
        }
        if tags.len() > MAX_USER_TAGS {
            diags.error_at(
                AttributePath::root(TAGS),
                "Too many tags",
                format!("{} tags given; ECS allows 50 per task definition and ecstpl needs up to 3 for its contract, so at most {MAX_USER_TAGS}.", tags.len()),
            );
        }
    }
    diags
}

/// Reports a domain problem on the attribute it is about: in the document form everything is
/// in `task_definition` but the family; in the argument form the top-level API key says which
/// argument (or block) it came from. `fallback` takes problems about the whole definition.
fn report(problem: &Problem, fallback: &'static str, document: bool, diags: &mut Diagnostics) {
    let first = match problem.path.first() {
        Some(PathSegment::Key(key)) => Some(key.as_str()),
        _ => None,
    };
    let (path, location) = if first == Some("family") {
        (AttributePath::root(FAMILY), String::new())
    } else if document {
        (
            AttributePath::root(TASK_DEFINITION),
            location(&problem.path),
        )
    } else {
        match first.and_then(attribute_of_api_key) {
            None => (AttributePath::root(fallback), String::new()),
            Some(CONTAINER_DEFINITIONS) => (
                AttributePath::root(CONTAINER_DEFINITIONS),
                location(&problem.path),
            ),
            Some(
                block @ (VOLUME
                | PLACEMENT_CONSTRAINTS
                | INFERENCE_ACCELERATOR
                | RUNTIME_PLATFORM
                | EPHEMERAL_STORAGE
                | PROXY_CONFIGURATION),
            ) => (block_path(block, &problem.path[1..]), String::new()),
            Some(attribute) => (AttributePath::root(attribute), String::new()),
        }
    };
    let detail = match (location.is_empty(), problem.detail.is_empty()) {
        (true, _) => problem.detail.clone(),
        (false, true) => format!("At {location}."),
        (false, false) => format!("At {location}: {}", problem.detail),
    };
    if problem.warning {
        diags.warning_at(path, problem.summary.clone(), detail);
    } else {
        diags.error_at(path, problem.summary.clone(), detail);
    }
}

/// The path of a problem inside a nested block: API keys as the block's attribute names
/// (`sizeInGiB` → `size_in_gib`), list blocks indexed (the first when the problem is about the
/// whole list), so Terraform points at the line that holds it.
fn block_path(block: &'static str, rest: &[PathSegment]) -> AttributePath {
    let list = matches!(
        block,
        VOLUME | PLACEMENT_CONSTRAINTS | INFERENCE_ACCELERATOR
    );
    let mut path = AttributePath::root(block);
    let mut rest = rest.iter().peekable();
    if list {
        match rest.peek() {
            Some(PathSegment::Index(i)) => {
                path = path.index(*i as i64);
                rest.next();
            }
            _ => return path.index(0),
        }
    }
    for segment in rest {
        match segment {
            PathSegment::Key(key) if key == "host" => return path.attr("host_path"),
            PathSegment::Key(key) => {
                path = path.attr(crate::provider::task_blocks::attribute_name(key))
            }
            // Lists inside blocks are attributes of their own (maps, lists of strings).
            PathSegment::Index(_) => return path,
        }
    }
    path
}

/// `containerDefinitions[0].image`, from a problem's path.
fn location(path: &[PathSegment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            PathSegment::Index(i) => out.push_str(&format!("[{i}]")),
            PathSegment::Key(k) if out.is_empty() => out.push_str(k),
            PathSegment::Key(k) => out.push_str(&format!(".{k}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::template::schema;

    fn config(json: serde_json::Value) -> Value {
        crate::plugin::value::decode_json(
            json.to_string().as_bytes(),
            &schema::schema().value_type(),
        )
        .expect("a config of the schema")
    }

    fn problems(json: serde_json::Value) -> Vec<(String, Option<AttributePath>)> {
        validate(&config(json))
            .0
            .into_iter()
            .map(|d| (d.summary, d.path))
            .collect()
    }

    /// Both input forms go through the same rules: a Fargate definition in bridge mode is
    /// refused in either, on the attribute that holds it.
    #[test]
    fn both_forms_refuse_fargate_without_awsvpc() {
        let arguments = problems(serde_json::json!({
            "family": "web", "cpu": "256", "memory": "512", "network_mode": "bridge",
            "requires_compatibilities": ["FARGATE"],
            "container_definitions": r#"[{"name":"app","image":"x"}]"#
        }));
        assert!(
            arguments.contains(&(
                "Fargate needs awsvpc".into(),
                Some(AttributePath::root(NETWORK_MODE))
            )),
            "{arguments:?}"
        );
        let document = problems(serde_json::json!({
            "family": "web",
            "task_definition": r#"{"cpu":"256","memory":"512","networkMode":"bridge","requiresCompatibilities":["FARGATE"],"containerDefinitions":[{"name":"app","image":"x"}]}"#
        }));
        assert!(
            document.contains(&(
                "Fargate needs awsvpc".into(),
                Some(AttributePath::root(TASK_DEFINITION))
            )),
            "{document:?}"
        );
    }

    #[test]
    fn unknown_values_skip_the_checks_that_need_them() {
        let mut value = config(serde_json::json!({
            "family": "web", "memory": "512", "network_mode": "awsvpc",
            "requires_compatibilities": ["FARGATE"],
            "container_definitions": r#"[{"name":"app","image":"x"}]"#
        }));
        value.set_attr(CPU, Value::unknown());
        assert!(validate(&value).is_empty(), "{:?}", validate(&value));
    }

    /// `express = true` applies the Express rules, each on the attribute it is about; without
    /// it the same template is fine.
    #[test]
    fn express_templates_need_main_with_one_named_port_and_fargate() {
        let template = |express: bool| {
            serde_json::json!({
                "family": "web", "cpu": "256", "memory": "512", "network_mode": "awsvpc",
                "requires_compatibilities": ["EC2"], "express": express,
                "container_definitions": r#"[{"name":"app","image":"x","portMappings":[{"containerPort":80}]}]"#
            })
        };
        assert!(problems(template(false)).is_empty());
        let found = problems(template(true));
        assert_eq!(
            found,
            [
                (
                    "Not FARGATE compatible".to_string(),
                    Some(AttributePath::root(REQUIRES_COMPATIBILITIES))
                ),
                (
                    "No container named Main".to_string(),
                    Some(AttributePath::root(CONTAINER_DEFINITIONS))
                ),
            ]
        );
        let unnamed = problems(serde_json::json!({
            "family": "web", "cpu": "256", "memory": "512", "network_mode": "awsvpc",
            "requires_compatibilities": ["FARGATE"], "express": true,
            "container_definitions": r#"[{"name":"Main","image":"x","portMappings":[{"containerPort":80}]}]"#
        }));
        assert_eq!(
            unnamed,
            [(
                "Main's port mapping has no name".to_string(),
                Some(AttributePath::root(CONTAINER_DEFINITIONS))
            )]
        );
    }
}
