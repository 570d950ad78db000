//! Benchmark helper driven by `dev/bench/encoders.py`: each subcommand does one measured
//! thing and prints one JSON line, so the script can run every encoder as a separate process
//! (peak RSS and CPU time then come from the kernel, the same way for every peer).
#![forbid(unsafe_code)]

mod cpu_time;
mod encode;
mod pipeline;
mod score;

use std::path::Path;

use anyhow::Context;
use clap::{Parser, Subcommand};
use imagepipe_core::ObjectIdentity;
use imagepipe_core::avif::Raw;

#[derive(Parser)]
#[command(about = "ravif encodes and SSIMULACRA2 scores for the encoder benchmark")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Encode a PNG to AVIF with imagepipe-core's encoder; prints the encode time.
    Encode(encode::Args),
    /// SSIMULACRA2 of a distorted PNG against the reference PNG.
    Score(score::Args),
    /// Decode and encode every configured rendition, configured by IMAGEPIPE_* variables.
    Pipeline(pipeline::Args),
}

fn main() -> anyhow::Result<()> {
    let report = match Cli::parse().command {
        Command::Encode(args) => encode::run(&args)?,
        Command::Score(args) => score::run(&args)?,
        Command::Pipeline(args) => pipeline::run(&args)?,
    };
    println!("{report}");
    Ok(())
}

/// A file as the pipeline's first stage, the way the function holds a fetched object.
fn read_raw(path: &Path) -> anyhow::Result<Raw> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let identity = ObjectIdentity::new("bench", path.display().to_string(), bytes.len() as u64);
    Ok(Raw::new(identity, bytes))
}
