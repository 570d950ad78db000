//! S3 event notifications, as a direct invocation's payload or an SQS message's body.
//!
//! Read leniently with our own small types rather than `aws_lambda_events::s3::S3Event`: that
//! type requires fields the pipeline never uses (`eventTime` as a strict RFC 3339 instant,
//! `userIdentity`, `requestParameters`, ...) that emulators (moto) omit or format differently,
//! and one record it cannot type would fail the whole payload. Here only bucket and key are
//! required, each record parses on its own, and a bad one fails alone.

use std::borrow::Cow;

use imagepipe_adapters::bare_etag;
use imagepipe_core::ObjectIdentity;
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use serde_json::Value;

/// The `Event` value of the message S3 sends once when a notification is configured.
pub const TEST_EVENT: &str = "s3:TestEvent";

/// What a notification payload holds.
#[derive(Debug)]
pub enum Notification {
    /// S3's configuration check: nothing to process.
    Test,
    /// One entry per record, each parsed on its own.
    Records(Vec<Result<S3Record, NotificationError>>),
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum NotificationError {
    #[error("not an S3 event notification: {0}")]
    Unrecognized(String),
    #[error("malformed S3 event record: {0}")]
    MalformedRecord(String),
    #[error("the object key {key:?} does not decode to UTF-8 text")]
    UndecodableKey { key: String },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Record {
    #[serde(default)]
    pub event_source: Option<String>,
    #[serde(default)]
    pub event_name: Option<String>,
    pub s3: S3Entity,
}

#[derive(Debug, Clone, Deserialize)]
pub struct S3Entity {
    pub bucket: S3Bucket,
    pub object: S3Object,
}

#[derive(Debug, Clone, Deserialize)]
pub struct S3Bucket {
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Object {
    /// Form-URL-encoded, as S3 sends it: see [`decode_key`].
    pub key: String,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default, rename = "eTag")]
    pub e_tag: Option<String>,
    #[serde(default)]
    pub version_id: Option<String>,
    #[serde(default)]
    pub sequencer: Option<String>,
}

/// Parses a payload that should be an S3 notification: `{"Records": [...]}` or the test event.
pub fn parse_notification(payload: &Value) -> Result<Notification, NotificationError> {
    if payload.get("Event").and_then(Value::as_str) == Some(TEST_EVENT) {
        return Ok(Notification::Test);
    }
    let Some(records) = payload.get("Records").and_then(Value::as_array) else {
        return Err(NotificationError::Unrecognized(describe(payload)));
    };
    Ok(Notification::Records(
        records
            .iter()
            .map(|record| {
                S3Record::deserialize(record)
                    .map_err(|e| NotificationError::MalformedRecord(e.to_string()))
            })
            .collect(),
    ))
}

/// Parses an SQS message body (a JSON string) as a notification.
pub fn parse_notification_body(body: &str) -> Result<Notification, NotificationError> {
    let payload: Value = serde_json::from_str(body)
        .map_err(|e| NotificationError::Unrecognized(format!("the body is not JSON: {e}")))?;
    parse_notification(&payload)
}

/// Decodes an object key from an S3 event: form-URL-encoding, so `+` is a space and `%2B` a
/// plus, then percent-decoding of UTF-8 (`%C3%A9` is `é`).
pub fn decode_key(raw: &str) -> Result<String, NotificationError> {
    let spaced = raw.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(Cow::into_owned)
        .map_err(|_| NotificationError::UndecodableKey {
            key: raw.to_owned(),
        })
}

impl S3Record {
    /// True for object-creation events, the only ones that bring something to process.
    /// Records without an event name (hand-written test events) count as creations.
    pub fn is_object_created(&self) -> bool {
        self.event_name
            .as_deref()
            .is_none_or(|name| name.starts_with("ObjectCreated:"))
    }

    /// The object this record is about, key decoded.
    pub fn identity(&self) -> Result<ObjectIdentity, NotificationError> {
        let object = &self.s3.object;
        let key = decode_key(&object.key)?;
        let mut identity = ObjectIdentity::new(&self.s3.bucket.name, key, object.size.unwrap_or(0));
        identity.etag = object.e_tag.as_deref().and_then(bare_etag);
        identity.version_id = object.version_id.clone().filter(|v| !v.is_empty());
        identity.sequencer = object.sequencer.clone().filter(|s| !s.is_empty());
        Ok(identity)
    }
}

/// A short description of an unrecognised payload for the error message, never the whole
/// payload (it could be large, or contain data that should not be logged in full).
fn describe(payload: &Value) -> String {
    match payload {
        Value::Object(map) => {
            let keys: Vec<&str> = map.keys().map(String::as_str).take(8).collect();
            format!("an object with keys {keys:?}")
        }
        Value::Array(items) => format!("an array of {} items", items.len()),
        other => format!("a JSON {}", json_type(other)),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_form_url_decoded() {
        let cases = [
            ("plain.jpg", "plain.jpg"),
            ("with+space.jpg", "with space.jpg"),
            ("a%2Bb.jpg", "a+b.jpg"),
            ("caf%C3%A9/%E6%9D%B1%E4%BA%AC.png", "café/東京.png"),
            ("percent%25.jpg", "percent%.jpg"),
            ("dir%2Fnested%2Fx.jpg", "dir/nested/x.jpg"),
            ("stray%zz.jpg", "stray%zz.jpg"),
        ];
        for (raw, decoded) in cases {
            assert_eq!(decode_key(raw).as_deref(), Ok(decoded), "{raw}");
        }
    }

    #[test]
    fn keys_that_are_not_utf8_are_an_error() {
        assert!(matches!(
            decode_key("bad%FF.jpg"),
            Err(NotificationError::UndecodableKey { .. })
        ));
    }

    #[test]
    fn one_malformed_record_fails_alone() {
        let payload = serde_json::json!({"Records": [
            {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "in"}, "object": {"key": "a.jpg", "size": 3}}},
            {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "in"}}},
        ]});
        let Ok(Notification::Records(records)) = parse_notification(&payload) else {
            panic!("records expected");
        };
        assert_eq!(records.len(), 2);
        let identity = records[0].as_ref().expect("first parses").identity();
        assert_eq!(identity.expect("identity").key, "a.jpg");
        assert!(matches!(
            records[1],
            Err(NotificationError::MalformedRecord(_))
        ));
    }

    #[test]
    fn test_events_and_strangers_are_told_apart() {
        let test =
            serde_json::json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "in"});
        assert!(matches!(parse_notification(&test), Ok(Notification::Test)));
        let error = parse_notification_body("{\"hello\": 1}").expect_err("unrecognized");
        assert!(error.to_string().contains("hello"), "{error}");
        let error = parse_notification_body("not json").expect_err("unrecognized");
        assert!(error.to_string().contains("not JSON"), "{error}");
    }

    #[test]
    fn only_creations_are_processed() {
        let record = |name: Option<&str>| S3Record {
            event_source: None,
            event_name: name.map(str::to_owned),
            s3: S3Entity {
                bucket: S3Bucket { name: "b".into() },
                object: S3Object {
                    key: "k".into(),
                    size: None,
                    e_tag: None,
                    version_id: None,
                    sequencer: None,
                },
            },
        };
        assert!(record(Some("ObjectCreated:CompleteMultipartUpload")).is_object_created());
        assert!(record(None).is_object_created());
        assert!(!record(Some("ObjectRemoved:Delete")).is_object_created());
    }

    #[test]
    fn etags_are_kept_bare_whether_s3_or_moto_sent_them() {
        for sent in ["abcdef0123", "\"abcdef0123\""] {
            let body = serde_json::json!({"Records": [{
                "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": "b"}, "object": {"key": "k", "size": 1, "eTag": sent}}
            }]});
            let Ok(Notification::Records(records)) = parse_notification(&body) else {
                panic!("parses");
            };
            let identity = records[0]
                .as_ref()
                .expect("record")
                .identity()
                .expect("identity");
            assert_eq!(identity.etag.as_deref(), Some("abcdef0123"), "{sent}");
        }
    }
}
