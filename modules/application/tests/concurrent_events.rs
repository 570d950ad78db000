//! `Pipeline::process` called for one object from several tasks at once, as concurrent Lambda
//! instances do when S3 delivers an event twice or two uploads of one key race: the store must
//! end with one record, the newest event's, naming only renditions that exist whole.

use std::path::Path;
use std::sync::Arc;

use imagepipe_adapters::{JsonLinesRecordStore, LocalObjectStore, PutOutcome};
use imagepipe_application::{Outcome, Pipeline};
use imagepipe_core::avif::{AvifSettings, AvifTransform, RenditionSpec};
use imagepipe_core::{ObjectIdentity, PipelineSettings, Record, RecordStatus, Transform};

/// Rounds per scenario: the calls race differently each time.
const ROUNDS: usize = 16;

type LocalPipeline = Pipeline<LocalObjectStore, JsonLinesRecordStore>;

fn transform() -> Arc<dyn Transform> {
    let mut config = AvifSettings {
        renditions: RenditionSpec::parse_list("thumb=32x32,small=48x48").expect("renditions"),
        ..AvifSettings::default()
    };
    config.encoder.speed = 10;
    Arc::new(AvifTransform::new(config))
}

async fn pipeline(dir: &Path) -> Arc<LocalPipeline> {
    let input = dir.join("in");
    std::fs::create_dir_all(&input).expect("mkdir");
    let logo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/images/logo-alpha.png");
    std::fs::copy(logo, input.join("photo.png")).expect("copy");
    let objects = LocalObjectStore::new()
        .with_bucket("in", &input)
        .with_bucket("out", dir.join("out"));
    let records = JsonLinesRecordStore::open(dir.join("records.jsonl"))
        .await
        .expect("records");
    Arc::new(Pipeline::new(
        objects,
        records,
        transform(),
        PipelineSettings::default(),
        "out",
    ))
}

fn event(sequencer: &str, version: &str) -> ObjectIdentity {
    let mut identity = ObjectIdentity::new("in", "photo.png", 0);
    identity.sequencer = Some(sequencer.to_owned());
    identity.version_id = Some(version.to_owned());
    identity
}

/// Runs `process` for every event at once, each on a task of its own (the runtime has worker
/// threads, so they run in parallel), and returns the outcomes.
async fn process_at_once(
    pipeline: &Arc<LocalPipeline>,
    events: Vec<ObjectIdentity>,
) -> Vec<Outcome> {
    let tasks: Vec<_> = events
        .into_iter()
        .map(|identity| {
            let pipeline = Arc::clone(pipeline);
            tokio::spawn(async move { pipeline.process(identity).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        let outcome = task.await.expect("task").expect("every call settles");
        outcomes.push(outcome);
    }
    outcomes
}

fn written(outcomes: &[Outcome]) -> usize {
    outcomes
        .iter()
        .filter(|o| {
            matches!(
                o,
                Outcome::Recorded {
                    write: PutOutcome::Written,
                    ..
                }
            )
        })
        .count()
}

/// The record the store holds now (the last line written), checked against the file.
fn current_record(dir: &Path) -> Record {
    let text = std::fs::read_to_string(dir.join("records.jsonl")).expect("records");
    let records: Vec<Record> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("record"))
        .collect();
    assert!(
        records.iter().all(|r| r.object_id == "s3://in/photo.png"),
        "{records:?}"
    );
    records.last().cloned().expect("a record")
}

/// Every rendition the record names exists, has the recorded size and is a whole AVIF.
fn assert_renditions_exist(dir: &Path, record: &Record) {
    assert_eq!(record.status, RecordStatus::Complete);
    assert_eq!(record.outputs.len(), 2);
    for rendition in &record.outputs {
        let bytes = std::fs::read(dir.join("out").join(&rendition.key))
            .unwrap_or_else(|e| panic!("rendition {} named but missing: {e}", rendition.key));
        assert_eq!(bytes.len() as u64, rendition.bytes, "{}", rendition.key);
        avif_parse::read_avif(&mut bytes.as_slice()).expect("a whole AVIF");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_event_processed_twice_at_once_leaves_one_record() {
    for round in 0..ROUNDS {
        let dir = tempfile::tempdir().expect("tempdir");
        let pipeline = pipeline(dir.path()).await;
        let outcomes = process_at_once(&pipeline, vec![event("0A", "v1"), event("0A", "v1")]).await;
        assert!(written(&outcomes) == 1, "round {round}: {outcomes:?}");
        let text = std::fs::read_to_string(dir.path().join("records.jsonl")).expect("records");
        assert_eq!(text.lines().count(), 1, "round {round}: one record line");
        let record = current_record(dir.path());
        assert_eq!(record.identity.sequencer.as_deref(), Some("0A"));
        assert_renditions_exist(dir.path(), &record);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_versions_of_one_key_at_once_leave_the_newest() {
    for round in 0..ROUNDS {
        let dir = tempfile::tempdir().expect("tempdir");
        let pipeline = pipeline(dir.path()).await;
        // The older event is started second in half the rounds.
        let (older, newer) = (event("0A", "v1"), event("0B", "v2"));
        let events = if round % 2 == 0 {
            vec![older, newer]
        } else {
            vec![newer, older]
        };
        let outcomes = process_at_once(&pipeline, events).await;
        assert!(
            (1..=2).contains(&written(&outcomes)),
            "round {round}: {outcomes:?}"
        );
        let record = current_record(dir.path());
        assert_eq!(
            (
                record.identity.sequencer.as_deref(),
                record.identity.version_id.as_deref()
            ),
            (Some("0B"), Some("v2")),
            "round {round}: the newest event's record"
        );
        assert_renditions_exist(dir.path(), &record);
    }
}
