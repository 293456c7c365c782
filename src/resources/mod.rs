//! The provider's resources, one module each.

mod shared_edge;
mod tenant;

pub use shared_edge::{schema as shared_edge_schema, SharedEdgeResource};
pub use tenant::{schema as tenant_schema, TenantResource};

use crate::protocol::Diagnostics;

/// Reported by operations this release does not perform yet, so an apply fails loudly instead
/// of recording objects that do not exist.
fn not_yet_available(diags: &mut Diagnostics, type_name: &str, operation: &str) {
    diags.error(
        format!("{type_name}: {operation} is not available in this release"),
        format!(
            "This release of the gateway provider validates and plans {type_name} but cannot yet {operation} it in AWS. Nothing was changed."
        ),
    );
}
