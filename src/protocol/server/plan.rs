//! PlanResourceChange: generic planning from the schema, then the resource's own refinements.
//! Destroy plans come here too (the server announces `plan_destroy`), so a resource can refuse
//! an unsafe destroy before anything changes.

use super::{decode, encode, ProviderService};
use crate::proto::tfplugin6 as pb;
use crate::protocol::diagnostics::{path_to_proto, Diagnostics};
use crate::protocol::plan::plan_block;
use crate::protocol::resource::{private_from_bytes, private_to_bytes, PlanState};
use crate::protocol::value::{AttributePath, Value};

pub(super) async fn plan_resource_change(
    service: &ProviderService,
    req: pb::plan_resource_change::Request,
) -> pb::plan_resource_change::Response {
    let mut diags = Diagnostics::new();
    let mut response = plan(service, &req, &mut diags).await.unwrap_or_default();
    response.diagnostics = diags.into_proto();
    response
}

async fn plan(
    service: &ProviderService,
    req: &pb::plan_resource_change::Request,
    diags: &mut Diagnostics,
) -> Option<pb::plan_resource_change::Response> {
    let resource = service.resource(&req.type_name, diags)?;
    let ty = &resource.value_type;
    let prior = decode("prior state", req.prior_state.as_ref(), ty, diags)?;
    let proposed = decode(
        "proposed new state",
        req.proposed_new_state.as_ref(),
        ty,
        diags,
    )?;
    let config = decode("configuration", req.config.as_ref(), ty, diags)?;
    let private = match private_from_bytes(&req.prior_private) {
        Ok(p) => p,
        Err(err) => {
            diags.error("Invalid request", err);
            return None;
        }
    };
    let ctx = service.context();

    let generic = if proposed.is_null() {
        None
    } else {
        Some(plan_block(
            &resource.schema.block,
            &prior,
            &config,
            &proposed,
        ))
    };
    let (planned, requires_replace) = match generic {
        Some(g) => (g.planned, g.requires_replace),
        None => (Value::Null, Vec::new()),
    };
    let mut state = PlanState {
        prior: &prior,
        config: &config,
        planned,
        requires_replace,
        private,
    };
    resource
        .implementation
        .modify_plan(&ctx, &mut state, diags)
        .await;
    if diags.has_errors() {
        return None;
    }
    let planned_state = encode("planned state", &state.planned, ty, diags)?;
    let planned_identity = resource.identity_of(&state.planned);
    Some(pb::plan_resource_change::Response {
        planned_state: Some(planned_state),
        requires_replace: state
            .requires_replace
            .iter()
            .map(|name| path_to_proto(&AttributePath::root().attribute(name)))
            .collect(),
        planned_private: private_to_bytes(&state.private),
        planned_identity,
        ..Default::default()
    })
}
