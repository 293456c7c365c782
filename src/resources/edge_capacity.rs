//! `gateway_edge_capacity` (data source): how full an edge is — per pool distribution the
//! aliases used and free, the listener rules used against the load balancer's quota, and the
//! tenants both leave room for, counted in hosts as the plan-time check counts them.

use async_trait::async_trait;

use super::diagnostic::diagnostic;
use super::model;
use crate::account::{Account, AccountError};
use crate::domain::capacity::RuleRoom;
use crate::protocol::resource::{Context, DataSource};
use crate::protocol::schema::{Attribute, Block, Schema};
use crate::protocol::value::{Type, Value};
use crate::protocol::Diagnostics;

pub const TYPE_NAME: &str = "gateway_edge_capacity";

pub struct EdgeCapacityDataSource;

fn distribution_type() -> Type {
    Type::object([
        ("slot", Type::Number),
        ("id", Type::String),
        ("domain_name", Type::String),
        ("status", Type::String),
        ("aliases_used", Type::Number),
        ("aliases_free", Type::Number),
    ])
}

pub fn schema() -> Schema {
    let block = Block::new(
        "How full an edge is: its pool's distributions with the aliases each holds and can still take, the listener rules used against the load balancer's quota, and the tenants both leave room for, counted in hosts as the plan-time check counts them. Reads what AWS holds now, so it also counts tenants managed in other Terraform states.",
    )
    .attribute(model::edge_id_attribute())
    .attribute(
        Attribute::new("distributions", Type::List(Box::new(distribution_type())))
            .computed()
            .description("The pool's distributions in slot order: `slot`, `id`, `domain_name`, `status`, `aliases_used`, `aliases_free`. A multi-tenant edge has one, whose `aliases_used` counts its distribution tenants and whose `domain_name` is the routing endpoint."),
    )
    .attribute(Attribute::number("tenants").computed().description("Tenants on the edge: aliases of its pool, or distribution tenants of a multi-tenant edge."))
    .attribute(
        Attribute::number("aliases_free")
            .computed()
            .description("Tenants the edge can still take, counting the distributions the pool may still grow by (`max_distributions`). On a multi-tenant edge: the room left under the account's quota of 10,000 distribution tenants, counting those of other distributions."),
    )
    .attribute(
        Attribute::number("listener_rules_used")
            .computed()
            .description("Rules on the load balancer of the edge's listener, all its listeners together and their default rules excluded, as AWS counts them against the rules-per-load-balancer quota."),
    )
    .attribute(
        Attribute::number("listener_rules_quota")
            .computed()
            .description("The edge's `max_listener_rules`."),
    )
    .attribute(
        Attribute::number("listener_rules_free")
            .computed()
            .description("Rules the load balancer can still take under that quota."),
    )
    .attribute(
        Attribute::string("rule_layout")
            .computed()
            .description("The edge's `rule_layout`: `grouped` or `per_tenant`."),
    )
    .attribute(
        Attribute::number("hosts_per_rule")
            .computed()
            .description("Tenant hosts one new listener rule matches: 5 when the edge groups them, else 1."),
    )
    .attribute(
        Attribute::number("rule_hosts_free")
            .computed()
            .description("Tenant hosts the load balancer can still match: `listener_rules_free` times `hosts_per_rule`, plus the room left in the groups of the Terraform state reading this (the groups it may write)."),
    )
    .attribute(
        Attribute::number("tenants_free")
            .computed()
            .description("Tenants this state can still add to the edge: the lesser of `aliases_free` and `rule_hosts_free`. It is the room the plan-time check admits."),
    );
    Schema::new(0, block)
}

#[async_trait]
impl DataSource for EdgeCapacityDataSource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn read(&self, ctx: &Context, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let account = ctx.data::<Account>(diags)?;
        let edge_id = model::string(config, "edge_id").unwrap_or_default();
        let action = format!("reading the capacity of edge {edge_id}");
        let read = async {
            let edge = account.distributions.edge(&edge_id).await?;
            let owner = crate::resources::tenant::workspace_owner(&edge_id);
            let room = account.rules.room(&edge.record, &owner).await?;
            Ok::<_, AccountError>((edge, room))
        };
        let (edge, room) = match read.await {
            Ok(read) => read,
            Err(err) => {
                diags.push(diagnostic(&err, &action));
                return None;
            }
        };
        let room = RuleRoom {
            used: Some(room.used.unwrap_or_default()),
            ..room
        };
        let capacity = match account.pool.capacity(Some(&edge), &edge.record, room).await {
            Ok(capacity) => capacity,
            Err(err) => {
                diags.push(diagnostic(&err, &action));
                return None;
            }
        };
        let distributions: Vec<Value> = edge
            .members
            .iter()
            .zip(&capacity.distributions)
            .map(|(m, room)| {
                Value::object([
                    ("slot", Value::from(i64::from(m.slot))),
                    ("id", Value::String(m.distribution.id.clone())),
                    (
                        "domain_name",
                        Value::String(m.distribution.domain_name.clone()),
                    ),
                    ("status", Value::String(m.distribution.status.clone())),
                    ("aliases_used", count(room.used)),
                    ("aliases_free", count(room.free)),
                ])
            })
            .collect();
        Some(Value::object([
            ("edge_id", Value::String(edge_id)),
            ("distributions", Value::List(distributions)),
            ("tenants", count(capacity.tenants)),
            ("aliases_free", count(capacity.aliases_free)),
            (
                "listener_rules_used",
                count(capacity.rules_used.unwrap_or_default()),
            ),
            ("listener_rules_quota", count(capacity.rules_quota)),
            ("listener_rules_free", count(capacity.rules_free())),
            ("rule_layout", Value::from(edge.record.rule_layout.as_str())),
            ("hosts_per_rule", count(capacity.hosts_per_rule)),
            ("rule_hosts_free", count(capacity.rule_hosts_free())),
            ("tenants_free", count(capacity.tenants_free())),
        ]))
    }
}

fn count(n: usize) -> Value {
    Value::from(n as i64)
}
