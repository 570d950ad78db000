use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use imagepipe_adapters::{
    ObjectLocation, ObjectStore, PutObject, PutOutcome, RecordStore, StoreError,
};
use imagepipe_core::{
    Complete, Failure, FailureKind, ObjectIdentity, PIPELINE_VERSION, PipelineConfig, Raw, Record,
    RecordStatus, TransformError, decode, encode,
};

/// What became of one object.
#[derive(Debug)]
pub enum Outcome {
    /// A record was made (complete or failed) and handed to the record store; `write` says
    /// whether the store took it or already had the same or a newer event's record.
    Recorded {
        record: Box<Record>,
        write: PutOutcome,
    },
    /// The store already holds a record from the same or a newer event for this object (a
    /// redelivery, an older event arriving late, or an event about a version already
    /// recorded): nothing was transformed or written.
    AlreadyRecorded { status: RecordStatus },
    /// The object is one of the pipeline's own outputs: processing it would loop forever.
    SkippedOwnOutput,
}

/// A failure that is not the input's fault: the object must be retried (and, if it keeps
/// failing, end in the dead-letter queue), never acknowledged. Either the stores are
/// momentarily unable ([`ProcessError::is_transient`]) or the deployment refuses the call.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("could not read the current record of {object_id}: {source}")]
    ReadRecord {
        object_id: String,
        source: StoreError,
    },
    #[error("could not read {location}: {source}")]
    Read {
        location: ObjectLocation,
        source: StoreError,
    },
    #[error("could not write rendition {location}: {source}")]
    WriteRendition {
        location: ObjectLocation,
        source: StoreError,
    },
    #[error("could not write the record for {object_id}: {source}")]
    WriteRecord {
        object_id: String,
        source: StoreError,
    },
    #[error("the transform task was cancelled: {0}")]
    Cancelled(String),
}

impl ProcessError {
    /// True when a retry may succeed by itself (throttling, timeouts); false when the
    /// deployment refused the call (access, a key, a missing table) and an operator must fix
    /// it before the dead-letter queue is redriven.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::ReadRecord { source, .. }
            | Self::Read { source, .. }
            | Self::WriteRendition { source, .. }
            | Self::WriteRecord { source, .. } => source.is_retryable(),
            Self::Cancelled(_) => true,
        }
    }
}

/// The per-object flow over any object and record store.
#[derive(Debug)]
pub struct Pipeline<O, R> {
    objects: O,
    records: R,
    config: Arc<PipelineConfig>,
    output_bucket: String,
}

impl<O: ObjectStore, R: RecordStore> Pipeline<O, R> {
    pub fn new(
        objects: O,
        records: R,
        config: PipelineConfig,
        output_bucket: impl Into<String>,
    ) -> Self {
        Self {
            objects,
            records,
            config: Arc::new(config),
            output_bucket: output_bucket.into(),
        }
    }

    pub fn config(&self) -> &PipelineConfig {
        &self.config
    }

    /// True for keys this pipeline writes: the output prefix in the output bucket.
    pub fn is_own_output(&self, identity: &ObjectIdentity) -> bool {
        identity.bucket == self.output_bucket
            && identity.key.starts_with(&self.config.output_prefix)
    }

    /// Processes one object. `Ok` means the object is settled (recorded, or deliberately
    /// skipped) and may be acknowledged; `Err` means it must be retried.
    pub async fn process(&self, identity: ObjectIdentity) -> Result<Outcome, ProcessError> {
        if self.is_own_output(&identity) {
            tracing::warn!(
                bucket = %identity.bucket,
                key = %identity.key,
                "refusing to process the pipeline's own output (recursive trigger?)"
            );
            return Ok(Outcome::SkippedOwnOutput);
        }
        let stored = self.stored_record(&identity).await?;
        if let Some(status) = superseding_status(stored.as_ref(), &identity) {
            return Ok(Outcome::AlreadyRecorded { status });
        }
        let record = match self.transform(identity, stored.as_ref()).await? {
            Transformed::Complete(complete) => {
                if let Some(note) = &complete.source().color_note {
                    tracing::warn!(
                        bucket = %complete.identity().bucket,
                        key = %complete.identity().key,
                        color_space = %complete.source().color_space,
                        note = %note,
                        "colour profile not applied; pixels taken as sRGB"
                    );
                }
                let record = Record::complete(&complete, now_ms());
                self.store_renditions(complete).await?;
                record
            }
            Transformed::Refused(identity, failure) => {
                tracing::warn!(
                    bucket = %identity.bucket,
                    key = %identity.key,
                    kind = ?failure.kind,
                    reason = %failure.reason,
                    "input refused; recording it as failed"
                );
                Record::failed(identity, failure, now_ms())
            }
            Transformed::AlreadyRecorded(status) => {
                return Ok(Outcome::AlreadyRecorded { status });
            }
        };
        let write =
            self.records
                .put_record(&record)
                .await
                .map_err(|source| ProcessError::WriteRecord {
                    object_id: record.object_id.clone(),
                    source,
                })?;
        Ok(Outcome::Recorded {
            record: Box::new(record),
            write,
        })
    }

    /// The object's current record, read before any work so a redelivery costs one read.
    async fn stored_record(
        &self,
        identity: &ObjectIdentity,
    ) -> Result<Option<Record>, ProcessError> {
        let object_id = identity.object_id();
        self.records
            .get_record(&object_id)
            .await
            .map_err(|source| ProcessError::ReadRecord { object_id, source })
    }

    /// Fetches and transforms; `Err` only for failures that are not the input's fault.
    async fn transform(
        &self,
        mut identity: ObjectIdentity,
        stored: Option<&Record>,
    ) -> Result<Transformed, ProcessError> {
        // The declared size refuses an oversized object before a byte of it is downloaded.
        if identity.size > 0
            && let Err(error) = self.config.limits.check_input_bytes(identity.size)
        {
            return Ok(Transformed::Refused(identity, Failure::from(&error)));
        }
        let location = ObjectLocation::new(&identity.bucket, &identity.key)
            .at_version(identity.version_id.clone());
        let max_bytes = self.config.limits.max_input_bytes;
        // Only the object's own state is recorded; anything else (throttling, but also access
        // denied, a KMS key, a policy) is handed back, so a deployment mistake ends in the
        // dead-letter queue, redrivable once fixed, instead of a record blocking redelivery.
        let object = match self.objects.get(&location, max_bytes).await {
            Ok(object) => object,
            Err(StoreError::TooLarge { size, limit, .. }) => {
                let error = TransformError::TooManyBytes {
                    actual: size,
                    limit,
                };
                return Ok(Transformed::Refused(identity, Failure::from(&error)));
            }
            Err(error @ StoreError::NotFound { .. }) => {
                let failure = Failure {
                    kind: FailureKind::SourceUnreadable,
                    reason: error.to_string(),
                };
                return Ok(Transformed::Refused(identity, failure));
            }
            Err(source) => return Err(ProcessError::Read { location, source }),
        };
        // The record describes the bytes actually read: when the event pinned no version and
        // the object was overwritten since, the store's ETag (and version) are the true ones.
        identity.size = object.meta.size;
        identity.etag = object.meta.etag.or(identity.etag);
        identity.version_id = identity.version_id.or(object.meta.version_id);
        identity.content_type = identity.content_type.or(object.meta.content_type);
        if let Some(status) = superseding_status(stored, &identity) {
            return Ok(Transformed::AlreadyRecorded(status));
        }

        // Decoding and encoding are CPU-bound for seconds: keep them off the async workers, and
        // turn a codec panic on hostile input into a failed record instead of a dead process.
        let config = Arc::clone(&self.config);
        let raw = Raw::new(identity.clone(), object.bytes);
        let task = tokio::task::spawn_blocking(move || {
            decode(raw, &config.limits).and_then(|intermediate| encode(intermediate, &config))
        });
        match task.await {
            Ok(Ok(complete)) => Ok(Transformed::Complete(complete)),
            Ok(Err(error)) => Ok(Transformed::Refused(identity, Failure::from(&error))),
            Err(join_error) if join_error.is_panic() => {
                let failure = Failure {
                    kind: FailureKind::Internal,
                    reason: format!("the image codec panicked: {}", panic_message(join_error)),
                };
                Ok(Transformed::Refused(identity, failure))
            }
            Err(join_error) => Err(ProcessError::Cancelled(join_error.to_string())),
        }
    }

    /// Puts every rendition before the record is written, so a record marked complete always
    /// points at renditions that exist.
    async fn store_renditions(&self, complete: Complete) -> Result<(), ProcessError> {
        let source_sha256 = complete.source().sha256.clone();
        for rendition in complete.into_renditions() {
            let location = ObjectLocation::new(&self.output_bucket, &rendition.key);
            let metadata = BTreeMap::from([
                ("source-sha256".to_owned(), source_sha256.clone()),
                ("pipeline-version".to_owned(), PIPELINE_VERSION.to_owned()),
            ]);
            let object = PutObject {
                bytes: rendition.avif,
                content_type: "image/avif".to_owned(),
                metadata,
            };
            self.objects
                .put(&location, object)
                .await
                .map_err(|source| ProcessError::WriteRendition { location, source })?;
        }
        Ok(())
    }
}

/// What fetching and transforming one object came to.
enum Transformed {
    Complete(Complete),
    /// A permanent, input-caused failure, to be recorded.
    Refused(ObjectIdentity, Failure),
    /// The bytes read are a version the stored record already describes.
    AlreadyRecorded(RecordStatus),
}

/// The stored record's status when it already answers an event about `identity`.
fn superseding_status(stored: Option<&Record>, identity: &ObjectIdentity) -> Option<RecordStatus> {
    let stored = stored.filter(|stored| stored.supersedes(identity))?;
    tracing::info!(
        bucket = %identity.bucket,
        key = %identity.key,
        sequencer = identity.sequencer.as_deref().unwrap_or_default(),
        revision = identity.revision(),
        status = ?stored.status,
        "already recorded from this version or a newer event; nothing to do"
    );
    Some(stored.status)
}

fn panic_message(error: tokio::task::JoinError) -> String {
    let payload = error.into_panic();
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic payload".to_owned())
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}
