//! `gateway_tenant`: one partner on an edge — an alias on a pool distribution with free room, a
//! listener rule matching the tenant's host and forwarding to the shared target group, and
//! Route53 alias A/AAAA records pointing the host at the distribution.

use async_trait::async_trait;

use super::not_yet_available;
use crate::domain::naming;
use crate::protocol::resource::{Context, Resource, State};
use crate::protocol::schema::{timeouts_block, Attribute, Block, Schema};
use crate::protocol::validators::{IntBetween, MapOfStrings, StringRule};
use crate::protocol::value::Value;
use crate::protocol::Diagnostics;

pub const TYPE_NAME: &str = "gateway_tenant";

/// The schema version of the stored state.
pub const SCHEMA_VERSION: i64 = 0;

/// The priorities an ALB listener rule may have.
pub const MIN_PRIORITY: i64 = 1;
pub const MAX_PRIORITY: i64 = 50_000;

pub struct TenantResource;

pub fn schema() -> Schema {
    let block = Block::new(
        "One partner of an edge, served at `<name>.<domain>`: an alias on a pool distribution with free room, a listener rule matching the host and forwarding to the shared target group, and Route53 alias A/AAAA records to the distribution.",
    )
    .attribute(
        Attribute::string("id")
            .computed()
            .use_state_for_unknown()
            .description("`<edge_id>/<name>`, also the import id."),
    )
    .attribute(
        Attribute::string("edge_id")
            .required()
            .requires_replace()
            .description("The `id` of the `gateway_shared_edge` the tenant joins; the edge may be managed in another Terraform state.")
            .validator(StringRule {
                description: "An edge id",
                summary: "Invalid edge id",
                check: naming::check_edge_name,
            }),
    )
    .attribute(
        Attribute::string("name")
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
        Attribute::number("priority")
            .optional_computed()
            .use_state_for_unknown()
            .description("Priority of the tenant's listener rule. Left out, the lowest free priority is allocated.")
            .validator(IntBetween(MIN_PRIORITY, MAX_PRIORITY)),
    )
    .attribute(
        Attribute::string_map("tags")
            .optional()
            .description("Tags for the tenant's listener rule, merged over the provider's `default_tags`.")
            .validator(MapOfStrings {
                max_entries: 50,
                max_key_len: 128,
                max_value_len: 256,
            }),
    )
    .attribute(
        Attribute::string("host")
            .computed()
            .use_state_for_unknown()
            .description("The host name the tenant is served at: `<name>.<domain>`."),
    )
    .attribute(
        Attribute::string("distribution_id")
            .computed()
            .use_state_for_unknown()
            .description("Id of the pool distribution holding the tenant's alias."),
    )
    .attribute(
        Attribute::string("distribution_domain_name")
            .computed()
            .use_state_for_unknown()
            .description("Domain name (`*.cloudfront.net`) of that distribution."),
    )
    .attribute(
        Attribute::string("listener_rule_arn")
            .computed()
            .use_state_for_unknown()
            .description("ARN of the tenant's listener rule."),
    )
    .block(timeouts_block(&["create", "delete"]));
    Schema::new(SCHEMA_VERSION, block)
}

#[async_trait]
impl Resource for TenantResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
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
