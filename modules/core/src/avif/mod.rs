//! The shipped transform: an image in, AVIF renditions out, through typed stages.
//!
//! ```text
//! Input -> Raw --decode(&Limits)--> Intermediate --encode(&AvifSettings)--> Complete -> Product
//! ```
//!
//! [`AvifTransform`] is the one place the pipeline meets this module.

mod cmyk_jpeg;
mod colour;
mod complete;
mod config;
mod decode;
mod encode;
mod error;
mod intermediate;
mod limits;
mod placeholder;
mod raw;
mod rendition;
mod resize;
mod sniff;
mod source;
mod summary;
mod transform;
mod truncation;

pub use complete::{Complete, EncodedRendition, Timings, encode};
pub use config::{AVIF_VARS, AvifSettings};
pub use decode::decode;
pub use encode::{EncoderSettings, OutputBitDepth};
pub use error::{AvifError, kind};
pub use intermediate::{Intermediate, Pixels};
pub use limits::Limits;
pub use placeholder::Placeholder;
pub use raw::Raw;
pub use rendition::{MAX_RENDITION_SIDE, RenditionSpec, fit_inside};
pub use resize::resize;
pub use sniff::sniff_format;
pub use source::{SourceFormat, SourceMetadata};
pub use summary::{ImageSummary, RenditionSize};
pub use transform::AvifTransform;

/// Variable name constants, for callers that document or validate their environment.
pub mod vars {
    pub use super::config::{
        VAR_AVIF_ALPHA_QUALITY, VAR_AVIF_BIT_DEPTH, VAR_AVIF_QUALITY, VAR_AVIF_SPEED,
        VAR_ENCODER_THREADS, VAR_MAX_DECODE_BYTES, VAR_MAX_DIMENSION, VAR_MAX_PIXELS,
        VAR_RENDITIONS,
    };
}
