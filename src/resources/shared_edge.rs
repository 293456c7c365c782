//! `gateway_shared_edge`: what every tenant shares — the pool of CloudFront distributions in
//! front of the load balancer, their cache settings, the hosted zone, the listener and the
//! shared target group.

use async_trait::async_trait;

use super::not_yet_available;
use crate::domain::naming;
use crate::protocol::resource::{Context, Resource, State};
use crate::protocol::schema::{timeouts_block, Attribute, Block, Schema};
use crate::protocol::validators::{IntBetween, MapOfStrings, OneOf, StringRule};
use crate::protocol::value::{AttributePath, Value};
use crate::protocol::Diagnostics;

pub const TYPE_NAME: &str = "gateway_shared_edge";

/// The schema version of the stored state.
pub const SCHEMA_VERSION: i64 = 0;

/// CloudFront's default quota of aliases per distribution.
pub const DEFAULT_MAX_ALIASES: i64 = 100;
/// The pool is never grown past this many distributions unless the user says so.
pub const DEFAULT_MAX_DISTRIBUTIONS: i64 = 20;
/// The ALB's default quota of rules per load balancer (default rules excluded).
pub const DEFAULT_MAX_LISTENER_RULES: i64 = 100;
/// CloudFront's per-account default quota of distributions.
pub const DISTRIBUTIONS_PER_ACCOUNT: i64 = 500;
pub const DEFAULT_MIN_TTL: i64 = 180;
pub const DEFAULT_DEFAULT_TTL: i64 = 86_400;
pub const DEFAULT_MAX_TTL: i64 = 31_536_000;
/// CloudFront accepts TTLs up to this many seconds (a hundred years).
pub const TTL_LIMIT: i64 = 3_153_600_000;

pub const PRICE_CLASSES: &[&str] = &["PriceClass_All", "PriceClass_200", "PriceClass_100"];

pub struct SharedEdgeResource;

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
        Attribute::string("name")
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
        Attribute::string("domain")
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
        Attribute::string("hosted_zone_id")
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
        Attribute::string("certificate_arn")
            .required()
            .description("ACM certificate (in us-east-1) the distributions serve; it must cover `*.<domain>`.")
            .validator(StringRule {
                description: "An ACM certificate ARN in us-east-1",
                summary: "Invalid certificate ARN",
                check: naming::check_cloudfront_certificate_arn,
            }),
    )
    .attribute(
        Attribute::string("alb_listener_arn")
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
        Attribute::string("target_group_arn")
            .required()
            .description("The shared target group every tenant's rule forwards to.")
            .validator(StringRule {
                description: "A target group ARN",
                summary: "Invalid target group ARN",
                check: naming::check_target_group_arn,
            }),
    )
    .attribute(
        Attribute::string("origin_domain_name")
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
        Attribute::number("max_aliases_per_distribution")
            .default(DEFAULT_MAX_ALIASES)
            .description("How many tenant aliases one distribution of the pool holds before the next is used: CloudFront's quota, 100 unless AWS raised it for the account.")
            .validator(IntBetween(1, 10_000)),
    )
    .attribute(
        Attribute::number("max_distributions")
            .default(DEFAULT_MAX_DISTRIBUTIONS)
            .description("Safety cap on the size of the pool; a plan needing more distributions fails before anything changes.")
            .validator(IntBetween(1, DISTRIBUTIONS_PER_ACCOUNT)),
    )
    .attribute(
        Attribute::number("max_listener_rules")
            .default(DEFAULT_MAX_LISTENER_RULES)
            .description("The load balancer's quota of listener rules (default rules excluded): 100 unless AWS raised it for the account. A plan needing more rules fails before anything changes.")
            .validator(IntBetween(1, 50_000)),
    )
    .attribute(
        Attribute::number("min_ttl")
            .default(DEFAULT_MIN_TTL)
            .description("Minimum time, in seconds, objects stay in CloudFront's cache.")
            .validator(IntBetween(0, TTL_LIMIT)),
    )
    .attribute(
        Attribute::number("default_ttl")
            .default(DEFAULT_DEFAULT_TTL)
            .description("Time, in seconds, objects stay cached when the origin sends no caching headers; at least `min_ttl`.")
            .validator(IntBetween(0, TTL_LIMIT)),
    )
    .attribute(
        Attribute::number("max_ttl")
            .default(DEFAULT_MAX_TTL)
            .description("Maximum time, in seconds, objects stay cached; at least `default_ttl`.")
            .validator(IntBetween(0, TTL_LIMIT)),
    )
    .attribute(
        Attribute::bool("compress")
            .default(true)
            .description("Whether CloudFront compresses responses (gzip and Brotli) for clients that accept it."),
    )
    .attribute(
        Attribute::string("price_class")
            .default("PriceClass_All")
            .description("Which CloudFront edge locations serve the distributions.")
            .validator(OneOf(PRICE_CLASSES)),
    )
    .attribute(
        Attribute::bool("ipv6_enabled")
            .default(true)
            .description("Whether the distributions answer over IPv6; tenants then get AAAA records as well as A records."),
    )
    .attribute(
        Attribute::string("web_acl_id")
            .optional()
            .description("WAF web ACL attached to every distribution of the pool.")
            .validator(StringRule {
                description: "A global WAFv2 web ACL ARN or a classic WAF web ACL id",
                summary: "Invalid web ACL",
                check: naming::check_web_acl_id,
            }),
    )
    .attribute(
        Attribute::bool("wait_for_deployment")
            .default(true)
            .description("Whether changes wait until CloudFront reports the distributions `Deployed` (typically minutes)."),
    )
    .attribute(
        Attribute::string_map("tags")
            .optional()
            .description("Tags for the distributions, merged over the provider's `default_tags`.")
            .validator(MapOfStrings {
                max_entries: 50,
                max_key_len: 128,
                max_value_len: 256,
            }),
    )
    .attribute(
        Attribute::string("cache_policy_id")
            .computed()
            .use_state_for_unknown()
            .description("Id of the cache policy the pool's distributions use."),
    )
    .attribute(
        Attribute::string("origin_request_policy_id")
            .computed()
            .use_state_for_unknown()
            .description("Id of the origin request policy that forwards the viewer's `Host` header to the load balancer."),
    )
    .attribute(
        Attribute::string_list("distribution_ids")
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

/// Cross-attribute rules: TTLs must be ordered `min_ttl <= default_ttl <= max_ttl`.
fn validate_ttls(config: &Value, diags: &mut Diagnostics) {
    let ttl = |name: &str, default: i64| match config.get(name) {
        None | Some(Value::Null) => Some(default),
        Some(v) => v.as_i64(),
    };
    let root = AttributePath::root();
    let (Some(min), Some(default), Some(max)) = (
        ttl("min_ttl", DEFAULT_MIN_TTL),
        ttl("default_ttl", DEFAULT_DEFAULT_TTL),
        ttl("max_ttl", DEFAULT_MAX_TTL),
    ) else {
        return;
    };
    if default < min {
        diags.attribute_error(
            root.attribute("default_ttl"),
            "TTLs out of order",
            format!("default_ttl ({default}) must be at least min_ttl ({min})."),
        );
    }
    if max < default.max(min) {
        diags.attribute_error(
            root.attribute("max_ttl"),
            "TTLs out of order",
            format!(
                "max_ttl ({max}) must be at least default_ttl ({default}) and min_ttl ({min})."
            ),
        );
    }
}

#[async_trait]
impl Resource for SharedEdgeResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn validate_config(&self, config: &Value, diags: &mut Diagnostics) {
        validate_ttls(config, diags);
    }

    async fn create(
        &self,
        _ctx: &Context,
        _planned: &Value,
        _config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<State> {
        not_yet_available(diags, TYPE_NAME, "create");
        None
    }

    async fn read(
        &self,
        _ctx: &Context,
        current: State,
        _diags: &mut Diagnostics,
    ) -> Option<State> {
        Some(current)
    }

    async fn update(
        &self,
        _ctx: &Context,
        prior: State,
        _planned: &Value,
        _config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<State> {
        not_yet_available(diags, TYPE_NAME, "update");
        Some(prior)
    }

    async fn delete(&self, _ctx: &Context, _prior: State, diags: &mut Diagnostics) {
        not_yet_available(diags, TYPE_NAME, "delete");
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
