//! From what CloudFront holds back to the edge's model: the first pool distribution's
//! configuration, the cache policy and the tags, read for drift detection.

use aws_sdk_cloudfront::types::{CachePolicyConfig, DistributionConfig};

use super::expand::default_origin_id;
use super::model::{EdgeIds, EdgeSpec};
use super::schema::PRICE_CLASS;
use crate::domain::edge::EdgeRecord;
use crate::domain::tags::{self, Tags};

/// The edge as AWS holds it: `record` from the pool's tags, `config` of its first
/// distribution, `policy` its cache policy (`None` when gone), `on_distribution` that
/// distribution's tags, of which the user's are those that are not the provider's own nor an
/// unchanged default tag.
pub fn edge_spec(
    record: &EdgeRecord,
    config: &DistributionConfig,
    policy: Option<&CachePolicyConfig>,
    on_distribution: &Tags,
    default_tags: &Tags,
) -> EdgeSpec {
    let behavior = config.default_cache_behavior.as_ref();
    let origin = config
        .origins
        .as_ref()
        .and_then(|o| o.items.iter().find(|o| o.id == default_origin_id(config)));
    EdgeSpec {
        record: record.clone(),
        certificate_arn: config
            .viewer_certificate
            .as_ref()
            .and_then(|v| v.acm_certificate_arn.clone())
            .unwrap_or_default(),
        origin_domain_name: origin.map(|o| o.domain_name.clone()).unwrap_or_default(),
        min_ttl: policy.map_or(0, |p| p.min_ttl),
        default_ttl: policy.and_then(|p| p.default_ttl).unwrap_or_default(),
        max_ttl: policy.and_then(|p| p.max_ttl).unwrap_or_default(),
        compress: behavior.and_then(|b| b.compress).unwrap_or(false),
        price_class: config
            .price_class
            .as_ref()
            .map(|p| p.as_str().to_string())
            .or_else(|| PRICE_CLASS.default.map(str::to_string))
            .unwrap_or_default(),
        web_acl_id: config.web_acl_id.clone().filter(|w| !w.is_empty()),
        tags: tags::user_view(on_distribution, default_tags),
    }
}

/// The policies the first distribution uses, and the pool's distributions.
pub fn edge_ids(config: &DistributionConfig, distribution_ids: Vec<String>) -> EdgeIds {
    let behavior = config.default_cache_behavior.as_ref();
    EdgeIds {
        cache_policy_id: behavior
            .and_then(|b| b.cache_policy_id.clone())
            .unwrap_or_default(),
        origin_request_policy_id: behavior
            .and_then(|b| b.origin_request_policy_id.clone())
            .unwrap_or_default(),
        distribution_ids,
    }
}

#[cfg(test)]
mod tests {
    use super::super::expand::tests::spec;
    use super::*;

    #[test]
    fn what_was_built_reads_back_as_the_same_edge() {
        let spec = spec();
        let config = spec.distribution_config(0, "CP", "ORP").unwrap();
        let policy = spec.cache_policy_config().unwrap();
        let defaults: Tags = [("env".to_string(), "prod".to_string())].into();
        let on_distribution = spec.tags(&defaults, 0);
        let read = edge_spec(
            &spec.record,
            &config,
            Some(&policy),
            &on_distribution,
            &defaults,
        );
        assert_eq!(read, spec);
        let ids = edge_ids(&config, vec!["E1".into(), "E2".into()]);
        assert_eq!(ids.cache_policy_id, "CP");
        assert_eq!(ids.origin_request_policy_id, "ORP");
        assert_eq!(ids.distribution_ids, ["E1", "E2"]);
    }

    #[test]
    fn drift_shows_in_what_is_read() {
        let spec = spec();
        let mut config = spec.distribution_config(0, "CP", "ORP").unwrap();
        config.web_acl_id = Some(String::new());
        if let Some(behavior) = config.default_cache_behavior.as_mut() {
            behavior.compress = Some(false);
        }
        let mut on_distribution = spec.tags(&Tags::new(), 0);
        on_distribution.insert("added".into(), "by hand".into());
        let read = edge_spec(&spec.record, &config, None, &on_distribution, &Tags::new());
        assert!(!read.compress);
        assert_eq!(read.web_acl_id, None);
        assert_eq!(
            (read.min_ttl, read.default_ttl, read.max_ttl),
            (0, 0, 0),
            "policy gone"
        );
        assert_eq!(read.tags.get("added").map(String::as_str), Some("by hand"));
    }
}
