//! Grouped listener rules: tenants' hosts matched by rules of up to
//! [`HOSTS_PER_RULE`](super::rules::HOSTS_PER_RULE) hosts each. ModifyRule has no condition, so
//! a grouped rule is written by one writer only: the Terraform state whose tenants it matches
//! (its claim), one batch at a time within the provider process, while Terraform's state lock
//! keeps two runs of one state apart. Under that invariant each batch below is computed from
//! an exact picture of the rules, and every write keeps the hosts it does not mean to remove:
//! a host is never without a rule between its join and its leave.

use super::rules::RuleInfo;

/// A host joining or leaving the state's groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupChange {
    pub host: String,
    pub join: bool,
    /// The joining tenant's own rule, made before the edge grouped its rules: turned into the
    /// group the host needs instead of creating one, so moving to grouped rules never needs
    /// a rule more than the load balancer holds.
    pub own_rule: Option<String>,
}

/// One write of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupWrite {
    /// Give an existing group these hosts (and the shared target group).
    SetHosts { arn: String, hosts: Vec<String> },
    /// Delete a group left without hosts.
    Delete { arn: String },
    /// Turn a tenant's own rule into a group holding `hosts`.
    Adopt { arn: String, hosts: Vec<String> },
    /// Create a group holding `hosts`.
    Create { hosts: Vec<String> },
}

enum Origin<'a> {
    Existing(&'a RuleInfo),
    Adopted(String),
    New,
}

/// The writes that apply `changes`, in order, to the state's `groups` (its grouped rules of
/// the edge, any order): a leaving host is removed from every group holding it; a joining
/// host already in a group stays there, else it goes to the first group (by priority) with
/// room, else to a new group. A group forwarding anywhere but `target_group` is rewritten.
/// Every write keeps the hosts of the group it writes, but for those leaving.
pub fn plan_group_writes(
    groups: &[RuleInfo],
    changes: &[GroupChange],
    target_group: &str,
    per_rule: usize,
) -> Vec<GroupWrite> {
    let mut ordered: Vec<&RuleInfo> = groups.iter().collect();
    ordered.sort_by_key(|g| (g.priority.unwrap_or(i64::MAX), g.arn.clone()));
    let mut model: Vec<(Origin, Vec<String>)> = ordered
        .into_iter()
        .map(|g| (Origin::Existing(g), g.hosts.clone()))
        .collect();
    for change in changes {
        let host = &change.host;
        if !change.join {
            for (_, hosts) in &mut model {
                hosts.retain(|h| h != host);
            }
            continue;
        }
        if model.iter().any(|(_, hosts)| hosts.contains(host)) {
            continue;
        }
        match model.iter_mut().find(|(_, hosts)| hosts.len() < per_rule) {
            Some((_, hosts)) => hosts.push(host.clone()),
            None => {
                let origin = match &change.own_rule {
                    Some(arn) => Origin::Adopted(arn.clone()),
                    None => Origin::New,
                };
                model.push((origin, vec![host.clone()]));
            }
        }
    }
    let mut writes = Vec::new();
    for (origin, hosts) in model {
        match origin {
            Origin::Existing(group) if hosts.is_empty() => writes.push(GroupWrite::Delete {
                arn: group.arn.clone(),
            }),
            Origin::Existing(group) if hosts != group.hosts || !group.forwards_to(target_group) => {
                writes.push(GroupWrite::SetHosts {
                    arn: group.arn.clone(),
                    hosts,
                })
            }
            Origin::Existing(_) => {}
            // A tenant that joined and left in one batch keeps its own rule, as it was.
            Origin::Adopted(_) | Origin::New if hosts.is_empty() => {}
            Origin::Adopted(arn) => writes.push(GroupWrite::Adopt { arn, hosts }),
            Origin::New => writes.push(GroupWrite::Create { hosts }),
        }
    }
    writes
}

/// Hosts the state's `groups` can still take without a new rule.
pub fn group_room(groups: &[&RuleInfo], per_rule: usize) -> usize {
    groups
        .iter()
        .map(|g| per_rule.saturating_sub(g.hosts.len()))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TG: &str = "arn:tg";

    fn group(arn: &str, priority: i64, hosts: &[&str]) -> RuleInfo {
        RuleInfo {
            arn: arn.into(),
            priority: Some(priority),
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
            target_groups: vec![TG.into()],
            ..RuleInfo::default()
        }
    }

    fn join(host: &str) -> GroupChange {
        GroupChange {
            host: host.into(),
            join: true,
            own_rule: None,
        }
    }

    fn leave(host: &str) -> GroupChange {
        GroupChange {
            join: false,
            ..join(host)
        }
    }

    fn set(arn: &str, hosts: &[&str]) -> GroupWrite {
        GroupWrite::SetHosts {
            arn: arn.into(),
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
        }
    }

    fn create(hosts: &[&str]) -> GroupWrite {
        GroupWrite::Create {
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
        }
    }

    #[test]
    fn group_writes_table() {
        let adopting = GroupChange {
            own_rule: Some("r/own".into()),
            ..join("f")
        };
        let drifted = RuleInfo {
            target_groups: vec!["arn:old".into()],
            ..group("g1", 1, &["a"])
        };
        // (case, the state's groups, the batch, the writes)
        type Case = (
            &'static str,
            Vec<RuleInfo>,
            Vec<GroupChange>,
            Vec<GroupWrite>,
        );
        let cases: Vec<Case> = vec![
            ("nothing", vec![], vec![], vec![]),
            (
                "the first hosts make a group",
                vec![],
                vec![join("a"), join("b")],
                vec![create(&["a", "b"])],
            ),
            (
                "past five, a second group",
                vec![],
                ["a", "b", "c", "d", "e", "f", "g"].map(join).to_vec(),
                vec![create(&["a", "b", "c", "d", "e"]), create(&["f", "g"])],
            ),
            (
                "the group with the lowest priority and room first",
                vec![
                    group("g2", 9, &["x"]),
                    group("g1", 3, &["a", "b", "c", "d", "e"]),
                ],
                vec![join("f")],
                vec![set("g2", &["x", "f"])],
            ),
            (
                "a host already grouped stays",
                vec![group("g1", 1, &["a"])],
                vec![join("a")],
                vec![],
            ),
            (
                "leaving keeps the others",
                vec![group("g1", 1, &["a", "b", "c"])],
                vec![leave("b")],
                vec![set("g1", &["a", "c"])],
            ),
            (
                "the last host out deletes the group",
                vec![group("g1", 1, &["a"]), group("g2", 2, &["b"])],
                vec![leave("a")],
                vec![GroupWrite::Delete { arn: "g1".into() }],
            ),
            (
                "a leave frees room for a join of the same batch",
                vec![group("g1", 1, &["a", "b", "c", "d", "e"])],
                vec![leave("c"), join("f")],
                vec![set("g1", &["a", "b", "d", "e", "f"])],
            ),
            (
                "order matters: joined then left",
                vec![group("g1", 1, &["a"])],
                vec![join("b"), leave("b")],
                vec![],
            ),
            (
                "a tenant's own rule becomes the new group",
                vec![group("g1", 1, &["a", "b", "c", "d", "e"])],
                vec![adopting.clone(), join("g")],
                vec![GroupWrite::Adopt {
                    arn: "r/own".into(),
                    hosts: vec!["f".into(), "g".into()],
                }],
            ),
            (
                "an own rule is not adopted while a group has room",
                vec![group("g1", 1, &["a"])],
                vec![adopting],
                vec![set("g1", &["a", "f"])],
            ),
            (
                "a group forwarding elsewhere is rewritten",
                vec![drifted],
                vec![join("a")],
                vec![set("g1", &["a"])],
            ),
        ];
        for (name, groups, changes, writes) in cases {
            assert_eq!(
                plan_group_writes(&groups, &changes, TG, 5),
                writes,
                "{name}"
            );
        }
    }

    #[test]
    fn no_write_drops_a_host_it_does_not_remove() {
        // Every host of every group before the batch, but the leaving ones, is in some group
        // after it.
        let groups = vec![
            group("g1", 1, &["a", "b", "c", "d", "e"]),
            group("g2", 2, &["f", "g"]),
        ];
        let changes = vec![leave("g"), join("h"), leave("a"), join("i"), join("j")];
        let writes = plan_group_writes(&groups, &changes, TG, 5);
        let mut after: Vec<String> = Vec::new();
        for g in &groups {
            match writes.iter().find(|w| matches!(w, GroupWrite::SetHosts { arn, .. } | GroupWrite::Delete { arn } if *arn == g.arn)) {
                Some(GroupWrite::SetHosts { hosts, .. }) => after.extend(hosts.clone()),
                Some(_) => {}
                None => after.extend(g.hosts.clone()),
            }
        }
        for w in &writes {
            if let GroupWrite::Create { hosts } = w {
                after.extend(hosts.clone());
            }
        }
        after.sort();
        assert_eq!(after, ["b", "c", "d", "e", "f", "h", "i", "j"]);
        assert_eq!(group_room(&groups.iter().collect::<Vec<_>>(), 5), 3);
    }
}
