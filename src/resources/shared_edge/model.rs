//! The edge as the resource reasons about it — [`EdgeSpec`], everything it is made of, and
//! [`EdgeIds`], what its AWS objects are called — and its conversion from and to Terraform's
//! values.

use std::collections::BTreeMap;

use super::super::model::{self, Field};
use super::schema::*;
use crate::domain::edge::{Adoption, ConnectionGroupRef, DistributionMode, EdgeRecord, RuleLayout};
use crate::protocol::value::Value;

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

/// What an edge's objects are called in AWS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EdgeIds {
    pub cache_policy_id: String,
    pub origin_request_policy_id: String,
    pub distribution_ids: Vec<String>,
}

impl EdgeSpec {
    /// The edge as configured or stored; `generation` distinguishes its pool from an earlier
    /// edge's of the same name (empty when not yet known).
    pub fn from_value(value: &Value, generation: &str) -> Self {
        let text = |field: Field<&'static str>| field.get(value).unwrap_or_default();
        let int = |field: Field<i64>| field.get(value).unwrap_or_default();
        let flag = |field: Field<bool>| field.get(value).unwrap_or_default();
        Self {
            record: EdgeRecord {
                name: text(NAME),
                generation: generation.to_string(),
                domain: text(DOMAIN),
                hosted_zone_id: text(HOSTED_ZONE_ID)
                    .trim_start_matches("/hostedzone/")
                    .to_string(),
                listener_arn: text(ALB_LISTENER_ARN),
                target_group_arn: text(TARGET_GROUP_ARN),
                max_aliases_per_distribution: int(MAX_ALIASES) as usize,
                max_distributions: int(MAX_DISTRIBUTIONS) as usize,
                max_listener_rules: int(MAX_LISTENER_RULES) as usize,
                wait_for_deployment: flag(WAIT_FOR_DEPLOYMENT),
                ipv6_enabled: flag(IPV6_ENABLED),
                rule_layout: RULE_LAYOUT
                    .get(value)
                    .and_then(|text| RuleLayout::parse(&text))
                    .unwrap_or(RuleLayout::Grouped),
                mode: DISTRIBUTION_MODE
                    .get(value)
                    .and_then(|text| DistributionMode::parse(&text))
                    .unwrap_or_default(),
                connection_group: match (
                    model::string(value, CONNECTION_GROUP_ID),
                    model::string(value, ROUTING_ENDPOINT),
                ) {
                    (Some(id), Some(routing_endpoint)) => Some(ConnectionGroupRef {
                        id,
                        routing_endpoint,
                    }),
                    _ => None,
                },
                adoption: {
                    let ids = model::string_list(value, ADOPT_DISTRIBUTION_IDS);
                    (!ids.is_empty()).then(|| Adoption {
                        ids,
                        keep_settings: ADOPTED_SETTINGS.get(value).as_deref() != Some("manage"),
                    })
                },
            },
            certificate_arn: text(CERTIFICATE_ARN),
            origin_domain_name: text(ORIGIN_DOMAIN_NAME),
            min_ttl: int(MIN_TTL),
            default_ttl: int(DEFAULT_TTL),
            max_ttl: int(MAX_TTL),
            compress: flag(COMPRESS),
            price_class: text(PRICE_CLASS),
            web_acl_id: WEB_ACL_ID.get(value),
            tags: model::string_map(value, TAGS),
        }
    }

    /// The state of the edge with `ids`, keeping from `base` what AWS does not record
    /// (timeouts, and whether `tags` was left out).
    pub fn to_value(&self, ids: &EdgeIds, base: &Value) -> Value {
        let r = &self.record;
        let count = |n: usize| Value::from(n as i64);
        Value::object([
            ("id", Value::String(r.name.clone())),
            (NAME.name, Value::String(r.name.clone())),
            (DOMAIN.name, Value::String(r.domain.clone())),
            (HOSTED_ZONE_ID.name, Value::String(r.hosted_zone_id.clone())),
            (
                CERTIFICATE_ARN.name,
                Value::String(self.certificate_arn.clone()),
            ),
            (ALB_LISTENER_ARN.name, Value::String(r.listener_arn.clone())),
            (
                TARGET_GROUP_ARN.name,
                Value::String(r.target_group_arn.clone()),
            ),
            (
                ORIGIN_DOMAIN_NAME.name,
                Value::String(self.origin_domain_name.clone()),
            ),
            (MAX_ALIASES.name, count(r.max_aliases_per_distribution)),
            (MAX_DISTRIBUTIONS.name, count(r.max_distributions)),
            (MAX_LISTENER_RULES.name, count(r.max_listener_rules)),
            (MIN_TTL.name, Value::from(self.min_ttl)),
            (DEFAULT_TTL.name, Value::from(self.default_ttl)),
            (MAX_TTL.name, Value::from(self.max_ttl)),
            (COMPRESS.name, Value::Bool(self.compress)),
            (PRICE_CLASS.name, Value::String(self.price_class.clone())),
            (IPV6_ENABLED.name, Value::Bool(r.ipv6_enabled)),
            (RULE_LAYOUT.name, Value::from(r.rule_layout.as_str())),
            (WEB_ACL_ID.name, model::opt_string(self.web_acl_id.clone())),
            (WAIT_FOR_DEPLOYMENT.name, Value::Bool(r.wait_for_deployment)),
            (DISTRIBUTION_MODE.name, Value::from(r.mode.as_str())),
            (
                CONNECTION_GROUP_ID,
                model::opt_string(r.connection_group.as_ref().map(|g| g.id.clone())),
            ),
            (
                ROUTING_ENDPOINT,
                model::opt_string(
                    r.connection_group
                        .as_ref()
                        .map(|g| g.routing_endpoint.clone()),
                ),
            ),
            (
                ADOPT_DISTRIBUTION_IDS,
                match &r.adoption {
                    Some(adoption) => model::list_value(&adoption.ids),
                    None => Value::Null,
                },
            ),
            (
                ADOPTED_SETTINGS.name,
                match &r.adoption {
                    Some(a) if a.keep_settings => Value::from("keep"),
                    Some(_) => Value::from("manage"),
                    None => Value::Null,
                },
            ),
            (
                TAGS,
                model::map_value(&self.tags, model::is_null(base, TAGS)),
            ),
            (CACHE_POLICY_ID, Value::String(ids.cache_policy_id.clone())),
            (
                ORIGIN_REQUEST_POLICY_ID,
                Value::String(ids.origin_request_policy_id.clone()),
            ),
            (DISTRIBUTION_IDS, model::list_value(&ids.distribution_ids)),
            (
                "timeouts",
                base.get("timeouts").cloned().unwrap_or(Value::Null),
            ),
        ])
    }
}

impl EdgeIds {
    pub fn from_value(value: &Value) -> Self {
        Self {
            cache_policy_id: model::string(value, CACHE_POLICY_ID).unwrap_or_default(),
            origin_request_policy_id: model::string(value, ORIGIN_REQUEST_POLICY_ID)
                .unwrap_or_default(),
            distribution_ids: model::string_list(value, DISTRIBUTION_IDS),
        }
    }
}

/// What Terraform shows the edge's operations as: `creating gateway shared edge e1`.
pub fn action(value: &Value, verb: &str) -> String {
    format!(
        "{verb} gateway shared edge {}",
        NAME.get(value).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_round_trips_through_the_model_with_defaults_filled_in() {
        let config = Value::object([
            ("name", Value::from("e1")),
            ("domain", Value::from("gateway.example.com")),
            ("hosted_zone_id", Value::from("/hostedzone/Z1")),
            ("tags", Value::Null),
        ]);
        let spec = EdgeSpec::from_value(&config, "7");
        assert_eq!(spec.record.hosted_zone_id, "Z1");
        assert_eq!(spec.record.generation, "7");
        assert_eq!(spec.record.max_aliases_per_distribution, 100);
        assert_eq!(spec.min_ttl, 180);
        assert!(spec.compress && spec.record.ipv6_enabled && spec.record.wait_for_deployment);
        assert_eq!(spec.price_class, "PriceClass_All");
        let ids = EdgeIds {
            cache_policy_id: "CP".into(),
            origin_request_policy_id: "ORP".into(),
            distribution_ids: vec!["E1".into()],
        };
        let state = spec.to_value(&ids, &config);
        assert_eq!(state.get("tags"), Some(&Value::Null));
        assert_eq!(state.get("id"), Some(&Value::from("e1")));
        assert_eq!(EdgeSpec::from_value(&state, "7"), spec);
        assert_eq!(EdgeIds::from_value(&state), ids);
        assert_eq!(state.get("rule_layout"), Some(&Value::from("grouped")));
    }
}
