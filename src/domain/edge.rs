//! What an edge records about itself in AWS, so that a tenant in another Terraform state can join
//! it knowing only its id: the pool's distributions carry a recognizable comment, and tags with
//! the settings tenants need. Pure encoding and decoding.

use std::collections::{BTreeMap, BTreeSet};

use super::allocation::Slot;
use super::naming::{normalize_host, tenant_host};

/// Tag keys the provider owns; user tags may not use this prefix.
pub const TAG_PREFIX: &str = "gateway:";
pub const TAG_EDGE: &str = "gateway:edge";
pub const TAG_SLOT: &str = "gateway:slot";
pub const TAG_GENERATION: &str = "gateway:generation";
pub const TAG_DOMAIN: &str = "gateway:domain";
pub const TAG_ZONE: &str = "gateway:hosted-zone-id";
pub const TAG_LISTENER: &str = "gateway:listener-arn";
pub const TAG_TARGET_GROUP: &str = "gateway:target-group-arn";
pub const TAG_MAX_ALIASES: &str = "gateway:max-aliases";
pub const TAG_MAX_DISTRIBUTIONS: &str = "gateway:max-distributions";
pub const TAG_MAX_RULES: &str = "gateway:max-listener-rules";
pub const TAG_WAIT: &str = "gateway:wait-for-deployment";
pub const TAG_IPV6: &str = "gateway:ipv6";
pub const TAG_RULE_LAYOUT: &str = "gateway:rule-layout";
/// The distributions an edge took over instead of creating, and whether their settings stay
/// theirs ([`Adoption`]): `keep E1 E2` or `manage E1`.
pub const TAG_ADOPTED: &str = "gateway:adopted";
/// On a distribution taken over: its comment before, given back when the edge lets it go.
pub const TAG_COMMENT: &str = "gateway:original-comment";
/// How the edge serves its tenants ([`DistributionMode`]).
pub const TAG_MODE: &str = "gateway:distribution-mode";
/// A multi-tenant edge's connection group and the routing endpoint its tenants' records point
/// at: `<id> <endpoint>`.
pub const TAG_CONNECTION_GROUP: &str = "gateway:connection-group";
/// Distribution ids a [`TAG_ADOPTED`] tag can hold (AWS's 256 characters per tag value).
pub const ADOPTED_MAX: usize = 16;
/// On listener rules: the tenant a rule belongs to.
pub const TAG_TENANT: &str = "gateway:tenant";

const COMMENT_PREFIX: &str = "gateway edge ";

/// How tenants' hosts are matched on the edge's listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleLayout {
    /// Up to [`HOSTS_PER_RULE`](super::rules::HOSTS_PER_RULE) tenant hosts per rule, each
    /// rule written only by the Terraform state whose tenants it holds.
    Grouped,
    /// One rule per tenant, with the tenant's tags and an optional pinned priority.
    PerTenant,
}

impl RuleLayout {
    /// The attribute's values, as written in configuration.
    pub const NAMES: &'static [&'static str] = &["grouped", "per_tenant"];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Grouped => "grouped",
            Self::PerTenant => "per_tenant",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "grouped" => Some(Self::Grouped),
            "per_tenant" => Some(Self::PerTenant),
            _ => None,
        }
    }
}

/// How an edge serves its tenants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DistributionMode {
    /// A pool of standard distributions, each tenant's host an alias on one of them.
    #[default]
    Pool,
    /// One multi-tenant distribution (CloudFront SaaS Manager), each tenant a distribution
    /// tenant with its host as its domain, reached through the edge's connection group.
    MultiTenant,
}

impl DistributionMode {
    pub const NAMES: &'static [&'static str] = &["pool", "multi_tenant"];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pool => "pool",
            Self::MultiTenant => "multi_tenant",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pool" => Some(Self::Pool),
            "multi_tenant" => Some(Self::MultiTenant),
            _ => None,
        }
    }
}

/// A multi-tenant edge's connection group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionGroupRef {
    pub id: String,
    /// The host the tenants' alias records point at (`d123.cloudfront.net`).
    pub routing_endpoint: String,
}

/// Distributions an edge was declared over instead of creating them (`adopt_distribution_ids`):
/// they join the pool as its first slots, in the order given, and are let go, not deleted,
/// with the edge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Adoption {
    pub ids: Vec<String>,
    /// Whether their cache behaviour and origin stay as they are (`adopted_settings =
    /// "keep"`), rather than being brought to the edge's settings (`"manage"`).
    pub keep_settings: bool,
}

impl Adoption {
    pub const SETTINGS: &'static [&'static str] = &["keep", "manage"];

    /// The value of [`TAG_ADOPTED`].
    pub fn tag(&self) -> String {
        let mode = if self.keep_settings { "keep" } else { "manage" };
        std::iter::once(mode)
            .chain(self.ids.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn from_tag(text: &str) -> Result<Self, String> {
        let mut words = text.split_whitespace();
        let keep_settings = match words.next() {
            Some("keep") => true,
            Some("manage") => false,
            _ => return Err(format!("the {TAG_ADOPTED:?} tag is not an adoption")),
        };
        Ok(Self {
            ids: words.map(str::to_string).collect(),
            keep_settings,
        })
    }

    /// Whether distribution `id` was taken over with its settings left as they are.
    pub fn keeps(&self, id: &str) -> bool {
        self.keep_settings && self.ids.iter().any(|a| a == id)
    }
}

/// The settings of an edge that tenants need, as stored in the pool's tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeRecord {
    pub name: String,
    /// Distinguishes this edge from an earlier one of the same name (caller references must
    /// not collide with a deleted pool's).
    pub generation: String,
    pub domain: String,
    pub hosted_zone_id: String,
    pub listener_arn: String,
    pub target_group_arn: String,
    pub max_aliases_per_distribution: usize,
    pub max_distributions: usize,
    pub max_listener_rules: usize,
    pub wait_for_deployment: bool,
    pub ipv6_enabled: bool,
    pub rule_layout: RuleLayout,
    /// The distributions the edge took over, when it was declared over some.
    pub adoption: Option<Adoption>,
    pub mode: DistributionMode,
    /// With [`DistributionMode::MultiTenant`], its connection group.
    pub connection_group: Option<ConnectionGroupRef>,
}

impl EdgeRecord {
    /// The tags a pool distribution in `slot` carries (before user tags are merged in).
    pub fn tags(&self, slot: u32) -> BTreeMap<String, String> {
        let mut tags = BTreeMap::new();
        let mut put = |k: &str, v: String| {
            tags.insert(k.to_string(), v);
        };
        put(TAG_EDGE, self.name.clone());
        put(TAG_SLOT, slot.to_string());
        put(TAG_GENERATION, self.generation.clone());
        put(TAG_DOMAIN, self.domain.clone());
        put(TAG_ZONE, self.hosted_zone_id.clone());
        put(TAG_LISTENER, self.listener_arn.clone());
        put(TAG_TARGET_GROUP, self.target_group_arn.clone());
        put(
            TAG_MAX_ALIASES,
            self.max_aliases_per_distribution.to_string(),
        );
        put(TAG_MAX_DISTRIBUTIONS, self.max_distributions.to_string());
        put(TAG_MAX_RULES, self.max_listener_rules.to_string());
        put(TAG_WAIT, self.wait_for_deployment.to_string());
        put(TAG_IPV6, self.ipv6_enabled.to_string());
        put(TAG_RULE_LAYOUT, self.rule_layout.as_str().to_string());
        if let Some(adoption) = &self.adoption {
            put(TAG_ADOPTED, adoption.tag());
        }
        if self.mode != DistributionMode::Pool {
            put(TAG_MODE, self.mode.as_str().to_string());
        }
        if let Some(group) = &self.connection_group {
            put(
                TAG_CONNECTION_GROUP,
                format!("{} {}", group.id, group.routing_endpoint),
            );
        }
        tags
    }

    /// Reads the settings back from a pool distribution's tags.
    pub fn from_tags(tags: &BTreeMap<String, String>) -> Result<Self, String> {
        let get = |k: &str| {
            tags.get(k)
                .cloned()
                .ok_or_else(|| format!("the distribution has no {k:?} tag"))
        };
        let number = |k: &str| -> Result<usize, String> {
            get(k)?
                .parse()
                .map_err(|_| format!("the {k:?} tag is not a number"))
        };
        let flag = |k: &str| -> Result<bool, String> {
            get(k)?
                .parse()
                .map_err(|_| format!("the {k:?} tag is not true or false"))
        };
        Ok(Self {
            name: get(TAG_EDGE)?,
            generation: get(TAG_GENERATION)?,
            domain: get(TAG_DOMAIN)?,
            hosted_zone_id: get(TAG_ZONE)?,
            listener_arn: get(TAG_LISTENER)?,
            target_group_arn: get(TAG_TARGET_GROUP)?,
            max_aliases_per_distribution: number(TAG_MAX_ALIASES)?,
            max_distributions: number(TAG_MAX_DISTRIBUTIONS)?,
            max_listener_rules: number(TAG_MAX_RULES)?,
            wait_for_deployment: flag(TAG_WAIT)?,
            ipv6_enabled: flag(TAG_IPV6)?,
            // Edges recorded before layouts existed have one rule per tenant.
            rule_layout: match tags.get(TAG_RULE_LAYOUT) {
                None => RuleLayout::PerTenant,
                Some(text) => RuleLayout::parse(text)
                    .ok_or_else(|| format!("the {TAG_RULE_LAYOUT:?} tag is not a rule layout"))?,
            },
            adoption: tags
                .get(TAG_ADOPTED)
                .map(|text| Adoption::from_tag(text))
                .transpose()?,
            mode: match tags.get(TAG_MODE) {
                None => DistributionMode::Pool,
                Some(text) => DistributionMode::parse(text)
                    .ok_or_else(|| format!("the {TAG_MODE:?} tag is not a distribution mode"))?,
            },
            connection_group: tags
                .get(TAG_CONNECTION_GROUP)
                .map(|text| match text.split_once(' ') {
                    Some((id, endpoint)) => Ok(ConnectionGroupRef {
                        id: id.to_string(),
                        routing_endpoint: endpoint.to_string(),
                    }),
                    None => Err(format!(
                        "the {TAG_CONNECTION_GROUP:?} tag is not <id> <endpoint>"
                    )),
                })
                .transpose()?,
        })
    }

    /// The host name of tenant `name` on this edge: `<name>.<domain>`, checked.
    pub fn tenant_host(&self, name: &str) -> Result<String, String> {
        tenant_host(name, &self.domain)
    }

    /// An edge for tests of the layers above: `e1` under `gateway.example.com`.
    #[cfg(test)]
    pub(crate) fn example() -> Self {
        let arn = |resource: &str| {
            format!("arn:aws:elasticloadbalancing:eu-west-1:123456789012:{resource}")
        };
        Self {
            name: "e1".into(),
            generation: "7".into(),
            domain: "gateway.example.com".into(),
            hosted_zone_id: "Z1".into(),
            listener_arn: arn("listener/app/web/1/2"),
            target_group_arn: arn("targetgroup/shared/3"),
            max_aliases_per_distribution: 100,
            max_distributions: 20,
            max_listener_rules: 100,
            wait_for_deployment: true,
            ipv6_enabled: true,
            rule_layout: RuleLayout::PerTenant,
            adoption: None,
            mode: DistributionMode::Pool,
            connection_group: None,
        }
    }

    /// The caller reference of the distribution in `slot`: the same for every process that
    /// grows this pool, so a second creation of one slot is refused by CloudFront instead of
    /// duplicating it.
    pub fn caller_reference(&self, slot: u32) -> String {
        format!("gateway-{}-{}-slot-{slot}", self.name, self.generation)
    }
}

/// A distribution as `ListDistributions` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistributionInfo {
    pub id: String,
    pub arn: String,
    pub domain_name: String,
    pub comment: String,
    /// Aliases, normalized ([`normalize_host`]).
    pub aliases: BTreeSet<String>,
    pub status: String,
    pub enabled: bool,
}

/// A distribution of an edge's pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub slot: u32,
    pub distribution: DistributionInfo,
}

/// An edge as found in AWS: its recorded settings and its pool, ordered by slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeView {
    pub record: EdgeRecord,
    pub members: Vec<Member>,
}

impl EdgeView {
    /// The pool of edge `edge_id` among `distributions` (found by their comments), ordered by
    /// slot; `None` when no distribution belongs to it.
    pub fn members_of(edge_id: &str, distributions: &[DistributionInfo]) -> Option<Vec<Member>> {
        let mut members: Vec<Member> = distributions
            .iter()
            .filter_map(|d| {
                let (edge, slot) = parse_pool_comment(&d.comment)?;
                (edge == edge_id).then(|| Member {
                    slot,
                    distribution: d.clone(),
                })
            })
            .collect();
        members.sort_by_key(|m| m.slot);
        (!members.is_empty()).then_some(members)
    }

    pub fn member_by_id(&self, id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.distribution.id == id)
    }

    /// The pool member holding `host` as an alias.
    pub fn member_with_alias(&self, host: &str) -> Option<&Member> {
        self.members
            .iter()
            .find(|m| m.distribution.aliases.contains(host))
    }

    /// Every tenant host on the pool.
    pub fn hosts(&self) -> BTreeSet<String> {
        self.members
            .iter()
            .flat_map(|m| m.distribution.aliases.iter().cloned())
            .collect()
    }

    /// The pool as allocation sees it, each distribution holding at most the edge's
    /// `max_aliases_per_distribution`.
    pub fn slots(&self) -> Vec<Slot> {
        self.members
            .iter()
            .map(|m| Slot {
                slot: m.slot,
                distribution_id: m.distribution.id.clone(),
                aliases: m.distribution.aliases.clone(),
                capacity: self.record.max_aliases_per_distribution,
            })
            .collect()
    }

    /// The pool's CloudFront domain names, normalized: what a tenant's records may point at.
    pub fn pool_domains(&self) -> BTreeSet<String> {
        self.members
            .iter()
            .map(|m| normalize_host(&m.distribution.domain_name))
            .collect()
    }

    /// The ids of the pool's distributions, in slot order.
    pub fn distribution_ids(&self) -> Vec<String> {
        self.members
            .iter()
            .map(|m| m.distribution.id.clone())
            .collect()
    }
}

/// The comment of a pool distribution; `ListDistributions` returns it, so the pool is found
/// with one paged call.
pub fn pool_comment(edge: &str, slot: u32) -> String {
    format!("{COMMENT_PREFIX}{edge} slot {slot}")
}

/// The edge and slot a comment names, if it is a pool distribution's.
pub fn parse_pool_comment(comment: &str) -> Option<(&str, u32)> {
    let rest = comment.strip_prefix(COMMENT_PREFIX)?;
    let (edge, slot) = rest.rsplit_once(" slot ")?;
    if edge.is_empty() || edge.contains(' ') {
        return None;
    }
    Some((edge, slot.parse().ok()?))
}

/// Cache policy and origin request policy names of an edge (unique per account).
pub fn cache_policy_name(edge: &str) -> String {
    format!("gateway-{edge}")
}

pub fn origin_request_policy_name(edge: &str) -> String {
    format!("gateway-{edge}-origin")
}

/// The tenant id used in state and for import: `<edge_id>/<name>`.
pub fn tenant_id(edge: &str, name: &str) -> String {
    format!("{edge}/{name}")
}

/// Splits an import id into edge id and tenant name.
pub fn parse_tenant_id(id: &str) -> Result<(&str, &str), String> {
    match id.split_once('/') {
        Some((edge, name)) if !edge.is_empty() && !name.is_empty() && !name.contains('/') => {
            Ok((edge, name))
        }
        _ => Err(format!(
            "{id:?} is not a tenant id; expected <edge_id>/<name>, such as gateway-prod/acme"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> EdgeRecord {
        EdgeRecord {
            ipv6_enabled: false,
            ..EdgeRecord::example()
        }
    }

    #[test]
    fn tags_round_trip() {
        let tags = record().tags(3);
        assert_eq!(tags[TAG_SLOT], "3");
        assert!(tags.keys().all(|k| k.starts_with(TAG_PREFIX)));
        assert!(tags.values().all(|v| v.len() <= 256));
        assert_eq!(EdgeRecord::from_tags(&tags).unwrap(), record());
        let mut broken = tags.clone();
        broken.insert(TAG_MAX_ALIASES.into(), "many".into());
        assert!(EdgeRecord::from_tags(&broken)
            .unwrap_err()
            .contains("not a number"));
        broken.remove(TAG_DOMAIN);
        assert!(EdgeRecord::from_tags(&broken).is_err());
    }

    #[test]
    fn an_edge_recorded_before_layouts_has_one_rule_per_tenant() {
        let grouped = EdgeRecord {
            rule_layout: RuleLayout::Grouped,
            ..record()
        };
        let mut tags = grouped.tags(0);
        assert_eq!(tags[TAG_RULE_LAYOUT], "grouped");
        assert_eq!(EdgeRecord::from_tags(&tags).unwrap(), grouped);
        tags.remove(TAG_RULE_LAYOUT);
        let old = EdgeRecord::from_tags(&tags).unwrap();
        assert_eq!(old.rule_layout, RuleLayout::PerTenant);
        tags.insert(TAG_RULE_LAYOUT.into(), "wildcard".into());
        assert!(EdgeRecord::from_tags(&tags).is_err());
        for name in RuleLayout::NAMES {
            assert_eq!(RuleLayout::parse(name).unwrap().as_str(), *name);
        }
    }

    #[test]
    fn a_multi_tenant_edge_records_its_mode_and_connection_group() {
        let multi = EdgeRecord {
            mode: DistributionMode::MultiTenant,
            connection_group: Some(ConnectionGroupRef {
                id: "cg_2abc".into(),
                routing_endpoint: "d111.cloudfront.net".into(),
            }),
            ..record()
        };
        let tags = multi.tags(0);
        assert_eq!(tags[TAG_MODE], "multi_tenant");
        assert_eq!(tags[TAG_CONNECTION_GROUP], "cg_2abc d111.cloudfront.net");
        assert_eq!(EdgeRecord::from_tags(&tags), Ok(multi));
        // A pool edge writes neither tag, and reads as a pool without them.
        let pool = record().tags(0);
        assert!(!pool.contains_key(TAG_MODE) && !pool.contains_key(TAG_CONNECTION_GROUP));
        assert_eq!(
            EdgeRecord::from_tags(&pool).map(|r| r.mode),
            Ok(DistributionMode::Pool)
        );
        let mut broken = tags.clone();
        broken.insert(TAG_MODE.into(), "other".into());
        assert!(EdgeRecord::from_tags(&broken).is_err());
        for name in DistributionMode::NAMES {
            assert_eq!(
                DistributionMode::parse(name).map(|m| m.as_str()),
                Some(*name)
            );
        }
    }

    #[test]
    fn comments() {
        assert_eq!(
            pool_comment("gateway-prod", 2),
            "gateway edge gateway-prod slot 2"
        );
        assert_eq!(
            parse_pool_comment("gateway edge gateway-prod slot 2"),
            Some(("gateway-prod", 2))
        );
        for other in [
            "",
            "gateway edge  slot 1",
            "gateway edge a b slot 1",
            "gateway edge a slot x",
            "my site",
        ] {
            assert_eq!(parse_pool_comment(other), None, "{other}");
        }
        assert!(pool_comment(&"e".repeat(64), 499).len() <= 128);
    }

    #[test]
    fn caller_references_differ_by_slot_and_generation() {
        let a = record();
        let mut b = record();
        b.generation = "1764299999".into();
        assert_ne!(a.caller_reference(0), a.caller_reference(1));
        assert_ne!(a.caller_reference(0), b.caller_reference(0));
    }

    #[test]
    fn tenant_ids() {
        assert_eq!(tenant_id("gateway-prod", "acme"), "gateway-prod/acme");
        assert_eq!(
            parse_tenant_id("gateway-prod/acme").unwrap(),
            ("gateway-prod", "acme")
        );
        for bad in ["acme", "/acme", "gateway-prod/", "a/b/c"] {
            assert!(parse_tenant_id(bad).is_err(), "{bad}");
        }
    }
}
