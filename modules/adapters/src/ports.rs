use std::collections::BTreeMap;
use std::future::Future;

use imagepipe_core::Record;

use crate::error::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectLocation {
    pub bucket: String,
    pub key: String,
    /// A specific version to read (versioned buckets); `None` reads the current one. Stores
    /// without versions ignore it.
    pub version_id: Option<String>,
}

impl ObjectLocation {
    pub fn new(bucket: impl Into<String>, key: impl Into<String>) -> Self {
        Self {
            bucket: bucket.into(),
            key: key.into(),
            version_id: None,
        }
    }

    pub fn at_version(mut self, version_id: Option<String>) -> Self {
        self.version_id = version_id;
        self
    }
}

impl std::fmt::Display for ObjectLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)?;
        if let Some(version) = &self.version_id {
            write!(f, "?versionId={version}")?;
        }
        Ok(())
    }
}

/// What a store knows about an object besides its bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectMeta {
    pub size: u64,
    pub etag: Option<String>,
    pub version_id: Option<String>,
    pub content_type: Option<String>,
}

#[derive(Debug, Clone)]
pub struct StoredObject {
    pub meta: ObjectMeta,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct PutObject {
    pub bytes: Vec<u8>,
    pub content_type: String,
    /// User metadata (S3 `x-amz-meta-*`); stores without metadata support ignore it.
    pub metadata: BTreeMap<String, String>,
}

/// Where objects are read from and renditions written to (S3, or a directory per bucket).
///
/// Methods return `Send` futures so handlers can run on a multi-threaded runtime; implement
/// them with `async fn`.
pub trait ObjectStore: Send + Sync {
    /// Reads the whole object, refusing ([`StoreError::TooLarge`]) one over `max_bytes` before
    /// reading its body where the store can tell, and never holding more than `max_bytes`.
    fn get(
        &self,
        location: &ObjectLocation,
        max_bytes: u64,
    ) -> impl Future<Output = Result<StoredObject, StoreError>> + Send;

    fn put(
        &self,
        location: &ObjectLocation,
        object: PutObject,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The result of a conditional record write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    Written,
    /// The store already holds a record that [blocks](Record::blocks_write_of) this one (a
    /// newer event's, or the same event's unless this completes a failure), so this one was
    /// not written: a redelivery or an out-of-order event.
    Stale,
}

/// Where one record per object is kept (DynamoDB, or a JSON-lines file).
pub trait RecordStore: Send + Sync {
    /// The current record for `object_id` (a strongly consistent read), if any. The
    /// orchestration asks before transforming, so a redelivered event costs one read, not an
    /// encode.
    fn get_record(
        &self,
        object_id: &str,
    ) -> impl Future<Output = Result<Option<Record>, StoreError>> + Send;

    /// Writes `record` unless the store holds one for the same `object_id` that
    /// [blocks the write](Record::blocks_write_of) (a newer sequencer, or the same one unless a
    /// completion replaces a failure), atomically with that check. Records without a sequencer
    /// always write (local runs have none).
    fn put_record(
        &self,
        record: &Record,
    ) -> impl Future<Output = Result<PutOutcome, StoreError>> + Send;
}
