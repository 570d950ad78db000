//! What colour space a source declares, and the conversion of its pixels to sRGB, the space
//! the AVIF signals and every browser assumes for an untagged image.
//!
//! Precedence, as the PNG specification and browsers have it: an embedded ICC profile (JPEG APP2,
//! PNG iCCP, WebP ICCP, TIFF, GIF), then PNG's `sRGB` chunk, then PNG's `gAMA` (+ `cHRM`);
//! nothing at all means sRGB. A profile that cannot be used never fails the image: the pixels
//! are taken as sRGB and the record carries a note saying why.

use std::io::Cursor;

use image::DynamicImage;
use moxcms::{
    Chromaticity, CmsError, ColorPrimaries, ColorProfile, DataColorSpace, Layout, ProfileText,
    RenderingIntent, TransformExecutor, TransformOptions, XyY, curve_from_gamma,
};

use super::source::SourceFormat;

/// Pixels per transform call: the copy the transform reads from stays a few hundred KB however
/// large the image, so the conversion needs no second full-size buffer.
const CHUNK_PIXELS: usize = 64 * 1024;

/// Longest profile description kept for the record (descriptions come from the upload).
const MAX_LABEL_CHARS: usize = 96;

/// What the source declared about its colour, resolved to the conversion it needs.
#[derive(Debug)]
pub(crate) struct SourceColour {
    /// For the record: the profile's description, `srgb`, `png gAMA ...` or `untagged`.
    pub(crate) label: String,
    /// Why the declared colour space was not applied (the pixels were taken as sRGB).
    pub(crate) note: Option<String>,
    /// The profile to convert from; `None` when the pixels are sRGB already.
    profile: Option<ColorProfile>,
}

impl SourceColour {
    /// From the embedded ICC profile (if any) and, for PNGs, the colour chunks.
    pub(crate) fn identify(icc: Option<&[u8]>, format: SourceFormat, bytes: &[u8]) -> Self {
        if let Some(icc) = icc.filter(|icc| !icc.is_empty()) {
            return Self::from_icc(icc);
        }
        if format == SourceFormat::Png
            && let Some(declared) = Self::from_png_chunks(bytes)
        {
            return declared;
        }
        Self::srgb("untagged")
    }

    fn srgb(label: &str) -> Self {
        Self {
            label: label.to_owned(),
            note: None,
            profile: None,
        }
    }

    fn from_icc(icc: &[u8]) -> Self {
        let profile = match ColorProfile::new_from_slice(icc) {
            Ok(profile) => profile,
            Err(error) => {
                return Self {
                    label: "unreadable ICC profile".to_owned(),
                    note: Some(format!(
                        "the embedded ICC profile ({} bytes) could not be parsed ({error}); the pixels were taken as sRGB",
                        icc.len()
                    )),
                    profile: None,
                };
            }
        };
        let label = profile
            .description
            .as_ref()
            .and_then(describe)
            .unwrap_or_else(|| "ICC profile without a description".to_owned());
        if !matches!(
            profile.color_space,
            DataColorSpace::Rgb | DataColorSpace::Gray | DataColorSpace::Cmyk
        ) {
            return Self {
                note: Some(format!(
                    "the embedded ICC profile is for {:?} data, which is not converted; the pixels were taken as sRGB",
                    profile.color_space
                )),
                label,
                profile: None,
            };
        }
        // Most photos are tagged sRGB: converting sRGB to sRGB would only cost time and rounding.
        let profile = (!is_srgb_equivalent(&profile)).then_some(profile);
        Self {
            label,
            note: None,
            profile,
        }
    }

    /// PNG's `sRGB` chunk, else `gAMA` (with `cHRM` when present). `None` when neither is there
    /// or the header cannot be read (the decoder then reports the real error).
    fn from_png_chunks(bytes: &[u8]) -> Option<Self> {
        let reader = png::Decoder::new(Cursor::new(bytes)).read_info().ok()?;
        let info = reader.info();
        if info.srgb.is_some() {
            return Some(Self::srgb("srgb"));
        }
        let gamma = info.gama_chunk?.into_value();
        let chromaticities = info.chrm_chunk;
        let label = format!(
            "png gAMA {gamma:.5}{}",
            if chromaticities.is_some() {
                " + cHRM"
            } else {
                ""
            }
        );
        if !(0.01..=10.0).contains(&gamma) {
            return Some(Self {
                note: Some(format!(
                    "the PNG gAMA value {gamma} is not a usable gamma; the pixels were taken as sRGB"
                )),
                label,
                profile: None,
            });
        }
        // Encoders have long written gAMA 1/2.2 (with sRGB's primaries) to mean "sRGB"; tools
        // that ignore gAMA (libvips, Pillow) show such files as sRGB, and converting them would
        // darken their shadows for nothing. Any other gamma is honoured, as browsers do.
        let srgb_primaries = chromaticities.is_none_or(|c| {
            let srgb = [(0.3127, 0.3290), (0.64, 0.33), (0.30, 0.60), (0.15, 0.06)];
            [c.white, c.red, c.green, c.blue]
                .iter()
                .zip(srgb)
                .all(|((x, y), (sx, sy))| {
                    (x.into_value() - sx).abs() < 0.01 && (y.into_value() - sy).abs() < 0.01
                })
        });
        if (gamma - 1.0 / 2.2).abs() < 0.005 && srgb_primaries {
            return Some(Self::srgb(&format!("srgb ({label})")));
        }
        let mut profile = ColorProfile::new_srgb();
        if let Some(c) = chromaticities {
            let point = |(x, y): (png::ScaledFloat, png::ScaledFloat)| Chromaticity {
                x: x.into_value(),
                y: y.into_value(),
            };
            let white = point(c.white);
            profile.update_rgb_colorimetry(
                XyY {
                    x: f64::from(white.x),
                    y: f64::from(white.y),
                    yb: 1.0,
                },
                ColorPrimaries {
                    red: point(c.red),
                    green: point(c.green),
                    blue: point(c.blue),
                },
            );
        }
        // gAMA stores the encoding exponent; the profile's curve decodes.
        let curve = curve_from_gamma(1.0 / gamma);
        profile.red_trc = Some(curve.clone());
        profile.green_trc = Some(curve.clone());
        profile.blue_trc = Some(curve);
        profile.cicp = None;
        Some(Self {
            label,
            note: None,
            profile: Some(profile),
        })
    }

    /// Whether the source declares CMYK (a JPEG decoder must then deliver the CMYK samples).
    pub(crate) fn is_cmyk(&self) -> bool {
        self.profile
            .as_ref()
            .is_some_and(|p| p.color_space == DataColorSpace::Cmyk)
    }

    /// Converts the decoded pixels to sRGB in place, at their own bit depth (a 16-bit source
    /// keeps its precision until the 8-bit conversion).
    pub(crate) fn convert_to_srgb(&mut self, image: &mut DynamicImage) {
        let Some(profile) = self.profile.take() else {
            return;
        };
        let rgb = profile.color_space == DataColorSpace::Rgb;
        let grey = profile.color_space == DataColorSpace::Gray;
        let result = match image {
            DynamicImage::ImageRgb8(b) if rgb => transform(&profile, Layout::Rgb, b),
            DynamicImage::ImageRgba8(b) if rgb => transform(&profile, Layout::Rgba, b),
            DynamicImage::ImageRgb16(b) if rgb => transform(&profile, Layout::Rgb, b),
            DynamicImage::ImageRgba16(b) if rgb => transform(&profile, Layout::Rgba, b),
            DynamicImage::ImageRgb32F(b) if rgb => transform(&profile, Layout::Rgb, b),
            DynamicImage::ImageRgba32F(b) if rgb => transform(&profile, Layout::Rgba, b),
            DynamicImage::ImageLuma8(b) if grey => transform(&profile, Layout::Gray, b),
            DynamicImage::ImageLumaA8(b) if grey => transform(&profile, Layout::GrayAlpha, b),
            DynamicImage::ImageLuma16(b) if grey => transform(&profile, Layout::Gray, b),
            DynamicImage::ImageLumaA16(b) if grey => transform(&profile, Layout::GrayAlpha, b),
            other => Err(format!(
                "a {:?} profile does not fit the decoded {:?} pixels",
                profile.color_space,
                other.color()
            )),
        };
        if let Err(reason) = result {
            self.not_applied(&reason);
        }
    }

    /// CMYK samples as JPEG stores them (inverted, the Adobe convention every CMYK JPEG writer
    /// follows) to sRGB, in the same buffer: each chunk's RGB output lands before any CMYK
    /// sample still to be read. `None` (with a note) when the profile cannot be applied.
    pub(crate) fn convert_stored_cmyk(&mut self, mut samples: Vec<u8>) -> Option<Vec<u8>> {
        let profile = self.profile.take()?;
        let pixels = samples.len() / 4;
        let result = cmyk_to_srgb(&profile, &mut samples);
        match result {
            Ok(()) => {
                samples.truncate(pixels * 3);
                Some(samples)
            }
            Err(error) => {
                self.not_applied(&error.to_string());
                None
            }
        }
    }

    /// Records that the declared colour space could not be applied.
    pub(crate) fn not_applied(&mut self, reason: &str) {
        self.profile = None;
        self.note = Some(format!(
            "the colour profile was not applied ({reason}); the pixels were taken as sRGB"
        ));
    }
}

fn destination_for(source: &ColorProfile) -> ColorProfile {
    let srgb = ColorProfile::new_srgb();
    if source.color_space != DataColorSpace::Gray {
        return srgb;
    }
    // Grey stays one channel: grey with sRGB's tone curve is sRGB's neutral axis.
    let mut grey = ColorProfile::new_gray_with_gamma(2.2);
    grey.gray_trc = srgb.red_trc;
    grey
}

/// Relative colorimetric, as libvips (sharp) and Photoshop default to, without black-point
/// compensation; a LUT profile without colorimetric tables falls back to its perceptual ones.
fn with_intent<E>(create: impl Fn(TransformOptions) -> Result<E, CmsError>) -> Result<E, CmsError> {
    let options = |rendering_intent| TransformOptions {
        rendering_intent,
        ..TransformOptions::default()
    };
    create(options(RenderingIntent::RelativeColorimetric))
        .or_else(|_| create(options(RenderingIntent::Perceptual)))
}

/// Samples moxcms has a transform for.
trait Sample: Copy + Default {
    fn executor(
        source: &ColorProfile,
        layout: Layout,
        destination: &ColorProfile,
    ) -> Result<std::sync::Arc<dyn TransformExecutor<Self> + Send + Sync>, CmsError>;
}

impl Sample for u8 {
    fn executor(
        source: &ColorProfile,
        layout: Layout,
        destination: &ColorProfile,
    ) -> Result<std::sync::Arc<dyn TransformExecutor<u8> + Send + Sync>, CmsError> {
        with_intent(|options| source.create_transform_8bit(layout, destination, layout, options))
    }
}

impl Sample for u16 {
    fn executor(
        source: &ColorProfile,
        layout: Layout,
        destination: &ColorProfile,
    ) -> Result<std::sync::Arc<dyn TransformExecutor<u16> + Send + Sync>, CmsError> {
        with_intent(|options| source.create_transform_16bit(layout, destination, layout, options))
    }
}

impl Sample for f32 {
    fn executor(
        source: &ColorProfile,
        layout: Layout,
        destination: &ColorProfile,
    ) -> Result<std::sync::Arc<dyn TransformExecutor<f32> + Send + Sync>, CmsError> {
        with_intent(|options| source.create_transform_f32(layout, destination, layout, options))
    }
}

/// Converts interleaved samples in place, one chunk at a time through a small copy.
fn transform<T: Sample>(
    profile: &ColorProfile,
    layout: Layout,
    samples: &mut [T],
) -> Result<(), String> {
    let executor =
        T::executor(profile, layout, &destination_for(profile)).map_err(|e| e.to_string())?;
    let chunk_len = CHUNK_PIXELS * layout.channels();
    let mut source = vec![T::default(); chunk_len.min(samples.len())];
    for chunk in samples.chunks_mut(chunk_len) {
        let source = &mut source[..chunk.len()];
        source.copy_from_slice(chunk);
        executor
            .transform(source, chunk)
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn cmyk_to_srgb(profile: &ColorProfile, samples: &mut [u8]) -> Result<(), CmsError> {
    // moxcms reads four-channel CMYK with the RGBA layout.
    let srgb = ColorProfile::new_srgb();
    let executor = with_intent(|options| {
        profile.create_transform_8bit(Layout::Rgba, &srgb, Layout::Rgb, options)
    })?;
    let pixels = samples.len() / 4;
    let chunk = CHUNK_PIXELS.min(pixels);
    let mut ink = vec![0u8; chunk * 4];
    let mut rgb = vec![0u8; chunk * 3];
    let mut start = 0;
    while start < pixels {
        let count = chunk.min(pixels - start);
        let ink = &mut ink[..count * 4];
        for (ink, stored) in ink.iter_mut().zip(&samples[start * 4..(start + count) * 4]) {
            *ink = 255 - stored;
        }
        let rgb = &mut rgb[..count * 3];
        executor.transform(ink, rgb)?;
        samples[start * 3..(start + count) * 3].copy_from_slice(rgb);
        start += count;
    }
    Ok(())
}

/// True when converting from `profile` to sRGB would leave every 8-bit colour within one level:
/// checked on a grid of colours rather than by comparing tags, which differ between writers.
fn is_srgb_equivalent(profile: &ColorProfile) -> bool {
    if profile.color_space != DataColorSpace::Rgb {
        return false;
    }
    let Ok(executor) = u8::executor(profile, Layout::Rgb, &ColorProfile::new_srgb()) else {
        return false;
    };
    let levels: Vec<u8> = (0..=255u8).step_by(15).collect();
    let mut probe = Vec::with_capacity(levels.len().pow(3) * 3);
    for &r in &levels {
        for &g in &levels {
            for &b in &levels {
                probe.extend_from_slice(&[r, g, b]);
            }
        }
    }
    let mut converted = vec![0u8; probe.len()];
    executor.transform(&probe, &mut converted).is_ok()
        && probe
            .iter()
            .zip(&converted)
            .all(|(a, b)| a.abs_diff(*b) <= 1)
}

/// A profile's description as plain text, trimmed and bounded for the record.
fn describe(text: &ProfileText) -> Option<String> {
    let raw = match text {
        ProfileText::PlainString(s) => s.clone(),
        ProfileText::Localizable(strings) => strings
            .iter()
            .find(|s| s.language == "en")
            .or_else(|| strings.first())?
            .value
            .clone(),
        ProfileText::Description(d) if !d.ascii_string.trim_matches('\0').is_empty() => {
            d.ascii_string.clone()
        }
        ProfileText::Description(d) => d.unicode_string.clone(),
    };
    let cleaned: String = raw
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_LABEL_CHARS)
        .collect();
    let cleaned = cleaned.trim();
    (!cleaned.is_empty()).then(|| cleaned.to_owned())
}
