use std::io::Cursor;
use std::time::Instant;

use image::error::{ImageError, LimitErrorKind};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};
use sha2::{Digest, Sha256};

use super::cmyk_jpeg::decode_stored_cmyk;
use super::colour::SourceColour;
use super::error::AvifError;
use super::intermediate::{Intermediate, Pixels};
use super::limits::Limits;
use super::raw::Raw;
use super::sniff::sniff_format;
use super::source::{SourceFormat, SourceMetadata};
use super::truncation::check_complete;

/// Raw -> Intermediate: sniff the format from the bytes, refuse oversized or hostile images from
/// their header and files cut short, decode, apply the EXIF orientation and convert to 8-bit
/// RGB(A) for the encoder.
pub fn decode(raw: Raw, limits: &Limits) -> Result<Intermediate, AvifError> {
    let started = Instant::now();
    let Raw { identity, bytes } = raw;
    if bytes.is_empty() {
        return Err(AvifError::Empty);
    }
    let format = sniff_format(&bytes)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes.as_slice()), format.image_format());
    reader.limits(decoder_limits(limits));
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| map_image_error(e, format, limits))?;

    let (width, height) = decoder.dimensions();
    limits.check_dimensions(width, height)?;
    let decoded_bytes = decoder.total_bytes();
    if decoded_bytes > limits.max_decode_bytes {
        return Err(AvifError::DecodeMemory {
            limit: limits.max_decode_bytes,
            detail: format!("{width}x{height} decodes to {decoded_bytes} bytes"),
        });
    }
    // After the header checks (a decompression bomb is often a header alone, and is refused
    // as such) and before any pixel is decoded.
    check_complete(format, &bytes).map_err(|detail| AvifError::Corrupt {
        format: format.name().to_owned(),
        detail,
    })?;
    // A broken EXIF block must not cost the whole image: fall back to "no rotation".
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let original = decoder.original_color_type();
    // The decoded type, not the original: a palette PNG with a tRNS chunk decodes to RGBA.
    let has_alpha = decoder.color_type().has_alpha();
    // A profile the container cannot even hand over is as unusable as one that does not parse.
    let icc = decoder.icc_profile().unwrap_or(None);
    let mut colour = SourceColour::identify(icc.as_deref(), format, &bytes);

    let stored_cmyk = if format == SourceFormat::Jpeg && colour.is_cmyk() {
        decode_stored_cmyk(&bytes, limits)?
    } else {
        None
    };
    let image =
        match stored_cmyk.and_then(|samples| colour.convert_stored_cmyk(samples)) {
            Some(rgb) => DynamicImage::ImageRgb8(
                RgbImage::from_raw(width, height, rgb).ok_or_else(|| AvifError::Corrupt {
                    format: format.name().to_owned(),
                    detail: "CMYK samples do not match the image's dimensions".to_owned(),
                })?,
            ),
            None => {
                if colour.is_cmyk() {
                    colour.not_applied("a CMYK profile on an image that does not decode as CMYK");
                }
                let mut image = DynamicImage::from_decoder(decoder)
                    .map_err(|e| map_image_error(e, format, limits))?;
                colour.convert_to_srgb(&mut image);
                image
            }
        };
    let pixels = upright_8bit(image, orientation, has_alpha);
    let (width, height) = pixels.dimensions();
    let source = SourceMetadata {
        format,
        width,
        height,
        orientation: orientation.to_exif(),
        has_alpha,
        bit_depth: bits_per_channel(original),
        color_type: format!("{original:?}").to_ascii_lowercase(),
        color_space: colour.label,
        color_note: colour.note,
        byte_size: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(&bytes)),
    };
    Ok(Intermediate {
        identity,
        source,
        pixels,
        decode_time: started.elapsed(),
    })
}

/// 8-bit first, then upright: a 16-bit source is freed before the turned copy is made, so a
/// rotation costs a second 8-bit buffer, not a second 16-bit one.
fn upright_8bit(image: DynamicImage, orientation: Orientation, has_alpha: bool) -> Pixels {
    let mut image = if has_alpha {
        DynamicImage::ImageRgba8(image.into_rgba8())
    } else {
        DynamicImage::ImageRgb8(image.into_rgb8())
    };
    image.apply_orientation(orientation);
    if has_alpha {
        Pixels::Rgba8(image.into_rgba8())
    } else {
        Pixels::Rgb8(image.into_rgb8())
    }
}

fn decoder_limits(limits: &Limits) -> image::Limits {
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = Some(limits.max_dimension);
    decoder_limits.max_image_height = Some(limits.max_dimension);
    decoder_limits.max_alloc = Some(limits.max_decode_bytes);
    decoder_limits
}

fn map_image_error(error: ImageError, format: SourceFormat, limits: &Limits) -> AvifError {
    match error {
        ImageError::Limits(limit) => match limit.kind() {
            LimitErrorKind::DimensionError => AvifError::DimensionLimit {
                limit: limits.max_dimension,
                detail: limit.to_string(),
            },
            _ => AvifError::DecodeMemory {
                limit: limits.max_decode_bytes,
                detail: limit.to_string(),
            },
        },
        ImageError::Unsupported(unsupported) => AvifError::UnsupportedFormat(format!(
            "{} feature not supported: {unsupported}",
            format.name()
        )),
        other => AvifError::Corrupt {
            format: format.name().to_owned(),
            detail: other.to_string(),
        },
    }
}

fn bits_per_channel(color: image::ExtendedColorType) -> u8 {
    let channels = u16::from(color.channel_count().max(1));
    u8::try_from(color.bits_per_pixel() / channels).unwrap_or(u8::MAX)
}
