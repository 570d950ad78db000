//! The libaom backend (cargo feature `aom`): libavif converts to Y'CbCr 4:4:4 (as ravif does, so
//! the backends differ only in the AV1 encoder) and drives libaom's all-intra mode.

use libavif::{Encoder, RgbPixels, YuvFormat};

use crate::avif_encoder::{AvifEncoder, EncodeError};
use crate::encode::{EncoderSettings, OutputBitDepth};
use crate::intermediate::Pixels;

/// Encodes opaque 8-bit pixels. The safe libavif API has no alpha plane, so pixels with real
/// transparency go to ravif instead (see [`EncoderSettings::encode`]); an alpha channel that is
/// fully opaque is dropped, as ravif drops it.
pub(crate) fn encode(settings: &EncoderSettings, pixels: &Pixels) -> Result<Vec<u8>, EncodeError> {
    if settings.bit_depth != OutputBitDepth::Eight {
        return Err(EncodeError::UnsupportedBitDepth(AvifEncoder::Aom));
    }
    let (width, height) = pixels.dimensions();
    let opaque_rgb;
    let rgb: &[u8] = match pixels {
        Pixels::Rgb8(image) => image.as_raw(),
        Pixels::Rgba8(image) => {
            opaque_rgb = image
                .as_raw()
                .chunks_exact(4)
                .flat_map(|rgba| &rgba[..3])
                .copied()
                .collect::<Vec<u8>>();
            &opaque_rgb
        }
    };
    let image = RgbPixels::new(width, height, rgb)?.to_image(YuvFormat::Yuv444);
    let mut encoder = Encoder::new();
    encoder
        // libavif's scale is 0-100 like ravif's, but the same number is not the same quality.
        .set_quality(settings.quality.round().clamp(0.0, 100.0) as u8)
        // libavif maps speed s to libaom's cpu-used min(s, 9) in all-intra mode.
        .set_speed(settings.speed)
        .set_max_threads(settings.threads.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        }));
    Ok(encoder.encode(&image)?.to_vec())
}

/// Whether the aom backend can encode these pixels without losing anything.
pub(crate) fn keeps_everything_of(pixels: &Pixels) -> bool {
    match pixels {
        Pixels::Rgb8(_) => true,
        Pixels::Rgba8(image) => image.pixels().all(|p| p.0[3] == u8::MAX),
    }
}
