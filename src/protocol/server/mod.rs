//! The tfplugin6 `Provider` service. Each RPC lives in its own file and turns the wire request
//! into calls on the provider's definitions; this file holds the shared state, the codec helpers
//! and the guard that turns any failure (even a panic) into a diagnostic.

mod apply;
mod configure;
mod data_source;
mod functions;
mod import;
mod list;
mod plan;
mod read;
mod schema;
mod upgrade;
mod validate;

use std::collections::BTreeMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, RwLock};

use futures::FutureExt as _;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::diagnostics::{Diagnostic, Diagnostics};
use super::resource::{Context, DataSource, Function, ProviderData, ProviderDefinition, Resource};
use super::schema::Schema;
use super::value::{json, msgpack, Type, Value};
use crate::proto::tfplugin6 as pb;
use crate::proto::tfplugin6::provider_server::Provider;

/// The provider as Terraform sees it over gRPC.
pub struct ProviderService {
    definition: Arc<dyn ProviderDefinition>,
    provider_schema: Schema,
    resources: BTreeMap<&'static str, Registered<dyn Resource>>,
    data_sources: BTreeMap<&'static str, Registered<dyn DataSource>>,
    functions: BTreeMap<&'static str, Arc<dyn Function>>,
    provider_data: RwLock<Option<ProviderData>>,
    /// Cancelled by StopProvider; replaced afterwards so the server keeps serving.
    stop: Mutex<CancellationToken>,
}

/// A resource or data source with its schema, built once at start.
struct Registered<T: ?Sized> {
    implementation: Arc<T>,
    schema: Schema,
    value_type: Type,
    /// The identity's object type, for resources that have one.
    identity_type: Option<Type>,
    /// The configuration of the resource's `list` block, for resources that can be listed.
    list_schema: Option<Schema>,
}

impl ProviderService {
    pub fn new(definition: Arc<dyn ProviderDefinition>) -> Self {
        let resources = definition
            .resources()
            .into_iter()
            .map(|r| {
                let schema = r.schema();
                let value_type = schema.value_type();
                let identity_type = r.identity_schema().map(|i| i.value_type());
                // Terraform lists only what it can import by identity.
                let list_schema = r.list_schema().filter(|_| identity_type.is_some());
                (
                    r.type_name(),
                    Registered {
                        implementation: r,
                        schema,
                        value_type,
                        identity_type,
                        list_schema,
                    },
                )
            })
            .collect();
        let data_sources = definition
            .data_sources()
            .into_iter()
            .map(|d| {
                let schema = d.schema();
                let value_type = schema.value_type();
                (
                    d.type_name(),
                    Registered {
                        implementation: d,
                        schema,
                        value_type,
                        identity_type: None,
                        list_schema: None,
                    },
                )
            })
            .collect();
        let functions = definition
            .functions()
            .into_iter()
            .map(|f| (f.name(), f))
            .collect();
        Self {
            provider_schema: definition.schema(),
            definition,
            resources,
            data_sources,
            functions,
            provider_data: RwLock::new(None),
            stop: Mutex::new(CancellationToken::new()),
        }
    }

    fn context(&self) -> Context {
        Context {
            cancel: self.stop.lock().map(|t| t.clone()).unwrap_or_default(),
            provider_data: self.provider_data.read().ok().and_then(|d| d.clone()),
        }
    }

    fn resource(
        &self,
        type_name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&Registered<dyn Resource>> {
        let found = self.resources.get(type_name);
        if found.is_none() {
            diags.error(
                "Unknown resource type",
                format!(
                    "This provider has no resource type {type_name:?}; it offers {}.",
                    self.resources
                        .keys()
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        found
    }

    fn data_source(
        &self,
        type_name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&Registered<dyn DataSource>> {
        let found = self.data_sources.get(type_name);
        if found.is_none() {
            let offered: Vec<_> = self.data_sources.keys().copied().collect();
            diags.error(
                "Unknown data source type",
                format!(
                    "This provider has no data source type {type_name:?}{}.",
                    if offered.is_empty() {
                        String::new()
                    } else {
                        format!("; it offers {}", offered.join(", "))
                    }
                ),
            );
        }
        found
    }
}

/// Decodes a dynamic value Terraform sent (msgpack, or JSON when msgpack is absent). A missing
/// value is null.
fn decode(
    what: &str,
    value: Option<&pb::DynamicValue>,
    ty: &Type,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let Some(value) = value else {
        return Some(Value::Null);
    };
    let result = if !value.msgpack.is_empty() {
        msgpack::decode(&value.msgpack, ty)
    } else if !value.json.is_empty() {
        json::decode(&value.json, ty)
    } else {
        return Some(Value::Null);
    };
    match result {
        Ok(v) => Some(v),
        Err(err) => {
            diags.error(
                "Invalid request",
                format!("The {what} in the request could not be decoded: {err}."),
            );
            None
        }
    }
}

/// Encodes a value for Terraform as msgpack.
fn encode(
    what: &str,
    value: &Value,
    ty: &Type,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    match msgpack::encode(value, ty) {
        Ok(bytes) => Some(pb::DynamicValue {
            msgpack: bytes,
            json: Vec::new(),
        }),
        Err(err) => {
            diags.error(
                "Provider produced an invalid value",
                format!("The {what} could not be encoded: {err}. This is a bug in the provider."),
            );
            None
        }
    }
}

impl Registered<dyn Resource> {
    /// The encoded identity of the object `state` describes, for resources with one.
    fn identity_of(&self, state: &Value) -> Option<pb::ResourceIdentityData> {
        let ty = self.identity_type.as_ref()?;
        if state.is_null() {
            return None;
        }
        let identity = self.implementation.identity(state)?;
        let bytes = msgpack::encode(&identity, ty).ok()?;
        Some(pb::ResourceIdentityData {
            identity_data: Some(pb::DynamicValue {
                msgpack: bytes,
                json: Vec::new(),
            }),
        })
    }
}

/// A response that can carry diagnostics, so any failure can be answered with one.
trait WithDiagnostics: Default {
    fn add_diagnostics(&mut self, diags: Diagnostics);
}

macro_rules! with_diagnostics {
    ($($ty:ty => $field:ident),* $(,)?) => {$(
        impl WithDiagnostics for $ty {
            fn add_diagnostics(&mut self, diags: Diagnostics) {
                self.$field.extend(diags.into_proto());
            }
        }
    )*};
}

with_diagnostics! {
    pb::get_metadata::Response => diagnostics,
    pb::get_provider_schema::Response => diagnostics,
    pb::get_resource_identity_schemas::Response => diagnostics,
    pb::upgrade_resource_identity::Response => diagnostics,
    pb::validate_provider_config::Response => diagnostics,
    pb::validate_resource_config::Response => diagnostics,
    pb::validate_data_resource_config::Response => diagnostics,
    pb::configure_provider::Response => diagnostics,
    pb::upgrade_resource_state::Response => diagnostics,
    pb::read_resource::Response => diagnostics,
    pb::plan_resource_change::Response => diagnostics,
    pb::apply_resource_change::Response => diagnostics,
    pb::import_resource_state::Response => diagnostics,
    pb::read_data_source::Response => diagnostics,
    pb::get_functions::Response => diagnostics,
    pb::validate_list_resource_config::Response => diagnostics,
    pb::generate_resource_config::Response => diagnostics,
}

/// Runs one RPC: logs it, and turns a panic inside into an error diagnostic so Terraform shows
/// a message instead of a broken connection.
async fn guarded<T, F>(rpc: &'static str, type_name: &str, body: F) -> Result<Response<T>, Status>
where
    T: WithDiagnostics,
    F: Future<Output = T>,
{
    tracing::debug!(
        tf_rpc = rpc,
        tf_resource_type = type_name,
        "received request"
    );
    let started = std::time::Instant::now();
    let response = match AssertUnwindSafe(body).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            let reason = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown cause".into());
            tracing::error!(tf_rpc = rpc, tf_resource_type = type_name, reason = %reason, "internal error");
            let mut response = T::default();
            response.add_diagnostics(
                Diagnostic::error(
                    "Internal provider error",
                    format!("{rpc} failed unexpectedly: {reason}. Please report this as a bug."),
                )
                .into(),
            );
            response
        }
    };
    tracing::debug!(
        tf_rpc = rpc,
        tf_resource_type = type_name,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "served request"
    );
    Ok(Response::new(response))
}

#[tonic::async_trait]
impl Provider for Arc<ProviderService> {
    async fn get_metadata(
        &self,
        _request: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        guarded("GetMetadata", "", async { schema::get_metadata(self) }).await
    }

    async fn get_provider_schema(
        &self,
        _request: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        guarded("GetProviderSchema", "", async {
            schema::get_provider_schema(self)
        })
        .await
    }

    async fn get_resource_identity_schemas(
        &self,
        _request: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        guarded("GetResourceIdentitySchemas", "", async {
            schema::get_resource_identity_schemas(self)
        })
        .await
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let req = request.into_inner();
        guarded("ValidateProviderConfig", "", async {
            validate::validate_provider_config(self, req)
        })
        .await
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let req = request.into_inner();
        let type_name = req.type_name.clone();
        guarded("ValidateResourceConfig", &type_name, async {
            validate::validate_resource_config(self, req)
        })
        .await
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let req = request.into_inner();
        let type_name = req.type_name.clone();
        guarded("ValidateDataResourceConfig", &type_name, async {
            validate::validate_data_resource_config(self, req)
        })
        .await
    }

    async fn upgrade_resource_identity(
        &self,
        request: Request<pb::upgrade_resource_identity::Request>,
    ) -> Result<Response<pb::upgrade_resource_identity::Response>, Status> {
        let req = request.into_inner();
        let type_name = req.type_name.clone();
        guarded("UpgradeResourceIdentity", &type_name, async {
            upgrade::upgrade_resource_identity(self, req)
        })
        .await
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let req = request.into_inner();
        guarded(
            "ConfigureProvider",
            "",
            configure::configure_provider(self, req),
        )
        .await
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let req = request.into_inner();
        let type_name = req.type_name.clone();
        guarded("UpgradeResourceState", &type_name, async {
            upgrade::upgrade_resource_state(self, req)
        })
        .await
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let req = request.into_inner();
        let type_name = req.type_name.clone();
        guarded("ReadResource", &type_name, read::read_resource(self, req)).await
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let req = request.into_inner();
        let type_name = req.type_name.clone();
        guarded(
            "PlanResourceChange",
            &type_name,
            plan::plan_resource_change(self, req),
        )
        .await
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let req = request.into_inner();
        let type_name = req.type_name.clone();
        guarded(
            "ApplyResourceChange",
            &type_name,
            apply::apply_resource_change(self, req),
        )
        .await
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let req = request.into_inner();
        let type_name = req.type_name.clone();
        guarded(
            "ImportResourceState",
            &type_name,
            import::import_resource_state(self, req),
        )
        .await
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let req = request.into_inner();
        let type_name = req.type_name.clone();
        guarded(
            "ReadDataSource",
            &type_name,
            data_source::read_data_source(self, req),
        )
        .await
    }

    async fn validate_list_resource_config(
        &self,
        request: Request<pb::validate_list_resource_config::Request>,
    ) -> Result<Response<pb::validate_list_resource_config::Response>, Status> {
        let req = request.into_inner();
        let type_name = req.type_name.clone();
        guarded("ValidateListResourceConfig", &type_name, async {
            list::validate_list_resource_config(self, req)
        })
        .await
    }

    /// Answers with a stream, so it is guarded by hand: a panic becomes one event carrying
    /// the diagnostic.
    async fn list_resource(
        &self,
        request: Request<pb::list_resource::Request>,
    ) -> Result<Response<tonic::codegen::BoxStream<pb::list_resource::Event>>, Status> {
        let req = request.into_inner();
        tracing::debug!(tf_rpc = "ListResource", tf_resource_type = %req.type_name, "received request");
        let events = AssertUnwindSafe(list::list_resource(self, req))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| {
                vec![pb::list_resource::Event {
                    diagnostic: Diagnostics::from(Diagnostic::error(
                        "Internal provider error",
                        "ListResource failed unexpectedly. Please report this as a bug.",
                    ))
                    .into_proto(),
                    ..Default::default()
                }]
            });
        let stream = futures::stream::iter(events.into_iter().map(Ok));
        Ok(Response::new(Box::pin(stream)))
    }

    async fn generate_resource_config(
        &self,
        request: Request<pb::generate_resource_config::Request>,
    ) -> Result<Response<pb::generate_resource_config::Response>, Status> {
        let req = request.into_inner();
        let type_name = req.type_name.clone();
        guarded("GenerateResourceConfig", &type_name, async {
            list::generate_resource_config(self, req)
        })
        .await
    }

    async fn get_functions(
        &self,
        _request: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        guarded("GetFunctions", "", async { schema::get_functions(self) }).await
    }

    async fn call_function(
        &self,
        request: Request<pb::call_function::Request>,
    ) -> Result<Response<pb::call_function::Response>, Status> {
        let req = request.into_inner();
        tracing::debug!(tf_rpc = "CallFunction", tf_function_name = %req.name, "received request");
        let call = AssertUnwindSafe(async { functions::call_function(self, req) });
        let response = call
            .catch_unwind()
            .await
            .unwrap_or_else(|_| pb::call_function::Response {
                result: None,
                error: Some(pb::FunctionError {
                    text: "the function failed unexpectedly; please report this as a bug".into(),
                    function_argument: None,
                }),
            });
        Ok(Response::new(response))
    }

    async fn stop_provider(
        &self,
        _request: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        tracing::debug!(tf_rpc = "StopProvider", "received request");
        if let Ok(mut stop) = self.stop.lock() {
            stop.cancel();
            *stop = CancellationToken::new();
        }
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }
}
