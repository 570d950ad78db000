//! The Lambda function's event handling: which objects an invocation brings, in what order they
//! are handed to [`Pipeline::process`], and what Lambda is told afterwards.
//!
//! Three trigger shapes arrive here; S3 Batch Operations jobs (backfills) are answered task by
//! task in `batch_operations.rs`. A direct S3 notification is answered with an error when any
//! object must be retried (Lambda's async retries, then the on-failure destination). An SQS
//! event (S3 -> SQS -> Lambda) is answered with `batchItemFailures` naming exactly the messages
//! to retry, so one bad message never fails its batch; the queue's redrive policy moves a
//! message that keeps failing to the dead-letter queue. A message is acknowledged only when
//! every object in it is settled (recorded, or deliberately skipped).

use std::time::{Duration, SystemTime};

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use imagepipe_adapters::{ObjectStore, PutOutcome, RecordStore};
use imagepipe_core::ObjectIdentity;
use serde_json::{Value, json};

use crate::batch_operations::{
    BatchInvocation, BatchResponse, TaskResult, is_batch_operations_event,
};
use crate::metrics_line::metrics_line;
use crate::pipeline::{Outcome, Pipeline};
use crate::s3_notification::{Notification, parse_notification, parse_notification_body};

/// Why an invocation as a whole failed: Lambda retries it (direct invocations) or the whole
/// batch (SQS, only when even a partial answer is impossible).
#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    #[error("unrecognised event: {0}")]
    UnrecognizedEvent(String),
    #[error("malformed SQS event: {0}")]
    MalformedSqsEvent(String),
    #[error("{failed} of {total} objects must be retried; first: {first}")]
    Retry {
        failed: usize,
        total: usize,
        first: String,
    },
    #[error("{count} SQS messages without a messageId failed and cannot be reported alone")]
    UnidentifiedMessages { count: usize },
}

impl From<FunctionError> for lambda_runtime::Diagnostic {
    fn from(error: FunctionError) -> Self {
        let error_type = match &error {
            FunctionError::UnrecognizedEvent(_) => "UnrecognizedEvent",
            FunctionError::MalformedSqsEvent(_) => "MalformedSqsEvent",
            FunctionError::Retry { .. } => "Retry",
            FunctionError::UnidentifiedMessages { .. } => "UnidentifiedMessages",
        };
        lambda_runtime::Diagnostic {
            error_type: error_type.to_owned(),
            error_message: error.to_string(),
        }
    }
}

/// Time kept from every object's budget so that, however an object ends, the handler still
/// answers before the invocation's deadline (building and posting a batch response is
/// milliseconds; this leaves room for a loaded machine).
pub const ANSWER_RESERVE: Duration = Duration::from_millis(500);

/// The handler, built once at start-up around one [`Pipeline`]. Each object runs under a
/// deadline derived from the invocation's; objects not started or not finished by then are
/// handed back (batch item failures), so Lambda never times the invocation out.
#[derive(Debug)]
pub struct Function<O, R> {
    pipeline: Pipeline<O, R>,
    min_remaining: Duration,
}

/// What became of one object.
enum Verdict {
    Settled(Outcome),
    /// Not the input's fault (or out of time): hand it back, with the reason.
    Retry(String),
}

/// What became of the objects of one payload: `retry` holds a reason per object that must be
/// retried.
#[derive(Debug, Default)]
struct Settlement {
    objects: usize,
    retry: Vec<String>,
}

impl<O: ObjectStore, R: RecordStore> Function<O, R> {
    pub fn new(pipeline: Pipeline<O, R>, min_remaining: Duration) -> Self {
        Self {
            pipeline,
            min_remaining,
        }
    }

    /// Handles one invocation (Lambda's `request_id`, which the metrics lines name) that must
    /// finish by `deadline`.
    pub async fn handle(
        &self,
        event: Value,
        request_id: &str,
        deadline: SystemTime,
    ) -> Result<Value, FunctionError> {
        if is_batch_operations_event(&event) {
            let response = self
                .handle_batch_operations(&event, request_id, deadline)
                .await;
            return Ok(serde_json::to_value(response).unwrap_or_default());
        }
        if is_sqs_event(&event) {
            let event: SqsEvent = serde_json::from_value(event)
                .map_err(|e| FunctionError::MalformedSqsEvent(e.to_string()))?;
            let response = self.handle_sqs(event, request_id, deadline).await?;
            return Ok(serde_json::to_value(response).unwrap_or_default());
        }
        let notification = parse_notification(&event)
            .map_err(|e| FunctionError::UnrecognizedEvent(e.to_string()))?;
        let settlement = self.settle(notification, request_id, deadline).await;
        match settlement.retry.first() {
            None => Ok(json!({ "objects": settlement.objects })),
            Some(first) => Err(FunctionError::Retry {
                failed: settlement.retry.len(),
                total: settlement.objects,
                first: first.clone(),
            }),
        }
    }

    /// Answers every task of an S3 Batch Operations invocation with its own result code;
    /// never an invocation error.
    async fn handle_batch_operations(
        &self,
        event: &Value,
        request_id: &str,
        deadline: SystemTime,
    ) -> BatchResponse {
        let Some(mut invocation) = BatchInvocation::parse(event) else {
            return BatchResponse::empty();
        };
        let mut results = Vec::with_capacity(invocation.tasks.len());
        for (task_id, identity) in std::mem::take(&mut invocation.tasks) {
            let result = match identity {
                Ok(identity) => match self.process_object(identity, request_id, deadline).await {
                    Verdict::Settled(outcome) => TaskResult::new(task_id, Ok(&outcome)),
                    Verdict::Retry(reason) => TaskResult::new(task_id, Err(&reason)),
                },
                Err(reason) => TaskResult::refused(task_id, reason),
            };
            results.push(result);
        }
        invocation.respond(results)
    }

    async fn handle_sqs(
        &self,
        event: SqsEvent,
        request_id: &str,
        deadline: SystemTime,
    ) -> Result<SqsBatchResponse, FunctionError> {
        let mut failed_ids = Vec::new();
        let mut unidentified = 0;
        for message in &event.records {
            let message_id = message.message_id.clone();
            let reasons = self
                .handle_message(message, request_id, deadline)
                .await
                .retry;
            if reasons.is_empty() {
                continue;
            }
            tracing::warn!(
                message_id = message_id.as_deref().unwrap_or("?"),
                reasons = ?reasons,
                "message reported as a batch item failure"
            );
            match message_id {
                Some(id) => failed_ids.push(id),
                None => unidentified += 1,
            }
        }
        if unidentified > 0 {
            return Err(FunctionError::UnidentifiedMessages {
                count: unidentified,
            });
        }
        let mut response = SqsBatchResponse::default();
        response.batch_item_failures = failed_ids
            .into_iter()
            .map(|id| {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                failure
            })
            .collect();
        Ok(response)
    }

    async fn handle_message(
        &self,
        message: &SqsMessage,
        request_id: &str,
        deadline: SystemTime,
    ) -> Settlement {
        let body = message.body.as_deref().unwrap_or_default();
        match parse_notification_body(body) {
            Ok(notification) => self.settle(notification, request_id, deadline).await,
            // Not an S3 notification: nothing can be recorded for it, so it is retried until
            // the redrive policy parks it in the dead-letter queue where someone can look.
            Err(error) => Settlement {
                objects: 0,
                retry: vec![error.to_string()],
            },
        }
    }

    /// Processes every object of a notification, in order, until the deadline gets close.
    async fn settle(
        &self,
        notification: Notification,
        request_id: &str,
        deadline: SystemTime,
    ) -> Settlement {
        let records = match notification {
            Notification::Test => {
                tracing::info!("S3 test event (notification configured); nothing to do");
                return Settlement::default();
            }
            Notification::Records(records) => records,
        };
        let mut settlement = Settlement::default();
        for record in records {
            let record = match record {
                Ok(record) if !record.is_object_created() => {
                    tracing::info!(event = ?record.event_name, "not an object creation; skipped");
                    continue;
                }
                Ok(record) => record,
                Err(error) => {
                    settlement.retry.push(error.to_string());
                    continue;
                }
            };
            settlement.objects += 1;
            let identity = match record.identity() {
                Ok(identity) => identity,
                Err(error) => {
                    settlement.retry.push(error.to_string());
                    continue;
                }
            };
            if let Verdict::Retry(reason) =
                self.process_object(identity, request_id, deadline).await
            {
                settlement.retry.push(reason);
            }
        }
        settlement
    }

    /// One object under the invocation's deadline: settled (recorded or skipped), or a reason
    /// to hand it back.
    async fn process_object(
        &self,
        identity: ObjectIdentity,
        request_id: &str,
        deadline: SystemTime,
    ) -> Verdict {
        let object_id = identity.object_id();
        let Some(budget) = self.object_budget(deadline) else {
            return Verdict::Retry(format!(
                "{object_id}: too little time left before the deadline"
            ));
        };
        // Dropping the unfinished future stops its store calls; the record is written last, so
        // a cut object leaves no record and its retry starts from scratch (a transform already
        // running on a blocking thread finishes unobserved).
        match tokio::time::timeout(budget, self.pipeline.process(identity)).await {
            Ok(Ok(outcome)) => {
                log_outcome(request_id, &object_id, &outcome);
                Verdict::Settled(outcome)
            }
            Ok(Err(error)) if error.is_transient() => {
                tracing::warn!(object = %object_id, %error, "transient failure; will be retried");
                Verdict::Retry(error.to_string())
            }
            Ok(Err(error)) => {
                tracing::error!(
                    object = %object_id,
                    %error,
                    "the deployment refused a call; retried until the dead-letter queue, \
                     redrive it once the deployment is fixed"
                );
                Verdict::Retry(error.to_string())
            }
            Err(_) => {
                tracing::warn!(
                    object = %object_id,
                    budget_ms = budget.as_millis(),
                    "not finished before the invocation's deadline; handed back"
                );
                Verdict::Retry(format!(
                    "{object_id}: not finished within the {} ms left before the deadline",
                    budget.as_millis()
                ))
            }
        }
    }

    /// How long the next object may take: what is left of the invocation minus
    /// [`ANSWER_RESERVE`], or `None` when less than the minimum is left and it is not started.
    fn object_budget(&self, deadline: SystemTime) -> Option<Duration> {
        let left = deadline.duration_since(SystemTime::now()).ok()?;
        (left >= self.min_remaining).then_some(left.saturating_sub(ANSWER_RESERVE))
    }
}

/// The instant an invocation must finish by, from the Runtime API's `Lambda-Runtime-Deadline-Ms`
/// (milliseconds since the Unix epoch). `cargo lambda watch` 1.9 sends the timeout itself there
/// (`600000`) instead of an instant; a value too small to be a date after 2001 is read as that
/// duration from `now`, so the function behaves the same under the emulator as on Lambda.
pub fn invocation_deadline(deadline_ms: u64, now: SystemTime) -> SystemTime {
    const YEAR_2001_MS: u64 = 978_307_200_000;
    if deadline_ms < YEAR_2001_MS {
        now + Duration::from_millis(deadline_ms)
    } else {
        SystemTime::UNIX_EPOCH + Duration::from_millis(deadline_ms)
    }
}

fn is_sqs_event(event: &Value) -> bool {
    event
        .pointer("/Records/0/eventSource")
        .and_then(Value::as_str)
        == Some("aws:sqs")
}

/// Logs the outcome, and for each record written the `imagepipe_metrics` line the extension
/// sums per invocation (printed as bare JSON on stdout, the format it reads in both log modes).
fn log_outcome(request_id: &str, object_id: &str, outcome: &Outcome) {
    match outcome {
        Outcome::Recorded {
            record,
            write,
            reprocessed,
        } => {
            let bytes_out: u64 = record.outputs.iter().map(|r| r.bytes).sum();
            tracing::info!(
                object = %object_id,
                status = ?record.status,
                failure_kind = record.failed_kind.as_ref().map_or("", |kind| kind.as_str()),
                write = ?write,
                reprocessed,
                outputs = record.outputs.len(),
                bytes_in = record.identity.size,
                bytes_out,
                "recorded"
            );
            if *write == PutOutcome::Written {
                println!("{}", metrics_line(request_id, record));
            }
        }
        Outcome::AlreadyRecorded { status } => {
            tracing::info!(object = %object_id, ?status, "already recorded");
        }
        Outcome::SkippedOwnOutput => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_are_instants_unless_they_are_an_emulators_duration() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        let lambda = invocation_deadline(1_795_000_030_000, now);
        assert_eq!(lambda, now + Duration::from_secs(30));
        let emulator = invocation_deadline(600_000, now);
        assert_eq!(emulator, now + Duration::from_secs(600));
    }
}
