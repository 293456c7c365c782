//! Elastic Load Balancing v2: the shared listener of the edge's ALB and one rule per tenant
//! (a host-header condition forwarding to the shared target group, tagged as ours).
//!
//! [`Elbv2Api`] is the thin wrapper, one method per API operation; [`Elbv2`] holds the
//! finders and mutations. A rule is created at the priority its caller chose: choosing one,
//! and choosing again when another writer takes it first (`PriorityInUse`), is the account
//! layer's (`account::rules`), which knows the priorities its own tenants are taking.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, HostHeaderConditionConfig, Listener, LoadBalancer, Rule, RuleCondition,
    RulePriorityPair, Tag, TagDescription, TargetGroup,
};

use super::error::AwsError;
use super::{all_pages, found, missing, Page, Service};

/// Lowest priority a listener rule may have.
pub const MIN_RULE_PRIORITY: i64 = 1;
/// Highest priority a listener rule may have.
pub const MAX_RULE_PRIORITY: i64 = 50_000;
/// `PageSize` of DescribeRules (AWS's maximum).
pub const RULES_PAGE_SIZE: i32 = 400;
/// Most ARNs DescribeTags accepts in one call.
pub const TAGS_PER_DESCRIBE: usize = 20;
/// The condition field of a host-name rule.
const HOST_HEADER: &str = "host-header";

/// One method per ELBv2 API operation the provider uses.
#[async_trait]
pub trait Elbv2Api: Send + Sync {
    /// DescribeListeners by ARN.
    async fn describe_listeners(&self, arns: Vec<String>) -> Result<Vec<Listener>, AwsError>;
    /// DescribeListeners of a load balancer, one page.
    async fn describe_load_balancer_listeners(
        &self,
        load_balancer_arn: &str,
        marker: Option<String>,
    ) -> Result<Page<Listener>, AwsError>;
    /// DescribeLoadBalancers by ARN.
    async fn describe_load_balancers(
        &self,
        arns: Vec<String>,
    ) -> Result<Vec<LoadBalancer>, AwsError>;
    /// DescribeTargetGroups by ARN.
    async fn describe_target_groups(&self, arns: Vec<String>)
        -> Result<Vec<TargetGroup>, AwsError>;
    /// DescribeRules of a listener, one page.
    async fn describe_rules(
        &self,
        listener_arn: &str,
        marker: Option<String>,
        page_size: i32,
    ) -> Result<Page<Rule>, AwsError>;
    /// DescribeTags (at most [`TAGS_PER_DESCRIBE`] ARNs).
    async fn describe_tags(&self, arns: Vec<String>) -> Result<Vec<TagDescription>, AwsError>;
    /// CreateRule.
    async fn create_rule(
        &self,
        listener_arn: &str,
        priority: i32,
        conditions: Vec<RuleCondition>,
        actions: Vec<Action>,
        tags: Vec<Tag>,
    ) -> Result<Rule, AwsError>;
    /// ModifyRule.
    /// ModifyRule; `None` conditions keeps the rule's.
    async fn modify_rule(
        &self,
        rule_arn: &str,
        conditions: Option<Vec<RuleCondition>>,
        actions: Vec<Action>,
    ) -> Result<Rule, AwsError>;
    /// DeleteRule.
    async fn delete_rule(&self, rule_arn: &str) -> Result<(), AwsError>;
    /// SetRulePriorities.
    async fn set_rule_priorities(
        &self,
        pairs: Vec<RulePriorityPair>,
    ) -> Result<Vec<Rule>, AwsError>;
    /// AddTags.
    async fn add_tags(&self, arns: Vec<String>, tags: Vec<Tag>) -> Result<(), AwsError>;
    /// RemoveTags.
    async fn remove_tags(&self, arns: Vec<String>, keys: Vec<String>) -> Result<(), AwsError>;
}

#[async_trait]
impl Elbv2Api for aws_sdk_elasticloadbalancingv2::Client {
    async fn describe_listeners(&self, arns: Vec<String>) -> Result<Vec<Listener>, AwsError> {
        let subject = arns.join(", ");
        let out = self
            .describe_listeners()
            .set_listener_arns(Some(arns))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DescribeListeners", e).with_subject(subject))?;
        Ok(out.listeners.unwrap_or_default())
    }

    async fn describe_load_balancer_listeners(
        &self,
        load_balancer_arn: &str,
        marker: Option<String>,
    ) -> Result<Page<Listener>, AwsError> {
        let out = self
            .describe_listeners()
            .load_balancer_arn(load_balancer_arn)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| {
                AwsError::from_sdk("DescribeListeners", e).with_subject(load_balancer_arn)
            })?;
        Ok(Page {
            items: out.listeners.unwrap_or_default(),
            next: out.next_marker.filter(|m| !m.is_empty()),
        })
    }

    async fn describe_load_balancers(
        &self,
        arns: Vec<String>,
    ) -> Result<Vec<LoadBalancer>, AwsError> {
        let subject = arns.join(", ");
        let out = self
            .describe_load_balancers()
            .set_load_balancer_arns(Some(arns))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DescribeLoadBalancers", e).with_subject(subject))?;
        Ok(out.load_balancers.unwrap_or_default())
    }

    async fn describe_target_groups(
        &self,
        arns: Vec<String>,
    ) -> Result<Vec<TargetGroup>, AwsError> {
        let subject = arns.join(", ");
        let out = self
            .describe_target_groups()
            .set_target_group_arns(Some(arns))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DescribeTargetGroups", e).with_subject(subject))?;
        Ok(out.target_groups.unwrap_or_default())
    }

    async fn describe_rules(
        &self,
        listener_arn: &str,
        marker: Option<String>,
        page_size: i32,
    ) -> Result<Page<Rule>, AwsError> {
        let out = self
            .describe_rules()
            .listener_arn(listener_arn)
            .set_marker(marker)
            .page_size(page_size)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DescribeRules", e).with_subject(listener_arn))?;
        Ok(Page {
            items: out.rules.unwrap_or_default(),
            next: out.next_marker.filter(|m| !m.is_empty()),
        })
    }

    async fn describe_tags(&self, arns: Vec<String>) -> Result<Vec<TagDescription>, AwsError> {
        let out = self
            .describe_tags()
            .set_resource_arns(Some(arns))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DescribeTags", e))?;
        Ok(out.tag_descriptions.unwrap_or_default())
    }

    async fn create_rule(
        &self,
        listener_arn: &str,
        priority: i32,
        conditions: Vec<RuleCondition>,
        actions: Vec<Action>,
        tags: Vec<Tag>,
    ) -> Result<Rule, AwsError> {
        const OP: &str = "CreateRule";
        self.create_rule()
            .listener_arn(listener_arn)
            .priority(priority)
            .set_conditions(Some(conditions))
            .set_actions(Some(actions))
            .set_tags((!tags.is_empty()).then_some(tags))
            .send()
            .await
            .map_err(|e| {
                AwsError::from_sdk(OP, e)
                    .with_subject(format!("{listener_arn} priority {priority}"))
            })?
            .rules
            .and_then(|rules| rules.into_iter().next())
            .ok_or_else(|| missing(OP, "Rules"))
    }

    async fn modify_rule(
        &self,
        rule_arn: &str,
        conditions: Option<Vec<RuleCondition>>,
        actions: Vec<Action>,
    ) -> Result<Rule, AwsError> {
        const OP: &str = "ModifyRule";
        self.modify_rule()
            .rule_arn(rule_arn)
            .set_conditions(conditions)
            .set_actions(Some(actions))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(OP, e).with_subject(rule_arn))?
            .rules
            .and_then(|rules| rules.into_iter().next())
            .ok_or_else(|| missing(OP, "Rules"))
    }

    async fn delete_rule(&self, rule_arn: &str) -> Result<(), AwsError> {
        self.delete_rule()
            .rule_arn(rule_arn)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DeleteRule", e).with_subject(rule_arn))?;
        Ok(())
    }

    async fn set_rule_priorities(
        &self,
        pairs: Vec<RulePriorityPair>,
    ) -> Result<Vec<Rule>, AwsError> {
        let out = self
            .set_rule_priorities()
            .set_rule_priorities(Some(pairs))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("SetRulePriorities", e))?;
        Ok(out.rules.unwrap_or_default())
    }

    async fn add_tags(&self, arns: Vec<String>, tags: Vec<Tag>) -> Result<(), AwsError> {
        let subject = arns.join(", ");
        self.add_tags()
            .set_resource_arns(Some(arns))
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("AddTags", e).with_subject(subject))?;
        Ok(())
    }

    async fn remove_tags(&self, arns: Vec<String>, keys: Vec<String>) -> Result<(), AwsError> {
        let subject = arns.join(", ");
        self.remove_tags()
            .set_resource_arns(Some(arns))
            .set_tag_keys(Some(keys))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("RemoveTags", e).with_subject(subject))?;
        Ok(())
    }
}

/// A listener rule with its tags.
#[derive(Debug, Clone, PartialEq)]
pub struct ListenerRule {
    /// The rule as DescribeRules answers it.
    pub rule: Rule,
    /// Its tags (empty for a listener's default rule).
    pub tags: BTreeMap<String, String>,
}

impl ListenerRule {
    /// The rule's ARN.
    pub fn arn(&self) -> &str {
        self.rule.rule_arn.as_deref().unwrap_or_default()
    }

    /// The rule's priority; `None` for the listener's default rule.
    pub fn priority(&self) -> Option<i32> {
        rule_priority(&self.rule)
    }

    /// The host names of its host-header condition.
    pub fn hosts(&self) -> Vec<String> {
        rule_hosts(&self.rule)
    }
}

/// A rule to create: requests for any of `hosts` go to `target_group_arn`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRule {
    /// The listener.
    pub listener_arn: String,
    /// Host-header values (AWS allows five condition values per rule).
    pub hosts: Vec<String>,
    /// The target group requests are forwarded to.
    pub target_group_arn: String,
    /// Its tags.
    pub tags: BTreeMap<String, String>,
    /// The rule's priority, unique on the listener.
    pub priority: i32,
}

/// ELBv2 finders and mutations.
pub type Elbv2 = Service<dyn Elbv2Api>;

impl Elbv2 {
    /// The listener, or `None` when it does not exist.
    pub async fn find_listener_by_arn(&self, arn: &str) -> Result<Option<Listener>, AwsError> {
        let listeners = found(
            self.api("DescribeListeners")
                .await
                .describe_listeners(vec![arn.to_string()])
                .await,
        )?;
        Ok(listeners.and_then(|l| l.into_iter().next()))
    }

    /// Every listener of the load balancer.
    pub async fn list_load_balancer_listeners(
        &self,
        load_balancer_arn: &str,
    ) -> Result<Vec<Listener>, AwsError> {
        all_pages(|marker| async move {
            let page = self
                .api("DescribeLoadBalancerListeners")
                .await
                .describe_load_balancer_listeners(load_balancer_arn, marker)
                .await?;
            Ok((page.items, page.next))
        })
        .await
    }

    /// How many rules the listener holds, its default rule not counted (as AWS's quota of
    /// rules per load balancer does not count it). No tags are read.
    pub async fn count_rules(&self, listener_arn: &str) -> Result<usize, AwsError> {
        let rules = self.describe_listener_rules(listener_arn).await?;
        Ok(rules
            .iter()
            .filter(|r| !r.is_default.unwrap_or(false))
            .count())
    }

    /// The load balancer, or `None` when it does not exist.
    pub async fn find_load_balancer_by_arn(
        &self,
        arn: &str,
    ) -> Result<Option<LoadBalancer>, AwsError> {
        let lbs = found(
            self.api("DescribeLoadBalancers")
                .await
                .describe_load_balancers(vec![arn.to_string()])
                .await,
        )?;
        Ok(lbs.and_then(|l| l.into_iter().next()))
    }

    /// The target group, or `None` when it does not exist.
    pub async fn find_target_group_by_arn(
        &self,
        arn: &str,
    ) -> Result<Option<TargetGroup>, AwsError> {
        let groups = found(
            self.api("DescribeTargetGroups")
                .await
                .describe_target_groups(vec![arn.to_string()])
                .await,
        )?;
        Ok(groups.and_then(|g| g.into_iter().next()))
    }

    /// Every rule of the listener, the default rule included, with their tags (DescribeTags
    /// for [`TAGS_PER_DESCRIBE`] rules at a time).
    pub async fn list_rules(&self, listener_arn: &str) -> Result<Vec<ListenerRule>, AwsError> {
        let rules = self.describe_listener_rules(listener_arn).await?;
        self.with_tags(rules).await
    }

    async fn describe_listener_rules(&self, listener_arn: &str) -> Result<Vec<Rule>, AwsError> {
        all_pages(|marker| async move {
            let page = self
                .api("DescribeRules")
                .await
                .describe_rules(listener_arn, marker, RULES_PAGE_SIZE)
                .await?;
            Ok((page.items, page.next))
        })
        .await
    }

    async fn with_tags(&self, rules: Vec<Rule>) -> Result<Vec<ListenerRule>, AwsError> {
        let arns: Vec<String> = rules
            .iter()
            .filter(|r| !r.is_default.unwrap_or(false))
            .filter_map(|r| r.rule_arn.clone())
            .collect();
        let mut tags_by_arn: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for chunk in arns.chunks(TAGS_PER_DESCRIBE) {
            for description in self
                .api("DescribeTags")
                .await
                .describe_tags(chunk.to_vec())
                .await?
            {
                let Some(arn) = description.resource_arn else {
                    continue;
                };
                tags_by_arn.insert(arn, from_tags(description.tags.unwrap_or_default()));
            }
        }
        Ok(rules
            .into_iter()
            .map(|rule| {
                let tags = rule
                    .rule_arn
                    .as_ref()
                    .and_then(|arn| tags_by_arn.remove(arn))
                    .unwrap_or_default();
                ListenerRule { rule, tags }
            })
            .collect())
    }

    /// Creates a host-header rule forwarding to the target group at the spec's priority, with
    /// the spec's tags. A priority already in use fails with
    /// `PriorityInUse` ([`super::ErrorKind::Conflict`]); a load balancer at its rule quota with
    /// `TooManyRules` ([`super::ErrorKind::Quota`]).
    pub async fn create_rule(&self, spec: &HostRule) -> Result<ListenerRule, AwsError> {
        let (conditions, actions) = host_rule_parts(&spec.hosts, &spec.target_group_arn);
        let rule = self
            .api("CreateRule")
            .await
            .create_rule(
                &spec.listener_arn,
                spec.priority,
                conditions,
                actions,
                to_tags(&spec.tags),
            )
            .await?;
        Ok(ListenerRule {
            rule,
            tags: spec.tags.clone(),
        })
    }

    /// Replaces a rule's hosts (`None` keeps them) and target group.
    pub async fn modify_rule(
        &self,
        rule_arn: &str,
        hosts: Option<&[String]>,
        target_group_arn: &str,
    ) -> Result<Rule, AwsError> {
        let (conditions, actions) = host_rule_parts(hosts.unwrap_or_default(), target_group_arn);
        self.api("ModifyRule")
            .await
            .modify_rule(rule_arn, hosts.map(|_| conditions), actions)
            .await
    }

    /// Moves rules to new priorities in one call (AWS applies them together, so two rules
    /// may swap).
    pub async fn set_rule_priorities(
        &self,
        priorities: &[(String, i32)],
    ) -> Result<Vec<Rule>, AwsError> {
        let pairs = priorities
            .iter()
            .map(|(arn, priority)| {
                RulePriorityPair::builder()
                    .rule_arn(arn)
                    .priority(*priority)
                    .build()
            })
            .collect();
        self.api("SetRulePriorities")
            .await
            .set_rule_priorities(pairs)
            .await
    }

    /// Deletes a rule; a rule already gone (`RuleNotFound`) is success.
    pub async fn delete_rule(&self, rule_arn: &str) -> Result<(), AwsError> {
        match self.api("DeleteRule").await.delete_rule(rule_arn).await {
            Err(err) if err.is_not_found() => Ok(()),
            other => other,
        }
    }

    /// Adds or overwrites tags on a rule, listener, load balancer or target group.
    pub async fn tag_resource(
        &self,
        arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), AwsError> {
        if tags.is_empty() {
            return Ok(());
        }
        self.api("AddTags")
            .await
            .add_tags(vec![arn.to_string()], to_tags(tags))
            .await
    }

    /// Removes tags by key.
    pub async fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<(), AwsError> {
        if keys.is_empty() {
            return Ok(());
        }
        self.api("RemoveTags")
            .await
            .remove_tags(vec![arn.to_string()], keys.to_vec())
            .await
    }
}

/// A rule's numeric priority; `None` for the default rule (priority `default`).
pub fn rule_priority(rule: &Rule) -> Option<i32> {
    rule.priority.as_deref().and_then(|p| p.parse().ok())
}

/// The values of a rule's host-header condition (in either of the shapes AWS answers).
pub fn rule_hosts(rule: &Rule) -> Vec<String> {
    rule.conditions
        .iter()
        .flatten()
        .filter(|c| c.field.as_deref() == Some(HOST_HEADER))
        .flat_map(|c| {
            c.host_header_config
                .as_ref()
                .and_then(|h| h.values.clone())
                .or_else(|| c.values.clone())
                .unwrap_or_default()
        })
        .collect()
}

/// What a rule does besides matching host names and forwarding to one target group: its other
/// conditions and actions, described for people (`a path-pattern condition`).
pub fn rule_extras(rule: &Rule) -> Vec<String> {
    let conditions = rule.conditions.iter().flatten().filter_map(|c| {
        let field = c.field.as_deref().unwrap_or("unnamed");
        (field != HOST_HEADER).then(|| format!("a {field} condition"))
    });
    let actions = rule.actions.iter().flatten().filter_map(|a| {
        let kind = a.r#type.as_ref().map_or("unnamed", |t| t.as_str());
        let weighted = a
            .forward_config
            .as_ref()
            .and_then(|f| f.target_groups.as_ref())
            .is_some_and(|groups| groups.len() > 1);
        match kind {
            "forward" if weighted => Some("a forward to several target groups".to_string()),
            "forward" => None,
            other => Some(format!("a {other} action")),
        }
    });
    conditions.chain(actions).collect()
}

/// The condition and action of a host rule: requests for any of `hosts` are forwarded to
/// `target_group_arn`.
pub fn host_rule_parts(
    hosts: &[String],
    target_group_arn: &str,
) -> (Vec<RuleCondition>, Vec<Action>) {
    let condition = RuleCondition::builder()
        .field(HOST_HEADER)
        .host_header_config(
            HostHeaderConditionConfig::builder()
                .set_values(Some(hosts.to_vec()))
                .build(),
        )
        .build();
    let action = Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .target_group_arn(target_group_arn)
        .build();
    (vec![condition], vec![action])
}

fn to_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn from_tags(tags: Vec<Tag>) -> BTreeMap<String, String> {
    tags.into_iter()
        .filter_map(|t| Some((t.key?, t.value.unwrap_or_default())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_and_hosts_are_read_from_rules() {
        let (conditions, actions) = host_rule_parts(&["a.example.com".into()], "arn:tg");
        let rule = Rule::builder()
            .priority("7")
            .set_conditions(Some(conditions))
            .set_actions(Some(actions))
            .build();
        assert_eq!(rule_priority(&rule), Some(7));
        assert_eq!(rule_hosts(&rule), vec!["a.example.com".to_string()]);
        let default = Rule::builder().priority("default").is_default(true).build();
        assert_eq!(rule_priority(&default), None);
        let legacy = Rule::builder()
            .conditions(
                RuleCondition::builder()
                    .field("host-header")
                    .values("b.example.com")
                    .build(),
            )
            .build();
        assert_eq!(rule_hosts(&legacy), vec!["b.example.com".to_string()]);
        let action = &rule.actions.as_ref().unwrap()[0];
        assert_eq!(action.r#type, Some(ActionTypeEnum::Forward));
        assert_eq!(action.target_group_arn.as_deref(), Some("arn:tg"));
    }
}
