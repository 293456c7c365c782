//! The provider's resources and data sources, one module each.

mod edge_capacity;
mod model;
mod shared_edge;
mod tenant;

pub use edge_capacity::{schema as edge_capacity_schema, EdgeCapacityDataSource};
pub use shared_edge::{schema as shared_edge_schema, SharedEdgeResource};
pub use tenant::{schema as tenant_schema, TenantResource};
