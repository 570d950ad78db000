use serde_json::{Value, json};

use super::complete::encode;
use super::config::AvifSettings;
use super::decode::decode;
use super::raw::Raw;
use super::summary::ImageSummary;
use crate::failure::Failure;
use crate::transform::{Input, Output, Product, Transform};

/// Images to AVIF renditions: the shipped [`Transform`].
#[derive(Debug, Clone, Default)]
pub struct AvifTransform {
    settings: AvifSettings,
}

impl AvifTransform {
    pub fn new(settings: AvifSettings) -> Self {
        Self { settings }
    }
}

impl Transform for AvifTransform {
    fn name(&self) -> &'static str {
        "avif"
    }

    /// Encoder threads are left out: they change how fast, not what is made.
    fn settings(&self) -> Value {
        let settings = &self.settings;
        let renditions: Vec<String> = settings
            .renditions
            .iter()
            .map(|r| format!("{}={}x{}", r.name, r.max_width, r.max_height))
            .collect();
        json!({
            "renditions": renditions.join(","),
            "quality": settings.encoder.quality,
            "alpha_quality": settings.encoder.alpha_quality,
            "speed": settings.encoder.speed,
            "bit_depth": settings.encoder.bit_depth.bits(),
            "max_dimension": settings.limits.max_dimension,
            "max_pixels": settings.limits.max_pixels,
            "max_decode_bytes": settings.limits.max_decode_bytes,
        })
    }

    fn apply(&self, input: Input) -> Result<Product, Failure> {
        let raw = Raw::new(input.identity, input.bytes);
        let complete = decode(raw, &self.settings.limits)
            .and_then(|intermediate| encode(intermediate, &self.settings))?;
        let summary = ImageSummary::of(&complete);
        let warnings = complete
            .source()
            .color_note
            .iter()
            .map(|note| {
                format!(
                    "colour profile ({}) not applied, pixels taken as sRGB: {note}",
                    complete.source().color_space
                )
            })
            .collect();
        let outputs = complete
            .into_renditions()
            .into_iter()
            .map(|rendition| Output {
                name: rendition.name,
                extension: "avif",
                content_type: "image/avif",
                bytes: rendition.avif,
            })
            .collect();
        Ok(Product {
            outputs,
            summary: serde_json::to_value(summary).expect("an image summary is plain data"),
            warnings,
        })
    }
}
