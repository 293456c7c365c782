//! UpgradeResourceState: Terraform hands over the stored JSON of every resource before it plans,
//! with the schema version that wrote it. Older versions are upgraded one step at a time by the
//! resource; attributes the current schema no longer has are dropped.

use serde_json::Value as Json;

use super::{encode, ProviderService};
use crate::proto::tfplugin6 as pb;
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::value::{json, Type};

pub(super) fn upgrade_resource_state(
    service: &ProviderService,
    req: pb::upgrade_resource_state::Request,
) -> pb::upgrade_resource_state::Response {
    let mut diags = Diagnostics::new();
    let upgraded_state = upgrade(service, &req, &mut diags);
    pb::upgrade_resource_state::Response {
        upgraded_state,
        diagnostics: diags.into_proto(),
    }
}

fn upgrade(
    service: &ProviderService,
    req: &pb::upgrade_resource_state::Request,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    let resource = service.resource(&req.type_name, diags)?;
    let current = resource.schema.version;
    let raw = req.raw_state.clone().unwrap_or_default();
    if raw.json.is_empty() {
        if !raw.flatmap.is_empty() {
            diags.error(
                "Unsupported state format",
                format!(
                    "The state of this {} is in the flatmap format of Terraform 0.11, which this provider never wrote.",
                    req.type_name
                ),
            );
            return None;
        }
        return encode(
            "upgraded state",
            &crate::protocol::value::Value::Null,
            &resource.value_type,
            diags,
        );
    }
    if req.version > current {
        diags.error(
            "State from a newer provider",
            format!(
                "The state of this {} was written by schema version {}, but this provider release only knows versions up to {current}. Use the provider release that wrote it, or a newer one.",
                req.type_name, req.version
            ),
        );
        return None;
    }
    if req.version < 0 {
        diags.error(
            "Invalid request",
            format!("Schema version {} is not valid.", req.version),
        );
        return None;
    }
    let mut state: Json = match serde_json::from_slice(&raw.json) {
        Ok(state) => state,
        Err(err) => {
            diags.error(
                "Invalid request",
                format!("The stored state is not valid JSON: {err}."),
            );
            return None;
        }
    };
    for from in req.version..current {
        state = resource.implementation.upgrade_state(from, state, diags)?;
        tracing::debug!(tf_resource_type = %req.type_name, from, to = from + 1, "upgraded state");
    }
    prune_to_type(&mut state, &resource.value_type);
    let bytes = serde_json::to_vec(&state).unwrap_or_default();
    match json::decode(&bytes, &resource.value_type) {
        Ok(value) => encode("upgraded state", &value, &resource.value_type, diags),
        Err(err) => {
            diags.error(
                "Unable to read stored state",
                format!(
                    "The stored state of this {} does not match its schema: {err}.",
                    req.type_name
                ),
            );
            None
        }
    }
}

/// UpgradeResourceIdentity: identities are at their first version, so a stored identity is
/// read with the current identity type.
pub(super) fn upgrade_resource_identity(
    service: &ProviderService,
    req: pb::upgrade_resource_identity::Request,
) -> pb::upgrade_resource_identity::Response {
    let mut diags = Diagnostics::new();
    let upgraded_identity = (|| {
        let resource = service.resource(&req.type_name, &mut diags)?;
        let Some(ty) = resource.identity_type.as_ref() else {
            diags.error(
                "Resource has no identity",
                format!("{} does not declare an identity.", req.type_name),
            );
            return None;
        };
        let version = resource
            .implementation
            .identity_schema()
            .map_or(0, |s| s.version);
        if req.version != version {
            diags.error(
                "Unable to upgrade identity",
                format!(
                    "The identity of this {} was written by identity version {}, but this provider release knows version {version} only.",
                    req.type_name, req.version
                ),
            );
            return None;
        }
        let raw = req.raw_identity.clone().unwrap_or_default();
        match json::decode(&raw.json, ty) {
            Ok(value) => {
                encode("identity", &value, ty, &mut diags).map(|dv| pb::ResourceIdentityData {
                    identity_data: Some(dv),
                })
            }
            Err(err) => {
                diags.error(
                    "Unable to read stored identity",
                    format!("The stored identity does not match its schema: {err}."),
                );
                None
            }
        }
    })();
    pb::upgrade_resource_identity::Response {
        upgraded_identity,
        diagnostics: diags.into_proto(),
    }
}

/// Drops object attributes the type does not declare, at any depth: they belong to a schema
/// version that had them, and keeping them would make the state unreadable.
pub(crate) fn prune_to_type(value: &mut Json, ty: &Type) {
    match (value, ty) {
        (Json::Object(fields), Type::Object(object)) => {
            fields.retain(|name, _| object.attributes.contains_key(name));
            for (name, field) in fields.iter_mut() {
                if let Some(attr_ty) = object.attributes.get(name) {
                    prune_to_type(field, attr_ty);
                }
            }
        }
        (Json::Array(items), Type::List(elem) | Type::Set(elem)) => {
            for item in items {
                prune_to_type(item, elem);
            }
        }
        (Json::Array(items), Type::Tuple(elems)) => {
            for (item, elem) in items.iter_mut().zip(elems) {
                prune_to_type(item, elem);
            }
        }
        (Json::Object(entries), Type::Map(elem)) => {
            for entry in entries.values_mut() {
                prune_to_type(entry, elem);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    //! Schema versioning through the real handler: a resource at version 2 whose state went
    //! through a rename (0 -> 1) and a new attribute with a default (1 -> 2).

    use std::sync::Arc;

    use async_trait::async_trait;
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::protocol::resource::{
        Context, DataSource, Function, ProviderData, ProviderDefinition, Resource, State,
    };
    use crate::protocol::schema::{Attribute, Block, Schema};
    use crate::protocol::value::{msgpack, Value};

    struct Versioned;

    #[async_trait]
    impl Resource for Versioned {
        fn type_name(&self) -> &'static str {
            "test_versioned"
        }

        fn schema(&self) -> Schema {
            Schema::new(
                2,
                Block::new("test")
                    .attribute(Attribute::string("id").computed())
                    .attribute(Attribute::string("host_name").required())
                    .attribute(Attribute::number("weight").default(1i64)),
            )
        }

        async fn create(
            &self,
            _: &Context,
            _: &Value,
            _: &Value,
            _: &mut Diagnostics,
        ) -> Option<State> {
            None
        }

        async fn read(&self, _: &Context, current: State, _: &mut Diagnostics) -> Option<State> {
            Some(current)
        }

        async fn update(
            &self,
            _: &Context,
            prior: State,
            _: &Value,
            _: &Value,
            _: &mut Diagnostics,
        ) -> Option<State> {
            Some(prior)
        }

        async fn delete(&self, _: &Context, _: State, _: &mut Diagnostics) {}

        fn upgrade_state(
            &self,
            from: i64,
            mut state: Json,
            diags: &mut Diagnostics,
        ) -> Option<Json> {
            let fields = state.as_object_mut()?;
            match from {
                // Version 0 called the host `host`.
                0 => {
                    let host = fields.remove("host").unwrap_or(Json::Null);
                    fields.insert("host_name".into(), host);
                }
                // Version 2 added `weight`; existing objects had the implicit weight 1.
                1 => {
                    fields.insert("weight".into(), Json::from(1));
                }
                _ => {
                    diags.error("Unable to upgrade state", format!("no upgrade from {from}"));
                    return None;
                }
            }
            Some(state)
        }
    }

    struct TestProvider;

    #[async_trait]
    impl ProviderDefinition for TestProvider {
        fn type_name(&self) -> &'static str {
            "test"
        }
        fn schema(&self) -> Schema {
            Schema::new(0, Block::new("test"))
        }
        async fn configure(
            &self,
            _: &Value,
            _: &CancellationToken,
            _: &mut Diagnostics,
        ) -> Option<ProviderData> {
            None
        }
        fn resources(&self) -> Vec<Arc<dyn Resource>> {
            vec![Arc::new(Versioned)]
        }
        fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
            Vec::new()
        }
        fn functions(&self) -> Vec<Arc<dyn Function>> {
            Vec::new()
        }
    }

    fn upgrade(version: i64, json: &str) -> (Option<Value>, Vec<String>) {
        let service = ProviderService::new(Arc::new(TestProvider));
        let resp = upgrade_resource_state(
            &service,
            pb::upgrade_resource_state::Request {
                type_name: "test_versioned".into(),
                version,
                raw_state: Some(pb::RawState {
                    json: json.as_bytes().to_vec(),
                    flatmap: Default::default(),
                }),
            },
        );
        let ty = Versioned.schema().value_type();
        let state = resp
            .upgraded_state
            .map(|dv| msgpack::decode(&dv.msgpack, &ty).unwrap());
        let diags = resp.diagnostics.into_iter().map(|d| d.summary).collect();
        (state, diags)
    }

    fn expected(host: &str, weight: i64) -> Value {
        Value::object([
            ("id", Value::from("x")),
            ("host_name", Value::from(host)),
            ("weight", Value::from(weight)),
        ])
    }

    #[test]
    fn version_zero_goes_through_every_step() {
        let (state, diags) = upgrade(0, r#"{"id":"x","host":"a.example.com"}"#);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(state, Some(expected("a.example.com", 1)));
    }

    #[test]
    fn version_one_takes_the_last_step_only() {
        let (state, diags) = upgrade(1, r#"{"id":"x","host_name":"b.example.com"}"#);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(state, Some(expected("b.example.com", 1)));
    }

    #[test]
    fn the_current_version_is_read_as_is() {
        let (state, diags) = upgrade(2, r#"{"id":"x","host_name":"c.example.com","weight":5}"#);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(state, Some(expected("c.example.com", 5)));
    }

    #[test]
    fn a_newer_version_is_refused() {
        let (state, diags) = upgrade(3, r#"{"id":"x"}"#);
        assert_eq!(state, None);
        assert_eq!(diags, vec!["State from a newer provider".to_string()]);
    }

    #[test]
    fn flatmap_state_is_refused() {
        let service = ProviderService::new(Arc::new(TestProvider));
        let resp = upgrade_resource_state(
            &service,
            pb::upgrade_resource_state::Request {
                type_name: "test_versioned".into(),
                version: 0,
                raw_state: Some(pb::RawState {
                    json: Vec::new(),
                    flatmap: [("id".to_string(), "x".to_string())].into_iter().collect(),
                }),
            },
        );
        assert_eq!(resp.diagnostics[0].summary, "Unsupported state format");
    }
}
