//! ValidateProviderConfig, ValidateResourceConfig and ValidateDataResourceConfig: attribute
//! validators first, then each definition's own cross-attribute checks. Nothing here calls AWS.

use super::{decode, ProviderService};
use crate::proto::tfplugin6 as pb;
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::validate::validate_block;
use crate::protocol::value::AttributePath;

pub(super) fn validate_provider_config(
    service: &ProviderService,
    req: pb::validate_provider_config::Request,
) -> pb::validate_provider_config::Response {
    let mut diags = Diagnostics::new();
    let ty = service.provider_schema.value_type();
    if let Some(config) = decode(
        "provider configuration",
        req.config.as_ref(),
        &ty,
        &mut diags,
    ) {
        validate_block(
            &service.provider_schema.block,
            &config,
            &AttributePath::root(),
            &mut diags,
        );
        service.definition.validate_config(&config, &mut diags);
    }
    pb::validate_provider_config::Response {
        diagnostics: diags.into_proto(),
    }
}

pub(super) fn validate_resource_config(
    service: &ProviderService,
    req: pb::validate_resource_config::Request,
) -> pb::validate_resource_config::Response {
    let mut diags = Diagnostics::new();
    if let Some(resource) = service.resource(&req.type_name, &mut diags) {
        if let Some(config) = decode(
            "configuration",
            req.config.as_ref(),
            &resource.value_type,
            &mut diags,
        ) {
            validate_block(
                &resource.schema.block,
                &config,
                &AttributePath::root(),
                &mut diags,
            );
            resource.implementation.validate_config(&config, &mut diags);
        }
    }
    pb::validate_resource_config::Response {
        diagnostics: diags.into_proto(),
    }
}

pub(super) fn validate_data_resource_config(
    service: &ProviderService,
    req: pb::validate_data_resource_config::Request,
) -> pb::validate_data_resource_config::Response {
    let mut diags = Diagnostics::new();
    if let Some(data_source) = service.data_source(&req.type_name, &mut diags) {
        if let Some(config) = decode(
            "configuration",
            req.config.as_ref(),
            &data_source.value_type,
            &mut diags,
        ) {
            validate_block(
                &data_source.schema.block,
                &config,
                &AttributePath::root(),
                &mut diags,
            );
            data_source
                .implementation
                .validate_config(&config, &mut diags);
        }
    }
    pb::validate_data_resource_config::Response {
        diagnostics: diags.into_proto(),
    }
}
