//! ValidateProviderConfig, ValidateResourceConfig and ValidateDataResourceConfig: attribute
//! validators first, then each definition's own cross-attribute checks. Nothing here calls AWS.

use super::{decode, ProviderService};
use crate::proto::tfplugin6 as pb;
use crate::protocol::diagnostics::Diagnostics;
use crate::protocol::schema::Block;
use crate::protocol::validate::validate_block;
use crate::protocol::value::{AttributePath, Type, Value};

/// Decodes a configuration (`what` names it in errors) and runs the schema's attribute
/// validators over it; answers it when it could be decoded.
pub(super) fn checked_config(
    what: &str,
    config: Option<&pb::DynamicValue>,
    block: &Block,
    ty: &Type,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let config = decode(what, config, ty, diags)?;
    validate_block(block, &config, &AttributePath::root(), diags);
    Some(config)
}

pub(super) fn validate_provider_config(
    service: &ProviderService,
    req: pb::validate_provider_config::Request,
) -> pb::validate_provider_config::Response {
    let mut diags = Diagnostics::new();
    let schema = &service.provider_schema;
    let ty = schema.value_type();
    let what = "provider configuration";
    if let Some(config) = checked_config(what, req.config.as_ref(), &schema.block, &ty, &mut diags)
    {
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
        let (block, ty) = (&resource.schema.block, &resource.value_type);
        if let Some(config) =
            checked_config("configuration", req.config.as_ref(), block, ty, &mut diags)
        {
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
        let (block, ty) = (&data_source.schema.block, &data_source.value_type);
        if let Some(config) =
            checked_config("configuration", req.config.as_ref(), block, ty, &mut diags)
        {
            data_source
                .implementation
                .validate_config(&config, &mut diags);
        }
    }
    pb::validate_data_resource_config::Response {
        diagnostics: diags.into_proto(),
    }
}
