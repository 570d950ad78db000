//! The S3 and DynamoDB stores against canned HTTP responses (aws-smithy-mocks): no network,
//! but the real SDK clients, retry strategy, error parsing and our mapping of the result. Each
//! fault must land in the class the handler decides by: retry (transient) or record (permanent).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;

use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::put_item::PutItemOutput;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::primitives::ByteStream;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::retry::RetryConfig;
use imagepipe_adapters::{
    DynamoRecordStore, ObjectLocation, ObjectStore, PutOutcome, RecordStore, S3ObjectStore,
    SEQUENCER_ORDER_ATTRIBUTE, StoreError,
};
use imagepipe_core::{Failure, FailureKind, ObjectIdentity, Record};

/// The SDK's standard retry strategy (3 attempts), with a tiny backoff so tests stay fast.
fn retry() -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(1))
}

fn response(status: u16, body: &str) -> HttpResponse {
    HttpResponse::new(
        StatusCode::try_from(status).expect("status"),
        SdkBody::from(body.to_owned()),
    )
}

fn s3_error(status: u16, code: &str) -> HttpResponse {
    response(
        status,
        &format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{code} (canned)</Message><RequestId>R</RequestId></Error>"
        ),
    )
}

fn dynamodb_error(code: &str) -> HttpResponse {
    response(
        400,
        &format!(
            "{{\"__type\":\"com.amazonaws.dynamodb.v20120810#{code}\",\"message\":\"{code} (canned)\"}}"
        ),
    )
}

/// An S3 store whose client answers from `rule`, with the retry strategy above.
fn s3_store(rule: &Rule) -> S3ObjectStore {
    S3ObjectStore::new(mock_client!(
        aws_sdk_s3,
        RuleMode::Sequential,
        [rule],
        |c| c.retry_config(retry())
    ))
}

/// A DynamoDB record store whose client answers from `rule`, with the retry strategy above.
fn dynamo_store(rule: &Rule) -> DynamoRecordStore {
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [rule], |c| c
        .retry_config(retry()));
    DynamoRecordStore::new(client, "records")
}

fn location() -> ObjectLocation {
    ObjectLocation::new("in", "photo.jpg")
}

fn record(sequencer: &str) -> Record {
    let mut identity = ObjectIdentity::new("in", "photo.jpg", 3);
    identity.sequencer = Some(sequencer.to_owned());
    let failure = Failure {
        kind: FailureKind::Corrupt,
        reason: "canned".to_owned(),
    };
    Record::failed(identity, failure, 1)
}

#[tokio::test]
async fn s3_5xx_is_retried_with_backoff_and_then_succeeds() {
    let rule = mock!(aws_sdk_s3::Client::get_object)
        .sequence()
        .http_response(|| s3_error(503, "ServiceUnavailable"))
        .http_response(|| response(500, ""))
        .output(|| {
            GetObjectOutput::builder()
                .body(ByteStream::from_static(b"abc"))
                .content_length(3)
                .build()
        })
        .build();
    let object = s3_store(&rule)
        .get(&location(), 10)
        .await
        .expect("third attempt succeeds");
    assert_eq!(object.bytes, b"abc");
    assert_eq!(rule.num_calls(), 3);
}

#[tokio::test]
async fn s3_throttling_that_persists_is_transient() {
    let rule = mock!(aws_sdk_s3::Client::get_object)
        .sequence()
        .http_response(|| s3_error(503, "SlowDown"))
        .times(3)
        .build();
    let error = s3_store(&rule)
        .get(&location(), 10)
        .await
        .expect_err("throttled");
    assert!(matches!(error, StoreError::Transient { .. }), "{error}");
    assert!(error.is_retryable());
    assert_eq!(rule.num_calls(), 3, "every attempt was used");
}

#[tokio::test]
async fn s3_missing_keys_denied_access_and_kms_errors_are_not_retried_by_the_sdk() {
    for (status, code) in [
        (404, "NoSuchKey"),
        (404, "NoSuchVersion"),
        (403, "AccessDenied"),
        (400, "KMS.DisabledException"),
    ] {
        let rule = mock!(aws_sdk_s3::Client::get_object)
            .sequence()
            .http_response(move || s3_error(status, code))
            .build();
        let error = s3_store(&rule).get(&location(), 10).await.expect_err(code);
        // The object's absence is the input's state; a refusal is the deployment's.
        let expected = match status {
            404 => matches!(error, StoreError::NotFound { .. }),
            _ => matches!(error, StoreError::AccessDenied { .. }),
        };
        assert!(expected, "{code}: {error}");
        assert!(!error.is_retryable(), "{code}");
        assert_eq!(rule.num_calls(), 1, "{code} is not retried");
    }
}

#[tokio::test]
async fn s3_request_timeouts_are_transient() {
    let rule = mock!(aws_sdk_s3::Client::get_object)
        .sequence()
        .http_response(|| s3_error(400, "RequestTimeout"))
        .times(3)
        .build();
    let error = s3_store(&rule)
        .get(&location(), 10)
        .await
        .expect_err("timed out");
    assert!(error.is_retryable(), "{error}");
    assert_eq!(rule.num_calls(), 3, "the SDK retried it too");
}

/// A body that sends one byte every `every`, for ever: never idle for long, never done.
struct Trickle {
    every: Duration,
    next: Pin<Box<tokio::time::Sleep>>,
}

impl Trickle {
    fn every(every: Duration) -> ByteStream {
        ByteStream::from_body_1_x(Self {
            every,
            next: Box::pin(tokio::time::sleep(every)),
        })
    }
}

impl http_body::Body for Trickle {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        if self.next.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let every = self.every;
        self.next
            .as_mut()
            .reset(tokio::time::Instant::now() + every);
        Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from_static(b"x")))))
    }
}

#[tokio::test]
async fn s3_a_body_that_trickles_is_bounded_in_total_not_only_when_idle() {
    let rule = mock!(aws_sdk_s3::Client::get_object).then_output(|| {
        GetObjectOutput::builder()
            .body(Trickle::every(Duration::from_millis(10)))
            .build()
    });
    let store = s3_store(&rule)
        .with_body_idle_timeout(Duration::from_millis(200))
        .with_body_read_timeout(Duration::from_millis(300));
    // Without a total bound the read would go on until the byte limit: bound the test instead.
    let read = tokio::time::timeout(Duration::from_secs(10), store.get(&location(), 1 << 30))
        .await
        .expect("the store gave up on its own");
    let error = read.expect_err("took too long");
    assert!(error.is_retryable(), "{error}");
    assert!(
        error
            .to_string()
            .contains("the whole body took longer than 300 ms"),
        "{error}"
    );
}

#[tokio::test]
async fn s3_a_body_that_stalls_trips_the_idle_bound() {
    let rule = mock!(aws_sdk_s3::Client::get_object).then_output(|| {
        GetObjectOutput::builder()
            .body(Trickle::every(Duration::from_secs(60)))
            .build()
    });
    let store = s3_store(&rule)
        .with_body_idle_timeout(Duration::from_millis(100))
        .with_body_read_timeout(Duration::from_secs(30));
    let error = store.get(&location(), 10).await.expect_err("stalled");
    assert!(error.to_string().contains("no data for 100 ms"), "{error}");
}

#[tokio::test]
async fn s3_objects_over_the_limit_are_refused_by_length_or_while_streaming() {
    let declared = mock!(aws_sdk_s3::Client::get_object).then_output(|| {
        GetObjectOutput::builder()
            .body(ByteStream::from_static(b"0123456789"))
            .content_length(10)
            .build()
    });
    let undeclared = mock!(aws_sdk_s3::Client::get_object).then_output(|| {
        GetObjectOutput::builder()
            .body(ByteStream::from_static(b"0123456789"))
            .build()
    });
    for rule in [declared, undeclared] {
        let error = s3_store(&rule)
            .get(&location(), 4)
            .await
            .expect_err("too large");
        assert!(
            matches!(error, StoreError::TooLarge { limit: 4, .. }),
            "{error}"
        );
        assert!(!error.is_retryable());
    }
}

#[tokio::test]
async fn dynamodb_conditional_check_failure_means_a_newer_record_exists() {
    let rule = mock!(aws_sdk_dynamodb::Client::put_item)
        .match_requests(|request| {
            let order = request
                .item()
                .and_then(|item| item.get(SEQUENCER_ORDER_ATTRIBUTE))
                .and_then(|value| value.as_s().ok());
            request.condition_expression().is_some()
                && order.is_some_and(|o| o.len() == 32 && o.ends_with("55A0"))
        })
        .sequence()
        .http_response(|| dynamodb_error("ConditionalCheckFailedException"))
        .build();
    let outcome = dynamo_store(&rule)
        .put_record(&record("55A0"))
        .await
        .expect("not an error");
    assert_eq!(outcome, PutOutcome::Stale);
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn dynamodb_throttling_and_5xx_are_retried_then_transient() {
    for fault in [
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "500",
    ] {
        let rule = mock!(aws_sdk_dynamodb::Client::put_item)
            .sequence()
            .http_response(move || match fault {
                "500" => response(500, "{}"),
                code => dynamodb_error(code),
            })
            .times(3)
            .build();
        let error = dynamo_store(&rule)
            .put_record(&record("01"))
            .await
            .expect_err(fault);
        assert!(
            matches!(error, StoreError::Transient { .. }),
            "{fault}: {error}"
        );
        assert_eq!(rule.num_calls(), 3, "{fault}: every attempt was used");
    }
}

#[tokio::test]
async fn dynamodb_validation_errors_are_permanent() {
    let rule = mock!(aws_sdk_dynamodb::Client::put_item)
        .sequence()
        .http_response(|| dynamodb_error("ValidationException"))
        .build();
    let error = dynamo_store(&rule)
        .put_record(&record("01"))
        .await
        .expect_err("invalid");
    assert!(matches!(error, StoreError::Invalid { .. }), "{error}");
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn dynamodb_items_round_trip_to_records() {
    let stored = record("0055A0");
    let item: HashMap<String, AttributeValue> = serde_dynamo::to_item(&stored).expect("item");
    let rule = mock!(aws_sdk_dynamodb::Client::get_item)
        .match_requests(|request| request.consistent_read() == Some(true))
        .then_output(move || {
            GetItemOutput::builder()
                .set_item(Some(item.clone()))
                .build()
        });
    let missing =
        mock!(aws_sdk_dynamodb::Client::get_item).then_output(|| GetItemOutput::builder().build());
    let written =
        mock!(aws_sdk_dynamodb::Client::put_item).then_output(|| PutItemOutput::builder().build());
    let client = mock_client!(
        aws_sdk_dynamodb,
        RuleMode::Sequential,
        [&rule, &missing, &written]
    );
    let store = DynamoRecordStore::new(client, "records");
    let read = store.get_record(&stored.object_id).await.expect("read");
    assert_eq!(read, Some(stored.clone()));
    assert_eq!(store.get_record("s3://in/none").await.expect("read"), None);
    assert_eq!(
        store.put_record(&stored).await.expect("write"),
        PutOutcome::Written
    );
}
