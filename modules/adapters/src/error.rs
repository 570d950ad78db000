/// A store operation that failed, split by what is wrong: the store is momentarily unable
/// ([`StoreError::is_retryable`]: throttling, unavailable, slow), the object is gone or too
/// large (the input's own state), or the deployment is wrong (access denied, a KMS key, a
/// missing bucket or table, an invalid request), which only an operator can fix.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The object or version does not exist (deleted before it was read).
    #[error("{what} does not exist")]
    NotFound { what: String },
    /// Credentials, a policy or a KMS key refuse the call.
    #[error("access to {what} is denied: {detail}")]
    AccessDenied { what: String, detail: String },
    #[error("invalid request for {what}: {detail}")]
    Invalid { what: String, detail: String },
    #[error("{what} is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { what: String, size: u64, limit: u64 },
    /// Throttling, 5xx, timeouts, connection failures, local I/O errors: worth another try.
    #[error("{operation} failed transiently: {detail}")]
    Transient { operation: String, detail: String },
}

impl StoreError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Transient { .. })
    }

    /// Maps a local I/O error: missing files and permissions are permanent, anything else
    /// (disk full, interrupted) may pass.
    pub(crate) fn from_io(operation: &str, what: &str, error: &std::io::Error) -> Self {
        use std::io::ErrorKind;
        match error.kind() {
            ErrorKind::NotFound => Self::NotFound {
                what: what.to_owned(),
            },
            ErrorKind::PermissionDenied => Self::AccessDenied {
                what: what.to_owned(),
                detail: error.to_string(),
            },
            ErrorKind::InvalidInput | ErrorKind::InvalidFilename => Self::Invalid {
                what: what.to_owned(),
                detail: error.to_string(),
            },
            _ => Self::Transient {
                operation: format!("{operation} {what}"),
                detail: error.to_string(),
            },
        }
    }
}
