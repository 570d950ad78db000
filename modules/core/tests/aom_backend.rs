//! The AVIF encoder backend setting, and the libaom backend itself when the `aom` feature is
//! built: its renditions parse as AVIF at their sizes and decode, with an independent decoder
//! (avifdec, libavif-bin), to the picture that went in.

mod common;

use std::collections::BTreeMap;

use common::*;
use imagepipe_core::{AvifEncoder, PipelineConfig, vars::VAR_AVIF_ENCODER};

fn config_with(pairs: &[(&str, &str)]) -> Result<PipelineConfig, imagepipe_core::ConfigError> {
    let vars: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    PipelineConfig::from_vars(&vars)
}

#[test]
fn ravif_is_the_default_and_unknown_backends_are_refused() {
    assert_eq!(
        config_with(&[]).expect("defaults").encoder.backend,
        AvifEncoder::Ravif
    );
    let error = config_with(&[(VAR_AVIF_ENCODER, "svt")]).expect_err("unknown backend");
    assert!(error.to_string().contains("ravif, aom"), "{error}");
}

#[cfg(not(feature = "aom"))]
#[test]
fn aom_is_refused_when_the_feature_is_not_built() {
    let error = config_with(&[(VAR_AVIF_ENCODER, "aom")]).expect_err("not built");
    assert_eq!(error.variable, VAR_AVIF_ENCODER);
    assert!(error.to_string().contains("feature `aom`"), "{error}");
}

#[cfg(feature = "aom")]
mod with_aom {
    use std::process::Command;

    use image::{DynamicImage, ImageFormat};
    use imagepipe_core::{decode, encode, vars::VAR_AVIF_BIT_DEPTH};

    use super::*;

    fn aom_config(renditions: &[(&str, u32, u32)]) -> PipelineConfig {
        let mut config = fast_config(renditions);
        config.encoder.backend = AvifEncoder::Aom;
        config.encoder.speed = 9;
        config
    }

    /// Decodes with avifdec (dav1d or libaom of the system's libavif, not ours) to RGB pixels.
    fn avifdec(avif: &[u8]) -> image::RgbImage {
        let dir = tempfile_dir();
        let input = dir.join("in.avif");
        let output = dir.join("out.png");
        std::fs::write(&input, avif).expect("write avif");
        let status = Command::new("avifdec")
            .arg(&input)
            .arg(&output)
            .output()
            .expect(
                "avifdec must be installed (Debian libavif-bin): it is the independent decoder",
            );
        assert!(status.status.success(), "avifdec failed: {status:?}");
        let png = std::fs::read(&output).expect("avifdec wrote a PNG");
        std::fs::remove_dir_all(&dir).ok();
        image::load_from_memory(&png).expect("PNG").to_rgb8()
    }

    fn tempfile_dir() -> std::path::PathBuf {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "imagepipe-aom-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn the_setting_selects_aom_and_refuses_ten_bits() {
        let config = config_with(&[(VAR_AVIF_ENCODER, "aom")]).expect("built");
        assert_eq!(config.encoder.backend, AvifEncoder::Aom);
        let error = config_with(&[(VAR_AVIF_BIT_DEPTH, "10"), (VAR_AVIF_ENCODER, "aom")])
            .expect_err("10-bit aom");
        assert!(error.to_string().contains("8-bit"), "{error}");
    }

    #[test]
    fn aom_renditions_are_avif_of_their_size_and_decode_to_the_source() {
        let source = quadrants(400, 300);
        let bytes = common::encode(&DynamicImage::ImageRgb8(source), ImageFormat::Png);
        let config = aom_config(&[("thumb", 100, 100), ("display", 1600, 1600)]);
        let intermediate = decode(raw("a.png", bytes.clone()), &config.limits).expect("decodes");
        let complete = encode(intermediate, &config).expect("encodes with aom");

        for (rendition, (width, height)) in
            complete.renditions().iter().zip([(100, 75), (400, 300)])
        {
            assert_eq!(
                avif_info(&rendition.avif),
                (width, height, false, 8),
                "{}",
                rendition.name
            );
            let decoded = avifdec(&rendition.avif);
            assert_eq!(decoded.dimensions(), (width, height));
            // Each quadrant's centre keeps its colour (red, green, blue, white).
            for (x, y, colour) in [
                (width / 4, height / 4, RED),
                (3 * width / 4, height / 4, GREEN),
                (width / 4, 3 * height / 4, BLUE),
                (3 * width / 4, 3 * height / 4, WHITE),
            ] {
                let got = decoded.get_pixel(x, y).0;
                let close = got.iter().zip(colour).all(|(g, c)| g.abs_diff(c) <= 24);
                assert!(
                    close,
                    "{} at ({x},{y}): {got:?}, want {colour:?}",
                    rendition.name
                );
            }
        }

        // Not ravif under another name: the same pixels and settings give other bytes.
        let mut ravif = config.clone();
        ravif.encoder.backend = AvifEncoder::Ravif;
        let intermediate = decode(raw("a.png", bytes), &ravif.limits).expect("decodes");
        let by_ravif = encode(intermediate, &ravif).expect("encodes with ravif");
        assert_ne!(by_ravif.renditions()[0].avif, complete.renditions()[0].avif);
    }

    #[test]
    fn transparent_pixels_keep_their_alpha() {
        let bytes = common::encode(
            &DynamicImage::ImageRgba8(gradient_rgba(64, 48)),
            ImageFormat::Png,
        );
        let config = aom_config(&[("thumb", 64, 64)]);
        let intermediate = decode(raw("a.png", bytes), &config.limits).expect("decodes");
        let complete = encode(intermediate, &config).expect("encodes");
        assert_eq!(avif_info(&complete.renditions()[0].avif), (64, 48, true, 8));
    }
}
