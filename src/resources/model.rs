//! Between Terraform's values and the resources' Rust models: typed attribute fields, each
//! naming its attribute and default once for the schema, the reading and the writing, and
//! small conversions shared by the resources.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::aws::Deadline;
use crate::protocol::resource::Context;
use crate::protocol::schema::{Attribute, DEFAULT_TIMEOUT};
use crate::protocol::validators::parse_duration;
use crate::protocol::value::Value;

/// One attribute of a resource: its name and, for an optional attribute with a default, the
/// default, which the schema declares and reading a value falls back to.
#[derive(Debug, Clone, Copy)]
pub struct Field<D> {
    pub name: &'static str,
    pub default: Option<D>,
}

impl<D: Copy> Field<D> {
    /// An attribute without a default.
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            default: None,
        }
    }

    /// An optional attribute that defaults to `default`.
    pub const fn with_default(name: &'static str, default: D) -> Self {
        Self {
            name,
            default: Some(default),
        }
    }
}

impl Field<i64> {
    pub fn attribute(&self) -> Attribute {
        with_default(Attribute::number(self.name), self.default)
    }

    pub fn get(&self, value: &Value) -> Option<i64> {
        int(value, self.name).or(self.default)
    }
}

impl Field<bool> {
    pub fn attribute(&self) -> Attribute {
        with_default(Attribute::bool(self.name), self.default)
    }

    pub fn get(&self, value: &Value) -> Option<bool> {
        boolean(value, self.name).or(self.default)
    }
}

impl Field<&'static str> {
    pub fn attribute(&self) -> Attribute {
        with_default(Attribute::string(self.name), self.default)
    }

    pub fn get(&self, value: &Value) -> Option<String> {
        string(value, self.name).or_else(|| self.default.map(str::to_string))
    }
}

fn with_default<D: Into<Value>>(attribute: Attribute, default: Option<D>) -> Attribute {
    match default {
        Some(d) => attribute.default(d),
        None => attribute,
    }
}

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

/// True when the attribute is absent or null.
pub fn is_null(value: &Value, name: &str) -> bool {
    value.get(name).is_none_or(Value::is_null)
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

/// The duration set for `operation` in the `timeouts {}` block of `value`, or the default.
pub fn timeout(value: &Value, operation: &str) -> Duration {
    value
        .get("timeouts")
        .and_then(|t| t.get(operation))
        .and_then(Value::as_str)
        .and_then(|s| parse_duration(s).ok())
        .unwrap_or_else(default_timeout)
}

/// The timeout of an operation whose `timeouts {}` block gives none.
pub fn default_timeout() -> Duration {
    parse_duration(DEFAULT_TIMEOUT).expect("the default timeout is a duration")
}

/// The deadline of `operation` (`create`, `update`, `delete`) as the resource's `timeouts {}`
/// block sets it, ended early when Terraform cancels.
pub fn deadline(ctx: &Context, value: &Value, operation: &'static str) -> Deadline {
    let setting = match operation {
        "create" => "timeouts.create",
        "update" => "timeouts.update",
        "delete" => "timeouts.delete",
        "read" => "timeouts.read",
        _ => "timeouts",
    };
    Deadline::after(timeout(value, operation), ctx.cancel.clone(), setting)
}

/// Sets one attribute of an object value.
pub fn set(value: &mut Value, name: &str, new: Value) {
    if let Value::Object(fields) = value {
        fields.insert(name.to_string(), new);
    }
}

/// The `edge_id` argument of the data sources and of `list "gateway_tenant"`: which edge.
pub fn edge_id_attribute() -> crate::protocol::schema::Attribute {
    crate::protocol::schema::Attribute::string("edge_id")
        .required()
        .description("The `id` of the `gateway_shared_edge`.")
        .validator(crate::protocol::validators::StringRule {
            description: "An edge id",
            summary: "Invalid edge id",
            check: crate::domain::naming::check_edge_name,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: Field<&str> = Field::new("name");
    const CLASS: Field<&str> = Field::with_default("price_class", "PriceClass_All");
    const TTL: Field<i64> = Field::with_default("min_ttl", 180);
    const FLAG: Field<bool> = Field::with_default("compress", true);

    #[test]
    fn fields_read_their_value_or_their_default() {
        let set = Value::object([
            ("name", Value::from("e1")),
            ("price_class", Value::from("PriceClass_100")),
            ("min_ttl", Value::from(0i64)),
            ("compress", Value::Bool(false)),
        ]);
        assert_eq!(NAME.get(&set).as_deref(), Some("e1"));
        assert_eq!(CLASS.get(&set).as_deref(), Some("PriceClass_100"));
        assert_eq!(TTL.get(&set), Some(0));
        assert_eq!(FLAG.get(&set), Some(false));
        let unset = Value::object([("name", Value::Null)]);
        assert_eq!(NAME.get(&unset), None);
        assert_eq!(CLASS.get(&unset).as_deref(), Some("PriceClass_All"));
        assert_eq!(TTL.get(&unset), Some(180));
        assert_eq!(FLAG.get(&unset), Some(true));
    }

    #[test]
    fn timeouts_fall_back_to_the_documented_default() {
        let value = Value::object([(
            "timeouts",
            Value::object([("create", Value::from("2m")), ("delete", Value::Null)]),
        )]);
        assert_eq!(timeout(&value, "create"), Duration::from_secs(120));
        assert_eq!(timeout(&value, "delete"), Duration::from_secs(30 * 60));
        assert_eq!(default_timeout(), Duration::from_secs(30 * 60));
    }
}
