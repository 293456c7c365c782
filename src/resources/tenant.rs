//! `gateway_tenant`: one partner on an edge — an alias on a pool distribution with free room, a
//! listener rule matching the tenant's host and forwarding to the shared target group, and
//! Route53 alias A/AAAA records pointing the host at the distribution.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_route53::types::RrType;

use super::model;
use crate::aws::elbv2::{MAX_RULE_PRIORITY, MIN_RULE_PRIORITY};
use crate::domain::allocation::{alias_room, Slot};
use crate::domain::edge::{
    parse_tenant_id, tenant_id, EdgeRecord, TAG_EDGE, TAG_PREFIX, TAG_TENANT,
};
use crate::domain::naming;
use crate::protocol::resource::{
    Context, IdentityAttribute, IdentitySchema, PlanState, Resource, State,
};
use crate::protocol::schema::{timeouts_block, Attribute, Block, Schema};
use crate::protocol::validators::{IntBetween, MapOfStrings, StringRule};
use crate::protocol::value::{AttributePath, Type, Value};
use crate::protocol::Diagnostics;
use crate::service::aliases::WaitPolicy;
use crate::service::records::alias_target;
use crate::service::{
    await_deployment, AliasOutcome, EdgeView, Gateway, GatewayError, RuleInfo,
    DEFAULT_DEPLOY_TIMEOUT,
};

pub const TYPE_NAME: &str = "gateway_tenant";

/// The schema version of the stored state.
pub const SCHEMA_VERSION: i64 = 0;

pub struct TenantResource;

pub fn schema() -> Schema {
    let block = Block::new(
        "One partner of an edge, served at `<name>.<domain>`: an alias on a pool distribution with free room, a listener rule matching the host and forwarding to the shared target group, and Route53 alias A/AAAA records to the distribution.",
    )
    .attribute(
        Attribute::string("id")
            .computed()
            .use_state_for_unknown()
            .description("`<edge_id>/<name>`, also the import id."),
    )
    .attribute(
        Attribute::string("edge_id")
            .required()
            .requires_replace()
            .description("The `id` of the `gateway_shared_edge` the tenant joins; the edge may be managed in another Terraform state.")
            .validator(StringRule {
                description: "An edge id",
                summary: "Invalid edge id",
                check: naming::check_edge_name,
            }),
    )
    .attribute(
        Attribute::string("name")
            .required()
            .requires_replace()
            .description("The tenant's name, one lowercase DNS label; the tenant is served at `<name>.<domain>`.")
            .validator(StringRule {
                description: "One lowercase DNS label (RFC 1123): letters, digits and inner hyphens, at most 63 characters",
                summary: "Invalid tenant name",
                check: naming::check_label,
            }),
    )
    .attribute(
        Attribute::number("priority")
            .optional_computed()
            .use_state_for_unknown()
            .description("Priority of the tenant's listener rule. Left out, the lowest free priority is allocated.")
            .validator(IntBetween(MIN_RULE_PRIORITY, MAX_RULE_PRIORITY)),
    )
    .attribute(
        Attribute::string_map("tags")
            .optional()
            .description("Tags for the tenant's listener rule, merged over the provider's `default_tags`.")
            .validator(MapOfStrings {
                max_entries: 50,
                max_key_len: 128,
                max_value_len: 256,
            }),
    )
    .attribute(
        Attribute::string("host")
            .computed()
            .use_state_for_unknown()
            .description("The host name the tenant is served at: `<name>.<domain>`."),
    )
    .attribute(
        Attribute::string("distribution_id")
            .computed()
            .use_state_for_unknown()
            .description("Id of the pool distribution holding the tenant's alias."),
    )
    .attribute(
        Attribute::string("distribution_domain_name")
            .computed()
            .use_state_for_unknown()
            .description("Domain name (`*.cloudfront.net`) of that distribution."),
    )
    .attribute(
        Attribute::string("listener_rule_arn")
            .computed()
            .use_state_for_unknown()
            .description("ARN of the tenant's listener rule."),
    )
    .attribute(
        Attribute::string_list("dns_record_types")
            .computed()
            .use_state_for_unknown()
            .description("Types of the Route53 alias records pointing the host at the distribution: `A`, and `AAAA` when the edge has IPv6 on."),
    )
    .block(timeouts_block(&["create", "delete"]));
    Schema::new(SCHEMA_VERSION, block)
}

/// Drift found by the last read, kept in private state so the plan repairs it.
const PRIVATE_RULE_DRIFT: &str = "rule_drift";

/// The tenant as configured and as stored.
#[derive(Debug, Clone, Default, PartialEq)]
struct Tenant {
    edge_id: String,
    name: String,
    priority: Option<i64>,
    tags: BTreeMap<String, String>,
    tags_null: bool,
    host: Option<String>,
    distribution_id: Option<String>,
    distribution_domain_name: Option<String>,
    listener_rule_arn: Option<String>,
    dns_record_types: Vec<String>,
    timeouts: Value,
}

impl Tenant {
    fn from_value(value: &Value) -> Self {
        Self {
            edge_id: model::string(value, "edge_id").unwrap_or_default(),
            name: model::string(value, "name").unwrap_or_default(),
            priority: model::int(value, "priority"),
            tags: model::string_map(value, "tags"),
            tags_null: value.get("tags").is_none_or(Value::is_null),
            host: model::string(value, "host"),
            distribution_id: model::string(value, "distribution_id"),
            distribution_domain_name: model::string(value, "distribution_domain_name"),
            listener_rule_arn: model::string(value, "listener_rule_arn"),
            dns_record_types: model::string_list(value, "dns_record_types"),
            timeouts: value.get("timeouts").cloned().unwrap_or(Value::Null),
        }
    }

    fn to_value(&self) -> Value {
        Value::object([
            ("id", Value::String(tenant_id(&self.edge_id, &self.name))),
            ("edge_id", Value::String(self.edge_id.clone())),
            ("name", Value::String(self.name.clone())),
            ("priority", model::opt_int(self.priority)),
            ("tags", model::map_value(&self.tags, self.tags_null)),
            ("host", model::opt_string(self.host.clone())),
            (
                "distribution_id",
                model::opt_string(self.distribution_id.clone()),
            ),
            (
                "distribution_domain_name",
                model::opt_string(self.distribution_domain_name.clone()),
            ),
            (
                "listener_rule_arn",
                model::opt_string(self.listener_rule_arn.clone()),
            ),
            (
                "dns_record_types",
                model::list_value(&self.dns_record_types),
            ),
            ("timeouts", self.timeouts.clone()),
        ])
    }

    fn action(&self, verb: &str) -> String {
        format!("{verb} gateway tenant {}", self.name)
    }

    fn timeout(&self, operation: &str) -> Duration {
        model::timeout(
            &Value::object([("timeouts", self.timeouts.clone())]),
            operation,
            DEFAULT_DEPLOY_TIMEOUT,
        )
    }
}

/// The record types a tenant of `edge` should have.
fn expected_record_types(edge: &EdgeRecord) -> Vec<String> {
    if edge.ipv6_enabled {
        vec!["A".into(), "AAAA".into()]
    } else {
        vec!["A".into()]
    }
}

/// Tags of a tenant's rule: the provider's defaults, the tenant's own, and the provider's
/// bookkeeping.
fn rule_tags(gateway: &Gateway, tenant: &Tenant) -> BTreeMap<String, String> {
    let mut tags = gateway.settings.default_tags.clone();
    tags.extend(tenant.tags.clone());
    tags.insert(TAG_EDGE.into(), tenant.edge_id.clone());
    tags.insert(TAG_TENANT.into(), tenant.name.clone());
    tags
}

/// The user's tags as seen on a rule: without the provider's own and unchanged defaults.
fn user_tags(gateway: &Gateway, rule: &RuleInfo) -> BTreeMap<String, String> {
    rule.tags
        .iter()
        .filter(|(k, _)| !k.starts_with(TAG_PREFIX))
        .filter(|(k, v)| gateway.settings.default_tags.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// What stands in the way of a tenant's host: objects the provider did not create.
async fn check_foreign(
    gateway: &Gateway,
    edge: &EdgeView,
    tenant: &Tenant,
    host: &str,
) -> Result<(), GatewayError> {
    let pool: BTreeSet<&str> = edge
        .members
        .iter()
        .map(|m| m.distribution.id.as_str())
        .collect();
    let distributions = gateway.distributions().await?;
    if let Some(other) = distributions
        .iter()
        .find(|d| d.aliases.contains(host) && !pool.contains(d.id.as_str()))
    {
        return Err(GatewayError::Foreign {
            object: format!("CloudFront alias {host}"),
            detail: format!(
                "{host} is an alias of distribution {} ({}), which is not part of edge {}.",
                other.id, other.domain_name, edge.record.name
            ),
        });
    }
    let rules = gateway.listener_rules(&edge.record.listener_arn).await?;
    if let Some(rule) = rules.iter().find(|r| {
        r.hosts.iter().any(|h| h == host) && !r.belongs_to(&edge.record.name, &tenant.name)
    }) {
        return Err(GatewayError::Foreign {
            object: format!("listener rule for {host}"),
            detail: format!(
                "Rule {} of listener {} already matches {host}.",
                rule.arn, edge.record.listener_arn
            ),
        });
    }
    let records = gateway
        .tenant_records(&edge.record.hosted_zone_id, host)
        .await?;
    let pool_domains = edge.pool_domains();
    let foreign = records
        .aliases
        .iter()
        .find(|r| !alias_target(r).is_some_and(|t| pool_domains.contains(&t)))
        .or_else(|| {
            records
                .others
                .iter()
                .find(|r| matches!(r.r#type, RrType::A | RrType::Aaaa | RrType::Cname))
        });
    if let Some(record) = foreign {
        let target = record
            .alias_target
            .as_ref()
            .map(|t| format!("an alias to {}", t.dns_name))
            .unwrap_or_else(|| {
                let values: Vec<String> = record
                    .resource_records
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .map(|r| r.value.clone())
                    .collect();
                values.join(", ")
            });
        return Err(GatewayError::Foreign {
            object: format!("Route53 record {host} {}", record.r#type.as_str()),
            detail: format!(
                "Hosted zone {} already has an {} record for {host} ({target}).",
                edge.record.hosted_zone_id,
                record.r#type.as_str()
            ),
        });
    }
    Ok(())
}

/// Brings every part of a tenant to what it should be, creating what is missing. Returns the
/// new state, or an error with the state of what exists so far.
async fn ensure(
    ctx: &Context,
    gateway: &Gateway,
    mut tenant: Tenant,
    creating: bool,
) -> Result<Tenant, (GatewayError, Tenant)> {
    let edge = match gateway.edge(&tenant.edge_id).await {
        Ok(edge) => edge,
        Err(err) => return Err((err, tenant)),
    };
    let host = edge.host_of(&tenant.name);
    tenant.host = Some(host.clone());
    if creating {
        if let Err(err) = check_foreign(gateway, &edge, &tenant, &host).await {
            return Err((err, tenant));
        }
    }
    let policy = WaitPolicy {
        wait: edge.record.wait_for_deployment,
        timeout: tenant.timeout("create"),
        cancel: ctx.cancel.clone(),
    };

    // 1. The alias, on a distribution with room.
    let placed = match gateway
        .place_tenant_alias(&tenant.edge_id, &host, &policy)
        .await
    {
        Ok(placed) => placed,
        Err(err) => return Err((err, tenant)),
    };
    tenant.distribution_id = Some(placed.distribution.id.clone());
    tenant.distribution_domain_name = Some(placed.distribution.domain_name.clone());

    // 2. The listener rule.
    let listener = edge.record.listener_arn.clone();
    let rules = match gateway.listener_rules(&listener).await {
        Ok(rules) => rules,
        Err(err) => return Err((err, tenant)),
    };
    let existing = tenant_rule(&rules, &edge.record.name, &tenant).cloned();
    let wanted_tags = rule_tags(gateway, &tenant);
    let rule = match existing {
        Some(rule) => {
            let repaired = gateway
                .repair_tenant_rule(
                    &listener,
                    &rule,
                    &host,
                    &edge.record.target_group_arn,
                    tenant.priority,
                )
                .await;
            match repaired {
                Ok(r) => {
                    if r.tags != wanted_tags {
                        if let Err(err) =
                            gateway.retag_tenant_rule(&listener, &r, wanted_tags).await
                        {
                            return Err((err, tenant));
                        }
                    }
                    r
                }
                Err(err) => return Err((err, tenant)),
            }
        }
        None => match gateway
            .create_tenant_rule(
                &listener,
                &host,
                &edge.record.target_group_arn,
                tenant.priority,
                wanted_tags,
            )
            .await
        {
            Ok(rule) => rule,
            Err(err) => return Err((err, tenant)),
        },
    };
    tenant.listener_rule_arn = Some(rule.arn.clone());
    tenant.priority = rule.priority;

    // 3. The DNS records, last, so traffic arrives only when everything is ready.
    let zone = edge.record.hosted_zone_id.clone();
    let records = match gateway.tenant_records(&zone, &host).await {
        Ok(records) => records,
        Err(err) => return Err((err, tenant)),
    };
    let domain = placed.distribution.domain_name.clone();
    let expected = expected_record_types(&edge.record);
    let present = records.types_pointing_at(&domain);
    if present != expected {
        // Ours but stale (pointing at another pool distribution, or a type too many): replace.
        let stale: Vec<_> = records.aliases.clone();
        let timeout = tenant.timeout("create");
        let wait = edge
            .record
            .wait_for_deployment
            .then_some((timeout, &ctx.cancel));
        if let Err(err) = gateway
            .create_tenant_records(
                &zone,
                &host,
                &domain,
                edge.record.ipv6_enabled,
                &stale,
                wait,
            )
            .await
        {
            return Err((err, tenant));
        }
    }
    tenant.dns_record_types = expected;

    // 4. Wait for the distribution, sharing the wait with the tenants changed alongside.
    if let AliasOutcome::Added { wait: Some(wait) } = placed.outcome {
        let deadline = tenant.timeout("create");
        let id = &placed.distribution.id;
        if let Err(err) = await_deployment(wait, id, deadline, "timeouts.create").await {
            return Err((err, tenant));
        }
    }
    Ok(tenant)
}

/// The tenant's listener rule: the one its state names, else the one tagged for it.
fn tenant_rule<'a>(rules: &'a [RuleInfo], edge: &str, tenant: &Tenant) -> Option<&'a RuleInfo> {
    rules
        .iter()
        .find(|r| Some(&r.arn) == tenant.listener_rule_arn.as_ref())
        .or_else(|| rules.iter().find(|r| r.belongs_to(edge, &tenant.name)))
}

/// Removes every part of a tenant that exists, in reverse order of creation: records, rule,
/// alias. Each step is idempotent.
async fn remove(
    ctx: &Context,
    gateway: &Gateway,
    tenant: &Tenant,
    wait_for_deployment: bool,
) -> Result<(), GatewayError> {
    let Some(edge) = gateway.find_edge(&tenant.edge_id).await? else {
        return Ok(());
    };
    let host = edge.host_of(&tenant.name);
    let pool_domains = edge.pool_domains();
    let zone = &edge.record.hosted_zone_id;
    let records = gateway.tenant_records(zone, &host).await?;
    let ours: Vec<_> = records
        .aliases
        .into_iter()
        .filter(|r| alias_target(r).is_some_and(|t| pool_domains.contains(&t)))
        .collect();
    gateway.delete_tenant_records(zone, &ours).await?;

    let listener = &edge.record.listener_arn;
    let rules = gateway.listener_rules(listener).await?;
    let mine: Vec<String> = rules
        .iter()
        .filter(|r| {
            Some(&r.arn) == tenant.listener_rule_arn.as_ref()
                || r.belongs_to(&edge.record.name, &tenant.name)
        })
        .filter(|r| r.belongs_to(&edge.record.name, &tenant.name) || r.hosts == [host.clone()])
        .map(|r| r.arn.clone())
        .collect();
    for arn in mine {
        gateway.delete_tenant_rule(listener, &arn).await?;
    }

    let policy = WaitPolicy {
        wait: edge.record.wait_for_deployment && wait_for_deployment,
        timeout: tenant.timeout("delete"),
        cancel: ctx.cancel.clone(),
    };
    let holders: Vec<String> = edge
        .members
        .iter()
        .filter(|m| m.distribution.aliases.contains(&host))
        .map(|m| m.distribution.id.clone())
        .collect();
    for id in holders {
        if let AliasOutcome::Removed { wait: Some(wait) } =
            gateway.remove_tenant_alias(&id, &host, &policy).await?
        {
            await_deployment(wait, &id, tenant.timeout("delete"), "timeouts.delete").await?;
        }
    }
    Ok(())
}

/// Reads what exists of a tenant. `None` when nothing of it is left.
async fn observe(
    gateway: &Gateway,
    mut tenant: Tenant,
) -> Result<Option<(Tenant, bool)>, GatewayError> {
    let Some(edge) = gateway.find_edge(&tenant.edge_id).await? else {
        return Ok(None);
    };
    let host = edge.host_of(&tenant.name);
    tenant.host = Some(host.clone());
    let member = edge.member_with_alias(&host).cloned();
    tenant.distribution_id = member.as_ref().map(|m| m.distribution.id.clone());
    tenant.distribution_domain_name = member.as_ref().map(|m| m.distribution.domain_name.clone());

    let rules = gateway.listener_rules(&edge.record.listener_arn).await?;
    let rule = tenant_rule(&rules, &edge.record.name, &tenant);
    let mut rule_drift = false;
    match rule {
        Some(rule) => {
            tenant.listener_rule_arn = Some(rule.arn.clone());
            tenant.priority = rule.priority;
            let tags = user_tags(gateway, rule);
            if tags != tenant.tags {
                tenant.tags = tags;
            }
            rule_drift = rule.hosts != [host.clone()]
                || rule.target_groups != [edge.record.target_group_arn.clone()];
        }
        None => tenant.listener_rule_arn = None,
    }

    let records = gateway
        .tenant_records(&edge.record.hosted_zone_id, &host)
        .await?;
    tenant.dns_record_types = match &member {
        Some(m) => records.types_pointing_at(&m.distribution.domain_name),
        None => Vec::new(),
    };
    let pool_domains = edge.pool_domains();
    let any_record = records
        .aliases
        .iter()
        .any(|r| alias_target(r).is_some_and(|t| pool_domains.contains(&t)));
    if member.is_none() && rule.is_none() && !any_record {
        return Ok(None);
    }
    Ok(Some((tenant, rule_drift)))
}

#[async_trait]
impl Resource for TenantResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IdentitySchema {
            version: 0,
            attributes: vec![
                IdentityAttribute {
                    name: "edge_id",
                    ty: Type::String,
                    required_for_import: true,
                    description: "The `id` of the edge the tenant is on.",
                },
                IdentityAttribute {
                    name: "name",
                    ty: Type::String,
                    required_for_import: true,
                    description: "The tenant's name.",
                },
            ],
        })
    }

    fn identity(&self, state: &Value) -> Option<Value> {
        let edge_id = model::string(state, "edge_id")?;
        let name = model::string(state, "name")?;
        Some(Value::object([
            ("edge_id", Value::String(edge_id)),
            ("name", Value::String(name)),
        ]))
    }

    fn import_id(&self, identity: &Value) -> Option<String> {
        let edge_id = model::string(identity, "edge_id")?;
        let name = model::string(identity, "name")?;
        Some(tenant_id(&edge_id, &name))
    }

    async fn modify_plan(&self, ctx: &Context, plan: &mut PlanState<'_>, diags: &mut Diagnostics) {
        if plan.planned.is_null() {
            return;
        }
        let tenant = Tenant::from_value(&plan.planned);
        let known = !tenant.edge_id.is_empty() && !tenant.name.is_empty();
        let Some(gateway) = ctx
            .provider_data
            .clone()
            .and_then(|d| d.downcast::<Gateway>().ok())
        else {
            return;
        };
        if !known {
            return;
        }
        let root = AttributePath::root();
        // The edge: in AWS, or planned in this run.
        let edge = match gateway.find_edge(&tenant.edge_id).await {
            Ok(edge) => edge,
            Err(err) => {
                diags.push(err.diagnostic(&tenant.action("planning")));
                return;
            }
        };
        let record = match (&edge, gateway.planned_edge(&tenant.edge_id)) {
            (Some(edge), _) => edge.record.clone(),
            (None, Some(planned)) => planned,
            (None, None) => {
                diags.push(
                    GatewayError::EdgeNotFound(tenant.edge_id.clone())
                        .diagnostic(&tenant.action("planning"))
                        .at(root.attribute("edge_id")),
                );
                return;
            }
        };
        let host = match naming::tenant_host(&tenant.name, &record.domain) {
            Ok(host) => host,
            Err(reason) => {
                diags.attribute_error(root.attribute("name"), "Invalid tenant host", reason);
                return;
            }
        };
        model::set(&mut plan.planned, "host", Value::String(host.clone()));

        if plan.prior.is_null() {
            if let Some(edge) = &edge {
                if let Err(err) = check_foreign(&gateway, edge, &tenant, &host).await {
                    diags.push(err.diagnostic(&tenant.action("planning")));
                    return;
                }
            }
            check_capacity(&gateway, edge.as_ref(), &record, &tenant, &host, diags).await;
            return;
        }

        // An update: repair what the last read found missing or changed.
        let prior = Tenant::from_value(plan.prior);
        let expected = expected_record_types(&record);
        if prior.distribution_id.is_none() {
            model::set(&mut plan.planned, "distribution_id", Value::Unknown);
            model::set(
                &mut plan.planned,
                "distribution_domain_name",
                Value::Unknown,
            );
        }
        let rule_drift =
            plan.private.get(PRIVATE_RULE_DRIFT) == Some(&serde_json::Value::Bool(true));
        if prior.listener_rule_arn.is_none() || rule_drift {
            model::set(&mut plan.planned, "listener_rule_arn", Value::Unknown);
            if tenant.priority.is_none() || plan.config.get("priority").is_none_or(Value::is_null) {
                model::set(&mut plan.planned, "priority", Value::Unknown);
            }
        }
        if prior.dns_record_types != expected {
            model::set(
                &mut plan.planned,
                "dns_record_types",
                model::list_value(&expected),
            );
        }
    }

    async fn create(
        &self,
        ctx: &Context,
        planned: &Value,
        _config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<State> {
        let gateway = ctx.data::<Gateway>(diags)?;
        let tenant = Tenant::from_value(planned);
        let action = tenant.action("creating");
        match ensure(ctx, &gateway, tenant.clone(), true).await {
            Ok(created) => Some(State::new(created.to_value())),
            Err((err, partial)) => {
                diags.push(err.diagnostic(&action));
                // Roll back what was made, so a failed create leaves nothing behind; if that
                // fails too, keep it in state (tainted) so the next apply replaces it.
                if partial.distribution_id.is_none() && partial.listener_rule_arn.is_none() {
                    return None;
                }
                // A rollback does not wait for CloudFront: the create has already failed.
                match remove(ctx, &gateway, &partial, false).await {
                    Ok(()) => None,
                    Err(rollback) => {
                        diags.push(rollback.diagnostic(&format!(
                            "rolling back gateway tenant {}; what was created is kept in state and will be replaced",
                            tenant.name
                        )));
                        Some(State::new(partial.to_value()))
                    }
                }
            }
        }
    }

    async fn read(&self, ctx: &Context, current: State, diags: &mut Diagnostics) -> Option<State> {
        let gateway = ctx.data::<Gateway>(diags)?;
        let tenant = Tenant::from_value(&current.value);
        match observe(&gateway, tenant.clone()).await {
            Ok(Some((observed, rule_drift))) => {
                let mut private = current.private;
                if rule_drift {
                    private.insert(PRIVATE_RULE_DRIFT.into(), serde_json::Value::Bool(true));
                } else {
                    private.remove(PRIVATE_RULE_DRIFT);
                }
                Some(State {
                    value: observed.to_value(),
                    private,
                })
            }
            Ok(None) => {
                tracing::info!(tenant = %tenant.name, "tenant no longer exists");
                None
            }
            Err(err) => {
                diags.push(err.diagnostic(&tenant.action("reading")));
                Some(current)
            }
        }
    }

    async fn update(
        &self,
        ctx: &Context,
        prior: State,
        planned: &Value,
        _config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<State> {
        let gateway = ctx.data::<Gateway>(diags)?;
        let mut tenant = Tenant::from_value(planned);
        let before = Tenant::from_value(&prior.value);
        tenant.listener_rule_arn = before.listener_rule_arn.clone();
        match ensure(ctx, &gateway, tenant.clone(), false).await {
            Ok(updated) => Some(State::new(updated.to_value())),
            Err((err, partial)) => {
                diags.push(err.diagnostic(&tenant.action("updating")));
                Some(State::new(partial.to_value()))
            }
        }
    }

    async fn delete(&self, ctx: &Context, prior: State, diags: &mut Diagnostics) {
        let Some(gateway) = ctx.data::<Gateway>(diags) else {
            return;
        };
        let tenant = Tenant::from_value(&prior.value);
        if let Err(err) = remove(ctx, &gateway, &tenant, true).await {
            diags.push(err.diagnostic(&tenant.action("deleting")));
        }
    }

    async fn import(&self, _ctx: &Context, id: &str, diags: &mut Diagnostics) -> Option<State> {
        let (edge_id, name) = match parse_tenant_id(id) {
            Ok(parts) => parts,
            Err(reason) => {
                diags.error("Invalid import id", reason);
                return None;
            }
        };
        if let Err(reason) = naming::check_label(name) {
            diags.error("Invalid import id", format!("tenant name {reason}"));
            return None;
        }
        let tenant = Tenant {
            edge_id: edge_id.to_string(),
            name: name.to_string(),
            tags_null: true,
            ..Tenant::default()
        };
        Some(State::new(tenant.to_value()))
    }
}

/// Fails the plan when the edge cannot take every tenant planned on it: more aliases than the
/// pool can grow to hold, or more listener rules than the load balancer's quota.
async fn check_capacity(
    gateway: &Gateway,
    edge: Option<&EdgeView>,
    record: &EdgeRecord,
    tenant: &Tenant,
    host: &str,
    diags: &mut Diagnostics,
) {
    let planned = gateway.plan_new_host(&record.name, host);
    let existing_hosts = edge.map(EdgeView::hosts).unwrap_or_default();
    let new_hosts = planned
        .iter()
        .filter(|h| !existing_hosts.contains(*h))
        .count();
    let slots: Vec<Slot> = edge
        .map(|e| e.slots(record.max_aliases_per_distribution))
        .unwrap_or_default();
    let room = alias_room(
        &slots,
        record.max_aliases_per_distribution,
        record.max_distributions,
    );
    if new_hosts > room {
        diags.push(
            GatewayError::Capacity(format!(
                "Edge {} has room for {room} more tenants ({} distributions of at most {} aliases: max_distributions and max_aliases_per_distribution), and this plan adds more. Raise max_distributions on the edge first.",
                record.name, record.max_distributions, record.max_aliases_per_distribution
            ))
            .diagnostic(&tenant.action("planning")),
        );
        return;
    }
    let rules = match gateway.listener_rules(&record.listener_arn).await {
        Ok(rules) => rules,
        Err(GatewayError::Aws(err)) if err.is_not_found() => return,
        Err(err) => {
            diags.push(err.diagnostic(&tenant.action("planning")));
            return;
        }
    };
    let used = match gateway.load_balancer_rules_used(&record.listener_arn).await {
        Ok(Some(used)) => used,
        Ok(None) => return,
        Err(err) => {
            diags.push(err.diagnostic(&tenant.action("planning")));
            return;
        }
    };
    let new_rules = planned
        .iter()
        .filter(|h| !rules.iter().any(|r| r.hosts.contains(*h)))
        .count();
    if used + new_rules > record.max_listener_rules {
        diags.push(
            GatewayError::Capacity(format!(
                "The load balancer of listener {} has {used} rules (all its listeners) of its quota of {} (max_listener_rules), and this plan adds more tenants than that leaves room for. Ask AWS to raise the load balancer's rule quota, then raise max_listener_rules on the edge.",
                record.listener_arn, record.max_listener_rules
            ))
            .diagnostic(&tenant.action("planning")),
        );
    }
}
