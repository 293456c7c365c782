//! How full an edge is and whether a plan fits it: one computation, which the plan-time check
//! and the `gateway_edge_capacity` data source both use, so that the room the data source
//! reports is the room the plan admits.

use std::collections::BTreeSet;

use super::allocation::{alias_room, Slot};
use super::edge::EdgeRecord;

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
    /// Rules on the edge's load balancer, all listeners, default rules excluded; `None` when
    /// the listener does not exist (yet).
    pub rules_used: Option<usize>,
    /// The edge's `max_listener_rules`.
    pub rules_quota: usize,
}

impl EdgeCapacity {
    /// The capacity of the edge `record` whose pool is `slots` (capacities already lowered
    /// where AWS refused more aliases than the cap), with `rules_used` on its load balancer.
    pub fn of(slots: &[Slot], record: &EdgeRecord, rules_used: Option<usize>) -> Self {
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
            aliases_free: alias_room(
                slots,
                record.max_aliases_per_distribution,
                record.max_distributions,
            ),
            rules_used,
            rules_quota: record.max_listener_rules,
        }
    }

    /// Rules the load balancer can still take under the quota.
    pub fn rules_free(&self) -> usize {
        self.rules_quota
            .saturating_sub(self.rules_used.unwrap_or_default())
    }

    /// Whether `new_hosts` more tenants, needing `new_rules` more listener rules, fit; the
    /// error says what is short and which setting to raise.
    pub fn admits(
        &self,
        record: &EdgeRecord,
        new_hosts: usize,
        new_rules: usize,
    ) -> Result<(), String> {
        if new_hosts > self.aliases_free {
            return Err(format!(
                "Edge {} has room for {} more tenants ({} distributions of at most {} aliases: max_distributions and max_aliases_per_distribution), and this plan adds more. Raise max_distributions on the edge first.",
                record.name,
                self.aliases_free,
                record.max_distributions,
                record.max_aliases_per_distribution
            ));
        }
        match self.rules_used {
            Some(used) if used + new_rules > self.rules_quota => Err(format!(
                "The load balancer of listener {} has {used} rules (all its listeners) of its quota of {} (max_listener_rules), and this plan adds more tenants than that leaves room for. Ask AWS to raise the load balancer's rule quota, then raise max_listener_rules on the edge.",
                record.listener_arn, self.rules_quota
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
            let capacity = EdgeCapacity::of(&slots, &record, used);
            assert_eq!(capacity.tenants, tenants, "{name}");
            assert_eq!(capacity.aliases_free, free, "{name}");
            let verdict = capacity.admits(&record, new_hosts, new_rules);
            assert_eq!(verdict.is_ok(), admitted, "{name}: {verdict:?}");
        }
    }

    #[test]
    fn the_data_source_and_the_check_read_the_same_rooms() {
        let record = record(3, 2, 10);
        let capacity =
            EdgeCapacity::of(&[slot(1, &["c"], 1), slot(0, &["a"], 3)], &record, Some(4));
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
    }
}
