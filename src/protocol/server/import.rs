//! ImportResourceState: turns the id given to `terraform import` (or an `import {}` block) into
//! a state that ReadResource then completes.

use super::{decode, encode, ProviderService};
use crate::proto::tfplugin6 as pb;
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::resource::private_to_bytes;

pub(super) async fn import_resource_state(
    service: &ProviderService,
    req: pb::import_resource_state::Request,
) -> pb::import_resource_state::Response {
    let mut diags = Diagnostics::new();
    let imported_resources = import(service, &req, &mut diags)
        .await
        .into_iter()
        .collect();
    pb::import_resource_state::Response {
        imported_resources,
        diagnostics: diags.into_proto(),
        deferred: None,
    }
}

async fn import(
    service: &ProviderService,
    req: &pb::import_resource_state::Request,
    diags: &mut Diagnostics,
) -> Option<pb::import_resource_state::ImportedResource> {
    let resource = service.resource(&req.type_name, diags)?;
    let id = match (&req.identity, &resource.identity_type) {
        // An `import {}` block with `identity = {...}` (Terraform 1.12 and later).
        (Some(identity), Some(ty)) if req.id.is_empty() => {
            let value = decode("identity", identity.identity_data.as_ref(), ty, diags)?;
            match resource.implementation.import_id(&value) {
                Some(id) => id,
                None => {
                    diags.error(
                        "Invalid import identity",
                        format!("The identity given does not name a {}.", req.type_name),
                    );
                    return None;
                }
            }
        }
        _ => req.id.clone(),
    };
    if id.trim().is_empty() {
        diags.error(
            "Missing import id",
            format!("Importing a {} needs an id.", req.type_name),
        );
        return None;
    }
    let ctx = service.context();
    let state = resource.implementation.import(&ctx, &id, diags).await?;
    if diags.has_errors() {
        return None;
    }
    let encoded = encode("imported state", &state.value, &resource.value_type, diags)?;
    Some(pb::import_resource_state::ImportedResource {
        type_name: req.type_name.clone(),
        state: Some(encoded),
        private: private_to_bytes(&state.private),
        identity: resource.identity_of(&state.value),
    })
}
