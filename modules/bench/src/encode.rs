use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use imagepipe_core::avif::{EncoderSettings, Limits, OutputBitDepth, decode};

use crate::cpu_time::process_cpu_s;
use crate::read_raw;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    input: PathBuf,
    #[arg(long)]
    output: PathBuf,
    #[arg(long)]
    quality: f32,
    #[arg(long)]
    speed: u8,
    /// 8 or 10.
    #[arg(long, default_value_t = 10)]
    depth: u8,
    /// 0 = every core (the pipeline's default).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

/// Times the encode alone: the decode (the pipeline's own, so the encoder gets exactly the
/// pixels the function would give it) is the benchmark's input, not the encoder's work.
pub fn run(args: &Args) -> anyhow::Result<serde_json::Value> {
    let decoded = decode(read_raw(&args.input)?, &Limits::default())?;
    let pixels = decoded.pixels();
    let settings = EncoderSettings {
        quality: args.quality,
        speed: args.speed,
        bit_depth: OutputBitDepth::from_bits(args.depth).context("--depth must be 8 or 10")?,
        threads: (args.threads > 0).then_some(args.threads),
        ..EncoderSettings::default()
    };
    let cpu_before = process_cpu_s();
    let started = Instant::now();
    let avif = settings.encode(pixels)?;
    let encode_s = started.elapsed().as_secs_f64();
    let encode_cpu_s = process_cpu_s() - cpu_before;
    std::fs::write(&args.output, &avif)
        .with_context(|| format!("writing {}", args.output.display()))?;
    let (width, height) = pixels.dimensions();
    Ok(serde_json::json!({
        "encode_s": encode_s,
        "encode_cpu_s": encode_cpu_s,
        "bytes": avif.len(),
        "width": width,
        "height": height,
    }))
}
