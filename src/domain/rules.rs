//! Listener rules as the provider reasons about them: which are its own, which belong to a
//! tenant, and whether one is exactly the rule a request asked for.

use super::edge::{TAG_EDGE, TAG_PREFIX, TAG_TENANT};
use super::tags::Tags;

/// Tag that marks a listener rule as created by this provider.
pub const MANAGED_BY_TAG_KEY: &str = "gateway:managed-by";
/// Value of [`MANAGED_BY_TAG_KEY`].
pub const MANAGED_BY_TAG_VALUE: &str = crate::PROVIDER_BINARY;

/// Condition values AWS allows in one rule, across its conditions: a grouped rule matches up
/// to this many tenant hosts.
pub const HOSTS_PER_RULE: usize = 5;

/// The tag of a rule holding the claim of whoever writes it: on a tenant's own rule, the
/// claim of the Terraform resource that manages the tenant; on a grouped rule, that of the
/// Terraform state whose tenants it matches (the only writer of its hosts).
pub const TAG_CLAIM: &str = "gateway:claim";

/// The tag marking a rule that matches several tenants' hosts ([`RuleLayout::Grouped`]).
///
/// [`RuleLayout::Grouped`]: super::edge::RuleLayout::Grouped
pub const TAG_GROUP: &str = "gateway:group";

/// A listener rule: where it sends which hosts, at which priority, tagged how.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleInfo {
    pub arn: String,
    /// `None` for the listener's default rule.
    pub priority: Option<i64>,
    /// Host-header values, normalized.
    pub hosts: Vec<String>,
    /// Target groups of its forward actions.
    pub target_groups: Vec<String>,
    pub tags: Tags,
    /// What else it does: conditions other than host names, actions other than one forward
    /// (described for people; empty for every rule the provider makes).
    pub extras: Vec<String>,
}

impl RuleInfo {
    /// True when this provider created the rule.
    pub fn is_managed(&self) -> bool {
        self.tags.get(MANAGED_BY_TAG_KEY).map(String::as_str) == Some(MANAGED_BY_TAG_VALUE)
    }

    /// True when this rule was created by the provider for `tenant` of `edge` alone.
    pub fn belongs_to(&self, edge: &str, tenant: &str) -> bool {
        self.is_managed()
            && !self.tags.contains_key(TAG_GROUP)
            && self.tags.get(TAG_EDGE).map(String::as_str) == Some(edge)
            && self.tags.get(TAG_TENANT).map(String::as_str) == Some(tenant)
    }

    /// True when this is a grouped rule of `edge`, matching several tenants' hosts.
    pub fn is_group_of(&self, edge: &str) -> bool {
        self.is_managed()
            && self.tags.contains_key(TAG_GROUP)
            && self.tags.get(TAG_EDGE).map(String::as_str) == Some(edge)
    }

    /// The claim on the rule ([`TAG_CLAIM`]).
    pub fn claim(&self) -> Option<&str> {
        self.tags.get(TAG_CLAIM).map(String::as_str)
    }

    /// True when the rule forwards to exactly `target_group`.
    pub fn forwards_to(&self, target_group: &str) -> bool {
        self.target_groups == [target_group]
    }

    /// True when this rule is the one a creation asked for: ours, at `priority`, sending
    /// exactly `hosts` to `target_group`, carrying every tag of `tags`.
    pub fn is_made_from(
        &self,
        hosts: &[String],
        target_group: &str,
        priority: i64,
        tags: &Tags,
    ) -> bool {
        self.priority == Some(priority)
            && self.hosts == hosts
            && self.target_groups == [target_group]
            && self.is_managed()
            && tags.iter().all(|(k, v)| self.tags.get(k) == Some(v))
    }

    /// True when the rule sends exactly `host` to exactly `target_group`.
    pub fn routes(&self, host: &str, target_group: &str) -> bool {
        self.hosts == [host] && self.forwards_to(target_group) && self.extras.is_empty()
    }

    /// True when the rule carries none of the provider's tags: someone else made it.
    pub fn is_unmarked(&self) -> bool {
        !self.tags.keys().any(|k| k.starts_with(TAG_PREFIX))
    }

    /// How the rule differs from one that sends exactly `host` to exactly `target_group`, in
    /// words; empty when it is such a rule.
    pub fn differences(&self, host: &str, target_group: &str) -> Vec<String> {
        let mut found = Vec::new();
        let others: Vec<&str> = self
            .hosts
            .iter()
            .filter(|h| *h != host)
            .map(String::as_str)
            .collect();
        if !others.is_empty() {
            found.push(format!("it also matches {}", others.join(", ")));
        }
        if !self.forwards_to(target_group) {
            found.push(match self.target_groups.as_slice() {
                [] => "it forwards to no target group".to_string(),
                groups => format!(
                    "it forwards to {}, not to the edge's target group {target_group}",
                    groups.join(", ")
                ),
            });
        }
        found.extend(self.extras.iter().map(|e| format!("it has {e}")));
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(tags: &[(&str, &str)]) -> RuleInfo {
        RuleInfo {
            arn: "arn:rule/1".into(),
            priority: Some(7),
            hosts: vec!["a.example.com".into()],
            target_groups: vec!["arn:tg".into()],
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            extras: Vec::new(),
        }
    }

    #[test]
    fn ownership_is_read_from_the_tags() {
        let ours = [
            (MANAGED_BY_TAG_KEY, MANAGED_BY_TAG_VALUE),
            (TAG_EDGE, "e1"),
            (TAG_TENANT, "acme"),
        ];
        let cases = [
            (rule(&ours), true, true),
            (rule(&ours[1..]), false, false),
            (rule(&[(MANAGED_BY_TAG_KEY, "someone-else")]), false, false),
            (rule(&ours[..2]), true, false),
        ];
        for (rule, managed, belongs) in cases {
            assert_eq!(rule.is_managed(), managed, "{:?}", rule.tags);
            assert_eq!(rule.belongs_to("e1", "acme"), belongs, "{:?}", rule.tags);
        }
        assert!(!rule(&ours).belongs_to("e2", "acme"));
        let group = rule(&[
            (MANAGED_BY_TAG_KEY, MANAGED_BY_TAG_VALUE),
            (TAG_EDGE, "e1"),
            (TAG_TENANT, "acme"),
            (TAG_GROUP, "true"),
            (TAG_CLAIM, "ws1-x"),
        ]);
        assert!(group.is_group_of("e1") && !group.is_group_of("e2"));
        assert!(
            !group.belongs_to("e1", "acme"),
            "a group is no tenant's own"
        );
        assert!(!rule(&ours).is_group_of("e1"));
        assert_eq!(group.claim(), Some("ws1-x"));
    }

    #[test]
    fn a_rule_is_made_from_the_request_that_describes_it() {
        let r = rule(&[(MANAGED_BY_TAG_KEY, MANAGED_BY_TAG_VALUE), ("team", "x")]);
        let hosts = vec!["a.example.com".to_string()];
        let tags: Tags = [("team".to_string(), "x".to_string())].into();
        assert!(r.is_made_from(&hosts, "arn:tg", 7, &tags));
        assert!(!r.is_made_from(&hosts, "arn:tg", 8, &tags));
        assert!(!r.is_made_from(&hosts, "arn:other", 7, &tags));
        assert!(!r.is_made_from(&["b.example.com".into()], "arn:tg", 7, &tags));
        let more: Tags = [("team".to_string(), "y".to_string())].into();
        assert!(!r.is_made_from(&hosts, "arn:tg", 7, &more));
        assert!(r.routes("a.example.com", "arn:tg"));
        assert!(!r.routes("a.example.com", "arn:other"));
    }
}
