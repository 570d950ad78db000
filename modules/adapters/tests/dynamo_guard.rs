//! `DynamoRecordStore::put_record`'s condition against a real evaluator: a DynamoDB-compatible
//! endpoint (moto server in CI, `dev/ci/dynamodb-guard.sh` starts one), not canned answers, so
//! a condition that compared the wrong way round or on the wrong attribute fails here.
//!
//! Ignored by `cargo test`: it needs the endpoint in `IMAGEPIPE_TEST_DYNAMODB_ENDPOINT` and
//! fails (never skips) without it.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use imagepipe_adapters::{DynamoRecordStore, OBJECT_ID_ATTRIBUTE, PutOutcome, RecordStore};
use imagepipe_core::jsonl_summary::JsonLinesSummary;
use imagepipe_core::{
    Failure, FailureKind, ObjectIdentity, OutputRecord, PipelineSettings, Provenance, Record,
    RecordStatus,
};

const ENDPOINT_VARIABLE: &str = "IMAGEPIPE_TEST_DYNAMODB_ENDPOINT";

async fn store(table: &str) -> DynamoRecordStore {
    let endpoint = std::env::var(ENDPOINT_VARIABLE).unwrap_or_else(|_| {
        panic!("{ENDPOINT_VARIABLE} must name a DynamoDB endpoint (dev/ci/dynamodb-guard.sh)")
    });
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .build();
    let client = Client::from_conf(config);
    client
        .create_table()
        .table_name(table)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(OBJECT_ID_ATTRIBUTE)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute"),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(OBJECT_ID_ATTRIBUTE)
                .key_type(KeyType::Hash)
                .build()
                .expect("key"),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("create the table");
    DynamoRecordStore::new(client, table)
}

fn failed(sequencer: &str) -> Record {
    let mut identity = ObjectIdentity::new("in", "photo.jpg", 3);
    identity.sequencer = Some(sequencer.to_owned());
    let failure = Failure::new(FailureKind::named("corrupt"), format!("event {sequencer}"));
    Record::failed(
        identity,
        Provenance::new(&JsonLinesSummary, &PipelineSettings::default()),
        failure,
        1,
    )
}

fn complete(sequencer: &str) -> Record {
    Record {
        status: RecordStatus::Complete,
        failure: None,
        failed_kind: None,
        result: Some(serde_json::json!({})),
        outputs: vec![OutputRecord {
            name: "thumb".to_owned(),
            key: format!("renditions/photo.jpg/{sequencer}/thumb.avif"),
            content_type: "image/avif".to_owned(),
            bytes: 100,
        }],
        ..failed(sequencer)
    }
}

async fn stored(store: &DynamoRecordStore) -> (Option<String>, RecordStatus) {
    let record = store
        .get_record("s3://in/photo.jpg")
        .await
        .expect("read")
        .expect("a record");
    (record.identity.sequencer, record.status)
}

#[tokio::test]
#[ignore = "needs a DynamoDB endpoint: dev/ci/dynamodb-guard.sh"]
async fn newer_events_replace_older_ones_and_completions_replace_failures() {
    let store = store("guard-order").await;
    let put = |record: Record| {
        let store = &store;
        async move { store.put_record(&record).await.expect("put") }
    };
    // Sequencers of different lengths, as S3 sends them: compared as numbers.
    let (a, b, c) = ("0055A0", "55B0", "0100000");
    assert_eq!(
        put(failed(b)).await,
        PutOutcome::Written,
        "B into an empty table"
    );
    assert_eq!(put(failed(a)).await, PutOutcome::Stale, "A is older than B");
    assert_eq!(
        stored(&store).await,
        (Some(b.to_owned()), RecordStatus::Failed)
    );
    assert_eq!(
        put(failed(c)).await,
        PutOutcome::Written,
        "C is newer than B"
    );
    assert_eq!(
        put(failed(c)).await,
        PutOutcome::Stale,
        "C again: a redelivery"
    );
    assert_eq!(
        put(complete(c)).await,
        PutOutcome::Written,
        "C complete over C failed"
    );
    assert_eq!(
        stored(&store).await,
        (Some(c.to_owned()), RecordStatus::Complete)
    );
    assert_eq!(
        put(failed(c)).await,
        PutOutcome::Stale,
        "C failed over C complete"
    );
    assert_eq!(
        put(complete(c)).await,
        PutOutcome::Stale,
        "C complete over C complete"
    );
    assert_eq!(
        put(complete(b)).await,
        PutOutcome::Stale,
        "an older completion over a newer record"
    );
    assert_eq!(
        stored(&store).await,
        (Some(c.to_owned()), RecordStatus::Complete)
    );
}

#[tokio::test]
#[ignore = "needs a DynamoDB endpoint: dev/ci/dynamodb-guard.sh"]
async fn an_older_completion_never_replaces_a_newer_failure() {
    let store = store("guard-status").await;
    assert_eq!(
        store.put_record(&failed("0B")).await.expect("put"),
        PutOutcome::Written
    );
    assert_eq!(
        store.put_record(&complete("0A")).await.expect("put"),
        PutOutcome::Stale
    );
    assert_eq!(
        stored(&store).await,
        (Some("0B".to_owned()), RecordStatus::Failed)
    );
}

fn with_digest(mut record: Record, digest: &str) -> Record {
    record.provenance.settings_digest = digest.to_owned();
    record
}

fn unordered(mut record: Record) -> Record {
    record.identity.sequencer = None;
    record
}

/// The rule DynamoDB evaluates must be `Record::blocks_write_of`: each case is checked against
/// both.
#[tokio::test]
#[ignore = "needs a DynamoDB endpoint: dev/ci/dynamodb-guard.sh"]
async fn other_settings_replace_the_same_event_and_unordered_records_never_replace_ordered_ones() {
    let fresh = store("guard-unordered").await;
    let store = store("guard-settings").await;
    let put = |record: Record| {
        let store = &store;
        async move {
            let stored = store.get_record(&record.object_id).await.expect("read");
            let outcome = store.put_record(&record).await.expect("put");
            let expected = match stored {
                Some(stored) if stored.blocks_write_of(&record) => PutOutcome::Stale,
                _ => PutOutcome::Written,
            };
            assert_eq!(
                outcome, expected,
                "DynamoDB and Record::blocks_write_of disagree"
            );
            outcome
        }
    };
    assert_eq!(put(complete("0A")).await, PutOutcome::Written);
    assert_eq!(
        put(with_digest(complete("0A"), "other")).await,
        PutOutcome::Written,
        "a reprocess with other settings replaces the same event's record"
    );
    assert_eq!(
        put(with_digest(failed("0A"), "third")).await,
        PutOutcome::Written,
        "other settings that now refuse the input replace it too"
    );
    assert_eq!(
        put(with_digest(failed("0A"), "third")).await,
        PutOutcome::Stale,
        "the same settings again: a redelivery"
    );
    assert_eq!(
        put(unordered(complete("0A"))).await,
        PutOutcome::Stale,
        "a record without a sequencer never replaces one with"
    );
    assert_eq!(
        put(with_digest(complete("09"), "fourth")).await,
        PutOutcome::Stale,
        "a reprocess never replaces a newer event's record"
    );
    assert_eq!(
        fresh
            .put_record(&unordered(complete("0A")))
            .await
            .expect("put"),
        PutOutcome::Written,
        "into an empty table"
    );
    assert_eq!(
        fresh
            .put_record(&unordered(failed("0B")))
            .await
            .expect("put"),
        PutOutcome::Written,
        "neither ordered: the later write wins"
    );
}
