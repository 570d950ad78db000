//! Colour management in decode: tagged sources are converted to sRGB, untagged and sRGB ones
//! are left alone, and a profile that cannot be used falls back to sRGB with a note. Expected
//! colours come from the published RGB-to-RGB matrices and transfer curves, not from moxcms.

mod common;

use common::*;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{DynamicImage, GrayImage, ImageBuffer, ImageEncoder, Luma, Rgb, RgbImage};
use imagepipe_core::avif::{Intermediate, Limits, Pixels, decode};
use moxcms::ColorProfile;

/// Linear Display P3 -> linear sRGB (both D65).
const P3_TO_SRGB: [[f64; 3]; 3] = [
    [1.224_940, -0.224_940, 0.0],
    [-0.042_057, 1.042_057, 0.0],
    [-0.019_638, -0.078_636, 1.098_274],
];
/// Linear Adobe RGB (1998) -> linear sRGB (both D65).
const ADOBE_TO_SRGB: [[f64; 3]; 3] = [
    [1.398_283, -0.398_283, 0.0],
    [0.0, 1.0, 0.0],
    [0.0, -0.042_938, 1.042_938],
];
const ADOBE_GAMMA: f64 = 563.0 / 256.0;

/// Saturated but inside sRGB, so clipping does not hide a missing conversion.
const COLOURS: [[u8; 3]; 4] = [[200, 80, 60], [60, 160, 90], [30, 60, 200], [230, 200, 40]];

fn srgb_decode(v: f64) -> f64 {
    if v <= 0.04045 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

fn srgb_encode(v: f64) -> u8 {
    let v = v.clamp(0.0, 1.0);
    let e = if v <= 0.003_130_8 {
        12.92 * v
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    };
    (e * 255.0).round() as u8
}

fn expected(colour: [u8; 3], decode_curve: impl Fn(f64) -> f64, matrix: [[f64; 3]; 3]) -> [u8; 3] {
    let linear = colour.map(|c| decode_curve(f64::from(c) / 255.0));
    matrix.map(|row| srgb_encode(row.iter().zip(linear).map(|(m, l)| m * l).sum()))
}

fn p3_expected(colour: [u8; 3]) -> [u8; 3] {
    expected(colour, srgb_decode, P3_TO_SRGB)
}

fn adobe_expected(colour: [u8; 3]) -> [u8; 3] {
    expected(colour, |v| v.powf(ADOBE_GAMMA), ADOBE_TO_SRGB)
}

/// One 16x16 flat patch per colour, side by side.
fn patches(colours: &[[u8; 3]]) -> RgbImage {
    RgbImage::from_fn(16 * colours.len() as u32, 16, |x, _| {
        Rgb(colours[(x / 16) as usize])
    })
}

fn patch_centres(pixels: &Pixels, count: usize) -> Vec<[u8; 3]> {
    (0..count as u32)
        .map(|i| rgb(pixels, i * 16 + 8, 8))
        .collect()
}

fn rgb(pixels: &Pixels, x: u32, y: u32) -> [u8; 3] {
    match pixels {
        Pixels::Rgb8(image) => image.get_pixel(x, y).0,
        Pixels::Rgba8(image) => {
            let [r, g, b, _] = image.get_pixel(x, y).0;
            [r, g, b]
        }
    }
}

fn assert_within(actual: &[[u8; 3]], expected: &[[u8; 3]], tolerance: u8, what: &str) {
    for (a, e) in actual.iter().zip(expected) {
        let off = a
            .iter()
            .zip(e)
            .map(|(a, e)| a.abs_diff(*e))
            .max()
            .unwrap_or(0);
        assert!(
            off <= tolerance,
            "{what}: got {actual:?}, expected {expected:?} (off by {off})"
        );
    }
}

fn png(image: &DynamicImage, icc: Option<Vec<u8>>, exif: Option<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = PngEncoder::new(&mut out);
    if let Some(icc) = icc {
        encoder
            .set_icc_profile(icc)
            .expect("PNG takes an ICC profile");
    }
    if let Some(exif) = exif {
        encoder.set_exif_metadata(exif).expect("PNG takes EXIF");
    }
    encoder
        .write_image(
            image.as_bytes(),
            image.width(),
            image.height(),
            image.color().into(),
        )
        .expect("fixture encodes");
    out
}

fn jpeg(image: &RgbImage, icc: Vec<u8>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut out, 100);
    encoder
        .set_icc_profile(icc)
        .expect("JPEG takes an ICC profile");
    encoder
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgb8,
        )
        .expect("fixture encodes");
    out
}

/// A PNG written by the png crate with its colour chunks set by `configure`.
fn png_with_chunks(
    image: &RgbImage,
    configure: impl FnOnce(&mut png::Encoder<&mut Vec<u8>>),
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, image.width(), image.height());
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    configure(&mut encoder);
    let mut writer = encoder.write_header().expect("header");
    writer.write_image_data(image.as_raw()).expect("data");
    writer.finish().expect("finish");
    out
}

fn decode_ok(bytes: Vec<u8>) -> Intermediate {
    decode(raw("fixture", bytes), &Limits::default()).expect("fixture decodes")
}

fn icc(profile: &ColorProfile) -> Vec<u8> {
    profile.encode().expect("moxcms writes the profile")
}

#[test]
fn display_p3_png_is_converted_to_srgb() {
    let want: Vec<_> = COLOURS.iter().map(|&c| p3_expected(c)).collect();
    // The test could not tell a missing conversion from a right one if they were close.
    assert!(
        COLOURS
            .iter()
            .zip(&want)
            .any(|(c, w)| c.iter().zip(w).any(|(c, w)| c.abs_diff(*w) > 10)),
        "conversion changes the test colours: {want:?}"
    );
    let source = DynamicImage::ImageRgb8(patches(&COLOURS));
    let decoded = decode_ok(png(
        &source,
        Some(icc(&ColorProfile::new_display_p3())),
        None,
    ));
    assert_within(
        &patch_centres(decoded.pixels(), COLOURS.len()),
        &want,
        2,
        "Display P3 PNG",
    );
    assert_eq!(decoded.source().color_space, "Display P3");
    assert_eq!(decoded.source().color_note, None);
}

#[test]
fn adobe_rgb_jpeg_profile_in_app2_is_converted() {
    let want: Vec<_> = COLOURS.iter().map(|&c| adobe_expected(c)).collect();
    let decoded = decode_ok(jpeg(
        &patches(&COLOURS),
        icc(&ColorProfile::new_adobe_rgb()),
    ));
    // JPEG at quality 100 still moves flat colours by a level or two.
    assert_within(
        &patch_centres(decoded.pixels(), COLOURS.len()),
        &want,
        4,
        "Adobe RGB JPEG",
    );
    assert_eq!(decoded.source().color_space, "Adobe RGB 1998");
}

#[test]
fn untagged_and_srgb_sources_are_left_exactly_as_they_are() {
    let image = patches(&COLOURS);
    let source = DynamicImage::ImageRgb8(image.clone());
    let cases = [
        (png(&source, None, None), "untagged"),
        (
            png(&source, Some(icc(&ColorProfile::new_srgb())), None),
            "sRGB IEC61966-2.1",
        ),
        (
            png_with_chunks(&image, |e| {
                e.set_source_srgb(png::SrgbRenderingIntent::Perceptual)
            }),
            "srgb",
        ),
        (
            png_with_chunks(&image, |e| {
                e.set_source_gamma(png::ScaledFloat::from_scaled(45455))
            }),
            "srgb (png gAMA 0.45455)",
        ),
    ];
    for (bytes, label) in cases {
        let decoded = decode_ok(bytes);
        assert_eq!(decoded.source().color_space, label);
        assert_eq!(decoded.source().color_note, None, "{label}");
        match decoded.pixels() {
            Pixels::Rgb8(pixels) => assert!(pixels == &image, "{label}: pixels changed"),
            other => panic!("{label}: {other:?}"),
        }
    }
}

#[test]
fn unparsable_profiles_fall_back_to_srgb_with_a_note() {
    let image = patches(&COLOURS);
    let garbage = b"not an ICC profile at all, just bytes".repeat(8);
    let from_png = decode_ok(png(
        &DynamicImage::ImageRgb8(image.clone()),
        Some(garbage.clone()),
        None,
    ));
    let from_jpeg = decode_ok(jpeg(&image, garbage));
    for decoded in [&from_png, &from_jpeg] {
        assert_eq!(decoded.source().color_space, "unreadable ICC profile");
        let note = decoded.source().color_note.as_deref().expect("a note");
        assert!(note.contains("could not be parsed"), "{note}");
        assert!(note.contains("taken as sRGB"), "{note}");
    }
    match from_png.pixels() {
        Pixels::Rgb8(pixels) => assert!(pixels == &image, "pixels changed"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn greyscale_with_a_linear_grey_profile_gets_the_srgb_tone_curve() {
    let grey = DynamicImage::ImageLuma8(GrayImage::from_pixel(16, 16, Luma([128])));
    let decoded = decode_ok(png(
        &grey,
        Some(icc(&ColorProfile::new_gray_with_gamma(1.0))),
        None,
    ));
    let want = srgb_encode(128.0 / 255.0);
    assert_within(
        &[rgb(decoded.pixels(), 8, 8)],
        &[[want; 3]],
        1,
        "linear grey 128",
    );
    assert!(
        want > 180,
        "sRGB encoding of linear 0.5 is about 188, got {want}"
    );
}

#[test]
fn png_gamma_without_srgb_chunk_is_honoured() {
    let image = RgbImage::from_pixel(16, 16, Rgb([128, 64, 200]));
    let decoded = decode_ok(png_with_chunks(&image, |e| {
        e.set_source_gamma(png::ScaledFloat::new(1.0))
    }));
    let want = [128u8, 64, 200].map(|c| srgb_encode(f64::from(c) / 255.0));
    assert_within(&[rgb(decoded.pixels(), 8, 8)], &[want], 1, "linear PNG");
    assert_eq!(decoded.source().color_space, "png gAMA 1.00000");
}

/// The memory path: a 16-bit source is converted at 16 bits, then made 8-bit, then turned.
#[test]
fn sixteen_bit_rotated_tagged_source_is_converted_and_turned_upright() {
    let [a, b, c, d] = COLOURS;
    let colour16 = |c: [u8; 3]| Rgb(c.map(|v| u16::from(v) * 257));
    // Quadrants: a (top left), b (top right), c (bottom left), d (bottom right); 64x32 stored.
    let stored: ImageBuffer<Rgb<u16>, Vec<u16>> = ImageBuffer::from_fn(64, 32, |x, y| {
        colour16(match (x < 32, y < 16) {
            (true, true) => a,
            (false, true) => b,
            (true, false) => c,
            (false, false) => d,
        })
    });
    let bytes = png(
        &DynamicImage::ImageRgb16(stored),
        Some(icc(&ColorProfile::new_adobe_rgb())),
        Some(exif_orientation(6)),
    );
    let decoded = decode_ok(bytes);
    assert_eq!(decoded.source().orientation, 6);
    assert_eq!(decoded.source().bit_depth, 16);
    assert_eq!((decoded.source().width, decoded.source().height), (32, 64));
    assert_eq!(decoded.pixels().dimensions(), (32, 64));
    // Orientation 6 turns the stored image 90 degrees clockwise: bottom left comes to the top left.
    let corners = [(4, 4), (27, 4), (4, 59), (27, 59)].map(|(x, y)| rgb(decoded.pixels(), x, y));
    let want = [c, a, d, b].map(adobe_expected);
    assert_within(&corners, &want, 1, "16-bit Adobe RGB, orientation 6");
}
