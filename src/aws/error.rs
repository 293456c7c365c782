//! One error type for every AWS call the provider makes.
//!
//! AWS reports failures as an error code (`PreconditionFailed`, `PriorityInUse`, ...), a
//! message and a request id. [`AwsError`] keeps all three, names the operation that failed,
//! and sorts the code into an [`ErrorKind`] so callers branch on what happened — not found,
//! a conflict to retry, a quota — instead of matching each service's error enum.

use std::fmt;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_sts::operation::RequestId;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What an AWS failure means to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The object does not exist (`NoSuchDistribution`, `RuleNotFound`, ...).
    NotFound,
    /// The `If-Match` ETag is stale: refetch and retry.
    PreconditionFailed,
    /// The request clashes with the current state (`CNAMEAlreadyExists`, `PriorityInUse`,
    /// `DistributionNotDisabled`, a Route53 batch that does not match the zone, ...).
    Conflict,
    /// A service quota is exhausted (`TooManyDistributionCNAMEs`, `TooManyRules`, ...).
    Quota,
    /// AWS throttled the request; the SDK has already retried it.
    Throttled,
    /// The credentials are missing, invalid, expired or not allowed to do this.
    AccessDenied,
    /// AWS refused the request itself (`InvalidArgument`, `ValidationError`, ...).
    InvalidInput,
    /// A server-side or network failure that may pass (5xx, connection reset).
    Transient,
    /// The request or a waiter ran out of time.
    Timeout,
    /// The caller cancelled the operation.
    Cancelled,
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// The kind's name, as shown in messages when AWS gave no error code.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "NotFound",
            ErrorKind::PreconditionFailed => "PreconditionFailed",
            ErrorKind::Conflict => "Conflict",
            ErrorKind::Quota => "Quota",
            ErrorKind::Throttled => "Throttled",
            ErrorKind::AccessDenied => "AccessDenied",
            ErrorKind::InvalidInput => "InvalidInput",
            ErrorKind::Transient => "Transient",
            ErrorKind::Timeout => "Timeout",
            ErrorKind::Cancelled => "Cancelled",
            ErrorKind::Other => "Other",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed AWS operation: which operation, on what, the AWS error code and message, the
/// request id, and the [`ErrorKind`] the code maps to.
///
/// Displays as `UpdateDistribution E2QWRUHEXAMPLE: PreconditionFailed: The request failed
/// because it didn't meet the preconditions (request id 1234-...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    // Boxed: the error travels in every `Result` of the layer and should stay one pointer.
    inner: Box<Inner>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner {
    operation: String,
    subject: Option<String>,
    kind: ErrorKind,
    code: Option<String>,
    message: String,
    request_id: Option<String>,
}

impl AwsError {
    /// An error raised by this layer itself (a timeout, a cancelled wait, a malformed answer).
    pub fn new(operation: impl Into<String>, kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            inner: Box::new(Inner {
                operation: operation.into(),
                subject: None,
                kind,
                code: None,
                message: message.into(),
                request_id: None,
            }),
        }
    }

    /// Converts any AWS SDK error, reading the code, message and request id AWS sent.
    pub fn from_sdk<E>(operation: &str, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let request_id = err.request_id().map(str::to_string);
        let (kind, code, message) = match &err {
            SdkError::ServiceError(service) => {
                let code = err.code().map(str::to_string);
                let message = err
                    .message()
                    .map(str::to_string)
                    .unwrap_or_else(|| causes(service.err()));
                let status = service.raw().status().as_u16();
                (
                    classify(code.as_deref(), &message, Some(status)),
                    code,
                    message,
                )
            }
            SdkError::TimeoutError(_) => (ErrorKind::Timeout, None, causes(&err)),
            SdkError::DispatchFailure(failure) => {
                let kind = if is_credentials_failure(&err) {
                    ErrorKind::AccessDenied
                } else if failure.is_timeout() {
                    ErrorKind::Timeout
                } else if failure.is_io() {
                    ErrorKind::Transient
                } else {
                    ErrorKind::Other
                };
                (kind, None, causes(&err))
            }
            SdkError::ResponseError(response) => {
                let status = response.raw().status().as_u16();
                (classify(None, "", Some(status)), None, causes(&err))
            }
            _ => (ErrorKind::Other, None, causes(&err)),
        };
        Self {
            inner: Box::new(Inner {
                operation: operation.to_string(),
                subject: None,
                kind,
                code,
                message,
                request_id,
            }),
        }
    }

    /// Names the object the operation was about (an id, an ARN, `alias a.example.com`).
    pub fn with_subject(mut self, subject: impl Into<String>) -> Self {
        self.inner.subject = Some(subject.into());
        self
    }

    /// The AWS API operation (`UpdateDistribution`) or the layer's own step
    /// (`WaitDistributionDeployed`).
    pub fn operation(&self) -> &str {
        &self.inner.operation
    }

    /// The object the operation was about, when known.
    pub fn subject(&self) -> Option<&str> {
        self.inner.subject.as_deref()
    }

    /// What the failure means.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The AWS error code, such as `CNAMEAlreadyExists`.
    pub fn code(&self) -> Option<&str> {
        self.inner.code.as_deref()
    }

    /// The message AWS (or this layer) gave.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The AWS request id, for a support case or CloudTrail.
    pub fn request_id(&self) -> Option<&str> {
        self.inner.request_id.as_deref()
    }

    /// True when the object does not exist.
    pub fn is_not_found(&self) -> bool {
        self.inner.kind == ErrorKind::NotFound
    }

    /// True when AWS answered with this error code.
    pub fn has_code(&self, code: &str) -> bool {
        self.inner.code.as_deref() == Some(code)
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.inner;
        f.write_str(&e.operation)?;
        if let Some(subject) = &e.subject {
            write!(f, " {subject}")?;
        }
        let code = e.code.as_deref().unwrap_or(e.kind.as_str());
        write!(f, ": {code}: {}", e.message)?;
        if let Some(id) = &e.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for AwsError {}

/// The error and its causes, each by its `Display`, joined with ": " (the SDK's own
/// `DisplayErrorContext` appends a `Debug` dump of the whole response).
fn causes(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// True when the request failed because no credentials could be loaded.
fn is_credentials_failure(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(err);
    while let Some(cause) = source {
        if cause.is::<CredentialsError>() {
            return true;
        }
        source = cause.source();
    }
    false
}

const NOT_FOUND: &[&str] = &[
    "NoSuchDistribution",
    "NoSuchCachePolicy",
    "NoSuchOriginRequestPolicy",
    "NoSuchResource",
    "NoSuchHostedZone",
    "NoSuchChange",
    "HostedZoneNotFound",
    "ListenerNotFound",
    "LoadBalancerNotFound",
    "RuleNotFound",
    "TargetGroupNotFound",
    "CertificateNotFound",
    "ResourceNotFoundException",
];

const PRECONDITION_FAILED: &[&str] = &["PreconditionFailed"];

const CONFLICT: &[&str] = &[
    "CNAMEAlreadyExists",
    "DistributionAlreadyExists",
    "DistributionNotDisabled",
    "CachePolicyInUse",
    "OriginRequestPolicyInUse",
    "PriorityInUse",
    "DuplicateLoadBalancerName",
    "DuplicateTargetGroupName",
    "DuplicateListener",
    "ResourceInUse",
    "HostedZoneNotEmpty",
    "ConflictingDomainExists",
    "ConcurrentModification",
    "ConflictException",
];

/// Checked before the `TooMany*` quota prefix: `TooManyRequestsException` is throttling.
const THROTTLED: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "SlowDown",
    "PriorRequestNotComplete",
    "BandwidthLimitExceeded",
];

const ACCESS_DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "InvalidAccessKeyId",
    "MissingAuthenticationToken",
    "ExpiredToken",
    "ExpiredTokenException",
    "AuthFailure",
];

const TRANSIENT: &[&str] = &[
    "InternalError",
    "InternalFailure",
    "InternalServiceError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "RequestTimeout",
    "RequestTimeoutException",
];

const QUOTA: &[&str] = &[
    // CloudFront SaaS Manager: more distribution tenants than the account may have.
    "EntityLimitExceeded",
    "LimitExceeded",
    "LimitExceededException",
    "ServiceQuotaExceededException",
];

/// Sorts an AWS error into a kind: by its code first, then by HTTP status.
pub fn classify(code: Option<&str>, message: &str, status: Option<u16>) -> ErrorKind {
    if let Some(code) = code {
        let tables = [
            (NOT_FOUND, ErrorKind::NotFound),
            (PRECONDITION_FAILED, ErrorKind::PreconditionFailed),
            (THROTTLED, ErrorKind::Throttled),
            (CONFLICT, ErrorKind::Conflict),
            (ACCESS_DENIED, ErrorKind::AccessDenied),
            (TRANSIENT, ErrorKind::Transient),
            (QUOTA, ErrorKind::Quota),
        ];
        if let Some((_, kind)) = tables.iter().find(|(codes, _)| codes.contains(&code)) {
            return *kind;
        }
        // Route53 answers every refused batch with InvalidChangeBatch: a batch that does not
        // fit the zone (CREATE of an existing record, DELETE that does not match) is a
        // conflict with the current state; a batch over the size limits is invalid input.
        if code == "InvalidChangeBatch" {
            return if message.to_ascii_lowercase().contains("limit") {
                ErrorKind::InvalidInput
            } else {
                ErrorKind::Conflict
            };
        }
        if code.starts_with("NoSuch") || code.ends_with("NotFound") {
            return ErrorKind::NotFound;
        }
        if code.ends_with("AlreadyExists") || code.ends_with("InUse") {
            return ErrorKind::Conflict;
        }
        if code.starts_with("TooMany") {
            return ErrorKind::Quota;
        }
        if code.starts_with("Invalid")
            || code.starts_with("Illegal")
            || code.starts_with("Malformed")
            || code.starts_with("Missing")
            || code.starts_with("Validation")
            || code == "InconsistentQuantities"
            || code == "OperationNotPermitted"
        {
            return ErrorKind::InvalidInput;
        }
    }
    match status {
        Some(404) => ErrorKind::NotFound,
        Some(409) => ErrorKind::Conflict,
        Some(412) => ErrorKind::PreconditionFailed,
        Some(401 | 403) => ErrorKind::AccessDenied,
        Some(429) => ErrorKind::Throttled,
        Some(500..=599) => ErrorKind::Transient,
        _ => ErrorKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_classified_as_their_meaning() {
        let cases: &[(&str, u16, ErrorKind)] = &[
            ("NoSuchDistribution", 404, ErrorKind::NotFound),
            ("NoSuchCachePolicy", 404, ErrorKind::NotFound),
            ("NoSuchHostedZone", 404, ErrorKind::NotFound),
            ("NoSuchChange", 404, ErrorKind::NotFound),
            ("RuleNotFound", 400, ErrorKind::NotFound),
            ("ListenerNotFound", 400, ErrorKind::NotFound),
            ("LoadBalancerNotFound", 400, ErrorKind::NotFound),
            ("TargetGroupNotFound", 400, ErrorKind::NotFound),
            ("NoSuchFieldLevelEncryptionConfig", 404, ErrorKind::NotFound),
            ("PreconditionFailed", 412, ErrorKind::PreconditionFailed),
            ("CNAMEAlreadyExists", 409, ErrorKind::Conflict),
            ("DistributionNotDisabled", 409, ErrorKind::Conflict),
            ("DistributionAlreadyExists", 409, ErrorKind::Conflict),
            ("CachePolicyInUse", 409, ErrorKind::Conflict),
            ("CachePolicyAlreadyExists", 409, ErrorKind::Conflict),
            ("PriorityInUse", 400, ErrorKind::Conflict),
            ("TooManyDistributionCNAMEs", 400, ErrorKind::Quota),
            ("TooManyRules", 400, ErrorKind::Quota),
            ("TooManyCachePolicies", 400, ErrorKind::Quota),
            ("TooManyTargetGroups", 400, ErrorKind::Quota),
            ("LimitExceeded", 400, ErrorKind::Quota),
            ("EntityLimitExceeded", 400, ErrorKind::Quota),
            ("Throttling", 400, ErrorKind::Throttled),
            ("ThrottlingException", 400, ErrorKind::Throttled),
            ("TooManyRequestsException", 429, ErrorKind::Throttled),
            ("PriorRequestNotComplete", 400, ErrorKind::Throttled),
            ("RequestLimitExceeded", 503, ErrorKind::Throttled),
            ("AccessDenied", 403, ErrorKind::AccessDenied),
            ("InvalidClientTokenId", 403, ErrorKind::AccessDenied),
            ("SignatureDoesNotMatch", 403, ErrorKind::AccessDenied),
            ("ExpiredToken", 400, ErrorKind::AccessDenied),
            ("InvalidArgument", 400, ErrorKind::InvalidInput),
            ("InvalidIfMatchVersion", 400, ErrorKind::InvalidInput),
            ("InvalidViewerCertificate", 400, ErrorKind::InvalidInput),
            ("InconsistentQuantities", 400, ErrorKind::InvalidInput),
            ("IllegalUpdate", 400, ErrorKind::InvalidInput),
            ("ValidationError", 400, ErrorKind::InvalidInput),
            ("InvalidInput", 400, ErrorKind::InvalidInput),
            ("OperationNotPermitted", 400, ErrorKind::InvalidInput),
            ("InternalError", 500, ErrorKind::Transient),
            ("InternalFailure", 500, ErrorKind::Transient),
            ("ServiceUnavailable", 503, ErrorKind::Transient),
            ("SomethingNew", 503, ErrorKind::Transient),
            ("SomethingNew", 409, ErrorKind::Conflict),
            ("SomethingNew", 400, ErrorKind::Other),
        ];
        for &(code, status, kind) in cases {
            assert_eq!(
                classify(Some(code), "", Some(status)),
                kind,
                "{code} ({status})"
            );
        }
    }

    #[test]
    fn route53_batches_are_conflicts_unless_over_the_limits() {
        let conflict = "[Tried to create resource record set [name='a.example.com.', type='A'] but it already exists]";
        assert_eq!(
            classify(Some("InvalidChangeBatch"), conflict, Some(400)),
            ErrorKind::Conflict
        );
        let mismatch = "[Tried to delete resource record set [name='a.example.com.', type='A'] but the values provided do not match the current values]";
        assert_eq!(
            classify(Some("InvalidChangeBatch"), mismatch, Some(400)),
            ErrorKind::Conflict
        );
        let limit = "[Number of records limit of 1000 exceeded.]";
        assert_eq!(
            classify(Some("InvalidChangeBatch"), limit, Some(400)),
            ErrorKind::InvalidInput
        );
    }

    #[test]
    fn without_a_code_the_status_decides() {
        assert_eq!(classify(None, "", Some(404)), ErrorKind::NotFound);
        assert_eq!(classify(None, "", Some(412)), ErrorKind::PreconditionFailed);
        assert_eq!(classify(None, "", Some(403)), ErrorKind::AccessDenied);
        assert_eq!(classify(None, "", Some(429)), ErrorKind::Throttled);
        assert_eq!(classify(None, "", Some(502)), ErrorKind::Transient);
        assert_eq!(classify(None, "", None), ErrorKind::Other);
    }

    #[test]
    fn display_names_operation_subject_code_message_and_request_id() {
        let mut err = AwsError::new(
            "UpdateDistribution",
            ErrorKind::PreconditionFailed,
            "The request failed because it didn't meet the preconditions",
        );
        err.inner.code = Some("PreconditionFailed".into());
        err.inner.request_id = Some("1234-abcd".into());
        assert_eq!(
            err.to_string(),
            "UpdateDistribution: PreconditionFailed: The request failed because it didn't meet the preconditions (request id 1234-abcd)"
        );
        let err = err.with_subject("E2QWRUHEXAMPLE");
        assert!(err
            .to_string()
            .starts_with("UpdateDistribution E2QWRUHEXAMPLE: PreconditionFailed: "));
        let own = AwsError::new("WaitChangeInsync", ErrorKind::Timeout, "gave up");
        assert_eq!(own.to_string(), "WaitChangeInsync: Timeout: gave up");
    }
}
