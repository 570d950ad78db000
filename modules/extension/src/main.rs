//! The Lambda extension (telemetry-derived cold start, duration, memory and cost metrics).
//! Filled in by its own issue; it depends on no other crate of this workspace.
#![forbid(unsafe_code)]

fn main() {}
