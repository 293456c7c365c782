//! ValidateListResourceConfig, ListResource and GenerateResourceConfig: what `terraform query`
//! (Terraform 1.14 and later) needs to find existing objects and write configuration for them.

use super::{decode, encode, ProviderService, Registered};
use crate::proto::tfplugin6 as pb;
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::resource::{Listed, Resource};
use crate::protocol::schema::{Block, Presence};
use crate::protocol::validate::validate_block;
use crate::protocol::value::{AttributePath, Value};

/// A listable resource and the decoded configuration of its `list` block.
fn listable<'a>(
    service: &'a ProviderService,
    type_name: &str,
    config: Option<&pb::DynamicValue>,
    diags: &mut Diagnostics,
) -> Option<(&'a Registered<dyn Resource>, Value)> {
    let resource = service.resource(type_name, diags)?;
    let Some(schema) = &resource.list_schema else {
        diags.error(
            "Listing not supported",
            format!("{type_name} cannot be listed: it has no list block."),
        );
        return None;
    };
    let config = decode("list configuration", config, &schema.value_type(), diags)?;
    validate_block(&schema.block, &config, &AttributePath::root(), diags);
    resource.implementation.validate_list_config(&config, diags);
    Some((resource, config))
}

pub(super) fn validate_list_resource_config(
    service: &ProviderService,
    req: pb::validate_list_resource_config::Request,
) -> pb::validate_list_resource_config::Response {
    let mut diags = Diagnostics::new();
    listable(service, &req.type_name, req.config.as_ref(), &mut diags);
    pb::validate_list_resource_config::Response {
        diagnostics: diags.into_proto(),
    }
}

/// The events of one ListResource call: every object found, then nothing more. A failure
/// before any object is found is one event carrying only diagnostics.
pub(super) async fn list_resource(
    service: &ProviderService,
    req: pb::list_resource::Request,
) -> Vec<pb::list_resource::Event> {
    let mut diags = Diagnostics::new();
    let Some((resource, config)) =
        listable(service, &req.type_name, req.config.as_ref(), &mut diags)
    else {
        return vec![only(diags)];
    };
    if diags.has_errors() {
        return vec![only(diags)];
    }
    let limit = usize::try_from(req.limit).unwrap_or(0);
    let limit = if limit == 0 { usize::MAX } else { limit };
    let ctx = service.context();
    let found = resource
        .implementation
        .list(
            &ctx,
            &config,
            req.include_resource_object,
            limit,
            &mut diags,
        )
        .await;
    let mut events: Vec<_> = found
        .into_iter()
        .take(limit)
        .map(|listed| event(resource, listed, req.include_resource_object))
        .collect();
    if !diags.is_empty() {
        events.push(only(diags));
    }
    events
}

fn only(diags: Diagnostics) -> pb::list_resource::Event {
    pb::list_resource::Event {
        diagnostic: diags.into_proto(),
        ..Default::default()
    }
}

fn event(
    resource: &Registered<dyn Resource>,
    listed: Listed,
    include_state: bool,
) -> pb::list_resource::Event {
    let mut diags = listed.diagnostics;
    let identity = match (&listed.identity, &resource.identity_type) {
        (Some(identity), Some(ty)) => {
            encode("identity", identity, ty, &mut diags).map(|data| pb::ResourceIdentityData {
                identity_data: Some(data),
            })
        }
        _ => None,
    };
    let resource_object = match (&listed.state, include_state) {
        (Some(state), true) => encode("listed state", state, &resource.value_type, &mut diags),
        _ => None,
    };
    pb::list_resource::Event {
        identity,
        display_name: listed.display_name,
        resource_object,
        diagnostic: diags.into_proto(),
    }
}

pub(super) fn generate_resource_config(
    service: &ProviderService,
    req: pb::generate_resource_config::Request,
) -> pb::generate_resource_config::Response {
    let mut diags = Diagnostics::new();
    let config = generate(service, &req, &mut diags);
    pb::generate_resource_config::Response {
        config,
        diagnostics: diags.into_proto(),
    }
}

fn generate(
    service: &ProviderService,
    req: &pb::generate_resource_config::Request,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    let resource = service.resource(&req.type_name, diags)?;
    let state = decode("state", req.state.as_ref(), &resource.value_type, diags)?;
    let config = resource
        .implementation
        .generate_config(&state)
        .unwrap_or_else(|| configurable(&resource.schema.block, &state));
    encode(
        "generated configuration",
        &config,
        &resource.value_type,
        diags,
    )
}

/// The part of `state` a configuration can set: computed-only attributes become null, and so
/// do values equal to the attribute's default (the generated block stays short).
pub(super) fn configurable(block: &Block, state: &Value) -> Value {
    let Value::Object(fields) = state else {
        return Value::Null;
    };
    let mut config = fields.clone();
    for attribute in &block.attributes {
        let Some(value) = config.get_mut(&attribute.name) else {
            continue;
        };
        let settable = attribute.presence != Presence::Computed;
        let is_default = attribute.default.as_ref() == Some(&*value);
        if !settable || is_default {
            *value = Value::Null;
        }
    }
    for nested in &block.blocks {
        if let Some(value) = config.get_mut(&nested.type_name) {
            *value = Value::Null;
        }
    }
    Value::Object(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::schema::Attribute;

    #[test]
    fn a_generated_configuration_leaves_out_what_cannot_or_need_not_be_set() {
        let block = Block::new("")
            .attribute(Attribute::string("id").computed())
            .attribute(Attribute::string("name").required())
            .attribute(Attribute::number("size").optional().default(Value::from(3)))
            .attribute(Attribute::string("note").optional());
        let state = Value::object([
            ("id", Value::from("x")),
            ("name", Value::from("acme")),
            ("size", Value::from(3)),
            ("note", Value::from("kept")),
        ]);
        let config = configurable(&block, &state);
        assert_eq!(config.get("id"), Some(&Value::Null));
        assert_eq!(config.get("name"), Some(&Value::from("acme")));
        assert_eq!(config.get("size"), Some(&Value::Null));
        assert_eq!(config.get("note"), Some(&Value::from("kept")));
    }
}
