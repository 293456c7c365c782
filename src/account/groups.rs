//! Hosts joining and leaving the grouped rules of one Terraform state on one listener. The
//! requests of a process are merged per listener and state claim, so tenants created together
//! cost one rule write per group rather than one each, and a batch is computed and written
//! while no other batch of that state runs ([`crate::domain::groups`] states the invariant).

use super::error::AccountError;
use super::merge::Pending;
use super::rules::{NewRule, Rules};
use crate::aws::{AwsError, ErrorKind};
use crate::domain::capacity::RuleRoom;
use crate::domain::edge::{EdgeRecord, TAG_EDGE};
use crate::domain::groups::{group_room, plan_group_writes, GroupChange, GroupWrite};
use crate::domain::rules::{RuleInfo, HOSTS_PER_RULE, MANAGED_BY_TAG_KEY, TAG_CLAIM, TAG_GROUP};
use crate::domain::tags::Tags;

/// What a queued change is answered with: the group holding a joined host.
pub type GroupAnswer = Result<Option<RuleInfo>, AccountError>;

/// The grouped rules one Terraform state writes on one listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub listener_arn: String,
    pub edge: String,
    /// The state's claim: the one writer of these rules.
    pub claim: String,
    pub target_group_arn: String,
    /// Tags of the rules (the provider's default tags); the bookkeeping is added.
    pub tags: Tags,
}

impl Group {
    /// Whether `rule` is one of these groups.
    pub fn holds(&self, rule: &RuleInfo) -> bool {
        rule.is_group_of(&self.edge) && rule.claim() == Some(self.claim.as_str())
    }

    fn key(&self) -> String {
        format!("{}\n{}", self.listener_arn, self.claim)
    }

    fn rule_tags(&self) -> Tags {
        let mut tags = self.tags.clone();
        tags.insert(TAG_EDGE.into(), self.edge.clone());
        tags.insert(TAG_GROUP.into(), "true".into());
        tags.insert(TAG_CLAIM.into(), self.claim.clone());
        tags
    }
}

impl Rules {
    /// The state's groups on the listener, as this process knows them.
    pub async fn groups_of(&self, group: &Group) -> Result<Vec<RuleInfo>, AccountError> {
        let rules = self.of_listener(&group.listener_arn).await?;
        Ok(rules.iter().filter(|r| group.holds(r)).cloned().collect())
    }

    /// The room on edge `record`'s load balancer for tenants of the state `claim`: the rules
    /// it holds (every listener's) and the hosts that state's groups can still take.
    pub async fn room(&self, record: &EdgeRecord, claim: &str) -> Result<RuleRoom, AccountError> {
        let Some(used) = self.load_balancer_rules_used(&record.listener_arn).await? else {
            return Ok(RuleRoom::default());
        };
        let group = Group {
            listener_arn: record.listener_arn.clone(),
            edge: record.name.clone(),
            claim: claim.to_string(),
            target_group_arn: record.target_group_arn.clone(),
            tags: Tags::new(),
        };
        let groups = self.groups_of(&group).await?;
        Ok(RuleRoom {
            used: Some(used),
            group_room: group_room(&groups.iter().collect::<Vec<_>>(), HOSTS_PER_RULE),
        })
    }

    /// Puts `host` in one of the state's groups (it stays where it already is) and returns
    /// that group. `own_rule`, the tenant's rule of its own from before the edge grouped its
    /// rules, becomes the group when a new one is needed; otherwise the caller deletes it.
    pub async fn join(
        &self,
        group: &Group,
        host: &str,
        own_rule: Option<&RuleInfo>,
    ) -> Result<RuleInfo, AccountError> {
        let change = GroupChange {
            host: host.to_string(),
            join: true,
            own_rule: own_rule.map(|r| r.arn.clone()),
        };
        self.submit_change(group, change).await?.ok_or_else(|| {
            AccountError::Other(format!("{host} was written to no group of the listener"))
        })
    }

    /// Takes `host` out of the state's groups; a group left empty is deleted.
    pub async fn leave(&self, group: &Group, host: &str) -> Result<(), AccountError> {
        let change = GroupChange {
            host: host.to_string(),
            join: false,
            own_rule: None,
        };
        self.submit_change(group, change).await.map(|_| ())
    }

    async fn submit_change(&self, group: &Group, change: GroupChange) -> GroupAnswer {
        let ready = self.elbv2.until_free("ModifyRule");
        self.groups
            .submit(&group.key(), change, ready, |batch| {
                self.write_batch(group, batch)
            })
            .await
            .unwrap_or_else(|| {
                Err(AccountError::Aws(AwsError::new(
                    "ModifyRule",
                    ErrorKind::Other,
                    "the group change was dropped",
                )))
            })
    }

    async fn write_batch(&self, group: &Group, batch: Vec<Pending<GroupChange, GroupAnswer>>) {
        let changes: Vec<GroupChange> = batch.iter().map(|p| p.request.clone()).collect();
        tracing::debug!(
            listener = %group.listener_arn,
            changes = changes.len(),
            "writing grouped rules"
        );
        let written = self.write_changes(group, &changes).await;
        if written.is_err() {
            // What failed may have been half done: the next batch reads the rules again.
            self.listeners.entry(&group.listener_arn).invalidate().await;
        }
        let groups = match &written {
            Ok(()) => self.groups_of(group).await,
            Err(err) => Err(shared(err)),
        };
        for pending in batch {
            let answer = match &groups {
                Ok(_) if !pending.request.join => Ok(None),
                Ok(groups) => Ok(groups
                    .iter()
                    .find(|g| g.hosts.contains(&pending.request.host))
                    .cloned()),
                Err(err) => Err(shared(err)),
            };
            pending.answer(answer);
        }
    }

    /// Plans the batch on the state's groups as cached (exact: no one else writes them) and
    /// carries it out, one rule at a time.
    async fn write_changes(
        &self,
        group: &Group,
        changes: &[GroupChange],
    ) -> Result<(), AccountError> {
        let listener = group.listener_arn.as_str();
        let target = group.target_group_arn.as_str();
        let rules = self.of_listener(listener).await?;
        let groups: Vec<RuleInfo> = rules.iter().filter(|r| group.holds(r)).cloned().collect();
        let find =
            |arn: &str| {
                rules.iter().find(|r| r.arn == arn).cloned().ok_or_else(|| {
                    AccountError::Other(format!("rule {arn} is not on the listener"))
                })
            };
        for write in plan_group_writes(&groups, changes, target, HOSTS_PER_RULE) {
            match write {
                GroupWrite::SetHosts { arn, hosts } => {
                    self.repair(listener, &find(&arn)?, &hosts, target, None)
                        .await?;
                }
                GroupWrite::Delete { arn } => self.delete(listener, &arn).await?,
                GroupWrite::Adopt { arn, hosts } => {
                    let adopted = self.adopt(group, &find(&arn)?).await?;
                    self.repair(listener, &adopted, &hosts, target, None)
                        .await?;
                }
                GroupWrite::Create { hosts } => {
                    let new = NewRule {
                        listener_arn: listener.to_string(),
                        hosts,
                        target_group_arn: target.to_string(),
                        pinned: None,
                        tags: group.rule_tags(),
                    };
                    self.create(&new).await?;
                }
            }
        }
        Ok(())
    }

    /// Turns a tenant's own rule into one of the state's groups, tags first: between the two
    /// calls it is a group still naming its tenant, never a rule of no one.
    async fn adopt(&self, group: &Group, rule: &RuleInfo) -> Result<RuleInfo, AccountError> {
        let wanted = group.rule_tags();
        self.elbv2.tag_resource(&rule.arn, &wanted).await?;
        let stale: Vec<String> = rule
            .tags
            .keys()
            .filter(|k| !wanted.contains_key(*k) && k.as_str() != MANAGED_BY_TAG_KEY)
            .cloned()
            .collect();
        self.elbv2.untag_resource(&rule.arn, &stale).await?;
        let mut adopted = rule.clone();
        adopted.tags.retain(|k, _| k == MANAGED_BY_TAG_KEY);
        adopted.tags.extend(wanted);
        let stored = adopted.clone();
        self.patch(&group.listener_arn, |rules| {
            if let Some(r) = rules.iter_mut().find(|r| r.arn == stored.arn) {
                *r = stored;
            }
        })
        .await;
        Ok(adopted)
    }
}

/// An error given to every request of a batch.
fn shared(err: &AccountError) -> AccountError {
    match err {
        AccountError::Aws(err) => AccountError::Aws(err.clone()),
        AccountError::Capacity(text) => AccountError::Capacity(text.clone()),
        other => AccountError::Other(other.to_string()),
    }
}
