//! ReadResource: refreshes one resource; a resource that is gone leaves the state.

use super::{decode, encode, ProviderService};
use crate::proto::tfplugin6 as pb;
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::resource::{private_from_bytes, private_to_bytes, State};
use crate::protocol::value::Value;

pub(super) async fn read_resource(
    service: &ProviderService,
    req: pb::read_resource::Request,
) -> pb::read_resource::Response {
    let mut diags = Diagnostics::new();
    let mut response = pb::read_resource::Response::default();
    if let Some((state, private)) = read(service, &req, &mut diags).await {
        response.new_identity = identity_of(service, &req.type_name, state.as_ref());
        response.new_state = state;
        response.private = private;
    }
    response.diagnostics = diags.into_proto();
    response
}

/// The identity of the object an encoded state describes.
fn identity_of(
    service: &ProviderService,
    type_name: &str,
    state: Option<&pb::DynamicValue>,
) -> Option<pb::ResourceIdentityData> {
    let resource = service.resources.get(type_name)?;
    let value =
        crate::protocol::value::msgpack::decode(&state?.msgpack, &resource.value_type).ok()?;
    resource.identity_of(&value)
}

async fn read(
    service: &ProviderService,
    req: &pb::read_resource::Request,
    diags: &mut Diagnostics,
) -> Option<(Option<pb::DynamicValue>, Vec<u8>)> {
    let resource = service.resource(&req.type_name, diags)?;
    let current = decode(
        "current state",
        req.current_state.as_ref(),
        &resource.value_type,
        diags,
    )?;
    let private = match private_from_bytes(&req.private) {
        Ok(p) => p,
        Err(err) => {
            diags.error("Invalid request", err);
            return None;
        }
    };
    if current.is_null() {
        let state = encode("state", &Value::Null, &resource.value_type, diags)?;
        return Some((Some(state), req.private.clone()));
    }
    let ctx = service.context();
    let current_copy = current.clone();
    let refreshed = resource
        .implementation
        .read(
            &ctx,
            State {
                value: current,
                private,
            },
            diags,
        )
        .await;
    match refreshed {
        Some(state) => {
            let encoded = encode("refreshed state", &state.value, &resource.value_type, diags)?;
            Some((Some(encoded), private_to_bytes(&state.private)))
        }
        // A failed read keeps the state as it was.
        None if diags.has_errors() => {
            let encoded = encode("state", &current_copy, &resource.value_type, diags)?;
            Some((Some(encoded), req.private.clone()))
        }
        None => {
            tracing::info!(tf_resource_type = %req.type_name, "resource no longer exists; removing it from state");
            let null = encode("state", &Value::Null, &resource.value_type, diags)?;
            Some((Some(null), Vec::new()))
        }
    }
}
