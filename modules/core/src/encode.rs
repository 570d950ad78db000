use ravif::{BitDepth, Encoder, Img};
use rgb::FromSlice;

use crate::intermediate::Pixels;

/// Bits per channel of the AVIF output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputBitDepth {
    Eight,
    /// ravif's default: better quality per byte for gradients, decoded everywhere AVIF is.
    Ten,
}

impl OutputBitDepth {
    pub fn from_bits(bits: u8) -> Option<Self> {
        match bits {
            8 => Some(Self::Eight),
            10 => Some(Self::Ten),
            _ => None,
        }
    }

    pub fn bits(self) -> u8 {
        match self {
            Self::Eight => 8,
            Self::Ten => 10,
        }
    }
}

/// AVIF encoder settings (ravif's scales: quality 1-100, speed 1 = slowest/smallest to 10).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EncoderSettings {
    pub quality: f32,
    pub alpha_quality: f32,
    pub speed: u8,
    pub bit_depth: OutputBitDepth,
    /// Encoder threads; `None` uses every core the function has (rav1e parallelises by tiles).
    pub threads: Option<usize>,
}

impl Default for EncoderSettings {
    /// Quality 60 is roughly where AVIF matches a JPEG at quality 80-85 in file-size studies;
    /// speed 7 trades a few percent of size for several times less CPU than ravif's default 5,
    /// which matters more on Lambda where CPU time is the bill.
    fn default() -> Self {
        Self {
            quality: 60.0,
            alpha_quality: 70.0,
            speed: 7,
            bit_depth: OutputBitDepth::Ten,
            threads: None,
        }
    }
}

impl EncoderSettings {
    fn encoder(&self) -> Encoder<'static> {
        Encoder::new()
            .with_quality(self.quality)
            .with_alpha_quality(self.alpha_quality)
            .with_speed(self.speed)
            .with_bit_depth(match self.bit_depth {
                OutputBitDepth::Eight => BitDepth::Eight,
                OutputBitDepth::Ten => BitDepth::Ten,
            })
            .with_num_threads(self.threads)
    }

    /// Encodes 8-bit pixels to an AVIF file. ravif drops an alpha channel that is fully opaque.
    pub fn encode(&self, pixels: &Pixels) -> Result<Vec<u8>, ravif::Error> {
        let encoder = self.encoder();
        let encoded = match pixels {
            Pixels::Rgb8(image) => {
                let (w, h) = image.dimensions();
                encoder.encode_rgb(Img::new(image.as_raw().as_rgb(), w as usize, h as usize))?
            }
            Pixels::Rgba8(image) => {
                let (w, h) = image.dimensions();
                encoder.encode_rgba(Img::new(image.as_raw().as_rgba(), w as usize, h as usize))?
            }
        };
        Ok(encoded.avif_file)
    }
}
