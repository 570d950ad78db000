use serde::{Deserialize, Serialize};

/// Why an object could not be turned into renditions. Every variant is a property of the
/// input or the configuration, never of the environment, so it is permanent: retrying the same
/// bytes gives the same error. The caller records it as a `failed` record and moves on.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum TransformError {
    #[error("the object is empty (0 bytes)")]
    Empty,
    #[error("the object is {actual} bytes, over the limit of {limit} bytes")]
    TooManyBytes { actual: u64, limit: u64 },
    #[error("unsupported format: {0}")]
    UnsupportedFormat(String),
    #[error("the image is {width}x{height}, over the limit of {limit} pixels on a side")]
    DimensionsTooLarge { width: u32, height: u32, limit: u32 },
    #[error("the image is {width}x{height} = {pixels} pixels, over the limit of {limit} pixels")]
    TooManyPixels {
        width: u32,
        height: u32,
        pixels: u64,
        limit: u64,
    },
    /// The decoder refused the header before reporting a size (e.g. PNG checks while parsing).
    #[error("the image's dimensions exceed the limit of {limit} pixels on a side ({detail})")]
    DimensionLimit { limit: u32, detail: String },
    #[error("the image has zero width or height ({width}x{height})")]
    ZeroDimension { width: u32, height: u32 },
    #[error("decoding would need more than the decode memory limit of {limit} bytes: {detail}")]
    DecodeMemory { limit: u64, detail: String },
    #[error("corrupt or truncated {format} data: {detail}")]
    Corrupt { format: String, detail: String },
    #[error("AVIF encoding of rendition `{rendition}` failed: {detail}")]
    Encode { rendition: String, detail: String },
}

/// A short, stable, machine-readable name for each error, stored in the record next to the
/// human-readable message so dashboards and alarms can group failures without parsing prose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    Empty,
    TooManyBytes,
    UnsupportedFormat,
    DimensionsTooLarge,
    TooManyPixels,
    ZeroDimension,
    DecodeMemory,
    Corrupt,
    Encode,
    /// The object could not be read because it is gone: deleted before the function got to it.
    /// Set by callers, which do the reading (access denied is the deployment's, and retried).
    SourceUnreadable,
    /// Set by callers for failures outside the transform (e.g. a panic caught in a codec).
    Internal,
}

impl TransformError {
    pub fn kind(&self) -> FailureKind {
        match self {
            Self::Empty => FailureKind::Empty,
            Self::TooManyBytes { .. } => FailureKind::TooManyBytes,
            Self::UnsupportedFormat(_) => FailureKind::UnsupportedFormat,
            Self::DimensionsTooLarge { .. } | Self::DimensionLimit { .. } => {
                FailureKind::DimensionsTooLarge
            }
            Self::TooManyPixels { .. } => FailureKind::TooManyPixels,
            Self::ZeroDimension { .. } => FailureKind::ZeroDimension,
            Self::DecodeMemory { .. } => FailureKind::DecodeMemory,
            Self::Corrupt { .. } => FailureKind::Corrupt,
            Self::Encode { .. } => FailureKind::Encode,
        }
    }
}
