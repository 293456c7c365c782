//! Tenants' listener rules: each listener's rules read once and patched after the provider's
//! own writes, the rules of the load balancer's other listeners counted once, and the one
//! place a rule's priority is chosen — the lowest free both in AWS and among the tenants this
//! process is creating, chosen again when another run takes it first (`PriorityInUse`).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use super::cache::Keyed;
use super::error::AccountError;
use super::groups::GroupAnswer;
use super::merge::Merger;
use crate::aws::elbv2::{HostRule, ListenerRule, MAX_RULE_PRIORITY, MIN_RULE_PRIORITY};
use crate::aws::Elbv2;
use crate::domain::allocation::lowest_free_priority;
use crate::domain::edge::{EdgeRecord, TAG_EDGE};
use crate::domain::groups::GroupChange;
use crate::domain::naming::normalize_host;
use crate::domain::rules::{RuleInfo, MANAGED_BY_TAG_KEY, MANAGED_BY_TAG_VALUE};
use crate::domain::tags::{self, Tags};

/// Attempts at creating a rule when other runs keep taking the chosen priority. Each lost
/// attempt means another writer created a rule meanwhile.
pub const MAX_PRIORITY_ATTEMPTS: u32 = 10;

/// A rule to create: `hosts` to `target_group_arn` on `listener_arn`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRule {
    pub listener_arn: String,
    pub hosts: Vec<String>,
    pub target_group_arn: String,
    /// A priority to use as is; `None` takes the lowest free one.
    pub pinned: Option<i64>,
    /// Its tags (the provider's marker is added).
    pub tags: Tags,
}

/// The listener rules of the account, as this process reads and writes them.
pub struct Rules {
    pub(super) elbv2: Elbv2,
    /// Listener rules with their tags, by listener ARN.
    pub(super) listeners: Keyed<Vec<RuleInfo>>,
    /// Rules of the other listeners of a listener's load balancer (default rules excepted),
    /// by listener ARN; `None` when the listener does not exist.
    other_listeners: Keyed<Option<usize>>,
    /// Priorities being taken or taken by tenants of this process, by listener ARN.
    reserved: Mutex<HashMap<String, BTreeSet<i64>>>,
    /// Joins and leaves of grouped rules, merged per listener and claim.
    pub(super) groups: Merger<GroupChange, GroupAnswer>,
}

impl Rules {
    pub fn new(elbv2: Elbv2) -> Self {
        Self {
            elbv2,
            listeners: Keyed::default(),
            other_listeners: Keyed::default(),
            reserved: Mutex::default(),
            groups: Merger::default(),
        }
    }

    /// The rules of a listener, with their tags.
    pub async fn of_listener(
        &self,
        listener_arn: &str,
    ) -> Result<Arc<Vec<RuleInfo>>, AccountError> {
        let elbv2 = &self.elbv2;
        Ok(self
            .listeners
            .entry(listener_arn)
            .get_or_load(|| async {
                let rules = elbv2.list_rules(listener_arn).await?;
                Ok(rules.iter().map(info_of_rule).collect())
            })
            .await?)
    }

    pub(super) async fn patch(&self, listener_arn: &str, change: impl FnOnce(&mut Vec<RuleInfo>)) {
        self.listeners.entry(listener_arn).patch(change).await;
    }

    /// Rules counted against the load balancer's quota (AWS counts every listener's rules but
    /// not their default rules): this listener's, as cached and patched, plus those of the load
    /// balancer's other listeners, read once per process. `None` when the listener is gone.
    pub async fn load_balancer_rules_used(
        &self,
        listener_arn: &str,
    ) -> Result<Option<usize>, AccountError> {
        let elbv2 = &self.elbv2;
        let others = self
            .other_listeners
            .entry(listener_arn)
            .get_or_load(|| async {
                let Some(listener) = elbv2.find_listener_by_arn(listener_arn).await? else {
                    return Ok(None);
                };
                let Some(load_balancer) = listener.load_balancer_arn else {
                    return Ok(Some(0));
                };
                let mut count = 0;
                for other in elbv2.list_load_balancer_listeners(&load_balancer).await? {
                    match other.listener_arn {
                        Some(arn) if arn != listener_arn => {
                            count += elbv2.count_rules(&arn).await?
                        }
                        _ => {}
                    }
                }
                Ok(Some(count))
            })
            .await?;
        let Some(others) = *others else {
            return Ok(None);
        };
        let own = self.of_listener(listener_arn).await?;
        Ok(Some(
            others + own.iter().filter(|r| r.priority.is_some()).count(),
        ))
    }

    /// Creates the rule at its pinned priority, or else at the lowest priority free both in
    /// AWS and among the tenants this process is creating. When another run takes that
    /// priority first, or an earlier attempt of this very request was carried out by AWS and
    /// only its answer lost (the SDK retried it), the rules are read again: the rule is adopted
    /// when it is there, otherwise another priority is chosen.
    pub async fn create(&self, rule: &NewRule) -> Result<RuleInfo, AccountError> {
        let listener = rule.listener_arn.as_str();
        let mut tags = rule.tags.clone();
        tags.insert(MANAGED_BY_TAG_KEY.into(), MANAGED_BY_TAG_VALUE.into());
        let mut attempt = 0;
        loop {
            attempt += 1;
            let priority = match rule.pinned {
                Some(p) => p,
                None => self.reserve_priority(listener).await?,
            };
            let spec = HostRule {
                listener_arn: listener.to_string(),
                hosts: rule.hosts.clone(),
                target_group_arn: rule.target_group_arn.clone(),
                tags: tags.clone(),
                priority: priority as i32,
            };
            let created = self.elbv2.create_rule(&spec).await;
            let err = match created {
                // A priority taken stays reserved for the life of the process: a tenant
                // choosing from rules read before this one was added must not see it free.
                Ok(created) => {
                    let info = info_of_rule(&created);
                    let added = info.clone();
                    self.patch(listener, |rules| rules.push(added)).await;
                    return Ok(info);
                }
                Err(err) => {
                    if rule.pinned.is_none() {
                        self.release_priority(listener, priority);
                    }
                    if !err.has_code("PriorityInUse") {
                        return Err(err.into());
                    }
                    err
                }
            };
            tracing::debug!(
                listener,
                priority,
                attempt,
                "priority in use, reading the rules again"
            );
            self.listeners.entry(listener).invalidate().await;
            let rules = self.of_listener(listener).await?;
            if let Some(own) = rules
                .iter()
                .find(|r| r.is_made_from(&spec.hosts, &spec.target_group_arn, priority, &rule.tags))
            {
                tracing::debug!(rule = %own.arn, "the rule was created by an earlier attempt");
                return Ok(own.clone());
            }
            if rule.pinned.is_some() || attempt >= MAX_PRIORITY_ATTEMPTS {
                return Err(err.into());
            }
            self.elbv2.conflict_pause(attempt).await;
        }
    }

    /// Takes the lowest priority free in the listener's rules and among those being taken.
    async fn reserve_priority(&self, listener_arn: &str) -> Result<i64, AccountError> {
        let rules = self.of_listener(listener_arn).await?;
        let mut reserved = self.reserved.lock().unwrap_or_else(|e| e.into_inner());
        let taken = reserved.entry(listener_arn.to_string()).or_default();
        let mut used: BTreeSet<i64> = rules.iter().filter_map(|r| r.priority).collect();
        used.extend(taken.iter().copied());
        let priority = lowest_free_priority(&used, MIN_RULE_PRIORITY, MAX_RULE_PRIORITY)
            .ok_or_else(|| {
                AccountError::Capacity(format!(
                    "every priority from {MIN_RULE_PRIORITY} to {MAX_RULE_PRIORITY} of listener {listener_arn} is taken"
                ))
            })?;
        taken.insert(priority);
        Ok(priority)
    }

    fn release_priority(&self, listener_arn: &str, priority: i64) {
        let mut reserved = self.reserved.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(taken) = reserved.get_mut(listener_arn) {
            taken.remove(&priority);
        }
    }

    /// Deletes a tenant's rule (already gone is fine).
    pub async fn delete(&self, listener_arn: &str, rule_arn: &str) -> Result<(), AccountError> {
        self.elbv2.delete_rule(rule_arn).await?;
        let mut freed = None;
        self.patch(listener_arn, |rules| {
            freed = rules
                .iter()
                .find(|r| r.arn == rule_arn)
                .and_then(|r| r.priority);
            rules.retain(|r| r.arn != rule_arn)
        })
        .await;
        // Gone from the cached rules first, so no tenant sees the priority both free and
        // still held.
        if let Some(priority) = freed {
            self.release_priority(listener_arn, priority);
        }
        Ok(())
    }

    /// Points a rule at `hosts` and `target_group_arn` again, and sets its priority.
    pub async fn repair(
        &self,
        listener_arn: &str,
        rule: &RuleInfo,
        hosts: &[String],
        target_group_arn: &str,
        priority: Option<i64>,
    ) -> Result<RuleInfo, AccountError> {
        // Conditions and actions are written whole: this also drops what someone added (a
        // path condition, another action).
        if rule.hosts != hosts || !rule.forwards_to(target_group_arn) || !rule.extras.is_empty() {
            self.elbv2
                .modify_rule(&rule.arn, Some(hosts), target_group_arn)
                .await?;
        }
        if let Some(p) = priority.filter(|p| Some(*p) != rule.priority) {
            self.elbv2
                .set_rule_priorities(&[(rule.arn.clone(), p as i32)])
                .await?;
        }
        let mut repaired = rule.clone();
        repaired.hosts = hosts.to_vec();
        repaired.target_groups = vec![target_group_arn.to_string()];
        repaired.extras.clear();
        repaired.priority = priority.or(rule.priority);
        let stored = repaired.clone();
        self.patch(listener_arn, |rules| {
            rules.retain(|r| r.arn != stored.arn);
            rules.push(stored);
        })
        .await;
        Ok(repaired)
    }

    /// Replaces a rule's tags with `wanted` (the provider's marker is kept).
    pub async fn retag(
        &self,
        listener_arn: &str,
        rule: &RuleInfo,
        wanted: Tags,
    ) -> Result<(), AccountError> {
        let changes = tags::changes(&rule.tags, &wanted, |k| k == MANAGED_BY_TAG_KEY);
        self.elbv2
            .untag_resource(&rule.arn, &changes.remove)
            .await?;
        self.elbv2.tag_resource(&rule.arn, &changes.set).await?;
        let arn = rule.arn.clone();
        self.patch(listener_arn, |rules| {
            if let Some(r) = rules.iter_mut().find(|r| r.arn == arn) {
                let marker = r.tags.remove(MANAGED_BY_TAG_KEY);
                r.tags = wanted;
                r.tags
                    .extend(marker.map(|m| (MANAGED_BY_TAG_KEY.to_string(), m)));
            }
        })
        .await;
        Ok(())
    }

    /// Points every tenant rule and group of the edge at its (new) shared target group. Only
    /// the rules' actions are written: their hosts are their writers' (a group's, another
    /// state's), and a write of the conditions could undo a host added meanwhile.
    pub async fn repoint(&self, record: &EdgeRecord) -> Result<(), AccountError> {
        let (listener, target) = (&record.listener_arn, &record.target_group_arn);
        let rules = self.of_listener(listener).await?;
        for rule in rules.iter().filter(|r| {
            r.is_managed() && r.tags.get(TAG_EDGE) == Some(&record.name) && !r.forwards_to(target)
        }) {
            self.elbv2.modify_rule(&rule.arn, None, target).await?;
            let arn = rule.arn.clone();
            self.patch(listener, |rules| {
                if let Some(r) = rules.iter_mut().find(|r| r.arn == arn) {
                    r.target_groups = vec![target.clone()];
                }
            })
            .await;
        }
        Ok(())
    }
}

pub(super) fn info_of_rule(rule: &ListenerRule) -> RuleInfo {
    let target_groups = rule
        .rule
        .actions
        .as_deref()
        .unwrap_or_default()
        .iter()
        .filter_map(|a| a.target_group_arn.clone())
        .collect();
    RuleInfo {
        arn: rule.arn().to_string(),
        priority: rule.priority().map(i64::from),
        hosts: rule.hosts().iter().map(|h| normalize_host(h)).collect(),
        target_groups,
        tags: rule.tags.clone(),
        extras: crate::aws::elbv2::rule_extras(&rule.rule),
    }
}
