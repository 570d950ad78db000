//! The pure half of the imagepipe Lambda extension: Telemetry API records in, one CloudWatch
//! Embedded Metric Format line per invocation out. No I/O here, so every figure is testable from
//! JSON fixtures; `main.rs` only wires these to the Extensions and Telemetry APIs.
#![forbid(unsafe_code)]

pub mod aggregator;
pub mod architecture;
pub mod config;
pub mod cost;
pub mod emf;
pub mod invocation;
pub mod pipeline_figures;
pub mod telemetry;

pub use aggregator::Aggregator;
pub use architecture::Architecture;
pub use config::{Config, ConfigError};
pub use cost::Pricing;
pub use emf::EmfRenderer;
pub use invocation::InvocationMetrics;
pub use pipeline_figures::PipelineFigures;
pub use telemetry::{TelemetryError, TelemetryRecord, TimedRecord, parse_batch};
