//! What only a multi-tenant edge has: its connection group, the routing endpoint every
//! tenant's records point at. It is named after the edge and tagged with it, so the create
//! after an interrupted one takes over the group it left.

use super::model::EdgeSpec;
use crate::account::{Account, AccountError};
use crate::aws::saas::GroupInfo;
use crate::aws::Deadline;
use crate::domain::edge::{cache_policy_name, ConnectionGroupRef, EdgeRecord, TAG_EDGE};
use crate::domain::rules::{MANAGED_BY_TAG_KEY, MANAGED_BY_TAG_VALUE};
use crate::domain::tags;

/// The edge's connection group: created, or the one an earlier attempt of this create left.
/// A group of that name that is not this edge's is refused.
pub async fn connection_group(
    account: &Account,
    spec: &EdgeSpec,
) -> Result<ConnectionGroupRef, AccountError> {
    let cloudfront = &account.aws.cloudfront;
    let edge = &spec.record.name;
    let name = cache_policy_name(edge);
    let own = [
        (TAG_EDGE.to_string(), edge.clone()),
        (
            MANAGED_BY_TAG_KEY.to_string(),
            MANAGED_BY_TAG_VALUE.to_string(),
        ),
    ]
    .into();
    let wanted = tags::merge(&account.settings.default_tags, &spec.tags, own);
    let group = match cloudfront
        .create_connection_group(&name, spec.record.ipv6_enabled, &wanted)
        .await
    {
        Ok(group) => group,
        Err(err) if err.has_code("EntityAlreadyExists") => {
            let (found, ours) = named_after(account, edge)
                .await?
                .ok_or(AccountError::Aws(err))?;
            if !ours {
                return Err(AccountError::Foreign {
                    object: format!("CloudFront connection group {name} ({})", found.id),
                    detail: format!(
                        "Its name is the one edge {edge} gives its connection group, but it does not carry the edge's tag {TAG_EDGE}. Rename the edge, or delete the group if nothing uses it."
                    ),
                });
            }
            tracing::info!(edge = %edge, group = %found.id, "taking over the connection group of an interrupted create");
            cloudfront
                .update_connection_group(&found, true, spec.record.ipv6_enabled)
                .await?
        }
        Err(err) => return Err(err.into()),
    };
    Ok(ConnectionGroupRef {
        id: group.id,
        routing_endpoint: group.routing_endpoint,
    })
}

/// The connection group named after edge `edge_id`, and whether it carries the edge's tag
/// (what this edge, or an interrupted create of it, made).
async fn named_after(
    account: &Account,
    edge_id: &str,
) -> Result<Option<(GroupInfo, bool)>, AccountError> {
    let cloudfront = &account.aws.cloudfront;
    let Some(group) = cloudfront
        .find_connection_group(&cache_policy_name(edge_id))
        .await?
    else {
        return Ok(None);
    };
    let tags = cloudfront.list_tags(&group.arn).await?;
    let ours = tags.get(TAG_EDGE).map(String::as_str) == Some(edge_id);
    Ok(Some((group, ours)))
}

/// Whether edge `edge_id` has a connection group of its own.
pub async fn exists(account: &Account, edge_id: &str) -> Result<bool, AccountError> {
    Ok(named_after(account, edge_id)
        .await?
        .is_some_and(|(_, ours)| ours))
}

/// Brings the edge's connection group to the edge's IPv6 setting.
pub async fn follow_ipv6(account: &Account, record: &EdgeRecord) -> Result<(), AccountError> {
    let Some(group) = &record.connection_group else {
        return Ok(());
    };
    let cloudfront = &account.aws.cloudfront;
    if let Some(found) = cloudfront.find_connection_group(&group.id).await? {
        cloudfront
            .update_connection_group(&found, found.enabled, record.ipv6_enabled)
            .await?;
    }
    Ok(())
}

/// Deletes the connection group of edge `edge_id` (disabled first, as CloudFront requires):
/// the group named after the edge, when it carries the edge's tag. Pool edges have none.
pub async fn delete(
    account: &Account,
    edge_id: &str,
    deadline: &Deadline,
) -> Result<(), AccountError> {
    if let Some((group, true)) = named_after(account, edge_id).await? {
        account
            .aws
            .cloudfront
            .delete_connection_group(&group.id, deadline)
            .await?;
    }
    Ok(())
}
