//! Small conversions between Terraform values and plain Rust data, shared by the resources.

use std::collections::BTreeMap;

use crate::plugin::value::Value;

/// A known string attribute; None when null or unknown.
pub(crate) fn string(object: &Value, name: &str) -> Option<String> {
    object.get_attr(name)?.as_str().map(str::to_string)
}

/// A known bool attribute; None when null or unknown.
pub(crate) fn boolean(object: &Value, name: &str) -> Option<bool> {
    object.get_attr(name)?.as_bool()
}

/// A known whole-number attribute; None when null or unknown.
pub(crate) fn integer(object: &Value, name: &str) -> Option<i64> {
    object.get_attr(name)?.as_i64()
}

/// Whether the attribute is unknown (at plan time).
pub(crate) fn is_unknown(object: &Value, name: &str) -> bool {
    object.get_attr(name).is_some_and(Value::is_unknown)
}

/// Known string elements of a list or set attribute (unknown elements skipped).
pub(crate) fn strings(object: &Value, name: &str) -> Vec<String> {
    object
        .get_attr(name)
        .and_then(Value::as_elements)
        .map(|elements| {
            elements
                .iter()
                .filter_map(|e| e.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A known map(string) attribute; None when null or unknown or holding unknown values.
pub(crate) fn string_map(object: &Value, name: &str) -> Option<BTreeMap<String, String>> {
    let map = object.get_attr(name)?.as_map()?;
    map.iter()
        .map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
        .collect()
}

pub(crate) fn map_value(map: &BTreeMap<String, String>) -> Value {
    Value::Map(
        map.iter()
            .map(|(k, v)| (k.clone(), Value::string(v.clone())))
            .collect(),
    )
}

pub(crate) fn set_value(items: impl IntoIterator<Item = String>) -> Value {
    let mut items: Vec<String> = items.into_iter().collect();
    items.sort();
    items.dedup();
    Value::Set(items.into_iter().map(Value::String).collect())
}

pub(crate) fn optional_string(value: Option<&str>) -> Value {
    value.map_or(Value::Null, Value::string)
}
