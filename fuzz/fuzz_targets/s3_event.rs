//! Event parsing on arbitrary input: a Lambda payload, an SQS message body and an object key in
//! S3's form-URL encoding. Nothing may panic, and any key survives encode -> decode unchanged.
#![no_main]
#![forbid(unsafe_code)]

use imagepipe_application::s3_notification::{decode_key, parse_notification, parse_notification_body};
use libfuzzer_sys::fuzz_target;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// What S3 leaves unescaped in event keys besides letters and digits; space becomes `+` after.
const S3_KEY_ESCAPES: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'*')
    .remove(b'/')
    .remove(b' ');

fuzz_target!(|bytes: &[u8]| {
    if let Ok(payload) = serde_json::from_slice::<serde_json::Value>(bytes) {
        let _ = parse_notification(&payload);
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let _ = parse_notification_body(text);
    let _ = decode_key(text);
    let encoded = utf8_percent_encode(text, S3_KEY_ESCAPES)
        .to_string()
        .replace(' ', "+");
    assert_eq!(decode_key(&encoded).as_deref(), Ok(text), "key {encoded:?} did not round-trip");
});
