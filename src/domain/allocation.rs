//! Where a tenant goes: which pool distribution holds its alias, and which listener rule
//! priority it gets. Pure functions of a snapshot, so every case is a table row.

use std::collections::BTreeSet;

/// One distribution of an edge's pool, as far as allocation cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// Position in the pool (0 is the first distribution).
    pub slot: u32,
    pub distribution_id: String,
    /// Aliases on it now, plus those already promised to tenants being created.
    pub aliases: BTreeSet<String>,
    /// How many aliases it may hold (the edge's cap, or less where AWS refused more).
    pub capacity: usize,
}

impl Slot {
    pub fn free(&self) -> usize {
        self.capacity.saturating_sub(self.aliases.len())
    }

    /// Slot `n`, distribution `E<n>`, holding `aliases` of `capacity`: for tests.
    #[cfg(test)]
    pub(crate) fn example(n: u32, aliases: &[&str], capacity: usize) -> Self {
        Self {
            slot: n,
            distribution_id: format!("E{n}"),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            capacity,
        }
    }
}

/// Where a host's alias belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// The alias is already on this distribution.
    Existing { slot: u32, distribution_id: String },
    /// Add it to this distribution, which has room.
    Add { slot: u32, distribution_id: String },
    /// The pool is full: create the distribution for this slot, then add the alias there.
    Grow { slot: u32 },
    /// The pool is full and may not grow.
    Full {
        distributions: usize,
        max_distributions: usize,
    },
}

/// Places `host` in the pool: where it already is, else the first distribution (lowest slot)
/// with room, else a new distribution in the first unused slot, unless `max_distributions` is
/// reached.
pub fn place_alias(pool: &[Slot], host: &str, max_distributions: usize) -> Placement {
    let mut ordered: Vec<&Slot> = pool.iter().collect();
    ordered.sort_by_key(|s| s.slot);
    if let Some(s) = ordered.iter().find(|s| s.aliases.contains(host)) {
        return Placement::Existing {
            slot: s.slot,
            distribution_id: s.distribution_id.clone(),
        };
    }
    if let Some(s) = ordered.iter().find(|s| s.free() > 0) {
        return Placement::Add {
            slot: s.slot,
            distribution_id: s.distribution_id.clone(),
        };
    }
    if pool.len() >= max_distributions {
        return Placement::Full {
            distributions: pool.len(),
            max_distributions,
        };
    }
    let used: BTreeSet<u32> = pool.iter().map(|s| s.slot).collect();
    let slot = (0..).find(|n| !used.contains(n)).unwrap_or(0);
    Placement::Grow { slot }
}

/// How many more aliases the pool can take, counting distributions it may still create.
pub fn alias_room(pool: &[Slot], per_distribution: usize, max_distributions: usize) -> usize {
    let existing: usize = pool.iter().map(Slot::free).sum();
    let growth = max_distributions.saturating_sub(pool.len()) * per_distribution;
    existing + growth
}

/// The lowest listener rule priority in `min..=max` not in `used`.
pub fn lowest_free_priority(used: &BTreeSet<i64>, min: i64, max: i64) -> Option<i64> {
    (min..=max).find(|p| !used.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(n: u32, aliases: &[&str], capacity: usize) -> Slot {
        Slot::example(n, aliases, capacity)
    }

    #[test]
    fn placement_table() {
        use Placement::*;
        let add = |n: u32| Add {
            slot: n,
            distribution_id: format!("E{n}"),
        };
        let cases: Vec<(&str, Vec<Slot>, &str, usize, Placement)> = vec![
            ("empty pool grows slot 0", vec![], "a", 3, Grow { slot: 0 }),
            (
                "first fit",
                vec![slot(0, &["x"], 2), slot(1, &[], 2)],
                "a",
                3,
                add(0),
            ),
            (
                "skips full",
                vec![slot(0, &["x", "y"], 2), slot(1, &["z"], 2)],
                "a",
                3,
                add(1),
            ),
            (
                "already placed wins over room",
                vec![slot(0, &["x"], 2), slot(1, &["a"], 2)],
                "a",
                3,
                Existing {
                    slot: 1,
                    distribution_id: "E1".into(),
                },
            ),
            (
                "already placed even when over capacity",
                vec![slot(0, &["a", "b", "c"], 2)],
                "a",
                1,
                Existing {
                    slot: 0,
                    distribution_id: "E0".into(),
                },
            ),
            (
                "full pool grows",
                vec![slot(0, &["x"], 1)],
                "a",
                3,
                Grow { slot: 1 },
            ),
            (
                "fills a gap left by a missing slot",
                vec![slot(0, &["x"], 1), slot(2, &["y"], 1)],
                "a",
                4,
                Grow { slot: 1 },
            ),
            (
                "cap reached",
                vec![slot(0, &["x"], 1), slot(1, &["y"], 1)],
                "a",
                2,
                Full {
                    distributions: 2,
                    max_distributions: 2,
                },
            ),
            (
                "lower capacity after a quota refusal",
                vec![slot(0, &["x"], 1), slot(1, &[], 0), slot(2, &[], 5)],
                "a",
                3,
                add(2),
            ),
            (
                "order by slot, not by listing",
                vec![slot(3, &[], 2), slot(1, &[], 2)],
                "a",
                5,
                add(1),
            ),
        ];
        for (name, pool, host, max, expected) in cases {
            assert_eq!(place_alias(&pool, host, max), expected, "{name}");
        }
    }

    #[test]
    fn room() {
        let pool = vec![slot(0, &["a", "b"], 3), slot(1, &["c"], 3)];
        assert_eq!(alias_room(&pool, 3, 2), 3);
        assert_eq!(alias_room(&pool, 3, 4), 9);
        assert_eq!(alias_room(&[], 100, 3), 300);
        assert_eq!(alias_room(&pool, 3, 1), 3);
    }

    #[test]
    fn priorities() {
        let used: BTreeSet<i64> = [1, 2, 4].into_iter().collect();
        assert_eq!(lowest_free_priority(&used, 1, 50_000), Some(3));
        assert_eq!(lowest_free_priority(&BTreeSet::new(), 1, 50_000), Some(1));
        let all: BTreeSet<i64> = (1..=3).collect();
        assert_eq!(lowest_free_priority(&all, 1, 3), None);
        assert_eq!(lowest_free_priority(&used, 10, 12), Some(10));
    }
}
