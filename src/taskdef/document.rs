//! Parsing the JSON people write: container definition arrays and whole task definition
//! documents as they are committed (plain RegisterTaskDefinition input or the output of
//! `aws ecs describe-task-definition`).

use serde_json::{Map, Value as Json};

use crate::taskdef::Container;

/// JSON that is not a task definition, with where it went wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseError {
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{0}")]
    Shape(String),
}

/// Fields ECS adds to a registered revision. Never sent back, never diffed.
pub const READ_ONLY_FIELDS: &[&str] = &[
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
];

fn syntax_error(err: &serde_json::Error) -> ParseError {
    let message = err.to_string();
    // serde_json appends " at line L column C"; the position is reported separately.
    let message = message
        .rsplit_once(" at line ")
        .map_or(message.as_str(), |(head, _)| head)
        .to_string();
    ParseError::Syntax {
        line: err.line(),
        column: err.column(),
        message,
    }
}

fn parse_json(text: &str) -> Result<Json, ParseError> {
    // Editors on Windows leave a byte order mark; ECS tooling accepts it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    serde_json::from_str(text).map_err(|err| syntax_error(&err))
}

/// Parses `container_definitions`: a JSON array of objects.
pub fn parse_container_definitions(text: &str) -> Result<Vec<Container>, ParseError> {
    let Json::Array(items) = parse_json(text)? else {
        return Err(ParseError::Shape(
            "container definitions must be a JSON array of objects, e.g. [{\"name\": \"app\", \"image\": \"…\"}]".into(),
        ));
    };
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| match item {
            Json::Object(container) => Ok(container),
            other => Err(ParseError::Shape(format!(
                "container definition {index} is {} instead of an object",
                json_kind(&other)
            ))),
        })
        .collect()
}

/// Parses a whole task definition document; unwraps `{"taskDefinition": …, "tags": …}`,
/// strips read-only fields and keeps the tags under `"tags"`.
pub fn parse_task_definition_document(text: &str) -> Result<Map<String, Json>, ParseError> {
    let Json::Object(mut document) = parse_json(text)? else {
        return Err(ParseError::Shape(
            "a task definition must be a JSON object".into(),
        ));
    };
    if let Some(Json::Object(inner)) = document.get("taskDefinition").cloned() {
        let tags = document.remove("tags");
        document = inner;
        if let Some(tags) = tags {
            document.entry("tags").or_insert(tags);
        }
    }
    strip_read_only(&mut document);
    Ok(document)
}

/// Removes the fields ECS adds on registration.
pub fn strip_read_only(definition: &mut Map<String, Json>) {
    for field in READ_ONLY_FIELDS {
        definition.remove(*field);
    }
}

pub(crate) fn json_kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let err = parse_container_definitions("[\n  {\"name\": \"app\",\n  }\n]").unwrap_err();
        let ParseError::Syntax { line, column, .. } = err else {
            panic!("expected a syntax error")
        };
        assert_eq!((line, column), (3, 3));
    }

    #[test]
    fn shape_errors_say_what_was_found() {
        assert!(matches!(
            parse_container_definitions("{\"name\": \"app\"}"),
            Err(ParseError::Shape(_))
        ));
        let err = parse_container_definitions("[{\"name\": \"a\"}, 3]").unwrap_err();
        assert!(
            err.to_string()
                .contains("container definition 1 is a number")
        );
    }

    #[test]
    fn describe_output_is_unwrapped_and_read_only_fields_dropped() {
        let text = r#"{"taskDefinition": {"family": "web", "revision": 4, "status": "ACTIVE",
            "taskDefinitionArn": "arn:x", "containerDefinitions": []},
            "tags": [{"key": "a", "value": "b"}]}"#;
        let document = parse_task_definition_document(text).unwrap();
        assert_eq!(document["family"], "web");
        assert!(!document.contains_key("revision"));
        assert!(!document.contains_key("status"));
        assert_eq!(document["tags"][0]["key"], "a");
    }

    #[test]
    fn byte_order_mark_is_tolerated() {
        assert!(parse_container_definitions("\u{feff}[]").is_ok());
    }
}
