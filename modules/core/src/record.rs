use serde::{Deserialize, Serialize};

use crate::complete::{Complete, Timings};
use crate::error::{FailureKind, TransformError};
use crate::identity::ObjectIdentity;
use crate::sequencer::Sequencer;
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

impl Record {
    /// The event sequencer this record was made for, if it had a usable one.
    pub fn sequencer(&self) -> Option<Sequencer> {
        self.identity
            .sequencer
            .as_deref()
            .and_then(Sequencer::parse)
    }

    /// True when this (stored) record already answers an event carrying `incoming`: it was made
    /// for the same or a newer event on the same object, so the incoming one is a redelivery or
    /// arrived out of order and must not replace it. Without sequencers on both sides nothing
    /// can be ordered, so nothing is superseded.
    pub fn supersedes(&self, incoming: Option<&Sequencer>) -> bool {
        match (self.sequencer(), incoming) {
            (Some(stored), Some(incoming)) => stored >= *incoming,
            _ => false,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FailureKind;

    fn stored(sequencer: Option<&str>) -> Record {
        let mut identity = ObjectIdentity::new("b", "k", 1);
        identity.sequencer = sequencer.map(str::to_owned);
        let failure = Failure {
            kind: FailureKind::Corrupt,
            reason: "x".to_owned(),
        };
        Record::failed(identity, failure, 0)
    }

    #[test]
    fn same_or_older_events_are_superseded_newer_ones_are_not() {
        let record = stored(Some("0055A0"));
        let seq = |s: &str| Sequencer::parse(s);
        assert!(record.supersedes(seq("55A0").as_ref()), "redelivery");
        assert!(record.supersedes(seq("559F").as_ref()), "older");
        assert!(!record.supersedes(seq("55A1").as_ref()), "newer");
        assert!(
            !record.supersedes(seq("0100000").as_ref()),
            "longer is newer"
        );
        assert!(!record.supersedes(None), "no incoming sequencer");
        assert!(
            !stored(None).supersedes(seq("01").as_ref()),
            "no stored one"
        );
    }
}
