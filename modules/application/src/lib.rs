//! Entry points of the pipeline and the one place that orchestrates it.
//!
//! [`Pipeline::process`] is the whole per-object flow (read the record -> fetch -> the
//! transform -> put the outputs -> write the record); the Lambda function ([`Function`], binary
//! `bootstrap`) and the local job (`imagepipe-local`) only decide which objects to hand it and
//! what to do with its answer. [`transforms`] is where the transform is chosen.
#![forbid(unsafe_code)]

mod batch_operations;
mod function;
pub mod function_config;
pub mod local_job;
mod metrics_line;
mod pipeline;
pub mod s3_notification;
pub mod sdk_timeouts;
pub mod transforms;
mod warm_up;

pub use function::{ANSWER_RESERVE, Function, FunctionError, invocation_deadline};
pub use function_config::FunctionConfig;
pub use pipeline::{Outcome, Pipeline, ProcessError};
pub use sdk_timeouts::SdkTimeouts;
pub use warm_up::{WARM_UP_OBJECT_ID, warm_connections};
