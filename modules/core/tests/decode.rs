//! Raw -> Intermediate: every accepted format and colour type, EXIF orientation, and every way
//! an input can be refused.

mod common;

use common::*;
use image::{DynamicImage, GrayAlphaImage, GrayImage, ImageBuffer, ImageFormat, LumaA, Rgb, Rgba};
use imagepipe_core::avif::{AvifError, Limits, Pixels, SourceFormat, decode, sniff_format};

fn decode_ok(bytes: Vec<u8>) -> imagepipe_core::avif::Intermediate {
    decode(raw("fixture", bytes), &Limits::default()).expect("fixture decodes")
}

fn decode_err(bytes: Vec<u8>, limits: &Limits) -> AvifError {
    decode(raw("fixture", bytes), limits).expect_err("input is refused")
}

fn rgb_at(pixels: &Pixels, x: u32, y: u32) -> [u8; 3] {
    match pixels {
        Pixels::Rgb8(image) => image.get_pixel(x, y).0,
        Pixels::Rgba8(image) => {
            let p = image.get_pixel(x, y).0;
            [p[0], p[1], p[2]]
        }
    }
}

fn assert_close(actual: [u8; 3], expected: [u8; 3], what: &str) {
    let far = actual.iter().zip(expected).any(|(a, e)| a.abs_diff(e) > 40);
    assert!(!far, "{what}: got {actual:?}, expected about {expected:?}");
}

#[test]
fn every_accepted_format_is_sniffed_from_its_bytes_and_decodes() {
    let image = DynamicImage::ImageRgb8(quadrants(40, 30));
    for (format, expected) in [
        (ImageFormat::Png, SourceFormat::Png),
        (ImageFormat::Jpeg, SourceFormat::Jpeg),
        (ImageFormat::WebP, SourceFormat::Webp),
        (ImageFormat::Gif, SourceFormat::Gif),
        (ImageFormat::Tiff, SourceFormat::Tiff),
    ] {
        let bytes = encode(&image, format);
        let decoded = decode_ok(bytes.clone());
        let source = decoded.source();
        assert_eq!(source.format, expected, "{format:?}");
        assert_eq!((source.width, source.height), (40, 30), "{format:?}");
        assert_eq!(source.byte_size, bytes.len() as u64);
        assert_eq!(source.sha256.len(), 64);
        assert_eq!(decoded.pixels().dimensions(), (40, 30));
        assert_close(
            rgb_at(decoded.pixels(), 2, 2),
            RED,
            &format!("{format:?} top left"),
        );
        assert_close(
            rgb_at(decoded.pixels(), 37, 27),
            WHITE,
            &format!("{format:?} bottom right"),
        );
    }
}

#[test]
fn the_key_extension_is_ignored_in_favour_of_the_content() {
    let png = encode(&DynamicImage::ImageRgb8(quadrants(8, 8)), ImageFormat::Png);
    let decoded = decode(raw("photo.jpg", png), &Limits::default()).expect("decodes");
    assert_eq!(decoded.source().format, SourceFormat::Png);
}

#[test]
fn sixteen_bit_and_greyscale_sources_become_8_bit_rgb_with_correct_values() {
    let rgb16: ImageBuffer<Rgb<u16>, Vec<u16>> =
        ImageBuffer::from_fn(16, 8, |x, _| Rgb([if x < 8 { 65535 } else { 0 }, 0, 32896]));
    let decoded = decode_ok(encode(&DynamicImage::ImageRgb16(rgb16), ImageFormat::Png));
    assert_eq!(decoded.source().bit_depth, 16);
    assert_eq!(decoded.source().color_type, "rgb16");
    assert_eq!(rgb_at(decoded.pixels(), 0, 0), [255, 0, 128]);
    assert_eq!(rgb_at(decoded.pixels(), 15, 0), [0, 0, 128]);

    let grey = GrayImage::from_fn(16, 8, |x, _| image::Luma([(x * 16) as u8]));
    let decoded = decode_ok(encode(&DynamicImage::ImageLuma8(grey), ImageFormat::Png));
    assert!(!decoded.source().has_alpha);
    assert!(matches!(decoded.pixels(), Pixels::Rgb8(_)));
    assert_eq!(rgb_at(decoded.pixels(), 4, 0), [64, 64, 64]);
}

#[test]
fn greyscale_with_alpha_keeps_its_alpha() {
    let image = GrayAlphaImage::from_fn(8, 8, |x, _| LumaA([200, if x < 4 { 0 } else { 255 }]));
    let decoded = decode_ok(encode(&DynamicImage::ImageLumaA8(image), ImageFormat::Png));
    assert!(decoded.source().has_alpha);
    let Pixels::Rgba8(pixels) = decoded.pixels() else {
        panic!("alpha source must decode to RGBA");
    };
    assert_eq!(pixels.get_pixel(0, 0).0, [200, 200, 200, 0]);
    assert_eq!(pixels.get_pixel(7, 0).0, [200, 200, 200, 255]);
}

#[test]
fn sixteen_bit_greyscale_sample_decodes() {
    let decoded = decode_ok(sample("images/gradient-16bit.png"));
    assert_eq!(decoded.source().bit_depth, 16);
    assert_eq!(decoded.source().color_type, "l16");
    assert_eq!(rgb_at(decoded.pixels(), 255, 0), [255, 255, 255]);
    assert_eq!(rgb_at(decoded.pixels(), 0, 0), [0, 0, 0]);
}

#[test]
fn cmyk_jpeg_is_converted_to_the_right_rgb_colours() {
    let from_cmyk = decode_ok(sample("images/astronaut-cmyk.jpg"));
    // zune-jpeg converts CMYK to RGB inside the decoder, so the source reports `rgb8`.
    // The same picture stored as RGB: the CMYK conversion must land near the same colours.
    let rgb = image::load_from_memory(&sample("images/astronaut.jpg"))
        .expect("rgb sample decodes")
        .resize_exact(160, 160, image::imageops::FilterType::Triangle)
        .into_rgb8();
    let mut total_difference = 0u64;
    for (x, y) in [(20, 20), (80, 80), (140, 30), (30, 140), (100, 120)] {
        let a = rgb_at(from_cmyk.pixels(), x, y);
        let b = rgb.get_pixel(x, y).0;
        total_difference += a
            .iter()
            .zip(b)
            .map(|(a, b)| u64::from(a.abs_diff(b)))
            .sum::<u64>();
    }
    // Inverted (Adobe) CMYK read as plain CMYK would give a photographic negative: hundreds.
    assert!(
        total_difference < 5 * 3 * 40,
        "CMYK colours are off by {total_difference}"
    );
}

#[test]
fn palette_gif_and_tiff_samples_decode() {
    let gif = decode_ok(sample("images/astronaut-palette.gif"));
    assert_eq!(gif.source().format, SourceFormat::Gif);
    assert_eq!(gif.pixels().dimensions(), (128, 128));
    let tiff = decode_ok(sample("images/chelsea.tiff"));
    assert_eq!(tiff.source().format, SourceFormat::Tiff);
}

#[test]
fn palette_png_with_transparency_decodes_to_rgba() {
    // The `png` crate can write an indexed image with a tRNS chunk; `image` cannot.
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, 4, 1);
        encoder.set_color(png::ColorType::Indexed);
        encoder.set_palette(vec![255, 0, 0, 0, 0, 255]);
        encoder.set_trns(vec![0, 255]);
        let mut writer = encoder.write_header().expect("header");
        writer.write_image_data(&[0, 1, 0, 1]).expect("data");
    }
    let decoded = decode_ok(bytes);
    assert!(decoded.source().has_alpha);
    let Pixels::Rgba8(pixels) = decoded.pixels() else {
        panic!("tRNS palette must decode to RGBA");
    };
    assert_eq!(pixels.get_pixel(0, 0).0[3], 0);
    assert_eq!(pixels.get_pixel(1, 0).0, [0, 0, 255, 255]);
}

#[test]
fn animated_gif_uses_its_first_frame() {
    use image::codecs::gif::GifEncoder;
    use image::{Delay, Frame};
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut bytes);
        for colour in [[255, 0, 0, 255], [0, 0, 255, 255]] {
            let frame = Frame::from_parts(
                image::RgbaImage::from_pixel(6, 4, Rgba(colour)),
                0,
                0,
                Delay::from_numer_denom_ms(100, 1),
            );
            encoder.encode_frame(frame).expect("frame encodes");
        }
    }
    let decoded = decode_ok(bytes);
    assert_close(rgb_at(decoded.pixels(), 3, 2), RED, "first frame");
}

#[test]
fn all_eight_exif_orientations_are_applied() {
    let source = quadrants(64, 32);
    // Expected corners (top-left, top-right, bottom-left, bottom-right) after each orientation.
    type Corners = [[u8; 3]; 4];
    let cases: [(u16, (u32, u32), Corners); 8] = [
        (1, (64, 32), [RED, GREEN, BLUE, WHITE]),
        (2, (64, 32), [GREEN, RED, WHITE, BLUE]),
        (3, (64, 32), [WHITE, BLUE, GREEN, RED]),
        (4, (64, 32), [BLUE, WHITE, RED, GREEN]),
        (5, (32, 64), [RED, BLUE, GREEN, WHITE]),
        (6, (32, 64), [BLUE, RED, WHITE, GREEN]),
        (7, (32, 64), [WHITE, GREEN, BLUE, RED]),
        (8, (32, 64), [GREEN, WHITE, RED, BLUE]),
    ];
    for (orientation, (width, height), [tl, tr, bl, br]) in cases {
        let decoded = decode_ok(jpeg_with_orientation(&source, orientation));
        assert_eq!(decoded.source().orientation, orientation as u8);
        assert_eq!(
            (decoded.source().width, decoded.source().height),
            (width, height),
            "orientation {orientation}"
        );
        let pixels = decoded.pixels();
        let (w, h) = pixels.dimensions();
        let what = |corner: &str| format!("orientation {orientation}, {corner}");
        assert_close(rgb_at(pixels, 3, 3), tl, &what("top left"));
        assert_close(rgb_at(pixels, w - 4, 3), tr, &what("top right"));
        assert_close(rgb_at(pixels, 3, h - 4), bl, &what("bottom left"));
        assert_close(rgb_at(pixels, w - 4, h - 4), br, &what("bottom right"));
    }
}

#[test]
fn camera_style_exif_sample_is_turned_upright() {
    let decoded = decode_ok(sample("images/chelsea-exif-rotated.jpg"));
    assert_eq!(decoded.source().orientation, 6);
    // Stored 451 x 300 landscape; displayed portrait.
    assert_eq!(
        (decoded.source().width, decoded.source().height),
        (300, 451)
    );
}

#[test]
fn empty_input_is_refused() {
    let error = decode_err(Vec::new(), &Limits::default());
    assert_eq!(error, AvifError::Empty);
}

#[test]
fn unknown_content_is_an_unsupported_format_naming_what_it_starts_with() {
    for (bytes, expected_hint) in [
        (b"<!DOCTYPE html><html>".to_vec(), "<!DOCTYPE"),
        (vec![0x00, 0x01, 0x02, 0x03, 0x04], "\\0"),
    ] {
        let error = decode_err(bytes, &Limits::default());
        assert_eq!(error.kind(), imagepipe_core::avif::kind::UNSUPPORTED_FORMAT);
        assert!(error.to_string().contains(expected_hint), "{error}");
    }
}

#[test]
fn recognised_but_unaccepted_formats_are_refused_by_name() {
    let cases: [(&[u8], &str); 9] = [
        (b"\0\0\0\x18ftypheic\0\0\0\0mif1heic", "HEIC/HEIF"),
        (b"\0\0\0\x1cftypmif1\0\0\0\0mif1miaf", "HEIC/HEIF"),
        (b"\0\0\0\x20ftypavif\0\0\0\0avifmif1miaf", "AVIF"),
        (b"\xFF\x0A\xFA\x7F\x01\x90", "JPEG XL"),
        (b"\0\0\0\x0CJXL \r\n\x87\n\0\0\0\x14ftypjxl ", "JPEG XL"),
        (b"BM\0\0\0\0\0\0\0\0\0\0\0\0", "BMP"),
        (b"\0\0\x01\0\x01\0\x10\x10\0\0\x01\0\x20\0", "ICO"),
        (b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>", "SVG"),
        (
            b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<!-- logo -->\n<svg width=\"10\"></svg>",
            "SVG",
        ),
    ];
    for (bytes, name) in cases {
        let error = decode_err(bytes.to_vec(), &Limits::default());
        assert_eq!(
            error.kind(),
            imagepipe_core::avif::kind::UNSUPPORTED_FORMAT,
            "{name}"
        );
        assert!(
            error.to_string().contains(&format!("{name} is recognised")),
            "{name}: {error}"
        );
    }
}

#[test]
fn truncated_files_of_every_format_are_corrupt() {
    let image = DynamicImage::ImageRgb8(quadrants(64, 64));
    for format in [
        ImageFormat::Png,
        ImageFormat::Jpeg,
        ImageFormat::WebP,
        ImageFormat::Gif,
        ImageFormat::Tiff,
    ] {
        let bytes = encode(&image, format);
        for cut in [16, bytes.len() / 2, bytes.len() * 9 / 10, bytes.len() - 1] {
            let error = decode_err(bytes[..cut].to_vec(), &Limits::default());
            assert_eq!(
                error.kind(),
                imagepipe_core::avif::kind::CORRUPT,
                "{format:?} cut at {cut} of {}: {error}",
                bytes.len()
            );
        }
    }
    let error = decode_err(sample("hostile/corrupt.jpg"), &Limits::default());
    assert_eq!(error.kind(), imagepipe_core::avif::kind::CORRUPT, "{error}");
}

#[test]
fn bytes_after_a_jpeg_end_of_image_are_allowed_but_an_appended_image_must_be_whole() {
    let jpeg = encode(
        &DynamicImage::ImageRgb8(quadrants(64, 64)),
        ImageFormat::Jpeg,
    );
    let mut padded = jpeg.clone();
    padded.extend_from_slice(&[0; 4096]);
    padded.extend_from_slice(b"camera trailer");
    assert_eq!(decode_ok(padded).pixels().dimensions(), (64, 64));

    // Multi-picture files append a second image after the first one's end-of-image marker.
    let mut two = jpeg.clone();
    two.extend_from_slice(&jpeg);
    assert_eq!(decode_ok(two.clone()).pixels().dimensions(), (64, 64));
    let error = decode_err(two[..two.len() - 10].to_vec(), &Limits::default());
    assert_eq!(error.kind(), imagepipe_core::avif::kind::CORRUPT, "{error}");
    assert!(error.to_string().contains("appended"), "{error}");
}

#[test]
fn decompression_bomb_headers_are_refused_without_decoding() {
    // 19000 x 19000 passes the per-side limit but not the pixel count.
    let error = decode_err(sample("hostile/bomb.png"), &Limits::default());
    assert_eq!(
        error,
        AvifError::TooManyPixels {
            width: 19_000,
            height: 19_000,
            pixels: 361_000_000,
            limit: 50_000_000
        }
    );
    // Over the per-side limit: the PNG decoder itself refuses while reading the header.
    let error = decode_err(png_header_only(100_000, 100_000), &Limits::default());
    assert_eq!(
        error.kind(),
        imagepipe_core::avif::kind::DIMENSIONS_TOO_LARGE,
        "{error}"
    );
    // Within the pixel limits but over the decode-memory limit.
    let limits = Limits {
        max_decode_bytes: 1_000_000,
        ..Limits::default()
    };
    let error = decode_err(png_header_only(1000, 1000), &limits);
    assert_eq!(
        error.kind(),
        imagepipe_core::avif::kind::DECODE_MEMORY,
        "{error}"
    );
}

#[test]
fn extreme_aspect_ratios_within_limits_decode() {
    for (w, h) in [(1, 20_000), (20_000, 1)] {
        let image = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(w, h, Rgb(BLUE)));
        let decoded = decode_ok(encode(&image, ImageFormat::Png));
        assert_eq!(decoded.pixels().dimensions(), (w, h));
    }
    let limits = Limits {
        max_dimension: 10_000,
        ..Limits::default()
    };
    let image = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(1, 10_001, Rgb(BLUE)));
    let error = decode_err(encode(&image, ImageFormat::Png), &limits);
    assert_eq!(
        error.kind(),
        imagepipe_core::avif::kind::DIMENSIONS_TOO_LARGE,
        "{error}"
    );
}

#[test]
fn sniffing_needs_only_the_first_bytes() {
    assert_eq!(
        sniff_format(b"\xFF\xD8\xFF\xE0").expect("jpeg"),
        SourceFormat::Jpeg
    );
    assert_eq!(sniff_format(b"GIF89a").expect("gif"), SourceFormat::Gif);
    assert!(sniff_format(b"").is_err());
}
