//! Declaring an edge over distributions made elsewhere (by hand, CDK, another tool): whether
//! each fits the edge, taking them over as the pool's first slots, and letting them go again
//! when the edge is destroyed. What a viewer sees does not change: with `keep`, only the
//! comment and tags are written; with `manage`, the edge's settings as well.

use aws_sdk_cloudfront::types::{
    CachePolicyConfig, DistributionConfig, OriginProtocolPolicy, OriginRequestPolicyConfig,
    OriginRequestPolicyHeaderBehavior,
};

use super::model::EdgeSpec;
use crate::account::{Account, AccountError};
use crate::aws::cloudfront::use_policies;
use crate::aws::AwsError;
use crate::domain::edge::{
    parse_pool_comment, pool_comment, Adoption, EdgeView, TAG_COMMENT, TAG_PREFIX,
};
use crate::domain::naming::normalize_host;
use crate::domain::tags;

/// A distribution to adopt as CloudFront holds it, with the policies of its default cache
/// behaviour (`None` when it has none, or they could not be read).
pub struct Candidate<'a> {
    pub config: &'a DistributionConfig,
    pub cache_policy: Option<&'a CachePolicyConfig>,
    pub origin_request_policy: Option<&'a OriginRequestPolicyConfig>,
}

/// How `candidate`, to become slot `slot` of the edge `spec` describes, differs from what the
/// edge can take over, in words; empty when it fits. It must not be another edge's, must
/// serve the edge's certificate, send its default behaviour over HTTPS 443 to the edge's
/// origin with the viewer's `Host`, and hold only tenant hosts of the edge's domain; when its
/// settings are kept, those the edge's own distributions share with it must be equal too.
pub fn misfits(spec: &EdgeSpec, slot: u32, candidate: &Candidate<'_>) -> Vec<String> {
    let (config, record) = (candidate.config, &spec.record);
    let mut found = Vec::new();
    match parse_pool_comment(&config.comment) {
        Some((edge, at)) if edge == record.name && at == slot => {}
        Some((edge, at)) => found.push(format!("it is slot {at} of edge {edge}")),
        None => {}
    }
    if !config.enabled {
        found.push("it is disabled".into());
    }
    let certificate = config
        .viewer_certificate
        .as_ref()
        .and_then(|v| v.acm_certificate_arn.as_deref())
        .unwrap_or("none");
    if certificate != spec.certificate_arn {
        found.push(format!(
            "it serves certificate {certificate}, not the edge's {}",
            spec.certificate_arn
        ));
    }
    found.extend(origin_misfits(spec, config));
    let hosts_outside: Vec<&str> = config
        .aliases
        .as_ref()
        .and_then(|a| a.items.as_deref())
        .unwrap_or_default()
        .iter()
        .map(String::as_str)
        .filter(|alias| {
            let alias = normalize_host(alias);
            let name = alias.strip_suffix(&format!(".{}", record.domain));
            name.is_none_or(|n| record.tenant_host(n).as_deref() != Ok(alias.as_str()))
        })
        .collect();
    if !hosts_outside.is_empty() {
        found.push(format!(
            "its aliases {} are not tenant hosts (<name>.{})",
            hosts_outside.join(", "),
            record.domain
        ));
    }
    if !forwards_host(candidate) {
        found.push(
            "its default cache behaviour does not pass the viewer's Host header to the origin (through its cache policy, origin request policy or forwarded headers), which the listener's host rules need".into(),
        );
    }
    if record.adoption.as_ref().is_some_and(|a| a.keep_settings) {
        found.extend(kept_setting_misfits(spec, config));
    }
    found
}

/// The default behaviour's origin: the edge's origin host, over HTTPS 443 only.
fn origin_misfits(spec: &EdgeSpec, config: &DistributionConfig) -> Vec<String> {
    let target = config
        .default_cache_behavior
        .as_ref()
        .map(|b| b.target_origin_id.as_str());
    let origin = config
        .origins
        .as_ref()
        .and_then(|o| o.items.iter().find(|o| Some(o.id.as_str()) == target));
    let Some(origin) = origin else {
        return vec!["its default cache behaviour has no origin".into()];
    };
    let mut found = Vec::new();
    if !origin
        .domain_name
        .eq_ignore_ascii_case(&spec.origin_domain_name)
    {
        found.push(format!(
            "its default cache behaviour goes to {}, not to the edge's origin {}",
            origin.domain_name, spec.origin_domain_name
        ));
    }
    let custom = origin.custom_origin_config.as_ref();
    let https_only = custom.is_some_and(|c| {
        c.https_port == 443 && c.origin_protocol_policy == OriginProtocolPolicy::HttpsOnly
    });
    if !https_only {
        found.push(format!(
            "its origin {} is not reached over HTTPS 443 only",
            origin.id
        ));
    }
    found
}

/// Whether the viewer's `Host` reaches the origin: in the cache key, in the origin request
/// policy (named, or every viewer header), or in the legacy forwarded headers (deprecated by
/// CloudFront, still what older setups use).
#[allow(deprecated)]
fn forwards_host(candidate: &Candidate<'_>) -> bool {
    let is_host = |h: &String| h.eq_ignore_ascii_case("host") || h == "*";
    let behavior = candidate.config.default_cache_behavior.as_ref();
    let legacy = behavior
        .and_then(|b| b.forwarded_values.as_ref())
        .and_then(|f| f.headers.as_ref())
        .and_then(|h| h.items.as_ref())
        .is_some_and(|items| items.iter().any(is_host));
    let in_key = candidate
        .cache_policy
        .and_then(|p| p.parameters_in_cache_key_and_forwarded_to_origin.as_ref())
        .and_then(|p| p.headers_config.as_ref())
        .and_then(|h| h.headers.as_ref())
        .and_then(|h| h.items.as_ref())
        .is_some_and(|items| items.iter().any(is_host));
    let to_origin = candidate
        .origin_request_policy
        .and_then(|p| p.headers_config.as_ref())
        .is_some_and(|h| match &h.header_behavior {
            OriginRequestPolicyHeaderBehavior::AllViewer
            | OriginRequestPolicyHeaderBehavior::AllViewerAndWhitelistCloudFront => true,
            OriginRequestPolicyHeaderBehavior::Whitelist => h
                .headers
                .as_ref()
                .and_then(|h| h.items.as_ref())
                .is_some_and(|items| items.iter().any(is_host)),
            _ => false,
        });
    legacy || in_key || to_origin
}

/// With `keep`, what the edge's own distributions share with the adopted ones and a viewer
/// could tell apart must be the same on both.
fn kept_setting_misfits(spec: &EdgeSpec, config: &DistributionConfig) -> Vec<String> {
    let mut found = Vec::new();
    let price_class = config
        .price_class
        .as_ref()
        .map_or("PriceClass_All", |p| p.as_str());
    if price_class != spec.price_class {
        found.push(format!(
            "its price class is {price_class}, the edge's {} (set price_class to match, or adopted_settings = \"manage\")",
            spec.price_class
        ));
    }
    let ipv6 = config.is_ipv6_enabled.unwrap_or(false);
    if ipv6 != spec.record.ipv6_enabled {
        found.push(format!(
            "its IPv6 is {}, the edge's ipv6_enabled {}",
            on(ipv6),
            spec.record.ipv6_enabled
        ));
    }
    let compress = config
        .default_cache_behavior
        .as_ref()
        .and_then(|b| b.compress)
        .unwrap_or(false);
    if compress != spec.compress {
        found.push(format!(
            "its compression is {}, the edge's compress {}",
            on(compress),
            spec.compress
        ));
    }
    let acl = config.web_acl_id.clone().filter(|w| !w.is_empty());
    if acl != spec.web_acl_id {
        found.push(format!(
            "its web ACL is {}, the edge's web_acl_id {}",
            acl.as_deref().unwrap_or("none"),
            spec.web_acl_id.as_deref().unwrap_or("none")
        ));
    }
    found
}

fn on(flag: bool) -> &'static str {
    if flag {
        "on"
    } else {
        "off"
    }
}

/// Reads the distributions `spec` adopts and fails with everything that keeps any of them
/// from fitting, before anything is written. Answers their configurations as read, in the
/// order adopted.
pub async fn check(
    account: &Account,
    spec: &EdgeSpec,
) -> Result<Vec<DistributionConfig>, AccountError> {
    let Some(adoption) = &spec.record.adoption else {
        return Ok(Vec::new());
    };
    let mut problems = Vec::new();
    let mut configs = Vec::new();
    for (slot, id) in adoption.ids.iter().enumerate() {
        match misfits_in_aws(account, spec, slot as u32, id).await? {
            Some((config, found)) => {
                problems.extend(found.into_iter().map(|m| format!("{id}: {m}")));
                configs.push(config);
            }
            None => problems.push(format!("{id}: no such distribution")),
        }
    }
    if problems.is_empty() {
        Ok(configs)
    } else {
        Err(AccountError::Refused(format!(
            "Edge {} cannot be declared over these distributions, and nothing was changed: {}.",
            spec.record.name,
            problems.join("; ")
        )))
    }
}

/// Distribution `id`'s configuration as AWS holds it, and its [`misfits`]; `None` when it
/// does not exist.
async fn misfits_in_aws(
    account: &Account,
    spec: &EdgeSpec,
    slot: u32,
    id: &str,
) -> Result<Option<(DistributionConfig, Vec<String>)>, AccountError> {
    let cloudfront = &account.aws.cloudfront;
    let Some(config) = cloudfront.find_distribution_config_by_id(id).await? else {
        return Ok(None);
    };
    let config = config.value;
    let behavior = config.default_cache_behavior.as_ref();
    let cache_policy = match behavior.and_then(|b| b.cache_policy_id.as_deref()) {
        Some(policy) if !policy.is_empty() => cloudfront
            .find_cache_policy_by_id(policy)
            .await?
            .and_then(|p| p.value.cache_policy_config),
        _ => None,
    };
    let origin_request_policy = match behavior.and_then(|b| b.origin_request_policy_id.as_deref()) {
        Some(policy) if !policy.is_empty() => cloudfront
            .find_origin_request_policy_by_id(policy)
            .await?
            .and_then(|p| p.value.origin_request_policy_config),
        _ => None,
    };
    let found = misfits(
        spec,
        slot,
        &Candidate {
            config: &config,
            cache_policy: cache_policy.as_ref(),
            origin_request_policy: origin_request_policy.as_ref(),
        },
    );
    Ok(Some((config, found)))
}

/// Takes over the distributions `spec` adopts as the pool's first slots: each is checked
/// again, tagged with the edge's record (and its comment before, to give back), then given the
/// pool's comment, which makes it a member; with `manage`, its default behaviour also takes
/// the edge's policies and settings. A repeat after an interruption finds what it did and
/// finishes. Answers the adopted ids.
pub async fn take_over(
    account: &Account,
    spec: &EdgeSpec,
    cache_policy_id: &str,
    origin_request_policy_id: &str,
) -> Result<Vec<String>, AccountError> {
    let Some(adoption) = &spec.record.adoption else {
        return Ok(Vec::new());
    };
    let configs = check(account, spec).await?;
    let cloudfront = &account.aws.cloudfront;
    let all = account.distributions.all().await?;
    for (slot, (id, config)) in adoption.ids.iter().zip(&configs).enumerate() {
        let slot = slot as u32;
        let arn = all
            .iter()
            .find(|d| &d.id == id)
            .map(|d| d.arn.clone())
            .ok_or_else(|| AccountError::Missing(format!("distribution {id} is not listed")))?;
        let mut wanted = spec.tags(&account.settings.default_tags, slot);
        let current = cloudfront.list_tags(&arn).await?;
        let before = match current.get(TAG_COMMENT) {
            Some(kept) => kept.clone(),
            None => config.comment.clone(),
        };
        wanted.insert(TAG_COMMENT.into(), before);
        let missing: tags::Tags = wanted
            .into_iter()
            .filter(|(k, v)| current.get(k) != Some(v))
            .collect();
        cloudfront.tag_resource(&arn, &missing).await?;
        let comment = pool_comment(&spec.record.name, slot);
        let manage = !adoption.keep_settings;
        cloudfront
            .update_distribution_config(id, |config| {
                let mut changed = config.comment != comment;
                config.comment = comment.clone();
                if manage {
                    changed |= use_policies(config, cache_policy_id, origin_request_policy_id);
                    changed |= spec.apply_to(config);
                }
                Ok::<bool, AwsError>(changed)
            })
            .await?;
        tracing::info!(edge = %spec.record.name, distribution = %id, slot, "adopted a distribution");
    }
    account.distributions.invalidate().await;
    account.distributions.forget_record(&spec.record.name).await;
    Ok(adoption.ids.clone())
}

/// Lets go of the distributions the edge adopted: their comment before is given back and the
/// provider's tags removed; they keep serving as they are (with `manage`, with the edge's
/// settings). Answers whether any of them still uses the edge's policies, which then stay.
pub async fn let_go(account: &Account, edge: &EdgeView) -> Result<bool, AccountError> {
    let Some(adoption) = &edge.record.adoption else {
        return Ok(false);
    };
    let cloudfront = &account.aws.cloudfront;
    for member in edge
        .members
        .iter()
        .filter(|m| adoption.ids.contains(&m.distribution.id))
    {
        let distribution = &member.distribution;
        let current = cloudfront.list_tags(&distribution.arn).await?;
        let comment = current.get(TAG_COMMENT).cloned().unwrap_or_default();
        cloudfront
            .update_distribution_config(&distribution.id, |config| {
                let changed = config.comment != comment;
                config.comment = comment.clone();
                Ok::<bool, AwsError>(changed)
            })
            .await?;
        let ours: Vec<String> = current
            .keys()
            .filter(|k| k.starts_with(TAG_PREFIX))
            .cloned()
            .collect();
        cloudfront.untag_resource(&distribution.arn, &ours).await?;
        account
            .distributions
            .patch(&distribution.id, |d| d.comment = comment.clone())
            .await;
        tracing::info!(edge = %edge.record.name, distribution = %distribution.id, "let an adopted distribution go");
    }
    Ok(!adoption.keep_settings)
}

/// Whether `id` is a distribution the edge adopted and whose settings it leaves alone.
pub fn keeps(adoption: Option<&Adoption>, id: &str) -> bool {
    adoption.is_some_and(|a| a.keeps(id))
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudfront::types::{Aliases, PriceClass};

    use super::super::expand::tests::spec;
    use super::*;

    #[test]
    fn a_distribution_is_adopted_only_when_it_fits_the_edge() {
        let mut keep = spec();
        keep.record.adoption = Some(Adoption {
            ids: vec!["E1".into()],
            keep_settings: true,
        });
        let mut manage = keep.clone();
        manage.record.adoption = Some(Adoption {
            ids: vec!["E1".into()],
            keep_settings: false,
        });
        let seed = || {
            let mut config = keep.distribution_config(0, "CP", "ORP").unwrap();
            config.comment = "made by CDK".into();
            config.aliases = Some(
                Aliases::builder()
                    .quantity(2)
                    .items("acme.gateway.example.com")
                    .items("beta.gateway.example.com")
                    .build()
                    .unwrap(),
            );
            config
        };
        let host_in_key = keep.cache_policy_config().unwrap();
        let change = |f: fn(&mut DistributionConfig)| {
            let mut config = seed();
            f(&mut config);
            config
        };
        // (case, spec, configuration, its cache policy, what differs)
        let cases: Vec<(&str, &EdgeSpec, DistributionConfig, bool, Vec<&str>)> = vec![
            ("the seed's distribution", &keep, seed(), true, vec![]),
            ("already this slot", &keep, change(|c| c.comment = "gateway edge e1 slot 0".into()), true, vec![]),
            ("another edge's", &keep, change(|c| c.comment = "gateway edge other slot 2".into()), true, vec!["it is slot 2 of edge other"]),
            ("disabled", &keep, change(|c| c.enabled = false), true, vec!["it is disabled"]),
            (
                "another origin",
                &keep,
                change(|c| c.origins.as_mut().unwrap().items[0].domain_name = "old.example.com".into()),
                true,
                vec!["its default cache behaviour goes to old.example.com, not to the edge's origin web-1.eu-west-1.elb.amazonaws.com"],
            ),
            (
                "an apex alias",
                &keep,
                change(|c| c.aliases.as_mut().unwrap().items.as_mut().unwrap().push("gateway.example.com".into())),
                true,
                vec!["its aliases gateway.example.com are not tenant hosts (<name>.gateway.example.com)"],
            ),
            (
                "no Host to the origin",
                &keep,
                seed(),
                false,
                vec!["its default cache behaviour does not pass the viewer's Host header to the origin (through its cache policy, origin request policy or forwarded headers), which the listener's host rules need"],
            ),
            (
                "kept with another price class",
                &keep,
                change(|c| c.price_class = Some(PriceClass::PriceClassAll)),
                true,
                vec!["its price class is PriceClass_All, the edge's PriceClass_100 (set price_class to match, or adopted_settings = \"manage\")"],
            ),
            ("managed with another price class", &manage, change(|c| c.price_class = Some(PriceClass::PriceClassAll)), true, vec![]),
        ];
        for (name, spec, config, host, differs) in cases {
            let candidate = Candidate {
                config: &config,
                cache_policy: host.then_some(&host_in_key),
                origin_request_policy: None,
            };
            assert_eq!(misfits(spec, 0, &candidate), differs, "{name}");
        }
    }

    #[test]
    fn the_adoption_tag_reads_back() {
        let adoption = Adoption {
            ids: vec!["E1".into(), "E2".into()],
            keep_settings: true,
        };
        assert_eq!(adoption.tag(), "keep E1 E2");
        assert_eq!(Adoption::from_tag("keep E1 E2"), Ok(adoption.clone()));
        assert!(adoption.keeps("E2") && !adoption.keeps("E3"));
        let managed = Adoption::from_tag("manage E1").unwrap();
        assert!(!managed.keep_settings && !managed.keeps("E1"));
        assert!(Adoption::from_tag("E1").is_err());
    }
}
