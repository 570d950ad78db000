//! Every case of `samples/corpus/cases.json` (made by `dev/fixtures/make-corpus.py`) through the
//! Lambda handler, as SQS batches the way the event source mapping delivers them, with local
//! stores: each object must end with exactly one record of the expected status and failure
//! kind, nothing may be handed back for retry (every problem here is the input's), and each
//! complete one must have a decodable AVIF of the expected size.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use std::sync::Arc;

use imagepipe_adapters::{JsonLinesRecordStore, LocalObjectStore};
use imagepipe_application::{Function, Pipeline};
use imagepipe_core::avif::{AvifSettings, AvifTransform, ImageSummary, RenditionSpec};
use imagepipe_core::{PipelineSettings, Record, RecordStatus};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
struct Case {
    key: String,
    file: Option<String>,
    status: RecordStatus,
    kinds: Vec<String>,
    size: Option<[u32; 2]>,
    declared_size: Option<u64>,
}

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../samples/corpus")
}

/// The key as S3 puts it in an event: form-URL-encoded (space as `+`).
fn event_key(key: &str) -> String {
    let mut encoded = String::new();
    for byte in key.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' | b'*' => {
                encoded.push(char::from(byte));
            }
            b' ' => encoded.push('+'),
            other => encoded.push_str(&format!("%{other:02X}")),
        }
    }
    encoded
}

fn message(index: usize, case: &Case, size: u64) -> Value {
    let notification = json!({"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": "in"}, "object": {
            "key": event_key(&case.key),
            "size": case.declared_size.unwrap_or(size),
            "sequencer": format!("{:016X}", index + 1),
        }}
    }]});
    json!({"messageId": format!("m{index}"), "receiptHandle": "r", "body": notification.to_string(),
           "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs",
           "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q", "awsRegion": "us-east-1"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_corpus_case_ends_as_one_record_of_the_expected_outcome() {
    let cases: Vec<Case> = serde_json::from_str(
        &std::fs::read_to_string(corpus().join("cases.json")).expect("cases.json"),
    )
    .expect("cases parse");
    assert!(cases.len() >= 30, "the corpus has {} cases", cases.len());

    let work = tempfile::tempdir().expect("tempdir");
    let input = work.path().join("in");
    let mut sizes = Vec::new();
    for case in &cases {
        let Some(file) = &case.file else {
            sizes.push(0);
            continue;
        };
        let path = input.join(&case.key);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        let bytes = std::fs::read(corpus().join(file)).expect("corpus file");
        sizes.push(bytes.len() as u64);
        std::fs::write(path, bytes).expect("write input");
    }
    let objects = LocalObjectStore::new()
        .with_bucket("in", &input)
        .with_bucket("out", work.path().join("out"));
    let records_path = work.path().join("records.jsonl");
    let records = JsonLinesRecordStore::open(&records_path)
        .await
        .expect("records");
    let mut config = AvifSettings {
        renditions: RenditionSpec::parse_list("small=64x64").expect("renditions"),
        ..AvifSettings::default()
    };
    config.encoder.speed = 10;
    let function = Function::new(
        Pipeline::new(
            objects,
            records,
            Arc::new(AvifTransform::new(config)),
            PipelineSettings::default(),
            "out",
        ),
        Duration::from_secs(1),
    );

    // Batches of 10, as an event source mapping with batch size 10 would deliver them.
    let messages: Vec<Value> = cases
        .iter()
        .zip(&sizes)
        .enumerate()
        .map(|(index, (case, size))| message(index, case, *size))
        .collect();
    for batch in messages.chunks(10) {
        let deadline = SystemTime::now() + Duration::from_secs(600);
        let response = function
            .handle(json!({ "Records": batch }), "corpus-request", deadline)
            .await
            .expect("an SQS batch is always answered");
        assert_eq!(
            response["batchItemFailures"],
            json!([]),
            "nothing in the corpus is worth a retry"
        );
    }

    let written: Vec<Record> = std::fs::read_to_string(&records_path)
        .expect("records file")
        .lines()
        .map(|line| serde_json::from_str(line).expect("record"))
        .collect();
    let mut by_key: BTreeMap<&str, Vec<&Record>> = BTreeMap::new();
    for record in &written {
        by_key.entry(&record.identity.key).or_default().push(record);
    }
    let mut problems = Vec::new();
    for case in &cases {
        let found = by_key.get(case.key.as_str()).cloned().unwrap_or_default();
        let [record] = found.as_slice() else {
            problems.push(format!("{}: {} records", case.key, found.len()));
            continue;
        };
        if record.status != case.status {
            problems.push(format!(
                "{}: {:?}, expected {:?} ({:?})",
                case.key, record.status, case.status, record.failure
            ));
            continue;
        }
        if let Some(failure) = &record.failure {
            let kind = serde_json::to_value(&failure.kind).expect("kind");
            let kind = kind.as_str().unwrap_or_default();
            if !case.kinds.iter().any(|k| k == kind) {
                problems.push(format!(
                    "{}: kind {kind}, expected one of {:?} ({})",
                    case.key, case.kinds, failure.reason
                ));
            }
            if failure.reason.len() < 10 {
                problems.push(format!("{}: reason {:?}", case.key, failure.reason));
            }
        }
        if let (Some([width, height]), Some(rendition)) = (case.size, record.outputs.first()) {
            let bytes = std::fs::read(work.path().join("out").join(&rendition.key))
                .expect("the rendition was written");
            let avif = avif_parse::read_avif(&mut bytes.as_slice()).expect("valid AVIF");
            let meta = avif.primary_item_metadata().expect("AV1 header");
            let decoded = (meta.max_frame_width.get(), meta.max_frame_height.get());
            let summary: ImageSummary =
                serde_json::from_value(record.result.clone().unwrap_or_default())
                    .expect("a complete record's result is an image summary");
            let recorded = (summary.renditions[0].width, summary.renditions[0].height);
            if decoded != (width, height) || recorded != (width, height) {
                problems.push(format!(
                    "{}: AVIF {decoded:?}, record {recorded:?}, expected {width}x{height}",
                    case.key
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} cases wrong:\n{}",
        problems.len(),
        cases.len(),
        problems.join("\n")
    );
    assert_eq!(written.len(), cases.len(), "exactly one record per object");
}
