//! What can go wrong above the AWS layer, and how it reads as a diagnostic.

use crate::aws::AwsError;
use crate::protocol::Diagnostic;

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// No pool distribution names this edge.
    #[error("edge {0:?} was not found")]
    EdgeNotFound(String),
    /// An object the provider did not create is in the way.
    #[error("{object} already exists and is not managed by this provider: {detail}")]
    Foreign { object: String, detail: String },
    /// The pool or the listener has no room left.
    #[error("{0}")]
    Capacity(String),
    /// What AWS holds contradicts itself (e.g. a pool distribution without its tags).
    #[error("{object} is inconsistent: {detail}")]
    Inconsistent { object: String, detail: String },
    #[error("{0}")]
    Other(String),
}

impl GatewayError {
    /// The diagnostic for this error while `action` (e.g. "creating gateway tenant acme").
    pub fn diagnostic(&self, action: &str) -> Diagnostic {
        match self {
            GatewayError::Aws(err) => Diagnostic::error(format!("{action}: {err}"), aws_detail(err)),
            GatewayError::EdgeNotFound(edge) => Diagnostic::error(
                format!("{action}: edge {edge:?} not found"),
                format!(
                    "No CloudFront distribution of this account belongs to edge {edge:?}. Create the gateway_shared_edge first, or check edge_id."
                ),
            ),
            GatewayError::Foreign { object, detail } => Diagnostic::error(
                format!("{action}: {object} is in the way"),
                format!("{detail} The provider did not create it and will not change it; remove it or choose another name."),
            ),
            GatewayError::Capacity(detail) => {
                Diagnostic::error(format!("{action}: not enough capacity"), detail.clone())
            }
            GatewayError::Inconsistent { object, detail } => Diagnostic::error(
                format!("{action}: {object} is inconsistent"),
                detail.clone(),
            ),
            GatewayError::Other(detail) => Diagnostic::error(action.to_string(), detail.clone()),
        }
    }
}

fn aws_detail(err: &AwsError) -> String {
    use crate::aws::ErrorKind;
    match err.kind() {
        ErrorKind::AccessDenied => "The credentials in use are not allowed to do this; check the IAM policy of the role or user.".into(),
        ErrorKind::Throttled => "AWS kept throttling the requests after every retry; try again, or raise max_retries.".into(),
        ErrorKind::Timeout => "The operation did not finish in time; raise the resource's timeouts if AWS is slow today.".into(),
        ErrorKind::Cancelled => "Terraform asked the provider to stop.".into(),
        _ => String::new(),
    }
}
