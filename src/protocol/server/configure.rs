//! ConfigureProvider: builds the provider's clients from its block; every later call gets them.

use super::validate::checked_config;
use super::ProviderService;
use crate::proto::tfplugin6 as pb;
use crate::protocol::diagnostics::Diagnostics;

pub(super) async fn configure_provider(
    service: &ProviderService,
    req: pb::configure_provider::Request,
) -> pb::configure_provider::Response {
    let mut diags = Diagnostics::new();
    let ty = service.provider_schema.value_type();
    tracing::debug!(terraform_version = %req.terraform_version, "configuring the provider");
    let block = &service.provider_schema.block;
    let what = "provider configuration";
    if let Some(config) = checked_config(what, req.config.as_ref(), block, &ty, &mut diags) {
        if !diags.has_errors() {
            let cancel = service.context().cancel;
            if let Some(data) = service
                .definition
                .configure(&config, &cancel, &mut diags)
                .await
            {
                if let Ok(mut slot) = service.provider_data.write() {
                    *slot = Some(data);
                }
            }
        }
    }
    pb::configure_provider::Response {
        diagnostics: diags.into_proto(),
    }
}
