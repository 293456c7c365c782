//! From the edge's model to CloudFront's configuration types: the cache and origin request
//! policies and the pool's distributions, built from one specification so that every slot is
//! configured alike.

use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CachePolicyConfig, CachePolicyCookieBehavior,
    CachePolicyCookiesConfig, CachePolicyHeaderBehavior, CachePolicyHeadersConfig,
    CachePolicyQueryStringBehavior, CachePolicyQueryStringsConfig, CachedMethods, ConnectionMode,
    CustomOriginConfig, DefaultCacheBehavior, DistributionConfig, Headers, HttpVersion, Method,
    MinimumProtocolVersion, Origin, OriginProtocolPolicy, OriginRequestPolicyConfig,
    OriginRequestPolicyCookieBehavior, OriginRequestPolicyCookiesConfig,
    OriginRequestPolicyHeaderBehavior, OriginRequestPolicyHeadersConfig,
    OriginRequestPolicyQueryStringBehavior, OriginRequestPolicyQueryStringsConfig,
    OriginSslProtocols, Origins, ParametersInCacheKeyAndForwardedToOrigin, PriceClass, SslProtocol,
    SslSupportMethod, ViewerCertificate, ViewerProtocolPolicy,
};
use aws_smithy_types::error::operation::BuildError;

use super::leftovers::policy_comment;
use super::model::EdgeSpec;
use crate::account::AccountError;
use crate::domain::edge::{cache_policy_name, origin_request_policy_name, pool_comment};
use crate::domain::tags::{self, Tags};

/// The id of the pool's only origin.
pub const ORIGIN_ID: &str = "alb";
/// How long CloudFront waits for the load balancer, and keeps connections to it open.
const ORIGIN_READ_TIMEOUT_SECS: i32 = 30;
const ORIGIN_KEEPALIVE_SECS: i32 = 5;

/// The origin the default cache behaviour sends requests to: [`ORIGIN_ID`] on the pool's own
/// distributions, whatever its maker called it on an adopted one.
pub fn default_origin_id(config: &DistributionConfig) -> String {
    config
        .default_cache_behavior
        .as_ref()
        .map_or(ORIGIN_ID.to_string(), |b| b.target_origin_id.clone())
}

/// A request the SDK refused to build: a bug, reported as such.
fn build_err(e: BuildError) -> AccountError {
    AccountError::Other(format!("building a CloudFront request: {e}"))
}

impl EdgeSpec {
    /// The edge's cache policy: the TTLs, and the viewer's `Host` in the cache key.
    pub fn cache_policy_config(&self) -> Result<CachePolicyConfig, AccountError> {
        // The viewer's Host header is part of the cache key, which also makes CloudFront pass
        // it on to the load balancer: each tenant is cached apart and routed by its host.
        let headers = CachePolicyHeadersConfig::builder()
            .header_behavior(CachePolicyHeaderBehavior::Whitelist)
            .headers(
                Headers::builder()
                    .quantity(1)
                    .items("Host")
                    .build()
                    .map_err(build_err)?,
            )
            .build()
            .map_err(build_err)?;
        let parameters = ParametersInCacheKeyAndForwardedToOrigin::builder()
            .enable_accept_encoding_gzip(self.compress)
            .enable_accept_encoding_brotli(self.compress)
            .headers_config(headers)
            .cookies_config(
                CachePolicyCookiesConfig::builder()
                    .cookie_behavior(CachePolicyCookieBehavior::None)
                    .build()
                    .map_err(build_err)?,
            )
            .query_strings_config(
                CachePolicyQueryStringsConfig::builder()
                    .query_string_behavior(CachePolicyQueryStringBehavior::All)
                    .build()
                    .map_err(build_err)?,
            )
            .build()
            .map_err(build_err)?;
        CachePolicyConfig::builder()
            .name(cache_policy_name(&self.record.name))
            .comment(policy_comment(&self.record.name))
            .min_ttl(self.min_ttl)
            .default_ttl(self.default_ttl)
            .max_ttl(self.max_ttl)
            .parameters_in_cache_key_and_forwarded_to_origin(parameters)
            .build()
            .map_err(build_err)
    }

    /// The edge's origin request policy.
    pub fn origin_request_policy_config(&self) -> Result<OriginRequestPolicyConfig, AccountError> {
        // Cookies stay at the edge: with a minimum TTL, a response cached for one viewer's
        // cookies would be served to everyone.
        OriginRequestPolicyConfig::builder()
            .name(origin_request_policy_name(&self.record.name))
            .comment(policy_comment(&self.record.name))
            .headers_config(
                OriginRequestPolicyHeadersConfig::builder()
                    .header_behavior(OriginRequestPolicyHeaderBehavior::None)
                    .build()
                    .map_err(build_err)?,
            )
            .cookies_config(
                OriginRequestPolicyCookiesConfig::builder()
                    .cookie_behavior(OriginRequestPolicyCookieBehavior::None)
                    .build()
                    .map_err(build_err)?,
            )
            .query_strings_config(
                OriginRequestPolicyQueryStringsConfig::builder()
                    .query_string_behavior(OriginRequestPolicyQueryStringBehavior::All)
                    .build()
                    .map_err(build_err)?,
            )
            .build()
            .map_err(build_err)
    }

    /// A pool distribution's configuration for `slot`, with no aliases.
    pub fn distribution_config(
        &self,
        slot: u32,
        cache_policy_id: &str,
        origin_request_policy_id: &str,
    ) -> Result<DistributionConfig, AccountError> {
        let origin = Origin::builder()
            .id(ORIGIN_ID)
            .domain_name(&self.origin_domain_name)
            .custom_origin_config(
                CustomOriginConfig::builder()
                    .http_port(80)
                    .https_port(443)
                    .origin_protocol_policy(OriginProtocolPolicy::HttpsOnly)
                    .origin_ssl_protocols(
                        OriginSslProtocols::builder()
                            .quantity(1)
                            .items(SslProtocol::TlSv12)
                            .build()
                            .map_err(build_err)?,
                    )
                    .origin_read_timeout(ORIGIN_READ_TIMEOUT_SECS)
                    .origin_keepalive_timeout(ORIGIN_KEEPALIVE_SECS)
                    .build()
                    .map_err(build_err)?,
            )
            .build()
            .map_err(build_err)?;
        let all_methods = [
            Method::Get,
            Method::Head,
            Method::Options,
            Method::Put,
            Method::Post,
            Method::Patch,
            Method::Delete,
        ];
        let behavior = DefaultCacheBehavior::builder()
            .target_origin_id(ORIGIN_ID)
            .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
            .allowed_methods(
                AllowedMethods::builder()
                    .quantity(all_methods.len() as i32)
                    .set_items(Some(all_methods.to_vec()))
                    .cached_methods(
                        CachedMethods::builder()
                            .quantity(2)
                            .items(Method::Get)
                            .items(Method::Head)
                            .build()
                            .map_err(build_err)?,
                    )
                    .build()
                    .map_err(build_err)?,
            )
            .compress(self.compress)
            .cache_policy_id(cache_policy_id)
            .origin_request_policy_id(origin_request_policy_id)
            .build()
            .map_err(build_err)?;
        DistributionConfig::builder()
            .caller_reference(self.record.caller_reference(slot))
            .comment(pool_comment(&self.record.name, slot))
            .enabled(true)
            .aliases(Aliases::builder().quantity(0).build().map_err(build_err)?)
            .origins(
                Origins::builder()
                    .quantity(1)
                    .items(origin)
                    .build()
                    .map_err(build_err)?,
            )
            .default_cache_behavior(behavior)
            .viewer_certificate(self.viewer_certificate())
            .price_class(PriceClass::from(self.price_class.as_str()))
            .is_ipv6_enabled(self.record.ipv6_enabled)
            .web_acl_id(self.web_acl_id.clone().unwrap_or_default())
            .http_version(HttpVersion::Http2and3)
            .build()
            .map_err(build_err)
    }

    fn viewer_certificate(&self) -> ViewerCertificate {
        ViewerCertificate::builder()
            .cloud_front_default_certificate(false)
            .acm_certificate_arn(&self.certificate_arn)
            .ssl_support_method(SslSupportMethod::SniOnly)
            .minimum_protocol_version(MinimumProtocolVersion::TlSv122021)
            .build()
    }

    /// The configuration of a multi-tenant edge's distribution (`ConnectionMode` tenant-only):
    /// the pool's, without what such a distribution cannot carry (aliases, a price class; IPv6
    /// is the connection group's).
    pub fn multi_tenant_config(
        &self,
        cache_policy_id: &str,
        origin_request_policy_id: &str,
    ) -> Result<DistributionConfig, AccountError> {
        let mut config = self.distribution_config(0, cache_policy_id, origin_request_policy_id)?;
        config.connection_mode = Some(ConnectionMode::TenantOnly);
        config.aliases = None;
        config.price_class = None;
        config.is_ipv6_enabled = None;
        Ok(config)
    }

    /// Applies the edge's settings to an existing pool distribution's configuration, keeping
    /// its identity and aliases. Returns whether anything changed.
    pub fn apply_to(&self, config: &mut DistributionConfig) -> bool {
        let before = config.clone();
        let target = default_origin_id(config);
        if let Some(origin) = config
            .origins
            .as_mut()
            .and_then(|o| o.items.iter_mut().find(|o| o.id == target))
        {
            origin.domain_name = self.origin_domain_name.clone();
        }
        if let Some(behavior) = config.default_cache_behavior.as_mut() {
            behavior.compress = Some(self.compress);
        }
        config.viewer_certificate = Some(self.viewer_certificate());
        if config.connection_mode != Some(ConnectionMode::TenantOnly) {
            config.price_class = Some(PriceClass::from(self.price_class.as_str()));
            config.is_ipv6_enabled = Some(self.record.ipv6_enabled);
        }
        config.web_acl_id = Some(self.web_acl_id.clone().unwrap_or_default());
        *config != before
    }

    /// Tags of the pool distribution in `slot`: defaults, the user's, and the record.
    pub fn tags(&self, defaults: &Tags, slot: u32) -> Tags {
        tags::merge(defaults, &self.tags, self.record.tags(slot))
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::domain::edge::EdgeRecord;

    pub fn spec() -> EdgeSpec {
        EdgeSpec {
            record: EdgeRecord::example(),
            certificate_arn: "arn:aws:acm:us-east-1:123456789012:certificate/abc".into(),
            origin_domain_name: "web-1.eu-west-1.elb.amazonaws.com".into(),
            min_ttl: 180,
            default_ttl: 3600,
            max_ttl: 86400,
            compress: true,
            price_class: "PriceClass_100".into(),
            web_acl_id: None,
            tags: [("team".to_string(), "edge".to_string())].into(),
        }
    }

    #[test]
    fn the_cache_key_carries_the_host_and_the_ttls() {
        let policy = spec().cache_policy_config().unwrap();
        assert_eq!(policy.name, "gateway-e1");
        assert_eq!(
            (policy.min_ttl, policy.default_ttl, policy.max_ttl),
            (180, Some(3600), Some(86400))
        );
        let key = policy
            .parameters_in_cache_key_and_forwarded_to_origin
            .unwrap();
        let headers = key.headers_config.unwrap();
        assert_eq!(
            headers.header_behavior,
            CachePolicyHeaderBehavior::Whitelist
        );
        assert_eq!(headers.headers.unwrap().items.unwrap(), ["Host"]);
        assert!(key.enable_accept_encoding_gzip && key.enable_accept_encoding_brotli == Some(true));
        let origin = spec().origin_request_policy_config().unwrap();
        assert_eq!(origin.name, "gateway-e1-origin");
        assert_eq!(
            origin.cookies_config.unwrap().cookie_behavior,
            OriginRequestPolicyCookieBehavior::None
        );
    }

    #[test]
    fn a_pool_distribution_reaches_the_origin_over_https_443() {
        let config = spec().distribution_config(2, "CP", "ORP").unwrap();
        assert_eq!(config.caller_reference, "gateway-e1-7-slot-2");
        assert_eq!(config.comment, "gateway edge e1 slot 2");
        assert_eq!(config.aliases.as_ref().unwrap().quantity, 0);
        let origin = &config.origins.as_ref().unwrap().items[0];
        assert_eq!(origin.domain_name, "web-1.eu-west-1.elb.amazonaws.com");
        let custom = origin.custom_origin_config.as_ref().unwrap();
        assert_eq!(custom.https_port, 443);
        assert_eq!(
            custom.origin_protocol_policy,
            OriginProtocolPolicy::HttpsOnly
        );
        let behavior = config.default_cache_behavior.as_ref().unwrap();
        assert_eq!(behavior.cache_policy_id.as_deref(), Some("CP"));
        assert_eq!(behavior.origin_request_policy_id.as_deref(), Some("ORP"));
        assert_eq!(
            behavior.viewer_protocol_policy,
            ViewerProtocolPolicy::RedirectToHttps
        );
        assert_eq!(config.price_class, Some(PriceClass::PriceClass100));
        assert_eq!(config.is_ipv6_enabled, Some(true));
    }

    #[test]
    fn settings_apply_to_a_distribution_without_touching_its_aliases() {
        let mut config = spec().distribution_config(0, "CP", "ORP").unwrap();
        config.aliases = Some(
            Aliases::builder()
                .quantity(1)
                .items("a.gateway.example.com")
                .build()
                .unwrap(),
        );
        assert!(!spec().apply_to(&mut config), "nothing to change");
        let mut changed = spec();
        changed.origin_domain_name = "other.elb.amazonaws.com".into();
        changed.record.ipv6_enabled = false;
        changed.web_acl_id = Some("a1b2c3d4-5678-90ab-cdef-0123456789ab".into());
        assert!(changed.apply_to(&mut config));
        assert_eq!(
            config.origins.as_ref().unwrap().items[0].domain_name,
            "other.elb.amazonaws.com"
        );
        assert_eq!(config.is_ipv6_enabled, Some(false));
        assert_eq!(
            config.web_acl_id.as_deref(),
            Some("a1b2c3d4-5678-90ab-cdef-0123456789ab")
        );
        assert_eq!(config.aliases.as_ref().unwrap().quantity, 1);
        assert_eq!(config.caller_reference, "gateway-e1-7-slot-0");
    }

    #[test]
    fn a_distribution_is_tagged_with_defaults_the_users_and_the_record() {
        let defaults: Tags = [
            ("team".to_string(), "platform".to_string()),
            ("env".to_string(), "prod".to_string()),
        ]
        .into();
        let tags = spec().tags(&defaults, 3);
        assert_eq!(tags["team"], "edge");
        assert_eq!(tags["env"], "prod");
        assert_eq!(tags["gateway:slot"], "3");
        assert_eq!(tags["gateway:edge"], "e1");
    }
}
