//! What a resource, data source, provider function and the provider itself implement. The
//! protocol server does the wire work (decoding, schema checks, generic planning, diagnostics);
//! implementations see typed values and speak in diagnostics.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use super::diagnostics::Diagnostics;
use super::schema::Schema;
use super::value::{Type, Value};

/// What the provider's configuration produced (API clients, settings), shared with every call.
pub type ProviderData = Arc<dyn Any + Send + Sync>;

/// Per-call context.
#[derive(Clone)]
pub struct Context {
    /// Cancelled when Terraform asks the provider to stop (StopProvider): long waits must end.
    pub cancel: CancellationToken,
    /// `None` until ConfigureProvider succeeded.
    pub provider_data: Option<ProviderData>,
}

impl Context {
    /// The configured provider data of type `T`, or an error diagnostic when the provider was
    /// not configured (which Terraform never does before reads and applies).
    pub fn data<T: Any + Send + Sync>(&self, diags: &mut Diagnostics) -> Option<Arc<T>> {
        let data = self
            .provider_data
            .clone()
            .and_then(|d| d.downcast::<T>().ok());
        if data.is_none() {
            diags.error(
                "Provider not configured",
                "The provider was called before it was configured. This is a bug in Terraform or the provider.",
            );
        }
        data
    }
}

/// Opaque per-resource data kept in state next to the values, never shown to the user.
pub type Private = BTreeMap<String, serde_json::Value>;

/// Decodes private state bytes (empty means none).
pub fn private_from_bytes(bytes: &[u8]) -> Result<Private, String> {
    if bytes.is_empty() {
        return Ok(Private::new());
    }
    serde_json::from_slice(bytes).map_err(|e| format!("private state is not valid: {e}"))
}

/// Encodes private state (none becomes empty bytes).
pub fn private_to_bytes(private: &Private) -> Vec<u8> {
    if private.is_empty() {
        Vec::new()
    } else {
        serde_json::to_vec(private).unwrap_or_default()
    }
}

/// A plan in progress, after the server applied defaults, unknowns and replacement rules.
pub struct PlanState<'a> {
    /// The prior state; null when creating.
    pub prior: &'a Value,
    /// The configuration; null when destroying.
    pub config: &'a Value,
    /// The planned new state, which the resource may refine (null when destroying).
    pub planned: Value,
    /// Attribute names whose change forces replacement.
    pub requires_replace: Vec<String>,
    pub private: Private,
}

/// A new or refreshed state with its private data.
pub struct State {
    pub value: Value,
    pub private: Private,
}

impl State {
    pub fn new(value: Value) -> Self {
        Self {
            value,
            private: Private::new(),
        }
    }
}

/// A resource's identity (Terraform 1.12 and later): the attributes that name one object,
/// usable in `import {}` blocks instead of an id string.
pub struct IdentitySchema {
    pub version: i64,
    pub attributes: Vec<IdentityAttribute>,
}

pub struct IdentityAttribute {
    pub name: &'static str,
    pub ty: Type,
    pub required_for_import: bool,
    pub description: &'static str,
}

impl IdentitySchema {
    /// The object type of an identity value.
    pub fn value_type(&self) -> Type {
        Type::object(self.attributes.iter().map(|a| (a.name, a.ty.clone())))
    }
}

/// One object a `list` block found (Terraform 1.14 and later, `terraform query`).
pub struct Listed {
    /// Its identity; `None` for a finding that is only reported (its diagnostics say why).
    pub identity: Option<Value>,
    /// A short label for people, such as `acme.example.com on edge prod`.
    pub display_name: String,
    /// The full state, when the query asked for resource objects.
    pub state: Option<Value>,
    /// Problems with this object alone: a warning reports it without failing the query.
    pub diagnostics: Diagnostics,
}

/// A managed resource type.
#[async_trait]
pub trait Resource: Send + Sync + 'static {
    /// The type name, such as `gateway_tenant`.
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    /// Checks that need several attributes at once (attribute validators have already run).
    /// The configuration may hold unknown values.
    fn validate_config(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Refines a plan after the generic rules (e.g. checks capacity, computes values it can
    /// already know). Also called for destroy plans, with a null config.
    async fn modify_plan(
        &self,
        _ctx: &Context,
        _plan: &mut PlanState<'_>,
        _diags: &mut Diagnostics,
    ) {
    }

    async fn create(
        &self,
        ctx: &Context,
        planned: &Value,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<State>;

    /// Refreshes the state; `None` means the object is gone and leaves Terraform's state.
    async fn read(&self, ctx: &Context, current: State, diags: &mut Diagnostics) -> Option<State>;

    async fn update(
        &self,
        ctx: &Context,
        prior: State,
        planned: &Value,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<State>;

    async fn delete(&self, ctx: &Context, prior: State, diags: &mut Diagnostics);

    /// Builds the state of an existing object from the id given to `terraform import`.
    /// The state need only hold what `read` needs; Terraform reads right after.
    async fn import(&self, _ctx: &Context, _id: &str, diags: &mut Diagnostics) -> Option<State> {
        diags.error(
            "Import not supported",
            format!("{} cannot be imported.", self.type_name()),
        );
        None
    }

    /// The resource's identity schema, if it has one.
    fn identity_schema(&self) -> Option<IdentitySchema> {
        None
    }

    /// The identity of the object a state describes (`None` while it is not fully known).
    fn identity(&self, _state: &Value) -> Option<Value> {
        None
    }

    /// The import id an identity stands for.
    fn import_id(&self, _identity: &Value) -> Option<String> {
        None
    }

    /// The configuration of the resource's `list` block, when objects of this type can be
    /// listed (`terraform query`). Listing needs an identity schema.
    fn list_schema(&self) -> Option<Schema> {
        None
    }

    /// Checks a `list` block's configuration beyond its schema (may hold unknown values).
    fn validate_list_config(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// The existing objects a `list` block's `config` selects, at most `limit` of them, with
    /// their full states when `include_state` is set.
    async fn list(
        &self,
        _ctx: &Context,
        _config: &Value,
        _include_state: bool,
        _limit: usize,
        diags: &mut Diagnostics,
    ) -> Vec<Listed> {
        diags.error(
            "Listing not supported",
            format!("{} cannot be listed.", self.type_name()),
        );
        Vec::new()
    }

    /// The configuration to write for the object `state` describes (`-generate-config-out`):
    /// `None` lets the server derive it from the schema, writing every attribute that can be
    /// configured and is set.
    fn generate_config(&self, _state: &Value) -> Option<Value> {
        None
    }

    /// Rewrites a state stored by schema version `from` into the shape of version `from + 1`.
    /// The server chains the steps up to the current version. Only called for
    /// `from < schema().version`.
    fn upgrade_state(
        &self,
        from: i64,
        _state: serde_json::Value,
        diags: &mut Diagnostics,
    ) -> Option<serde_json::Value> {
        diags.error(
            "Unable to upgrade state",
            format!(
                "{} has no upgrade from schema version {from}; this provider release cannot read that state.",
                self.type_name()
            ),
        );
        None
    }
}

/// A data source type.
#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate_config(&self, _config: &Value, _diags: &mut Diagnostics) {}
    async fn read(&self, ctx: &Context, config: &Value, diags: &mut Diagnostics) -> Option<Value>;
}

/// One parameter of a provider function.
pub struct Parameter {
    pub name: &'static str,
    pub ty: Type,
    pub description: &'static str,
}

/// Why a function call failed, optionally naming the argument at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError {
    pub text: String,
    pub argument: Option<usize>,
}

/// A provider-defined function, called as `provider::<provider>::<name>(...)`.
pub trait Function: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    fn summary(&self) -> &'static str;
    fn description(&self) -> &'static str;
    fn parameters(&self) -> Vec<Parameter>;
    fn return_type(&self) -> Type;
    /// Arguments are known and not null (the server checks).
    fn call(&self, args: &[Value]) -> Result<Value, FunctionError>;
}

/// The provider: its own configuration and the types it offers.
#[async_trait]
pub trait ProviderDefinition: Send + Sync + 'static {
    /// The provider's local name, such as `gateway`.
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate_config(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Configures clients from the provider block; the result is handed to every later call.
    async fn configure(
        &self,
        config: &Value,
        cancel: &CancellationToken,
        diags: &mut Diagnostics,
    ) -> Option<ProviderData>;
    fn resources(&self) -> Vec<Arc<dyn Resource>>;
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>>;
    fn functions(&self) -> Vec<Arc<dyn Function>>;
}
