//! `gateway_tenant`: one partner on an edge — an alias on a pool distribution with free room, a
//! listener rule matching the tenant's host and forwarding to the shared target group, and
//! Route53 alias A/AAAA records pointing the host at the distribution.
//!
//! [`schema`] declares the attributes, [`model`] converts Terraform's values, [`plan`] holds
//! the plan-time checks and [`apply`] the steps of create, read and delete; the decisions they
//! apply are `domain::tenant`'s.

mod apply;
mod list;
mod model;
mod moving;
mod plan;
mod schema;

use async_trait::async_trait;

use super::diagnostic::diagnostic;
use crate::account::Account;
use crate::domain::edge::{parse_tenant_id, tenant_id};
use crate::domain::naming;
use crate::protocol::resource::{
    Context, IdentityAttribute, IdentitySchema, Listed, PlanState, Resource, State,
};
use crate::protocol::value::{AttributePath, Type, Value};
use crate::protocol::Diagnostics;
use apply::Seen;
pub use model::workspace_owner;
use model::{workspace_claim, Tenant};
use plan::PRIVATE_RULE_DRIFT;
pub use schema::{schema, TYPE_NAME};

pub struct TenantResource;

#[async_trait]
impl Resource for TenantResource {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> crate::protocol::schema::Schema {
        schema()
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IdentitySchema {
            version: 0,
            attributes: vec![
                IdentityAttribute {
                    name: schema::EDGE_ID.name,
                    ty: Type::String,
                    required_for_import: true,
                    description: "The `id` of the edge the tenant is on.",
                },
                IdentityAttribute {
                    name: schema::NAME.name,
                    ty: Type::String,
                    required_for_import: true,
                    description: "The tenant's name.",
                },
            ],
        })
    }

    fn identity(&self, state: &Value) -> Option<Value> {
        let edge_id = schema::EDGE_ID.get(state)?;
        let name = schema::NAME.get(state)?;
        Some(Value::object([
            (schema::EDGE_ID.name, Value::String(edge_id)),
            (schema::NAME.name, Value::String(name)),
        ]))
    }

    fn import_id(&self, identity: &Value) -> Option<String> {
        let edge_id = schema::EDGE_ID.get(identity)?;
        let name = schema::NAME.get(identity)?;
        Some(tenant_id(&edge_id, &name))
    }

    async fn modify_plan(&self, ctx: &Context, plan: &mut PlanState<'_>, diags: &mut Diagnostics) {
        if plan.planned.is_null() {
            return;
        }
        let Some(account) = ctx
            .provider_data
            .clone()
            .and_then(|d| d.downcast::<Account>().ok())
        else {
            return;
        };
        plan::plan(account, plan, diags).await;
    }

    async fn create(
        &self,
        ctx: &Context,
        planned: &Value,
        _config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<State> {
        let account = ctx.data::<Account>(diags)?;
        let planned = Tenant::from_value(planned);
        let tenant = Tenant {
            claim: Some(workspace_claim(&planned.edge_id, &planned.name)),
            ..planned
        };
        let stored = |t: &Tenant| State {
            value: t.to_value(),
            private: t.private(Default::default()),
        };
        let deadline = tenant.deadline(ctx, "create");
        let failed = match apply::ensure(&account, tenant.clone(), true, &deadline).await {
            Ok(created) => return Some(stored(&created)),
            Err(failed) => failed,
        };
        diags.push(diagnostic(&failed.err, &tenant.action("creating")));
        // Roll back what was made, so a failed create leaves nothing behind; if that fails
        // too, keep it in state (tainted) so the next apply replaces it.
        if !failed.wrote {
            return None;
        }
        let partial = failed.partial;
        match apply::remove(&account, &partial, &deadline).await {
            Ok(()) => None,
            Err(rollback) => {
                diags.push(diagnostic(
                    &rollback,
                    &format!(
                        "rolling back gateway tenant {}; what was created is kept in state and will be replaced",
                        tenant.name
                    ),
                ));
                Some(stored(&partial))
            }
        }
    }

    async fn read(&self, ctx: &Context, current: State, diags: &mut Diagnostics) -> Option<State> {
        let account = ctx.data::<Account>(diags)?;
        let tenant = Tenant::from_state(&current.value, &current.private);
        match apply::observe(&account, tenant.clone()).await {
            Ok(Seen::Found(observed, rule_drift)) => {
                let mut private = observed.private(current.private);
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
            Ok(Seen::Gone) => {
                tracing::info!(tenant = %tenant.name, "tenant no longer exists");
                None
            }
            Ok(Seen::TakenOver(claim)) => {
                diags.warning(
                    format!("gateway tenant {} is managed elsewhere now", tenant.name),
                    format!(
                        "Its listener rule carries the claim {claim} of another gateway_tenant resource (in this configuration or another state), which took it over. \
                         It is removed from this state, and nothing of it is changed or deleted from here."
                    ),
                );
                None
            }
            Err(err) => {
                diags.push(diagnostic(&err, &tenant.action("reading")));
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
        let before = Tenant::from_state(&prior.value, &prior.private);
        let wanted = Tenant::from_value(planned);
        let moving = before.edge_id != wanted.edge_id;
        // A tenant stored without a claim (imported, or made before claims existed) takes
        // this resource's with its first update; one moving to another edge takes the claim
        // of a create there, so that a run interrupted after the move, whose read no longer
        // finds the tenant on its old edge, creates it again by taking over what is in place.
        let claim = if moving {
            Some(workspace_claim(&wanted.edge_id, &wanted.name))
        } else {
            before
                .claim
                .clone()
                .or_else(|| Some(workspace_claim(&before.edge_id, &before.name)))
        };
        let mut tenant = Tenant {
            listener_rule_arn: before.listener_rule_arn.clone(),
            claim,
            ..wanted
        };
        let stored = |t: &Tenant| State {
            value: t.to_value(),
            private: t.private(prior.private.clone()),
        };
        let deadline = tenant.deadline(ctx, "update");
        if moving {
            // Until the move is complete the tenant stays on its old edge in the state, so
            // that the next apply plans the move again and finishes it.
            let unmoved = || State {
                value: prior.value.clone(),
                private: prior.private.clone(),
            };
            let action = format!(
                "moving gateway tenant {} from edge {} to edge {}",
                tenant.name, before.edge_id, tenant.edge_id
            );
            if let Err(err) = moving::arrive(&account, &before, &tenant).await {
                diags.push(diagnostic(&err, &action));
                return Some(unmoved());
            }
            if before.grouped {
                // A group of the old edge is not the tenant's rule on the new one.
                tenant.listener_rule_arn = None;
            }
            let moved = match apply::ensure(&account, tenant.clone(), false, &deadline).await {
                Ok(moved) => moved,
                Err(failed) => {
                    diags.push(diagnostic(&failed.err, &action));
                    return Some(unmoved());
                }
            };
            if let Err(err) = moving::leave_old_rule(&account, &before, &moved).await {
                diags.push(diagnostic(&err, &action));
                return Some(unmoved());
            }
            return Some(stored(&moved));
        }
        match apply::ensure(&account, tenant.clone(), false, &deadline).await {
            Ok(updated) => Some(stored(&updated)),
            Err(failed) => {
                diags.push(diagnostic(&failed.err, &tenant.action("updating")));
                Some(stored(&failed.partial))
            }
        }
    }

    async fn delete(&self, ctx: &Context, prior: State, diags: &mut Diagnostics) {
        let Some(account) = ctx.data::<Account>(diags) else {
            return;
        };
        let tenant = Tenant::from_state(&prior.value, &prior.private);
        let deadline = tenant.deadline(ctx, "delete");
        if let Err(err) = apply::remove(&account, &tenant, &deadline).await {
            diags.push(diagnostic(&err, &tenant.action("deleting")));
        }
    }

    fn list_schema(&self) -> Option<crate::protocol::schema::Schema> {
        Some(list::schema())
    }

    async fn list(
        &self,
        ctx: &Context,
        config: &Value,
        include_state: bool,
        limit: usize,
        diags: &mut Diagnostics,
    ) -> Vec<Listed> {
        let Some(account) = ctx.data::<Account>(diags) else {
            return Vec::new();
        };
        let edge_id = schema::EDGE_ID.get(config).unwrap_or_default();
        match list::tenants(&account, &edge_id, include_state, limit).await {
            Ok(found) => found,
            Err(err) => {
                let found = diagnostic(&err, &format!("listing the tenants of edge {edge_id}"));
                diags.push(found.at(AttributePath::root().attribute(schema::EDGE_ID.name)));
                Vec::new()
            }
        }
    }

    /// The block `terraform query` writes: the tenant's edge and name, and its tags when it
    /// has any. Its priority stays whatever its rule has (a pinned one is written by hand).
    fn generate_config(&self, state: &Value) -> Option<Value> {
        let tenant = Tenant::from_value(state);
        let config = Tenant {
            edge_id: tenant.edge_id,
            name: tenant.name,
            tags_null: tenant.tags.is_empty(),
            tags: tenant.tags,
            ..Tenant::default()
        };
        Some(config.to_config())
    }

    async fn import(&self, ctx: &Context, id: &str, diags: &mut Diagnostics) -> Option<State> {
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
        let mut tenant = Tenant {
            edge_id: edge_id.to_string(),
            name: name.to_string(),
            tags_null: true,
            ..Tenant::default()
        };
        let account = ctx.data::<Account>(diags)?;
        match apply::take_over(&account, &tenant).await {
            Ok(rule) => tenant.listener_rule_arn = rule,
            Err(err) => {
                diags.push(diagnostic(&err, &tenant.action("importing")));
                return None;
            }
        }
        Some(State::new(tenant.to_value()))
    }
}
