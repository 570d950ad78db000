//! Connection warm-up ahead of the first event. A cold function's first SDK request otherwise
//! pays, inside the first invocation, for the TCP connect and the TLS handshake. Started by the
//! thread that builds the clients (bin/bootstrap.rs) and left running, it takes that
//! cost off the first invocation whenever the environment starts ahead of the request
//! (provisioned concurrency, Lambda's proactive initialisation); when the event is already
//! waiting it competes with it for the CPU and saves little. dev/bench/lambda.py measures both
//! cases (docs/BENCHMARKS.md); `IMAGEPIPE_WARM_CONNECTIONS=false` turns it off.
//!
//! Only DynamoDB is warmed: its endpoint is one regional host for every invocation. S3 uses
//! virtual-hosted addressing, one host per bucket, and the input bucket is only known from the
//! events; warming the output bucket would need a call the function's IAM policy does not grant.
//! The HTTP client (and so its trust roots and TLS configuration) is shared by both SDK clients,
//! so the S3 request still starts with that part done.

use std::time::Instant;

use imagepipe_adapters::RecordStore;

/// The key read by the warm-up: records are keyed `s3://bucket/key`, so no record has it.
pub const WARM_UP_OBJECT_ID: &str = "imagepipe:connection-warm-up";

/// Reads a record that cannot exist, which opens the pooled connection to the table's endpoint
/// with the one call (GetItem) the function already makes. A failure is logged and otherwise
/// ignored: the first invocation then opens the connection itself and reports real errors.
pub async fn warm_connections<R: RecordStore>(records: &R) {
    let started = Instant::now();
    match records.get_record(WARM_UP_OBJECT_ID).await {
        Ok(_) => tracing::info!(
            elapsed_ms = started.elapsed().as_millis(),
            "warmed the DynamoDB connection"
        ),
        Err(error) => tracing::warn!(
            %error,
            elapsed_ms = started.elapsed().as_millis(),
            "connection warm-up failed; the first invocation opens the connection"
        ),
    }
}
