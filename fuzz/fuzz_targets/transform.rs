//! Raw -> Intermediate -> Complete on arbitrary bytes: decoding must refuse what it cannot read
//! with a typed error, and whatever it accepts must encode into renditions that fit their boxes.
#![no_main]
#![forbid(unsafe_code)]

use imagepipe_core::{ObjectIdentity};
use imagepipe_core::avif::{Limits, AvifSettings, Raw, RenditionSpec, decode, encode};
use libfuzzer_sys::fuzz_target;

/// Small limits and boxes keep each execution in milliseconds; the decoders' code paths do not
/// depend on the limit values, only on whether a limit is crossed.
fn config() -> AvifSettings {
    let mut config = AvifSettings::default();
    config.limits = Limits {
        max_dimension: 4096,
        max_pixels: 1 << 18,
        max_decode_bytes: 8 << 20,
    };
    config.renditions = vec![
        RenditionSpec::new("thumb", 24, 24).expect("valid rendition"),
        RenditionSpec::new("wide", 48, 16).expect("valid rendition"),
    ];
    config.encoder.speed = 10;
    config
}

fuzz_target!(|bytes: &[u8]| {
    let config = config();
    let raw = Raw::new(
        ObjectIdentity::new("fuzz", "input", bytes.len() as u64),
        bytes.to_vec(),
    );
    let Ok(intermediate) = decode(raw, &config.limits) else {
        return;
    };
    let (width, height) = intermediate.pixels().dimensions();
    assert!(width > 0 && height > 0, "decoded an empty image");
    assert!(
        u64::from(width) * u64::from(height) <= config.limits.max_pixels,
        "decoded {width}x{height}, over the pixel limit"
    );
    let complete = encode(intermediate, &config).expect("a decoded image must encode");
    assert_eq!(complete.renditions().len(), config.renditions.len());
    for (rendition, spec) in complete.renditions().iter().zip(&config.renditions) {
        assert!(rendition.width <= spec.max_width && rendition.height <= spec.max_height);
        assert!(rendition.width > 0 && rendition.height > 0);
        assert_eq!(&rendition.avif[4..8], b"ftyp", "not an ISO-BMFF file");
    }
});
