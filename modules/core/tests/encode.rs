//! Intermediate -> Complete -> Record: renditions, AVIF validity, alpha, keys and the record.

mod common;

use common::*;
use image::{DynamicImage, ImageFormat};
use imagepipe_core::avif::{AvifTransform, ImageSummary, decode, encode, kind};
use imagepipe_core::{Input, ObjectIdentity, Transform};

#[test]
fn each_rendition_fits_its_box_keeps_the_aspect_ratio_and_is_valid_avif() {
    let bytes = encode_fixture(
        DynamicImage::ImageRgb8(quadrants(400, 300)),
        ImageFormat::Png,
    );
    let config = fast_config(&[
        ("thumb", 100, 100),
        ("wide", 1000, 200),
        ("display", 1600, 1600),
    ]);
    let intermediate = decode(raw("photos/cat.png", bytes), &config.limits).expect("decodes");
    let complete = encode(intermediate, &config).expect("encodes");

    let expected = [
        ("thumb", 100, 75),
        ("wide", 267, 200),
        ("display", 400, 300),
    ];
    assert_eq!(complete.renditions().len(), expected.len());
    for (rendition, (name, width, height)) in complete.renditions().iter().zip(expected) {
        assert_eq!(rendition.name, name);
        assert_eq!(
            (rendition.width, rendition.height),
            (width, height),
            "{name}"
        );
        let (w, h, alpha, depth) = avif_info(&rendition.avif);
        assert_eq!((w, h), (width, height), "{name}: AV1 frame size");
        assert!(!alpha, "{name}: opaque source has no alpha plane");
        assert_eq!(depth, 8);
    }
}

#[test]
fn alpha_is_preserved_and_ten_bit_output_is_honoured() {
    let bytes = encode_fixture(
        DynamicImage::ImageRgba8(gradient_rgba(64, 48)),
        ImageFormat::Png,
    );
    let mut config = fast_config(&[("small", 32, 32)]);
    config.encoder.bit_depth = imagepipe_core::avif::OutputBitDepth::Ten;
    let intermediate = decode(raw("logo.png", bytes), &config.limits).expect("decodes");
    let complete = encode(intermediate, &config).expect("encodes");
    let (w, h, alpha, depth) = avif_info(&complete.renditions()[0].avif);
    assert_eq!((w, h), (32, 24));
    assert!(alpha, "translucent source keeps an alpha plane");
    assert_eq!(depth, 10);
}

#[test]
fn renditions_are_never_upscaled() {
    let bytes = encode_fixture(DynamicImage::ImageRgb8(quadrants(50, 20)), ImageFormat::Png);
    let config = fast_config(&[("display", 1600, 1600)]);
    let complete = encode(
        decode(raw("small.png", bytes), &config.limits).expect("decodes"),
        &config,
    )
    .expect("encodes");
    let rendition = &complete.renditions()[0];
    assert_eq!((rendition.width, rendition.height), (50, 20));
    assert_eq!(avif_info(&rendition.avif).0, 50);
}

#[test]
fn one_pixel_wide_strips_encode() {
    let bytes = encode_fixture(
        DynamicImage::ImageRgb8(quadrants(1, 3000)),
        ImageFormat::Png,
    );
    let config = fast_config(&[("thumb", 320, 320)]);
    let complete = encode(
        decode(raw("strip.png", bytes), &config.limits).expect("decodes"),
        &config,
    )
    .expect("encodes");
    let rendition = &complete.renditions()[0];
    assert_eq!((rendition.width, rendition.height), (1, 320));
    assert_eq!(avif_info(&rendition.avif).1, 320);
}

#[test]
fn the_transform_hands_over_named_avif_outputs_and_an_image_summary() {
    let bytes = encode_fixture(
        DynamicImage::ImageRgb8(quadrants(120, 80)),
        ImageFormat::Jpeg,
    );
    let transform = AvifTransform::new(fast_config(&[("thumb", 60, 60), ("big", 100, 100)]));
    let identity = ObjectIdentity::new("in", "a b/c+d.jpg", bytes.len() as u64);
    let product = transform
        .apply(Input { identity, bytes })
        .expect("transforms");

    let names: Vec<_> = product.outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["thumb", "big"]);
    for output in &product.outputs {
        assert_eq!(
            (output.extension, output.content_type),
            ("avif", "image/avif")
        );
        avif_info(&output.bytes);
    }
    let summary: ImageSummary =
        serde_json::from_value(product.summary.clone()).expect("an image summary");
    assert_eq!((summary.source.width, summary.source.height), (120, 80));
    let sizes: Vec<_> = summary
        .renditions
        .iter()
        .map(|r| (r.name.as_str(), r.width, r.height))
        .collect();
    assert_eq!(sizes, [("thumb", 60, 40), ("big", 100, 67)]);
    assert!(summary.timings.encode_us > 0);
    assert_eq!(product.summary["source"]["format"], "jpeg");
    assert!(product.warnings.is_empty(), "{:?}", product.warnings);
    assert_eq!(
        transform.settings()["renditions"],
        "thumb=60x60,big=100x100"
    );
}

#[test]
fn a_refused_image_is_a_failure_naming_the_kind_and_the_reason() {
    let identity = ObjectIdentity::new("in", "broken.jpg", 3);
    let input = Input {
        identity,
        bytes: b"abc".to_vec(),
    };
    let failure = AvifTransform::default()
        .apply(input)
        .expect_err("not an image");
    assert_eq!(failure.kind, kind::UNSUPPORTED_FORMAT);
    assert!(
        failure.reason.contains("not an image"),
        "{}",
        failure.reason
    );
    let json = serde_json::to_value(&failure).expect("serialises");
    assert_eq!(json["kind"], "unsupported_format");
}

#[test]
fn every_bundled_sample_converts() {
    let config = fast_config(&[("thumb", 96, 96)]);
    let dir = samples_dir().join("images");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("samples/images exists") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("readable");
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 name")
            .to_owned();
        let intermediate =
            decode(raw(&name, bytes), &config.limits).unwrap_or_else(|e| panic!("{name}: {e}"));
        let complete = encode(intermediate, &config).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (w, h, _, _) = avif_info(&complete.renditions()[0].avif);
        assert!(w <= 96 && h <= 96, "{name}: {w}x{h}");
        count += 1;
    }
    assert!(count >= 8, "expected the 8 bundled samples, found {count}");
}

fn encode_fixture(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
    common::encode(&image, format)
}
