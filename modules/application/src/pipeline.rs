use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use imagepipe_adapters::{
    ObjectLocation, ObjectStore, PutObject, PutOutcome, RecordStore, StoreError,
};
use imagepipe_core::{
    Failure, FailureKind, Input, ObjectIdentity, OutputRecord, PipelineSettings, Product,
    Provenance, Record, RecordStatus, Transform, output_key,
};

/// What became of one object.
#[derive(Debug)]
pub enum Outcome {
    /// A record was made (complete or failed) and handed to the record store; `write` says
    /// whether the store took it or already had the same or a newer event's record.
    Recorded {
        record: Box<Record>,
        write: PutOutcome,
        /// The object had a record of the same revision made with other settings: this one
        /// was made again to replace it.
        reprocessed: bool,
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
    #[error("could not write output {location}: {source}")]
    WriteOutput {
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
            | Self::WriteOutput { source, .. }
            | Self::WriteRecord { source, .. } => source.is_retryable(),
            Self::Cancelled(_) => true,
        }
    }
}

/// The per-object flow over any object store, record store and [`Transform`].
#[derive(Debug)]
pub struct Pipeline<O, R> {
    objects: O,
    records: R,
    transform: Arc<dyn Transform>,
    settings: PipelineSettings,
    /// Stamped on every record; its digest decides what is made again.
    provenance: Provenance,
    output_bucket: String,
}

impl<O: ObjectStore, R: RecordStore> Pipeline<O, R> {
    pub fn new(
        objects: O,
        records: R,
        transform: Arc<dyn Transform>,
        settings: PipelineSettings,
        output_bucket: impl Into<String>,
    ) -> Self {
        let provenance = Provenance::new(transform.as_ref(), &settings);
        Self {
            objects,
            records,
            transform,
            settings,
            provenance,
            output_bucket: output_bucket.into(),
        }
    }

    /// What this pipeline stamps on its records (the transform, its settings and their digest).
    pub fn provenance(&self) -> &Provenance {
        &self.provenance
    }

    /// True for keys this pipeline writes: the output prefix in the output bucket.
    pub fn is_own_output(&self, identity: &ObjectIdentity) -> bool {
        identity.bucket == self.output_bucket
            && identity.key.starts_with(&self.settings.output_prefix)
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
        let identity = match self.revision_for_stored(identity, stored.as_ref()).await? {
            Ok(identity) => identity,
            Err(refused) => return self.record(refused, stored.as_ref()).await,
        };
        if let Some(status) = self.superseding_status(stored.as_ref(), &identity) {
            return Ok(Outcome::AlreadyRecorded { status });
        }
        let record = match self.transform(identity, stored.as_ref()).await? {
            Transformed::Product(identity, product) => {
                for warning in &product.warnings {
                    tracing::warn!(
                        bucket = %identity.bucket,
                        key = %identity.key,
                        warning = %warning,
                        "transformed with a warning"
                    );
                }
                self.store_outputs(identity, product).await?
            }
            Transformed::Refused(record) => record,
            Transformed::AlreadyRecorded(status) => {
                return Ok(Outcome::AlreadyRecorded { status });
            }
        };
        self.record(record, stored.as_ref()).await
    }

    async fn record(
        &self,
        record: Record,
        stored: Option<&Record>,
    ) -> Result<Outcome, ProcessError> {
        let reprocessed = stored.is_some_and(|stored| {
            let same_version = match (stored.sequencer(), record.sequencer()) {
                (Some(stored), Some(made)) => stored == made,
                _ => stored.identity.same_revision(&record.identity),
            };
            same_version && stored.provenance.settings_digest != record.provenance.settings_digest
        });
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
            reprocessed,
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

    /// An event that names neither a revision nor a sequencer (an S3 Batch Operations task
    /// from a manifest without versions) cannot be matched against a stored record: a HEAD
    /// request tells the revision, so a backfill of an object already recorded with the same
    /// settings costs a read and a HEAD, not a download. `Err` holds the record of an object
    /// that is gone.
    async fn revision_for_stored(
        &self,
        mut identity: ObjectIdentity,
        stored: Option<&Record>,
    ) -> Result<Result<ObjectIdentity, Record>, ProcessError> {
        let unordered = identity.sequencer.is_none() && identity.revision().is_empty();
        if stored.is_none() || !unordered {
            return Ok(Ok(identity));
        }
        let location = ObjectLocation::new(&identity.bucket, &identity.key);
        match self.objects.head(&location).await {
            Ok(meta) => {
                identity.size = meta.size;
                identity.etag = meta.etag;
                identity.version_id = meta.version_id;
                identity.content_type = identity.content_type.or(meta.content_type);
                Ok(Ok(identity))
            }
            Err(error @ StoreError::NotFound { .. }) => Ok(Err(self.failed(
                identity,
                Failure::new(FailureKind::SOURCE_UNREADABLE, error.to_string()),
            ))),
            Err(source) => Err(ProcessError::Read { location, source }),
        }
    }

    fn failed(&self, identity: ObjectIdentity, failure: Failure) -> Record {
        tracing::warn!(
            bucket = %identity.bucket,
            key = %identity.key,
            kind = %failure.kind,
            reason = %failure.reason,
            "input refused; recording it as failed"
        );
        Record::failed(identity, self.provenance.clone(), failure, now_ms())
    }

    /// Fetches and transforms; `Err` only for failures that are not the input's fault.
    async fn transform(
        &self,
        mut identity: ObjectIdentity,
        stored: Option<&Record>,
    ) -> Result<Transformed, ProcessError> {
        let limit = self.settings.max_input_bytes;
        let too_large = |actual: u64| {
            Failure::new(
                FailureKind::TOO_MANY_BYTES,
                format!("the object is {actual} bytes, over the limit of {limit} bytes"),
            )
        };
        // The declared size refuses an oversized object before a byte of it is downloaded.
        if identity.size > limit {
            let failure = too_large(identity.size);
            return Ok(Transformed::Refused(self.failed(identity, failure)));
        }
        let location = ObjectLocation::new(&identity.bucket, &identity.key)
            .at_version(identity.version_id.clone());
        // Only the object's own state is recorded; anything else (throttling, but also access
        // denied, a KMS key, a policy) is handed back, so a deployment mistake ends in the
        // dead-letter queue, redrivable once fixed, instead of a record blocking redelivery.
        let object = match self.objects.get(&location, limit).await {
            Ok(object) => object,
            Err(StoreError::TooLarge { size, .. }) => {
                let failure = too_large(size);
                return Ok(Transformed::Refused(self.failed(identity, failure)));
            }
            Err(error @ StoreError::NotFound { .. }) => {
                let failure = Failure::new(FailureKind::SOURCE_UNREADABLE, error.to_string());
                return Ok(Transformed::Refused(self.failed(identity, failure)));
            }
            Err(source) => return Err(ProcessError::Read { location, source }),
        };
        // The record describes the bytes actually read: when the event pinned no version and
        // the object was overwritten since, the store's ETag (and version) are the true ones.
        identity.size = object.meta.size;
        identity.etag = object.meta.etag.or(identity.etag);
        identity.version_id = identity.version_id.or(object.meta.version_id);
        identity.content_type = identity.content_type.or(object.meta.content_type);
        // An event without a sequencer (a backfill) about the revision the stored record
        // describes takes that record's place in the order of events: a reprocess replaces it,
        // and a newer upload's event still replaces the reprocess.
        if identity.sequencer.is_none()
            && let Some(stored) = stored.filter(|stored| stored.identity.same_revision(&identity))
        {
            identity.sequencer.clone_from(&stored.identity.sequencer);
        }
        if let Some(status) = self.superseding_status(stored, &identity) {
            return Ok(Transformed::AlreadyRecorded(status));
        }

        // Transforms are CPU-bound for seconds: keep them off the async workers, and turn a
        // panic on hostile input into a failed record instead of a dead process.
        let transform = Arc::clone(&self.transform);
        let input = Input {
            identity: identity.clone(),
            bytes: object.bytes,
        };
        let task = tokio::task::spawn_blocking(move || transform.apply(input));
        match task.await {
            Ok(Ok(product)) => Ok(Transformed::Product(identity, product)),
            Ok(Err(failure)) => Ok(Transformed::Refused(self.failed(identity, failure))),
            Err(join_error) if join_error.is_panic() => {
                let reason = format!("the transform panicked: {}", panic_message(join_error));
                let failure = Failure::new(FailureKind::INTERNAL, reason);
                Ok(Transformed::Refused(self.failed(identity, failure)))
            }
            Err(join_error) => Err(ProcessError::Cancelled(join_error.to_string())),
        }
    }

    /// Puts every output before the record is made, so a record marked complete always points
    /// at outputs that exist.
    async fn store_outputs(
        &self,
        identity: ObjectIdentity,
        product: Product,
    ) -> Result<Record, ProcessError> {
        let metadata = BTreeMap::from([
            (
                "source-etag".to_owned(),
                identity.etag.clone().unwrap_or_default(),
            ),
            (
                "pipeline-version".to_owned(),
                self.provenance.pipeline_version.clone(),
            ),
            (
                "settings-digest".to_owned(),
                self.provenance.settings_digest.clone(),
            ),
        ]);
        let mut outputs = Vec::with_capacity(product.outputs.len());
        for output in product.outputs {
            let key = output_key(
                &self.settings.output_prefix,
                &identity,
                &output.name,
                output.extension,
            );
            let location = ObjectLocation::new(&self.output_bucket, &key);
            outputs.push(OutputRecord {
                name: output.name,
                key,
                content_type: output.content_type.to_owned(),
                bytes: output.bytes.len() as u64,
            });
            let object = PutObject {
                bytes: output.bytes,
                content_type: output.content_type.to_owned(),
                metadata: metadata.clone(),
            };
            self.objects
                .put(&location, object)
                .await
                .map_err(|source| ProcessError::WriteOutput { location, source })?;
        }
        Ok(Record::complete(
            identity,
            self.provenance.clone(),
            outputs,
            product.summary,
            now_ms(),
        ))
    }

    /// The stored record's status when it already answers an event about `identity`.
    fn superseding_status(
        &self,
        stored: Option<&Record>,
        identity: &ObjectIdentity,
    ) -> Option<RecordStatus> {
        let stored = stored
            .filter(|stored| stored.supersedes(identity, &self.provenance.settings_digest))?;
        tracing::info!(
            bucket = %identity.bucket,
            key = %identity.key,
            sequencer = identity.sequencer.as_deref().unwrap_or_default(),
            revision = identity.revision(),
            status = ?stored.status,
            "already recorded from this version or a newer event, with these settings; nothing to do"
        );
        Some(stored.status)
    }
}

/// What fetching and transforming one object came to.
#[allow(
    clippy::large_enum_variant,
    reason = "one value per object, moved once: boxing would only add an allocation; `allow`, not \
              `expect`: whether the lint fires depends on which features the build unifies"
)]
enum Transformed {
    Product(ObjectIdentity, Product),
    /// A permanent, input-caused failure, to be recorded.
    Refused(Record),
    /// The bytes read are a version the stored record already describes.
    AlreadyRecorded(RecordStatus),
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
