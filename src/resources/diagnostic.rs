//! The one place an error of the layers below becomes what Terraform shows: a summary naming
//! the action and the object, and a detail saying what to do.

use crate::account::AccountError;
use crate::aws::{AwsError, ErrorKind};
use crate::protocol::Diagnostic;

/// The diagnostic for `err` while `action` (e.g. "creating gateway tenant acme").
pub fn diagnostic(err: &AccountError, action: &str) -> Diagnostic {
    match err {
        AccountError::Aws(err) => Diagnostic::error(format!("{action}: {err}"), aws_detail(err)),
        AccountError::EdgeNotFound(edge) => Diagnostic::error(
            format!("{action}: edge {edge:?} not found"),
            format!(
                "No CloudFront distribution of this account belongs to edge {edge:?}. Create the gateway_shared_edge first, or check edge_id."
            ),
        ),
        AccountError::Foreign { object, detail } => Diagnostic::error(
            format!("{action}: {object} is in the way"),
            format!("{detail} The provider did not create it and will not change it; remove it or choose another name."),
        ),
        AccountError::Claimed { object, detail } => Diagnostic::error(
            format!("{action}: {object} already exists"),
            detail.clone(),
        ),
        AccountError::Capacity(detail) => {
            Diagnostic::error(format!("{action}: not enough capacity"), detail.clone())
        }
        AccountError::Inconsistent { object, detail } => Diagnostic::error(
            format!("{action}: {object} is inconsistent"),
            detail.clone(),
        ),
        AccountError::Missing(detail)
        | AccountError::Wait(detail)
        | AccountError::Refused(detail)
        | AccountError::Other(detail) => Diagnostic::error(action.to_string(), detail.clone()),
    }
}

fn aws_detail(err: &AwsError) -> String {
    match err.kind() {
        ErrorKind::AccessDenied => "The credentials in use are not allowed to do this; check the IAM policy of the role or user.".into(),
        ErrorKind::Throttled => "AWS kept throttling the requests after every retry; try again, or raise max_retries.".into(),
        ErrorKind::Timeout => "The operation did not finish in time; raise the resource's timeouts if AWS is slow today.".into(),
        ErrorKind::Cancelled => "Terraform asked the provider to stop.".into(),
        _ => String::new(),
    }
}
