//! The gateway provider: its configuration and the resources, data sources and functions it
//! offers.

pub mod config;

use std::sync::Arc;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use crate::functions::TenantHost;
use crate::protocol::resource::{DataSource, Function, ProviderData, ProviderDefinition, Resource};
use crate::protocol::schema::Schema;
use crate::protocol::value::Value;
use crate::protocol::Diagnostics;
use crate::resources::{SharedEdgeResource, TenantResource};
pub use config::ProviderConfig;

/// The provider's local name: resources are `gateway_*`, functions `provider::gateway::*`.
pub const PROVIDER_NAME: &str = "gateway";

/// What every resource receives once the provider is configured.
#[derive(Debug)]
pub struct Configured {
    pub config: ProviderConfig,
}

#[derive(Default)]
pub struct GatewayProvider;

impl GatewayProvider {
    pub fn new() -> Self {
        Self
    }
}

#[async_trait]
impl ProviderDefinition for GatewayProvider {
    fn type_name(&self) -> &'static str {
        PROVIDER_NAME
    }

    fn schema(&self) -> Schema {
        config::schema()
    }

    async fn configure(
        &self,
        config: &Value,
        _cancel: &CancellationToken,
        diags: &mut Diagnostics,
    ) -> Option<ProviderData> {
        let resolved = ProviderConfig::resolve(config, |k| std::env::var(k).ok(), diags);
        if diags.has_errors() {
            return None;
        }
        tracing::debug!(
            region = resolved.region.as_deref().unwrap_or(""),
            "provider configured"
        );
        Some(Arc::new(Configured { config: resolved }))
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(SharedEdgeResource), Arc::new(TenantResource)]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        vec![Arc::new(TenantHost)]
    }
}
