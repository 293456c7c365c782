//! Planning a tenant: the checks that can fail before anything changes in AWS (the edge exists
//! or is planned, the host is valid, nothing foreign is in the way, the edge has room for every
//! tenant this plan adds), and the repairs a refresh found necessary.

use std::sync::Arc;

use super::super::diagnostic::diagnostic;
use super::super::model;
use super::apply::Surroundings;
use super::model::{own_claims, workspace_owner, Tenant};
use super::moving;
use super::schema::{
    DISTRIBUTION_DOMAIN_NAME, DISTRIBUTION_ID, DISTRIBUTION_TENANT_ID, DNS_RECORD_TYPES, EDGE_ID,
    HOST, LISTENER_RULE_ARN, NAME, PRIORITY, TAGS,
};
use crate::account::{Account, AccountError};
use crate::domain::capacity::RuleRoom;
use crate::domain::edge::{DistributionMode, EdgeRecord, EdgeView, RuleLayout};
use crate::domain::rules::HOSTS_PER_RULE;
use crate::domain::tenant::expected_record_types;
use crate::protocol::resource::PlanState;
use crate::protocol::value::{AttributePath, Value};
use crate::protocol::Diagnostics;

/// Drift found by the last read, kept in private state so the plan repairs it.
pub const PRIVATE_RULE_DRIFT: &str = "rule_drift";

/// Refines the plan of a tenant being created or updated.
pub async fn plan(account: Arc<Account>, plan: &mut PlanState<'_>, diags: &mut Diagnostics) {
    let tenant = Tenant::from_value(&plan.planned);
    // Another edge replaces the tenant, unless it is a move in place ([`arrival`]).
    let prior_edge = model::string(plan.prior, EDGE_ID.name);
    let planned_edge = model::string(&plan.planned, EDGE_ID.name);
    if !plan.planned.is_null() && prior_edge.is_some() && planned_edge != prior_edge {
        plan.requires_replace.push(EDGE_ID.name.to_string());
    }
    if tenant.edge_id.is_empty() || tenant.name.is_empty() {
        return;
    }
    let action = tenant.action("planning");
    let root = AttributePath::root();
    // The edge: in AWS, or planned in this run.
    let edge = match account.distributions.find_edge(&tenant.edge_id).await {
        Ok(edge) => edge,
        Err(err) => {
            diags.push(diagnostic(&err, &action));
            return;
        }
    };
    let planned_edge = account.plans.planned_edge(&tenant.edge_id);
    let record = match (&edge, planned_edge) {
        // An edge changing its rule layout in this plan moves its tenants in the same apply.
        (Some(edge), planned) => EdgeRecord {
            rule_layout: planned.map_or(edge.record.rule_layout, |p| p.rule_layout),
            ..edge.record.clone()
        },
        (None, Some(planned)) => planned,
        (None, None) => {
            let err = AccountError::EdgeNotFound(tenant.edge_id.clone());
            diags.push(diagnostic(&err, &action).at(root.attribute("edge_id")));
            return;
        }
    };
    let host = match record.tenant_host(&tenant.name) {
        Ok(host) => host,
        Err(reason) => {
            diags.attribute_error(root.attribute("name"), "Invalid tenant host", reason);
            return;
        }
    };
    model::set(&mut plan.planned, HOST.name, Value::String(host.clone()));
    let creating = plan.prior.is_null();
    // A destroy plans the configuration first; what it will not create is not checked.
    let destroying = crate::provider::invocation::destroying();
    if creating && destroying {
        return;
    }
    // A tenant about to be destroyed needs no rule of the kind the edge's layout asks for.
    let layout = if destroying {
        Ok(())
    } else {
        check_layout(plan, &record)
    };
    if let Err((err, attribute)) = layout {
        diags.push(diagnostic(&err, &action).at(root.attribute(attribute)));
        return;
    }
    let arriving = if creating {
        None
    } else {
        match arrival(&account, plan, &tenant, &record).await {
            Ok(arriving) => arriving,
            Err(err) => {
                diags.push(diagnostic(&err, &action).at(root.attribute(EDGE_ID.name)));
                return;
            }
        }
    };
    let checked = if creating {
        check_create(&account, edge.as_ref(), &record, &tenant, &host).await
    } else if let Some(prior) = arriving {
        plan_arrival(plan, &record, &tenant, &prior);
        check_arrival(&account, edge.as_ref(), &record, &tenant, &host).await
    } else {
        plan_repairs(plan, &record);
        Ok(())
    };
    let prior = Tenant::from_value(plan.prior);
    let pinned = tenant
        .priority
        .filter(|_| !model::is_null(plan.config, PRIORITY.name));
    let checked = match pinned {
        Some(priority) if checked.is_ok() && (creating || prior.priority != Some(priority)) => {
            let own_rule = prior.listener_rule_arn.as_deref();
            check_priority(&account, &record, &host, priority, own_rule).await
        }
        _ => checked,
    };
    if let Err((err, attribute)) = checked {
        let found = diagnostic(&err, &action);
        diags.push(match attribute {
            Some(name) => found.at(root.attribute(name)),
            None => found,
        });
    }
}

/// A tenant of a grouped edge shares its rule: it can pin no priority and carry no tags of
/// its own.
fn check_layout(
    plan: &PlanState<'_>,
    record: &EdgeRecord,
) -> Result<(), (AccountError, &'static str)> {
    if record.rule_layout != RuleLayout::Grouped {
        return Ok(());
    }
    let refused = |what: &str| {
        AccountError::Refused(format!(
            "Edge {} groups up to {HOSTS_PER_RULE} tenant hosts per listener rule (rule_layout = \"grouped\"), so a tenant has no rule of its own to {what}. Leave it out, or set rule_layout = \"per_tenant\" on the edge.",
            record.name
        ))
    };
    if !model::is_null(plan.config, PRIORITY.name) {
        return Err((refused("pin a priority on"), PRIORITY.name));
    }
    let tags = model::string_map(plan.config, TAGS);
    if !tags.is_empty() {
        return Err((refused("tag"), TAGS));
    }
    Ok(())
}

/// A failed plan-time check, and the attribute it is about.
type Check = Result<(), (AccountError, Option<&'static str>)>;

fn at(
    attribute: &'static str,
) -> impl FnOnce(AccountError) -> (AccountError, Option<&'static str>) {
    move |err| (err, Some(attribute))
}

/// A pinned priority must be free on the listener (or already the tenant's own rule's) and
/// pinned by no other tenant of this plan.
async fn check_priority(
    account: &Account,
    record: &EdgeRecord,
    host: &str,
    priority: i64,
    own_rule: Option<&str>,
) -> Check {
    let listener = &record.listener_arn;
    if let Some(other) = account.plans.pin_priority(listener, priority, host) {
        return Err(at(PRIORITY.name)(AccountError::Refused(format!(
            "Priority {priority} is pinned by tenant {other} in this plan too; priorities of one listener are unique."
        ))));
    }
    let rules = match account.rules.of_listener(listener).await {
        Ok(rules) => rules,
        Err(AccountError::Aws(err)) if err.is_not_found() => return Ok(()),
        Err(err) => return Err((err, None)),
    };
    let taken = rules.iter().find(|r| {
        r.priority == Some(priority)
            && Some(r.arn.as_str()) != own_rule
            && !r.hosts.iter().any(|h| h == host)
    });
    match taken {
        Some(rule) => Err(at(PRIORITY.name)(AccountError::Refused(format!(
            "Priority {priority} of listener {listener} is used by rule {} (hosts {}); pin another or leave priority out to get a free one.",
            rule.arn,
            rule.hosts.join(", ")
        )))),
        None => Ok(()),
    }
}

/// A new tenant: nothing foreign in the way, not already served under another resource's
/// claim, and then as any tenant arriving on the edge ([`check_arrival`]).
async fn check_create(
    account: &Account,
    edge: Option<&EdgeView>,
    record: &EdgeRecord,
    tenant: &Tenant,
    host: &str,
) -> Check {
    if let Some(edge) = edge {
        let around = Surroundings::fetch(account, edge, &tenant.name)
            .await
            .map_err(at(NAME.name))?;
        around
            .refuse_foreign(account)
            .await
            .map_err(at(NAME.name))?;
        let claims = own_claims(None, &tenant.edge_id, &tenant.name);
        around.refuse_held(&claims).map_err(at(NAME.name))?;
    }
    check_arrival(account, edge, record, tenant, host).await
}

/// Room on the edge for every host planned on it in this process, in aliases and in hosts
/// the load balancer's rules can still match.
async fn capacity(
    account: &Account,
    edge: Option<&EdgeView>,
    record: &EdgeRecord,
    planned: &std::collections::BTreeSet<String>,
) -> Result<(), AccountError> {
    let existing = edge.map(EdgeView::hosts).unwrap_or_default();
    let new_hosts = planned.iter().filter(|h| !existing.contains(*h)).count();
    let listener = &record.listener_arn;
    let (room, new_rule_hosts) = match account.rules.of_listener(listener).await {
        Ok(rules) => {
            let unmatched = planned
                .iter()
                .filter(|h| !rules.iter().any(|r| r.hosts.contains(*h)))
                .count();
            let owner = workspace_owner(&record.name);
            (account.rules.room(record, &owner).await?, unmatched)
        }
        // A listener not there yet is the edge's to report; its rules are not judged.
        Err(AccountError::Aws(err)) if err.is_not_found() => (RuleRoom::default(), 0),
        Err(err) => return Err(err),
    };
    account
        .pool
        .capacity(edge, record, room)
        .await?
        .admits(record, new_hosts, new_rule_hosts)
        .map_err(AccountError::Capacity)
}

/// The prior tenant, when this update moves it in place from its pool edge to the
/// multi-tenant edge its `edge_id` now names ([`moving::unmovable`]): then `edge_id` no
/// longer forces a replacement. Any other change of edge replaces the tenant.
async fn arrival(
    account: &Account,
    plan: &mut PlanState<'_>,
    tenant: &Tenant,
    record: &EdgeRecord,
) -> Result<Option<Tenant>, AccountError> {
    let prior = Tenant::from_state(plan.prior, &plan.private);
    if prior.edge_id.is_empty() || prior.edge_id == tenant.edge_id {
        return Ok(None);
    }
    let Some(old) = account.distributions.find_edge(&prior.edge_id).await? else {
        return Ok(None);
    };
    if let Some(reason) = moving::unmovable(&old.record, record) {
        tracing::debug!(tenant = %tenant.name, %reason, "the tenant is replaced on its new edge");
        return Ok(None);
    }
    plan.requires_replace.retain(|name| name != EDGE_ID.name);
    Ok(Some(prior))
}

/// A move in place: the tenant's new id, and as unknown what the move writes anew (its
/// distribution tenant, the routing endpoint, and a rule of another kind when either edge
/// groups its rules).
fn plan_arrival(plan: &mut PlanState<'_>, record: &EdgeRecord, tenant: &Tenant, prior: &Tenant) {
    let id = crate::domain::edge::tenant_id(&tenant.edge_id, &tenant.name);
    model::set(&mut plan.planned, "id", Value::String(id));
    for name in [
        DISTRIBUTION_ID.name,
        DISTRIBUTION_DOMAIN_NAME.name,
        DISTRIBUTION_TENANT_ID.name,
    ] {
        model::set(&mut plan.planned, name, Value::Unknown);
    }
    if prior.grouped || record.rule_layout == RuleLayout::Grouped {
        model::set(&mut plan.planned, LISTENER_RULE_ARN.name, Value::Unknown);
        if model::is_null(plan.config, PRIORITY.name) {
            model::set(&mut plan.planned, PRIORITY.name, Value::Unknown);
        }
    }
    let expected = expected_record_types(record);
    model::set(
        &mut plan.planned,
        DNS_RECORD_TYPES,
        model::list_value(&expected),
    );
}

/// A tenant arriving on an edge (created, or moved there): declared once in this
/// configuration, and room on the edge for every tenant planned on it in this process.
async fn check_arrival(
    account: &Account,
    edge: Option<&EdgeView>,
    record: &EdgeRecord,
    tenant: &Tenant,
    host: &str,
) -> Check {
    let (planned, twice) = account.plans.plan_new_host(&record.name, host);
    if twice {
        return Err(at(NAME.name)(AccountError::Refused(format!(
            "Tenant {} ({host}) is declared more than once in this configuration; a tenant has one owner: keep one block.",
            tenant.name
        ))));
    }
    capacity(account, edge, record, &planned)
        .await
        .map_err(|err| (err, None))
}

/// An update: plans as unknown what the last read found missing or changed, so that apply
/// repairs it.
fn plan_repairs(plan: &mut PlanState<'_>, record: &EdgeRecord) {
    let prior = Tenant::from_state(plan.prior, &plan.private);
    let planned = Tenant::from_value(&plan.planned);
    if prior.distribution_id.is_none() {
        model::set(&mut plan.planned, DISTRIBUTION_ID.name, Value::Unknown);
        model::set(
            &mut plan.planned,
            DISTRIBUTION_DOMAIN_NAME.name,
            Value::Unknown,
        );
        if record.mode == DistributionMode::MultiTenant {
            model::set(
                &mut plan.planned,
                DISTRIBUTION_TENANT_ID.name,
                Value::Unknown,
            );
        }
    }
    let rule_drift = plan.private.get(PRIVATE_RULE_DRIFT) == Some(&serde_json::Value::Bool(true));
    let moving = prior.grouped != (record.rule_layout == RuleLayout::Grouped);
    if prior.listener_rule_arn.is_none() || rule_drift || moving {
        model::set(&mut plan.planned, LISTENER_RULE_ARN.name, Value::Unknown);
        if planned.priority.is_none() || model::is_null(plan.config, PRIORITY.name) {
            model::set(&mut plan.planned, PRIORITY.name, Value::Unknown);
        }
    }
    let expected = expected_record_types(record);
    if prior.dns_record_types != expected {
        model::set(
            &mut plan.planned,
            DNS_RECORD_TYPES,
            model::list_value(&expected),
        );
    }
}
