use serde::{Deserialize, Serialize};

use crate::complete::{Complete, Timings};
use crate::error::{FailureKind, TransformError};
use crate::identity::ObjectIdentity;
use crate::source::SourceMetadata;

/// Names this build of the pipeline in every record, so records made by an older encoder or
/// older defaults can be found and reprocessed.
pub const PIPELINE_VERSION: &str = concat!("imagepipe/", env!("CARGO_PKG_VERSION"));

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordStatus {
    Complete,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenditionRecord {
    pub name: String,
    pub key: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub kind: FailureKind,
    pub reason: String,
}

/// What is stored for every input object, complete or failed: one per object key, with the
/// same fields in the local JSON-lines file and in DynamoDB.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// `s3://bucket/key`: the record's primary key.
    pub object_id: String,
    #[serde(flatten)]
    pub identity: ObjectIdentity,
    pub status: RecordStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceMetadata>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub renditions: Vec<RenditionRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timings: Option<Timings>,
    pub pipeline_version: String,
    /// When the record was made, in milliseconds since the Unix epoch (the caller's clock:
    /// core reads none).
    pub processed_at_ms: u64,
}

impl Record {
    pub fn complete(complete: &Complete, processed_at_ms: u64) -> Self {
        Self {
            object_id: complete.identity.object_id(),
            identity: complete.identity.clone(),
            status: RecordStatus::Complete,
            source: Some(complete.source.clone()),
            renditions: complete
                .renditions
                .iter()
                .map(|r| RenditionRecord {
                    name: r.name.clone(),
                    key: r.key.clone(),
                    width: r.width,
                    height: r.height,
                    bytes: r.avif.len() as u64,
                })
                .collect(),
            failure: None,
            timings: Some(complete.timings),
            pipeline_version: PIPELINE_VERSION.to_owned(),
            processed_at_ms,
        }
    }

    pub fn failed(identity: ObjectIdentity, failure: Failure, processed_at_ms: u64) -> Self {
        Self {
            object_id: identity.object_id(),
            identity,
            status: RecordStatus::Failed,
            source: None,
            renditions: Vec::new(),
            failure: Some(failure),
            timings: None,
            pipeline_version: PIPELINE_VERSION.to_owned(),
            processed_at_ms,
        }
    }
}

impl From<&TransformError> for Failure {
    fn from(error: &TransformError) -> Self {
        Self {
            kind: error.kind(),
            reason: error.to_string(),
        }
    }
}
