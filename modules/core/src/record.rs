use serde::{Deserialize, Serialize};

use crate::complete::{Complete, Timings};
use crate::error::{FailureKind, TransformError};
use crate::identity::ObjectIdentity;
use crate::placeholder::Placeholder;
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
    /// What an app paints before the image loads; complete records only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<Placeholder>,
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
            placeholder: Some(complete.placeholder.clone()),
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
            placeholder: None,
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

    /// The write guard stores apply atomically with the write: true when this (stored) record
    /// must not be replaced by `incoming`. A newer event (by sequencer) always replaces it; an
    /// older one never does; the same event does only to turn a `failed` record into a
    /// `complete` one (a redelivery that succeeded where an earlier attempt was refused).
    /// Without sequencers on both sides nothing can be ordered, so nothing is blocked.
    pub fn blocks_write_of(&self, incoming: &Record) -> bool {
        self.blocks(incoming.sequencer().as_ref(), incoming.status)
    }

    fn blocks(&self, incoming: Option<&Sequencer>, incoming_status: RecordStatus) -> bool {
        let (Some(stored), Some(incoming)) = (self.sequencer(), incoming) else {
            return false;
        };
        match stored.cmp(incoming) {
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Equal => {
                !(self.status == RecordStatus::Failed && incoming_status == RecordStatus::Complete)
            }
        }
    }

    /// True when this (stored) record already answers an event about `incoming`, so the event
    /// needs no work: by sequencer when both have one, when even a `complete` record for the
    /// event would be [blocked](Self::blocks_write_of) (a redelivery of a completed event, or
    /// an older event arriving late; a redelivery over a `failed` record is tried again), else
    /// when both name the same version of the object (emulators and hand-made events carry no
    /// sequencer; the same version gives the same renditions).
    pub fn supersedes(&self, incoming: &ObjectIdentity) -> bool {
        let incoming_sequencer = incoming.sequencer.as_deref().and_then(Sequencer::parse);
        match (self.sequencer(), incoming_sequencer) {
            (Some(_), Some(incoming)) => self.blocks(Some(&incoming), RecordStatus::Complete),
            _ => self.identity.same_revision(incoming),
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

    /// `stored(..)` turned into a complete record of the same event.
    fn completed(sequencer: Option<&str>) -> Record {
        let mut record = stored(sequencer);
        record.status = RecordStatus::Complete;
        record.failure = None;
        record
    }

    #[test]
    fn writes_of_same_or_older_events_are_blocked_newer_ones_are_not() {
        let record = stored(Some("0055A0"));
        assert!(record.blocks_write_of(&stored(Some("55A0"))), "redelivery");
        assert!(record.blocks_write_of(&stored(Some("559F"))), "older");
        assert!(!record.blocks_write_of(&stored(Some("55A1"))), "newer");
        assert!(
            !record.blocks_write_of(&stored(Some("0100000"))),
            "longer is newer"
        );
        assert!(
            !record.blocks_write_of(&stored(None)),
            "no incoming sequencer"
        );
        assert!(
            !stored(None).blocks_write_of(&stored(Some("01"))),
            "no stored one"
        );
    }

    #[test]
    fn at_an_equal_sequencer_only_complete_replaces_failed() {
        let failed = stored(Some("55A0"));
        let complete = completed(Some("55A0"));
        assert!(!failed.blocks_write_of(&complete), "complete over failed");
        assert!(complete.blocks_write_of(&failed), "failed over complete");
        assert!(
            complete.blocks_write_of(&complete),
            "complete over complete"
        );
        assert!(failed.blocks_write_of(&failed), "failed over failed");
        assert!(
            failed.blocks_write_of(&completed(Some("559F"))),
            "an older complete never replaces a newer failure"
        );

        // The pre-check agrees: a redelivery over a failure is worth trying again, over a
        // completion it is not.
        let mut event = ObjectIdentity::new("b", "k", 1);
        event.sequencer = Some("55A0".to_owned());
        assert!(!failed.supersedes(&event));
        assert!(complete.supersedes(&event));
    }

    #[test]
    fn without_sequencers_the_same_version_is_superseded() {
        let mut record = stored(None);
        record.identity.etag = Some("e1".to_owned());
        let mut incoming = ObjectIdentity::new("b", "k", 1);
        assert!(!record.supersedes(&incoming), "revision unknown");
        incoming.etag = Some("e1".to_owned());
        assert!(record.supersedes(&incoming), "same bytes");
        incoming.etag = Some("e2".to_owned());
        assert!(!record.supersedes(&incoming), "other bytes");

        record.identity.version_id = Some("v1".to_owned());
        incoming.version_id = Some("v2".to_owned());
        incoming.etag = Some("e1".to_owned());
        assert!(
            !record.supersedes(&incoming),
            "versions decide when both have one"
        );

        // With sequencers on both sides, they decide, whatever the bytes.
        record.identity.sequencer = Some("05".to_owned());
        incoming.sequencer = Some("06".to_owned());
        incoming.version_id = Some("v1".to_owned());
        assert!(
            !record.supersedes(&incoming),
            "a newer event for the same bytes"
        );
        incoming.sequencer = Some("04".to_owned());
        incoming.version_id = Some("v9".to_owned());
        assert!(
            record.supersedes(&incoming),
            "an older event for other bytes"
        );
    }
}
