//! The generic part of planning, driven by the schema: defaults, computed values that become
//! unknown, values kept from state, and changes that force replacement.

use std::collections::BTreeMap;

use super::schema::{Block, PlanModifier};
use super::value::Value;

/// The result of generic planning for an update or create.
#[derive(Debug, Clone, PartialEq)]
pub struct GenericPlan {
    pub planned: Value,
    pub requires_replace: Vec<String>,
}

/// Plans a resource's top-level block from Terraform's proposed new state.
///
/// - An optional+computed attribute the configuration leaves out gets its default, if it has one.
/// - On create, a computed attribute the configuration leaves out (and has no default) is unknown.
/// - On update, such an attribute keeps its prior value when nothing else changes; when the
///   resource changes it becomes unknown, unless it is marked use-state-for-unknown.
/// - An attribute marked requires-replace whose planned value differs from state (or is
///   unknown) is listed for replacement.
pub fn plan_block(block: &Block, prior: &Value, config: &Value, proposed: &Value) -> GenericPlan {
    let creating = prior.is_null();
    let mut planned: BTreeMap<String, Value> = match proposed {
        Value::Object(fields) => fields.clone(),
        _ => BTreeMap::new(),
    };
    let config_of = |name: &str| config.get(name).cloned().unwrap_or(Value::Null);
    let prior_of = |name: &str| prior.get(name).cloned().unwrap_or(Value::Null);

    // Attributes the provider fills in because the configuration did not.
    let mut filled = Vec::new();
    for attr in &block.attributes {
        if !attr.is_computed() || !config_of(&attr.name).is_null() {
            continue;
        }
        let value = if let Some(default) = &attr.default {
            default.clone()
        } else if creating {
            Value::Unknown
        } else {
            filled.push(attr);
            prior_of(&attr.name)
        };
        planned.insert(attr.name.clone(), value);
    }

    let changed = !creating && Value::Object(planned.clone()) != *prior;
    if changed {
        for attr in filled {
            if !attr.has_modifier(PlanModifier::UseStateForUnknown) {
                planned.insert(attr.name.clone(), Value::Unknown);
            }
        }
    }

    let mut requires_replace = Vec::new();
    if !creating {
        for attr in &block.attributes {
            if !attr.has_modifier(PlanModifier::RequiresReplace) {
                continue;
            }
            let new = planned.get(&attr.name).cloned().unwrap_or(Value::Null);
            if new.is_unknown() || new != prior_of(&attr.name) {
                requires_replace.push(attr.name.clone());
            }
        }
    }
    GenericPlan {
        planned: Value::Object(planned),
        requires_replace,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::schema::Attribute;

    fn block() -> Block {
        Block::new("test")
            .attribute(Attribute::string("id").computed().use_state_for_unknown())
            .attribute(Attribute::string("name").required().requires_replace())
            .attribute(Attribute::string("note").optional())
            .attribute(Attribute::number("ttl").default(180i64))
            .attribute(Attribute::string("etag").computed())
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Object(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn create_fills_defaults_and_unknowns() {
        let config = obj(&[
            ("id", Value::Null),
            ("name", Value::from("a")),
            ("note", Value::Null),
            ("ttl", Value::Null),
            ("etag", Value::Null),
        ]);
        let plan = plan_block(&block(), &Value::Null, &config, &config);
        assert_eq!(
            plan.planned,
            obj(&[
                ("id", Value::Unknown),
                ("name", Value::from("a")),
                ("note", Value::Null),
                ("ttl", Value::from(180i64)),
                ("etag", Value::Unknown),
            ])
        );
        assert!(plan.requires_replace.is_empty());
    }

    #[test]
    fn unchanged_update_keeps_state() {
        let prior = obj(&[
            ("id", Value::from("i-1")),
            ("name", Value::from("a")),
            ("note", Value::Null),
            ("ttl", Value::from(180i64)),
            ("etag", Value::from("E1")),
        ]);
        let config = obj(&[
            ("id", Value::Null),
            ("name", Value::from("a")),
            ("note", Value::Null),
            ("ttl", Value::Null),
            ("etag", Value::Null),
        ]);
        let plan = plan_block(&block(), &prior, &config, &prior);
        assert_eq!(plan.planned, prior);
        assert!(plan.requires_replace.is_empty());
    }

    #[test]
    fn changed_update_marks_computed_unknown_except_kept_ones() {
        let prior = obj(&[
            ("id", Value::from("i-1")),
            ("name", Value::from("a")),
            ("note", Value::Null),
            ("ttl", Value::from(180i64)),
            ("etag", Value::from("E1")),
        ]);
        let config = obj(&[
            ("id", Value::Null),
            ("name", Value::from("a")),
            ("note", Value::from("hello")),
            ("ttl", Value::from(300i64)),
            ("etag", Value::Null),
        ]);
        let proposed = obj(&[
            ("id", Value::from("i-1")),
            ("name", Value::from("a")),
            ("note", Value::from("hello")),
            ("ttl", Value::from(300i64)),
            ("etag", Value::from("E1")),
        ]);
        let plan = plan_block(&block(), &prior, &config, &proposed);
        assert_eq!(plan.planned.get("id"), Some(&Value::from("i-1")));
        assert_eq!(plan.planned.get("etag"), Some(&Value::Unknown));
        assert_eq!(plan.planned.get("ttl"), Some(&Value::from(300i64)));
        assert!(plan.requires_replace.is_empty());
    }

    #[test]
    fn renaming_requires_replacement() {
        let prior = obj(&[
            ("id", Value::from("i-1")),
            ("name", Value::from("a")),
            ("note", Value::Null),
            ("ttl", Value::from(180i64)),
            ("etag", Value::from("E1")),
        ]);
        let mut config_fields = match &prior {
            Value::Object(f) => f.clone(),
            _ => unreachable!(),
        };
        config_fields.insert("name".into(), Value::from("b"));
        config_fields.insert("id".into(), Value::Null);
        config_fields.insert("etag".into(), Value::Null);
        let config = Value::Object(config_fields.clone());
        let mut proposed = config_fields;
        proposed.insert("id".into(), Value::from("i-1"));
        proposed.insert("etag".into(), Value::from("E1"));
        let plan = plan_block(&block(), &prior, &config, &Value::Object(proposed));
        assert_eq!(plan.requires_replace, vec!["name".to_string()]);

        let unknown_name = obj(&[
            ("id", Value::from("i-1")),
            ("name", Value::Unknown),
            ("note", Value::Null),
            ("ttl", Value::from(180i64)),
            ("etag", Value::from("E1")),
        ]);
        let plan = plan_block(&block(), &prior, &unknown_name, &unknown_name);
        assert_eq!(plan.requires_replace, vec!["name".to_string()]);
    }
}
