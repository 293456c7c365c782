//! Terraform's plugin protocol 6: the value model and its encodings, schemas, diagnostics, the
//! typed layer resources are written against, and the gRPC service that serves them.

pub mod diagnostics;
mod display;
pub mod plan;
pub mod resource;
pub mod schema;
pub mod server;
pub mod validate;
pub mod validators;
pub mod value;

pub use diagnostics::{Diagnostic, Diagnostics};
pub use resource::{Context, DataSource, Function, PlanState, ProviderDefinition, Resource, State};
pub use schema::{Attribute, Block, NestedBlock, Schema};
pub use server::ProviderService;
