//! The pure heart of the pipeline: the record envelope, the transform seam and the transforms.
//!
//! ```text
//! ObjectIdentity + bytes --Transform::apply--> Product (outputs + summary) | Failure --> Record
//! ```
//!
//! No I/O, no clock, no async runtime, no AWS: everything here is a function of its arguments,
//! so it is tested anywhere and shared by the Lambda function and the local job. The generic
//! part (identity, ordering, records, settings, output keys, the [`Transform`] trait) knows
//! nothing about images; [`avif`] is the shipped transform and [`jsonl_summary`] a second, tiny
//! one that proves the seam.
#![forbid(unsafe_code)]

pub mod avif;
mod config_value;
mod failure;
mod identity;
pub mod jsonl_summary;
mod output_key;
mod provenance;
mod record;
mod sequencer;
mod settings;
mod transform;

pub use config_value::{ConfigError, millis_var, parse_in_range};
pub use failure::{Failure, FailureKind};
pub use identity::ObjectIdentity;
pub use output_key::output_key;
pub use provenance::{PIPELINE_VERSION, Provenance};
pub use record::{OutputRecord, Record, RecordStatus};
pub use sequencer::{SEQUENCER_WIDTH, Sequencer};
pub use settings::{PIPELINE_VARS, PipelineSettings, VAR_MAX_INPUT_BYTES, VAR_OUTPUT_PREFIX};
pub use transform::{Input, Output, Product, Transform};
