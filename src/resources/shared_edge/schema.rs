//! The schema of `gateway_shared_edge`: each attribute with its default, validators and the
//! cross-attribute rules checked before anything is planned.

use super::super::model::Field;
use crate::domain::capacity::{DISTRIBUTIONS_PER_ACCOUNT, DISTRIBUTIONS_PER_POLICY};
use crate::domain::edge::{Adoption, DistributionMode, RuleLayout, ADOPTED_MAX, TAG_PREFIX};
use crate::domain::naming;
use crate::protocol::schema::{timeouts_block, Attribute, Block, Schema};
use crate::protocol::validators::{IntBetween, ListOf, MapOfStrings, OneOf, StringRule};
use crate::protocol::value::{AttributePath, Value};
use crate::protocol::{Diagnostic, Diagnostics};

pub const TYPE_NAME: &str = "gateway_shared_edge";

/// The schema version of the stored state: 1 added `rule_layout`, 2 `distribution_mode`.
pub const SCHEMA_VERSION: i64 = 2;

/// CloudFront accepts TTLs up to this many seconds (a hundred years).
pub const TTL_LIMIT: i64 = 3_153_600_000;

pub const PRICE_CLASSES: &[&str] = &["PriceClass_All", "PriceClass_200", "PriceClass_100"];

pub const NAME: Field<&str> = Field::new("name");
pub const DOMAIN: Field<&str> = Field::new("domain");
pub const HOSTED_ZONE_ID: Field<&str> = Field::new("hosted_zone_id");
pub const CERTIFICATE_ARN: Field<&str> = Field::new("certificate_arn");
pub const ALB_LISTENER_ARN: Field<&str> = Field::new("alb_listener_arn");
pub const TARGET_GROUP_ARN: Field<&str> = Field::new("target_group_arn");
pub const ORIGIN_DOMAIN_NAME: Field<&str> = Field::new("origin_domain_name");
/// CloudFront's default quota of aliases per distribution.
pub const MAX_ALIASES: Field<i64> = Field::with_default("max_aliases_per_distribution", 100);
/// The pool is never grown past this many distributions unless the user says so.
pub const MAX_DISTRIBUTIONS: Field<i64> = Field::with_default("max_distributions", 20);
/// The ALB's default quota of rules per load balancer (default rules excluded).
pub const MAX_LISTENER_RULES: Field<i64> = Field::with_default("max_listener_rules", 100);
pub const MIN_TTL: Field<i64> = Field::with_default("min_ttl", 180);
pub const DEFAULT_TTL: Field<i64> = Field::with_default("default_ttl", 86_400);
pub const MAX_TTL: Field<i64> = Field::with_default("max_ttl", 31_536_000);
pub const COMPRESS: Field<bool> = Field::with_default("compress", true);
pub const PRICE_CLASS: Field<&str> = Field::with_default("price_class", "PriceClass_All");
pub const IPV6_ENABLED: Field<bool> = Field::with_default("ipv6_enabled", true);
pub const WEB_ACL_ID: Field<&str> = Field::new("web_acl_id");
pub const WAIT_FOR_DEPLOYMENT: Field<bool> = Field::with_default("wait_for_deployment", true);
/// Optional and computed: a new edge groups its tenants' hosts, an edge made before layouts
/// existed keeps one rule per tenant until the configuration says otherwise.
pub const RULE_LAYOUT: Field<&str> = Field::new("rule_layout");
/// Attributes without a field of their own type.
/// `pool` (standard distributions carrying aliases) or `multi_tenant` (SaaS Manager).
pub const DISTRIBUTION_MODE: Field<&str> = Field::with_default("distribution_mode", "pool");
pub const CONNECTION_GROUP_ID: &str = "connection_group_id";
pub const ROUTING_ENDPOINT: &str = "routing_endpoint";
/// Distributions made elsewhere (by hand, CDK) the edge is declared over.
pub const ADOPT_DISTRIBUTION_IDS: &str = "adopt_distribution_ids";
/// Whether those keep their cache behaviour and origin (`keep`) or take the edge's (`manage`).
pub const ADOPTED_SETTINGS: Field<&str> = Field::new("adopted_settings");
pub const TAGS: &str = "tags";
pub const CACHE_POLICY_ID: &str = "cache_policy_id";
pub const ORIGIN_REQUEST_POLICY_ID: &str = "origin_request_policy_id";
pub const DISTRIBUTION_IDS: &str = "distribution_ids";

pub fn schema() -> Schema {
    let block = Block::new(
        "The infrastructure all tenants of an edge share: a pool of CloudFront distributions in front of an Application Load Balancer (origin over HTTPS 443, the `Host` header carried through to the origin), their cache policy, the hosted zone tenants' records live in, the listener their rules go on and the target group they forward to. The pool grows by one distribution when tenants fill it.",
    )
    .attribute(
        Attribute::string("id")
            .computed()
            .use_state_for_unknown()
            .description("The edge's id, which tenants name in `edge_id`: the edge's `name`."),
    )
    .attribute(
        NAME.attribute()
            .required()
            .requires_replace()
            .description("Name of the edge, unique in the AWS account; it prefixes the names and references of the AWS objects the edge creates.")
            .validator(StringRule {
                description: "1 to 64 letters, digits, hyphens and underscores",
                summary: "Invalid edge name",
                check: naming::check_edge_name,
            }),
    )
    .attribute(
        DOMAIN.attribute()
            .required()
            .requires_replace()
            .description("Domain the tenants live under: tenant `acme` is served at `acme.<domain>`.")
            .validator(StringRule {
                description: "A lowercase host name such as `gateway.example.com`",
                summary: "Invalid domain",
                check: naming::check_host,
            }),
    )
    .attribute(
        HOSTED_ZONE_ID.attribute()
            .required()
            .requires_replace()
            .description("Route53 hosted zone that holds the tenants' records; it must be authoritative for `domain`.")
            .validator(StringRule {
                description: "A Route53 hosted zone id",
                summary: "Invalid hosted zone id",
                check: naming::check_hosted_zone_id,
            }),
    )
    .attribute(
        CERTIFICATE_ARN.attribute()
            .required()
            .description("ACM certificate (in us-east-1) the distributions serve; it must cover `*.<domain>`.")
            .validator(StringRule {
                description: "An ACM certificate ARN in us-east-1",
                summary: "Invalid certificate ARN",
                check: naming::check_cloudfront_certificate_arn,
            }),
    )
    .attribute(
        ALB_LISTENER_ARN.attribute()
            .required()
            .requires_replace()
            .description("HTTPS (443) listener of the Application Load Balancer the tenants' rules are added to.")
            .validator(StringRule {
                description: "An Application Load Balancer listener ARN",
                summary: "Invalid listener ARN",
                check: naming::check_alb_listener_arn,
            }),
    )
    .attribute(
        TARGET_GROUP_ARN.attribute()
            .required()
            .description("The shared target group every tenant's rule forwards to.")
            .validator(StringRule {
                description: "A target group ARN",
                summary: "Invalid target group ARN",
                check: naming::check_target_group_arn,
            }),
    )
    .attribute(
        ORIGIN_DOMAIN_NAME.attribute()
            .optional_computed()
            .use_state_for_unknown()
            .description("Host name CloudFront connects to over HTTPS 443. Defaults to the DNS name of the listener's load balancer.")
            .validator(StringRule {
                description: "A host name",
                summary: "Invalid origin domain name",
                check: check_origin_host,
            }),
    )
    .attribute(
        MAX_ALIASES.attribute()
            .description("How many tenant aliases one distribution of the pool holds before the next is used: CloudFront's quota, 100 unless AWS raised it for the account.")
            .validator(IntBetween(1, 10_000)),
    )
    .attribute(
        MAX_DISTRIBUTIONS.attribute()
            .description("Safety cap on the size of the pool; a plan needing more distributions fails before anything changes. The pool shares one cache policy and one origin request policy, which CloudFront associates with at most 100 distributions by default, so the pool also stops at 100 (a value above warns), and at the room left under the account's 500 distributions.")
            .validator(IntBetween(1, DISTRIBUTIONS_PER_ACCOUNT as i64)),
    )
    .attribute(
        MAX_LISTENER_RULES.attribute()
            .description("The load balancer's quota of listener rules (default rules excluded): 100 unless AWS raised it for the account. The provider counts the rules of every listener of the load balancer, as AWS does. A plan needing more rules fails before anything changes.")
            .validator(IntBetween(1, 50_000)),
    )
    .attribute(
        MIN_TTL.attribute()
            .description("Minimum time, in seconds, objects stay in CloudFront's cache.")
            .validator(IntBetween(0, TTL_LIMIT)),
    )
    .attribute(
        DEFAULT_TTL.attribute()
            .description("Time, in seconds, objects stay cached when the origin sends no caching headers; at least `min_ttl`.")
            .validator(IntBetween(0, TTL_LIMIT)),
    )
    .attribute(
        MAX_TTL.attribute()
            .description("Maximum time, in seconds, objects stay cached; at least `default_ttl`.")
            .validator(IntBetween(0, TTL_LIMIT)),
    )
    .attribute(
        COMPRESS.attribute()
            .description("Whether CloudFront compresses responses (gzip and Brotli) for clients that accept it."),
    )
    .attribute(
        PRICE_CLASS.attribute()
            .description("Which CloudFront edge locations serve the distributions.")
            .validator(OneOf(PRICE_CLASSES)),
    )
    .attribute(
        IPV6_ENABLED.attribute()
            .description("Whether the distributions answer over IPv6; tenants then get AAAA records as well as A records."),
    )
    .attribute(
        RULE_LAYOUT.attribute()
            .optional_computed()
            .use_state_for_unknown()
            .description("How tenants' hosts are matched on the listener. `grouped` (the default for new edges): rules of up to five hosts each, so the load balancer's default quota of 100 rules serves 500 tenants; every host is still listed on the load balancer and forwarded to the shared target group, and each rule is written only by the Terraform state whose tenants it holds. `per_tenant`: one rule per tenant, which allows a tenant's own `tags` and pinned `priority` but reaches the default quota at 100 tenants; edges made before this setting existed keep it. Changing it moves every tenant on its next apply, never leaving a host without a rule.")
            .validator(OneOf(RuleLayout::NAMES)),
    )
    .attribute(
        WEB_ACL_ID.attribute()
            .optional()
            .description("WAF web ACL attached to every distribution of the pool.")
            .validator(StringRule {
                description: "A global WAFv2 web ACL ARN or a classic WAF web ACL id",
                summary: "Invalid web ACL",
                check: naming::check_web_acl_id,
            }),
    )
    .attribute(
        WAIT_FOR_DEPLOYMENT.attribute()
            .description("Whether the edge's own create and update wait until CloudFront reports its distributions `Deployed` (typically minutes). Tenants never wait for their deployment; read `gateway_edge_deployment` after them to end an apply when every partner is served."),
    )
    .attribute(
        DISTRIBUTION_MODE.attribute()
            .requires_replace()
            .description("How the edge serves its tenants. `pool`: standard distributions, each tenant's host an alias on one with room (up to `max_aliases_per_distribution` each, `max_distributions` of them). `multi_tenant`: one CloudFront multi-tenant distribution (SaaS Manager) and a connection group; each tenant is a distribution tenant whose domain is its host, and its records point at the connection group's `routing_endpoint`. There is no alias ceiling (the account's quota of distribution tenants, 10,000 by default, applies), and `max_aliases_per_distribution`, `max_distributions`, `price_class` and `adopt_distribution_ids` do not apply.")
            .validator(OneOf(DistributionMode::NAMES)),
    )
    .attribute(
        Attribute::string(CONNECTION_GROUP_ID)
            .computed()
            .use_state_for_unknown()
            .description("With `distribution_mode = \"multi_tenant\"`: the id of the edge's connection group; null otherwise."),
    )
    .attribute(
        Attribute::string(ROUTING_ENDPOINT)
            .computed()
            .use_state_for_unknown()
            .description("With `distribution_mode = \"multi_tenant\"`: the connection group's routing endpoint (such as `d1234abcd.cloudfront.net`), which every tenant's alias records point at; null otherwise."),
    )
    .attribute(
        Attribute::string_list(ADOPT_DISTRIBUTION_IDS)
            .optional()
            .requires_replace()
            .description("CloudFront distributions made outside this provider (by hand, CDK, another tool) to declare the edge over instead of creating its first distribution: they become the pool's first slots, in this order, and their aliases become tenants to import. Each must serve `certificate_arn` and send its default cache behaviour over HTTPS 443 to `origin_domain_name` (or the listener's load balancer); with `adopted_settings = \"keep\"` its price class, IPv6, compression and web ACL must equal the edge's. The provider records the edge in their tags and comment and changes nothing a viewer notices; destroying the edge lets them go (comment and tags restored) instead of deleting them.")
            .validator(ListOf {
                description: "CloudFront distribution ids",
                max_items: ADOPTED_MAX,
                check: naming::check_distribution_id,
            }),
    )
    .attribute(
        ADOPTED_SETTINGS.attribute()
            .optional()
            .description("Required with `adopt_distribution_ids`: `keep` leaves the adopted distributions' cache behaviour, policies and origin as they are (the edge's TTLs then apply to the distributions it creates); `manage` brings them to the edge's settings (its cache policy with `min_ttl` and the `Host` header, its origin) on apply, which viewers may notice as different caching.")
            .validator(OneOf(Adoption::SETTINGS)),
    )
    .attribute(
        Attribute::string_map(TAGS)
            .optional()
            .description("Tags for the distributions, merged over the provider's `default_tags`.")
            .validator(MapOfStrings {
                max_entries: 50,
                max_key_len: 128,
                max_value_len: 256,
            }),
    )
    .attribute(
        Attribute::string(CACHE_POLICY_ID)
            .computed()
            .use_state_for_unknown()
            .description("Id of the cache policy the pool's distributions use."),
    )
    .attribute(
        Attribute::string(ORIGIN_REQUEST_POLICY_ID)
            .computed()
            .use_state_for_unknown()
            .description("Id of the origin request policy that forwards the viewer's `Host` header to the load balancer."),
    )
    .attribute(
        Attribute::string_list(DISTRIBUTION_IDS)
            .computed()
            .description("Ids of the pool's distributions, oldest first."),
    )
    .block(timeouts_block(&["create", "update", "delete"]));
    Schema::new(SCHEMA_VERSION, block)
}

fn check_origin_host(host: &str) -> Result<(), String> {
    // Load balancer DNS names contain upper-case letters in AWS's own output; allow them here.
    naming::check_host(&host.to_ascii_lowercase())
}

/// What the schema alone cannot say: ordered TTLs, no tag key of the provider's own, and a
/// pool cap the shared policies cannot reach.
pub fn validate(config: &Value, diags: &mut Diagnostics) {
    validate_ttls(config, diags);
    let per_policy = DISTRIBUTIONS_PER_POLICY as i64;
    let set = super::super::model::int(config, MAX_DISTRIBUTIONS.name);
    if let Some(n) = set.filter(|n| *n > per_policy) {
        diags.push(
            Diagnostic::warning(
                format!("Pool capped at {per_policy} distributions"),
                format!(
                    "max_distributions is {n}, but the pool shares one cache policy and one origin request policy, and CloudFront associates a policy with at most {per_policy} distributions (its default quota): the pool stops at {per_policy}, and tenants past its room are refused at plan time. Put further tenants on a second edge."
                ),
            )
            .at(AttributePath::root().attribute(MAX_DISTRIBUTIONS.name)),
        );
    }
    validate_adoption(config, diags);
    validate_mode(config, diags);
    if let Some(Value::Map(tags)) = config.get(TAGS) {
        for key in tags.keys().filter(|k| k.starts_with(TAG_PREFIX)) {
            diags.attribute_error(
                AttributePath::root().attribute(TAGS).key(key),
                "Reserved key",
                format!("{key:?}: tag keys starting with {TAG_PREFIX:?} are the provider's own."),
            );
        }
    }
}

/// Cross-attribute rules: TTLs must be ordered `min_ttl <= default_ttl <= max_ttl`.
/// A multi-tenant edge has one distribution and no aliases: the pool's settings do not apply.
fn validate_mode(config: &Value, diags: &mut Diagnostics) {
    let mode = config.get(DISTRIBUTION_MODE.name).and_then(Value::as_str);
    if mode != Some(DistributionMode::MultiTenant.as_str()) {
        return;
    }
    for name in [
        MAX_ALIASES.name,
        MAX_DISTRIBUTIONS.name,
        PRICE_CLASS.name,
        ADOPT_DISTRIBUTION_IDS,
    ] {
        if config.get(name).is_some_and(|v| !v.is_null()) {
            diags.attribute_error(
                AttributePath::root().attribute(name),
                "Not a setting of a multi-tenant edge",
                format!(
                    "{name} applies to distribution_mode = \"pool\": a multi-tenant edge has one distribution, which carries no aliases and no price class. Leave it out."
                ),
            );
        }
    }
}

/// Adopting distributions needs the explicit choice of what happens to their settings, and
/// that choice means nothing without them.
fn validate_adoption(config: &Value, diags: &mut Diagnostics) {
    let ids = config.get(ADOPT_DISTRIBUTION_IDS).unwrap_or(&Value::Null);
    let settings = config.get(ADOPTED_SETTINGS.name).unwrap_or(&Value::Null);
    if ids.is_unknown() || settings.is_unknown() {
        return;
    }
    let adopting = ids.as_list().is_some_and(|l| !l.is_empty());
    if adopting && settings.is_null() {
        diags.attribute_error(
            AttributePath::root().attribute(ADOPTED_SETTINGS.name),
            "Missing adopted_settings",
            "adopt_distribution_ids takes over distributions made elsewhere: say whether their cache behaviour and origin stay as they are (adopted_settings = \"keep\") or become the edge's (\"manage\").",
        );
    }
    if !adopting && !settings.is_null() {
        diags.attribute_error(
            AttributePath::root().attribute(ADOPTED_SETTINGS.name),
            "adopted_settings without adopt_distribution_ids",
            "adopted_settings says what happens to adopted distributions; set adopt_distribution_ids too, or leave it out.",
        );
    }
}

fn validate_ttls(config: &Value, diags: &mut Diagnostics) {
    // Unknown values are not judged yet; null ones take their default.
    let ttl = |field: Field<i64>| match config.get(field.name) {
        Some(v) if v.is_unknown() => None,
        _ => field.get(config),
    };
    let root = AttributePath::root();
    let (Some(min), Some(default), Some(max)) = (ttl(MIN_TTL), ttl(DEFAULT_TTL), ttl(MAX_TTL))
    else {
        return;
    };
    if default < min {
        diags.attribute_error(
            root.attribute(DEFAULT_TTL.name),
            "TTLs out of order",
            format!("default_ttl ({default}) must be at least min_ttl ({min})."),
        );
    }
    if max < default.max(min) {
        diags.attribute_error(
            root.attribute(MAX_TTL.name),
            "TTLs out of order",
            format!(
                "max_ttl ({max}) must be at least default_ttl ({default}) and min_ttl ({min})."
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ttls(min: Option<i64>, default: Option<i64>, max: Option<i64>) -> Value {
        let v = |n: Option<i64>| n.map(Value::from).unwrap_or(Value::Null);
        Value::object([
            ("min_ttl", v(min)),
            ("default_ttl", v(default)),
            ("max_ttl", v(max)),
        ])
    }

    #[test]
    fn a_pool_cap_above_what_one_policy_serves_warns() {
        let warnings = |n: Value| {
            let mut diags = Diagnostics::new();
            validate(&Value::object([("max_distributions", n)]), &mut diags);
            assert!(!diags.has_errors());
            diags
                .iter()
                .map(|d| d.attribute.as_ref().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(warnings(Value::from(101)), ["max_distributions"]);
        assert!(warnings(Value::from(100)).is_empty());
        assert!(warnings(Value::Null).is_empty());
        assert!(warnings(Value::Unknown).is_empty());
    }

    #[test]
    fn a_multi_tenant_edge_refuses_the_pools_settings_and_adoption_needs_a_choice() {
        let config = |set: &[(&str, Value)]| Value::object(set.iter().cloned());
        let ids = || Value::list([Value::from("E1")]);
        let multi = || ("distribution_mode", Value::from("multi_tenant"));
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (config(&[multi()]), vec![]),
            (config(&[("max_distributions", Value::from(3))]), vec![]),
            (
                config(&[multi(), ("max_distributions", Value::from(3))]),
                vec!["max_distributions"],
            ),
            (
                config(&[
                    multi(),
                    ("price_class", Value::from("PriceClass_100")),
                    ("max_aliases_per_distribution", Value::from(50)),
                ]),
                vec!["max_aliases_per_distribution", "price_class"],
            ),
            (
                config(&[multi(), ("adopt_distribution_ids", ids())]),
                vec!["adopted_settings", "adopt_distribution_ids"],
            ),
            (
                config(&[("adopt_distribution_ids", ids())]),
                vec!["adopted_settings"],
            ),
            (
                config(&[
                    ("adopt_distribution_ids", ids()),
                    ("adopted_settings", Value::from("keep")),
                ]),
                vec![],
            ),
            (
                config(&[("adopted_settings", Value::from("keep"))]),
                vec!["adopted_settings"],
            ),
        ];
        for (config, expected) in cases {
            let mut diags = Diagnostics::new();
            validate(&config, &mut diags);
            let at: Vec<String> = diags
                .iter()
                .map(|d| d.attribute.as_ref().unwrap().to_string())
                .collect();
            assert_eq!(at, expected, "{config:?}");
        }
    }

    #[test]
    fn ttl_order() {
        let cases = [
            (ttls(None, None, None), vec![]),
            (ttls(Some(0), Some(0), Some(0)), vec![]),
            (ttls(Some(600), Some(300), None), vec!["default_ttl"]),
            (ttls(Some(10), Some(300), Some(100)), vec!["max_ttl"]),
            (
                ttls(Some(100_000), None, Some(50)),
                vec!["default_ttl", "max_ttl"],
            ),
        ];
        for (config, expected) in cases {
            let mut diags = Diagnostics::new();
            validate_ttls(&config, &mut diags);
            let at: Vec<String> = diags
                .iter()
                .map(|d| d.attribute.as_ref().unwrap().to_string())
                .collect();
            assert_eq!(at, expected, "{config:?}");
        }
    }

    #[test]
    fn unknown_ttls_are_not_judged_yet() {
        let mut diags = Diagnostics::new();
        let config = Value::object([
            ("min_ttl", Value::Unknown),
            ("default_ttl", Value::from(1i64)),
            ("max_ttl", Value::Null),
        ]);
        validate_ttls(&config, &mut diags);
        assert!(diags.is_empty());
    }
}
