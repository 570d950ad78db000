//! One mapping from AWS SDK errors to [`StoreError`], shared by the S3 and DynamoDB stores, so
//! "retry or give up" is decided the same way for every call.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::error::StoreError;

/// Error codes S3 and DynamoDB use to ask the caller to slow down. They arrive with 400 or 503,
/// so the status alone does not tell them from a bad request.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// Codes that mean the caller's credentials or clock are momentarily wrong, not that access is
/// denied for good: a fresh container or a refreshed role fixes them, so they are retried.
const TRANSIENT_AUTH_CODES: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "RequestTimeTooSkewed",
    "InternalError",
    "ServiceUnavailable",
];

const NOT_FOUND_CODES: &[&str] = &[
    "NoSuchKey",
    "NoSuchVersion",
    "NoSuchBucket",
    "NotFound",
    "ResourceNotFoundException",
];

const ACCESS_DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "AllAccessDisabled",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "InvalidObjectState",
];

/// What the caller should do about a service's error response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    Transient,
    NotFound,
    AccessDenied,
    Invalid,
}

/// Classifies a service error response by its code first (the precise signal) and its HTTP
/// status second (for responses without a parseable code, such as HEAD's empty bodies).
pub fn classify_service_error(status: u16, code: Option<&str>) -> ErrorClass {
    if let Some(code) = code {
        if THROTTLING_CODES.contains(&code) || TRANSIENT_AUTH_CODES.contains(&code) {
            return ErrorClass::Transient;
        }
        if NOT_FOUND_CODES.contains(&code) {
            return ErrorClass::NotFound;
        }
        if ACCESS_DENIED_CODES.contains(&code) {
            return ErrorClass::AccessDenied;
        }
    }
    match status {
        429 | 500..=599 => ErrorClass::Transient,
        // 408 Request Timeout: the request did not arrive in time, a network condition.
        408 => ErrorClass::Transient,
        404 => ErrorClass::NotFound,
        401 | 403 => ErrorClass::AccessDenied,
        _ => ErrorClass::Invalid,
    }
}

/// Maps an SDK error for `operation` on `what` to a [`StoreError`]. Everything that never got
/// a service response (timeouts, connection failures, unreadable responses) is transient;
/// requests the SDK could not even build are invalid.
pub(crate) fn store_error<E>(
    operation: &str,
    what: &str,
    error: SdkError<E, HttpResponse>,
) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let class = match &error {
        SdkError::ServiceError(context) => {
            classify_service_error(context.raw().status().as_u16(), context.err().code())
        }
        SdkError::ConstructionFailure(_) => ErrorClass::Invalid,
        // TimeoutError, DispatchFailure, ResponseError and variants added later.
        _ => ErrorClass::Transient,
    };
    let detail = DisplayErrorContext(&error).to_string();
    match class {
        ErrorClass::Transient => StoreError::Transient {
            operation: format!("{operation} {what}"),
            detail,
        },
        ErrorClass::NotFound => StoreError::NotFound {
            what: what.to_owned(),
        },
        ErrorClass::AccessDenied => StoreError::AccessDenied {
            what: what.to_owned(),
            detail,
        },
        ErrorClass::Invalid => StoreError::Invalid {
            what: what.to_owned(),
            detail,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_win_over_statuses() {
        // S3 throttles with 503 SlowDown, DynamoDB with 400 ProvisionedThroughputExceeded.
        assert_eq!(
            classify_service_error(503, Some("SlowDown")),
            ErrorClass::Transient
        );
        assert_eq!(
            classify_service_error(400, Some("ProvisionedThroughputExceededException")),
            ErrorClass::Transient
        );
        assert_eq!(
            classify_service_error(400, Some("ThrottlingException")),
            ErrorClass::Transient
        );
        assert_eq!(
            classify_service_error(400, Some("ExpiredToken")),
            ErrorClass::Transient
        );
        assert_eq!(
            classify_service_error(404, Some("NoSuchKey")),
            ErrorClass::NotFound
        );
        assert_eq!(
            classify_service_error(403, Some("AccessDenied")),
            ErrorClass::AccessDenied
        );
        assert_eq!(
            classify_service_error(400, Some("ValidationException")),
            ErrorClass::Invalid
        );
    }

    #[test]
    fn statuses_decide_when_there_is_no_code() {
        assert_eq!(classify_service_error(500, None), ErrorClass::Transient);
        assert_eq!(classify_service_error(503, None), ErrorClass::Transient);
        assert_eq!(classify_service_error(429, None), ErrorClass::Transient);
        assert_eq!(classify_service_error(404, None), ErrorClass::NotFound);
        assert_eq!(classify_service_error(403, None), ErrorClass::AccessDenied);
        assert_eq!(classify_service_error(400, None), ErrorClass::Invalid);
        assert_eq!(classify_service_error(412, None), ErrorClass::Invalid);
    }
}
