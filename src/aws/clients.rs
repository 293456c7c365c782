//! AWS clients built from the provider configuration.
//!
//! Resolution follows the AWS provider: the region comes from the provider block or the
//! environment (already applied in [`ClientConfig`] by the provider layer), else from the
//! shared config profile, and is required. Credentials come from the environment, then the profile in the
//! shared files, then web identity, the ECS container endpoint and, last, the EC2 instance
//! metadata service, which is given a short timeout and one attempt so that a laptop or a CI
//! runner without credentials fails fast instead of hanging. An `assume_role` block wraps
//! those credentials in STS AssumeRole. Nothing is called while connecting except STS
//! GetCallerIdentity, once, unless `skip_credentials_validation` is set; credentials are
//! otherwise resolved at the first AWS call.
//!
//! ELBv2 uses the configured region; CloudFront and Route53 are global services, signed for
//! their partition's home region (us-east-1 on the aws partition).

use std::sync::Arc;
use std::time::Duration;

use aws_config::ecs::EcsCredentialsProvider;
use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_config::imds::credentials::ImdsCredentialsProvider;
use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::meta::region::ProvideRegion;
#[allow(deprecated)]
use aws_config::profile::profile_file::{ProfileFileKind, ProfileFiles};
use aws_config::profile::{ProfileFileCredentialsProvider, ProfileFileRegionProvider};
use aws_config::sts::AssumeRoleProvider;
use aws_config::web_identity_token::WebIdentityTokenCredentialsProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
use tokio_util::sync::CancellationToken;

use super::cloudfront::CloudFront;
use super::elbv2::Elbv2;
use super::error::{AwsError, ErrorKind};
use super::pace;
use super::retry::{sdk_retry_config, unlimited_retry_partition, SdkBackoff};
use super::route53::Route53;
use super::wait::WaitSettings;

/// Attempts at the EC2 instance metadata service, the last credential source. Off EC2 the
/// service does not answer, and every attempt costs a timeout.
pub const IMDS_MAX_ATTEMPTS: u32 = 1;
/// Connect and read timeout of each instance metadata request.
pub const IMDS_TIMEOUT: Duration = Duration::from_secs(1);
/// Name of the assumed role's session when the provider block gives none.
pub const DEFAULT_ROLE_SESSION_NAME: &str = crate::PROVIDER_BINARY;

/// Where the clients connect and with which credentials: the provider block with the
/// environment's fallbacks applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientConfig {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub shared_config_files: Vec<String>,
    pub shared_credentials_files: Vec<String>,
    pub assume_role: Option<AssumeRole>,
    pub endpoints: Endpoints,
    /// Retries after the first attempt; `None` leaves the SDK's default.
    pub max_retries: Option<u32>,
    pub skip_credentials_validation: bool,
}

/// Endpoint overrides, per service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    pub cloudfront: Option<String>,
    pub route53: Option<String>,
    pub elbv2: Option<String>,
    pub sts: Option<String>,
}

/// A role to assume before calling AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
    pub duration: Option<Duration>,
}

/// Knobs of the clients that are not part of the provider block. The defaults are right for
/// AWS; tests against an emulator shorten the pauses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientOptions {
    /// Backoff of the SDK's retries of throttled and failed calls.
    pub sdk_backoff: SdkBackoff,
    /// Pauses of the waiters and of the retries after conflicts.
    pub waits: WaitSettings,
    /// How many times faster than AWS's request rates the services are called (1: AWS's own;
    /// an emulator running AWS's time faster; 0: no pacing). See [`super::pace`].
    pub rate_scale: u32,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            sdk_backoff: SdkBackoff::default(),
            waits: WaitSettings::default(),
            rate_scale: 1,
        }
    }
}

/// Who the credentials belong to, from STS GetCallerIdentity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerIdentity {
    /// The AWS account id.
    pub account_id: String,
    /// The ARN of the user or assumed role.
    pub arn: String,
}

/// The service clients the resources use.
#[derive(Clone)]
pub struct AwsClients {
    /// CloudFront, signed for the partition's global region.
    pub cloudfront: CloudFront,
    /// Route53, signed for the partition's global region.
    pub route53: Route53,
    /// ELBv2, in the configured region.
    pub elbv2: Elbv2,
    region: String,
    global_region: &'static str,
    caller: Option<CallerIdentity>,
}

// By hand, so that nothing reachable from the clients (credentials providers, SDK config)
// is ever printed.
impl std::fmt::Debug for AwsClients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsClients")
            .field("region", &self.region)
            .field("global_region", &self.global_region)
            .field("caller", &self.caller)
            .finish_non_exhaustive()
    }
}

impl AwsClients {
    /// Builds the clients from the provider configuration with the default
    /// [`ClientOptions`]. See the module documentation for how settings are resolved.
    pub async fn connect(
        config: &ClientConfig,
        cancel: &CancellationToken,
    ) -> Result<Self, AwsError> {
        Self::connect_with(config, &ClientOptions::default(), cancel).await
    }

    /// [`Self::connect`] with explicit options.
    pub async fn connect_with(
        config: &ClientConfig,
        options: &ClientOptions,
        cancel: &CancellationToken,
    ) -> Result<Self, AwsError> {
        let files = profile_files(config);
        let region = resolve_region(config, &files).await?;
        let global_region = global_service_region(&region);
        let base = base_credentials(config, &files, &region);

        let credentials = match &config.assume_role {
            None => SharedCredentialsProvider::new(base),
            Some(role) => {
                let mut sts = load_sdk_config(config, options, &files, &region, None)
                    .await
                    .into_builder();
                sts.set_endpoint_url(config.endpoints.sts.clone());
                let sts = sts.build();
                let mut provider = AssumeRoleProvider::builder(&role.role_arn)
                    .session_name(
                        role.session_name
                            .as_deref()
                            .unwrap_or(DEFAULT_ROLE_SESSION_NAME),
                    )
                    .configure(&sts);
                if let Some(id) = &role.external_id {
                    provider = provider.external_id(id);
                }
                if let Some(duration) = role.duration {
                    provider = provider.session_length(duration);
                }
                SharedCredentialsProvider::new(provider.build_from_provider(base).await)
            }
        };
        let sdk = load_sdk_config(config, options, &files, &region, Some(credentials)).await;

        let global = Region::new(global_region);
        let mut cloudfront = aws_sdk_cloudfront::config::Builder::from(&sdk)
            .region(global.clone())
            .retry_partition(unlimited_retry_partition("gateway-cloudfront"));
        if let Some(url) = &config.endpoints.cloudfront {
            cloudfront = cloudfront.endpoint_url(url);
        }
        let mut route53 = aws_sdk_route53::config::Builder::from(&sdk)
            .region(global)
            .retry_partition(unlimited_retry_partition("gateway-route53"));
        if let Some(url) = &config.endpoints.route53 {
            route53 = route53.endpoint_url(url);
        }
        let mut elbv2 = aws_sdk_elasticloadbalancingv2::config::Builder::from(&sdk)
            .retry_partition(unlimited_retry_partition("gateway-elbv2"));
        if let Some(url) = &config.endpoints.elbv2 {
            elbv2 = elbv2.endpoint_url(url);
        }

        let caller = if config.skip_credentials_validation {
            None
        } else {
            let mut sts = aws_sdk_sts::config::Builder::from(&sdk);
            if let Some(url) = &config.endpoints.sts {
                sts = sts.endpoint_url(url);
            }
            let sts = aws_sdk_sts::Client::from_conf(sts.build());
            Some(validate_credentials(&sts, cancel).await?)
        };

        Ok(Self {
            cloudfront: CloudFront::new(
                Arc::new(aws_sdk_cloudfront::Client::from_conf(cloudfront.build())),
                options.waits,
            )
            .with_limits(pace::CLOUDFRONT, options.rate_scale),
            route53: Route53::new(
                Arc::new(aws_sdk_route53::Client::from_conf(route53.build())),
                options.waits,
            )
            .with_limits(pace::ROUTE53, options.rate_scale),
            elbv2: Elbv2::new(
                Arc::new(aws_sdk_elasticloadbalancingv2::Client::from_conf(
                    elbv2.build(),
                )),
                options.waits,
            )
            .with_limits(pace::ELBV2, options.rate_scale),
            region,
            global_region,
            caller,
        })
    }

    /// The region of the load balancer.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The region CloudFront and Route53 requests are signed for.
    pub fn global_region(&self) -> &str {
        self.global_region
    }

    /// Who the credentials belong to; `None` when validation was skipped.
    pub fn caller(&self) -> Option<&CallerIdentity> {
        self.caller.as_ref()
    }
}

/// The region global services (CloudFront, Route53) are signed for in `region`'s partition.
pub fn global_service_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "cn-northwest-1"
    } else if region.starts_with("us-gov-") {
        "us-gov-west-1"
    } else {
        "us-east-1"
    }
}

/// The shared files: the configured ones instead of the defaults, when given.
#[allow(deprecated)]
fn profile_files(config: &ClientConfig) -> ProfileFiles {
    let mut files = ProfileFiles::builder();
    if config.shared_config_files.is_empty() {
        files = files.include_default_config_file(true);
    }
    if config.shared_credentials_files.is_empty() {
        files = files.include_default_credentials_file(true);
    }
    for path in &config.shared_config_files {
        files = files.with_file(ProfileFileKind::Config, path);
    }
    for path in &config.shared_credentials_files {
        files = files.with_file(ProfileFileKind::Credentials, path);
    }
    files.build()
}

#[allow(deprecated)]
async fn resolve_region(config: &ClientConfig, files: &ProfileFiles) -> Result<String, AwsError> {
    if let Some(region) = &config.region {
        return Ok(region.clone());
    }
    let mut from_profile = ProfileFileRegionProvider::builder().profile_files(files.clone());
    if let Some(profile) = &config.profile {
        from_profile = from_profile.profile_name(profile);
    }
    from_profile
        .build()
        .region()
        .await
        .map(|region| region.to_string())
        .ok_or_else(|| {
            AwsError::new(
                "ResolveRegion",
                ErrorKind::InvalidInput,
                "no AWS region is configured: set `region` in the provider block, AWS_REGION or AWS_DEFAULT_REGION, or `region` in the shared config profile",
            )
        })
}

/// The default credential chain of the AWS SDKs, with the shared files and profile of the
/// provider block and a bounded instance metadata client.
#[allow(deprecated)]
fn base_credentials(
    config: &ClientConfig,
    files: &ProfileFiles,
    region: &str,
) -> CredentialsProviderChain {
    let conf = aws_config::provider_config::ProviderConfig::default()
        .with_region(Some(Region::new(region.to_string())));
    let mut profile = ProfileFileCredentialsProvider::builder()
        .configure(&conf)
        .profile_files(files.clone());
    if let Some(name) = &config.profile {
        profile = profile.profile_name(name);
    }
    let imds = aws_config::imds::Client::builder()
        .configure(&conf)
        .max_attempts(IMDS_MAX_ATTEMPTS)
        .connect_timeout(IMDS_TIMEOUT)
        .read_timeout(IMDS_TIMEOUT)
        .build();
    // The order of aws-config's `DefaultCredentialsChain`, which cannot take our files.
    CredentialsProviderChain::first_try(
        "Environment",
        EnvironmentVariableCredentialsProvider::new(),
    )
    .or_else("Profile", profile.build())
    .or_else(
        "WebIdentityToken",
        WebIdentityTokenCredentialsProvider::builder()
            .configure(&conf)
            .build(),
    )
    .or_else(
        "EcsContainer",
        EcsCredentialsProvider::builder().configure(&conf).build(),
    )
    .or_else(
        "Ec2InstanceMetadata",
        ImdsCredentialsProvider::builder()
            .configure(&conf)
            .imds_client(imds)
            .build(),
    )
}

/// The shared SDK configuration: region, retries, shared files and, when given, credentials.
/// Setting the region and the credentials explicitly keeps aws-config from consulting the
/// instance metadata service for either.
#[allow(deprecated)]
async fn load_sdk_config(
    config: &ClientConfig,
    options: &ClientOptions,
    files: &ProfileFiles,
    region: &str,
    credentials: Option<SharedCredentialsProvider>,
) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .retry_config(sdk_retry_config(config.max_retries, options.sdk_backoff))
        .profile_files(files.clone());
    if let Some(profile) = &config.profile {
        loader = loader.profile_name(profile);
    }
    loader = match credentials {
        Some(credentials) => loader.credentials_provider(credentials),
        None => loader.no_credentials(),
    };
    loader.load().await
}

async fn validate_credentials(
    sts: &aws_sdk_sts::Client,
    cancel: &CancellationToken,
) -> Result<CallerIdentity, AwsError> {
    const OP: &str = "GetCallerIdentity";
    let out = tokio::select! {
        biased;
        _ = cancel.cancelled() => {
            return Err(AwsError::new(OP, ErrorKind::Cancelled, "cancelled while validating the AWS credentials"));
        }
        out = sts.get_caller_identity().send() => {
            out.map_err(|e| AwsError::from_sdk(OP, e).with_subject("(validating the AWS credentials)"))?
        }
    };
    Ok(CallerIdentity {
        account_id: out.account.unwrap_or_default(),
        arn: out.arn.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_services_are_signed_for_the_partition_home() {
        assert_eq!(global_service_region("eu-west-1"), "us-east-1");
        assert_eq!(global_service_region("us-east-1"), "us-east-1");
        assert_eq!(global_service_region("ap-southeast-2"), "us-east-1");
        assert_eq!(global_service_region("cn-north-1"), "cn-northwest-1");
        assert_eq!(global_service_region("us-gov-east-1"), "us-gov-west-1");
    }
}
