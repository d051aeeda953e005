//! Terraform values (cty's model): null, unknown (with optional refinements) or known, of
//! the kinds a schema type allows. Values carry no type; encoding and decoding are driven by
//! the schema's [`Type`], as cty does on the wire.

mod json;
mod msgpack;
mod types;

use std::collections::BTreeMap;
use std::fmt;

use crate::plugin::path::{AttributePath, PathStep};

pub use self::json::{decode_json, encode_json};
pub use self::msgpack::{decode, encode};
pub use self::types::Type;

/// A cty number: exact when it fits i64 or f64; otherwise the decimal text Terraform sent.
#[derive(Clone, Debug)]
pub enum Number {
    Int(i64),
    Float(f64),
    Decimal(String),
}

impl Number {
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(*i),
            Number::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(*f as i64),
            Number::Float(_) => None,
            Number::Decimal(text) => text.parse().ok(),
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Number::Int(i) => Some(*i as f64),
            Number::Float(f) => Some(*f),
            Number::Decimal(text) => text.parse().ok(),
        }
    }
}

impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Number::Int(a), Number::Int(b)) => a == b,
            (Number::Decimal(a), Number::Decimal(b)) => a == b,
            (a, b) => match (a.as_i64(), b.as_i64()) {
                (Some(a), Some(b)) => a == b,
                _ => a.as_f64() == b.as_f64(),
            },
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Int(i) => write!(f, "{i}"),
            Number::Float(x) => write!(f, "{x}"),
            Number::Decimal(text) => f.write_str(text),
        }
    }
}

/// What is known about an unknown value (Terraform 1.6+ refinements). A provider that plans a
/// refinement must keep it after apply.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Refinements {
    /// Definitely not null.
    pub not_null: bool,
    pub string_prefix: Option<String>,
    /// (bound, inclusive)
    pub number_lower: Option<(Number, bool)>,
    pub number_upper: Option<(Number, bool)>,
    pub length_lower: Option<u64>,
    pub length_upper: Option<u64>,
}

impl Refinements {
    pub fn is_empty(&self) -> bool {
        *self == Refinements::default()
    }
}

/// A Terraform value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Unknown(Refinements),
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Tuple(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
}

impl Value {
    /// An unknown value with no refinements.
    pub fn unknown() -> Value {
        Value::Unknown(Refinements::default())
    }

    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn object<I, K>(attributes: I) -> Value
    where
        I: IntoIterator<Item = (K, Value)>,
        K: Into<String>,
    {
        Value::Object(
            attributes
                .into_iter()
                .map(|(name, value)| (name.into(), value))
                .collect(),
        )
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }

    /// No unknown anywhere inside.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                items.iter().all(Value::is_wholly_known)
            }
            Value::Map(items) | Value::Object(items) => items.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Object(attributes) => Some(attributes),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(elements) => Some(elements),
            _ => None,
        }
    }

    /// Elements of a list, set or tuple.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => Some(items),
            _ => None,
        }
    }

    /// An attribute of an object; None when this is not an object or has no such attribute.
    pub fn get_attr(&self, name: &str) -> Option<&Value> {
        self.as_object()?.get(name)
    }

    pub fn get_attr_mut(&mut self, name: &str) -> Option<&mut Value> {
        match self {
            Value::Object(attributes) => attributes.get_mut(name),
            _ => None,
        }
    }

    /// Sets an attribute of an object; does nothing to other values.
    pub fn set_attr(&mut self, name: impl Into<String>, value: Value) {
        if let Value::Object(attributes) = self {
            attributes.insert(name.into(), value);
        }
    }

    pub fn get_path(&self, path: &AttributePath) -> Option<&Value> {
        path.steps.iter().try_fold(self, |value, step| match step {
            PathStep::Attribute(name) => value.get_attr(name),
            PathStep::ElementKeyString(key) => value.as_map()?.get(key),
            PathStep::ElementKeyInt(index) => {
                value.as_elements()?.get(usize::try_from(*index).ok()?)
            }
        })
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Number(Number::Int(i))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<Option<String>> for Value {
    fn from(s: Option<String>) -> Self {
        s.map_or(Value::Null, Value::String)
    }
}

/// A value that does not fit its type, or bytes that are not a value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("at {path}: {message}")]
pub struct CodecError {
    pub path: AttributePath,
    pub message: String,
}

impl CodecError {
    pub(crate) fn new(path: AttributePath, message: impl Into<String>) -> Self {
        Self {
            path,
            message: message.into(),
        }
    }

    /// An error at the value being decoded or encoded; each enclosing level adds its step on
    /// the way out, so the happy path builds no paths.
    pub(crate) fn here(message: impl Into<String>) -> Self {
        Self::new(AttributePath::new(), message)
    }

    /// The same error, seen from the value that holds this one at `step`.
    pub(crate) fn within(mut self, step: PathStep) -> Self {
        self.path.steps.insert(0, step);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_by_value() {
        assert_eq!(Number::Int(3), Number::Float(3.0));
        assert_ne!(Number::Int(3), Number::Float(3.5));
        assert_eq!(Number::Decimal("12".into()), Number::Int(12));
    }

    #[test]
    fn paths_reach_nested_values() {
        let value = Value::object([(
            "volume",
            Value::List(vec![Value::object([("name", Value::from("data"))])]),
        )]);
        let path = AttributePath::root("volume").index(0).attr("name");
        assert_eq!(value.get_path(&path), Some(&Value::from("data")));
        assert_eq!(
            value.get_path(&AttributePath::root("volume").index(1)),
            None
        );
    }

    #[test]
    fn wholly_known_looks_inside() {
        let value = Value::object([("a", Value::List(vec![Value::unknown()]))]);
        assert!(!value.is_wholly_known());
        assert!(Value::object([("a", Value::Null)]).is_wholly_known());
    }
}
