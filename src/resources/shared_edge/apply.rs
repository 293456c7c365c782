//! The edge's lifecycle in AWS, step by step: check what it points at, create its policies and
//! first distribution, read it back, bring it to a new specification, delete it.

use std::time::Duration;

use super::flatten;
use super::model::{EdgeIds, EdgeSpec};
use crate::account::{Account, AccountError};
use crate::aws::{AwsError, Deadline, ErrorKind};
use crate::domain::edge::EdgeView;
use crate::domain::tags;

/// Pause between attempts to delete a distribution that AWS still reports as not disabled.
const DELETE_RETRY_PAUSE: Duration = Duration::from_secs(5);
/// How many tenants an error listing an edge's remaining tenants names.
const TENANTS_SHOWN: usize = 20;

/// The DNS name of the load balancer behind a listener: the default origin.
pub async fn listener_origin(
    account: &Account,
    listener_arn: &str,
) -> Result<String, AccountError> {
    let elbv2 = &account.aws.elbv2;
    let listener = elbv2.find_listener_by_arn(listener_arn).await?;
    let listener = exists(listener, || format!("listener {listener_arn}"))?;
    let lb_arn = listener.load_balancer_arn.unwrap_or_default();
    let lb = elbv2.find_load_balancer_by_arn(&lb_arn).await?;
    let lb = exists(lb, || format!("load balancer {lb_arn}"))?;
    lb.dns_name
        .map(|n| n.to_ascii_lowercase())
        .ok_or_else(|| AccountError::Missing(format!("load balancer {lb_arn} has no DNS name")))
}

/// Checks that what the edge points at exists and that no edge of its name does, before
/// anything is created.
pub async fn check_targets(account: &Account, spec: &EdgeSpec) -> Result<(), AccountError> {
    let record = &spec.record;
    let aws = &account.aws;
    let zone = aws.route53.find_hosted_zone_by_id(&record.hosted_zone_id);
    exists(zone.await?, || {
        format!("hosted zone {}", record.hosted_zone_id)
    })?;
    let target_group = aws.elbv2.find_target_group_by_arn(&record.target_group_arn);
    exists(target_group.await?, || {
        format!("target group {}", record.target_group_arn)
    })?;
    if let Some(existing) = account.distributions.find_edge(&record.name).await? {
        return Err(AccountError::Foreign {
            object: format!("edge {}", record.name),
            detail: format!(
                "An edge named {} already exists (distribution {}); import it or choose another name.",
                record.name, existing.members[0].distribution.id
            ),
        });
    }
    Ok(())
}

/// Fails with [`AccountError::Missing`] when a finder found nothing.
fn exists<T>(found: Option<T>, what: impl FnOnce() -> String) -> Result<T, AccountError> {
    found.ok_or_else(|| AccountError::Missing(format!("{} does not exist", what())))
}

/// Creates an edge: its policies, then the pool's first distribution. What was created before
/// a failure is deleted again. Does not wait for the deployment ([`wait_deployed`]).
pub async fn create(account: &Account, spec: &EdgeSpec) -> Result<EdgeIds, AccountError> {
    let cloudfront = &account.aws.cloudfront;
    let cache_policy = cloudfront
        .create_cache_policy(spec.cache_policy_config()?)
        .await
        .map_err(|e| policy_conflict(e, &spec.record.name))?;
    let cache_policy_id = cache_policy.value.id.clone();
    // What was created before a failure is deleted again, best effort: the error reported
    // is the failure's.
    let undo_cache = || cloudfront.delete_cache_policy(&cache_policy_id, &cache_policy.etag);
    let origin_policy = match cloudfront
        .create_origin_request_policy(spec.origin_request_policy_config()?)
        .await
    {
        Ok(p) => p,
        Err(err) => {
            let _ = undo_cache().await;
            return Err(policy_conflict(err, &spec.record.name));
        }
    };
    let origin_request_policy_id = origin_policy.value.id.clone();
    let created =
        create_first_distribution(account, spec, &cache_policy_id, &origin_request_policy_id);
    let first = match created.await {
        Ok(id) => id,
        Err(err) => {
            let origin = &origin_request_policy_id;
            let _ = cloudfront
                .delete_origin_request_policy(origin, &origin_policy.etag)
                .await;
            let _ = undo_cache().await;
            return Err(err);
        }
    };
    Ok(EdgeIds {
        cache_policy_id,
        origin_request_policy_id,
        distribution_ids: vec![first],
    })
}

async fn create_first_distribution(
    account: &Account,
    spec: &EdgeSpec,
    cache_policy_id: &str,
    origin_request_policy_id: &str,
) -> Result<String, AccountError> {
    let config = spec.distribution_config(0, cache_policy_id, origin_request_policy_id)?;
    let tags = spec.tags(&account.settings.default_tags, 0);
    let created = account
        .aws
        .cloudfront
        .create_distribution(config, &tags)
        .await?;
    let edge = &spec.record.name;
    let member = account
        .distributions
        .add_created(edge, 0, &created.value)
        .await;
    account.distributions.forget_record(edge).await;
    Ok(member.distribution.id)
}

/// Waits until every distribution of `ids` is deployed.
pub async fn wait_deployed(
    account: &Account,
    ids: &EdgeIds,
    deadline: &Deadline,
) -> Result<(), AccountError> {
    for id in &ids.distribution_ids {
        account
            .aws
            .cloudfront
            .wait_distribution_deployed(id, deadline)
            .await?;
    }
    Ok(())
}

/// Reads an edge back from AWS: the record and tags of its pool, the first distribution's
/// configuration and the cache policy. `None` when the edge is gone.
pub async fn observe(
    account: &Account,
    edge_id: &str,
) -> Result<Option<(EdgeSpec, EdgeIds)>, AccountError> {
    let Some(edge) = account.distributions.find_edge(edge_id).await? else {
        return Ok(None);
    };
    let cloudfront = &account.aws.cloudfront;
    let first = &edge.members[0].distribution;
    let Some(config) = cloudfront.find_distribution_config_by_id(&first.id).await? else {
        return Ok(None);
    };
    let config = config.value;
    let ids = flatten::edge_ids(&config, edge.distribution_ids());
    let policy = cloudfront
        .find_cache_policy_by_id(&ids.cache_policy_id)
        .await?
        .and_then(|p| p.value.cache_policy_config);
    let on_distribution = cloudfront.list_tags(&first.arn).await?;
    let spec = flatten::edge_spec(
        &edge.record,
        &config,
        policy.as_ref(),
        &on_distribution,
        &account.settings.default_tags,
    );
    Ok(Some((spec, ids)))
}

/// Brings an edge to `spec`: the cache policy, every pool distribution's configuration and
/// tags, the tenants' rules when the target group changed and their AAAA records when IPv6
/// did, then waits for the changed distributions when the edge waits for deployments.
pub async fn update(
    account: &Account,
    spec: &EdgeSpec,
    ids: &EdgeIds,
    previous: &EdgeSpec,
    deadline: &Deadline,
) -> Result<EdgeIds, AccountError> {
    let edge = account.distributions.edge(&spec.record.name).await?;
    let cache = |s: &EdgeSpec| (s.min_ttl, s.default_ttl, s.max_ttl, s.compress);
    if cache(spec) != cache(previous) {
        update_cache_policy(account, spec, &ids.cache_policy_id).await?;
    }
    let changed = update_distributions(account, spec, &edge).await?;
    account.distributions.forget_record(&spec.record.name).await;
    if spec.record.target_group_arn != previous.record.target_group_arn {
        account.rules.repoint(&spec.record).await?;
    }
    if spec.record.ipv6_enabled != previous.record.ipv6_enabled {
        account
            .records
            .follow_ipv6(&edge, spec.record.ipv6_enabled)
            .await?;
    }
    if spec.record.wait_for_deployment {
        for id in &changed {
            account
                .aws
                .cloudfront
                .wait_distribution_deployed(id, deadline)
                .await?;
        }
    }
    Ok(EdgeIds {
        distribution_ids: edge.distribution_ids(),
        ..ids.clone()
    })
}

async fn update_cache_policy(
    account: &Account,
    spec: &EdgeSpec,
    policy_id: &str,
) -> Result<(), AccountError> {
    let cloudfront = &account.aws.cloudfront;
    let current = cloudfront
        .find_cache_policy_by_id(policy_id)
        .await?
        .ok_or_else(|| AccountError::Missing(format!("cache policy {policy_id} is gone")))?;
    cloudfront
        .update_cache_policy(policy_id, &current.etag, spec.cache_policy_config()?)
        .await?;
    Ok(())
}

/// Applies the spec's settings and tags to every pool distribution; answers the ids of those
/// whose configuration changed (and so deploy again).
async fn update_distributions(
    account: &Account,
    spec: &EdgeSpec,
    edge: &EdgeView,
) -> Result<Vec<String>, AccountError> {
    let cloudfront = &account.aws.cloudfront;
    let mut changed = Vec::new();
    for member in &edge.members {
        let distribution = &member.distribution;
        let update = cloudfront
            .update_distribution_config(&distribution.id, |config| Ok(spec.apply_to(config)))
            .await?;
        if update.changed {
            changed.push(distribution.id.clone());
        }
        let wanted = spec.tags(&account.settings.default_tags, member.slot);
        let current = cloudfront.list_tags(&distribution.arn).await?;
        let changes = tags::changes(&current, &wanted, |_| false);
        cloudfront
            .untag_resource(&distribution.arn, &changes.remove)
            .await?;
        cloudfront
            .tag_resource(&distribution.arn, &changes.set)
            .await?;
    }
    Ok(changed)
}

/// Deletes an edge: refuses while tenants remain; otherwise disables every pool distribution,
/// waits until they are deployed, deletes them, then the policies.
pub async fn delete(
    account: &Account,
    edge_id: &str,
    ids: &EdgeIds,
    deadline: &Deadline,
) -> Result<(), AccountError> {
    account.distributions.invalidate().await;
    if let Some(edge) = account.distributions.find_edge(edge_id).await? {
        refuse_while_serving(&edge)?;
        delete_distributions(account, &edge, deadline).await?;
    }
    let cloudfront = &account.aws.cloudfront;
    let origin = &ids.origin_request_policy_id;
    if !origin.is_empty() {
        if let Some(policy) = cloudfront.find_origin_request_policy_by_id(origin).await? {
            cloudfront
                .delete_origin_request_policy(origin, &policy.etag)
                .await?;
        }
    }
    let cache = &ids.cache_policy_id;
    if !cache.is_empty() {
        if let Some(policy) = cloudfront.find_cache_policy_by_id(cache).await? {
            cloudfront.delete_cache_policy(cache, &policy.etag).await?;
        }
    }
    account.distributions.forget_record(edge_id).await;
    Ok(())
}

fn refuse_while_serving(edge: &EdgeView) -> Result<(), AccountError> {
    let tenants: Vec<String> = edge.hosts().into_iter().collect();
    if tenants.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = tenants
        .iter()
        .take(TENANTS_SHOWN)
        .map(String::as_str)
        .collect();
    let more = tenants.len() - shown.len();
    Err(AccountError::Refused(format!(
        "edge {} still serves {} tenant{}: {}{}. Remove them (from every Terraform state that manages them) before the edge.",
        edge.record.name,
        tenants.len(),
        if tenants.len() == 1 { "" } else { "s" },
        shown.join(", "),
        if more > 0 { format!(" and {more} more") } else { String::new() }
    )))
}

async fn delete_distributions(
    account: &Account,
    edge: &EdgeView,
    deadline: &Deadline,
) -> Result<(), AccountError> {
    let cloudfront = &account.aws.cloudfront;
    for member in &edge.members {
        cloudfront
            .disable_distribution(&member.distribution.id)
            .await?;
    }
    for member in &edge.members {
        let id = &member.distribution.id;
        loop {
            let deployed = cloudfront.wait_distribution_deployed(id, deadline).await?;
            match cloudfront.delete_distribution(id, &deployed.etag).await {
                Ok(()) => break,
                // AWS sometimes still reports the disabling as under way.
                Err(err) if err.has_code("DistributionNotDisabled") && !deadline.passed() => {
                    tokio::time::sleep(DELETE_RETRY_PAUSE.min(deadline.remaining())).await;
                }
                Err(err) => return Err(err.into()),
            }
        }
        account.distributions.forget(id).await;
    }
    Ok(())
}

fn policy_conflict(err: AwsError, edge: &str) -> AccountError {
    if err.kind() == ErrorKind::Conflict && err.code().is_some_and(|c| c.ends_with("AlreadyExists"))
    {
        AccountError::Foreign {
            object: format!("CloudFront policy for edge {edge}"),
            detail: format!("{err}."),
        }
    } else {
        err.into()
    }
}
