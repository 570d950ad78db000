use std::path::{Path, PathBuf};

use anyhow::Context;
use ssimulacra2::{ColorPrimaries, Rgb, TransferCharacteristic, compute_frame_ssimulacra2};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    reference: PathBuf,
    #[arg(long)]
    distorted: PathBuf,
}

pub fn run(args: &Args) -> anyhow::Result<serde_json::Value> {
    let score = compute_frame_ssimulacra2(load(&args.reference)?, load(&args.distorted)?)?;
    Ok(serde_json::json!({ "ssimulacra2": score }))
}

/// Decoded PNGs are sRGB; 16-bit ones (avifdec's output for 10-bit AVIF) keep their precision
/// through the float conversion.
fn load(path: &Path) -> anyhow::Result<Rgb> {
    let image = image::open(path)
        .with_context(|| format!("reading {}", path.display()))?
        .into_rgb32f();
    let (width, height) = image.dimensions();
    let data = image.pixels().map(|p| p.0).collect();
    Ok(Rgb::new(
        data,
        width as usize,
        height as usize,
        TransferCharacteristic::SRGB,
        ColorPrimaries::BT709,
    )?)
}
