//! The `imagepipe_metrics` log line: what one written record adds to its invocation's figures,
//! naming the invocation's request id, by which the extension attributes it (telemetry arrives
//! batched and late, so arrival order says nothing about which invocation a line belongs to).

use imagepipe_core::{Record, RecordStatus};
use serde_json::{Value, json};

/// The line for one written record: bytes read, bytes written, outputs written (none for a
/// failed record). The field keeps its name `renditions`, which the extension reads.
pub fn metrics_line(request_id: &str, record: &Record) -> Value {
    let bytes_out: u64 = record.outputs.iter().map(|r| r.bytes).sum();
    let renditions = if record.status == RecordStatus::Complete {
        record.outputs.len()
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
    use imagepipe_core::jsonl_summary::JsonLinesSummary;
    use imagepipe_core::{Failure, FailureKind, ObjectIdentity, PipelineSettings, Provenance};

    #[test]
    fn the_line_names_its_request() {
        let failure = Failure::new(FailureKind::named("corrupt"), "truncated");
        let provenance = Provenance::new(&JsonLinesSummary, &PipelineSettings::default());
        let identity = ObjectIdentity::new("in", "a.jpg", 1234);
        let record = Record::failed(identity, provenance, failure, 0);
        assert_eq!(
            metrics_line("8f5e-request", &record),
            json!({"requestId": "8f5e-request",
                   "imagepipe_metrics": {"bytes_in": 1234, "bytes_out": 0, "renditions": 0}})
        );
    }
}
