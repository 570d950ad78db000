//! The Lambda handler over JSON fixtures of both trigger shapes, with local stores (and one
//! failing store) standing in for S3 and DynamoDB. The end-to-end suite (`dev/e2e/e2e.sh`)
//! runs the same handler against the AWS SDK and an emulator.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use imagepipe_adapters::{
    JsonLinesRecordStore, LocalObjectStore, ObjectLocation, ObjectStore, PutObject, StoreError,
    StoredObject,
};
use imagepipe_application::{ANSWER_RESERVE, Function, FunctionError, Pipeline};
use imagepipe_core::{
    Failure, FailureKind, ObjectIdentity, PipelineConfig, Record, RecordStatus, RenditionSpec,
};
use serde_json::{Value, json};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json")
}

fn config() -> PipelineConfig {
    // Fast: this checks the event flow; the benchmarks check the encoder.
    let mut config = PipelineConfig {
        renditions: RenditionSpec::parse_list("thumb=32x32").expect("renditions"),
        ..PipelineConfig::default()
    };
    config.encoder.speed = 10;
    config
}

/// The local store, with faults chosen by key: a key containing `flaky` fails the way S3 does
/// when it throttles, `denied` the way it does when the role or the object's KMS key refuses
/// the read, and `stalled` never answers (a read stuck on a brownout). Counts the reads.
#[derive(Debug)]
struct FaultyObjects {
    local: LocalObjectStore,
    reads: Arc<AtomicUsize>,
}

impl ObjectStore for FaultyObjects {
    async fn get(
        &self,
        location: &ObjectLocation,
        max_bytes: u64,
    ) -> Result<StoredObject, StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        if location.key.contains("flaky") {
            return Err(StoreError::Transient {
                operation: "GetObject".to_owned(),
                detail: "SlowDown: please reduce your request rate".to_owned(),
            });
        }
        if location.key.contains("denied") {
            return Err(StoreError::AccessDenied {
                what: location.to_string(),
                detail: "AccessDenied: not authorized to perform kms:Decrypt".to_owned(),
            });
        }
        if location.key.contains("stalled") {
            return std::future::pending().await;
        }
        self.local.get(location, max_bytes).await
    }

    async fn put(&self, location: &ObjectLocation, object: PutObject) -> Result<(), StoreError> {
        self.local.put(location, object).await
    }
}

struct World {
    dir: tempfile::TempDir,
    reads: Arc<AtomicUsize>,
    function: Function<FaultyObjects, JsonLinesRecordStore>,
}

impl World {
    async fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("in");
        let logo = repo_root().join("samples/images/logo-alpha.png");
        let corrupt = repo_root().join("samples/hostile/corrupt.jpg");
        for (from, key) in [
            (&logo, "photos/My Photo.png"),
            (&logo, "café/東京 +1.png"),
            (&logo, "nested/dir/with space.png"),
            (&logo, "flaky.png"),
            (&logo, "denied.png"),
            (&logo, "stalled.png"),
            (&corrupt, "uploads/corrupt.jpg"),
        ] {
            let path = input.join(key);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::copy(from, path).expect("copy");
        }
        Self::over(dir).await
    }

    /// The function over `dir`'s inputs and whatever records it already holds.
    async fn over(dir: tempfile::TempDir) -> Self {
        let objects = LocalObjectStore::new()
            .with_bucket("in", dir.path().join("in"))
            .with_bucket("out", dir.path().join("out"));
        let records = JsonLinesRecordStore::open(dir.path().join("records.jsonl"))
            .await
            .expect("records");
        let reads = Arc::new(AtomicUsize::new(0));
        let objects = FaultyObjects {
            local: objects,
            reads: Arc::clone(&reads),
        };
        let pipeline = Pipeline::new(objects, records, config(), "out");
        let function = Function::new(pipeline, Duration::from_secs(1));
        Self {
            dir,
            reads,
            function,
        }
    }

    async fn handle(&self, event: Value) -> Result<Value, FunctionError> {
        let deadline = SystemTime::now() + Duration::from_secs(300);
        self.function.handle(event, "test-request", deadline).await
    }

    fn records(&self) -> Vec<Record> {
        match std::fs::read_to_string(self.dir.path().join("records.jsonl")) {
            Ok(text) => text
                .lines()
                .map(|l| serde_json::from_str(l).expect("record"))
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    fn record(&self, key: &str) -> Record {
        let matching: Vec<Record> = self
            .records()
            .into_iter()
            .filter(|r| r.identity.key == key)
            .collect();
        assert_eq!(matching.len(), 1, "one record for {key}: {matching:?}");
        matching.into_iter().next().expect("one")
    }

    fn output(&self, key: &str) -> PathBuf {
        self.dir.path().join("out").join(key)
    }
}

fn failed_ids(response: &Value) -> Vec<String> {
    response["batchItemFailures"]
        .as_array()
        .expect("batchItemFailures")
        .iter()
        .map(|f| f["itemIdentifier"].as_str().expect("id").to_owned())
        .collect()
}

fn s3_event(bucket: &str, raw_key: &str, size: u64, sequencer: &str) -> Value {
    json!({"Records": [{
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket}, "object": {"key": raw_key, "size": size, "sequencer": sequencer}}
    }]})
}

fn sqs_event(messages: &[(&str, Value)]) -> Value {
    let records: Vec<Value> = messages
        .iter()
        .map(|(id, body)| {
            json!({"messageId": id, "receiptHandle": id, "body": body.to_string(),
                   "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs",
                   "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q", "awsRegion": "us-east-1"})
        })
        .collect();
    json!({ "Records": records })
}

#[tokio::test]
async fn a_direct_s3_event_is_processed_with_its_key_decoded() {
    let world = World::new().await;
    let response = world
        .handle(fixture("s3-put-direct.json"))
        .await
        .expect("ok");
    assert_eq!(response["objects"], 1);
    let record = world.record("photos/My Photo.png");
    assert_eq!(record.status, RecordStatus::Complete);
    assert_eq!(
        record.identity.etag.as_deref(),
        Some("0123456789abcdef0123456789abcdef")
    );
    assert_eq!(
        record.identity.sequencer.as_deref(),
        Some("0055AED6DCD90281E5")
    );
    assert_eq!(record.renditions.len(), 1);
    assert!(world.output(&record.renditions[0].key).is_file());
}

#[tokio::test]
async fn an_sqs_batch_reports_only_the_messages_to_retry() {
    let world = World::new().await;
    let response = world.handle(fixture("sqs-batch.json")).await.expect("ok");
    // The malformed body cannot be recorded: it is retried (and ends in the DLQ). The test
    // event is acknowledged; the corrupt image is acknowledged with a failed record.
    assert_eq!(failed_ids(&response), ["msg-malformed"]);

    let unicode = world.record("café/東京 +1.png");
    assert_eq!(unicode.status, RecordStatus::Complete);
    assert!(world.output(&unicode.renditions[0].key).is_file());
    let moto_style = world.record("nested/dir/with space.png");
    assert_eq!(moto_style.status, RecordStatus::Complete);
    assert_eq!(
        moto_style.identity.etag.as_deref(),
        Some("abcdefabcdefabcdefabcdefabcdefab")
    );
    let corrupt = world.record("uploads/corrupt.jpg");
    assert_eq!(corrupt.status, RecordStatus::Failed);
    let failure = corrupt.failure.expect("failure");
    assert_eq!(failure.kind, FailureKind::Corrupt);
    assert!(!failure.reason.is_empty());
    assert_eq!(world.records().len(), 3);
}

#[tokio::test]
async fn a_second_delivery_changes_nothing() {
    let world = World::new().await;
    world
        .handle(fixture("sqs-batch.json"))
        .await
        .expect("first");
    let before = std::fs::read(world.dir.path().join("records.jsonl")).expect("records");
    let rendition = world.output(&world.record("café/東京 +1.png").renditions[0].key);
    let written_at = std::fs::metadata(&rendition)
        .and_then(|m| m.modified())
        .expect("mtime");

    let response = world
        .handle(fixture("sqs-batch.json"))
        .await
        .expect("second");
    assert_eq!(failed_ids(&response), ["msg-malformed"]);
    let after = std::fs::read(world.dir.path().join("records.jsonl")).expect("records");
    assert_eq!(before, after, "no record appended or changed");
    let rewritten_at = std::fs::metadata(&rendition)
        .and_then(|m| m.modified())
        .expect("mtime");
    assert_eq!(written_at, rewritten_at, "the rendition was not rewritten");
}

#[tokio::test]
async fn an_older_event_never_replaces_a_newer_record() {
    let world = World::new().await;
    let newer = s3_event("in", "photos/My+Photo.png", 757, "00000000000000B0");
    let older = s3_event("in", "photos/My+Photo.png", 757, "A0");
    world.handle(newer).await.expect("newer");
    world.handle(older).await.expect("older acknowledged");
    let record = world.record("photos/My Photo.png");
    assert_eq!(
        record.identity.sequencer.as_deref(),
        Some("00000000000000B0")
    );
}

#[tokio::test]
async fn transient_read_failures_are_retried_and_leave_no_record() {
    let world = World::new().await;
    let good = s3_event("in", "photos/My+Photo.png", 757, "01");
    let flaky = s3_event("in", "flaky.png", 757, "02");
    let response = world
        .handle(sqs_event(&[("good", good), ("flaky", flaky.clone())]))
        .await
        .expect("partial");
    assert_eq!(failed_ids(&response), ["flaky"]);
    assert!(
        world
            .records()
            .iter()
            .all(|r| r.identity.key != "flaky.png")
    );

    // A direct invocation has no partial answer: it fails, so Lambda retries it.
    let error = world.handle(flaky).await.expect_err("retry");
    assert!(
        matches!(
            error,
            FunctionError::Retry {
                failed: 1,
                total: 1,
                ..
            }
        ),
        "{error}"
    );
}

#[tokio::test]
async fn a_denied_read_is_the_deployments_fault_retried_and_never_recorded() {
    let world = World::new().await;
    let denied = s3_event("in", "denied.png", 757, "01");
    let good = s3_event("in", "photos/My+Photo.png", 757, "02");
    let response = world
        .handle(sqs_event(&[("denied", denied.clone()), ("good", good)]))
        .await
        .expect("partial");
    // Handed back: the queue's redrive policy parks it in the DLQ until the deployment is
    // fixed; no failed record would block the redrive.
    assert_eq!(failed_ids(&response), ["denied"]);
    assert!(
        world
            .records()
            .iter()
            .all(|r| r.identity.key != "denied.png")
    );
    let error = world.handle(denied).await.expect_err("retry");
    assert!(
        matches!(error, FunctionError::Retry { failed: 1, .. }),
        "{error}"
    );
}

#[tokio::test]
async fn a_redelivery_that_succeeds_replaces_the_same_events_failure() {
    let world = World::new().await;
    // What an earlier attempt (or an older build, which recorded denied reads) left behind.
    let mut identity = ObjectIdentity::new("in", "photos/My Photo.png", 757);
    identity.sequencer = Some("0A".to_owned());
    let failure = Failure {
        kind: FailureKind::SourceUnreadable,
        reason: "access to s3://in/photos/My Photo.png is denied".to_owned(),
    };
    let earlier = serde_json::to_string(&Record::failed(identity, failure, 1)).expect("json");
    std::fs::write(world.dir.path().join("records.jsonl"), earlier + "\n").expect("seed");
    let world = World::over(world.dir).await;

    let response = world
        .handle(sqs_event(&[(
            "redriven",
            s3_event("in", "photos/My+Photo.png", 757, "0A"),
        )]))
        .await
        .expect("ok");
    assert!(failed_ids(&response).is_empty());
    let records = world.records();
    assert_eq!(records.len(), 2, "the completion is appended: {records:?}");
    let latest = records.last().expect("latest");
    assert_eq!(latest.status, RecordStatus::Complete);
    assert!(world.output(&latest.renditions[0].key).is_file());
}

#[tokio::test]
async fn permanent_input_problems_are_recorded_and_acknowledged() {
    let world = World::new().await;
    let deleted = s3_event("in", "gone.jpg", 1000, "01");
    // Declared over the limit: refused from the event alone, before any read (the object does
    // not even exist, so a read would have said "source unreadable").
    let oversized = s3_event("in", "huge.jpg", 10_000_000_000, "02");
    let response = world
        .handle(sqs_event(&[("deleted", deleted), ("oversized", oversized)]))
        .await
        .expect("ok");
    assert!(failed_ids(&response).is_empty());
    let gone = world.record("gone.jpg").failure.expect("failure");
    assert_eq!(gone.kind, FailureKind::SourceUnreadable);
    let huge = world.record("huge.jpg").failure.expect("failure");
    assert_eq!(huge.kind, FailureKind::TooManyBytes);
}

#[tokio::test]
async fn the_pipelines_own_outputs_are_refused() {
    let world = World::new().await;
    let own = s3_event("out", "renditions/x/y/thumb.avif", 100, "01");
    let response = world.handle(sqs_event(&[("own", own)])).await.expect("ok");
    assert!(failed_ids(&response).is_empty());
    assert!(world.records().is_empty());
}

#[tokio::test]
async fn near_the_deadline_nothing_new_is_started() {
    let world = World::new().await;
    let event = sqs_event(&[
        ("a", s3_event("in", "photos/My+Photo.png", 757, "01")),
        ("b", s3_event("in", "flaky.png", 757, "02")),
    ]);
    // Less time left than the function's minimum (1 s): every object is handed back.
    let deadline = SystemTime::now() + Duration::from_millis(500);
    let response = world
        .function
        .handle(event, "test-request", deadline)
        .await
        .expect("partial");
    assert_eq!(failed_ids(&response), ["a", "b"]);
    assert!(world.records().is_empty());
}

/// Little time left and a read that never returns: the handler must still answer before the
/// deadline, naming the stalled message and the one it had no time to start, and keep the
/// object finished before them.
#[tokio::test]
async fn a_stalled_read_near_the_deadline_is_handed_back_in_time() {
    let world = World::new().await;
    let event = sqs_event(&[
        ("done", s3_event("in", "photos/My+Photo.png", 757, "01")),
        ("stalled", s3_event("in", "stalled.png", 757, "02")),
        (
            "not-started",
            s3_event("in", "nested/dir/with+space.png", 757, "03"),
        ),
    ]);
    let left = Duration::from_secs(4);
    let started = Instant::now();
    let deadline = SystemTime::now() + left;
    // Today's handler would wait on the stalled read for ever: bound the wait so the test
    // fails instead of hanging.
    let response = tokio::time::timeout(
        left * 3,
        world.function.handle(event, "test-request", deadline),
    )
    .await
    .expect("the handler answered at all")
    .expect("partial");
    let answered_after = started.elapsed();
    let answered_before_deadline = deadline.duration_since(SystemTime::now());
    eprintln!(
        "deadline test: {} ms left at the start, answer after {} ms, {} ms before the \
         deadline (reserve {} ms)",
        left.as_millis(),
        answered_after.as_millis(),
        answered_before_deadline
            .as_ref()
            .map_or(0, Duration::as_millis),
        ANSWER_RESERVE.as_millis(),
    );
    assert!(
        answered_before_deadline.is_ok(),
        "answered {answered_after:?} after the start, past the deadline {left:?} after it"
    );
    assert_eq!(failed_ids(&response), ["stalled", "not-started"]);
    assert_eq!(
        world.reads.load(Ordering::SeqCst),
        2,
        "the stalled read was started (and the last object was not)"
    );
    assert_eq!(
        world.record("photos/My Photo.png").status,
        RecordStatus::Complete
    );
    assert_eq!(world.records().len(), 1);
}

#[tokio::test]
async fn unrecognised_payloads_and_removal_events_are_not_processed() {
    let world = World::new().await;
    let error = world
        .handle(json!({"hello": "world"}))
        .await
        .expect_err("unknown");
    assert!(
        matches!(error, FunctionError::UnrecognizedEvent(_)),
        "{error}"
    );
    let removal = json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectRemoved:Delete",
        "s3": {"bucket": {"name": "in"}, "object": {"key": "photos/My+Photo.png", "sequencer": "03"}}}]});
    let response = world.handle(removal).await.expect("ok");
    assert_eq!(response["objects"], 0);
    assert!(world.records().is_empty());
}

#[tokio::test]
async fn a_test_event_invoked_directly_is_acknowledged() {
    let world = World::new().await;
    let test = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "in"});
    let response = world.handle(test).await.expect("ok");
    assert_eq!(response["objects"], 0);
}
