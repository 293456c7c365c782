//! `gateway_shared_edge`: what every tenant shares — the pool of CloudFront distributions in
//! front of the load balancer, their cache settings, the hosted zone, the listener and the
//! shared target group.
//!
//! [`schema`] declares the attributes, [`model`] converts Terraform's values, [`expand`] and
//! [`flatten`] convert between the model and CloudFront's types, and [`apply`] holds the steps
//! this file's lifecycle runs.

mod adopt;
mod apply;
mod expand;
mod flatten;
mod leftovers;
mod model;
mod multi;
mod schema;

use std::sync::Arc;

use async_trait::async_trait;

use super::diagnostic::diagnostic;
use super::model as values;
use crate::account::Account;
use crate::domain::edge::{DistributionMode, RuleLayout};
use crate::domain::naming;
use crate::protocol::resource::{
    Context, IdentityAttribute, IdentitySchema, Listed, PlanState, Resource, State,
};
use crate::protocol::value::{Type, Value};
use crate::protocol::Diagnostics;
use model::{action, EdgeIds, EdgeSpec};
pub use schema::{schema, TYPE_NAME};

pub struct SharedEdgeResource;

/// Whether a planned edge adopts distributions, with everything judging them needs known.
fn adoption_known(planned: &Value) -> bool {
    let adopts = planned
        .get(schema::ADOPT_DISTRIBUTION_IDS)
        .and_then(Value::as_list)
        .is_some_and(|ids| !ids.is_empty());
    let needed = [
        schema::ADOPT_DISTRIBUTION_IDS,
        schema::ADOPTED_SETTINGS.name,
        schema::DOMAIN.name,
        schema::CERTIFICATE_ARN.name,
        schema::ALB_LISTENER_ARN.name,
        schema::PRICE_CLASS.name,
        schema::IPV6_ENABLED.name,
        schema::COMPRESS.name,
        schema::WEB_ACL_ID.name,
    ];
    adopts
        && needed
            .iter()
            .all(|name| planned.get(name).is_none_or(|v| v.is_fully_known()))
}

#[async_trait]
impl Resource for SharedEdgeResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> crate::protocol::schema::Schema {
        schema()
    }

    fn validate_config(&self, config: &Value, diags: &mut Diagnostics) {
        schema::validate(config, diags);
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IdentitySchema {
            version: 0,
            attributes: vec![IdentityAttribute {
                name: schema::NAME.name,
                ty: Type::String,
                required_for_import: true,
                description: "The edge's name, which is also its `id`.",
            }],
        })
    }

    fn identity(&self, state: &Value) -> Option<Value> {
        let name = schema::NAME.get(state)?;
        Some(Value::object([(schema::NAME.name, Value::String(name))]))
    }

    fn import_id(&self, identity: &Value) -> Option<String> {
        schema::NAME.get(identity)
    }

    fn list_schema(&self) -> Option<crate::protocol::schema::Schema> {
        Some(crate::protocol::schema::Schema::new(
            0,
            crate::protocol::schema::Block::new(
                "Lists the edges of the account: every pool this provider keeps.",
            ),
        ))
    }

    async fn list(
        &self,
        ctx: &Context,
        _config: &Value,
        include_state: bool,
        limit: usize,
        diags: &mut Diagnostics,
    ) -> Vec<Listed> {
        let Some(account) = ctx.data::<Account>(diags) else {
            return Vec::new();
        };
        match apply::list(&account, include_state, limit).await {
            Ok(found) => found
                .into_iter()
                .map(|listed| {
                    let record = &listed.edge.record;
                    let count = listed.edge.members.len();
                    let identity =
                        Value::object([(schema::NAME.name, Value::from(record.name.as_str()))]);
                    Listed {
                        identity: Some(identity),
                        display_name: format!(
                            "edge {} ({}, {count} distribution{})",
                            record.name,
                            record.domain,
                            if count == 1 { "" } else { "s" }
                        ),
                        state: listed
                            .state
                            .map(|(spec, ids)| spec.to_value(&ids, &Value::Null)),
                        diagnostics: Diagnostics::new(),
                    }
                })
                .collect(),
            Err(err) => {
                diags.push(diagnostic(&err, "listing the edges"));
                Vec::new()
            }
        }
    }

    async fn modify_plan(&self, ctx: &Context, plan: &mut PlanState<'_>, diags: &mut Diagnostics) {
        if plan.planned.is_null() {
            return;
        }
        // The id is the name, known at plan time, so tenants planned with a new edge can be
        // checked against it in the same plan.
        if let Some(name) = schema::NAME.get(&plan.planned) {
            values::set(&mut plan.planned, "id", Value::String(name));
        }
        // An edge that lost its distributions (see `apply::outlived`) is made again.
        let lost = plan
            .prior
            .get(schema::DISTRIBUTION_IDS)
            .and_then(Value::as_list);
        if lost.is_some_and(|ids| ids.is_empty()) {
            values::set(&mut plan.planned, schema::DISTRIBUTION_IDS, Value::Unknown);
            plan.requires_replace
                .push(schema::DISTRIBUTION_IDS.to_string());
        }
        let layout = plan.planned.get(schema::RULE_LAYOUT.name);
        if plan.prior.is_null() && layout.is_none_or(|v| v.is_null() || v.is_unknown()) {
            let grouped = RuleLayout::Grouped.as_str();
            values::set(
                &mut plan.planned,
                schema::RULE_LAYOUT.name,
                Value::from(grouped),
            );
        }
        if let Some(account) = ctx
            .provider_data
            .clone()
            .and_then(|d| d.downcast::<Account>().ok())
        {
            let spec = EdgeSpec::from_value(&plan.planned, "");
            let previous = (!plan.prior.is_null()).then(|| EdgeSpec::from_value(plan.prior, ""));
            if !crate::provider::invocation::destroying() {
                apply::check_targets_planned(&account, &spec, previous.as_ref(), diags).await;
                if plan.prior.is_null() && adoption_known(&plan.planned) {
                    apply::check_adoption_planned(&account, spec.clone(), diags).await;
                }
            }
            // Tenants planned after the edge see its new settings (a new edge's all of them;
            // an edge in AWS lends its rule layout to tenants about to move).
            if !spec.record.name.is_empty() {
                account.plans.plan_edge(spec.record);
            }
        }
    }

    async fn create(
        &self,
        ctx: &Context,
        planned: &Value,
        _config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<State> {
        let account = ctx.data::<Account>(diags)?;
        let action = action(planned, "creating");
        let mut spec = EdgeSpec::from_value(planned, "");
        let result = async {
            if spec.origin_domain_name.is_empty() {
                spec.origin_domain_name =
                    apply::listener_origin(&account, &spec.record.listener_arn).await?;
            }
            apply::check_targets(&account, &spec).await?;
            apply::create(&account, &mut spec).await
        }
        .await;
        let ids = match result {
            Ok(ids) => ids,
            Err(err) => {
                diags.push(diagnostic(&err, &action));
                return None;
            }
        };
        let state = State::new(spec.to_value(&ids, planned));
        if spec.record.wait_for_deployment {
            let deadline = values::deadline(ctx, planned, "create");
            // The edge exists now: a failed wait keeps it in state (tainted) so that nothing
            // created is lost track of; the next apply replaces it.
            if let Err(err) = apply::wait_deployed(&account, &ids, &deadline).await {
                diags.push(diagnostic(&err, &action));
            }
        }
        Some(state)
    }

    async fn read(&self, ctx: &Context, current: State, diags: &mut Diagnostics) -> Option<State> {
        let account = ctx.data::<Account>(diags)?;
        let name = schema::NAME.get(&current.value).unwrap_or_default();
        match apply::observe(&account, &name).await {
            Ok(Some((spec, ids))) => {
                prefetch_tenant_reads(&account, &name).await;
                Some(State {
                    value: spec.to_value(&ids, &current.value),
                    private: current.private,
                })
            }
            Ok(None) => {
                let ids = EdgeIds::from_value(&current.value);
                let mode = EdgeSpec::from_value(&current.value, "").record.mode;
                match apply::outlived(&account, &name, &ids, mode).await {
                    Ok(false) => None,
                    Ok(true) => {
                        diags.warning(
                            format!("gateway shared edge {name} has lost its distributions"),
                            "Its distributions are gone, but its policies (or its connection group) remain. It stays in state: the next apply replaces the edge, and a destroy removes what is left.",
                        );
                        let mut value = current.value;
                        values::set(
                            &mut value,
                            schema::DISTRIBUTION_IDS,
                            Value::List(Vec::new()),
                        );
                        Some(State {
                            value,
                            private: current.private,
                        })
                    }
                    Err(err) => {
                        diags.push(diagnostic(&err, &action(&current.value, "reading")));
                        Some(current)
                    }
                }
            }
            Err(err) => {
                diags.push(diagnostic(&err, &action(&current.value, "reading")));
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
        let account = ctx.data::<Account>(diags)?;
        let previous = EdgeSpec::from_value(&prior.value, "");
        let mut spec = EdgeSpec::from_value(planned, "");
        let ids = EdgeIds::from_value(&prior.value);
        let result = async {
            let current = account.distributions.edge(&spec.record.name).await?;
            spec.record.generation = current.record.generation.clone();
            if spec.origin_domain_name.is_empty() {
                spec.origin_domain_name =
                    apply::listener_origin(&account, &spec.record.listener_arn).await?;
            }
            let deadline = values::deadline(ctx, planned, "update");
            apply::update(&account, &spec, &ids, &previous, &deadline).await
        }
        .await;
        match result {
            Ok(ids) => Some(State::new(spec.to_value(&ids, planned))),
            Err(err) => {
                diags.push(diagnostic(&err, &action(planned, "updating")));
                Some(prior)
            }
        }
    }

    async fn delete(&self, ctx: &Context, prior: State, diags: &mut Diagnostics) {
        let Some(account) = ctx.data::<Account>(diags) else {
            return;
        };
        let name = schema::NAME.get(&prior.value).unwrap_or_default();
        let ids = EdgeIds::from_value(&prior.value);
        let deadline = values::deadline(ctx, &prior.value, "delete");
        let mode = EdgeSpec::from_value(&prior.value, "").record.mode;
        if let Err(err) = apply::delete(&account, &name, &ids, mode, &deadline).await {
            diags.push(diagnostic(&err, &action(&prior.value, "deleting")));
        }
    }

    /// Version 0 had no `rule_layout`: its edges have one rule per tenant. Version 1 had no
    /// `distribution_mode`: its edges are pools.
    fn upgrade_state(
        &self,
        from: i64,
        mut state: serde_json::Value,
        diags: &mut Diagnostics,
    ) -> Option<serde_json::Value> {
        match (from, state.as_object_mut()) {
            (0, Some(fields)) => {
                let layout = RuleLayout::PerTenant.as_str();
                fields.insert(schema::RULE_LAYOUT.name.into(), layout.into());
                Some(state)
            }
            (1, Some(fields)) => {
                let mode = DistributionMode::Pool.as_str();
                fields.insert(schema::DISTRIBUTION_MODE.name.into(), mode.into());
                Some(state)
            }
            _ => {
                diags.error(
                    "Unable to upgrade state",
                    format!("{TYPE_NAME} has no upgrade from schema version {from}"),
                );
                None
            }
        }
    }

    async fn import(&self, _ctx: &Context, id: &str, diags: &mut Diagnostics) -> Option<State> {
        if let Err(reason) = naming::check_edge_name(id) {
            diags.error("Invalid import id", format!("edge name {reason}"));
            return None;
        }
        let value = Value::object([(schema::NAME.name, Value::String(id.to_string()))]);
        let spec = EdgeSpec::from_value(&value, "");
        Some(State::new(spec.to_value(&EdgeIds::default(), &value)))
    }
}

/// When the edge has tenants, starts loading what their reads share (the listener's rules and
/// the zone's records) while Terraform finishes with the edge: a refresh reads the tenants
/// only after their edge, and they then find both loaded, or loading, instead of loading them
/// one after the other. Nothing is lost if the run needs neither: two or three reads.
async fn prefetch_tenant_reads(account: &Arc<Account>, name: &str) {
    let Ok(Some(edge)) = account.distributions.find_edge(name).await else {
        return;
    };
    if edge.hosts().is_empty() {
        return;
    }
    let account = account.clone();
    let (listener, zone) = (edge.record.listener_arn, edge.record.hosted_zone_id);
    tokio::spawn(async move {
        // Errors are the tenant reads' to meet and report.
        let _ = tokio::join!(
            account.rules.of_listener(&listener),
            account.records.of_host(&zone, ""),
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edge_stored_before_distribution_modes_is_a_pool() {
        // Otherwise a plan without refresh would see distribution_mode go from null to its
        // default "pool", which replaces the edge.
        let stored = serde_json::json!({"name": "e1", "rule_layout": "grouped"});
        let mut diags = Diagnostics::new();
        let upgraded = SharedEdgeResource
            .upgrade_state(1, stored, &mut diags)
            .unwrap();
        assert!(diags.is_empty());
        assert_eq!(upgraded["distribution_mode"], "pool");
        assert_eq!(upgraded["rule_layout"], "grouped");
        assert_eq!(schema::SCHEMA_VERSION, 2);
    }

    #[test]
    fn an_edge_stored_before_rule_layouts_keeps_one_rule_per_tenant() {
        let stored = serde_json::json!({"name": "e1", "max_listener_rules": 100});
        let mut diags = Diagnostics::new();
        let upgraded = SharedEdgeResource
            .upgrade_state(0, stored, &mut diags)
            .unwrap();
        assert!(diags.is_empty());
        assert_eq!(upgraded["rule_layout"], "per_tenant");
        assert_eq!(upgraded["max_listener_rules"], 100);
        assert!(SharedEdgeResource
            .upgrade_state(2, serde_json::json!({}), &mut diags)
            .is_none());
        assert!(diags.has_errors());
    }
}
