//! What every fuzz target asserts, shared with `tests/it/fuzz_seeds.rs` so CI runs the same checks
//! over the seed corpus on stable Rust. Each function takes arbitrary bytes and panics only when
//! a property is broken: decoding never panics, what decodes re-encodes to the same value, the
//! normalizer is idempotent and the validator never panics on anything the parser accepts.

use ecstpl::plugin::value::{Type, Value, decode, decode_json, encode, encode_json};
use ecstpl::taskdef::{
    Context, apply_overlay, normalize_containers, normalize_task_definition,
    parse_container_definitions, parse_task_definition_document, validate_container_definitions,
    validate_task_definition,
};
use serde_json::Value as Json;

/// A type with every kind the protocol has, nested, like a resource schema's.
pub fn schema_type() -> Type {
    Type::object([
        ("id", Type::String),
        ("count", Type::Number),
        ("enabled", Type::Bool),
        ("anything", Type::Dynamic),
        ("names", Type::list(Type::String)),
        ("compat", Type::set(Type::String)),
        ("tags", Type::map(Type::String)),
        ("pair", Type::Tuple(vec![Type::String, Type::Number])),
        (
            "blocks",
            Type::list(Type::object([
                ("name", Type::String),
                ("values", Type::set(Type::Number)),
                ("extra", Type::map(Type::Dynamic)),
            ])),
        ),
    ])
}

fn same_after_reencoding(value: &Value, again: Result<Value, impl std::fmt::Debug>) {
    match again {
        Ok(again) => assert_eq!(value, &again, "a decoded value re-encodes to itself"),
        Err(err) => panic!("a decoded value must decode again after encoding: {err:?}"),
    }
}

/// The msgpack decoder (plan/apply values from Terraform).
pub fn msgpack(data: &[u8]) -> bool {
    let mut decoded = false;
    for ty in [schema_type(), Type::Dynamic] {
        if let Ok(value) = decode(data, &ty) {
            let bytes = encode(&value, &ty).unwrap_or_else(|err| panic!("re-encode: {err:?}"));
            same_after_reencoding(&value, decode(&bytes, &ty));
            decoded = true;
        }
    }
    decoded
}

/// The JSON state decoder (UpgradeResourceState's raw state).
pub fn json_state(data: &[u8]) -> bool {
    let ty = schema_type();
    if let Ok(value) = decode_json(data, &ty) {
        let bytes = encode_json(&value, &ty).unwrap_or_else(|err| panic!("re-encode: {err:?}"));
        same_after_reencoding(&value, decode_json(&bytes, &ty));
        return true;
    }
    false
}

fn contexts() -> [Context; 3] {
    [
        Context::default(),
        Context {
            network_mode: Some("awsvpc".into()),
            requires_compatibilities: vec!["FARGATE".into()],
        },
        Context {
            network_mode: Some("bridge".into()),
            requires_compatibilities: vec!["EC2".into()],
        },
    ]
}

/// The container-definition parser, normalizer and validator, and the document form's.
pub fn containers(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    let mut parsed_any = false;
    for context in contexts() {
        let _ = validate_container_definitions(text, &context);
        if let Ok(parsed) = parse_container_definitions(text) {
            let once = normalize_containers(&parsed, &context);
            let reparsed = parse_container_definitions(&once.to_string())
                .unwrap_or_else(|err| panic!("normalized containers must parse: {err:?}"));
            let twice = normalize_containers(&reparsed, &context);
            assert_eq!(once, twice, "normalizing twice changes nothing");
            parsed_any = true;
        }
    }
    if let Ok(document) = parse_task_definition_document(text) {
        let _ = validate_task_definition(&document, &[]);
        let once = normalize_task_definition(&document);
        assert_eq!(
            once,
            normalize_task_definition(&once),
            "normalizing a document twice changes nothing"
        );
        parsed_any = true;
    }
    parsed_any
}

/// The overlay merge: `[definition, overlay]` as one JSON array.
pub fn overlay(data: &[u8]) -> bool {
    let Ok(Json::Array(pair)) = serde_json::from_slice::<Json>(data) else {
        return false;
    };
    let [Json::Object(definition), overlay] = pair.as_slice() else {
        return false;
    };
    let mut merged = definition.clone();
    if apply_overlay(&mut merged, overlay).is_ok() {
        assert_eq!(
            merged.get("family"),
            definition.get("family"),
            "an overlay never changes the family"
        );
        assert_eq!(
            merged.get("tags"),
            definition.get("tags"),
            "an overlay never changes the tags"
        );
        let mut again = merged.clone();
        if apply_overlay(&mut again, overlay).is_ok() {
            assert_eq!(
                again, merged,
                "applying the same overlay twice changes nothing"
            );
        }
        return true;
    }
    false
}
