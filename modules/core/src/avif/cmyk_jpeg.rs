//! CMYK JPEG samples as stored. `image`'s JPEG decoder turns CMYK into RGB itself with a naive
//! formula that ignores the embedded profile, so a profiled CMYK JPEG is decoded with zune-jpeg
//! (the decoder `image` wraps) asking for the samples untouched.

use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

use super::error::AvifError;
use super::limits::Limits;

/// The stored CMYK samples (four bytes a pixel, inverted as CMYK JPEGs store them), or `None`
/// when the image is not CMYK (then the ordinary decode path applies).
pub(crate) fn decode_stored_cmyk(
    bytes: &[u8],
    limits: &Limits,
) -> Result<Option<Vec<u8>>, AvifError> {
    let corrupt = |error: zune_jpeg::errors::DecodeErrors| AvifError::Corrupt {
        format: "JPEG".to_owned(),
        detail: error.to_string(),
    };
    // Lenient like `image`'s own use of zune-jpeg, so both paths accept the same files.
    let options = DecoderOptions::default()
        .set_strict_mode(false)
        .set_max_width(limits.max_dimension as usize)
        .set_max_height(limits.max_dimension as usize);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().map_err(corrupt)?;
    let stored = match decoder.input_colorspace() {
        Some(space @ (ColorSpace::CMYK | ColorSpace::YCCK)) => space,
        _ => return Ok(None),
    };
    // Asking for the input colour space returns the samples without conversion.
    decoder.set_options(decoder.options().jpeg_set_out_colorspace(stored));
    let (width, height) = decoder.dimensions().unwrap_or_default();
    let needed = width as u64 * height as u64 * 4;
    if needed > limits.max_decode_bytes {
        return Err(AvifError::DecodeMemory {
            limit: limits.max_decode_bytes,
            detail: format!("{width}x{height} CMYK decodes to {needed} bytes"),
        });
    }
    let mut samples = decoder.decode().map_err(corrupt)?;
    if stored == ColorSpace::YCCK {
        ycck_to_stored_cmyk(&mut samples);
    }
    Ok(Some(samples))
}

/// YCCK is CMYK whose inverted C, M and Y went through the JPEG YCbCr transform: undo it the
/// way libjpeg does (C = 255 - R, ...), leaving K as stored.
fn ycck_to_stored_cmyk(samples: &mut [u8]) {
    for pixel in samples.chunks_exact_mut(4) {
        let y = f32::from(pixel[0]);
        let cb = f32::from(pixel[1]) - 128.0;
        let cr = f32::from(pixel[2]) - 128.0;
        let rgb = [
            y + 1.402 * cr,
            y - 0.344_136 * cb - 0.714_136 * cr,
            y + 1.772 * cb,
        ];
        for (sample, value) in pixel.iter_mut().zip(rgb) {
            *sample = 255 - value.round().clamp(0.0, 255.0) as u8;
        }
    }
}
