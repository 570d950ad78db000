use crate::failure::{Failure, FailureKind};

/// Why an image could not be turned into renditions. Every variant is a property of the
/// input or the configuration, never of the environment, so it is permanent: retrying the same
/// bytes gives the same error. It becomes the record's [`Failure`].
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum AvifError {
    #[error("the object is empty (0 bytes)")]
    Empty,
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

impl AvifError {
    /// The stable name the record stores for this error.
    pub fn kind(&self) -> FailureKind {
        match self {
            Self::Empty => kind::EMPTY,
            Self::UnsupportedFormat(_) => kind::UNSUPPORTED_FORMAT,
            Self::DimensionsTooLarge { .. } | Self::DimensionLimit { .. } => {
                kind::DIMENSIONS_TOO_LARGE
            }
            Self::TooManyPixels { .. } => kind::TOO_MANY_PIXELS,
            Self::ZeroDimension { .. } => kind::ZERO_DIMENSION,
            Self::DecodeMemory { .. } => kind::DECODE_MEMORY,
            Self::Corrupt { .. } => kind::CORRUPT,
            Self::Encode { .. } => kind::ENCODE,
        }
    }
}

impl From<AvifError> for Failure {
    fn from(error: AvifError) -> Self {
        Self::new(error.kind(), error.to_string())
    }
}

/// The kinds [`AvifError::kind`] names, for callers that match on a record's failure.
pub mod kind {
    use crate::failure::FailureKind;

    pub const EMPTY: FailureKind = FailureKind::named("empty");
    pub const UNSUPPORTED_FORMAT: FailureKind = FailureKind::named("unsupported_format");
    pub const DIMENSIONS_TOO_LARGE: FailureKind = FailureKind::named("dimensions_too_large");
    pub const TOO_MANY_PIXELS: FailureKind = FailureKind::named("too_many_pixels");
    pub const ZERO_DIMENSION: FailureKind = FailureKind::named("zero_dimension");
    pub const DECODE_MEMORY: FailureKind = FailureKind::named("decode_memory");
    pub const CORRUPT: FailureKind = FailureKind::named("corrupt");
    pub const ENCODE: FailureKind = FailureKind::named("encode");
}
