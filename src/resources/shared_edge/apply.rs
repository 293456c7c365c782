//! The edge's lifecycle in AWS, step by step: check what it points at, create its policies and
//! first distribution, read it back, bring it to a new specification, delete it.

use std::time::Duration;

use super::adopt;
use super::flatten;
use super::leftovers;
use super::model::{EdgeIds, EdgeSpec};
use super::multi;
use super::schema;
use crate::account::{Account, AccountError};
use crate::aws::cloudfront::ETAG_CONFLICT_MAX_ATTEMPTS;
use crate::aws::{AwsError, Deadline, ErrorKind};
use crate::domain::edge::{
    cache_policy_name, origin_request_policy_name, parse_pool_comment, DistributionMode, EdgeView,
    TAG_COMMENT,
};
use crate::domain::tags;
use crate::protocol::value::AttributePath;
use crate::protocol::Diagnostics;
use crate::resources::diagnostic::diagnostic;

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

/// Checks that what the edge points at exists, before anything is created.
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
    Ok(())
}

/// The plan-time form of [`check_targets`], read-only: each of the hosted zone, the listener
/// and the target group that is new or changed in this plan must exist in the provider's
/// account and region; a missing one is reported on its attribute. Values not known yet are
/// checked at apply.
pub async fn check_targets_planned(
    account: &Account,
    spec: &EdgeSpec,
    previous: Option<&EdgeSpec>,
    diags: &mut Diagnostics,
) {
    let record = &spec.record;
    let changed = |now: &str, before: fn(&EdgeSpec) -> &str| {
        !now.is_empty() && previous.is_none_or(|p| before(p) != now)
    };
    let aws = &account.aws;
    let action = format!("planning gateway shared edge {}", record.name);
    let mut report = |found: Result<bool, crate::aws::AwsError>, attribute: &str, what: String| {
        let err = match found {
            Ok(true) => return,
            Ok(false) => AccountError::Missing(format!(
                "{what} does not exist in the provider's account and region (a load balancer in another region needs a provider configured for that region)"
            )),
            Err(err) => err.into(),
        };
        diags.push(diagnostic(&err, &action).at(AttributePath::root().attribute(attribute)));
    };
    let zone = &record.hosted_zone_id;
    if changed(zone, |p| &p.record.hosted_zone_id) {
        let found = aws.route53.find_hosted_zone_by_id(zone).await;
        report(
            found.map(|z| z.is_some()),
            schema::HOSTED_ZONE_ID.name,
            format!("hosted zone {zone}"),
        );
    }
    let listener = &record.listener_arn;
    if changed(listener, |p| &p.record.listener_arn) {
        let found = aws.elbv2.find_listener_by_arn(listener).await;
        report(
            found.map(|l| l.is_some()),
            schema::ALB_LISTENER_ARN.name,
            format!("listener {listener}"),
        );
    }
    let group = &record.target_group_arn;
    if changed(group, |p| &p.record.target_group_arn) {
        let found = aws.elbv2.find_target_group_by_arn(group).await;
        report(
            found.map(|g| g.is_some()),
            schema::TARGET_GROUP_ARN.name,
            format!("target group {group}"),
        );
    }
}

/// Fails with [`AccountError::Missing`] when a finder found nothing.
/// The plan of an edge over adopted distributions: each must fit it, or the plan fails at
/// `adopt_distribution_ids` with what differs.
pub async fn check_adoption_planned(
    account: &Account,
    mut spec: EdgeSpec,
    diags: &mut Diagnostics,
) {
    let action = format!("planning gateway shared edge {}", spec.record.name);
    let checked = async {
        if spec.origin_domain_name.is_empty() {
            spec.origin_domain_name = listener_origin(account, &spec.record.listener_arn).await?;
        }
        adopt::check(account, &spec).await
    }
    .await;
    if let Err(err) = checked {
        let at = AttributePath::root().attribute(schema::ADOPT_DISTRIBUTION_IDS);
        diags.push(diagnostic(&err, &action).at(at));
    }
}

fn exists<T>(found: Option<T>, what: impl FnOnce() -> String) -> Result<T, AccountError> {
    found.ok_or_else(|| AccountError::Missing(format!("{} does not exist", what())))
}

/// Creates an edge: its cache policy, its origin request policy, then the pool's first
/// distribution. Every step is idempotent across retries and re-runs: what an interrupted
/// earlier attempt left is found under the edge's names and taken over ([`leftovers`]), and
/// the cache policy's id is the pool's generation, so the first distribution's caller
/// reference is the earlier attempt's and CloudFront answers a repeated create with the
/// distribution it made. Policies made by this call are deleted again when a later step
/// fails. Does not wait for the deployment ([`wait_deployed`]).
pub async fn create(account: &Account, spec: &mut EdgeSpec) -> Result<EdgeIds, AccountError> {
    let name = spec.record.name.clone();
    let found = leftovers::current_edge(account, &name).await?;
    let in_edge = found
        .as_ref()
        .map(EdgeView::distribution_ids)
        .unwrap_or_default();
    let adopting = spec.record.adoption.is_some();
    if adopting {
        adopt::check(account, spec).await?;
    }
    let cache = cache_policy(account, spec, &in_edge).await?;
    spec.record.generation = cache.id.clone();
    let leftover = match found {
        // An edge over adopted distributions finishes its take-over instead.
        Some(_) if adopting => None,
        Some(found) => {
            leftovers::judge_edge(&found, &spec.record.generation)?;
            tracing::info!(edge = %name, "taking over the first distribution of an interrupted create");
            Some(found)
        }
        None => None,
    };
    if cache.adopted {
        update_cache_policy(account, spec, &cache.id).await?;
    }
    let origin = match origin_request_policy(account, spec, &in_edge).await {
        Ok(origin) => origin,
        Err(err) => {
            if !cache.adopted && leftover.is_none() {
                undo_cache_policy(account, &cache.id).await;
            }
            return Err(err);
        }
    };
    if spec.record.mode == DistributionMode::MultiTenant {
        match multi::connection_group(account, spec).await {
            Ok(group) => spec.record.connection_group = Some(group),
            Err(err) => {
                if leftover.is_none() {
                    if !origin.adopted {
                        undo_origin_request_policy(account, &origin.id).await;
                    }
                    if !cache.adopted {
                        undo_cache_policy(account, &cache.id).await;
                    }
                }
                return Err(err);
            }
        }
    }
    let first = match &leftover {
        _ if adopting => adopt::take_over(account, spec, &cache.id, &origin.id).await,
        Some(found) => update_distributions(account, spec, found)
            .await
            .map(|_| vec![found.members[0].distribution.id.clone()]),
        None => create_first_distribution(account, spec, &cache.id, &origin.id)
            .await
            .map(|id| vec![id]),
    };
    match first {
        Ok(distribution_ids) => Ok(EdgeIds {
            cache_policy_id: cache.id,
            origin_request_policy_id: origin.id,
            distribution_ids,
        }),
        Err(err) => {
            // Best effort, and only what this call made: the error reported is the failure's,
            // and what stays is taken over by the next create.
            let made = leftovers::current_edge(account, &name).await;
            if leftover.is_none() && made.is_ok_and(|edge| edge.is_none()) {
                if !origin.adopted {
                    undo_origin_request_policy(account, &origin.id).await;
                }
                if !cache.adopted {
                    undo_cache_policy(account, &cache.id).await;
                }
            }
            Err(err)
        }
    }
}

async fn undo_cache_policy(account: &Account, id: &str) {
    let cloudfront = &account.aws.cloudfront;
    if let Ok(Some(policy)) = cloudfront.find_cache_policy_by_id(id).await {
        let _ = cloudfront.delete_cache_policy(id, &policy.etag).await;
    }
}

async fn undo_origin_request_policy(account: &Account, id: &str) {
    let cloudfront = &account.aws.cloudfront;
    if let Ok(Some(policy)) = cloudfront.find_origin_request_policy_by_id(id).await {
        let _ = cloudfront
            .delete_origin_request_policy(id, &policy.etag)
            .await;
    }
}

/// A policy the create made or took over.
struct OwnPolicy {
    id: String,
    adopted: bool,
}

/// The edge's cache policy: created, or the one an earlier attempt left (see [`leftovers`]).
/// A policy taken over keeps its settings until [`create`] has checked the edge.
async fn cache_policy(
    account: &Account,
    spec: &EdgeSpec,
    in_edge: &[String],
) -> Result<OwnPolicy, AccountError> {
    let cloudfront = &account.aws.cloudfront;
    let config = spec.cache_policy_config()?;
    let name = config.name.clone();
    let created = cloudfront
        .create_cache_policy(config)
        .await
        .map(|p| p.value.id);
    own_policy(spec, in_edge, "cache policy", &name, created, || async {
        let found = cloudfront.find_cache_policy_by_name(&name).await?;
        let Some(found) = found else { return Ok(None) };
        let comment = found.value.cache_policy_config.and_then(|c| c.comment);
        let users = cloudfront
            .distributions_using_cache_policy(&found.value.id)
            .await?;
        Ok(Some((found.value.id, comment.unwrap_or_default(), users)))
    })
    .await
}

/// The edge's origin request policy: created, or the one an earlier attempt left.
async fn origin_request_policy(
    account: &Account,
    spec: &EdgeSpec,
    in_edge: &[String],
) -> Result<OwnPolicy, AccountError> {
    let cloudfront = &account.aws.cloudfront;
    let config = spec.origin_request_policy_config()?;
    let name = config.name.clone();
    let created = cloudfront
        .create_origin_request_policy(config)
        .await
        .map(|p| p.value.id);
    own_policy(
        spec,
        in_edge,
        "origin request policy",
        &name,
        created,
        || async {
            let found = cloudfront.find_origin_request_policy_by_name(&name).await?;
            let Some(found) = found else { return Ok(None) };
            let comment = found
                .value
                .origin_request_policy_config
                .and_then(|c| c.comment);
            let users = cloudfront
                .distributions_using_origin_request_policy(&found.value.id)
                .await?;
            Ok(Some((found.value.id, comment.unwrap_or_default(), users)))
        },
    )
    .await
}

/// The policy `created` made, or, when its name was taken, the policy under that name once
/// [`leftovers::judge_policy`] finds it the edge's own: `find` answers its id, comment and the
/// distributions using it.
async fn own_policy<F, Fut>(
    spec: &EdgeSpec,
    in_edge: &[String],
    kind: &str,
    name: &str,
    created: Result<String, AwsError>,
    find: F,
) -> Result<OwnPolicy, AccountError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Option<(String, String, Vec<String>)>, AwsError>>,
{
    match created {
        Ok(id) => return Ok(OwnPolicy { id, adopted: false }),
        Err(err) if !already_exists(&err) => return Err(err.into()),
        Err(_) => {}
    }
    let (id, comment, users) = find().await?.ok_or_else(|| AccountError::Inconsistent {
        object: format!("CloudFront {kind} {name}"),
        detail: "CloudFront says it exists, but does not list it".into(),
    })?;
    let seen = leftovers::FoundPolicy {
        kind,
        name,
        id: &id,
        comment: &comment,
        users: &users,
    };
    leftovers::judge_policy(&spec.record.name, &seen, in_edge)?;
    tracing::info!(edge = %spec.record.name, policy = %id, "taking over the {kind} of an interrupted create");
    Ok(OwnPolicy { id, adopted: true })
}

fn already_exists(err: &AwsError) -> bool {
    err.kind() == ErrorKind::Conflict && err.code().is_some_and(|c| c.ends_with("AlreadyExists"))
}

/// Creates the pool's first distribution. Its caller reference is the same in every attempt
/// of this create, so CloudFront answers a repeat with the distribution it already made; when
/// the configuration changed in between it refuses (`DistributionAlreadyExists`), and the one
/// made earlier is brought to the new configuration instead.
async fn create_first_distribution(
    account: &Account,
    spec: &EdgeSpec,
    cache_policy_id: &str,
    origin_request_policy_id: &str,
) -> Result<String, AccountError> {
    let config = match spec.record.mode {
        DistributionMode::Pool => {
            spec.distribution_config(0, cache_policy_id, origin_request_policy_id)?
        }
        DistributionMode::MultiTenant => {
            spec.multi_tenant_config(cache_policy_id, origin_request_policy_id)?
        }
    };
    let tags = spec.tags(&account.settings.default_tags, 0);
    let edge = &spec.record.name;
    let created = match account
        .aws
        .cloudfront
        .create_distribution(config, &tags)
        .await
    {
        Ok(created) => created,
        Err(err) if err.has_code("DistributionAlreadyExists") => {
            account.distributions.invalidate().await;
            let found = account.distributions.find_edge(edge).await?.ok_or(err)?;
            leftovers::judge_edge(&found, &spec.record.generation)?;
            update_distributions(account, spec, &found).await?;
            account.distributions.forget_record(edge).await;
            return Ok(found.members[0].distribution.id.clone());
        }
        Err(err) => return Err(err.into()),
    };
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
    let mut ids = flatten::edge_ids(&config, edge.distribution_ids());
    if adopt::keeps(edge.record.adoption.as_ref(), &first.id) {
        // Its behaviour uses policies of its own: the edge's are found by their names.
        ids.cache_policy_id = cloudfront
            .find_cache_policy_by_name(&cache_policy_name(edge_id))
            .await?
            .map(|p| p.value.id)
            .unwrap_or_default();
        ids.origin_request_policy_id = cloudfront
            .find_origin_request_policy_by_name(&origin_request_policy_name(edge_id))
            .await?
            .map(|p| p.value.id)
            .unwrap_or_default();
    }
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

/// An edge as a list block finds it.
pub struct ListedEdge {
    pub edge: EdgeView,
    /// What it is made of, when the state was asked for (`None` also for an edge gone
    /// meanwhile).
    pub state: Option<(EdgeSpec, EdgeIds)>,
}

/// The edges of the account by name, at most `limit`, each with what it is made of when
/// `include_state`.
pub async fn list(
    account: &Account,
    include_state: bool,
    limit: usize,
) -> Result<Vec<ListedEdge>, AccountError> {
    let all = account.distributions.all().await?;
    let names: std::collections::BTreeSet<String> = all
        .iter()
        .filter_map(|d| parse_pool_comment(&d.comment).map(|(edge, _)| edge.to_string()))
        .collect();
    let mut found = Vec::new();
    for name in names.into_iter().take(limit) {
        let Some(edge) = account.distributions.find_edge(&name).await? else {
            continue;
        };
        let state = if include_state {
            observe(account, &name).await?
        } else {
            None
        };
        found.push(ListedEdge { edge, state });
    }
    Ok(found)
}

/// Whether something the edge made outlives its distributions (a destroy or a create
/// interrupted between its steps, or distributions deleted by hand): the policies its state
/// names, or a multi-tenant edge's connection group. The edge then stays in state, so that a
/// destroy removes them and an apply replaces the edge, instead of losing track of them.
pub async fn outlived(
    account: &Account,
    edge_id: &str,
    ids: &EdgeIds,
    mode: DistributionMode,
) -> Result<bool, AccountError> {
    let cloudfront = &account.aws.cloudfront;
    let cache = &ids.cache_policy_id;
    if !cache.is_empty() && cloudfront.find_cache_policy_by_id(cache).await?.is_some() {
        return Ok(true);
    }
    let origin = &ids.origin_request_policy_id;
    if !origin.is_empty()
        && cloudfront
            .find_origin_request_policy_by_id(origin)
            .await?
            .is_some()
    {
        return Ok(true);
    }
    if mode == DistributionMode::MultiTenant {
        return multi::exists(account, edge_id).await;
    }
    Ok(false)
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
        multi::follow_ipv6(account, &spec.record).await?;
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

/// Brings the cache policy to the spec's settings. A stale ETag (another writer, or the SDK
/// retrying an update whose answer was lost) is read again and the update repeated.
async fn update_cache_policy(
    account: &Account,
    spec: &EdgeSpec,
    policy_id: &str,
) -> Result<(), AccountError> {
    let cloudfront = &account.aws.cloudfront;
    let mut attempt = 1;
    loop {
        let current = cloudfront
            .find_cache_policy_by_id(policy_id)
            .await?
            .ok_or_else(|| AccountError::Missing(format!("cache policy {policy_id} is gone")))?;
        match cloudfront
            .update_cache_policy(policy_id, &current.etag, spec.cache_policy_config()?)
            .await
        {
            Ok(_) => return Ok(()),
            Err(err)
                if err.has_code("PreconditionFailed") && attempt < ETAG_CONFLICT_MAX_ATTEMPTS =>
            {
                attempt += 1;
            }
            Err(err) => return Err(err.into()),
        }
    }
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
    let adoption = edge.record.adoption.as_ref();
    for member in &edge.members {
        let distribution = &member.distribution;
        // An adopted distribution whose settings stay its own is only tagged.
        if !adopt::keeps(adoption, &distribution.id) {
            let update = cloudfront
                .update_distribution_config(&distribution.id, |config| Ok(spec.apply_to(config)))
                .await?;
            if update.changed {
                changed.push(distribution.id.clone());
            }
        }
        let mut wanted = spec.tags(&account.settings.default_tags, member.slot);
        let current = cloudfront.list_tags(&distribution.arn).await?;
        if let Some(comment) = current.get(TAG_COMMENT) {
            wanted.insert(TAG_COMMENT.into(), comment.clone());
        }
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

/// Deletes an edge: refuses while tenants remain; otherwise lets adopted distributions go,
/// disables every distribution it created, waits until they are deployed, deletes them, then
/// a multi-tenant edge's connection group, then the policies.
pub async fn delete(
    account: &Account,
    edge_id: &str,
    ids: &EdgeIds,
    mode: DistributionMode,
    deadline: &Deadline,
) -> Result<(), AccountError> {
    account.distributions.invalidate().await;
    let mut policies_in_use = false;
    if let Some(edge) = account.distributions.find_edge(edge_id).await? {
        refuse_while_serving(&edge)?;
        policies_in_use = adopt::let_go(account, &edge).await?;
        delete_distributions(account, &edge, deadline).await?;
    }
    if mode == DistributionMode::MultiTenant {
        multi::delete(account, edge_id, deadline).await?;
    }
    if policies_in_use {
        // The distributions it let go still use them: they stay, with the edge's marker.
        tracing::warn!(edge = %edge_id, "the edge's policies stay: adopted distributions it let go use them");
        account.distributions.forget_record(edge_id).await;
        return Ok(());
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
    let adopted = edge.record.adoption.as_ref().map(|a| a.ids.as_slice());
    let own: Vec<_> = edge
        .members
        .iter()
        .filter(|m| !adopted.unwrap_or_default().contains(&m.distribution.id))
        .collect();
    for member in &own {
        cloudfront
            .disable_distribution(&member.distribution.id)
            .await?;
    }
    for member in &own {
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
