//! terraform-provider-gateway: a Terraform provider (plugin protocol 6) for a multi-tenant edge
//! on AWS — CloudFront in front of an Application Load Balancer, one tenant per host name.
//!
//! Layers, outermost first: [`plugin`] (go-plugin handshake, mTLS, helper services, logging),
//! [`protocol`] (tfplugin6 server, values, schemas, diagnostics), [`provider`] (configuration),
//! [`resources`] and [`functions`], and [`domain`] (pure rules).

pub mod aws;
pub mod domain;
pub mod functions;
pub mod plugin;
pub mod protocol;
pub mod provider;
pub mod resources;
pub mod service;

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
        provider::GatewayProvider::new(),
    )))
}
