//! The decisions about one tenant, made from a snapshot of what AWS holds around its host:
//! whether something the provider did not create is in the way, what of the tenant exists and
//! how it drifted, and what of it to delete. Pure, so each rule is a row of a table.

use std::collections::BTreeSet;

use super::edge::{DistributionInfo, EdgeRecord, EdgeView, RuleLayout};
use super::naming::normalize_host;
use super::rules::RuleInfo;

/// A Route53 record of a tenant's host name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordInfo {
    /// `A`, `AAAA`, `CNAME`, `TXT`, ...
    pub record_type: String,
    /// The CloudFront domain it is an alias to (normalized), when it is one.
    pub cloudfront_target: Option<String>,
    /// What it points at, for messages: `an alias to <name>`, or its values.
    pub target: String,
}

impl RecordInfo {
    /// An A or AAAA alias to a CloudFront distribution, the kind of record tenants get.
    pub fn is_cloudfront_alias(&self) -> bool {
        matches!(self.record_type.as_str(), "A" | "AAAA") && self.cloudfront_target.is_some()
    }

    /// An alias to one of `pool_domains` ([`EdgeView::pool_domains`]).
    fn points_into(&self, pool_domains: &BTreeSet<String>) -> bool {
        self.is_cloudfront_alias()
            && self
                .cloudfront_target
                .as_ref()
                .is_some_and(|t| pool_domains.contains(t))
    }
}

/// The record types a tenant of `edge` has: `A`, and `AAAA` with IPv6.
pub fn expected_record_types(edge: &EdgeRecord) -> Vec<String> {
    if edge.ipv6_enabled {
        vec!["A".into(), "AAAA".into()]
    } else {
        vec!["A".into()]
    }
}

/// The types of `records` aliased to `distribution_domain`, sorted.
pub fn types_pointing_at(records: &[RecordInfo], distribution_domain: &str) -> Vec<String> {
    let distribution_domain = normalize_host(distribution_domain);
    let mut types: Vec<String> = records
        .iter()
        .filter(|r| {
            r.is_cloudfront_alias()
                && r.cloudfront_target.as_deref() == Some(distribution_domain.as_str())
        })
        .map(|r| r.record_type.clone())
        .collect();
    types.sort();
    types
}

pub use super::rules::TAG_CLAIM;

/// Who holds a tenant, as a resource with claim `claim` sees it ([`TenantView::holder`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// Nothing of the tenant exists.
    Nobody,
    /// Its rule carries the resource's own claim.
    Ours,
    /// Parts of it exist but it does not serve (an alias, a rule or records missing), and no
    /// claim of this resource is on it: what an interrupted create left, taken over by the
    /// next create.
    Leftover,
    /// It serves, complete, under the claim of another resource or state (or none, when it
    /// was made before claims existed).
    Another { claim: Option<String> },
}

/// An object in the way of a tenant, which the provider did not create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Foreign {
    /// What it is: `CloudFront alias acme.example.com`.
    pub object: String,
    /// Where it is and what it holds.
    pub detail: String,
}

/// What exists of a tenant, as a read finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed<'a> {
    /// The pool distribution holding the alias.
    pub distribution: Option<&'a DistributionInfo>,
    /// The tenant's listener rule.
    pub rule: Option<&'a RuleInfo>,
    /// Whether that rule no longer sends the host to the shared target group as the edge's
    /// layout says: exactly the host for a tenant's own rule, among others for a group, and
    /// of the kind the edge's `rule_layout` asks for.
    pub rule_drift: bool,
    /// Types of the records aliased to the holding distribution, sorted.
    pub record_types: Vec<String>,
}

/// What a deletion removes: exactly what is the tenant's, nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftovers {
    /// Indexes into the snapshot's records: the aliases into the pool.
    pub records: Vec<usize>,
    /// ARNs of the tenant's own rules.
    pub rules: Vec<String>,
    /// Grouped rules holding the host, with their claims: the host leaves those of its own.
    pub groups: Vec<(String, Option<String>)>,
    /// Ids of the pool distributions holding the alias.
    pub holders: Vec<String>,
}

/// What AWS holds around tenant `name`'s host: the edge with its pool, the rules of the
/// edge's listener and the records of the host's name.
#[derive(Debug, Clone, Copy)]
pub struct TenantView<'a> {
    pub edge: &'a EdgeView,
    pub name: &'a str,
    pub host: &'a str,
    pub rules: &'a [RuleInfo],
    pub records: &'a [RecordInfo],
}

impl<'a> TenantView<'a> {
    /// The first object in the way of creating the tenant, if any: its host as an alias of a
    /// distribution outside the pool (among `distributions`, every distribution of the
    /// account), a rule of the listener matching the host that is not the tenant's own, or an
    /// address record of the host that is not an alias into the pool.
    pub fn foreign(&self, distributions: &[DistributionInfo]) -> Option<Foreign> {
        let (host, record) = (self.host, &self.edge.record);
        if let Some(other) = distributions
            .iter()
            .find(|d| d.aliases.contains(host) && self.edge.member_by_id(&d.id).is_none())
        {
            return Some(Foreign {
                object: format!("CloudFront alias {host}"),
                detail: format!(
                    "{host} is an alias of distribution {} ({}), which is not part of edge {}.",
                    other.id, other.domain_name, record.name
                ),
            });
        }
        if let Some(rule) = self.rules.iter().find(|r| {
            r.hosts.iter().any(|h| h == host)
                && !r.belongs_to(&record.name, self.name)
                && !r.is_group_of(&record.name)
        }) {
            let adoptable = rule.is_unmarked() && rule.routes(host, &record.target_group_arn);
            return Some(Foreign {
                object: format!("listener rule for {host}"),
                detail: format!(
                    "Rule {} of listener {} already matches {host}.{}",
                    rule.arn,
                    record.listener_arn,
                    if adoptable {
                        format!(
                            " It has the shape of a tenant's rule: if this tenant already runs there, import it instead of creating it (import id {}/{}).",
                            record.name, self.name
                        )
                    } else {
                        String::new()
                    }
                ),
            });
        }
        let pool_domains = self.edge.pool_domains();
        let in_the_way = self.records.iter().find(|r| {
            if r.is_cloudfront_alias() {
                !r.points_into(&pool_domains)
            } else {
                matches!(r.record_type.as_str(), "A" | "AAAA" | "CNAME")
            }
        })?;
        Some(Foreign {
            object: format!("Route53 record {host} {}", in_the_way.record_type),
            detail: format!(
                "Hosted zone {} already has an {} record for {host} ({}).",
                record.hosted_zone_id, in_the_way.record_type, in_the_way.target
            ),
        })
    }

    /// The tenant's listener rule: the one its state names (`rule_arn`; a group only while it
    /// still holds the host), else the one tagged for it, else a group of the edge holding
    /// its host.
    pub fn rule(&self, rule_arn: Option<&str>) -> Option<&'a RuleInfo> {
        let (rules, edge) = (self.rules, self.edge.record.name.as_str());
        let holds = |r: &RuleInfo| r.hosts.iter().any(|h| h == self.host);
        rules
            .iter()
            .find(|r| Some(r.arn.as_str()) == rule_arn && (!r.is_group_of(edge) || holds(r)))
            .or_else(|| rules.iter().find(|r| r.belongs_to(edge, self.name)))
            .or_else(|| rules.iter().find(|r| r.is_group_of(edge) && holds(r)))
    }

    /// Whether `rule`, the tenant's ([`Self::rule`]: a group only while it holds the host),
    /// sends the host to the shared target group: among others for a group, alone otherwise.
    fn routes_host(&self, rule: &RuleInfo) -> bool {
        let record = &self.edge.record;
        if rule.is_group_of(&record.name) {
            rule.forwards_to(&record.target_group_arn)
        } else {
            rule.routes(self.host, &record.target_group_arn)
        }
    }

    /// Whether `rule` serves the tenant otherwise than the edge's layout asks, or is not yet
    /// marked as the provider's (a rule taken over by an import).
    fn rule_drifted(&self, rule: &RuleInfo) -> bool {
        let record = &self.edge.record;
        let grouped = rule.is_group_of(&record.name);
        !self.routes_host(rule)
            || grouped != (record.rule_layout == RuleLayout::Grouped)
            || !rule.is_managed()
    }

    /// A rule someone else made that is exactly what the tenant's own rule would be: it
    /// carries none of the provider's tags and sends exactly the host to the shared target
    /// group, with nothing else. An import takes it over.
    pub fn adoptable_rule(&self) -> Option<&'a RuleInfo> {
        let target_group = &self.edge.record.target_group_arn;
        self.rules
            .iter()
            .find(|r| r.is_unmarked() && r.routes(self.host, target_group))
    }

    /// How what AWS holds for the host differs from a tenant the provider could manage as it
    /// is, in words; empty when it fits: the host an alias of a pool distribution, a rule of
    /// the provider's holding it or one to take over ([`Self::adoptable_rule`]), and records of
    /// every expected type aliased to that distribution.
    pub fn misfits(&self) -> Vec<String> {
        let record = &self.edge.record;
        let mut found = Vec::new();
        let member = self.edge.member_with_alias(self.host);
        if member.is_none() {
            found.push(format!(
                "{} is not an alias of a distribution of edge {}",
                self.host, record.name
            ));
        }
        match self.rule(None).or_else(|| self.adoptable_rule()) {
            Some(rule) if self.routes_host(rule) => {}
            Some(rule) => found.extend(
                rule.differences(self.host, &record.target_group_arn)
                    .into_iter()
                    .map(|d| format!("listener rule {}: {d}", rule.arn)),
            ),
            None => {
                let matching: Vec<&RuleInfo> = self
                    .rules
                    .iter()
                    .filter(|r| r.hosts.iter().any(|h| h == self.host))
                    .collect();
                if matching.is_empty() {
                    found.push(format!(
                        "no rule of listener {} matches the host",
                        record.listener_arn
                    ));
                }
                for rule in matching {
                    let mut differs = rule.differences(self.host, &record.target_group_arn);
                    if differs.is_empty() {
                        differs.push("it carries another gateway tenant's tags".into());
                    }
                    found.extend(
                        differs
                            .into_iter()
                            .map(|d| format!("listener rule {}: {d}", rule.arn)),
                    );
                }
            }
        }
        let domain = member.map(|m| normalize_host(&m.distribution.domain_name));
        for kind in expected_record_types(record) {
            let of_kind: Vec<&RecordInfo> = self
                .records
                .iter()
                .filter(|r| r.record_type == kind)
                .collect();
            let aimed = of_kind.iter().any(|r| {
                r.is_cloudfront_alias() && r.cloudfront_target.as_ref() == domain.as_ref()
            });
            match of_kind.first() {
                _ if aimed => {}
                Some(other) => found.push(format!(
                    "its {kind} record is {}, not an alias to the distribution holding the host",
                    other.target
                )),
                None => found.push(format!("it has no {kind} record")),
            }
        }
        found
    }

    /// What exists of the tenant; `None` when nothing of it is left (no alias in the pool, no
    /// rule of its own, no record aliased into the pool).
    pub fn observe(&self, rule_arn: Option<&str>) -> Option<Observed<'a>> {
        let edge = self.edge;
        let member = edge.member_with_alias(self.host);
        let rule = self.rule(rule_arn);
        let pool_domains = edge.pool_domains();
        let any_record = self.records.iter().any(|r| r.points_into(&pool_domains));
        if member.is_none() && rule.is_none() && !any_record {
            return None;
        }
        Some(Observed {
            distribution: member.map(|m| &m.distribution),
            rule,
            rule_drift: rule.is_some_and(|r| self.rule_drifted(r)),
            record_types: member
                .map(|m| types_pointing_at(self.records, &m.distribution.domain_name))
                .unwrap_or_default(),
        })
    }

    /// Whether what was observed of the tenant is all of it, serving: its alias on a pool
    /// distribution, its rule sending the host to the shared target group, and records of every
    /// expected type aliased to that distribution.
    fn is_complete(&self, observed: &Observed<'_>) -> bool {
        observed.distribution.is_some()
            && observed.rule.is_some_and(|r| self.routes_host(r))
            && observed.record_types == expected_record_types(&self.edge.record)
    }

    /// The claim of another resource on the rule of a tenant whose own claim is `own` and whose
    /// state names `rule_arn`: the tenant has been taken over. A tenant without a claim (made
    /// before claims existed) and a rule without one have no rival.
    pub fn rival_claim(&self, rule_arn: Option<&str>, own: &[&str]) -> Option<&'a str> {
        if own.is_empty() {
            return None;
        }
        let on_rule = self.rule(rule_arn)?.claim()?;
        (!own.contains(&on_rule)).then_some(on_rule)
    }

    /// Who holds the tenant, for a resource whose claim is `claim` (`None` before it made
    /// anything). A complete tenant under no claim of the resource belongs to someone else.
    pub fn holder(&self, claims: &[&str]) -> Holder {
        let Some(observed) = self.observe(None) else {
            return Holder::Nobody;
        };
        let on_rule = observed.rule.and_then(RuleInfo::claim);
        if on_rule.is_some_and(|c| claims.contains(&c)) {
            return Holder::Ours;
        }
        // A group is written by its state alone: even an incomplete tenant in another
        // state's group is that state's to finish or remove.
        let in_group = observed
            .rule
            .is_some_and(|r| r.is_group_of(&self.edge.record.name));
        if in_group || self.is_complete(&observed) {
            return Holder::Another {
                claim: on_rule.map(str::to_string),
            };
        }
        Holder::Leftover
    }

    /// What deleting the tenant removes: its records aliased into the pool, the rule its state
    /// names or that is tagged for it (when it is ours or still matches only the host), and
    /// its alias on every pool distribution holding it.
    pub fn leftovers(&self, rule_arn: Option<&str>) -> Leftovers {
        let edge = self.edge;
        let (edge_name, host) = (edge.record.name.as_str(), self.host);
        let pool_domains = edge.pool_domains();
        Leftovers {
            records: (0..self.records.len())
                .filter(|i| self.records[*i].points_into(&pool_domains))
                .collect(),
            rules: self
                .rules
                .iter()
                .filter(|r| {
                    let tagged = r.belongs_to(edge_name, self.name);
                    let named = Some(r.arn.as_str()) == rule_arn;
                    tagged || (named && r.hosts == [host])
                })
                .map(|r| r.arn.clone())
                .collect(),
            groups: self
                .rules
                .iter()
                .filter(|r| r.is_group_of(edge_name) && r.hosts.iter().any(|h| h == host))
                .map(|r| (r.arn.clone(), r.claim().map(str::to_string)))
                .collect(),
            holders: edge
                .members
                .iter()
                .filter(|m| m.distribution.aliases.contains(host))
                .map(|m| m.distribution.id.clone())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::edge::{Member, TAG_EDGE, TAG_TENANT};
    use crate::domain::rules::{MANAGED_BY_TAG_KEY, MANAGED_BY_TAG_VALUE};

    const HOST: &str = "acme.gateway.example.com";
    const TG: &str = "arn:tg/shared";

    fn record() -> EdgeRecord {
        EdgeRecord {
            target_group_arn: TG.into(),
            ..EdgeRecord::example()
        }
    }

    fn distribution(id: &str, aliases: &[&str]) -> DistributionInfo {
        DistributionInfo {
            id: id.into(),
            arn: format!("arn:distribution/{id}"),
            domain_name: format!("{}.cloudfront.net", id.to_lowercase()),
            comment: String::new(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            status: "Deployed".into(),
            enabled: true,
        }
    }

    /// An edge whose pool is E0 (holding `aliases`) and E1 (empty).
    fn edge(aliases: &[&str]) -> EdgeView {
        EdgeView {
            record: record(),
            members: vec![
                Member {
                    slot: 0,
                    distribution: distribution("E0", aliases),
                },
                Member {
                    slot: 1,
                    distribution: distribution("E1", &[]),
                },
            ],
        }
    }

    fn rule(arn: &str, host: &str, target_group: &str, tenant: Option<&str>) -> RuleInfo {
        let mut tags = crate::domain::tags::Tags::new();
        if let Some(tenant) = tenant {
            tags.insert(MANAGED_BY_TAG_KEY.into(), MANAGED_BY_TAG_VALUE.into());
            tags.insert(TAG_EDGE.into(), "e1".into());
            tags.insert(TAG_TENANT.into(), tenant.into());
        }
        RuleInfo {
            arn: arn.into(),
            priority: Some(1),
            hosts: vec![host.into()],
            target_groups: vec![target_group.into()],
            tags,
            extras: Vec::new(),
        }
    }

    fn alias(kind: &str, target: &str) -> RecordInfo {
        RecordInfo {
            record_type: kind.into(),
            cloudfront_target: Some(target.into()),
            target: format!("an alias to {target}"),
        }
    }

    fn plain(kind: &str, value: &str) -> RecordInfo {
        RecordInfo {
            record_type: kind.into(),
            cloudfront_target: None,
            target: value.into(),
        }
    }

    fn view<'a>(
        edge: &'a EdgeView,
        rules: &'a [RuleInfo],
        records: &'a [RecordInfo],
    ) -> TenantView<'a> {
        TenantView {
            edge,
            name: "acme",
            host: HOST,
            rules,
            records,
        }
    }

    #[test]
    fn who_holds_a_tenant() {
        let served = edge(&[HOST]);
        let empty = edge(&[]);
        let claimed = |claim: Option<&str>| {
            let mut r = rule("arn:r/own", HOST, TG, Some("acme"));
            if let Some(claim) = claim {
                r.tags.insert(TAG_CLAIM.into(), claim.into());
            }
            r
        };
        let both = vec![
            alias("A", "e0.cloudfront.net"),
            alias("AAAA", "e0.cloudfront.net"),
        ];
        let only_a = vec![alias("A", "e0.cloudfront.net")];
        let drifted = rule("arn:r/own", HOST, "arn:tg/other", Some("acme"));
        type Case<'a> = (
            &'a str,
            &'a EdgeView,
            Vec<RuleInfo>,
            &'a [RecordInfo],
            Option<&'a str>,
            Holder,
        );
        let cases: Vec<Case> = vec![
            ("nothing", &empty, vec![], &[], None, Holder::Nobody),
            (
                "nothing, asked by an owner",
                &empty,
                vec![],
                &[],
                Some("c1"),
                Holder::Nobody,
            ),
            (
                "complete, our claim",
                &served,
                vec![claimed(Some("c1"))],
                &both,
                Some("c1"),
                Holder::Ours,
            ),
            (
                "complete, another claim",
                &served,
                vec![claimed(Some("c2"))],
                &both,
                Some("c1"),
                Holder::Another {
                    claim: Some("c2".into()),
                },
            ),
            (
                "complete, asked by a new resource",
                &served,
                vec![claimed(Some("c2"))],
                &both,
                None,
                Holder::Another {
                    claim: Some("c2".into()),
                },
            ),
            (
                "complete, made before claims",
                &served,
                vec![claimed(None)],
                &both,
                None,
                Holder::Another { claim: None },
            ),
            (
                "no records yet",
                &served,
                vec![claimed(Some("c2"))],
                &[],
                None,
                Holder::Leftover,
            ),
            (
                "no AAAA yet",
                &served,
                vec![claimed(Some("c2"))],
                &only_a,
                None,
                Holder::Leftover,
            ),
            (
                "no rule yet",
                &served,
                vec![],
                &both,
                None,
                Holder::Leftover,
            ),
            (
                "no alias",
                &empty,
                vec![claimed(Some("c2"))],
                &[],
                None,
                Holder::Leftover,
            ),
            (
                "a drifted rule does not serve",
                &served,
                vec![drifted],
                &both,
                None,
                Holder::Leftover,
            ),
            (
                "incomplete, our claim",
                &empty,
                vec![claimed(Some("c1"))],
                &[],
                Some("c1"),
                Holder::Ours,
            ),
        ];
        for (what, edge, rules, records, claim, expected) in cases {
            let view = view(edge, &rules, records);
            let claims: Vec<&str> = claim.into_iter().collect();
            assert_eq!(view.holder(&claims), expected, "{what}");
        }
    }

    #[test]
    fn a_rival_claim_is_another_claim_on_the_tenants_rule() {
        let pool = edge(&[HOST]);
        let mut claimed = rule("arn:r/own", HOST, TG, Some("acme"));
        claimed.tags.insert(TAG_CLAIM.into(), "c2".into());
        let rules = vec![claimed, rule("arn:r/old", HOST, TG, None)];
        let view = view(&pool, &rules, &[]);
        assert_eq!(view.rival_claim(None, &["c1"]), Some("c2"));
        assert_eq!(view.rival_claim(Some("arn:r/own"), &["c1"]), Some("c2"));
        assert_eq!(view.rival_claim(None, &["c1", "c2"]), None, "our own");
        assert_eq!(view.rival_claim(None, &[]), None, "no claim of ours");
        assert_eq!(
            view.rival_claim(Some("arn:r/old"), &["c1"]),
            None,
            "a rule without one"
        );
    }

    fn group(arn: &str, hosts: &[&str], claim: &str) -> RuleInfo {
        let mut group = rule(arn, hosts[0], TG, Some("first"));
        group.hosts = hosts.iter().map(|h| h.to_string()).collect();
        group.tags.remove(TAG_TENANT);
        group
            .tags
            .insert(crate::domain::rules::TAG_GROUP.into(), "true".into());
        group.tags.insert(TAG_CLAIM.into(), claim.into());
        group
    }

    #[test]
    fn a_tenant_in_a_group_is_its_states() {
        let grouped = EdgeView {
            record: EdgeRecord {
                rule_layout: RuleLayout::Grouped,
                ..record()
            },
            ..edge(&[HOST])
        };
        let records = [
            alias("A", "e0.cloudfront.net"),
            alias("AAAA", "e0.cloudfront.net"),
        ];
        let other = "zeta.gateway.example.com";
        let ours = group("arn:r/g1", &[other, HOST], "s1");
        let rules = [ours.clone()];
        let seen = view(&grouped, &rules, &records);
        assert!(
            seen.foreign(&[]).is_none(),
            "a group of the edge is not foreign"
        );
        let observed = seen.observe(None).unwrap();
        assert_eq!(observed.rule, Some(&ours));
        assert!(!observed.rule_drift);
        assert_eq!(seen.holder(&["s1"]), Holder::Ours);
        assert_eq!(
            seen.holder(&["s2"]),
            Holder::Another {
                claim: Some("s1".into())
            }
        );
        assert_eq!(seen.rival_claim(Some("arn:r/g1"), &["s2"]), Some("s1"));
        assert_eq!(seen.rival_claim(Some("arn:r/g1"), &["p", "s1"]), None);
        let left = seen.leftovers(Some("arn:r/g1"));
        assert!(left.rules.is_empty(), "a group is left, not deleted");
        assert_eq!(
            left.groups,
            [("arn:r/g1".to_string(), Some("s1".to_string()))]
        );

        // Incomplete in another state's group: still that state's.
        let no_records = view(&grouped, &rules, &[]);
        assert!(matches!(no_records.holder(&["s2"]), Holder::Another { .. }));

        // A group that lost the host is not the tenant's rule, even when the state names it.
        let without = [group("arn:r/g1", &[other], "s1")];
        assert_eq!(view_rule(&grouped, &without, Some("arn:r/g1")), None);

        // On an edge of own rules, a group is drift to undo, and so is an own rule on a
        // grouped edge.
        let per_tenant = edge(&[HOST]);
        assert!(
            view(&per_tenant, &rules, &records)
                .observe(None)
                .unwrap()
                .rule_drift
        );
        let own = [rule("arn:r/own", HOST, TG, Some("acme"))];
        assert!(
            view(&grouped, &own, &records)
                .observe(None)
                .unwrap()
                .rule_drift
        );
        assert!(
            !view(&per_tenant, &own, &records)
                .observe(None)
                .unwrap()
                .rule_drift
        );
    }

    fn view_rule<'a>(
        edge: &'a EdgeView,
        rules: &'a [RuleInfo],
        arn: Option<&str>,
    ) -> Option<&'a RuleInfo> {
        view(edge, rules, &[]).rule(arn)
    }

    #[test]
    fn foreign_objects() {
        let pool = edge(&[]);
        let outside = distribution("EX", &[HOST]);
        let own_rule = rule("arn:r/own", HOST, TG, Some("acme"));
        type Case<'a> = (
            &'a str,
            Vec<DistributionInfo>,
            Vec<RuleInfo>,
            Vec<RecordInfo>,
            Option<&'a str>,
        );
        let cases: Vec<Case> = vec![
            ("nothing there", vec![], vec![], vec![], None),
            (
                "the alias on a distribution outside the pool",
                vec![outside.clone()],
                vec![],
                vec![],
                Some("CloudFront alias"),
            ),
            (
                "the alias inside the pool is ours",
                vec![edge(&[HOST]).members[0].distribution.clone()],
                vec![],
                vec![],
                None,
            ),
            ("our own rule", vec![], vec![own_rule.clone()], vec![], None),
            (
                "another tenant's rule",
                vec![],
                vec![rule("arn:r/2", HOST, TG, Some("other"))],
                vec![],
                Some("listener rule"),
            ),
            (
                "an untagged rule",
                vec![],
                vec![rule("arn:r/3", HOST, TG, None)],
                vec![],
                Some("listener rule"),
            ),
            (
                "a rule for another host",
                vec![],
                vec![rule("arn:r/4", "x.example.com", TG, None)],
                vec![],
                None,
            ),
            (
                "an alias into the pool",
                vec![],
                vec![],
                vec![alias("A", "e1.cloudfront.net")],
                None,
            ),
            (
                "an alias elsewhere",
                vec![],
                vec![],
                vec![alias("AAAA", "d9.cloudfront.net")],
                Some("Route53 record acme.gateway.example.com AAAA"),
            ),
            (
                "a plain A record",
                vec![],
                vec![],
                vec![plain("A", "192.0.2.1")],
                Some("Route53 record acme.gateway.example.com A"),
            ),
            (
                "a CNAME",
                vec![],
                vec![],
                vec![plain("CNAME", "elsewhere.example.com")],
                Some("CNAME"),
            ),
            (
                "a TXT record is no obstacle",
                vec![],
                vec![],
                vec![plain("TXT", "\"v=1\"")],
                None,
            ),
        ];
        for (name, distributions, rules, records, expected) in cases {
            let found = view(&pool, &rules, &records).foreign(&distributions);
            match expected {
                None => assert_eq!(found, None, "{name}"),
                Some(object) => {
                    let found = found.unwrap_or_else(|| panic!("{name}: nothing found"));
                    assert!(found.object.contains(object), "{name}: {found:?}");
                }
            }
        }
        let found = view(&pool, &[], &[plain("A", "192.0.2.1")])
            .foreign(&[])
            .unwrap();
        assert_eq!(
            found.detail,
            "Hosted zone Z1 already has an A record for acme.gateway.example.com (192.0.2.1)."
        );
    }

    #[test]
    fn what_a_read_finds() {
        let placed = edge(&[HOST]);
        let empty = edge(&[]);
        let good = rule("arn:r/own", HOST, TG, Some("acme"));
        let moved = rule("arn:r/own", HOST, "arn:tg/old", Some("acme"));
        let records = vec![
            alias("A", "e0.cloudfront.net"),
            alias("AAAA", "e0.cloudfront.net"),
        ];
        let stale = vec![alias("A", "e1.cloudfront.net")];
        // (case, edge, rules, records, rule in state, exists, distribution, rule, drift, types)
        type Case<'a> = (
            &'a str,
            &'a EdgeView,
            Vec<RuleInfo>,
            Vec<RecordInfo>,
            Option<&'a str>,
            bool,
            Option<&'a str>,
            Option<&'a str>,
            bool,
            Vec<&'a str>,
        );
        let cases: Vec<Case> = vec![
            (
                "complete",
                &placed,
                vec![good.clone()],
                records.clone(),
                None,
                true,
                Some("E0"),
                Some("arn:r/own"),
                false,
                vec!["A", "AAAA"],
            ),
            (
                "nothing left",
                &empty,
                vec![],
                vec![],
                None,
                false,
                None,
                None,
                false,
                vec![],
            ),
            (
                "only the rule",
                &empty,
                vec![good.clone()],
                vec![],
                None,
                true,
                None,
                Some("arn:r/own"),
                false,
                vec![],
            ),
            (
                "only a record into the pool",
                &empty,
                vec![],
                stale.clone(),
                None,
                true,
                None,
                None,
                false,
                vec![],
            ),
            (
                "a record on another pool member is not counted",
                &placed,
                vec![good.clone()],
                stale.clone(),
                None,
                true,
                Some("E0"),
                Some("arn:r/own"),
                false,
                vec![],
            ),
            (
                "the rule was repointed",
                &placed,
                vec![moved],
                records.clone(),
                None,
                true,
                Some("E0"),
                Some("arn:r/own"),
                true,
                vec!["A", "AAAA"],
            ),
            (
                "the rule named in state wins",
                &placed,
                vec![
                    rule("arn:r/named", "other.example.com", TG, None),
                    good.clone(),
                ],
                records.clone(),
                Some("arn:r/named"),
                true,
                Some("E0"),
                Some("arn:r/named"),
                true,
                vec!["A", "AAAA"],
            ),
            (
                "another tenant's rule is not ours",
                &empty,
                vec![rule("arn:r/2", HOST, TG, Some("other"))],
                vec![],
                None,
                false,
                None,
                None,
                false,
                vec![],
            ),
        ];
        for (
            name,
            edge,
            rules,
            records,
            state_rule,
            exists,
            distribution,
            rule_arn,
            drift,
            types,
        ) in cases
        {
            let view = view(edge, &rules, &records);
            let Some(observed) = view.observe(state_rule) else {
                assert!(!exists, "{name}: found nothing");
                continue;
            };
            assert!(exists, "{name}: found {observed:?}");
            assert_eq!(
                observed.distribution.map(|d| d.id.as_str()),
                distribution,
                "{name}"
            );
            assert_eq!(observed.rule.map(|r| r.arn.as_str()), rule_arn, "{name}");
            assert_eq!(observed.rule_drift, drift, "{name}");
            assert_eq!(observed.record_types, types, "{name}");
        }
    }

    #[test]
    fn what_a_delete_removes() {
        let placed = edge(&[HOST]);
        let both = EdgeView {
            members: vec![
                Member {
                    slot: 0,
                    distribution: distribution("E0", &[HOST]),
                },
                Member {
                    slot: 1,
                    distribution: distribution("E1", &[HOST]),
                },
            ],
            ..placed.clone()
        };
        let records = vec![
            alias("A", "e0.cloudfront.net"),
            plain("TXT", "\"keep me\""),
            alias("AAAA", "elsewhere.cloudfront.net"),
            alias("AAAA", "e1.cloudfront.net"),
        ];
        type Case<'a> = (
            &'a str,
            &'a EdgeView,
            Vec<RuleInfo>,
            Option<&'a str>,
            Vec<&'a str>,
            Vec<&'a str>,
        );
        let cases: Vec<Case> = vec![
            (
                "tagged rule",
                &placed,
                vec![rule("arn:r/own", HOST, TG, Some("acme"))],
                None,
                vec!["arn:r/own"],
                vec!["E0"],
            ),
            (
                "rule named in state, still only the host",
                &placed,
                vec![rule("arn:r/named", HOST, TG, None)],
                Some("arn:r/named"),
                vec!["arn:r/named"],
                vec!["E0"],
            ),
            (
                "rule named in state but now someone else's host",
                &placed,
                vec![rule("arn:r/named", "x.example.com", TG, None)],
                Some("arn:r/named"),
                vec![],
                vec!["E0"],
            ),
            (
                "a foreign rule for the host stays",
                &placed,
                vec![rule("arn:r/f", HOST, TG, None)],
                None,
                vec![],
                vec!["E0"],
            ),
            (
                "another tenant's rule stays",
                &placed,
                vec![rule("arn:r/2", HOST, TG, Some("other"))],
                None,
                vec![],
                vec!["E0"],
            ),
            (
                "an alias on two members goes from both",
                &both,
                vec![],
                None,
                vec![],
                vec!["E0", "E1"],
            ),
        ];
        for (name, edge, rules, state_rule, gone_rules, holders) in cases {
            let leftovers = view(edge, &rules, &records).leftovers(state_rule);
            assert_eq!(
                leftovers.records,
                vec![0, 3],
                "{name}: only aliases into the pool"
            );
            assert_eq!(leftovers.rules, gone_rules, "{name}");
            assert_eq!(leftovers.holders, holders, "{name}");
        }
    }

    #[test]
    fn record_types() {
        let mut edge = record();
        assert_eq!(expected_record_types(&edge), ["A", "AAAA"]);
        edge.ipv6_enabled = false;
        assert_eq!(expected_record_types(&edge), ["A"]);
        let records = vec![
            alias("AAAA", "d1.cloudfront.net"),
            plain("A", "192.0.2.1"),
            alias("A", "d1.cloudfront.net"),
            alias("A", "d2.cloudfront.net"),
        ];
        assert_eq!(
            types_pointing_at(&records, "D1.cloudfront.net."),
            ["A", "AAAA"]
        );
        assert_eq!(
            types_pointing_at(&records, "d3.cloudfront.net"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn what_someone_else_built_is_taken_over_only_when_it_has_the_tenants_shape() {
        let served = edge(&[HOST]);
        let empty = edge(&[]);
        let both = vec![
            alias("A", "e0.cloudfront.net"),
            alias("AAAA", "e0.cloudfront.net"),
        ];
        let theirs = |f: fn(&mut RuleInfo)| {
            let mut r = rule("arn:r/cdk", HOST, TG, None);
            f(&mut r);
            r
        };
        let fits = theirs(|_| {});
        let with_path = theirs(|r| r.extras = vec!["a path-pattern condition".into()]);
        let elsewhere = theirs(|r| r.target_groups = vec!["arn:tg/other".into()]);
        let shared = theirs(|r| r.hosts.push("other.gateway.example.com".into()));
        let to_elsewhere = [
            alias("A", "d9.cloudfront.net"),
            alias("AAAA", "e0.cloudfront.net"),
        ];
        // (case, edge, rules, records, adoptable, what differs)
        type Case<'a> = (
            &'a str,
            &'a EdgeView,
            Vec<RuleInfo>,
            &'a [RecordInfo],
            bool,
            Vec<&'a str>,
        );
        let cases: Vec<Case> = vec![
            ("the seed's shape", &served, vec![fits.clone()], &both, true, vec![]),
            (
                "provider-made",
                &served,
                vec![rule("arn:r/own", HOST, TG, Some("acme"))],
                &both,
                false,
                vec![],
            ),
            (
                "an extra condition",
                &served,
                vec![with_path],
                &both,
                false,
                vec!["listener rule arn:r/cdk: it has a path-pattern condition"],
            ),
            (
                "another target group",
                &served,
                vec![elsewhere],
                &both,
                false,
                vec!["listener rule arn:r/cdk: it forwards to arn:tg/other, not to the edge's target group arn:tg/shared"],
            ),
            (
                "several hosts",
                &served,
                vec![shared],
                &both,
                false,
                vec!["listener rule arn:r/cdk: it also matches other.gateway.example.com"],
            ),
            (
                "a record elsewhere, none of the other",
                &served,
                vec![fits.clone()],
                &to_elsewhere[..1],
                true,
                vec![
                    "its A record is an alias to d9.cloudfront.net, not an alias to the distribution holding the host",
                    "it has no AAAA record",
                ],
            ),
            (
                "no rule, not an alias",
                &empty,
                vec![],
                &both,
                false,
                vec![
                    "acme.gateway.example.com is not an alias of a distribution of edge e1",
                    "no rule of listener arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/web/1/2 matches the host",
                    "its A record is an alias to e0.cloudfront.net, not an alias to the distribution holding the host",
                    "its AAAA record is an alias to e0.cloudfront.net, not an alias to the distribution holding the host",
                ],
            ),
        ];
        for (name, edge, rules, records, adoptable, differs) in cases {
            let view = view(edge, &rules, records);
            assert_eq!(view.adoptable_rule().is_some(), adoptable, "{name}");
            assert_eq!(view.misfits(), differs, "{name}");
        }
    }

    #[test]
    fn a_rule_taken_over_reads_as_drift_until_it_is_marked() {
        let served = edge(&[HOST]);
        let both = vec![
            alias("A", "e0.cloudfront.net"),
            alias("AAAA", "e0.cloudfront.net"),
        ];
        let rules = vec![rule("arn:r/cdk", HOST, TG, None)];
        let view = view(&served, &rules, &both);
        let named = view.observe(Some("arn:r/cdk")).unwrap();
        assert_eq!(named.rule.map(|r| r.arn.as_str()), Some("arn:r/cdk"));
        assert!(named.rule_drift, "not yet marked as the provider's");
        assert!(
            view.observe(None).unwrap().rule.is_none(),
            "never found by itself"
        );
        assert!(view
            .foreign(&[])
            .is_some_and(|f| f.detail.contains("import it instead")));
        let marked = vec![rule("arn:r/cdk", HOST, TG, Some("acme"))];
        let view = super::tests::view(&served, &marked, &both);
        assert!(!view.observe(Some("arn:r/cdk")).unwrap().rule_drift);
    }
}
