use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use imagepipe_core::avif::{AvifSettings, decode, encode};

use crate::read_raw;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    input: PathBuf,
}

/// The whole transform as the Lambda function runs it, so rendition-level choices (parallel
/// renditions, resize before encode) are measured end to end.
pub fn run(args: &Args) -> anyhow::Result<serde_json::Value> {
    let vars: BTreeMap<String, String> = std::env::vars().collect();
    let config = AvifSettings::from_vars(&vars)?;
    let raw = read_raw(&args.input)?;
    let started = Instant::now();
    let complete = encode(decode(raw, &config.limits)?, &config)?;
    let total_s = started.elapsed().as_secs_f64();
    let timings = complete.timings();
    let renditions: Vec<_> = complete
        .renditions()
        .iter()
        .map(|r| serde_json::json!({"name": r.name, "width": r.width, "height": r.height, "bytes": r.avif.len()}))
        .collect();
    Ok(serde_json::json!({
        "total_s": total_s,
        "decode_s": timings.decode_us as f64 / 1e6,
        "resize_s": timings.resize_us as f64 / 1e6,
        "encode_s": timings.encode_us as f64 / 1e6,
        "renditions": renditions,
    }))
}
