//! `gateway_edge_deployment` (data source): the point at which an edge's partners are served.
//! Tenants return as soon as AWS has accepted their alias, rule and records, so that hundreds
//! of them are applied in about one CloudFront deployment instead of one deployment each; this
//! data source, read after them (`depends_on`), waits once for the whole edge: every pool
//! distribution `Deployed` and every Route53 change of this run `INSYNC`.

use async_trait::async_trait;
use futures::future::try_join_all;

use super::diagnostic::diagnostic;
use super::model;
use crate::account::{Account, AccountError};
use crate::aws::Deadline;
use crate::domain::edge::{DistributionMode, EdgeView};
use crate::protocol::resource::{Context, DataSource};
use crate::protocol::schema::{timeouts_block, Attribute, Block, Schema};
use crate::protocol::value::{Type, Value};
use crate::protocol::Diagnostics;

pub const TYPE_NAME: &str = "gateway_edge_deployment";

pub struct EdgeDeploymentDataSource;

fn distribution_type() -> Type {
    Type::object([
        ("id", Type::String),
        ("status", Type::String),
        ("aliases", Type::Number),
    ])
}

pub fn schema() -> Schema {
    let block = Block::new(
        "Waits until an edge serves everything it was given: every pool distribution `Deployed` on CloudFront and every Route53 change this Terraform run made `INSYNC`. Tenants do not wait for their own deployment (that would cost one deployment per tenant); read this data source with `depends_on` on the tenants to end an apply only when every new partner is served, at the cost of one wait for the whole edge.",
    )
    .attribute(model::edge_id_attribute())
    .attribute(
        Attribute::new("distributions", Type::List(Box::new(distribution_type())))
            .computed()
            .description("The pool's distributions, deployed: `id`, `status` (`Deployed`), `aliases` (tenants it serves)."),
    )
    .attribute(
        Attribute::new("hosts", Type::List(Box::new(Type::String)))
            .computed()
            .description("Every tenant host the edge serves, sorted."),
    )
    .block(timeouts_block(&["read"]));
    Schema::new(0, block)
}

#[async_trait]
impl DataSource for EdgeDeploymentDataSource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn read(&self, ctx: &Context, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let account = ctx.data::<Account>(diags)?;
        let edge_id = model::string(config, "edge_id").unwrap_or_default();
        let deadline = model::deadline(ctx, config, "read");
        let action = format!("waiting for edge {edge_id} to deploy");
        let waited = async {
            // Statuses change behind any cache: read the pool afresh.
            account.distributions.invalidate().await;
            let edge = account.distributions.edge(&edge_id).await?;
            // The records sync while the distributions deploy: the two waits overlap.
            let in_sync = account
                .records
                .await_in_sync(&edge.record.hosted_zone_id, &deadline);
            futures::try_join!(deployed(&account, &edge, &deadline), in_sync)?;
            Ok::<_, AccountError>(edge)
        };
        let edge = match waited.await {
            Ok(edge) => edge,
            Err(err) => {
                diags.push(diagnostic(&err, &action));
                return None;
            }
        };
        let distributions: Vec<Value> = edge
            .members
            .iter()
            .map(|m| {
                Value::object([
                    ("id", Value::String(m.distribution.id.clone())),
                    ("status", Value::from("Deployed")),
                    ("aliases", Value::from(m.distribution.aliases.len() as i64)),
                ])
            })
            .collect();
        let hosts: Vec<Value> = edge.hosts().into_iter().map(Value::String).collect();
        Some(Value::object([
            ("edge_id", Value::String(edge_id)),
            ("distributions", Value::List(distributions)),
            ("hosts", Value::List(hosts)),
            (
                "timeouts",
                config.get("timeouts").cloned().unwrap_or(Value::Null),
            ),
        ]))
    }
}

/// Waits until every distribution of `edge` reports `Deployed`, and on a multi-tenant edge
/// every distribution tenant too.
async fn deployed(
    account: &Account,
    edge: &EdgeView,
    deadline: &Deadline,
) -> Result<(), AccountError> {
    let cloudfront = &account.aws.cloudfront;
    // One poller per distribution, all at once: they deploy in parallel.
    try_join_all(
        edge.members
            .iter()
            .map(|m| cloudfront.wait_distribution_deployed(&m.distribution.id, deadline)),
    )
    .await?;
    if edge.record.mode == DistributionMode::MultiTenant {
        // A multi-tenant edge serves each tenant once its distribution tenant deploys.
        let distribution = &edge.members[0].distribution.id;
        account.distributions.forget_tenants(distribution).await;
        let tenants = account.distributions.tenants_of(distribution).await?;
        try_join_all(
            tenants
                .iter()
                .map(|t| cloudfront.wait_tenant_deployed(&t.id, deadline)),
        )
        .await?;
    }
    Ok(())
}
