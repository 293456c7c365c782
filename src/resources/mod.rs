//! The provider's resources, one module each.

mod model;
mod shared_edge;
mod tenant;

pub use shared_edge::{schema as shared_edge_schema, SharedEdgeResource};
pub use tenant::{schema as tenant_schema, TenantResource};
