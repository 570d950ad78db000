//! The placeholder a web app paints first: the ThumbHash decodes to the rendition's shape and
//! colour, the average colour is exact, alpha is kept, and it reaches the record's `result`.
mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{fast_config, raw};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use imagepipe_core::avif::{AvifTransform, ImageSummary, Pixels, Placeholder};
use imagepipe_core::{Input, Transform};

fn thumbhash_bytes(placeholder: &Placeholder) -> Vec<u8> {
    STANDARD
        .decode(&placeholder.thumbhash)
        .unwrap_or_else(|e| panic!("{:?} is not padded base64: {e}", placeholder.thumbhash))
}

/// Width / height of the image the ThumbHash decodes to.
fn decoded_aspect_ratio(placeholder: &Placeholder) -> f64 {
    let (w, h, _) = thumbhash::thumb_hash_to_rgba(&thumbhash_bytes(placeholder)).expect("decodes");
    w as f64 / h as f64
}

fn hex(rgb: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2])
}

/// The summary the transform hands the pipeline for the record's `result`.
fn complete_through_the_pipeline(
    image: DynamicImage,
    renditions: &[(&str, u32, u32)],
) -> ImageSummary {
    let transform = AvifTransform::new(fast_config(renditions));
    let raw = raw("in.png", common::encode(&image, ImageFormat::Png));
    let input = Input {
        identity: raw.identity,
        bytes: raw.bytes,
    };
    let product = transform.apply(input).expect("transforms");
    serde_json::from_value(product.summary).expect("the summary is an ImageSummary")
}

#[test]
fn a_solid_colour_gives_its_exact_average_and_a_thumbhash_of_that_colour() {
    let colour = [12, 200, 99];
    let record = complete_through_the_pipeline(
        DynamicImage::ImageRgb8(RgbImage::from_pixel(300, 200, Rgb(colour))),
        &[("display", 160, 160), ("thumb", 40, 40)],
    );
    let placeholder = &record.placeholder;
    assert_eq!(placeholder.average_color, hex(colour));

    // ThumbHash quantises colour to 6 bits per channel of its own colour space.
    let hash = thumbhash_bytes(placeholder);
    let (r, g, b, a) = thumbhash::thumb_hash_to_average_rgba(&hash).expect("decodes");
    for (decoded, expected) in [r, g, b].into_iter().zip(colour) {
        let expected = f32::from(expected) / 255.0;
        assert!((decoded - expected).abs() < 0.04, "{decoded} vs {expected}");
    }
    assert_eq!(a, 1.0, "opaque");
    let (_, _, pixels) = thumbhash::thumb_hash_to_rgba(&hash).expect("decodes");
    for pixel in pixels.chunks_exact(4) {
        for (&decoded, expected) in pixel.iter().zip(colour) {
            assert!(decoded.abs_diff(expected) <= 12, "{pixel:?} vs {colour:?}");
        }
        assert_eq!(pixel[3], 255);
    }
}

#[test]
fn the_thumbhash_keeps_the_renditions_aspect_ratio() {
    // ThumbHash stores the ratio as lx / ly with each side at most 7 (5 with alpha): within
    // 20 % for ratios from 1:2 to 2:1, and always on the right side of square.
    for (width, height) in [(300, 200), (200, 300), (240, 240), (400, 225), (160, 320)] {
        let record = complete_through_the_pipeline(
            DynamicImage::ImageRgb8(common::quadrants(width, height)),
            &[("thumb", 120, 120)],
        );
        let rendition = &record.renditions[0];
        let expected = f64::from(rendition.width) / f64::from(rendition.height);
        let ratio = decoded_aspect_ratio(&record.placeholder);
        assert!(
            (ratio / expected - 1.0).abs() <= 0.2,
            "{width}x{height}: decoded ratio {ratio}, rendition {expected}"
        );
        assert_eq!(
            ratio.partial_cmp(&1.0),
            expected.partial_cmp(&1.0),
            "{width}x{height}: landscape, portrait or square"
        );
    }
}

#[test]
fn transparent_pixels_do_not_tint_the_average_and_alpha_is_in_both() {
    // Left half transparent red, right half opaque blue.
    let image = RgbaImage::from_fn(100, 50, |x, _| {
        if x < 50 {
            Rgba([255, 0, 0, 0])
        } else {
            Rgba([0, 0, 255, 255])
        }
    });
    let placeholder = Placeholder::from_pixels(&Pixels::Rgba8(image));
    // Mean alpha 127.5 rounds to 128.
    assert_eq!(placeholder.average_color, "#0000ff80");

    let (w, _, pixels) =
        thumbhash::thumb_hash_to_rgba(&thumbhash_bytes(&placeholder)).expect("decodes");
    let alpha_at = |x: usize| pixels[(x + 8 * w) * 4 + 3];
    assert!(alpha_at(1) < 64, "left is transparent: {}", alpha_at(1));
    assert!(
        alpha_at(w - 2) > 192,
        "right is opaque: {}",
        alpha_at(w - 2)
    );
}

#[test]
fn an_opaque_image_with_an_alpha_channel_has_a_six_digit_average() {
    let image = RgbaImage::from_pixel(30, 20, Rgba([1, 2, 3, 255]));
    let placeholder = Placeholder::from_pixels(&Pixels::Rgba8(image));
    assert_eq!(placeholder.average_color, "#010203");
    let hash = thumbhash_bytes(&placeholder);
    assert_eq!(
        thumbhash::thumb_hash_to_average_rgba(&hash)
            .expect("decodes")
            .3,
        1.0
    );
}

#[test]
fn a_fully_transparent_image_is_transparent_black() {
    let image = RgbaImage::from_pixel(20, 20, Rgba([200, 100, 50, 0]));
    let placeholder = Placeholder::from_pixels(&Pixels::Rgba8(image));
    assert_eq!(placeholder.average_color, "#00000000");
}

#[test]
fn a_semi_transparent_source_keeps_its_alpha_through_the_pipeline() {
    // Already inside the box, so no resize (which premultiplies in 8 bits) shifts the colour.
    let record = complete_through_the_pipeline(
        DynamicImage::ImageRgba8(RgbaImage::from_pixel(40, 30, Rgba([10, 20, 30, 64]))),
        &[("thumb", 40, 40)],
    );
    let placeholder = record.placeholder;
    assert_eq!(placeholder.average_color, "#0a141e40");
    let hash = thumbhash_bytes(&placeholder);
    let alpha = thumbhash::thumb_hash_to_average_rgba(&hash)
        .expect("decodes")
        .3;
    assert!((alpha - 64.0 / 255.0).abs() < 0.05, "{alpha}");
}

#[test]
fn extreme_strips_and_single_pixels_get_a_placeholder() {
    for (width, height) in [(1, 1), (1, 600), (600, 1)] {
        let image = RgbImage::from_pixel(width, height, Rgb([9, 9, 9]));
        let placeholder = Placeholder::from_pixels(&Pixels::Rgb8(image));
        assert_eq!(placeholder.average_color, "#090909", "{width}x{height}");
        assert!(thumbhash_bytes(&placeholder).len() >= 5, "{width}x{height}");
    }
}

#[test]
fn the_summary_serialises_the_placeholder_as_padded_base64() {
    let record = complete_through_the_pipeline(
        DynamicImage::ImageRgb8(RgbImage::from_pixel(64, 48, Rgb([255, 128, 0]))),
        &[("thumb", 32, 32)],
    );
    let json = serde_json::to_value(&record).expect("serialises");
    assert_eq!(json["placeholder"]["average_color"], "#ff8000");
    let thumbhash = json["placeholder"]["thumbhash"].as_str().expect("a string");
    assert_eq!(thumbhash.len() % 4, 0, "padded: {thumbhash}");
    let back: ImageSummary = serde_json::from_value(json).expect("deserialises");
    assert_eq!(back, record);
}
