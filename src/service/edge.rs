//! The shared infrastructure of an edge: its cache and origin request policies and the pool's
//! distributions, built from one specification so that every slot is configured alike.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CachePolicyConfig, CachePolicyCookieBehavior,
    CachePolicyCookiesConfig, CachePolicyHeaderBehavior, CachePolicyHeadersConfig,
    CachePolicyQueryStringBehavior, CachePolicyQueryStringsConfig, CachedMethods,
    CustomOriginConfig, DefaultCacheBehavior, DistributionConfig, Headers, HttpVersion, Method,
    MinimumProtocolVersion, Origin, OriginProtocolPolicy, OriginRequestPolicyConfig,
    OriginRequestPolicyCookieBehavior, OriginRequestPolicyCookiesConfig,
    OriginRequestPolicyHeaderBehavior, OriginRequestPolicyHeadersConfig,
    OriginRequestPolicyQueryStringBehavior, OriginRequestPolicyQueryStringsConfig,
    OriginSslProtocols, Origins, ParametersInCacheKeyAndForwardedToOrigin, PriceClass, SslProtocol,
    SslSupportMethod, ViewerCertificate, ViewerProtocolPolicy,
};
use aws_smithy_types::error::operation::BuildError;
use tokio_util::sync::CancellationToken;

use super::{DistributionInfo, EdgeView, Gateway, GatewayError, Member};
use crate::aws::{AwsError, ErrorKind};
use crate::domain::edge::{
    cache_policy_name, origin_request_policy_name, pool_comment, EdgeRecord, TAG_PREFIX,
};

/// The id of the pool's only origin.
const ORIGIN_ID: &str = "alb";
/// How long CloudFront waits for the load balancer, and keeps connections to it open.
const ORIGIN_READ_TIMEOUT_SECS: i32 = 30;
const ORIGIN_KEEPALIVE_SECS: i32 = 5;
/// Pause between attempts to delete a distribution that AWS still reports as not disabled.
const DELETE_RETRY_PAUSE: Duration = Duration::from_secs(5);

/// Everything an edge is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeSpec {
    pub record: EdgeRecord,
    pub certificate_arn: String,
    pub origin_domain_name: String,
    pub min_ttl: i64,
    pub default_ttl: i64,
    pub max_ttl: i64,
    pub compress: bool,
    pub price_class: String,
    pub web_acl_id: Option<String>,
    /// The user's tags (the provider's default tags are merged in when applied).
    pub tags: BTreeMap<String, String>,
}

/// What an edge's resources are called in AWS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeIds {
    pub cache_policy_id: String,
    pub origin_request_policy_id: String,
    pub distribution_ids: Vec<String>,
}

/// The settings read back from AWS, for drift detection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedEdge {
    pub spec: EdgeSpec,
    pub ids: EdgeIds,
}

fn build_err(e: BuildError) -> GatewayError {
    GatewayError::Other(format!("building a CloudFront request: {e}"))
}

impl EdgeSpec {
    fn cache_policy_config(&self) -> Result<CachePolicyConfig, GatewayError> {
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
            .comment(format!("gateway edge {}", self.record.name))
            .min_ttl(self.min_ttl)
            .default_ttl(self.default_ttl)
            .max_ttl(self.max_ttl)
            .parameters_in_cache_key_and_forwarded_to_origin(parameters)
            .build()
            .map_err(build_err)
    }

    fn origin_request_policy_config(&self) -> Result<OriginRequestPolicyConfig, GatewayError> {
        // Cookies stay at the edge: with a minimum TTL, a response cached for one viewer's
        // cookies would be served to everyone.
        OriginRequestPolicyConfig::builder()
            .name(origin_request_policy_name(&self.record.name))
            .comment(format!("gateway edge {}", self.record.name))
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
    fn distribution_config(
        &self,
        slot: u32,
        cache_policy_id: &str,
        origin_request_policy_id: &str,
    ) -> Result<DistributionConfig, GatewayError> {
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

    /// Applies the edge's settings to an existing pool distribution's configuration, keeping
    /// its identity and aliases. Returns whether anything changed.
    fn apply_to(&self, config: &mut DistributionConfig) -> bool {
        let before = config.clone();
        if let Some(origin) = config
            .origins
            .as_mut()
            .and_then(|o| o.items.iter_mut().find(|o| o.id == ORIGIN_ID))
        {
            origin.domain_name = self.origin_domain_name.clone();
        }
        if let Some(behavior) = config.default_cache_behavior.as_mut() {
            behavior.compress = Some(self.compress);
        }
        config.viewer_certificate = Some(self.viewer_certificate());
        config.price_class = Some(PriceClass::from(self.price_class.as_str()));
        config.is_ipv6_enabled = Some(self.record.ipv6_enabled);
        config.web_acl_id = Some(self.web_acl_id.clone().unwrap_or_default());
        *config != before
    }

    /// Tags of the pool distribution in `slot`: defaults, the user's, and the record.
    fn tags(&self, defaults: &BTreeMap<String, String>, slot: u32) -> BTreeMap<String, String> {
        let mut tags = defaults.clone();
        tags.extend(self.tags.clone());
        tags.extend(self.record.tags(slot));
        tags
    }
}

impl Gateway {
    /// The DNS name of the load balancer behind a listener.
    pub async fn listener_origin(&self, listener_arn: &str) -> Result<String, GatewayError> {
        let elbv2 = &self.aws.elbv2;
        let listener = elbv2
            .find_listener_by_arn(listener_arn)
            .await?
            .ok_or_else(|| {
                GatewayError::Other(format!("listener {listener_arn} does not exist"))
            })?;
        let lb_arn = listener.load_balancer_arn.unwrap_or_default();
        let lb = elbv2
            .find_load_balancer_by_arn(&lb_arn)
            .await?
            .ok_or_else(|| GatewayError::Other(format!("load balancer {lb_arn} does not exist")))?;
        lb.dns_name
            .map(|n| n.to_ascii_lowercase())
            .ok_or_else(|| GatewayError::Other(format!("load balancer {lb_arn} has no DNS name")))
    }

    /// Checks that what the edge points at exists, before anything is created.
    pub async fn check_edge_targets(&self, spec: &EdgeSpec) -> Result<(), GatewayError> {
        let record = &spec.record;
        if self
            .aws
            .route53
            .find_hosted_zone_by_id(&record.hosted_zone_id)
            .await?
            .is_none()
        {
            return Err(GatewayError::Other(format!(
                "hosted zone {} does not exist",
                record.hosted_zone_id
            )));
        }
        if self
            .aws
            .elbv2
            .find_target_group_by_arn(&record.target_group_arn)
            .await?
            .is_none()
        {
            return Err(GatewayError::Other(format!(
                "target group {} does not exist",
                record.target_group_arn
            )));
        }
        if let Some(existing) = self.find_edge(&record.name).await? {
            return Err(GatewayError::Foreign {
                object: format!("edge {}", record.name),
                detail: format!(
                    "An edge named {} already exists (distribution {}); import it or choose another name.",
                    record.name, existing.members[0].distribution.id
                ),
            });
        }
        Ok(())
    }

    /// Creates an edge: its policies, then the pool's first distribution. What was created
    /// before a failure is deleted again. Does not wait for the deployment
    /// ([`Self::wait_edge_deployed`]).
    pub async fn create_edge(&self, spec: &EdgeSpec) -> Result<EdgeIds, GatewayError> {
        let cloudfront = &self.aws.cloudfront;
        let cache_policy = cloudfront
            .create_cache_policy(spec.cache_policy_config()?)
            .await
            .map_err(|e| policy_conflict(e, &spec.record.name))?;
        let cache_policy_id = cache_policy.value.id.clone();
        let origin_policy = match cloudfront
            .create_origin_request_policy(spec.origin_request_policy_config()?)
            .await
        {
            Ok(p) => p,
            Err(err) => {
                let _ = cloudfront
                    .delete_cache_policy(&cache_policy_id, &cache_policy.etag)
                    .await;
                return Err(policy_conflict(err, &spec.record.name));
            }
        };
        let origin_request_policy_id = origin_policy.value.id.clone();
        let created = match self
            .create_pool_distribution(spec, 0, &cache_policy_id, &origin_request_policy_id)
            .await
        {
            Ok(member) => member,
            Err(err) => {
                let _ = cloudfront
                    .delete_origin_request_policy(&origin_request_policy_id, &origin_policy.etag)
                    .await;
                let _ = cloudfront
                    .delete_cache_policy(&cache_policy_id, &cache_policy.etag)
                    .await;
                return Err(err);
            }
        };
        Ok(EdgeIds {
            cache_policy_id,
            origin_request_policy_id,
            distribution_ids: vec![created.distribution.id],
        })
    }

    /// Waits until every distribution of `ids` is deployed.
    pub async fn wait_edge_deployed(
        &self,
        ids: &EdgeIds,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> Result<(), GatewayError> {
        for id in &ids.distribution_ids {
            self.aws
                .cloudfront
                .wait_distribution_deployed(id, timeout, cancel)
                .await?;
        }
        Ok(())
    }

    async fn create_pool_distribution(
        &self,
        spec: &EdgeSpec,
        slot: u32,
        cache_policy_id: &str,
        origin_request_policy_id: &str,
    ) -> Result<Member, GatewayError> {
        let config = spec.distribution_config(slot, cache_policy_id, origin_request_policy_id)?;
        let tags = spec.tags(&self.settings.default_tags, slot);
        let created = self
            .aws
            .cloudfront
            .create_distribution(config, &tags)
            .await?;
        let d = created.value;
        let info = DistributionInfo {
            id: d.id.clone(),
            arn: d.arn.clone(),
            domain_name: d.domain_name.clone(),
            comment: pool_comment(&spec.record.name, slot),
            aliases: Default::default(),
            status: d.status.clone(),
            enabled: true,
        };
        self.add_distribution(info.clone()).await;
        self.forget_edge_record(&spec.record.name).await;
        Ok(Member {
            slot,
            distribution: info,
        })
    }

    /// Reads an edge's settings back from AWS: the record and tags of its pool, the first
    /// distribution's configuration and the cache policy. `None` when the edge is gone.
    pub async fn observe_edge(&self, edge_id: &str) -> Result<Option<ObservedEdge>, GatewayError> {
        let Some(edge) = self.find_edge(edge_id).await? else {
            return Ok(None);
        };
        let cloudfront = &self.aws.cloudfront;
        let first = &edge.members[0].distribution;
        let Some(config) = cloudfront.find_distribution_config_by_id(&first.id).await? else {
            return Ok(None);
        };
        let config = config.value;
        let behavior = config.default_cache_behavior.clone();
        let cache_policy_id = behavior
            .as_ref()
            .and_then(|b| b.cache_policy_id.clone())
            .unwrap_or_default();
        let origin_request_policy_id = behavior
            .as_ref()
            .and_then(|b| b.origin_request_policy_id.clone())
            .unwrap_or_default();
        let policy = cloudfront.find_cache_policy_by_id(&cache_policy_id).await?;
        let policy_config = policy.and_then(|p| p.value.cache_policy_config);
        let all_tags = cloudfront.list_tags(&first.arn).await?;
        let tags = all_tags
            .into_iter()
            .filter(|(k, _)| !k.starts_with(TAG_PREFIX))
            .filter(|(k, v)| self.settings.default_tags.get(k) != Some(v))
            .collect();
        let viewer = config.viewer_certificate.clone();
        let origin = config
            .origins
            .as_ref()
            .and_then(|o| o.items.iter().find(|o| o.id == ORIGIN_ID))
            .map(|o| o.domain_name.clone())
            .unwrap_or_default();
        let spec = EdgeSpec {
            record: edge.record.clone(),
            certificate_arn: viewer
                .and_then(|v| v.acm_certificate_arn)
                .unwrap_or_default(),
            origin_domain_name: origin,
            min_ttl: policy_config.as_ref().map_or(0, |p| p.min_ttl),
            default_ttl: policy_config
                .as_ref()
                .and_then(|p| p.default_ttl)
                .unwrap_or_default(),
            max_ttl: policy_config
                .as_ref()
                .and_then(|p| p.max_ttl)
                .unwrap_or_default(),
            compress: behavior.and_then(|b| b.compress).unwrap_or(false),
            price_class: config
                .price_class
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "PriceClass_All".into()),
            web_acl_id: config.web_acl_id.filter(|w| !w.is_empty()),
            tags,
        };
        Ok(Some(ObservedEdge {
            spec,
            ids: EdgeIds {
                cache_policy_id,
                origin_request_policy_id,
                distribution_ids: edge
                    .members
                    .iter()
                    .map(|m| m.distribution.id.clone())
                    .collect(),
            },
        }))
    }

    /// Brings an edge to `spec`: the cache policy, every pool distribution's configuration and
    /// tags, and the tenants' rules when the target group changed.
    pub async fn update_edge(
        &self,
        spec: &EdgeSpec,
        ids: &EdgeIds,
        previous: &EdgeSpec,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> Result<EdgeIds, GatewayError> {
        let cloudfront = &self.aws.cloudfront;
        let edge = self.edge(&spec.record.name).await?;
        let cache = (spec.min_ttl, spec.default_ttl, spec.max_ttl, spec.compress);
        let cache_before = (
            previous.min_ttl,
            previous.default_ttl,
            previous.max_ttl,
            previous.compress,
        );
        if cache != cache_before {
            let current = cloudfront
                .find_cache_policy_by_id(&ids.cache_policy_id)
                .await?
                .ok_or_else(|| {
                    GatewayError::Other(format!("cache policy {} is gone", ids.cache_policy_id))
                })?;
            cloudfront
                .update_cache_policy(
                    &ids.cache_policy_id,
                    &current.etag,
                    spec.cache_policy_config()?,
                )
                .await?;
        }
        let mut changed = Vec::new();
        for member in &edge.members {
            let update = cloudfront
                .update_distribution_config(&member.distribution.id, |config| {
                    Ok(spec.apply_to(config))
                })
                .await?;
            if update.changed {
                changed.push(member.distribution.id.clone());
            }
            let wanted = spec.tags(&self.settings.default_tags, member.slot);
            let current = cloudfront.list_tags(&member.distribution.arn).await?;
            let stale: Vec<String> = current
                .keys()
                .filter(|k| !wanted.contains_key(*k))
                .cloned()
                .collect();
            cloudfront
                .untag_resource(&member.distribution.arn, &stale)
                .await?;
            let fresh: BTreeMap<String, String> = wanted
                .into_iter()
                .filter(|(k, v)| current.get(k) != Some(v))
                .collect();
            cloudfront
                .tag_resource(&member.distribution.arn, &fresh)
                .await?;
        }
        self.forget_edge_record(&spec.record.name).await;
        if spec.record.target_group_arn != previous.record.target_group_arn {
            self.repoint_rules(&spec.record).await?;
        }
        if spec.record.ipv6_enabled != previous.record.ipv6_enabled {
            self.follow_ipv6(&edge, spec.record.ipv6_enabled).await?;
        }
        if spec.record.wait_for_deployment {
            for id in &changed {
                cloudfront
                    .wait_distribution_deployed(id, timeout, cancel)
                    .await?;
            }
        }
        Ok(EdgeIds {
            distribution_ids: edge
                .members
                .iter()
                .map(|m| m.distribution.id.clone())
                .collect(),
            ..ids.clone()
        })
    }

    /// Adds (or removes) every tenant's AAAA record when the edge turns IPv6 on (or off), in
    /// batches that keep each tenant's change whole.
    async fn follow_ipv6(&self, edge: &EdgeView, enabled: bool) -> Result<(), GatewayError> {
        use aws_sdk_route53::types::{Change, ChangeAction, RrType};
        let zone = &edge.record.hosted_zone_id;
        let mut groups: Vec<Vec<Change>> = Vec::new();
        let mut created = Vec::new();
        let mut removed = Vec::new();
        for member in &edge.members {
            for host in &member.distribution.aliases {
                let records = self.tenant_records(zone, host).await?;
                let aaaa: Vec<_> = records
                    .aliases
                    .iter()
                    .filter(|r| r.r#type == RrType::Aaaa)
                    .cloned()
                    .collect();
                if enabled && aaaa.is_empty() {
                    let changes = crate::aws::route53::cloudfront_alias_changes(
                        ChangeAction::Create,
                        host,
                        &member.distribution.domain_name,
                        true,
                    )?
                    .into_iter()
                    .filter(|c| {
                        c.resource_record_set
                            .as_ref()
                            .is_some_and(|r| r.r#type == RrType::Aaaa)
                    })
                    .collect::<Vec<_>>();
                    created.extend(changes.iter().filter_map(|c| c.resource_record_set.clone()));
                    groups.push(changes);
                } else if !enabled && !aaaa.is_empty() {
                    let changes = aaaa
                        .iter()
                        .map(|r| {
                            Change::builder()
                                .action(ChangeAction::Delete)
                                .resource_record_set(r.clone())
                                .build()
                                .map_err(|e| GatewayError::Other(e.to_string()))
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    removed.extend(aaaa);
                    groups.push(changes);
                }
            }
        }
        if groups.is_empty() {
            return Ok(());
        }
        self.aws.route53.change_records(zone, &groups).await?;
        self.zones
            .entry(zone)
            .patch(|records| {
                records.retain(|r| !removed.contains(r));
                records.extend(created);
            })
            .await;
        Ok(())
    }

    /// Points every tenant rule of the edge at its (new) shared target group.
    async fn repoint_rules(&self, record: &EdgeRecord) -> Result<(), GatewayError> {
        let rules = self.listener_rules(&record.listener_arn).await?;
        for rule in rules.iter().filter(|r| {
            r.tags.get(crate::domain::edge::TAG_EDGE) == Some(&record.name)
                && r.target_groups != [record.target_group_arn.clone()]
        }) {
            let host = rule.hosts.first().cloned().unwrap_or_default();
            self.repair_tenant_rule(
                &record.listener_arn,
                rule,
                &host,
                &record.target_group_arn,
                None,
            )
            .await?;
        }
        Ok(())
    }

    /// Deletes an edge: refuses while tenants remain; otherwise disables every pool
    /// distribution, waits until they are deployed, deletes them, then the policies.
    pub async fn delete_edge(
        &self,
        edge_id: &str,
        ids: &EdgeIds,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> Result<(), GatewayError> {
        let cloudfront = &self.aws.cloudfront;
        self.invalidate_distributions().await;
        if let Some(edge) = self.find_edge(edge_id).await? {
            let tenants: Vec<String> = edge.hosts().into_iter().collect();
            if !tenants.is_empty() {
                let shown: Vec<&str> = tenants.iter().take(20).map(String::as_str).collect();
                let more = tenants.len().saturating_sub(shown.len());
                return Err(GatewayError::Other(format!(
                    "edge {edge_id} still serves {} tenant{}: {}{}. Remove them (from every Terraform state that manages them) before the edge.",
                    tenants.len(),
                    if tenants.len() == 1 { "" } else { "s" },
                    shown.join(", "),
                    if more > 0 { format!(" and {more} more") } else { String::new() }
                )));
            }
            let deadline = tokio::time::Instant::now() + timeout;
            for member in &edge.members {
                cloudfront
                    .disable_distribution(&member.distribution.id)
                    .await?;
            }
            for member in &edge.members {
                let id = &member.distribution.id;
                loop {
                    let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                    let deployed = cloudfront
                        .wait_distribution_deployed(id, left, cancel)
                        .await?;
                    match cloudfront.delete_distribution(id, &deployed.etag).await {
                        Ok(()) => break,
                        // AWS sometimes still reports the disabling as under way.
                        Err(err)
                            if err.has_code("DistributionNotDisabled")
                                && tokio::time::Instant::now() < deadline =>
                        {
                            tokio::time::sleep(DELETE_RETRY_PAUSE.min(left)).await;
                        }
                        Err(err) => return Err(err.into()),
                    }
                }
                self.forget_distribution(id).await;
            }
        }
        delete_policy(self, &ids.origin_request_policy_id, true).await?;
        delete_policy(self, &ids.cache_policy_id, false).await?;
        self.forget_edge_record(edge_id).await;
        Ok(())
    }

    /// The pool of an edge: for reporting.
    pub async fn pool(&self, edge_id: &str) -> Result<EdgeView, GatewayError> {
        self.edge(edge_id).await
    }
}

async fn delete_policy(gateway: &Gateway, id: &str, origin: bool) -> Result<(), GatewayError> {
    if id.is_empty() {
        return Ok(());
    }
    let cloudfront = &gateway.aws.cloudfront;
    let etag = if origin {
        cloudfront
            .find_origin_request_policy_by_id(id)
            .await?
            .map(|p| p.etag)
    } else {
        cloudfront
            .find_cache_policy_by_id(id)
            .await?
            .map(|p| p.etag)
    };
    let Some(etag) = etag else { return Ok(()) };
    if origin {
        cloudfront.delete_origin_request_policy(id, &etag).await?;
    } else {
        cloudfront.delete_cache_policy(id, &etag).await?;
    }
    Ok(())
}

fn policy_conflict(err: AwsError, edge: &str) -> GatewayError {
    if err.kind() == ErrorKind::Conflict && err.code().is_some_and(|c| c.ends_with("AlreadyExists"))
    {
        GatewayError::Foreign {
            object: format!("CloudFront policy for edge {edge}"),
            detail: format!("{err}."),
        }
    } else {
        err.into()
    }
}
