//! S3 Batch Operations `LambdaInvoke` jobs: how existing objects (a backfill, a reprocess after
//! a settings change, a re-drive of failed objects) reach the same [`Function`]. Each task is
//! one object, answered with its own result code so S3 retries exactly the temporary failures
//! and reports the rest in the job's completion report.
//!
//! Invocation schemas 1.0 (`s3BucketArn`) and 2.0 (`s3Bucket`) are both read. Keys arrive
//! URL-encoded, as in the CSV manifest.

use std::time::SystemTime;

use imagepipe_adapters::{ObjectStore, PutOutcome, RecordStore};
use imagepipe_core::{ObjectIdentity, RecordStatus};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::function::{Function, Verdict};
use crate::pipeline::Outcome;
use crate::s3_notification::decode_key;

/// True for the payload S3 Batch Operations sends.
pub fn is_batch_operations_event(event: &Value) -> bool {
    event.get("invocationSchemaVersion").is_some() && event.get("tasks").is_some()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchEvent {
    invocation_schema_version: String,
    invocation_id: String,
    #[serde(default)]
    tasks: Vec<Value>,
}

/// One task as sent; read field by field so one malformed task is answered alone.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Task {
    task_id: Option<String>,
    s3_key: Option<String>,
    s3_version_id: Option<String>,
    /// Schema 2.0.
    s3_bucket: Option<String>,
    /// Schema 1.0: `arn:aws:s3:::bucket`.
    s3_bucket_arn: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ResultCode {
    Succeeded,
    /// S3 Batch Operations invokes the task again (then reports it failed).
    TemporaryFailure,
    PermanentFailure,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskResult {
    task_id: String,
    result_code: ResultCode,
    result_string: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    invocation_schema_version: String,
    /// A task missing from `results` (an invocation cut short) is retried, not failed.
    treat_missing_keys_as: ResultCode,
    invocation_id: String,
    results: Vec<TaskResult>,
}

impl<O: ObjectStore, R: RecordStore> Function<O, R> {
    /// Answers every task of a Batch Operations invocation. Never an invocation error: a
    /// payload that is not a job gets an empty answer, and every task gets its own code.
    pub(crate) async fn handle_batch_operations(
        &self,
        event: &Value,
        request_id: &str,
        deadline: SystemTime,
    ) -> BatchResponse {
        let event: BatchEvent = match serde_json::from_value(event.clone()) {
            Ok(event) => event,
            Err(error) => {
                tracing::error!(%error, "malformed S3 Batch Operations invocation");
                return BatchResponse {
                    invocation_schema_version: String::new(),
                    treat_missing_keys_as: ResultCode::TemporaryFailure,
                    invocation_id: String::new(),
                    results: Vec::new(),
                };
            }
        };
        let mut results = Vec::with_capacity(event.tasks.len());
        for raw in &event.tasks {
            let task: Task = serde_json::from_value(raw.clone()).unwrap_or_default();
            let Some(task_id) = task.task_id.clone() else {
                // Nothing to answer it by: left out, so `treatMissingKeysAs` retries it.
                tracing::error!(task = %raw, "S3 Batch Operations task without a taskId");
                continue;
            };
            let (result_code, result_string) = match task_identity(&task) {
                Ok(identity) => {
                    let verdict = self.process_object(identity, request_id, deadline).await;
                    answer(&verdict)
                }
                Err(reason) => (ResultCode::PermanentFailure, reason),
            };
            results.push(TaskResult {
                task_id,
                result_code,
                result_string,
            });
        }
        BatchResponse {
            invocation_schema_version: event.invocation_schema_version,
            treat_missing_keys_as: ResultCode::TemporaryFailure,
            invocation_id: event.invocation_id,
            results,
        }
    }
}

/// The object a task names. Batch Operations gives no size, ETag or sequencer: the pipeline
/// learns the revision from the store.
fn task_identity(task: &Task) -> Result<ObjectIdentity, String> {
    let bucket = task
        .s3_bucket
        .clone()
        .or_else(|| {
            task.s3_bucket_arn
                .as_deref()
                .and_then(|arn| arn.strip_prefix("arn:aws:s3:::"))
                .map(str::to_owned)
        })
        .filter(|bucket| !bucket.is_empty())
        .ok_or("the task names no bucket (s3Bucket or s3BucketArn)")?;
    let raw_key = task
        .s3_key
        .as_deref()
        .filter(|key| !key.is_empty())
        .ok_or("the task names no key (s3Key)")?;
    let key = decode_key(raw_key).map_err(|error| error.to_string())?;
    let mut identity = ObjectIdentity::new(bucket, key, 0);
    identity.version_id = task.s3_version_id.clone().filter(|v| !v.is_empty());
    Ok(identity)
}

/// The task's result code and the text the completion report shows.
fn answer(verdict: &Verdict) -> (ResultCode, String) {
    match verdict {
        Verdict::Retry(reason) => (ResultCode::TemporaryFailure, reason.clone()),
        Verdict::Settled(Outcome::SkippedOwnOutput) => (
            ResultCode::Succeeded,
            "skipped: one of the pipeline's own outputs".to_owned(),
        ),
        Verdict::Settled(Outcome::AlreadyRecorded { status }) => match status {
            RecordStatus::Complete => (
                ResultCode::Succeeded,
                "already complete with these settings".to_owned(),
            ),
            RecordStatus::Failed => (
                ResultCode::PermanentFailure,
                "already recorded as failed with these settings".to_owned(),
            ),
        },
        Verdict::Settled(Outcome::Recorded { record, write, .. }) => {
            if *write == PutOutcome::Stale {
                return (
                    ResultCode::Succeeded,
                    "a newer event's record stands; nothing replaced".to_owned(),
                );
            }
            match (&record.status, &record.failure) {
                (RecordStatus::Failed, Some(failure)) => (
                    ResultCode::PermanentFailure,
                    format!("{}: {}", failure.kind, failure.reason),
                ),
                _ => (
                    ResultCode::Succeeded,
                    format!("complete: {} outputs", record.outputs.len()),
                ),
            }
        }
    }
}
