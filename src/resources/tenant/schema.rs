//! The schema of `gateway_tenant`.

use super::super::model::Field;
use crate::aws::elbv2::{MAX_RULE_PRIORITY, MIN_RULE_PRIORITY};
use crate::domain::naming;
use crate::protocol::schema::{timeouts_block, Attribute, Block, Schema};
use crate::protocol::validators::{IntBetween, MapOfStrings, StringRule};

pub const TYPE_NAME: &str = "gateway_tenant";

/// The schema version of the stored state.
pub const SCHEMA_VERSION: i64 = 0;

pub const EDGE_ID: Field<&str> = Field::new("edge_id");
pub const NAME: Field<&str> = Field::new("name");
pub const PRIORITY: Field<i64> = Field::new("priority");
pub const TAGS: &str = "tags";
pub const HOST: Field<&str> = Field::new("host");
pub const DISTRIBUTION_ID: Field<&str> = Field::new("distribution_id");
pub const DISTRIBUTION_DOMAIN_NAME: Field<&str> = Field::new("distribution_domain_name");
pub const LISTENER_RULE_ARN: Field<&str> = Field::new("listener_rule_arn");
pub const DISTRIBUTION_TENANT_ID: Field<&str> = Field::new("distribution_tenant_id");
pub const DNS_RECORD_TYPES: &str = "dns_record_types";

pub fn schema() -> Schema {
    let block = Block::new(
        "One partner of an edge, served at `<name>.<domain>`: an alias on a pool distribution with free room, its host on a listener rule forwarding to the shared target group (a rule of up to five tenants' hosts written by this Terraform state when the edge's `rule_layout` is `grouped`, else one of its own), and Route53 alias A/AAAA records to the distribution. A create or update returns as soon as AWS has accepted these changes, without waiting for CloudFront to deploy them (minutes): the partner is served once its distribution is `Deployed`, which `gateway_edge_deployment` waits for, once for the whole edge.",
    )
    .attribute(
        Attribute::string("id")
            .computed()
            .use_state_for_unknown()
            .description("`<edge_id>/<name>`, also the import id."),
    )
    .attribute(
        EDGE_ID.attribute()
            .required()
            .description("The `id` of the `gateway_shared_edge` the tenant joins; the edge may be managed in another Terraform state. Changing it replaces the tenant, except from a pool edge to a multi-tenant edge of the same `domain`, `hosted_zone_id`, `alb_listener_arn` and `target_group_arn`: then the update moves the tenant in place, its host served throughout (see the guide on distribution modes).")
            .validator(StringRule {
                description: "An edge id",
                summary: "Invalid edge id",
                check: naming::check_edge_name,
            }),
    )
    .attribute(
        NAME.attribute()
            .required()
            .requires_replace()
            .description("The tenant's name, one lowercase DNS label; the tenant is served at `<name>.<domain>`.")
            .validator(StringRule {
                description: "One lowercase DNS label (RFC 1123): letters, digits and inner hyphens, at most 63 characters",
                summary: "Invalid tenant name",
                check: naming::check_label,
            }),
    )
    .attribute(
        PRIORITY.attribute()
            .optional_computed()
            .use_state_for_unknown()
            .description("Priority of the tenant's listener rule. Left out, the lowest free priority is allocated. Only for an edge with `rule_layout = \"per_tenant\"`: a grouped rule's priority is the group's.")
            .validator(IntBetween(MIN_RULE_PRIORITY, MAX_RULE_PRIORITY)),
    )
    .attribute(
        Attribute::string_map(TAGS)
            .optional()
            .description("Tags for the tenant's listener rule, merged over the provider's `default_tags`. Only for an edge with `rule_layout = \"per_tenant\"`: a grouped rule is shared.")
            .validator(MapOfStrings {
                max_entries: 50,
                max_key_len: 128,
                max_value_len: 256,
            }),
    )
    .attribute(
        HOST.attribute()
            .computed()
            .use_state_for_unknown()
            .description("The host name the tenant is served at: `<name>.<domain>`."),
    )
    .attribute(
        DISTRIBUTION_ID.attribute()
            .computed()
            .use_state_for_unknown()
            .description("Id of the pool distribution holding the tenant's alias; on a multi-tenant edge, of the edge's multi-tenant distribution."),
    )
    .attribute(
        DISTRIBUTION_DOMAIN_NAME.attribute()
            .computed()
            .use_state_for_unknown()
            .description("Domain name (`*.cloudfront.net`) the tenant's records point at: that pool distribution's, or on a multi-tenant edge the connection group's routing endpoint."),
    )
    .attribute(
        DISTRIBUTION_TENANT_ID.attribute()
            .computed()
            .use_state_for_unknown()
            .description("On a multi-tenant edge (`distribution_mode = \"multi_tenant\"`): the id of the tenant's CloudFront distribution tenant, whose domain is its host; null on a pool edge."),
    )
    .attribute(
        LISTENER_RULE_ARN.attribute()
            .computed()
            .use_state_for_unknown()
            .description("ARN of the listener rule matching the tenant's host: its own, or the group it shares."),
    )
    .attribute(
        Attribute::string_list(DNS_RECORD_TYPES)
            .computed()
            .use_state_for_unknown()
            .description("Types of the Route53 alias records pointing the host at the distribution: `A`, and `AAAA` when the edge has IPv6 on."),
    )
    .block(timeouts_block(&["create", "update", "delete"]));
    Schema::new(SCHEMA_VERSION, block)
}
