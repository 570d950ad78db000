//! The local main job: the whole pipeline over a directory of inputs, with the local object
//! and record stores standing in for S3 and DynamoDB.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, UNIX_EPOCH};

use imagepipe_adapters::{
    JsonLinesRecordStore, LocalObjectStore, ObjectStore, PutOutcome, RecordStore, StoreError,
};
use imagepipe_core::{ObjectIdentity, PipelineSettings, RecordStatus, Transform};

use crate::pipeline::{Outcome, Pipeline, ProcessError};

/// Bucket names the local stores use for the input and output directories, so records and
/// output keys look exactly as they will with S3.
pub const INPUT_BUCKET: &str = "local-input";
pub const OUTPUT_BUCKET: &str = "local-output";

#[derive(Debug, thiserror::Error)]
pub enum LocalJobError {
    #[error("cannot list the input directory {path}: {source}")]
    ListInput {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the records file: {0}")]
    OpenRecords(StoreError),
    #[error("cannot start the records file {path} afresh: {source}")]
    RedoRecords {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Boxed: a store failure carries the whole object location, too large to move through
    /// every `Result` of the job.
    #[error(transparent)]
    Process(Box<ProcessError>),
}

impl From<ProcessError> for LocalJobError {
    fn from(error: ProcessError) -> Self {
        Self::Process(Box::new(error))
    }
}

/// One input file found under the input directory.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// The path relative to the input directory, with `/` separators: the object key.
    pub key: String,
    pub size: u64,
    /// Modification time in nanoseconds since the epoch, as hex: the local stand-in for the S3
    /// event sequencer, so an unchanged file is not recorded twice across runs.
    pub sequencer: String,
}

/// Every regular file under `input`, sorted by key, skipping hidden files and anything under
/// `exclude` (the output directory, when it is inside the input directory).
pub fn list_inputs(input: &Path, exclude: &Path) -> Result<Vec<InputFile>, LocalJobError> {
    let mut files = Vec::new();
    let mut pending = vec![input.to_path_buf()];
    let excluded = exclude.canonicalize().ok();
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|source| LocalJobError::ListInput {
            path: dir.clone(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| LocalJobError::ListInput {
                path: dir.clone(),
                source,
            })?;
            let path = entry.path();
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if hidden || excluded.as_deref() == path.canonicalize().ok().as_deref() {
                continue;
            }
            let metadata = entry
                .metadata()
                .map_err(|source| LocalJobError::ListInput {
                    path: path.clone(),
                    source,
                })?;
            if metadata.is_dir() {
                pending.push(path);
            } else if metadata.is_file() {
                let relative = path.strip_prefix(input).unwrap_or(&path);
                let key = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                let modified = metadata
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .unwrap_or(Duration::ZERO);
                files.push(InputFile {
                    key,
                    size: metadata.len(),
                    sequencer: format!("{:x}", modified.as_nanos()),
                });
            }
        }
    }
    files.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(files)
}

/// Totals for the end-of-run summary.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub complete: usize,
    /// Of `complete` and `failed`: objects recorded before with other settings, made again.
    pub reprocessed: usize,
    pub failed: Vec<(String, String)>,
    pub unchanged: usize,
    pub skipped: usize,
    pub input_bytes: u64,
    pub output_bytes: u64,
    pub elapsed: Duration,
}

impl Summary {
    pub fn total(&self) -> usize {
        self.complete + self.failed.len() + self.unchanged + self.skipped
    }
}

/// Runs the pipeline over every file from `list_inputs`, calling `progress` after each one.
pub async fn run<O: ObjectStore, R: RecordStore>(
    pipeline: &Pipeline<O, R>,
    inputs: &[InputFile],
    mut progress: impl FnMut(&InputFile, &Outcome),
) -> Result<Summary, LocalJobError> {
    let started = Instant::now();
    let mut summary = Summary::default();
    for input in inputs {
        let mut identity = ObjectIdentity::new(INPUT_BUCKET, &input.key, input.size);
        identity.sequencer = Some(input.sequencer.clone());
        let outcome = pipeline.process(identity).await?;
        match &outcome {
            Outcome::SkippedOwnOutput => summary.skipped += 1,
            Outcome::AlreadyRecorded { .. }
            | Outcome::Recorded {
                write: PutOutcome::Stale,
                ..
            } => summary.unchanged += 1,
            Outcome::Recorded {
                record,
                reprocessed,
                ..
            } => match record.status {
                RecordStatus::Complete => {
                    summary.complete += 1;
                    summary.reprocessed += usize::from(*reprocessed);
                    summary.input_bytes += record.identity.size;
                    summary.output_bytes += record.outputs.iter().map(|r| r.bytes).sum::<u64>();
                }
                RecordStatus::Failed => {
                    summary.reprocessed += usize::from(*reprocessed);
                    let reason = record
                        .failure
                        .as_ref()
                        .map_or_else(String::new, |f| f.reason.clone());
                    summary.failed.push((input.key.clone(), reason));
                }
            },
        }
        progress(input, &outcome);
    }
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// Where a local run reads and writes.
#[derive(Debug, Clone)]
pub struct LocalPaths<'a> {
    /// Served as [`INPUT_BUCKET`].
    pub input: &'a Path,
    /// Served as [`OUTPUT_BUCKET`].
    pub output: &'a Path,
    /// The JSON-lines records file.
    pub records: &'a Path,
}

/// The stores for a local run. With `redo`, the records file starts empty, so every input is
/// made again whatever was recorded before.
pub async fn local_pipeline(
    paths: LocalPaths<'_>,
    transform: Arc<dyn Transform>,
    settings: PipelineSettings,
    redo: bool,
) -> Result<Pipeline<LocalObjectStore, JsonLinesRecordStore>, LocalJobError> {
    let objects = LocalObjectStore::new()
        .with_bucket(INPUT_BUCKET, paths.input)
        .with_bucket(OUTPUT_BUCKET, paths.output);
    if redo {
        match std::fs::remove_file(paths.records) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(LocalJobError::RedoRecords {
                    path: paths.records.to_path_buf(),
                    source,
                });
            }
        }
    }
    let records = JsonLinesRecordStore::open(paths.records)
        .await
        .map_err(LocalJobError::OpenRecords)?;
    Ok(Pipeline::new(
        objects,
        records,
        transform,
        settings,
        OUTPUT_BUCKET,
    ))
}
