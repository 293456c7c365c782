//! The provider's resources and data sources, one module each; a large resource is a folder
//! (`schema`, `model`, conversions to and from AWS's types, `apply`), read in lifecycle order.
//! Errors of the layers below become diagnostics in one place, [`diagnostic`].

pub mod diagnostic;
mod edge_capacity;
mod edge_deployment;
mod model;
mod shared_edge;
mod tenant;

pub use edge_capacity::{schema as edge_capacity_schema, EdgeCapacityDataSource};
pub use edge_deployment::{schema as edge_deployment_schema, EdgeDeploymentDataSource};
pub use shared_edge::{schema as shared_edge_schema, SharedEdgeResource};
pub use tenant::{schema as tenant_schema, TenantResource};
