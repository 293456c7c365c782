//! The tenant as configured and as stored, and its conversion from and to Terraform's values.

use std::collections::BTreeMap;

use super::super::model;
use super::schema::*;
use crate::domain::edge::tenant_id;
use crate::protocol::resource::Private;
use crate::protocol::value::Value;

/// The tenant as configured and as stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tenant {
    pub edge_id: String,
    pub name: String,
    pub priority: Option<i64>,
    pub tags: BTreeMap<String, String>,
    /// Whether `tags` was left out (so an empty map is stored as null).
    pub tags_null: bool,
    pub host: Option<String>,
    pub distribution_id: Option<String>,
    pub distribution_domain_name: Option<String>,
    pub listener_rule_arn: Option<String>,
    /// On a multi-tenant edge, its distribution tenant.
    pub distribution_tenant_id: Option<String>,
    pub dns_record_types: Vec<String>,
    pub timeouts: Value,
    /// The claim on the tenant's rule that marks it as this resource's
    /// ([`crate::domain::tenant::TAG_CLAIM`]); kept in private state, not in the value.
    pub claim: Option<String>,
    /// Whether the tenant's rule is a group ([`crate::domain::edge::RuleLayout::Grouped`]):
    /// kept in private state, so that a plan moving the edge to another layout shows which
    /// tenants move.
    pub grouped: bool,
}

/// Where the tenant's claim is kept in private state.
pub const PRIVATE_CLAIM: &str = "claim";
/// Where whether its rule is a group is kept.
pub const PRIVATE_GROUPED: &str = "grouped";

/// The claim a create of tenant `name` on edge `edge_id` writes: the same for every run of the
/// same Terraform working directory and workspace, different for another directory or
/// workspace. So the next apply of a run killed after the tenant was complete, but before
/// Terraform stored it, recognises the tenant as its own, while a second state declaring it is
/// refused. (Two blocks of one configuration are refused by the plan's duplicate check.)
pub fn workspace_claim(edge_id: &str, name: &str) -> String {
    let (dir, workspace) = working_directory();
    claim_of(dir, workspace, edge_id, name)
}

/// The claim of the grouped rules a run of this working directory and workspace writes on
/// edge `edge_id` ([`crate::domain::groups`]): the claim of a tenant with no name.
pub fn workspace_owner(edge_id: &str) -> String {
    let (dir, workspace) = working_directory();
    claim_of(dir, workspace, edge_id, "")
}

/// The claims a resource of this working directory and workspace recognises as its own on
/// tenant `name` of `edge_id`: its stored claim, and those a run of this directory writes.
pub fn own_claims(stored: Option<&str>, edge_id: &str, name: &str) -> Vec<String> {
    let mut claims: Vec<String> = stored.map(str::to_string).into_iter().collect();
    for claim in [workspace_claim(edge_id, name), workspace_owner(edge_id)] {
        if !claims.contains(&claim) {
            claims.push(claim);
        }
    }
    claims
}

/// The Terraform working directory (the plugin's own, where Terraform starts it) and
/// workspace: read once, they do not change during a run.
fn working_directory() -> &'static (String, String) {
    static WORKING: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    WORKING.get_or_init(|| {
        let dir = std::env::current_dir()
            .and_then(|d| d.canonicalize())
            .map(|d| d.display().to_string())
            .unwrap_or_default();
        (dir, terraform_workspace())
    })
}

/// The Terraform workspace being run: `TF_WORKSPACE`, else the one `terraform workspace
/// select` recorded in the data directory, else `default`.
fn terraform_workspace() -> String {
    if let Ok(name) = std::env::var("TF_WORKSPACE") {
        return name;
    }
    let data_dir = std::env::var("TF_DATA_DIR").unwrap_or_else(|_| ".terraform".into());
    std::fs::read_to_string(std::path::Path::new(&data_dir).join("environment"))
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "default".into())
}

/// The claim of a working directory, workspace, edge and tenant: two FNV-1a hashes of the
/// four, length-prefixed so that no two inputs run together.
fn claim_of(dir: &str, workspace: &str, edge_id: &str, name: &str) -> String {
    let fnv = |seed: u64| {
        let mut hash = seed;
        for part in [dir, workspace, edge_id, name] {
            for byte in (part.len() as u64)
                .to_le_bytes()
                .iter()
                .chain(part.as_bytes())
            {
                hash ^= u64::from(*byte);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        }
        hash
    };
    format!(
        "ws1-{:016x}{:016x}",
        fnv(0xcbf2_9ce4_8422_2325),
        fnv(0x8422_2325_cbf2_9ce4)
    )
}

impl Tenant {
    pub fn from_value(value: &Value) -> Self {
        Self {
            edge_id: EDGE_ID.get(value).unwrap_or_default(),
            name: NAME.get(value).unwrap_or_default(),
            priority: PRIORITY.get(value),
            tags: model::string_map(value, TAGS),
            tags_null: model::is_null(value, TAGS),
            host: HOST.get(value),
            distribution_id: DISTRIBUTION_ID.get(value),
            distribution_domain_name: DISTRIBUTION_DOMAIN_NAME.get(value),
            listener_rule_arn: LISTENER_RULE_ARN.get(value),
            distribution_tenant_id: DISTRIBUTION_TENANT_ID.get(value),
            dns_record_types: model::string_list(value, DNS_RECORD_TYPES),
            timeouts: value.get("timeouts").cloned().unwrap_or(Value::Null),
            claim: None,
            grouped: false,
        }
    }

    /// The tenant of `value` with the claim its private state keeps.
    pub fn from_state(value: &Value, private: &Private) -> Self {
        Self {
            claim: private
                .get(PRIVATE_CLAIM)
                .and_then(|c| c.as_str())
                .map(str::to_string),
            grouped: private.get(PRIVATE_GROUPED) == Some(&serde_json::Value::Bool(true)),
            ..Self::from_value(value)
        }
    }

    /// `private` with the tenant's claim.
    pub fn private(&self, mut private: Private) -> Private {
        match &self.claim {
            Some(claim) => private.insert(PRIVATE_CLAIM.into(), claim.clone().into()),
            None => private.remove(PRIVATE_CLAIM),
        };
        private.insert(PRIVATE_GROUPED.into(), self.grouped.into());
        private
    }

    pub fn to_value(&self) -> Value {
        let text = |v: &Option<String>| model::opt_string(v.clone());
        Value::object([
            ("id", Value::String(tenant_id(&self.edge_id, &self.name))),
            (EDGE_ID.name, Value::String(self.edge_id.clone())),
            (NAME.name, Value::String(self.name.clone())),
            (PRIORITY.name, model::opt_int(self.priority)),
            (TAGS, model::map_value(&self.tags, self.tags_null)),
            (HOST.name, text(&self.host)),
            (DISTRIBUTION_ID.name, text(&self.distribution_id)),
            (
                DISTRIBUTION_DOMAIN_NAME.name,
                text(&self.distribution_domain_name),
            ),
            (LISTENER_RULE_ARN.name, text(&self.listener_rule_arn)),
            (
                DISTRIBUTION_TENANT_ID.name,
                text(&self.distribution_tenant_id),
            ),
            (DNS_RECORD_TYPES, model::list_value(&self.dns_record_types)),
            ("timeouts", self.timeouts.clone()),
        ])
    }

    /// The tenant as a configuration: what the user sets (edge, name, priority, tags), the
    /// rest null.
    pub fn to_config(&self) -> Value {
        let mut value = self.to_value();
        for computed in [
            "id",
            HOST.name,
            DISTRIBUTION_ID.name,
            DISTRIBUTION_DOMAIN_NAME.name,
            LISTENER_RULE_ARN.name,
            DISTRIBUTION_TENANT_ID.name,
            DNS_RECORD_TYPES,
        ] {
            model::set(&mut value, computed, Value::Null);
        }
        value
    }

    /// What Terraform shows the tenant's operations as: `creating gateway tenant acme`.
    pub fn action(&self, verb: &str) -> String {
        format!("{verb} gateway tenant {}", self.name)
    }

    /// The deadline of `operation` as the tenant's `timeouts {}` block sets it.
    pub fn deadline(
        &self,
        ctx: &crate::protocol::resource::Context,
        operation: &'static str,
    ) -> crate::aws::Deadline {
        let value = Value::object([("timeouts", self.timeouts.clone())]);
        model::deadline(ctx, &value, operation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_round_trips_through_its_value() {
        let tenant = Tenant {
            edge_id: "e1".into(),
            name: "acme".into(),
            priority: Some(7),
            tags: BTreeMap::new(),
            tags_null: true,
            host: Some("acme.gateway.example.com".into()),
            distribution_id: Some("E1".into()),
            distribution_domain_name: None,
            listener_rule_arn: Some("arn:rule".into()),
            distribution_tenant_id: Some("dt_1".into()),
            dns_record_types: vec!["A".into()],
            timeouts: Value::Null,
            claim: None,
            grouped: false,
        };
        let value = tenant.to_value();
        assert_eq!(value.get("id"), Some(&Value::from("e1/acme")));
        assert_eq!(value.get("tags"), Some(&Value::Null));
        assert_eq!(Tenant::from_value(&value), tenant);
    }

    #[test]
    fn the_claim_lives_in_private_state() {
        let claimed = Tenant {
            claim: Some(workspace_claim("e1", "acme")),
            grouped: true,
            ..Tenant::default()
        };
        let private = claimed.private(Private::new());
        assert_eq!(Tenant::from_state(&claimed.to_value(), &private), claimed);
    }

    #[test]
    fn claims_differ_by_directory_workspace_edge_and_tenant() {
        let base = claim_of("/infra/partners", "default", "e1", "acme");
        assert_eq!(base, claim_of("/infra/partners", "default", "e1", "acme"));
        for other in [
            claim_of("/infra/other", "default", "e1", "acme"),
            claim_of("/infra/partners", "staging", "e1", "acme"),
            claim_of("/infra/partners", "default", "e2", "acme"),
            claim_of("/infra/partners", "default", "e1", "zeta"),
            claim_of("/infra/partnersdefault", "", "e1", "acme"),
            claim_of("/infra/partners", "default", "e1", ""),
        ] {
            assert_ne!(base, other);
        }
        assert!(base.starts_with("ws1-") && base.len() == 36, "{base}");
    }

    #[test]
    fn an_update_waits_as_long_as_timeouts_update_says() {
        let timeouts = Value::object([
            ("create", Value::from("1m")),
            ("update", Value::from("7m")),
            ("delete", Value::Null),
        ]);
        let tenant = Tenant {
            timeouts,
            ..Tenant::default()
        };
        let ctx = crate::protocol::resource::Context {
            cancel: Default::default(),
            provider_data: None,
        };
        let minutes = |operation| tenant.deadline(&ctx, operation).remaining().as_secs_f64() / 60.0;
        assert!(
            (6.9..=7.0).contains(&minutes("update")),
            "{}",
            minutes("update")
        );
        assert!((0.9..=1.0).contains(&minutes("create")));
        assert!((29.9..=30.0).contains(&minutes("delete")), "the default");
        assert!(tenant
            .deadline(&ctx, "update")
            .describe()
            .contains("timeouts.update"));
    }
}
