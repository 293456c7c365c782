//! The gateway provider: its configuration and the resources, data sources and functions it
//! offers.

pub mod config;
pub mod invocation;

use std::sync::Arc;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use crate::account::{Account, Settings};
use crate::aws::{AwsClients, ClientOptions};
use crate::functions::TenantHost;
use crate::protocol::resource::{DataSource, Function, ProviderData, ProviderDefinition, Resource};
use crate::protocol::schema::Schema;
use crate::protocol::validators::parse_duration;
use crate::protocol::value::Value;
use crate::protocol::Diagnostics;
use crate::resources::{
    EdgeCapacityDataSource, EdgeDeploymentDataSource, SharedEdgeResource, TenantResource,
};
pub use config::ProviderConfig;

/// Shortens every pause of the AWS layer (waiter polls, conflict and retry backoff), for
/// emulators that deploy instantly. A duration such as `50ms`.
pub const POLL_INTERVAL_ENV: &str = "GATEWAY_POLL_INTERVAL";

/// Multiplies the request rates the provider keeps to (AWS's, a little under), for emulators
/// that run AWS's time faster; `0` stops pacing. An integer.
pub const RATE_SCALE_ENV: &str = "GATEWAY_RATE_SCALE";

/// The client options: AWS's defaults, or the pauses [`POLL_INTERVAL_ENV`] and the pace
/// [`RATE_SCALE_ENV`] ask for.
pub fn client_options(get_env: impl Fn(&str) -> Option<String>) -> ClientOptions {
    let mut options = ClientOptions::default();
    if let Some(scale) = get_env(RATE_SCALE_ENV).and_then(|v| v.trim().parse().ok()) {
        options.rate_scale = scale;
    }
    if let Some(interval) = get_env(POLL_INTERVAL_ENV).and_then(|v| parse_duration(&v).ok()) {
        options.waits.distribution_poll = interval;
        options.waits.change_poll = interval;
        options.waits.conflict_backoff = options.waits.conflict_backoff.min(interval);
        options.sdk_backoff.initial = options.sdk_backoff.initial.min(interval);
        options.sdk_backoff.max = options.sdk_backoff.max.min(interval * 4);
    }
    options
}

/// The provider: its block, and what it offers.
#[derive(Default)]
pub struct GatewayProvider;

#[async_trait]
impl ProviderDefinition for GatewayProvider {
    fn type_name(&self) -> &'static str {
        crate::PROVIDER_TYPE
    }

    fn schema(&self) -> Schema {
        config::schema()
    }

    async fn configure(
        &self,
        config: &Value,
        cancel: &CancellationToken,
        diags: &mut Diagnostics,
    ) -> Option<ProviderData> {
        let env = |k: &str| std::env::var(k).ok();
        let resolved = ProviderConfig::resolve(config, env, diags);
        if diags.has_errors() {
            return None;
        }
        let options = client_options(env);
        let aws = match AwsClients::connect_with(&resolved.aws, &options, cancel).await {
            Ok(aws) => aws,
            Err(err) => {
                diags.error(
                    format!("configuring the gateway provider: {err}"),
                    "The provider could not set up its AWS clients. Check the region, the credentials (environment, shared files, profile, assume_role) and the endpoints.",
                );
                return None;
            }
        };
        tracing::debug!(region = aws.region(), "provider configured");
        let settings = Settings {
            default_tags: resolved.default_tags.clone(),
        };
        Some(Arc::new(Account::new(aws, settings)))
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(SharedEdgeResource), Arc::new(TenantResource)]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![
            Arc::new(EdgeCapacityDataSource),
            Arc::new(EdgeDeploymentDataSource),
        ]
    }

    fn functions(&self) -> Vec<Arc<dyn Function>> {
        vec![Arc::new(TenantHost)]
    }
}
