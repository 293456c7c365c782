//! How full an edge is and whether a plan fits it: one computation, which the plan-time check
//! and the `gateway_edge_capacity` data source both use, so that the room the data source
//! reports is the room the plan admits.

use std::collections::BTreeSet;

use super::allocation::{alias_room, Slot};
use super::edge::{EdgeRecord, RuleLayout};
use super::rules::HOSTS_PER_RULE;

/// CloudFront's default quota of distributions one cache policy, or one origin request policy,
/// is associated with. The pool shares one of each, so it never grows past this.
pub const DISTRIBUTIONS_PER_POLICY: usize = 100;
/// CloudFront's default quota of distributions in an account.
pub const DISTRIBUTIONS_PER_ACCOUNT: usize = 500;
/// CloudFront's default quota of distribution tenants in an account (SaaS Manager).
pub const DISTRIBUTION_TENANTS_PER_ACCOUNT: usize = 10_000;

/// What stops the pool growing first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolLimit {
    /// The edge's `max_distributions`.
    Setting,
    /// [`DISTRIBUTIONS_PER_POLICY`].
    Policy,
    /// [`DISTRIBUTIONS_PER_ACCOUNT`], with this many of the account's distributions outside
    /// the pool.
    Account { others: usize },
    /// A multi-tenant edge's one distribution: [`DISTRIBUTION_TENANTS_PER_ACCOUNT`], with this
    /// many of the account's distribution tenants on other distributions.
    Tenants { others: usize },
}

/// What the edge's load balancer has room for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RuleRoom {
    /// Rules on the load balancer, all listeners, default rules excluded; `None` when the
    /// listener does not exist (yet).
    pub used: Option<usize>,
    /// Hosts the planning state's groups can still take without a new rule.
    pub group_room: usize,
}

/// One pool distribution's aliases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributionRoom {
    pub slot: u32,
    pub distribution_id: String,
    pub used: usize,
    /// How many more it takes: its capacity (the edge's cap, or less where AWS refused more)
    /// minus what it holds.
    pub free: usize,
}

/// How full an edge is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeCapacity {
    pub distributions: Vec<DistributionRoom>,
    /// Tenant hosts on the pool.
    pub tenants: usize,
    /// Tenants the edge can still take, counting the distributions the pool may grow by.
    pub aliases_free: usize,
    /// How many distributions the pool may have, and what sets that.
    pub pool_limit: (usize, PoolLimit),
    /// Rules on the edge's load balancer, all listeners, default rules excluded; `None` when
    /// the listener does not exist (yet).
    pub rules_used: Option<usize>,
    /// The edge's `max_listener_rules`.
    pub rules_quota: usize,
    /// Hosts one new rule matches: five when the edge groups them, else one.
    pub hosts_per_rule: usize,
    /// Hosts the planning state's groups can still take without a new rule.
    pub group_room: usize,
}

impl EdgeCapacity {
    /// The capacity of the edge `record` whose pool is `slots` (capacities already lowered
    /// where AWS refused more aliases than the cap), with `rules` on its load balancer, in an
    /// account holding `other_distributions` outside the pool.
    pub fn of(
        slots: &[Slot],
        record: &EdgeRecord,
        rules: RuleRoom,
        other_distributions: usize,
    ) -> Self {
        let grouped = record.rule_layout == RuleLayout::Grouped;
        let account_room = DISTRIBUTIONS_PER_ACCOUNT.saturating_sub(other_distributions);
        let pool_limit = [
            (record.max_distributions, PoolLimit::Setting),
            (DISTRIBUTIONS_PER_POLICY, PoolLimit::Policy),
            (
                account_room,
                PoolLimit::Account {
                    others: other_distributions,
                },
            ),
        ]
        .into_iter()
        .min_by_key(|(n, _)| *n)
        .unwrap_or((record.max_distributions, PoolLimit::Setting));
        let mut ordered: Vec<&Slot> = slots.iter().collect();
        ordered.sort_by_key(|s| s.slot);
        let hosts: BTreeSet<&String> = slots.iter().flat_map(|s| &s.aliases).collect();
        Self {
            distributions: ordered
                .into_iter()
                .map(|s| DistributionRoom {
                    slot: s.slot,
                    distribution_id: s.distribution_id.clone(),
                    used: s.aliases.len(),
                    free: s.free(),
                })
                .collect(),
            tenants: hosts.len(),
            aliases_free: alias_room(slots, record.max_aliases_per_distribution, pool_limit.0),
            pool_limit,
            rules_used: rules.used,
            rules_quota: record.max_listener_rules,
            hosts_per_rule: if grouped { HOSTS_PER_RULE } else { 1 },
            group_room: if grouped { rules.group_room } else { 0 },
        }
    }

    /// The capacity of multi-tenant edge `record`, whose distribution `distribution_id` has
    /// `hosts` as its tenants' domains, with `rules` on its load balancer, in an account holding
    /// `other_tenants` distribution tenants elsewhere: no alias cap, the account's tenant quota.
    pub fn multi_tenant(
        distribution_id: Option<&str>,
        hosts: usize,
        record: &EdgeRecord,
        rules: RuleRoom,
        other_tenants: usize,
    ) -> Self {
        let grouped = record.rule_layout == RuleLayout::Grouped;
        let free = DISTRIBUTION_TENANTS_PER_ACCOUNT.saturating_sub(other_tenants + hosts);
        Self {
            distributions: distribution_id
                .map(|id| DistributionRoom {
                    slot: 0,
                    distribution_id: id.to_string(),
                    used: hosts,
                    free,
                })
                .into_iter()
                .collect(),
            tenants: hosts,
            aliases_free: free,
            pool_limit: (
                1,
                PoolLimit::Tenants {
                    others: other_tenants,
                },
            ),
            rules_used: rules.used,
            rules_quota: record.max_listener_rules,
            hosts_per_rule: if grouped { HOSTS_PER_RULE } else { 1 },
            group_room: if grouped { rules.group_room } else { 0 },
        }
    }

    /// Rules the load balancer can still take under the quota.
    pub fn rules_free(&self) -> usize {
        self.rules_quota
            .saturating_sub(self.rules_used.unwrap_or_default())
    }

    /// Tenant hosts the load balancer can still match: the rules left under the quota, each
    /// holding `hosts_per_rule` hosts, and the room in the planning state's groups.
    pub fn rule_hosts_free(&self) -> usize {
        self.rules_free() * self.hosts_per_rule + self.group_room
    }

    /// Tenants the edge can still take: the lesser of the pool's and the load balancer's room.
    pub fn tenants_free(&self) -> usize {
        match self.rules_used {
            Some(_) => self.aliases_free.min(self.rule_hosts_free()),
            None => self.aliases_free,
        }
    }

    /// Whether `new_hosts` more tenants, of which `new_rule_hosts` are matched by no rule yet,
    /// fit; the error says what is short and which setting to raise.
    pub fn admits(
        &self,
        record: &EdgeRecord,
        new_hosts: usize,
        new_rule_hosts: usize,
    ) -> Result<(), String> {
        if new_hosts > self.aliases_free {
            let (limit, by) = self.pool_limit;
            let why = match by {
                PoolLimit::Setting => "Raise max_distributions on the edge first.".to_string(),
                PoolLimit::Policy => format!(
                    "The pool shares one cache policy and one origin request policy, and CloudFront associates a policy with at most {DISTRIBUTIONS_PER_POLICY} distributions (its default quota), so max_distributions above {DISTRIBUTIONS_PER_POLICY} is not reached: put further tenants on a second edge."
                ),
                PoolLimit::Account { others } => format!(
                    "The account holds {others} distributions outside this pool, of CloudFront's default quota of {DISTRIBUTIONS_PER_ACCOUNT} per account: ask AWS to raise it, or remove distributions the account no longer needs."
                ),
                PoolLimit::Tenants { others } => {
                    return Err(format!(
                        "Edge {} has room for {} more tenants: the account holds {} distribution tenants ({others} of them on other distributions) of CloudFront's default quota of {DISTRIBUTION_TENANTS_PER_ACCOUNT}, and this plan adds more. Ask AWS to raise the quota of distribution tenants.",
                        record.name,
                        self.aliases_free,
                        others + self.tenants,
                    ));
                }
            };
            return Err(format!(
                "Edge {} has room for {} more tenants ({limit} distributions of at most {} aliases, max_aliases_per_distribution; max_distributions {}), and this plan adds more. {why}",
                record.name,
                self.aliases_free,
                record.max_aliases_per_distribution,
                record.max_distributions,
            ));
        }
        let (room, per_rule) = (self.rule_hosts_free(), self.hosts_per_rule);
        match self.rules_used {
            Some(used) if new_rule_hosts > room => Err(format!(
                "The load balancer of listener {} has {used} rules (all its listeners) of its quota of {} (max_listener_rules), room for {room} more tenant hosts at {per_rule} per rule (rule_layout = \"{}\"), and this plan adds {new_rule_hosts}. {}",
                record.listener_arn,
                self.rules_quota,
                record.rule_layout.as_str(),
                match record.rule_layout {
                    RuleLayout::PerTenant => "Set rule_layout = \"grouped\" on the edge (five hosts per rule), or ask AWS to raise the load balancer's rule quota and raise max_listener_rules.",
                    RuleLayout::Grouped => "Ask AWS to raise the load balancer's rule quota, then raise max_listener_rules on the edge.",
                }
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(max_aliases: usize, max_distributions: usize, max_rules: usize) -> EdgeRecord {
        EdgeRecord {
            max_aliases_per_distribution: max_aliases,
            max_distributions,
            max_listener_rules: max_rules,
            ..EdgeRecord::example()
        }
    }

    fn slot(n: u32, aliases: &[&str], capacity: usize) -> Slot {
        Slot::example(n, aliases, capacity)
    }

    #[test]
    fn capacity_table() {
        // (case, slots, max aliases, max distributions, rules used, rules quota,
        //  tenants, aliases free, new hosts, new rules, admitted)
        type Case = (
            &'static str,
            Vec<Slot>,
            usize,
            usize,
            Option<usize>,
            usize,
            usize,
            usize,
            usize,
            usize,
            bool,
        );
        let cases: Vec<Case> = vec![
            (
                "new edge",
                vec![],
                100,
                2,
                None,
                100,
                0,
                200,
                150,
                150,
                true,
            ),
            (
                "new edge, too many",
                vec![],
                100,
                2,
                None,
                100,
                0,
                200,
                201,
                0,
                false,
            ),
            (
                "room in the pool and growth",
                vec![slot(0, &["a", "b"], 3)],
                3,
                2,
                Some(2),
                10,
                2,
                4,
                4,
                4,
                true,
            ),
            (
                "a lowered capacity counts",
                vec![slot(0, &["a", "b"], 2)],
                3,
                1,
                Some(2),
                10,
                2,
                0,
                1,
                1,
                false,
            ),
            (
                "rules run out first",
                vec![slot(0, &["a"], 100)],
                100,
                5,
                Some(98),
                100,
                1,
                499,
                3,
                3,
                false,
            ),
            (
                "rules exactly fit",
                vec![slot(0, &["a"], 100)],
                100,
                5,
                Some(98),
                100,
                1,
                499,
                2,
                2,
                true,
            ),
            (
                "no listener: rules not judged",
                vec![],
                100,
                1,
                None,
                1,
                0,
                100,
                50,
                50,
                true,
            ),
            (
                "a host on two distributions is one tenant",
                vec![slot(0, &["a"], 2), slot(1, &["a"], 2)],
                2,
                2,
                Some(1),
                10,
                1,
                2,
                2,
                2,
                true,
            ),
        ];
        for (
            name,
            slots,
            max_aliases,
            max_distributions,
            used,
            quota,
            tenants,
            free,
            new_hosts,
            new_rules,
            admitted,
        ) in cases
        {
            let record = record(max_aliases, max_distributions, quota);
            let rules = RuleRoom {
                used,
                group_room: 0,
            };
            let capacity = EdgeCapacity::of(&slots, &record, rules, 0);
            assert_eq!(capacity.tenants, tenants, "{name}");
            assert_eq!(capacity.aliases_free, free, "{name}");
            let verdict = capacity.admits(&record, new_hosts, new_rules);
            assert_eq!(verdict.is_ok(), admitted, "{name}: {verdict:?}");
        }
    }

    #[test]
    fn the_data_source_and_the_check_read_the_same_rooms() {
        let record = record(3, 2, 10);
        let rules = RuleRoom {
            used: Some(4),
            group_room: 0,
        };
        let capacity =
            EdgeCapacity::of(&[slot(1, &["c"], 1), slot(0, &["a"], 3)], &record, rules, 0);
        let rooms: Vec<(u32, usize, usize)> = capacity
            .distributions
            .iter()
            .map(|d| (d.slot, d.used, d.free))
            .collect();
        assert_eq!(rooms, [(0, 1, 2), (1, 1, 0)]);
        assert_eq!(capacity.aliases_free, 2);
        assert_eq!(capacity.rules_free(), 6);
        assert!(capacity.admits(&record, 2, 2).is_ok());
        let refused = capacity.admits(&record, 3, 3).unwrap_err();
        assert!(refused.contains("room for 2 more tenants"), "{refused}");
        let full = capacity.admits(&record, 0, 7).unwrap_err();
        assert!(full.contains("has 4 rules"), "{full}");
        assert!(full.contains("rule_layout = \"grouped\""), "{full}");
    }

    #[test]
    fn grouped_hosts_are_counted_in_hosts() {
        // The default quotas: 100 rules, 100 aliases, five distributions.
        let record = EdgeRecord {
            rule_layout: RuleLayout::Grouped,
            ..record(100, 5, 100)
        };
        let empty = RuleRoom {
            used: Some(0),
            group_room: 0,
        };
        let capacity = EdgeCapacity::of(&[], &record, empty, 0);
        assert_eq!(capacity.rule_hosts_free(), 500);
        assert_eq!(capacity.tenants_free(), 500);
        assert!(capacity.admits(&record, 500, 500).is_ok());
        let over = capacity.admits(&record, 0, 501).unwrap_err();
        assert!(
            over.contains("room for 500 more tenant hosts at 5 per rule"),
            "{over}"
        );
        // 98 rules used, two of them this state's groups with three hosts free between them.
        let nearly = RuleRoom {
            used: Some(98),
            group_room: 3,
        };
        let capacity = EdgeCapacity::of(&[], &record, nearly, 0);
        assert_eq!(capacity.rule_hosts_free(), 13);
        assert!(capacity.admits(&record, 13, 13).is_ok());
        assert!(capacity.admits(&record, 14, 14).is_err());
        // The same edge with one rule per tenant: group room does not count.
        let per_tenant = record_layout(RuleLayout::PerTenant);
        let capacity = EdgeCapacity::of(&[], &per_tenant, nearly, 0);
        assert_eq!(capacity.rule_hosts_free(), 2);
    }

    #[test]
    fn the_pool_grows_no_further_than_a_policy_and_the_account_allow() {
        let record = record(100, 500, 100_000);
        let rules = RuleRoom::default();
        let capacity = EdgeCapacity::of(&[], &record, rules, 0);
        assert_eq!(capacity.pool_limit, (100, PoolLimit::Policy));
        assert_eq!(capacity.aliases_free, 10_000);
        let refused = capacity.admits(&record, 10_001, 0).unwrap_err();
        assert!(refused.contains("at most 100 distributions"), "{refused}");
        assert!(refused.contains("max_distributions 500"), "{refused}");
        // 450 distributions elsewhere in the account leave room for 50.
        let crowded = EdgeCapacity::of(&[slot(0, &["a"], 100)], &record, rules, 450);
        assert_eq!(crowded.pool_limit, (50, PoolLimit::Account { others: 450 }));
        assert_eq!(crowded.aliases_free, 99 + 49 * 100);
        let refused = crowded.admits(&record, 5_000, 0).unwrap_err();
        assert!(
            refused.contains("holds 450 distributions outside this pool"),
            "{refused}"
        );
        // The edge's own setting, when it is the lowest.
        let small = EdgeCapacity::of(&[], &self::record(100, 3, 100), rules, 0);
        assert_eq!(small.pool_limit, (3, PoolLimit::Setting));
        assert!(small
            .admits(&record, 301, 0)
            .unwrap_err()
            .contains("Raise max_distributions"));
    }

    fn record_layout(layout: RuleLayout) -> EdgeRecord {
        EdgeRecord {
            rule_layout: layout,
            ..record(100, 5, 100)
        }
    }

    #[test]
    fn a_multi_tenant_edge_is_bounded_by_the_accounts_tenants_not_by_aliases() {
        let record = EdgeRecord {
            mode: crate::domain::edge::DistributionMode::MultiTenant,
            ..record(100, 20, 1000)
        };
        let rules = RuleRoom {
            used: Some(10),
            group_room: 0,
        };
        let room = EdgeCapacity::multi_tenant(Some("E1"), 400, &record, rules, 9_000);
        assert_eq!(room.tenants, 400);
        assert_eq!(
            room.aliases_free, 600,
            "10,000 - 9,000 elsewhere - 400 here"
        );
        assert!(room.admits(&record, 600, 0).is_ok());
        let refused = room.admits(&record, 601, 0).unwrap_err();
        assert!(
            refused.contains("9400 distribution tenants") && refused.contains("10000"),
            "{refused}"
        );
        assert_eq!(room.distributions[0].used, 400);
        let none = EdgeCapacity::multi_tenant(None, 0, &record, RuleRoom::default(), 0);
        assert!(none.distributions.is_empty());
        assert_eq!(none.aliases_free, DISTRIBUTION_TENANTS_PER_ACCOUNT);
    }
}
