//! The `imagepipe_metrics` log line: what one written record adds to its invocation's figures,
//! naming the invocation's request id, by which the extension attributes it (telemetry arrives
//! batched and late, so arrival order says nothing about which invocation a line belongs to).

use imagepipe_core::{Record, RecordStatus};
use serde_json::{Value, json};

/// The line for one written record: bytes read, bytes written, renditions written (none for a
/// failed record).
pub fn metrics_line(request_id: &str, record: &Record) -> Value {
    let bytes_out: u64 = record.renditions.iter().map(|r| r.bytes).sum();
    let renditions = if record.status == RecordStatus::Complete {
        record.renditions.len()
    } else {
        0
    };
    json!({
        "requestId": request_id,
        "imagepipe_metrics": {
            "bytes_in": record.identity.size,
            "bytes_out": bytes_out,
            "renditions": renditions,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use imagepipe_core::{Failure, FailureKind, ObjectIdentity};

    #[test]
    fn the_line_names_its_request() {
        let failure = Failure {
            kind: FailureKind::Corrupt,
            reason: "truncated".to_owned(),
        };
        let record = Record::failed(ObjectIdentity::new("in", "a.jpg", 1234), failure, 0);
        assert_eq!(
            metrics_line("8f5e-request", &record),
            json!({"requestId": "8f5e-request",
                   "imagepipe_metrics": {"bytes_in": 1234, "bytes_out": 0, "renditions": 0}})
        );
    }
}
