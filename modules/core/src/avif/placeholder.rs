use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::intermediate::Pixels;
use super::rendition::fit_inside;
use super::resize::resize;

/// The `thumbhash` crate asserts its input is at most 100 x 100: ThumbHash keeps only a handful
/// of DCT coefficients, so more pixels cost time and change nothing.
const THUMBHASH_MAX_SIDE: u32 = 100;

/// What a web app paints before the image itself has loaded.
///
/// ThumbHash rather than BlurHash: it also encodes the aspect ratio and the alpha channel (a
/// BlurHash of a transparent logo is an opaque smear), it needs no component-count setting per
/// image, and its reference encoder is a dependency-free crate by the format's author.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placeholder {
    /// The ThumbHash bytes in base64: standard alphabet (`+`, `/`) with `=` padding (RFC 4648
    /// section 4), what `btoa` writes and what every base64 decoder reads.
    pub thumbhash: String,
    /// The mean colour as CSS hex: `#rrggbb`, or `#rrggbbaa` when some pixel is not fully
    /// opaque (`aa` is then the mean alpha and the colour is weighted by alpha, so what cannot
    /// be seen does not tint it).
    pub average_color: String,
}

impl Placeholder {
    /// From pixels the pipeline already has: its smallest rendition, before encoding.
    pub fn from_pixels(pixels: &Pixels) -> Self {
        let (width, height) = pixels.dimensions();
        let (small_width, small_height) =
            fit_inside(width, height, THUMBHASH_MAX_SIDE, THUMBHASH_MAX_SIDE);
        let small = resize(pixels, small_width, small_height);
        let rgba: Cow<'_, [u8]> = match small.as_ref() {
            Pixels::Rgba8(image) => Cow::Borrowed(image.as_raw()),
            Pixels::Rgb8(image) => Cow::Owned(
                image
                    .pixels()
                    .flat_map(|p| [p[0], p[1], p[2], u8::MAX])
                    .collect(),
            ),
        };
        let hash =
            thumbhash::rgba_to_thumb_hash(small_width as usize, small_height as usize, &rgba);
        Self {
            thumbhash: STANDARD.encode(hash),
            average_color: average_color(pixels),
        }
    }
}

/// Averaged over every pixel given, in sRGB values as stored (what a browser's own downscale
/// shows), not in linear light.
fn average_color(pixels: &Pixels) -> String {
    match pixels {
        Pixels::Rgb8(image) => {
            let mut sums = [0u64; 3];
            for pixel in image.pixels() {
                for (sum, &channel) in sums.iter_mut().zip(&pixel.0) {
                    *sum += u64::from(channel);
                }
            }
            let count = u64::from(image.width()) * u64::from(image.height());
            let [r, g, b] = sums.map(|sum| rounded_div(sum, count));
            format!("#{r:02x}{g:02x}{b:02x}")
        }
        Pixels::Rgba8(image) => {
            let mut weighted = [0u64; 3];
            let mut alpha_sum = 0u64;
            let mut opaque = true;
            for pixel in image.pixels() {
                let [r, g, b, a] = pixel.0.map(u64::from);
                weighted[0] += r * a;
                weighted[1] += g * a;
                weighted[2] += b * a;
                alpha_sum += a;
                opaque &= a == u64::from(u8::MAX);
            }
            // A fully transparent image has no visible colour: black, alpha 0.
            let [r, g, b] = weighted.map(|sum| rounded_div(sum, alpha_sum));
            if opaque {
                return format!("#{r:02x}{g:02x}{b:02x}");
            }
            let count = u64::from(image.width()) * u64::from(image.height());
            let a = rounded_div(alpha_sum, count);
            format!("#{r:02x}{g:02x}{b:02x}{a:02x}")
        }
    }
}

/// `sum / count` rounded to the nearest integer; 0 when there is nothing to divide by. Every
/// caller divides a sum of `count` values of at most 255 (or a weighted one), so it fits a u8.
fn rounded_div(sum: u64, count: u64) -> u8 {
    if count == 0 {
        return 0;
    }
    u8::try_from((sum + count / 2) / count).unwrap_or(u8::MAX)
}
