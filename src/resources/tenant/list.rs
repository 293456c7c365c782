//! `list "gateway_tenant"` (`terraform query`): every host on an edge's pool, as a tenant to
//! import. A host whose rule or records have another shape than a tenant's is reported with
//! what differs instead, so that nothing is imported to be rewritten.

use super::apply::{observe, Seen, Surroundings};
use super::model::Tenant;
use super::schema::EDGE_ID;
use crate::account::{Account, AccountError};
use crate::domain::edge::EdgeView;
use crate::protocol::resource::Listed;
use crate::protocol::schema::{Block, Schema};
use crate::protocol::value::Value;
use crate::protocol::Diagnostics;

/// The list block's configuration: the edge whose tenants to list.
pub fn schema() -> Schema {
    Schema::new(
        0,
        Block::new("Lists the tenants of an edge: the hosts its pool distributions serve.")
            .attribute(
                super::super::model::edge_id_attribute()
                    .description("The `id` of the edge whose tenants to list."),
            ),
    )
}

/// The tenants of edge `edge_id`, at most `limit`, with their states when `include_state`.
pub async fn tenants(
    account: &Account,
    edge_id: &str,
    include_state: bool,
    limit: usize,
) -> Result<Vec<Listed>, AccountError> {
    let edge = account.distributions.edge(edge_id).await?;
    let mut found = Vec::new();
    for host in edge.hosts() {
        if found.len() >= limit {
            break;
        }
        found.push(tenant(account, &edge, &host, include_state).await?);
    }
    Ok(found)
}

async fn tenant(
    account: &Account,
    edge: &EdgeView,
    host: &str,
    include_state: bool,
) -> Result<Listed, AccountError> {
    let record = &edge.record;
    let name = host
        .strip_suffix(&format!(".{}", record.domain))
        .filter(|name| record.tenant_host(name).as_deref() == Ok(host));
    let Some(name) = name else {
        return Ok(reported(
            host,
            format!(
                "{host} is an alias of edge {}, but not a tenant host (<name>.{}).",
                record.name, record.domain
            ),
        ));
    };
    let around = Surroundings::fetch(account, edge, name).await?;
    let view = around.view();
    let misfits = view.misfits();
    if !misfits.is_empty() {
        return Ok(reported(
            host,
            format!(
                "Tenant {name} ({host}) differs from a tenant this provider manages, so it is not listed for import: {}.",
                misfits.join("; ")
            ),
        ));
    }
    let tenant = Tenant {
        edge_id: record.name.clone(),
        name: name.to_string(),
        tags_null: true,
        listener_rule_arn: view
            .rule(None)
            .or_else(|| view.adoptable_rule())
            .map(|r| r.arn.clone()),
        ..Tenant::default()
    };
    let identity = Value::object([
        (EDGE_ID.name, Value::from(record.name.as_str())),
        (super::schema::NAME.name, Value::from(name)),
    ]);
    let state = if include_state {
        match observe(account, tenant.clone()).await? {
            Seen::Found(observed, _) => Some(observed.to_value()),
            Seen::Gone | Seen::TakenOver(_) => None,
        }
    } else {
        None
    };
    let holder = tenant
        .listener_rule_arn
        .as_deref()
        .map_or(String::new(), |arn| format!(", rule {arn}"));
    Ok(Listed {
        identity: Some(identity),
        display_name: format!("{host} on edge {}{holder}", record.name),
        state,
        diagnostics: Diagnostics::new(),
    })
}

/// A host reported, not listed.
fn reported(host: &str, detail: String) -> Listed {
    let mut diagnostics = Diagnostics::new();
    diagnostics.warning(format!("{host} is not listed"), detail);
    Listed {
        identity: None,
        display_name: host.to_string(),
        state: None,
        diagnostics,
    }
}
