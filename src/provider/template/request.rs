//! The task definition an `ecstpl_template` value describes, as RegisterTaskDefinition input
//! JSON, from either input form (`container_definitions` with the task arguments, or a whole
//! `task_definition` document). One builder for registration, plan-time equivalence and
//! validation, so what is checked and compared is exactly what is sent.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde_json::{Map, Value as Json};

use crate::plugin::value::Value;
use crate::provider::task_blocks;
use crate::provider::template::attrs::*;
use crate::provider::values;
use crate::taskdef;

/// A task definition body (no tags) and the top-level API keys whose value is not known yet.
pub(crate) struct Described {
    pub body: Map<String, Json>,
    pub unknown: Vec<&'static str>,
}

/// Why a value describes no task definition: the attribute and the problem.
pub(crate) struct Unreadable {
    pub attribute: &'static str,
    pub problem: taskdef::Problem,
}

/// Whether the value uses the document form.
pub(crate) fn is_document(state: &Value) -> bool {
    state
        .get_attr(TASK_DEFINITION)
        .is_some_and(|v| !v.is_null())
}

/// The body `state` describes, without tags and without the family when it is unknown.
pub(crate) fn describe(state: &Value) -> Result<Described, Unreadable> {
    if is_document(state) {
        document_body(state)
    } else {
        arguments_body(state)
    }
}

fn arguments_body(state: &Value) -> Result<Described, Unreadable> {
    let mut body = Map::new();
    let mut unknown = Vec::new();
    let mut note_unknown = |attribute: &str, key: &'static str| {
        if values::is_unknown(state, attribute) {
            unknown.push(key);
        }
    };
    note_unknown(FAMILY, "family");
    note_unknown(CONTAINER_DEFINITIONS, "containerDefinitions");
    note_unknown(CPU, "cpu");
    note_unknown(MEMORY, "memory");
    note_unknown(REQUIRES_COMPATIBILITIES, "requiresCompatibilities");
    note_unknown(ENABLE_FAULT_INJECTION, "enableFaultInjection");
    for (attribute, key) in STRING_ARGUMENTS {
        note_unknown(attribute, key);
    }
    if let Some(family) = values::string(state, FAMILY) {
        body.insert("family".into(), Json::from(family));
    }
    if let Some(text) = values::string(state, CONTAINER_DEFINITIONS) {
        let containers = taskdef::parse_containers_text(&text).map_err(|problem| Unreadable {
            attribute: CONTAINER_DEFINITIONS,
            problem,
        })?;
        body.insert(
            "containerDefinitions".into(),
            taskdef::containers_for_register(&containers),
        );
    }
    for (attribute, key, normalize) in [
        (
            CPU,
            "cpu",
            taskdef::normalize_cpu as fn(&str) -> Option<String>,
        ),
        (MEMORY, "memory", taskdef::normalize_memory),
    ] {
        if let Some(text) = values::string(state, attribute) {
            // Sizes go to ECS in units, as ECS stores them; text that is no size is sent as
            // written (validation reports it first).
            body.insert(key.into(), Json::from(normalize(&text).unwrap_or(text)));
        }
    }
    for (attribute, key) in STRING_ARGUMENTS {
        if let Some(text) = values::string(state, attribute) {
            body.insert((*key).into(), Json::from(text));
        }
    }
    if let Some(enabled) = values::boolean(state, ENABLE_FAULT_INJECTION) {
        body.insert("enableFaultInjection".into(), Json::from(enabled));
    }
    task_blocks::to_request(state, &mut body);
    let compatibilities = values::strings(state, REQUIRES_COMPATIBILITIES);
    if !compatibilities.is_empty() {
        body.insert(
            "requiresCompatibilities".into(),
            Json::from(compatibilities),
        );
    }
    Ok(Described { body, unknown })
}

fn document_body(state: &Value) -> Result<Described, Unreadable> {
    let Some(text) = values::string(state, TASK_DEFINITION) else {
        // Unknown at plan time: nothing can be checked or compared yet.
        return Ok(Described {
            body: Map::new(),
            unknown: vec![
                "family",
                "containerDefinitions",
                "cpu",
                "memory",
                "networkMode",
                "requiresCompatibilities",
            ],
        });
    };
    let parsed = taskdef::parse_task_definition_document(&text).map_err(|err| Unreadable {
        attribute: TASK_DEFINITION,
        problem: taskdef::Problem {
            path: Vec::new(),
            summary: "Invalid task_definition".into(),
            detail: err.to_string(),
            warning: false,
        },
    })?;
    let mut body = match taskdef::without_nulls(&Json::Object(parsed)) {
        Json::Object(body) => body,
        _ => Map::new(),
    };
    body.remove("tags");
    taskdef::without_empty_enums(&mut body);
    // The resource's family is the one registered; a document's is often a placeholder.
    body.remove("family");
    let mut unknown = Vec::new();
    match values::string(state, FAMILY) {
        Some(family) => {
            body.insert("family".into(), Json::from(family));
        }
        None => unknown.push("family"),
    }
    for (key, normalize) in [
        ("cpu", taskdef::normalize_cpu as fn(&str) -> Option<String>),
        ("memory", taskdef::normalize_memory),
    ] {
        let normalized = body.get(key).and_then(Json::as_str).and_then(normalize);
        if let Some(normalized) = normalized {
            body.insert(key.into(), Json::from(normalized));
        }
    }
    Ok(Described { body, unknown })
}

/// The tags a `task_definition` document carries (none in the argument form).
pub(crate) fn document_tags(state: &Value) -> BTreeMap<String, String> {
    let Some(text) = values::string(state, TASK_DEFINITION) else {
        return BTreeMap::new();
    };
    let Ok(document) = taskdef::parse_task_definition_document(&text) else {
        return BTreeMap::new();
    };
    document
        .get("tags")
        .and_then(Json::as_array)
        .map(|tags| crate::aws::tags_from_json(tags))
        .unwrap_or_default()
}

/// The provider's default tags plus a document's own tags: what `tags` merges over.
pub(crate) fn base_tags(
    state: &Value,
    default_tags: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut base = default_tags.clone();
    base.extend(document_tags(state));
    base
}

/// The tags a template revision carries in ECS: the user's (with defaults) plus the contract's.
pub(crate) fn revision_tags(state: &Value) -> BTreeMap<String, String> {
    let mut tags = values::string_map(state, TAGS_ALL).unwrap_or_default();
    tags.insert(
        crate::aws::contract::TAG_ROLE.to_string(),
        crate::aws::contract::ROLE_TEMPLATE.to_string(),
    );
    if let Some(deploy_family) = values::string(state, DEPLOY_FAMILY) {
        tags.insert(
            crate::aws::contract::TAG_DEPLOY_FAMILY.to_string(),
            deploy_family,
        );
    }
    tags
}

/// The whole RegisterTaskDefinition input for a planned state, tags included.
pub(crate) fn register_input(planned: &Value) -> Result<Map<String, Json>, Unreadable> {
    let mut body = describe(planned)?.body;
    let tags: Vec<Json> = revision_tags(planned)
        .into_iter()
        .map(|(key, value)| serde_json::json!({"key": key, "value": value}))
        .collect();
    body.insert("tags".into(), Json::Array(tags));
    Ok(body)
}

/// Every attribute [`describe`] reads: the family, either input form and the nested blocks.
fn revision_inputs() -> &'static [String] {
    static INPUTS: LazyLock<Vec<String>> = LazyLock::new(|| {
        [FAMILY, TASK_DEFINITION]
            .iter()
            .chain(DOCUMENT_REPLACES)
            .map(|name| name.to_string())
            .chain(task_blocks::root().blocks.iter().map(|b| b.name.clone()))
            .collect()
    });
    &INPUTS
}

/// Whether every attribute that makes up the revision is known.
fn revision_known(state: &Value) -> bool {
    [FAMILY, TASK_DEFINITION]
        .iter()
        .chain(DOCUMENT_REPLACES)
        .all(|name| state.get_attr(name).is_none_or(Value::is_wholly_known))
}

/// Whether two values describe the same revision (tags and provider settings aside).
pub(crate) fn same_revision(a: &Value, b: &Value) -> bool {
    if !revision_known(a) || !revision_known(b) {
        return false;
    }
    // A clean plan compares a state with the configuration it was applied from: equal inputs
    // describe the same revision, with no need to parse and normalize both documents.
    if revision_inputs()
        .iter()
        .all(|name| a.get_attr(name) == b.get_attr(name))
    {
        return true;
    }
    match (describe(a), describe(b)) {
        (Ok(a), Ok(b)) if a.unknown.is_empty() && b.unknown.is_empty() => {
            a.body.get("family") == b.body.get("family")
                && taskdef::task_definitions_equivalent(&a.body, &b.body)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::value::Type;
    use crate::provider::template::schema;

    fn state(json: serde_json::Value) -> Value {
        crate::plugin::value::decode_json(json.to_string().as_bytes(), schema::value_type())
            .expect("a state of the schema")
    }

    fn other_value(ty: &Type, current: Option<&Value>) -> Option<Value> {
        Some(match ty {
            Type::String => Value::string(match current.and_then(Value::as_str) {
                Some("a") => "b",
                _ => "a",
            }),
            Type::Number => Value::Number(crate::plugin::value::Number::Int(7)),
            Type::Bool => Value::Bool(!matches!(current, Some(Value::Bool(true)))),
            Type::Map(_) => Value::Map([("k".to_string(), Value::string("v"))].into()),
            Type::Set(_) => Value::Set(vec![Value::string("x")]),
            Type::List(element) if **element == Type::String => {
                Value::List(vec![Value::string("x")])
            }
            _ => return None,
        })
    }

    /// The fast path of `same_revision` compares only `revision_inputs`: changing any other
    /// attribute must leave what `describe` builds unchanged, in either input form.
    #[test]
    fn describe_reads_only_the_revision_inputs() {
        let arguments = state(serde_json::json!({
            "family": "web-template",
            "container_definitions": r#"[{"name":"app","image":"x","memory":128}]"#,
            "cpu": "256", "memory": "512", "network_mode": "awsvpc",
            "requires_compatibilities": ["FARGATE"],
            "execution_role_arn": "arn:aws:iam::1:role/e", "task_role_arn": "arn:aws:iam::1:role/t",
            "tags": {"team": "web"}, "deploy_family": "web"
        }));
        let document = state(serde_json::json!({
            "family": "web-template",
            "task_definition": r#"{"containerDefinitions":[{"name":"app","image":"x","memory":128}],"cpu":"256","tags":[{"key":"a","value":"b"}]}"#,
            "tags": {"team": "web"}
        }));
        let Type::Object(attributes) = schema::value_type() else {
            panic!("the schema is an object");
        };
        let inputs = revision_inputs();
        let mut checked = 0;
        for base in [&arguments, &document] {
            let before = describe(base)
                .ok()
                .expect("the base state describes a revision");
            for (name, ty) in attributes {
                if inputs.contains(name) {
                    continue;
                }
                let Some(value) = other_value(ty, base.get_attr(name)) else {
                    panic!("{name}: no test value for its type {ty:?}");
                };
                let mut changed = base.clone();
                changed.set_attr(name.clone(), value);
                let after = describe(&changed).ok().expect("still a revision");
                assert_eq!(before.body, after.body, "describe reads {name}");
                assert!(same_revision(base, &changed), "{name}");
                checked += 1;
            }
        }
        assert!(
            checked >= 10,
            "only {checked} attributes outside the inputs"
        );
    }

    #[test]
    fn equal_inputs_are_the_same_revision_and_a_changed_one_is_not() {
        let a = state(serde_json::json!({
            "family": "web-template",
            "container_definitions": r#"[{"name":"app","image":"x","memory":128}]"#,
        }));
        assert!(same_revision(&a, &a.clone()));
        let mut b = a.clone();
        b.set_attr(
            CONTAINER_DEFINITIONS,
            Value::string(r#"[{"name":"app","image":"x","memory":256}]"#),
        );
        assert!(!same_revision(&a, &b));
        // Written differently, the same to ECS: the slow path still finds it equal.
        b.set_attr(
            CONTAINER_DEFINITIONS,
            Value::string(r#"[ {"memory":128, "image":"x", "name":"app"} ]"#),
        );
        assert!(same_revision(&a, &b));
    }
}
