//! The pure heart of the pipeline: typed stages and the transforms between them.
//!
//! ```text
//! Raw --decode(&Limits)--> Intermediate --encode(&PipelineConfig)--> Complete --> Record
//! ```
//!
//! No I/O, no clock, no async runtime, no AWS: everything here is a function of its arguments,
//! so it is tested anywhere and shared by the Lambda function and the local job.
#![forbid(unsafe_code)]

mod cmyk_jpeg;
mod colour;
mod complete;
mod config;
mod decode;
mod encode;
mod error;
mod identity;
mod intermediate;
mod limits;
mod output_key;
mod placeholder;
mod raw;
mod record;
mod rendition;
mod resize;
mod sequencer;
mod sniff;
mod source;
mod truncation;

pub use complete::{Complete, EncodedRendition, Timings, encode};
pub use config::{ALL_VARS, ConfigError, PipelineConfig};
pub use decode::decode;
pub use encode::{EncoderSettings, OutputBitDepth};
pub use error::{FailureKind, TransformError};
pub use identity::ObjectIdentity;
pub use intermediate::{Intermediate, Pixels};
pub use limits::Limits;
pub use output_key::rendition_key;
pub use placeholder::Placeholder;
pub use raw::Raw;
pub use record::{Failure, PIPELINE_VERSION, Record, RecordStatus, RenditionRecord};
pub use rendition::{MAX_RENDITION_SIDE, RenditionSpec, fit_inside};
pub use resize::resize;
pub use sequencer::{SEQUENCER_WIDTH, Sequencer};
pub use sniff::sniff_format;
pub use source::{SourceFormat, SourceMetadata};

/// Variable name constants, for callers that document or validate their environment.
pub mod vars {
    pub use crate::config::{
        VAR_AVIF_ALPHA_QUALITY, VAR_AVIF_BIT_DEPTH, VAR_AVIF_QUALITY, VAR_AVIF_SPEED,
        VAR_ENCODER_THREADS, VAR_MAX_DECODE_BYTES, VAR_MAX_DIMENSION, VAR_MAX_INPUT_BYTES,
        VAR_MAX_PIXELS, VAR_OUTPUT_PREFIX, VAR_RENDITIONS,
    };
}
