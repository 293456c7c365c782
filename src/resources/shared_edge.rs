//! `gateway_shared_edge`: what every tenant shares — the pool of CloudFront distributions in
//! front of the load balancer, their cache settings, the hosted zone, the listener and the
//! shared target group.

use async_trait::async_trait;

use super::model;
use crate::domain::edge::{EdgeRecord, TAG_PREFIX};
use crate::domain::naming;
use crate::protocol::resource::{Context, PlanState, Resource, State};
use crate::protocol::schema::{timeouts_block, Attribute, Block, Schema};
use crate::protocol::validators::{IntBetween, MapOfStrings, OneOf, StringRule};
use crate::protocol::value::{AttributePath, Value};
use crate::protocol::Diagnostics;
use crate::service::{EdgeIds, EdgeSpec, Gateway, DEFAULT_DEPLOY_TIMEOUT};

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
            .description("The load balancer's quota of listener rules (default rules excluded): 100 unless AWS raised it for the account. The provider counts the rules of every listener of the load balancer, as AWS does. A plan needing more rules fails before anything changes.")
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

/// The edge as configured or stored.
fn spec_from_value(value: &Value, generation: &str) -> EdgeSpec {
    let int = |name: &str, default: i64| model::int(value, name).unwrap_or(default);
    let name = model::string(value, "name").unwrap_or_default();
    EdgeSpec {
        record: EdgeRecord {
            name,
            generation: generation.to_string(),
            domain: model::string(value, "domain").unwrap_or_default(),
            hosted_zone_id: model::string(value, "hosted_zone_id")
                .map(|z| z.trim_start_matches("/hostedzone/").to_string())
                .unwrap_or_default(),
            listener_arn: model::string(value, "alb_listener_arn").unwrap_or_default(),
            target_group_arn: model::string(value, "target_group_arn").unwrap_or_default(),
            max_aliases_per_distribution: int("max_aliases_per_distribution", DEFAULT_MAX_ALIASES)
                as usize,
            max_distributions: int("max_distributions", DEFAULT_MAX_DISTRIBUTIONS) as usize,
            max_listener_rules: int("max_listener_rules", DEFAULT_MAX_LISTENER_RULES) as usize,
            wait_for_deployment: model::boolean(value, "wait_for_deployment").unwrap_or(true),
            ipv6_enabled: model::boolean(value, "ipv6_enabled").unwrap_or(true),
        },
        certificate_arn: model::string(value, "certificate_arn").unwrap_or_default(),
        origin_domain_name: model::string(value, "origin_domain_name").unwrap_or_default(),
        min_ttl: int("min_ttl", DEFAULT_MIN_TTL),
        default_ttl: int("default_ttl", DEFAULT_DEFAULT_TTL),
        max_ttl: int("max_ttl", DEFAULT_MAX_TTL),
        compress: model::boolean(value, "compress").unwrap_or(true),
        price_class: model::string(value, "price_class").unwrap_or_else(|| "PriceClass_All".into()),
        web_acl_id: model::string(value, "web_acl_id"),
        tags: model::string_map(value, "tags"),
    }
}

fn ids_from_value(value: &Value) -> EdgeIds {
    EdgeIds {
        cache_policy_id: model::string(value, "cache_policy_id").unwrap_or_default(),
        origin_request_policy_id: model::string(value, "origin_request_policy_id")
            .unwrap_or_default(),
        distribution_ids: model::string_list(value, "distribution_ids"),
    }
}

/// The state of an edge: `spec` and `ids`, keeping from `base` what AWS does not record
/// (timeouts, and whether `tags` was left out).
fn to_value(spec: &EdgeSpec, ids: &EdgeIds, base: &Value) -> Value {
    let r = &spec.record;
    let tags_null = base.get("tags").is_none_or(Value::is_null);
    Value::object([
        ("id", Value::String(r.name.clone())),
        ("name", Value::String(r.name.clone())),
        ("domain", Value::String(r.domain.clone())),
        ("hosted_zone_id", Value::String(r.hosted_zone_id.clone())),
        (
            "certificate_arn",
            Value::String(spec.certificate_arn.clone()),
        ),
        ("alb_listener_arn", Value::String(r.listener_arn.clone())),
        (
            "target_group_arn",
            Value::String(r.target_group_arn.clone()),
        ),
        (
            "origin_domain_name",
            Value::String(spec.origin_domain_name.clone()),
        ),
        (
            "max_aliases_per_distribution",
            Value::from(r.max_aliases_per_distribution as i64),
        ),
        ("max_distributions", Value::from(r.max_distributions as i64)),
        (
            "max_listener_rules",
            Value::from(r.max_listener_rules as i64),
        ),
        ("min_ttl", Value::from(spec.min_ttl)),
        ("default_ttl", Value::from(spec.default_ttl)),
        ("max_ttl", Value::from(spec.max_ttl)),
        ("compress", Value::Bool(spec.compress)),
        ("price_class", Value::String(spec.price_class.clone())),
        ("ipv6_enabled", Value::Bool(r.ipv6_enabled)),
        ("web_acl_id", model::opt_string(spec.web_acl_id.clone())),
        ("wait_for_deployment", Value::Bool(r.wait_for_deployment)),
        ("tags", model::map_value(&spec.tags, tags_null)),
        (
            "cache_policy_id",
            Value::String(ids.cache_policy_id.clone()),
        ),
        (
            "origin_request_policy_id",
            Value::String(ids.origin_request_policy_id.clone()),
        ),
        ("distribution_ids", model::list_value(&ids.distribution_ids)),
        (
            "timeouts",
            base.get("timeouts").cloned().unwrap_or(Value::Null),
        ),
    ])
}

fn action(value: &Value, verb: &str) -> String {
    format!(
        "{verb} gateway shared edge {}",
        model::string(value, "name").unwrap_or_default()
    )
}

/// A new edge's generation: distinguishes its pool's caller references from those of an
/// earlier edge of the same name.
fn new_generation() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}", now.as_millis())
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
        if let Some(Value::Map(tags)) = config.get("tags") {
            for key in tags.keys().filter(|k| k.starts_with(TAG_PREFIX)) {
                diags.attribute_error(
                    AttributePath::root().attribute("tags").key(key),
                    "Reserved key",
                    format!(
                        "{key:?}: tag keys starting with {TAG_PREFIX:?} are the provider's own."
                    ),
                );
            }
        }
    }

    async fn modify_plan(&self, ctx: &Context, plan: &mut PlanState<'_>, _diags: &mut Diagnostics) {
        if plan.planned.is_null() {
            return;
        }
        // The id is the name, known at plan time, so tenants planned with a new edge can be
        // checked against it in the same plan.
        if let Some(name) = model::string(&plan.planned, "name") {
            model::set(&mut plan.planned, "id", Value::String(name));
        }
        if let Some(gateway) = ctx
            .provider_data
            .clone()
            .and_then(|d| d.downcast::<Gateway>().ok())
        {
            let spec = spec_from_value(&plan.planned, "");
            if !spec.record.name.is_empty() && plan.prior.is_null() {
                gateway.plan_edge(spec.record);
            }
        }
    }

    async fn create(
        &self,
        ctx: &Context,
        planned: &Value,
        _config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<State> {
        let gateway = ctx.data::<Gateway>(diags)?;
        let action = action(planned, "creating");
        let mut spec = spec_from_value(planned, &new_generation());
        let result = async {
            if spec.origin_domain_name.is_empty() {
                spec.origin_domain_name =
                    gateway.listener_origin(&spec.record.listener_arn).await?;
            }
            gateway.check_edge_targets(&spec).await?;
            gateway.create_edge(&spec).await
        }
        .await;
        let ids = match result {
            Ok(ids) => ids,
            Err(err) => {
                diags.push(err.diagnostic(&action));
                return None;
            }
        };
        let state = State::new(to_value(&spec, &ids, planned));
        if spec.record.wait_for_deployment {
            let timeout = model::timeout(planned, "create", DEFAULT_DEPLOY_TIMEOUT);
            // The edge exists now: a failed wait keeps it in state (tainted) so that nothing
            // created is lost track of; the next apply replaces it.
            if let Err(err) = gateway.wait_edge_deployed(&ids, timeout, &ctx.cancel).await {
                diags.push(err.diagnostic(&action));
            }
        }
        Some(state)
    }

    async fn read(&self, ctx: &Context, current: State, diags: &mut Diagnostics) -> Option<State> {
        let gateway = ctx.data::<Gateway>(diags)?;
        let name = model::string(&current.value, "name").unwrap_or_default();
        match gateway.observe_edge(&name).await {
            Ok(Some(observed)) => Some(State {
                value: to_value(&observed.spec, &observed.ids, &current.value),
                private: current.private,
            }),
            Ok(None) => None,
            Err(err) => {
                diags.push(err.diagnostic(&action(&current.value, "reading")));
                Some(current)
            }
        }
    }

    async fn update(
        &self,
        ctx: &Context,
        prior: State,
        planned: &Value,
        _config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<State> {
        let gateway = ctx.data::<Gateway>(diags)?;
        let previous = spec_from_value(&prior.value, "");
        let mut spec = spec_from_value(planned, "");
        let ids = ids_from_value(&prior.value);
        let result = async {
            let current = gateway.edge(&spec.record.name).await?;
            spec.record.generation = current.record.generation.clone();
            if spec.origin_domain_name.is_empty() {
                spec.origin_domain_name =
                    gateway.listener_origin(&spec.record.listener_arn).await?;
            }
            let timeout = model::timeout(planned, "update", DEFAULT_DEPLOY_TIMEOUT);
            gateway
                .update_edge(&spec, &ids, &previous, timeout, &ctx.cancel)
                .await
        }
        .await;
        match result {
            Ok(ids) => Some(State::new(to_value(&spec, &ids, planned))),
            Err(err) => {
                diags.push(err.diagnostic(&action(planned, "updating")));
                Some(prior)
            }
        }
    }

    async fn delete(&self, ctx: &Context, prior: State, diags: &mut Diagnostics) {
        let Some(gateway) = ctx.data::<Gateway>(diags) else {
            return;
        };
        let name = model::string(&prior.value, "name").unwrap_or_default();
        let ids = ids_from_value(&prior.value);
        let timeout = model::timeout(&prior.value, "delete", DEFAULT_DEPLOY_TIMEOUT);
        if let Err(err) = gateway.delete_edge(&name, &ids, timeout, &ctx.cancel).await {
            diags.push(err.diagnostic(&action(&prior.value, "deleting")));
        }
    }

    async fn import(&self, _ctx: &Context, id: &str, diags: &mut Diagnostics) -> Option<State> {
        if let Err(reason) = naming::check_edge_name(id) {
            diags.error("Invalid import id", format!("edge name {reason}"));
            return None;
        }
        let value = Value::object([("name", Value::String(id.to_string()))]);
        let spec = spec_from_value(&value, "");
        let ids = EdgeIds {
            cache_policy_id: String::new(),
            origin_request_policy_id: String::new(),
            distribution_ids: Vec::new(),
        };
        Some(State::new(to_value(&spec, &ids, &value)))
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
