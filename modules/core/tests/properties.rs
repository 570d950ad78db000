//! Properties over arbitrary input: no byte string makes the decoder panic, and rendition sizes
//! always fit their box with the source's aspect ratio.

mod common;

use imagepipe_core::ObjectIdentity;
use imagepipe_core::avif::{Limits, decode, fit_inside};
use imagepipe_core::output_key;
use proptest::prelude::*;

/// Small limits so a random header that happens to parse cannot allocate much.
fn small_limits() -> Limits {
    Limits {
        max_dimension: 4096,
        max_pixels: 1 << 20,
        max_decode_bytes: 16 << 20,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = decode(common::raw("fuzz", bytes), &small_limits());
    }

    #[test]
    fn valid_signatures_with_garbage_never_panic(
        signature in prop::sample::select(vec![
            b"\x89PNG\r\n\x1a\n".to_vec(), b"\xFF\xD8\xFF".to_vec(), b"GIF89a".to_vec(),
            b"RIFF\0\0\0\0WEBPVP8 ".to_vec(), b"II*\0".to_vec(), b"MM\0*".to_vec(),
        ]),
        tail in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let mut bytes = signature;
        bytes.extend(tail);
        let _ = decode(common::raw("fuzz", bytes), &small_limits());
    }

    #[test]
    fn fit_inside_stays_in_the_box_keeps_aspect_and_never_upscales(
        width in 1u32..50_000, height in 1u32..50_000,
        max_width in 1u32..20_000, max_height in 1u32..20_000,
    ) {
        let (w, h) = fit_inside(width, height, max_width, max_height);
        prop_assert!(w >= 1 && h >= 1);
        prop_assert!(w <= max_width && h <= max_height);
        prop_assert!(w <= width && h <= height);
        if width <= max_width && height <= max_height {
            prop_assert_eq!((w, h), (width, height));
        } else {
            // One side meets its bound exactly...
            prop_assert!(w == max_width || h == max_height);
            // ...and the other is within one pixel of the exact proportional size (or 1).
            let ideal_h = f64::from(w) * f64::from(height) / f64::from(width);
            let ideal_w = f64::from(h) * f64::from(width) / f64::from(height);
            let ok_h = (f64::from(h) - ideal_h).abs() <= 1.0 || h == 1;
            let ok_w = (f64::from(w) - ideal_w).abs() <= 1.0 || w == 1;
            prop_assert!(ok_h || ok_w, "{}x{} -> {}x{}", width, height, w, h);
        }
    }

    #[test]
    fn output_keys_are_safe_for_any_input_key(key in ".{0,300}", version in "[a-zA-Z0-9._]{0,40}") {
        let mut identity = ObjectIdentity::new("bucket", key, 1);
        identity.version_id = (!version.is_empty()).then_some(version);
        let output = output_key("renditions/", &identity, "thumb", "avif");
        prop_assert!(output.starts_with("renditions/"));
        prop_assert!(output.ends_with("/thumb.avif"));
        prop_assert!(output.len() <= 300);
        prop_assert!(output.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b)), "{}", output);
        for segment in output.split('/') {
            prop_assert!(!segment.is_empty() && segment != "." && segment != "..", "{}", output);
            prop_assert!(!segment.starts_with('.'), "{}", output);
        }
        prop_assert_eq!(&output, &output_key("renditions/", &identity, "thumb", "avif"));
    }
}
