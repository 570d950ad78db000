//! Intermediate -> Complete -> Record: renditions, AVIF validity, alpha, keys and the record.

mod common;

use common::*;
use image::{DynamicImage, ImageFormat};
use imagepipe_core::{
    FailureKind, Limits, ObjectIdentity, PIPELINE_VERSION, Record, RecordStatus, decode, encode,
    rendition_key,
};

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
        assert!(rendition.key.ends_with(&format!("/{name}.avif")));
    }
}

#[test]
fn alpha_is_preserved_and_ten_bit_output_is_honoured() {
    let bytes = encode_fixture(
        DynamicImage::ImageRgba8(gradient_rgba(64, 48)),
        ImageFormat::Png,
    );
    let mut config = fast_config(&[("small", 32, 32)]);
    config.encoder.bit_depth = imagepipe_core::OutputBitDepth::Ten;
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
fn the_record_carries_identity_source_renditions_and_timings() {
    let bytes = encode_fixture(
        DynamicImage::ImageRgb8(quadrants(120, 80)),
        ImageFormat::Jpeg,
    );
    let config = fast_config(&[("thumb", 60, 60)]);
    let mut identity = ObjectIdentity::new("in", "a b/c+d.jpg", bytes.len() as u64);
    identity.version_id = Some("v1".to_owned());
    let raw = imagepipe_core::Raw::new(identity.clone(), bytes);
    let complete = encode(decode(raw, &config.limits).expect("decodes"), &config).expect("encodes");
    let record = Record::complete(&complete, 1_700_000_000_000);

    assert_eq!(record.object_id, "s3://in/a b/c+d.jpg");
    assert_eq!(record.status, RecordStatus::Complete);
    assert_eq!(record.identity, identity);
    assert_eq!(record.pipeline_version, PIPELINE_VERSION);
    let source = record
        .source
        .as_ref()
        .expect("complete records have a source");
    assert_eq!((source.width, source.height), (120, 80));
    assert_eq!(record.renditions.len(), 1);
    assert_eq!(
        record.renditions[0].key,
        rendition_key("renditions/", &identity, "thumb")
    );
    assert_eq!(
        record.renditions[0].bytes,
        complete.renditions()[0].avif.len() as u64
    );
    assert!(record.timings.expect("timings").encode_us > 0);
    assert!(record.failure.is_none());
    assert_eq!(record.placeholder.as_ref(), Some(complete.placeholder()));

    // The JSON shape is what the JSON-lines file and DynamoDB store: flat identity fields.
    let json = serde_json::to_value(&record).expect("serialises");
    assert_eq!(json["bucket"], "in");
    assert_eq!(json["key"], "a b/c+d.jpg");
    assert_eq!(json["status"], "complete");
    assert_eq!(json["source"]["format"], "jpeg");
    let back: Record = serde_json::from_value(json).expect("deserialises");
    assert_eq!(back, record);
}

#[test]
fn a_failed_record_names_the_kind_and_the_reason() {
    let identity = ObjectIdentity::new("in", "broken.jpg", 3);
    let error = decode(
        imagepipe_core::Raw::new(identity.clone(), b"abc".to_vec()),
        &Limits::default(),
    )
    .expect_err("not an image");
    let record = Record::failed(identity, (&error).into(), 1);
    assert_eq!(record.status, RecordStatus::Failed);
    let failure = record
        .failure
        .as_ref()
        .expect("failed records have a failure");
    assert_eq!(failure.kind, FailureKind::UnsupportedFormat);
    assert!(
        failure.reason.contains("not an image"),
        "{}",
        failure.reason
    );
    assert!(record.renditions.is_empty());
    assert!(record.placeholder.is_none());
    let json = serde_json::to_value(&record).expect("serialises");
    assert_eq!(json["failure"]["kind"], "unsupported_format");
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
