//! ApplyResourceChange: create, update or delete, as the plan says. Whatever a failed create
//! returns is kept in state (Terraform marks it tainted) so nothing made is lost track of.

use super::{decode, encode, ProviderService};
use crate::proto::tfplugin6 as pb;
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::resource::{private_from_bytes, private_to_bytes, State};
use crate::protocol::value::Value;

pub(super) async fn apply_resource_change(
    service: &ProviderService,
    req: pb::apply_resource_change::Request,
) -> pb::apply_resource_change::Response {
    let mut diags = Diagnostics::new();
    let mut response = pb::apply_resource_change::Response::default();
    if let Some((state, private, identity)) = apply(service, &req, &mut diags).await {
        response.new_state = Some(state);
        response.private = private;
        response.new_identity = identity;
    }
    response.diagnostics = diags.into_proto();
    response
}

async fn apply(
    service: &ProviderService,
    req: &pb::apply_resource_change::Request,
    diags: &mut Diagnostics,
) -> Option<(pb::DynamicValue, Vec<u8>, Option<pb::ResourceIdentityData>)> {
    let resource = service.resource(&req.type_name, diags)?;
    let ty = &resource.value_type;
    let prior = decode("prior state", req.prior_state.as_ref(), ty, diags)?;
    let planned = decode("planned state", req.planned_state.as_ref(), ty, diags)?;
    let config = decode("configuration", req.config.as_ref(), ty, diags)?;
    let private = match private_from_bytes(&req.planned_private) {
        Ok(p) => p,
        Err(err) => {
            diags.error("Invalid request", err);
            return None;
        }
    };
    let ctx = service.context();
    let implementation = &resource.implementation;

    let new_state = if planned.is_null() {
        implementation
            .delete(
                &ctx,
                State {
                    value: prior.clone(),
                    private,
                },
                diags,
            )
            .await;
        // A failed delete keeps the resource in state.
        if diags.has_errors() {
            Some(State {
                value: prior,
                private: private_from_bytes(&req.planned_private).unwrap_or_default(),
            })
        } else {
            None
        }
    } else if prior.is_null() {
        implementation.create(&ctx, &planned, &config, diags).await
    } else {
        let prior_state = State {
            value: prior.clone(),
            private,
        };
        let updated = implementation
            .update(&ctx, prior_state, &planned, &config, diags)
            .await;
        // A failed update that reports nothing keeps what was there.
        updated.or_else(|| diags.has_errors().then(|| State::new(prior)))
    };

    let (value, private) = match new_state {
        Some(state) => (state.value, state.private),
        None => (Value::Null, Default::default()),
    };
    if !value.is_fully_known() {
        diags.error(
            "Provider returned an incomplete state",
            format!(
                "After applying, {} still has unknown values. This is a bug in the provider.",
                req.type_name
            ),
        );
        return None;
    }
    let encoded = encode("new state", &value, ty, diags)?;
    let identity = resource.identity_of(&value);
    Some((encoded, private_to_bytes(&private), identity))
}
