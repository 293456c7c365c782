//! Small conversions between state values and Rust types, shared by the resources.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::protocol::validators::parse_duration;
use crate::protocol::value::Value;

pub fn string(value: &Value, name: &str) -> Option<String> {
    value.get(name).and_then(Value::as_str).map(str::to_string)
}

pub fn int(value: &Value, name: &str) -> Option<i64> {
    value.get(name).and_then(Value::as_i64)
}

pub fn boolean(value: &Value, name: &str) -> Option<bool> {
    value.get(name).and_then(Value::as_bool)
}

pub fn string_map(value: &Value, name: &str) -> BTreeMap<String, String> {
    match value.get(name) {
        Some(Value::Map(entries)) => entries
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
            .collect(),
        _ => BTreeMap::new(),
    }
}

pub fn string_list(value: &Value, name: &str) -> Vec<String> {
    match value.get(name) {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

pub fn opt_string(value: Option<String>) -> Value {
    value.map(Value::String).unwrap_or(Value::Null)
}

pub fn opt_int(value: Option<i64>) -> Value {
    value.map(Value::from).unwrap_or(Value::Null)
}

/// A map attribute: null when empty and the configuration had none.
pub fn map_value(map: &BTreeMap<String, String>, was_null: bool) -> Value {
    if map.is_empty() && was_null {
        Value::Null
    } else {
        Value::Map(
            map.iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        )
    }
}

pub fn list_value(items: &[String]) -> Value {
    Value::List(items.iter().cloned().map(Value::String).collect())
}

/// The duration set for `operation` in a `timeouts {}` block, or `default`.
pub fn timeout(value: &Value, operation: &str, default: Duration) -> Duration {
    value
        .get("timeouts")
        .and_then(|t| t.get(operation))
        .and_then(Value::as_str)
        .and_then(|s| parse_duration(s).ok())
        .unwrap_or(default)
}

/// Sets one attribute of an object value.
pub fn set(value: &mut Value, name: &str, new: Value) {
    if let Value::Object(fields) = value {
        fields.insert(name.to_string(), new);
    }
}
