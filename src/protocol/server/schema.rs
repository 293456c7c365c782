//! GetMetadata, GetProviderSchema, GetResourceIdentitySchemas and GetFunctions: what the provider
//! offers, built from the definitions registered at start.

use super::ProviderService;
use crate::proto::tfplugin6 as pb;

/// The capabilities this server announces. Terraform may skip GetProviderSchema when it has the
/// schema cached, sends destroy plans through PlanResourceChange so resources can refuse an
/// unsafe destroy at plan time, and asks the provider for the configuration it generates.
pub(super) fn server_capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: false,
        generate_resource_config: true,
    }
}

pub(super) fn get_metadata(service: &ProviderService) -> pb::get_metadata::Response {
    pb::get_metadata::Response {
        server_capabilities: Some(server_capabilities()),
        resources: service
            .resources
            .keys()
            .map(|name| pb::get_metadata::ResourceMetadata {
                type_name: name.to_string(),
            })
            .collect(),
        data_sources: service
            .data_sources
            .keys()
            .map(|name| pb::get_metadata::DataSourceMetadata {
                type_name: name.to_string(),
            })
            .collect(),
        functions: service
            .functions
            .keys()
            .map(|name| pb::get_metadata::FunctionMetadata {
                name: name.to_string(),
            })
            .collect(),
        list_resources: service
            .resources
            .iter()
            .filter(|(_, r)| r.list_schema.is_some())
            .map(|(name, _)| pb::get_metadata::ListResourceMetadata {
                type_name: name.to_string(),
            })
            .collect(),
        ..Default::default()
    }
}

pub(super) fn get_provider_schema(service: &ProviderService) -> pb::get_provider_schema::Response {
    pb::get_provider_schema::Response {
        provider: Some(service.provider_schema.to_proto()),
        resource_schemas: service
            .resources
            .iter()
            .map(|(name, r)| (name.to_string(), r.schema.to_proto()))
            .collect(),
        data_source_schemas: service
            .data_sources
            .iter()
            .map(|(name, d)| (name.to_string(), d.schema.to_proto()))
            .collect(),
        functions: functions_to_proto(service),
        list_resource_schemas: service
            .resources
            .iter()
            .filter_map(|(name, r)| Some((name.to_string(), r.list_schema.as_ref()?.to_proto())))
            .collect(),
        server_capabilities: Some(server_capabilities()),
        ..Default::default()
    }
}

/// The identity schemas of the resources that have one (Terraform 1.12 and later ask).
pub(super) fn get_resource_identity_schemas(
    service: &ProviderService,
) -> pb::get_resource_identity_schemas::Response {
    let identity_schemas = service
        .resources
        .iter()
        .filter_map(|(name, r)| {
            let schema = r.implementation.identity_schema()?;
            let attributes = schema
                .attributes
                .iter()
                .map(|a| pb::resource_identity_schema::IdentityAttribute {
                    name: a.name.to_string(),
                    r#type: a.ty.to_json().to_string().into_bytes(),
                    required_for_import: a.required_for_import,
                    optional_for_import: !a.required_for_import,
                    description: a.description.to_string(),
                })
                .collect();
            Some((
                name.to_string(),
                pb::ResourceIdentitySchema {
                    version: schema.version,
                    identity_attributes: attributes,
                },
            ))
        })
        .collect();
    pb::get_resource_identity_schemas::Response {
        identity_schemas,
        diagnostics: Vec::new(),
    }
}

pub(super) fn get_functions(service: &ProviderService) -> pb::get_functions::Response {
    pb::get_functions::Response {
        functions: functions_to_proto(service),
        diagnostics: Vec::new(),
    }
}

fn functions_to_proto(
    service: &ProviderService,
) -> std::collections::HashMap<String, pb::Function> {
    service
        .functions
        .iter()
        .map(|(name, f)| {
            let parameters = f
                .parameters()
                .into_iter()
                .map(|p| pb::function::Parameter {
                    name: p.name.to_string(),
                    r#type: p.ty.to_json().to_string().into_bytes(),
                    allow_null_value: false,
                    allow_unknown_values: false,
                    description: p.description.to_string(),
                    description_kind: pb::StringKind::Markdown as i32,
                })
                .collect();
            let definition = pb::Function {
                parameters,
                variadic_parameter: None,
                r#return: Some(pb::function::Return {
                    r#type: f.return_type().to_json().to_string().into_bytes(),
                }),
                summary: f.summary().to_string(),
                description: f.description().to_string(),
                description_kind: pb::StringKind::Markdown as i32,
                deprecation_message: String::new(),
            };
            (name.to_string(), definition)
        })
        .collect()
}
