//! One mapping from AWS SDK errors to [`StoreError`], shared by the S3 and DynamoDB stores, so
//! "retry or give up" is decided the same way for every call.
//!
//! Throttling and transient codes are the SDK's own lists (the ones its retry strategy uses),
//! so a code the SDK learns to retry is retried here too.

use aws_runtime::retries::classifiers::{THROTTLING_ERRORS, TRANSIENT_ERRORS};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::error::StoreError;

/// Codes that mean the caller's credentials or clock are momentarily wrong: a refreshed role
/// or a fresh container fixes them, so they are retried. The SDK's lists leave them out
/// because it refreshes credentials itself, not because they are permanent.
const EXPIRED_CREDENTIAL_CODES: &[&str] = &[
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "RequestTimeTooSkewed",
];

/// The object (or the version) named does not exist: it was deleted before it was processed.
/// S3 answers a missing key with 404 only to a role that may list the bucket; otherwise 403.
/// `NotFound` is the SDK's name for HeadObject's bodiless 404.
const OBJECT_GONE_CODES: &[&str] = &["NoSuchKey", "NoSuchVersion", "NotFound"];

/// Credentials, policies and keys refused: the deployment is wrong, not the input.
const ACCESS_DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "AllAccessDisabled",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
];

/// S3 names errors of the KMS key an object is encrypted with `KMS.<KMS error code>`.
const KMS_CODE_PREFIX: &str = "KMS.";

/// What the caller should do about a service's error response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Throttling, timeouts, 5xx: the same request may succeed soon.
    Transient,
    /// The object or version does not exist.
    ObjectGone,
    /// Credentials, policies or a KMS key refuse the call.
    AccessDenied,
    /// Anything else the service refused (a missing bucket or table, a validation error).
    Invalid,
}

/// Classifies a service error response by its code first (the precise signal) and its HTTP
/// status second (for responses without a parseable code, such as HEAD's empty bodies).
pub fn classify_service_error(status: u16, code: Option<&str>) -> ErrorClass {
    if let Some(code) = code {
        let kms_code = code.strip_prefix(KMS_CODE_PREFIX);
        let service_code = kms_code.unwrap_or(code);
        if THROTTLING_ERRORS.contains(&service_code)
            || TRANSIENT_ERRORS.contains(&service_code)
            || EXPIRED_CREDENTIAL_CODES.contains(&service_code)
        {
            return ErrorClass::Transient;
        }
        if OBJECT_GONE_CODES.contains(&code) {
            return ErrorClass::ObjectGone;
        }
        if kms_code.is_some() || ACCESS_DENIED_CODES.contains(&code) {
            return ErrorClass::AccessDenied;
        }
    }
    match status {
        429 | 500..=599 => ErrorClass::Transient,
        // 408 Request Timeout: the request did not arrive in time, a network condition.
        408 => ErrorClass::Transient,
        // Without a code (HEAD), 404 is the object's absence.
        404 if code.is_none() => ErrorClass::ObjectGone,
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
        ErrorClass::ObjectGone => StoreError::NotFound {
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
        for (status, code) in [
            (503, "SlowDown"),
            (400, "ProvisionedThroughputExceededException"),
            (400, "ThrottlingException"),
            (400, "ExpiredToken"),
            (400, "RequestTimeout"),
            (400, "RequestTimeoutException"),
            (400, "KMS.ThrottlingException"),
        ] {
            assert_eq!(
                classify_service_error(status, Some(code)),
                ErrorClass::Transient,
                "{code}"
            );
        }
        for code in ["NoSuchKey", "NoSuchVersion"] {
            assert_eq!(
                classify_service_error(404, Some(code)),
                ErrorClass::ObjectGone
            );
        }
        for (status, code) in [
            (403, "AccessDenied"),
            (400, "KMS.DisabledException"),
            (400, "KMS.KMSInvalidStateException"),
            (400, "KMS.NotFoundException"),
        ] {
            assert_eq!(
                classify_service_error(status, Some(code)),
                ErrorClass::AccessDenied,
                "{code}"
            );
        }
        for (status, code) in [
            (400, "ValidationException"),
            (404, "NoSuchBucket"),
            (400, "ResourceNotFoundException"),
        ] {
            assert_eq!(
                classify_service_error(status, Some(code)),
                ErrorClass::Invalid,
                "{code}: a missing bucket or table is the deployment's, not the object's"
            );
        }
    }

    #[test]
    fn statuses_decide_when_there_is_no_code() {
        assert_eq!(classify_service_error(500, None), ErrorClass::Transient);
        assert_eq!(classify_service_error(503, None), ErrorClass::Transient);
        assert_eq!(classify_service_error(429, None), ErrorClass::Transient);
        assert_eq!(classify_service_error(408, None), ErrorClass::Transient);
        assert_eq!(classify_service_error(404, None), ErrorClass::ObjectGone);
        assert_eq!(classify_service_error(403, None), ErrorClass::AccessDenied);
        assert_eq!(classify_service_error(400, None), ErrorClass::Invalid);
        assert_eq!(classify_service_error(412, None), ErrorClass::Invalid);
    }
}
