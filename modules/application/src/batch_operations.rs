//! S3 Batch Operations `LambdaInvoke` jobs: how existing objects (a backfill, a reprocess after
//! a settings change, a re-drive of failed objects) reach the same `Function`. Each task is
//! one object, answered with its own result code so S3 retries exactly the temporary failures
//! and reports the rest in the job's completion report.
//!
//! Invocation schemas 1.0 (`s3BucketArn`) and 2.0 (`s3Bucket`) are both read. Keys arrive
//! URL-encoded, as in the CSV manifest. `Function` runs the tasks; this file reads and answers.

use imagepipe_adapters::PutOutcome;
use imagepipe_core::{ObjectIdentity, RecordStatus};
use serde::{Deserialize, Serialize};
use serde_json::Value;

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

/// A Batch Operations invocation, read leniently: each task with its object, or the reason it
/// names none.
#[derive(Debug)]
pub struct BatchInvocation {
    schema_version: String,
    invocation_id: String,
    pub tasks: Vec<(String, Result<ObjectIdentity, String>)>,
}

impl BatchInvocation {
    /// `None` when the payload is not a job at all (nothing to answer by).
    pub fn parse(event: &Value) -> Option<Self> {
        let event: BatchEvent = serde_json::from_value(event.clone())
            .inspect_err(
                |error| tracing::error!(%error, "malformed S3 Batch Operations invocation"),
            )
            .ok()?;
        let tasks = event
            .tasks
            .iter()
            .filter_map(|raw| {
                let task: Task = serde_json::from_value(raw.clone()).unwrap_or_default();
                let Some(task_id) = task.task_id.clone() else {
                    // Nothing to answer it by: left out, so `treatMissingKeysAs` retries it.
                    tracing::error!(task = %raw, "S3 Batch Operations task without a taskId");
                    return None;
                };
                Some((task_id, task_identity(&task)))
            })
            .collect();
        Some(Self {
            schema_version: event.invocation_schema_version,
            invocation_id: event.invocation_id,
            tasks,
        })
    }

    /// The answer: one result per task, in `results` order.
    pub fn respond(self, results: Vec<TaskResult>) -> BatchResponse {
        BatchResponse {
            invocation_schema_version: self.schema_version,
            treat_missing_keys_as: ResultCode::TemporaryFailure,
            invocation_id: self.invocation_id,
            results,
        }
    }
}

impl BatchResponse {
    /// The answer to a payload that is not a job.
    pub fn empty() -> Self {
        Self {
            invocation_schema_version: String::new(),
            treat_missing_keys_as: ResultCode::TemporaryFailure,
            invocation_id: String::new(),
            results: Vec::new(),
        }
    }
}

impl TaskResult {
    /// A task whose object was settled (`Ok`), must be retried (`Err(reason)`), or that names
    /// no object (`PermanentFailure`).
    pub fn new(task_id: String, settled: Result<&Outcome, &str>) -> Self {
        let (result_code, result_string) = answer(settled);
        Self {
            task_id,
            result_code,
            result_string,
        }
    }

    pub fn refused(task_id: String, reason: String) -> Self {
        Self {
            task_id,
            result_code: ResultCode::PermanentFailure,
            result_string: reason,
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
fn answer(settled: Result<&Outcome, &str>) -> (ResultCode, String) {
    match settled {
        Err(reason) => (ResultCode::TemporaryFailure, reason.to_owned()),
        Ok(Outcome::SkippedOwnOutput) => (
            ResultCode::Succeeded,
            "skipped: one of the pipeline's own outputs".to_owned(),
        ),
        Ok(Outcome::AlreadyRecorded { status }) => match status {
            RecordStatus::Complete => (
                ResultCode::Succeeded,
                "already complete with these settings".to_owned(),
            ),
            RecordStatus::Failed => (
                ResultCode::PermanentFailure,
                "already recorded as failed with these settings".to_owned(),
            ),
        },
        Ok(Outcome::Recorded { record, write, .. }) => {
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
