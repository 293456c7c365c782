//! Tenants' listener rules: read once per listener, created at a free priority that no
//! concurrent tenant of this process is taking, retried when another run takes it first.

use std::collections::BTreeMap;

use super::{normalize_host, Gateway, GatewayError};
use crate::aws::elbv2::{
    HostRule, ListenerRule, MANAGED_BY_TAG_KEY, MANAGED_BY_TAG_VALUE, MAX_RULE_PRIORITY,
    MIN_RULE_PRIORITY,
};
use crate::domain::allocation::lowest_free_priority;
use crate::domain::edge::{TAG_EDGE, TAG_TENANT};

/// Attempts at creating a rule when other runs keep taking the chosen priority.
const MAX_PRIORITY_ATTEMPTS: usize = 10;

/// A listener rule as tenants see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    pub arn: String,
    /// `None` for the listener's default rule.
    pub priority: Option<i64>,
    pub hosts: Vec<String>,
    /// Target groups of its forward actions.
    pub target_groups: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

impl RuleInfo {
    fn from_listener_rule(rule: &ListenerRule) -> Self {
        let target_groups = rule
            .rule
            .actions
            .as_deref()
            .unwrap_or_default()
            .iter()
            .filter_map(|a| a.target_group_arn.clone())
            .collect();
        Self {
            arn: rule.arn().to_string(),
            priority: rule.priority().map(i64::from),
            hosts: rule.hosts().iter().map(|h| normalize_host(h)).collect(),
            target_groups,
            tags: rule.tags.clone(),
        }
    }

    /// True when this rule is the one `spec` asks for: the same host, target group and
    /// priority, and every tag of `spec` plus the provider's own.
    fn is_made_from(&self, spec: &HostRule) -> bool {
        self.priority == spec.priority.map(i64::from)
            && self.hosts == spec.hosts
            && self.target_groups == [spec.target_group_arn.clone()]
            && self.tags.get(MANAGED_BY_TAG_KEY).map(String::as_str) == Some(MANAGED_BY_TAG_VALUE)
            && spec.tags.iter().all(|(k, v)| self.tags.get(k) == Some(v))
    }

    /// True when this rule was created by the provider for `tenant` of `edge`.
    pub fn belongs_to(&self, edge: &str, tenant: &str) -> bool {
        self.tags.get(MANAGED_BY_TAG_KEY).map(String::as_str) == Some(MANAGED_BY_TAG_VALUE)
            && self.tags.get(TAG_EDGE).map(String::as_str) == Some(edge)
            && self.tags.get(TAG_TENANT).map(String::as_str) == Some(tenant)
    }
}

impl Gateway {
    /// The rules of a listener, with their tags.
    pub async fn listener_rules(
        &self,
        listener_arn: &str,
    ) -> Result<std::sync::Arc<Vec<RuleInfo>>, GatewayError> {
        let elbv2 = &self.aws.elbv2;
        Ok(self
            .rules
            .entry(listener_arn)
            .get_or_load(|| async {
                let rules = elbv2.list_rules(listener_arn).await?;
                Ok(rules.iter().map(RuleInfo::from_listener_rule).collect())
            })
            .await?)
    }

    /// Rules counted against the load balancer's quota (AWS counts every listener's rules but
    /// not their default rules): this listener's, as cached and patched, plus those of the load
    /// balancer's other listeners, read once per process. `None` when the listener is gone.
    pub async fn load_balancer_rules_used(
        &self,
        listener_arn: &str,
    ) -> Result<Option<usize>, GatewayError> {
        let elbv2 = &self.aws.elbv2;
        let others = self
            .other_listeners_rules
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
        let own = self.listener_rules(listener_arn).await?;
        Ok(Some(
            others + own.iter().filter(|r| r.priority.is_some()).count(),
        ))
    }

    /// Creates the rule sending `host` to `target_group_arn`, at `pinned` or else the lowest
    /// priority free both in AWS and among tenants being created by this process.
    pub async fn create_tenant_rule(
        &self,
        listener_arn: &str,
        host: &str,
        target_group_arn: &str,
        pinned: Option<i64>,
        tags: BTreeMap<String, String>,
    ) -> Result<RuleInfo, GatewayError> {
        let mut last_error = None;
        for _ in 0..MAX_PRIORITY_ATTEMPTS {
            let rules = self.listener_rules(listener_arn).await?;
            let priority = match pinned {
                Some(p) => p,
                None => {
                    let mut reservations =
                        self.reservations.lock().unwrap_or_else(|e| e.into_inner());
                    let taken = reservations
                        .priorities
                        .entry(listener_arn.to_string())
                        .or_default();
                    let mut used: std::collections::BTreeSet<i64> =
                        rules.iter().filter_map(|r| r.priority).collect();
                    used.extend(taken.iter().copied());
                    let p = lowest_free_priority(&used, MIN_RULE_PRIORITY, MAX_RULE_PRIORITY).ok_or_else(
                        || GatewayError::Capacity(format!(
                            "every priority from {MIN_RULE_PRIORITY} to {MAX_RULE_PRIORITY} of listener {listener_arn} is taken"
                        )),
                    )?;
                    taken.insert(p);
                    p
                }
            };
            let spec = HostRule {
                listener_arn: listener_arn.to_string(),
                hosts: vec![host.to_string()],
                target_group_arn: target_group_arn.to_string(),
                tags: tags.clone(),
                priority: Some(priority as i32),
            };
            let result = self.aws.elbv2.create_rule_with_free_priority(&spec).await;
            self.release_priority(listener_arn, priority);
            match result {
                Ok(created) => {
                    let info = RuleInfo::from_listener_rule(&created);
                    let added = info.clone();
                    self.rules
                        .entry(listener_arn)
                        .patch(|rules| rules.push(added))
                        .await;
                    return Ok(info);
                }
                // Either another run took the priority, or an earlier attempt of this very
                // request was made by AWS and only its answer was lost (the SDK retried it).
                // Read the rules again: adopt our own rule if it is there, else pick anew.
                Err(err) if err.has_code("PriorityInUse") => {
                    tracing::debug!(
                        listener = listener_arn,
                        priority,
                        "priority in use, reading the rules again"
                    );
                    self.rules.entry(listener_arn).invalidate().await;
                    let rules = self.listener_rules(listener_arn).await?;
                    if let Some(own) = rules.iter().find(|r| r.is_made_from(&spec)) {
                        tracing::debug!(rule = %own.arn, "the rule was created by an earlier attempt");
                        return Ok(own.clone());
                    }
                    if pinned.is_some() {
                        return Err(err.into());
                    }
                    last_error = Some(err);
                }
                Err(err) => return Err(err.into()),
            }
        }
        Err(last_error
            .map(GatewayError::Aws)
            .unwrap_or_else(|| GatewayError::Other("no free priority".into())))
    }

    fn release_priority(&self, listener_arn: &str, priority: i64) {
        let mut reservations = self.reservations.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(taken) = reservations.priorities.get_mut(listener_arn) {
            taken.remove(&priority);
        }
    }

    /// Deletes a tenant's rule (already gone is fine).
    pub async fn delete_tenant_rule(
        &self,
        listener_arn: &str,
        rule_arn: &str,
    ) -> Result<(), GatewayError> {
        self.aws.elbv2.delete_rule(rule_arn).await?;
        self.rules
            .entry(listener_arn)
            .patch(|rules| rules.retain(|r| r.arn != rule_arn))
            .await;
        Ok(())
    }

    /// Points a tenant's rule at `host` and `target_group_arn` again, and sets its priority.
    pub async fn repair_tenant_rule(
        &self,
        listener_arn: &str,
        rule: &RuleInfo,
        host: &str,
        target_group_arn: &str,
        priority: Option<i64>,
    ) -> Result<RuleInfo, GatewayError> {
        let elbv2 = &self.aws.elbv2;
        if rule.hosts != [host.to_string()] || rule.target_groups != [target_group_arn.to_string()]
        {
            elbv2
                .modify_rule(&rule.arn, &[host.to_string()], target_group_arn)
                .await?;
        }
        if let Some(p) = priority.filter(|p| Some(*p) != rule.priority) {
            elbv2
                .set_rule_priorities(&[(rule.arn.clone(), p as i32)])
                .await?;
        }
        let mut repaired = rule.clone();
        repaired.hosts = vec![host.to_string()];
        repaired.target_groups = vec![target_group_arn.to_string()];
        if let Some(p) = priority {
            repaired.priority = Some(p);
        }
        let stored = repaired.clone();
        self.rules
            .entry(listener_arn)
            .patch(|rules| {
                rules.retain(|r| r.arn != stored.arn);
                rules.push(stored);
            })
            .await;
        Ok(repaired)
    }

    /// Replaces a rule's tags with `tags` (the provider's own tags are kept).
    pub async fn retag_tenant_rule(
        &self,
        listener_arn: &str,
        rule: &RuleInfo,
        tags: BTreeMap<String, String>,
    ) -> Result<(), GatewayError> {
        let stale: Vec<String> = rule
            .tags
            .keys()
            .filter(|k| !tags.contains_key(*k) && k.as_str() != MANAGED_BY_TAG_KEY)
            .cloned()
            .collect();
        let elbv2 = &self.aws.elbv2;
        if !stale.is_empty() {
            elbv2.untag_resource(&rule.arn, &stale).await?;
        }
        let changed: BTreeMap<String, String> = tags
            .iter()
            .filter(|(k, v)| rule.tags.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !changed.is_empty() {
            elbv2.tag_resource(&rule.arn, &changed).await?;
        }
        let arn = rule.arn.clone();
        self.rules
            .entry(listener_arn)
            .patch(|rules| {
                if let Some(r) = rules.iter_mut().find(|r| r.arn == arn) {
                    let managed = r.tags.get(MANAGED_BY_TAG_KEY).cloned();
                    r.tags = tags;
                    if let Some(m) = managed {
                        r.tags.insert(MANAGED_BY_TAG_KEY.into(), m);
                    }
                }
            })
            .await;
        Ok(())
    }
}
