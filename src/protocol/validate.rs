//! Runs every attribute validator of a schema over a configuration, descending into nested
//! blocks, so each problem is reported at its own attribute.

use super::diagnostics::Diagnostics;
use super::schema::{Block, Nesting, Presence};
use super::validators;
use super::value::{AttributePath, Value};

/// Validates `value` (an object conforming to `block`) rooted at `path`.
pub fn validate_block(block: &Block, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
    if value.is_null() || value.is_unknown() {
        return;
    }
    for attr in &block.attributes {
        let v = value.get(&attr.name).unwrap_or(&Value::Null);
        let at = path.attribute(&attr.name);
        // Older Terraform releases leave this check to the provider.
        if attr.presence == Presence::Computed && !v.is_null() {
            diags.attribute_error(
                at,
                "Invalid Configuration for Read-Only Attribute",
                format!(
                    "{} is set by the provider and cannot be configured; remove it from the configuration.",
                    attr.name
                ),
            );
            continue;
        }
        for validator in &attr.validators {
            validators::run(validator.as_ref(), v, &at, diags);
        }
    }
    for nested in &block.blocks {
        let v = value.get(&nested.type_name).unwrap_or(&Value::Null);
        let at = path.attribute(&nested.type_name);
        match (nested.nesting, v) {
            (Nesting::Single, _) => validate_block(&nested.block, v, &at, diags),
            (Nesting::List, Value::List(items)) => {
                for (i, item) in items.iter().enumerate() {
                    validate_block(&nested.block, item, &at.index(i as i64), diags);
                }
            }
            // Set elements have no stable address; Terraform points at the block.
            (Nesting::Set, Value::Set(items)) => {
                for item in items {
                    validate_block(&nested.block, item, &at, diags);
                }
            }
            _ => {}
        }
    }
}
