//! What can go wrong in the account layer, in terms of the objects involved. Turned into a
//! diagnostic in one place, by the resources (`resources::diagnostic`).

use crate::aws::AwsError;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// No pool distribution names this edge.
    #[error("edge {0:?} was not found")]
    EdgeNotFound(String),
    /// An object the provider did not create is in the way.
    #[error("{object} already exists and is not managed by this provider: {detail}")]
    Foreign { object: String, detail: String },
    /// An object of the provider's own is in the way and cannot be proven safe to take over
    /// (another Terraform state may hold it). `detail` says how to resolve it.
    #[error("{object} already exists: {detail}")]
    Claimed { object: String, detail: String },
    /// The pool or the listener has no room left.
    #[error("{0}")]
    Capacity(String),
    /// What AWS holds contradicts itself (e.g. a pool distribution without its tags).
    #[error("{object} is inconsistent: {detail}")]
    Inconsistent { object: String, detail: String },
    /// Something the edge points at does not exist.
    #[error("{0}")]
    Missing(String),
    /// A wait for CloudFront or Route53 ran out of time or was cancelled.
    #[error("{0}")]
    Wait(String),
    /// The edge still has tenants, or another rule of the domain refuses the change.
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Other(String),
}
