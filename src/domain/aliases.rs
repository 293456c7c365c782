//! Changes to a distribution's aliases, applied in order to what it holds: the decision made
//! inside each merged read-modify-write of the account layer, where the cap is enforced.

use super::naming::normalize_host;

/// One requested change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AliasChange {
    /// Add the host, unless the distribution already holds `cap` aliases.
    Add {
        host: String,
        cap: usize,
    },
    Remove {
        host: String,
    },
}

/// What became of one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AliasResult {
    /// The alias is on the distribution (added now, or already there).
    Added,
    /// The alias is not on it (removed now, or already gone).
    Removed,
    /// The distribution holds `holds` aliases, its cap: allocate elsewhere.
    NoRoom { holds: usize },
}

/// Applies `changes` in order to the aliases `current` (compared normalized, kept in their
/// order, new ones appended). Returns the aliases to write, `None` when nothing changes, and
/// each change's result.
pub fn apply_alias_changes(
    current: &[String],
    changes: &[AliasChange],
) -> (Option<Vec<String>>, Vec<AliasResult>) {
    let mut next: Vec<String> = current.to_vec();
    let holds = |next: &[String], host: &str| next.iter().any(|a| normalize_host(a) == host);
    let results = changes
        .iter()
        .map(|change| match change {
            AliasChange::Add { host, .. } if holds(&next, host) => AliasResult::Added,
            AliasChange::Add { cap, .. } if next.len() >= *cap => {
                AliasResult::NoRoom { holds: next.len() }
            }
            AliasChange::Add { host, .. } => {
                next.push(host.clone());
                AliasResult::Added
            }
            AliasChange::Remove { host } => {
                next.retain(|a| normalize_host(a) != *host);
                AliasResult::Removed
            }
        })
        .collect();
    ((next != current).then_some(next), results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use AliasResult::*;

    fn add(host: &str, cap: usize) -> AliasChange {
        AliasChange::Add {
            host: host.into(),
            cap,
        }
    }

    fn remove(host: &str) -> AliasChange {
        AliasChange::Remove { host: host.into() }
    }

    fn names(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn changes_apply_in_order_within_the_cap() {
        type Case = (
            &'static str,
            &'static [&'static str],
            Vec<AliasChange>,
            Option<&'static [&'static str]>,
            Vec<AliasResult>,
        );
        let cases: Vec<Case> = vec![
            (
                "add to empty",
                &[],
                vec![add("a.test", 2)],
                Some(&["a.test"]),
                vec![Added],
            ),
            (
                "appends",
                &["a.test"],
                vec![add("b.test", 2)],
                Some(&["a.test", "b.test"]),
                vec![Added],
            ),
            (
                "already there",
                &["a.test"],
                vec![add("a.test", 1)],
                None,
                vec![Added],
            ),
            (
                "compared normalized",
                &["A.Test."],
                vec![add("a.test", 1)],
                None,
                vec![Added],
            ),
            (
                "full",
                &["a.test"],
                vec![add("b.test", 1)],
                None,
                vec![NoRoom { holds: 1 }],
            ),
            (
                "the cap counts earlier changes of the batch",
                &[],
                vec![add("a.test", 1), add("b.test", 1)],
                Some(&["a.test"]),
                vec![Added, NoRoom { holds: 1 }],
            ),
            (
                "a removal makes room for a later add",
                &["a.test"],
                vec![remove("a.test"), add("b.test", 1)],
                Some(&["b.test"]),
                vec![Removed, Added],
            ),
            (
                "removing what is gone",
                &["a.test"],
                vec![remove("b.test")],
                None,
                vec![Removed],
            ),
            (
                "removal is normalized",
                &["a.test", "B.test"],
                vec![remove("b.test")],
                Some(&["a.test"]),
                vec![Removed],
            ),
            (
                "add then remove is nothing",
                &[],
                vec![add("a.test", 5), remove("a.test")],
                None,
                vec![Added, Removed],
            ),
            ("nothing asked", &["a.test"], vec![], None, vec![]),
        ];
        for (name, current, changes, want, results) in cases {
            let (next, got) = apply_alias_changes(&names(current), &changes);
            assert_eq!(next, want.map(names), "{name}");
            assert_eq!(got, results, "{name}");
        }
    }
}
