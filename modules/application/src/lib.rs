//! Entry points of the pipeline and the one place that orchestrates it.
//!
//! [`Pipeline::process`] is the whole per-object flow (fetch -> raw -> intermediate -> complete
//! -> put renditions -> write record); the local job (`imagepipe-local`) and the Lambda handler
//! only decide which objects to hand it and what to do with its answer.
#![forbid(unsafe_code)]

pub mod local_job;
mod pipeline;

pub use pipeline::{Outcome, Pipeline, ProcessError};
