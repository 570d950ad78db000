use serde::{Deserialize, Serialize};

/// Where an object lives and which version of it this is: everything the pipeline knows about
/// the object besides its bytes. It travels unchanged from the raw stage to the stored record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectIdentity {
    pub bucket: String,
    /// The decoded object key (S3 events carry it form-URL-encoded; callers decode first).
    pub key: String,
    /// The S3 version id, when the bucket is versioned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Size in bytes as declared by the store or the event (the bytes themselves may differ if
    /// the object changed in between; the decoder uses the bytes it actually got).
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The S3 event's `sequencer`, which orders events for one key. Absent for local runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequencer: Option<String>,
}

impl ObjectIdentity {
    pub fn new(bucket: impl Into<String>, key: impl Into<String>, size: u64) -> Self {
        Self {
            bucket: bucket.into(),
            key: key.into(),
            version_id: None,
            etag: None,
            size,
            content_type: None,
            sequencer: None,
        }
    }

    /// The record's primary key: one record per object key, whatever its version, so a newer
    /// version replaces the record of an older one.
    pub fn object_id(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }

    /// True when both name the same version of the object: equal version ids when both have
    /// one, else equal ETags (same bytes). Unknown revisions are never the same.
    pub fn same_revision(&self, other: &ObjectIdentity) -> bool {
        match (&self.version_id, &other.version_id) {
            (Some(a), Some(b)) => a == b,
            _ => matches!((&self.etag, &other.etag), (Some(a), Some(b)) if a == b),
        }
    }

    /// What distinguishes one version of the object from another: the version id if the
    /// bucket is versioned, else the ETag, else nothing (unversioned local files).
    pub fn revision(&self) -> &str {
        self.version_id
            .as_deref()
            .or(self.etag.as_deref())
            .unwrap_or("")
    }
}
