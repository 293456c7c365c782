//! terraform-provider-gateway: a Terraform provider (plugin protocol 6) for a multi-tenant edge
//! on AWS — CloudFront in front of an Application Load Balancer, one tenant per host name.
//!
//! Layers, each importing only those below it:
//!
//! - [`provider`]: the provider block, and the resources, data sources and functions offered;
//! - [`resources`] and [`functions`]: one module per resource, data source and function, each
//!   turning Terraform's values into calls of the layer below and its errors into diagnostics;
//! - [`account`]: what one provider process knows of the AWS account (cached reads patched
//!   after its own writes) and the writes it coordinates (merged alias and record changes,
//!   reserved priorities and room, pool growth);
//! - [`aws`]: one module per AWS service, with finders, mutations, waiters and error classes;
//! - [`domain`]: pure rules (naming, allocation, capacity, the decisions about a tenant);
//! - [`protocol`] (tfplugin6 server, values, schemas, diagnostics) and [`plugin`] (go-plugin
//!   handshake, mTLS, helper services, logging), which know nothing of AWS.

// The names the provider is known by, as literals so that `concat!` can build the others.
macro_rules! provider_type {
    () => {
        "gateway"
    };
}
macro_rules! provider_namespace {
    () => {
        "example"
    };
}

pub mod account;
pub mod aws;
pub mod domain;
pub mod functions;
pub mod plugin;
pub mod protocol;
pub mod provider;
pub mod resources;

/// Helpers of the crate's unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use std::collections::HashMap;

    /// An environment made of `pairs`, standing in for the process's.
    pub fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }
}

/// The provider's type: resources are `gateway_*`, functions `provider::gateway::*`.
pub const PROVIDER_TYPE: &str = provider_type!();
/// The registry namespace of the provider's source address.
pub const PROVIDER_NAMESPACE: &str = provider_namespace!();
/// The name of the plugin binary, as Terraform expects it to be installed.
pub const PROVIDER_BINARY: &str = concat!("terraform-provider-", provider_type!());
/// The provider's source address, as the debug mode's reattach configuration names it.
pub const PROVIDER_ADDRESS: &str = concat!(
    "registry.terraform.io/",
    provider_namespace!(),
    "/",
    provider_type!()
);

/// Code generated from `proto/` at build time.
pub mod proto {
    /// Terraform's plugin protocol 6.
    #[allow(clippy::all, clippy::pedantic, missing_docs)]
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }
    /// go-plugin's controller, stdio and broker services.
    #[allow(clippy::all, clippy::pedantic, missing_docs)]
    pub mod plugin {
        tonic::include_proto!("plugin");
    }
}

use std::sync::Arc;

/// The provider service as the plugin serves it.
pub fn provider_service() -> Arc<protocol::ProviderService> {
    Arc::new(protocol::ProviderService::new(Arc::new(
        provider::GatewayProvider,
    )))
}
