use std::time::Duration;

use image::{RgbImage, RgbaImage};

use super::source::SourceMetadata;
use crate::identity::ObjectIdentity;

/// Decoded pixels in the layout the AVIF encoder takes: 8-bit sRGB, with alpha only when the
/// source has an alpha channel (an opaque image costs a quarter less memory).
#[derive(Clone)]
pub enum Pixels {
    Rgb8(RgbImage),
    Rgba8(RgbaImage),
}

/// Only the shape: a derived `Debug` would print every pixel into logs and test failures.
impl std::fmt::Debug for Pixels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (width, height) = self.dimensions();
        let layout = match self {
            Self::Rgb8(_) => "Rgb8",
            Self::Rgba8(_) => "Rgba8",
        };
        write!(f, "{layout}({width}x{height})")
    }
}

impl Pixels {
    pub fn dimensions(&self) -> (u32, u32) {
        match self {
            Self::Rgb8(image) => image.dimensions(),
            Self::Rgba8(image) => image.dimensions(),
        }
    }
}

/// Stage 2: a validated, decoded, upright image and what was learned about its source. Only
/// [`super::decode`] builds one, so holding one proves the limits were checked.
#[derive(Debug, Clone)]
pub struct Intermediate {
    pub(crate) identity: ObjectIdentity,
    pub(crate) source: SourceMetadata,
    pub(crate) pixels: Pixels,
    pub(crate) decode_time: Duration,
}

impl Intermediate {
    pub fn identity(&self) -> &ObjectIdentity {
        &self.identity
    }

    pub fn source(&self) -> &SourceMetadata {
        &self.source
    }

    pub fn pixels(&self) -> &Pixels {
        &self.pixels
    }
}
