use ravif::{BitDepth, Encoder, Img};
use rgb::FromSlice;

use crate::intermediate::Pixels;

/// Bits per channel of the AVIF output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputBitDepth {
    /// The default: rav1e's 8-bit paths have the most assembly; at the same speed and
    /// SSIMULACRA2 it takes about half the time of 10-bit for ~6% more bytes
    /// (docs/bench/encoders.md).
    Eight,
    /// ravif's own default: smoother gradients from 8-bit sources at a higher encode cost.
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
    /// Chosen from the measured speed/size frontier (docs/bench/encoders.md, made by
    /// dev/bench/encoders.py): speed 9, 8-bit is its knee (speed 8 takes 2.3-3x the time for
    /// at most 12% fewer bytes, speed 10 saves a quarter of the time for up to 16% more bytes;
    /// no speed reaches sharp's size), and quality 70 is the median of the qualities at which it
    /// matched the SSIMULACRA2 of sharp's defaults (quality 50, effort 4) on the benchmark
    /// photographs (68, 70, 82), so moving from the AWS serverless image handler does not
    /// silently lower quality.
    fn default() -> Self {
        Self {
            quality: 70.0,
            alpha_quality: 70.0,
            speed: 9,
            bit_depth: OutputBitDepth::Eight,
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
