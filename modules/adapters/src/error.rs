/// A store operation that failed, split by what the caller should do about it: retry later
/// (the store is throttling, unavailable or slow) or give up on this object (it is gone, access
/// is denied, the request is invalid). The handler decides by [`StoreError::is_retryable`].
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{what} does not exist")]
    NotFound { what: String },
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
