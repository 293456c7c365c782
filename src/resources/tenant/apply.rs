//! The tenant's lifecycle in AWS, step by step: what surrounds its host, creating or repairing
//! its parts (alias and rule together, then records), reading what exists, and removing
//! exactly what is its own. No step waits for CloudFront to deploy or Route53 to be in sync:
//! a tenant is done when AWS has accepted its changes, and `gateway_edge_deployment` waits
//! once for the whole edge.

use std::sync::Arc;

use super::model::{own_claims, workspace_claim, workspace_owner, Tenant};
use crate::account::{Account, AccountError, Group, HostRecords, NewRule, Placed};
use crate::aws::Deadline;
use crate::domain::edge::{DistributionMode, EdgeView, RuleLayout, TAG_EDGE, TAG_TENANT};
use crate::domain::rules::{RuleInfo, MANAGED_BY_TAG_KEY, MANAGED_BY_TAG_VALUE};
use crate::domain::tags::{self, Tags};
use crate::domain::tenant::{
    expected_record_types, types_pointing_at, Holder, TenantView, TAG_CLAIM,
};

/// What AWS holds around a tenant's host, from the account's shared reads: the snapshot the
/// domain's decisions about the tenant are made from.
pub struct Surroundings<'a> {
    pub edge: &'a EdgeView,
    pub name: &'a str,
    pub host: String,
    pub rules: Arc<Vec<RuleInfo>>,
    pub records: HostRecords,
}

impl<'a> Surroundings<'a> {
    pub async fn fetch(
        account: &Account,
        edge: &'a EdgeView,
        name: &'a str,
    ) -> Result<Self, AccountError> {
        let host = tenant_host(edge, name)?;
        let record = &edge.record;
        // Both are shared reads: the first tenant read of a run loads them, at once.
        let (rules, records) = tokio::try_join!(
            account.rules.of_listener(&record.listener_arn),
            account.records.of_host(&record.hosted_zone_id, &host),
        )?;
        Ok(Self {
            rules,
            records,
            edge,
            name,
            host,
        })
    }

    pub fn view(&self) -> TenantView<'_> {
        TenantView {
            edge: self.edge,
            name: self.name,
            host: &self.host,
            rules: &self.rules,
            records: &self.records.infos,
        }
    }

    /// Fails with [`AccountError::Claimed`] when the tenant already serves under another
    /// resource's claim: a second resource or state declaring the same tenant is refused, and
    /// only the leftovers of an interrupted create are taken over.
    pub fn refuse_held(&self, claims: &[String]) -> Result<(), AccountError> {
        let claims: Vec<&str> = claims.iter().map(String::as_str).collect();
        let Holder::Another { claim: held } = self.view().holder(&claims) else {
            return Ok(());
        };
        let rule = self
            .view()
            .rule(None)
            .map(|r| r.arn.as_str())
            .unwrap_or_default();
        Err(AccountError::Claimed {
            object: format!("tenant {} ({})", self.name, self.host),
            detail: format!(
                "It is already managed on edge {} (listener rule {rule}{}), by another resource of this configuration or by another Terraform state. \
                 A tenant has one owner: remove this block, or move the tenant here by removing it from the other state (terraform state rm) and importing it: terraform import <address of this gateway_tenant> {}/{}",
                self.edge.record.name,
                match held {
                    Some(claim) => format!(", claim {claim}"),
                    None => String::new(),
                },
                self.edge.record.name,
                self.name,
            ),
        })
    }

    /// Fails with [`AccountError::Foreign`] when something the provider did not create is in
    /// the way of the tenant.
    pub async fn refuse_foreign(&self, account: &Account) -> Result<(), AccountError> {
        let distributions = account.distributions.all().await?;
        match self.view().foreign(&distributions) {
            Some(found) => Err(AccountError::Foreign {
                object: found.object,
                detail: found.detail,
            }),
            None => Ok(()),
        }
    }
}

/// The host of tenant `name` on `edge`.
pub fn tenant_host(edge: &EdgeView, name: &str) -> Result<String, AccountError> {
    edge.record
        .tenant_host(name)
        .map_err(|reason| AccountError::Inconsistent {
            object: format!("edge {}", edge.record.name),
            detail: reason,
        })
}

/// A tenant's changes that stopped on an error, with the state of what exists so far.
pub struct Unfinished {
    pub err: AccountError,
    pub partial: Tenant,
    /// Whether any step had begun writing: a refusal before the first write leaves nothing
    /// to roll back.
    pub wrote: bool,
}

/// Brings every part of a tenant to what it should be, creating what is missing. Returns the
/// new state, or what stopped it.
pub async fn ensure(
    account: &Account,
    tenant: Tenant,
    creating: bool,
    deadline: &Deadline,
) -> Result<Tenant, Unfinished> {
    let work = ensure_steps(account, tenant, creating, deadline);
    account.crowd.operation(work).await
}

async fn ensure_steps(
    account: &Account,
    mut tenant: Tenant,
    creating: bool,
    deadline: &Deadline,
) -> Result<Tenant, Unfinished> {
    let (edge, host) = match admit(account, &mut tenant, creating).await {
        Ok(admitted) => admitted,
        Err(err) => {
            return Err(Unfinished {
                err,
                partial: tenant,
                wrote: false,
            })
        }
    };
    match write_steps(account, &edge, &mut tenant, &host, deadline).await {
        Ok(()) => Ok(tenant),
        Err(err) => Err(Unfinished {
            err,
            partial: tenant,
            wrote: true,
        }),
    }
}

/// What a tenant's writes need, read before any of them: its edge and host, and at a create
/// the refusal of anything foreign or owned elsewhere in its way.
async fn admit(
    account: &Account,
    tenant: &mut Tenant,
    creating: bool,
) -> Result<(EdgeView, String), AccountError> {
    let edge = account.distributions.edge(&tenant.edge_id).await?;
    let host = tenant_host(&edge, &tenant.name)?;
    tenant.host = Some(host.clone());
    if creating {
        let around = Surroundings::fetch(account, &edge, &tenant.name).await?;
        around.refuse_foreign(account).await?;
        around.refuse_held(&own_claims(
            tenant.claim.as_deref(),
            &tenant.edge_id,
            &tenant.name,
        ))?;
    }
    Ok((edge, host))
}

/// The tenant's writes: alias and rule, then records.
async fn write_steps(
    account: &Account,
    edge: &EdgeView,
    tenant: &mut Tenant,
    host: &str,
    deadline: &Deadline,
) -> Result<(), AccountError> {
    // The rule does not depend on where the alias goes, so it is written while CloudFront
    // takes its second over the alias. Both run to the end (a step stopped halfway would
    // leave a write unaccounted for), and the records wait for the alias to be accepted.
    let placing = tenant.clone();
    let (placed, ruled) = tokio::join!(
        place(account, edge, &placing, host),
        ensure_rule(account, edge, tenant, host),
    );
    let placed = placed?;
    tenant.distribution_id = Some(placed.holder.distribution.id.clone());
    tenant.distribution_domain_name = Some(placed.holder.distribution.domain_name.clone());
    if edge.record.mode == DistributionMode::MultiTenant {
        tenant.distribution_tenant_id = placed.tenant_id.clone();
    }
    ruled?;
    in_time(deadline)?;
    ensure_records(account, edge, tenant, host, &placed.holder).await
}

/// Where step 1 put the host: the holding distribution, and on a multi-tenant edge the
/// distribution tenant.
struct Placement {
    holder: Placed,
    tenant_id: Option<String>,
}

/// Step 1, as the edge's mode says.
async fn place(
    account: &Account,
    edge: &EdgeView,
    tenant: &Tenant,
    host: &str,
) -> Result<Placement, AccountError> {
    match edge.record.mode {
        DistributionMode::Pool => Ok(Placement {
            holder: account.pool.place(&tenant.edge_id, host).await?,
            tenant_id: None,
        }),
        DistributionMode::MultiTenant => place_tenant(account, edge, tenant, host).await,
    }
}

/// Between steps: the operation's time (its `timeouts {}` setting) is not up, and it was not
/// cancelled.
fn in_time(deadline: &Deadline) -> Result<(), AccountError> {
    if deadline.passed() || deadline.cancel().is_cancelled() {
        return Err(AccountError::Wait(format!(
            "Timeout: the tenant's changes did not finish within {}",
            deadline.describe()
        )));
    }
    Ok(())
}

/// Step 1 on a multi-tenant edge: a distribution tenant with the host as its domain.
async fn place_tenant(
    account: &Account,
    edge: &EdgeView,
    tenant: &Tenant,
    host: &str,
) -> Result<Placement, AccountError> {
    let tags = tenant_tags(account, tenant);
    let holder = account.tenants.place(edge, host, &tags).await?;
    let tenant_id = account
        .tenants
        .holder(&holder.distribution.id, host)
        .await?
        .map(|t| t.id);
    Ok(Placement { holder, tenant_id })
}

/// Tags of a tenant's distribution tenant: the provider's defaults and the bookkeeping that
/// names the tenant.
pub(super) fn tenant_tags(account: &Account, tenant: &Tenant) -> Tags {
    let own: Tags = [
        (
            MANAGED_BY_TAG_KEY.to_string(),
            MANAGED_BY_TAG_VALUE.to_string(),
        ),
        (TAG_EDGE.to_string(), tenant.edge_id.clone()),
        (TAG_TENANT.to_string(), tenant.name.clone()),
    ]
    .into();
    tags::merge(&account.settings.default_tags, &Tags::new(), own)
}

/// Step 2: the host's listener rule, as the edge's layout says: a group of this state's, or
/// the tenant's own (repaired when it drifted, created when missing). Moving between layouts
/// makes the new rule first and only then leaves the old one, so the host is always matched.
async fn ensure_rule(
    account: &Account,
    edge: &EdgeView,
    tenant: &mut Tenant,
    host: &str,
) -> Result<(), AccountError> {
    let record = &edge.record;
    let rules = account.rules.of_listener(&record.listener_arn).await?;
    let view = TenantView {
        edge,
        name: &tenant.name,
        host,
        rules: &rules,
        records: &[],
    };
    let current = view.rule(tenant.listener_rule_arn.as_deref()).cloned();
    let claims = own_claims(tenant.claim.as_deref(), &tenant.edge_id, &tenant.name);
    let ours = |r: &RuleInfo| r.claim().is_none_or(|c| claims.iter().any(|o| o == c));
    let own_groups: Vec<String> = view
        .leftovers(None)
        .groups
        .into_iter()
        .filter_map(|(_, claim)| claim.filter(|c| claims.contains(c)))
        .collect();
    let rule = match record.rule_layout {
        RuleLayout::Grouped => {
            // A tenant already grouped stays with the state that grouped it.
            let owner = current
                .as_ref()
                .filter(|r| r.is_group_of(&record.name))
                .and_then(|r| r.claim().map(str::to_string))
                .filter(|c| claims.contains(c))
                .unwrap_or_else(|| workspace_owner(&tenant.edge_id));
            let own_rule = rules
                .iter()
                .find(|r| r.belongs_to(&record.name, &tenant.name) && ours(r))
                .cloned();
            let joined = account
                .rules
                .join(&group(account, edge, &owner), host, own_rule.as_ref())
                .await?;
            if let Some(own) = own_rule.filter(|own| own.arn != joined.arn) {
                account.rules.delete(&record.listener_arn, &own.arn).await?;
            }
            tenant.claim = Some(owner);
            joined
        }
        RuleLayout::PerTenant => {
            let own = current.filter(|r| !r.is_group_of(&record.name));
            if own.is_none() && !own_groups.is_empty() {
                // Leaving a group for a rule of its own: the tenant's claim again.
                tenant.claim = Some(workspace_claim(&tenant.edge_id, &tenant.name));
            }
            let rule = own_rule(account, edge, tenant, host, own).await?;
            for claim in own_groups {
                account
                    .rules
                    .leave(&group(account, edge, &claim), host)
                    .await?;
            }
            rule
        }
    };
    tenant.listener_rule_arn = Some(rule.arn.clone());
    tenant.priority = rule.priority;
    tenant.grouped = rule.is_group_of(&record.name);
    Ok(())
}

/// The grouped rules `claim` writes on the edge's listener.
pub(super) fn group(account: &Account, edge: &EdgeView, claim: &str) -> Group {
    let record = &edge.record;
    Group {
        listener_arn: record.listener_arn.clone(),
        edge: record.name.clone(),
        claim: claim.to_string(),
        target_group_arn: record.target_group_arn.clone(),
        tags: account.settings.default_tags.clone(),
    }
}

/// The tenant's own rule, repaired when it drifted, created when missing.
async fn own_rule(
    account: &Account,
    edge: &EdgeView,
    tenant: &Tenant,
    host: &str,
    current: Option<RuleInfo>,
) -> Result<RuleInfo, AccountError> {
    let record = &edge.record;
    let listener = &record.listener_arn;
    let mut wanted = rule_tags(account, tenant);
    let hosts = [host.to_string()];
    match current {
        Some(rule) => {
            if !rule.is_managed() {
                // A rule taken over by an import becomes the provider's.
                wanted.insert(MANAGED_BY_TAG_KEY.into(), MANAGED_BY_TAG_VALUE.into());
            }
            let repaired = account
                .rules
                .repair(
                    listener,
                    &rule,
                    &hosts,
                    &record.target_group_arn,
                    tenant.priority,
                )
                .await?;
            if repaired.tags != wanted {
                account.rules.retag(listener, &repaired, wanted).await?;
            }
            Ok(repaired)
        }
        None => {
            let new = NewRule {
                listener_arn: listener.clone(),
                hosts: hosts.to_vec(),
                target_group_arn: record.target_group_arn.clone(),
                pinned: tenant.priority,
                tags: wanted,
            };
            account.rules.create(&new).await
        }
    }
}

/// Step 3: the alias records to the holding distribution, replacing stale ones of ours (to
/// another pool distribution, or a type too many).
async fn ensure_records(
    account: &Account,
    edge: &EdgeView,
    tenant: &mut Tenant,
    host: &str,
    placed: &Placed,
) -> Result<(), AccountError> {
    let zone = &edge.record.hosted_zone_id;
    let records = account.records.of_host(zone, host).await?;
    let domain = &placed.distribution.domain_name;
    let expected = expected_record_types(&edge.record);
    if types_pointing_at(&records.infos, domain) != expected {
        let stale = records.cloudfront_aliases();
        account
            .records
            .create(zone, host, domain, edge.record.ipv6_enabled, &stale)
            .await?;
    }
    tenant.dns_record_types = expected;
    Ok(())
}

/// Tags of a tenant's rule: the provider's defaults, the tenant's own, and the bookkeeping
/// that names the tenant.
fn rule_tags(account: &Account, tenant: &Tenant) -> Tags {
    let mut own: Tags = [
        (TAG_EDGE.to_string(), tenant.edge_id.clone()),
        (TAG_TENANT.to_string(), tenant.name.clone()),
    ]
    .into();
    if let Some(claim) = &tenant.claim {
        own.insert(TAG_CLAIM.to_string(), claim.clone());
    }
    tags::merge(&account.settings.default_tags, &tenant.tags, own)
}

/// Removes every part of a tenant that exists: its records first, then its rule and alias
/// together. Each step is idempotent. A tenant whose rule now carries another resource's
/// claim is that resource's: nothing of it is removed.
pub async fn remove(
    account: &Account,
    tenant: &Tenant,
    deadline: &Deadline,
) -> Result<(), AccountError> {
    account
        .crowd
        .operation(remove_steps(account, tenant, deadline))
        .await
}

async fn remove_steps(
    account: &Account,
    tenant: &Tenant,
    deadline: &Deadline,
) -> Result<(), AccountError> {
    let Some(edge) = account.distributions.find_edge(&tenant.edge_id).await? else {
        return Ok(());
    };
    let around = Surroundings::fetch(account, &edge, &tenant.name).await?;
    let rule_arn = tenant.listener_rule_arn.as_deref();
    let claims = known_claims(tenant);
    let claimed: Vec<&str> = claims.iter().map(String::as_str).collect();
    if let Some(other) = around.view().rival_claim(rule_arn, &claimed) {
        tracing::warn!(tenant = %tenant.name, claim = %other, "the tenant is managed elsewhere now; nothing removed");
        return Ok(());
    }
    let leftovers = around.view().leftovers(tenant.listener_rule_arn.as_deref());
    let record = &edge.record;
    account
        .records
        .delete(
            &record.hosted_zone_id,
            &around.records.select(&leftovers.records),
        )
        .await?;
    // With the records gone the rule and the alias serve no one, and neither needs the
    // other: they are removed together, each to its end.
    let rules = async {
        for arn in &leftovers.rules {
            account.rules.delete(&record.listener_arn, arn).await?;
        }
        // Only the groups of this state's claims are written; another state's group keeps
        // its hosts until that state removes them.
        for (_, claim) in &leftovers.groups {
            if let Some(claim) = claim.as_ref().filter(|c| claims.contains(c)) {
                account
                    .rules
                    .leave(&group(account, &edge, claim), &around.host)
                    .await?;
            }
        }
        Ok::<_, AccountError>(())
    };
    let holders = async {
        for id in &leftovers.holders {
            match record.mode {
                DistributionMode::Pool => {
                    account.pool.remove(id, &around.host).await?;
                }
                DistributionMode::MultiTenant => {
                    account.tenants.remove(id, &around.host, deadline).await?;
                }
            }
        }
        Ok::<_, AccountError>(())
    };
    let (rules, holders) = tokio::join!(rules, holders);
    rules.and(holders)
}

/// The claims a stored tenant counts as its own: none for a tenant stored without one (made
/// before claims existed, or just imported), which takes the claim it finds.
pub(super) fn known_claims(tenant: &Tenant) -> Vec<String> {
    match &tenant.claim {
        Some(claim) => own_claims(Some(claim), &tenant.edge_id, &tenant.name),
        None => Vec::new(),
    }
}

/// A tenant read without a claim (being imported) may take over a group only when it is one
/// this working directory writes: another state's group stays that state's to write.
fn refuse_foreign_group(
    tenant: &Tenant,
    around: &Surroundings<'_>,
    group: &RuleInfo,
) -> Result<(), AccountError> {
    let owner = workspace_owner(&tenant.edge_id);
    if group.claim() == Some(owner.as_str()) {
        return Ok(());
    }
    Err(AccountError::Claimed {
        object: format!("tenant {} ({})", tenant.name, around.host),
        detail: format!(
            "Its host is on listener rule {}, which groups the tenants of another Terraform state (claim {}) and is written by that state alone. \
             A grouped tenant moves between states by removing its block from the other state and adding it here, not by an import.",
            group.arn,
            group.claim().unwrap_or("none"),
        ),
    })
}

/// What an import of a tenant not yet the provider's takes over: the rule someone else made
/// for its host when it has exactly the shape of a tenant's ([`TenantView::adoptable_rule`]),
/// named in the imported state so that the read finds it and the plan marks it as the
/// provider's. What has another shape is refused with the differences, changing nothing.
/// `None` for a tenant of the provider's, or when nothing is in its way.
pub async fn take_over(account: &Account, tenant: &Tenant) -> Result<Option<String>, AccountError> {
    let Some(edge) = account.distributions.find_edge(&tenant.edge_id).await? else {
        return Ok(None);
    };
    let around = Surroundings::fetch(account, &edge, &tenant.name).await?;
    let view = around.view();
    if view.rule(None).is_some() {
        return Ok(None);
    }
    let distributions = account.distributions.all().await?;
    let adoptable = view.adoptable_rule();
    if adoptable.is_none() && view.foreign(&distributions).is_none() {
        return Ok(None);
    }
    let misfits = view.misfits();
    if !misfits.is_empty() {
        return Err(AccountError::Refused(format!(
            "Tenant {} ({}) is not imported, and nothing is changed: what AWS holds for it differs from a tenant this provider manages: {}.",
            tenant.name,
            around.host,
            misfits.join("; ")
        )));
    }
    Ok(adoptable.map(|r| r.arn.clone()))
}

/// What a read found of a tenant.
pub enum Seen {
    /// Nothing of it is left.
    Gone,
    /// Another resource or state took it over: its claim.
    TakenOver(String),
    /// The tenant as it is, and whether its rule drifted.
    Found(Box<Tenant>, bool),
}

/// Reads what exists of a tenant, and whether its rule drifted. A tenant read without a claim
/// (imported, or made before claims existed) takes the one on its rule.
pub async fn observe(account: &Account, mut tenant: Tenant) -> Result<Seen, AccountError> {
    let Some(edge) = account.distributions.find_edge(&tenant.edge_id).await? else {
        return Ok(Seen::Gone);
    };
    let name = tenant.name.clone();
    let around = Surroundings::fetch(account, &edge, &name).await?;
    let view = around.view();
    let rule_arn = tenant.listener_rule_arn.as_deref();
    let claims = known_claims(&tenant);
    let claimed: Vec<&str> = claims.iter().map(String::as_str).collect();
    if let Some(other) = view.rival_claim(rule_arn, &claimed) {
        return Ok(Seen::TakenOver(other.to_string()));
    }
    let Some(observed) = view.observe(tenant.listener_rule_arn.as_deref()) else {
        return Ok(Seen::Gone);
    };
    tenant.host = Some(around.host.clone());
    tenant.distribution_id = observed.distribution.map(|d| d.id.clone());
    tenant.distribution_domain_name = observed.distribution.map(|d| d.domain_name.clone());
    tenant.distribution_tenant_id = match (edge.record.mode, observed.distribution) {
        (DistributionMode::MultiTenant, Some(d)) => account
            .tenants
            .holder(&d.id, &around.host)
            .await?
            .map(|t| t.id),
        _ => None,
    };
    if let Some(group) = observed
        .rule
        .filter(|r| tenant.claim.is_none() && r.is_group_of(&edge.record.name))
    {
        refuse_foreign_group(&tenant, &around, group)?;
    }
    match observed.rule {
        Some(rule) => {
            tenant.listener_rule_arn = Some(rule.arn.clone());
            tenant.priority = rule.priority;
            tenant.tags = tags::user_view(&rule.tags, &account.settings.default_tags);
            if tenant.claim.is_none() {
                tenant.claim = rule.tags.get(TAG_CLAIM).cloned();
            }
            tenant.grouped = rule.is_group_of(&edge.record.name);
        }
        None => tenant.listener_rule_arn = None,
    }
    tenant.dns_record_types = observed.record_types;
    Ok(Seen::Found(Box::new(tenant), observed.rule_drift))
}
