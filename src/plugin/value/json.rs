//! cty's JSON encoding, as Terraform stores state. It reaches a provider only as the raw
//! state of `UpgradeResourceState`, written with whatever schema version the state has: so
//! decoding is lenient about attributes (missing ones are null, unknown ones dropped).

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::plugin::path::{AttributePath, PathStep};
use crate::plugin::value::{CodecError, Number, Type, Value};

/// Decodes stored state JSON of type `ty`.
pub fn decode_json(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let json: Json = serde_json::from_slice(bytes)
        .map_err(|err| CodecError::new(AttributePath::new(), format!("invalid JSON: {err}")))?;
    let mut path = AttributePath::new();
    from_json(&json, ty, &mut path)
}

/// Encodes a wholly known value as cty JSON.
pub fn encode_json(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut path = AttributePath::new();
    let json = to_json(value, ty, &mut path)?;
    Ok(json.to_string().into_bytes())
}

fn wrong(path: &AttributePath, ty: &Type, json: &Json) -> CodecError {
    CodecError::new(
        path.clone(),
        format!("{json} does not fit type {}", ty.to_json()),
    )
}

fn number_from_json(json: &Json, path: &AttributePath) -> Result<Number, CodecError> {
    match json {
        Json::Number(n) => Ok(if let Some(i) = n.as_i64() {
            Number::Int(i)
        } else if let Some(u) = n.as_u64() {
            Number::Decimal(u.to_string())
        } else {
            Number::Float(n.as_f64().unwrap_or(f64::NAN))
        }),
        // cty accepts numbers written as strings.
        Json::String(text) => match text.parse::<i64>() {
            Ok(i) => Ok(Number::Int(i)),
            Err(_) if text.parse::<f64>().is_ok() => Ok(Number::Decimal(text.clone())),
            Err(_) => Err(CodecError::new(
                path.clone(),
                format!("{text:?} is not a number"),
            )),
        },
        _ => Err(wrong(path, &Type::Number, json)),
    }
}

fn from_json(json: &Json, ty: &Type, path: &mut AttributePath) -> Result<Value, CodecError> {
    if json.is_null() {
        return Ok(Value::Null);
    }
    match ty {
        Type::String => match json {
            Json::String(s) => Ok(Value::String(s.clone())),
            // cty converts primitive JSON values to strings.
            Json::Number(n) => Ok(Value::String(n.to_string())),
            Json::Bool(b) => Ok(Value::String(b.to_string())),
            _ => Err(wrong(path, ty, json)),
        },
        Type::Number => Ok(Value::Number(number_from_json(json, path)?)),
        Type::Bool => match json {
            Json::Bool(b) => Ok(Value::Bool(*b)),
            Json::String(s) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
            _ => Err(wrong(path, ty, json)),
        },
        Type::List(element) | Type::Set(element) => {
            let items = json.as_array().ok_or_else(|| wrong(path, ty, json))?;
            let mut values = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                path.push(PathStep::ElementKeyInt(index as i64));
                values.push(from_json(item, element, path)?);
                path.steps.pop();
            }
            Ok(if matches!(ty, Type::Set(_)) {
                Value::Set(values)
            } else {
                Value::List(values)
            })
        }
        Type::Map(element) => {
            let items = json.as_object().ok_or_else(|| wrong(path, ty, json))?;
            let mut values = BTreeMap::new();
            for (key, item) in items {
                path.push(PathStep::ElementKeyString(key.clone()));
                values.insert(key.clone(), from_json(item, element, path)?);
                path.steps.pop();
            }
            Ok(Value::Map(values))
        }
        Type::Object(types) => {
            let items = json.as_object().ok_or_else(|| wrong(path, ty, json))?;
            let mut attributes = BTreeMap::new();
            for (name, attribute_type) in types {
                path.push(PathStep::Attribute(name.clone()));
                let value = match items.get(name) {
                    Some(item) => from_json(item, attribute_type, path)?,
                    None => Value::Null,
                };
                path.steps.pop();
                attributes.insert(name.clone(), value);
            }
            Ok(Value::Object(attributes))
        }
        Type::Tuple(types) => {
            let items = json.as_array().ok_or_else(|| wrong(path, ty, json))?;
            if items.len() != types.len() {
                return Err(wrong(path, ty, json));
            }
            let mut values = Vec::with_capacity(items.len());
            for (index, (item, element)) in items.iter().zip(types).enumerate() {
                path.push(PathStep::ElementKeyInt(index as i64));
                values.push(from_json(item, element, path)?);
                path.steps.pop();
            }
            Ok(Value::Tuple(values))
        }
        Type::Dynamic => {
            // cty writes dynamic values as {"value": ..., "type": ...}.
            let (Some(value), Some(type_json)) = (json.get("value"), json.get("type")) else {
                return Err(wrong(path, ty, json));
            };
            let concrete = Type::from_json(type_json)
                .map_err(|err| CodecError::new(path.clone(), err.message))?;
            from_json(value, &concrete, path)
        }
    }
}

fn to_json(value: &Value, ty: &Type, path: &mut AttributePath) -> Result<Json, CodecError> {
    Ok(match (value, ty) {
        (Value::Null, _) => Json::Null,
        (Value::Unknown(_), _) => {
            return Err(CodecError::new(
                path.clone(),
                "unknown values have no JSON form",
            ));
        }
        (value, Type::Dynamic) => {
            // The type travels with the value, as cty writes it and `from_json` reads it.
            let concrete = super::msgpack::implied_type(value);
            let inner = to_json(value, &concrete, path)?;
            serde_json::json!({ "value": inner, "type": concrete.to_json() })
        }
        (Value::String(s), Type::String) => Json::from(s.clone()),
        (Value::Bool(b), Type::Bool) => Json::from(*b),
        (Value::Number(n), Type::Number) => match n {
            Number::Int(i) => Json::from(*i),
            Number::Float(f) => serde_json::Number::from_f64(*f)
                .map(Json::Number)
                .ok_or_else(|| CodecError::new(path.clone(), "not a finite number"))?,
            Number::Decimal(text) => Json::from(text.clone()),
        },
        (
            Value::List(items) | Value::Set(items) | Value::Tuple(items),
            Type::List(element) | Type::Set(element),
        ) => {
            let mut out = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                path.push(PathStep::ElementKeyInt(index as i64));
                out.push(to_json(item, element, path)?);
                path.steps.pop();
            }
            Json::Array(out)
        }
        (Value::Map(items), Type::Map(element)) => {
            let mut out = serde_json::Map::new();
            for (key, item) in items {
                path.push(PathStep::ElementKeyString(key.clone()));
                out.insert(key.clone(), to_json(item, element, path)?);
                path.steps.pop();
            }
            Json::Object(out)
        }
        (Value::Object(attributes), Type::Object(types)) => {
            let mut out = serde_json::Map::new();
            for (name, attribute_type) in types {
                path.push(PathStep::Attribute(name.clone()));
                let attribute = attributes.get(name).unwrap_or(&Value::Null);
                out.insert(name.clone(), to_json(attribute, attribute_type, path)?);
                path.steps.pop();
            }
            Json::Object(out)
        }
        (Value::Tuple(items), Type::Tuple(types)) if items.len() == types.len() => {
            let mut out = Vec::with_capacity(items.len());
            for (index, (item, element)) in items.iter().zip(types).enumerate() {
                path.push(PathStep::ElementKeyInt(index as i64));
                out.push(to_json(item, element, path)?);
                path.steps.pop();
            }
            Json::Array(out)
        }
        _ => {
            return Err(CodecError::new(
                path.clone(),
                format!("value does not fit type {}", ty.to_json()),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_type() -> Type {
        Type::object([
            ("arn", Type::String),
            ("revision", Type::Number),
            ("tags", Type::map(Type::String)),
            ("requires_compatibilities", Type::set(Type::String)),
        ])
    }

    #[test]
    fn stored_state_with_missing_and_extra_attributes_decodes() {
        let raw = br#"{"arn":"arn:x:1","revision":1,"removed_in_v1":"gone","tags":{"a":"b"}}"#;
        let value = decode_json(raw, &state_type()).unwrap();
        assert_eq!(value.get_attr("arn"), Some(&Value::from("arn:x:1")));
        assert_eq!(value.get_attr("revision").and_then(Value::as_i64), Some(1));
        assert_eq!(
            value.get_attr("requires_compatibilities"),
            Some(&Value::Null)
        );
        assert!(value.get_attr("removed_in_v1").is_none());
    }

    #[test]
    fn wrong_kinds_name_the_path() {
        let err = decode_json(br#"{"tags":{"a":[1]}}"#, &state_type()).unwrap_err();
        assert_eq!(err.path.to_string(), "tags[\"a\"]");
        assert!(decode_json(b"{not json", &state_type()).is_err());
    }

    #[test]
    fn round_trips_known_values() {
        let value = Value::object([
            ("arn", Value::from("arn:x:2")),
            ("revision", Value::from(2)),
            (
                "tags",
                Value::Map([("k".to_string(), Value::from("v"))].into()),
            ),
            (
                "requires_compatibilities",
                Value::Set(vec![Value::from("FARGATE")]),
            ),
        ]);
        let bytes = encode_json(&value, &state_type()).unwrap();
        assert_eq!(decode_json(&bytes, &state_type()).unwrap(), value);
        assert!(encode_json(&Value::unknown(), &Type::String).is_err());
    }

    #[test]
    fn dynamic_values_carry_their_type() {
        let raw = br#"{"value":["a","b"],"type":["list","string"]}"#;
        assert_eq!(
            decode_json(raw, &Type::Dynamic).unwrap(),
            Value::List(vec!["a".into(), "b".into()])
        );
    }

    #[test]
    fn dynamic_values_encode_with_their_type() {
        let value = Value::List(vec!["a".into(), "b".into()]);
        let bytes = encode_json(&value, &Type::Dynamic).unwrap();
        assert_eq!(
            serde_json::from_slice::<Json>(&bytes).unwrap(),
            serde_json::json!({"value": ["a", "b"], "type": ["list", "string"]})
        );
        assert_eq!(decode_json(&bytes, &Type::Dynamic).unwrap(), value);
    }
}
