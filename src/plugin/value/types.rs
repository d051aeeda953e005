//! cty types, as schemas declare them and as Terraform names them in JSON.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use crate::plugin::path::AttributePath;
use crate::plugin::value::CodecError;

/// The type of a Terraform value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    String,
    Number,
    Bool,
    /// Any type, decided per value (encoded with its type alongside).
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

impl Type {
    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }

    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }

    pub fn object<I, K>(attributes: I) -> Type
    where
        I: IntoIterator<Item = (K, Type)>,
        K: Into<String>,
    {
        Type::Object(
            attributes
                .into_iter()
                .map(|(name, ty)| (name.into(), ty))
                .collect(),
        )
    }

    /// cty's JSON form: `"string"`, `["list","string"]`, `["object",{"a":"number"}]`.
    pub fn to_json(&self) -> Json {
        match self {
            Type::String => json!("string"),
            Type::Number => json!("number"),
            Type::Bool => json!("bool"),
            Type::Dynamic => json!("dynamic"),
            Type::List(element) => json!(["list", element.to_json()]),
            Type::Set(element) => json!(["set", element.to_json()]),
            Type::Map(element) => json!(["map", element.to_json()]),
            Type::Object(attributes) => {
                let attributes: serde_json::Map<String, Json> = attributes
                    .iter()
                    .map(|(name, ty)| (name.clone(), ty.to_json()))
                    .collect();
                json!(["object", attributes])
            }
            Type::Tuple(elements) => {
                json!([
                    "tuple",
                    elements.iter().map(Type::to_json).collect::<Vec<_>>()
                ])
            }
        }
    }

    /// What `Schema.Attribute.type` carries on the wire.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        self.to_json().to_string().into_bytes()
    }

    pub fn from_json(json: &Json) -> Result<Type, CodecError> {
        let invalid = || CodecError::new(AttributePath::new(), format!("invalid type {json}"));
        match json {
            Json::String(name) => match name.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Dynamic),
                _ => Err(invalid()),
            },
            Json::Array(parts) if parts.len() == 2 => {
                let kind = parts[0].as_str().ok_or_else(invalid)?;
                match kind {
                    "list" => Ok(Type::list(Type::from_json(&parts[1])?)),
                    "set" => Ok(Type::set(Type::from_json(&parts[1])?)),
                    "map" => Ok(Type::map(Type::from_json(&parts[1])?)),
                    "object" => {
                        let attributes = parts[1].as_object().ok_or_else(invalid)?;
                        let mut types = BTreeMap::new();
                        for (name, ty) in attributes {
                            types.insert(name.clone(), Type::from_json(ty)?);
                        }
                        Ok(Type::Object(types))
                    }
                    "tuple" => {
                        let elements = parts[1].as_array().ok_or_else(invalid)?;
                        Ok(Type::Tuple(
                            elements
                                .iter()
                                .map(Type::from_json)
                                .collect::<Result<_, _>>()?,
                        ))
                    }
                    _ => Err(invalid()),
                }
            }
            // Object types with optional attributes carry a third element; it only matters
            // for type conversion in Terraform, not for decoding values.
            Json::Array(parts) if parts.len() == 3 && parts[0] == "object" => {
                Type::from_json(&json!(["object", parts[1]]))
            }
            _ => Err(invalid()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_names_match_cty() {
        let ty = Type::object([
            ("a", Type::String),
            ("b", Type::list(Type::Number)),
            ("c", Type::map(Type::Bool)),
            ("d", Type::set(Type::Dynamic)),
            ("e", Type::Tuple(vec![Type::String, Type::Number])),
        ]);
        let text = String::from_utf8(ty.to_json_bytes()).unwrap();
        assert_eq!(
            text,
            r#"["object",{"a":"string","b":["list","number"],"c":["map","bool"],"d":["set","dynamic"],"e":["tuple",["string","number"]]}]"#
        );
        assert_eq!(Type::from_json(&ty.to_json()).unwrap(), ty);
    }

    #[test]
    fn rejects_unknown_type_names() {
        assert!(Type::from_json(&json!("float")).is_err());
        assert!(Type::from_json(&json!(["list"])).is_err());
    }
}
