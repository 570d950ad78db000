use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::failure::{Failure, FailureKind};
use crate::identity::ObjectIdentity;
use crate::provenance::Provenance;
use crate::sequencer::Sequencer;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordStatus {
    Complete,
    Failed,
}

/// One output as the record names it; the bytes are at `key` in the output bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputRecord {
    pub name: String,
    pub key: String,
    pub content_type: String,
    pub bytes: u64,
}

/// What is stored for every input object, complete or failed: one per object key, with the
/// same fields in the local JSON-lines file and in DynamoDB (docs/RECORD.md is the contract).
/// The envelope is the same for every transform; only `result` is the transform's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// `s3://bucket/key`: the record's primary key.
    pub object_id: String,
    #[serde(flatten)]
    pub identity: ObjectIdentity,
    pub status: RecordStatus,
    #[serde(flatten)]
    pub provenance: Provenance,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<OutputRecord>,
    /// The transform's summary of the input; complete records only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// `failure.kind` again, at the top level and on failed records only: the key of the
    /// table's sparse index of failed records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_kind: Option<FailureKind>,
    /// When the record was made, in milliseconds since the Unix epoch (the caller's clock:
    /// core reads none).
    pub processed_at_ms: u64,
}

impl Record {
    pub fn complete(
        identity: ObjectIdentity,
        provenance: Provenance,
        outputs: Vec<OutputRecord>,
        result: Value,
        processed_at_ms: u64,
    ) -> Self {
        Self {
            object_id: identity.object_id(),
            identity,
            status: RecordStatus::Complete,
            provenance,
            outputs,
            result: Some(result),
            failure: None,
            failed_kind: None,
            processed_at_ms,
        }
    }

    pub fn failed(
        identity: ObjectIdentity,
        provenance: Provenance,
        failure: Failure,
        processed_at_ms: u64,
    ) -> Self {
        Self {
            object_id: identity.object_id(),
            identity,
            status: RecordStatus::Failed,
            provenance,
            outputs: Vec::new(),
            result: None,
            failed_kind: Some(failure.kind.clone()),
            failure: Some(failure),
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
    /// `complete` one (a redelivery that succeeded where an earlier attempt was refused) or
    /// when other settings made it (a reprocess). A record that cannot be ordered (no
    /// sequencer: a backfill of an object whose record is of another revision) never replaces
    /// one that can; without a stored sequencer nothing is blocked.
    pub fn blocks_write_of(&self, incoming: &Record) -> bool {
        let Some(stored) = self.sequencer() else {
            return false;
        };
        let Some(incoming_sequencer) = incoming.sequencer() else {
            return true;
        };
        match stored.cmp(&incoming_sequencer) {
            std::cmp::Ordering::Less => false,
            std::cmp::Ordering::Greater => true,
            std::cmp::Ordering::Equal => {
                let completes_a_failure = self.status == RecordStatus::Failed
                    && incoming.status == RecordStatus::Complete;
                let other_settings =
                    self.provenance.settings_digest != incoming.provenance.settings_digest;
                !(completes_a_failure || other_settings)
            }
        }
    }

    /// True when this (stored) record already answers an event about `incoming` for a pipeline
    /// whose settings digest is `settings_digest`, so the event needs no work. By sequencer
    /// when both have one: a newer event's record answers it; the same event's does when it is
    /// `complete` and made with the same settings (a failure is tried again, other settings
    /// reprocess). Else by revision: the same version of the object, made with the same
    /// settings (emulators, hand-made and S3 Batch Operations events carry no sequencer).
    pub fn supersedes(&self, incoming: &ObjectIdentity, settings_digest: &str) -> bool {
        let same_settings = self.provenance.settings_digest == settings_digest;
        let incoming_sequencer = incoming.sequencer.as_deref().and_then(Sequencer::parse);
        match (self.sequencer(), incoming_sequencer) {
            (Some(stored), Some(incoming)) => match stored.cmp(&incoming) {
                std::cmp::Ordering::Less => false,
                std::cmp::Ordering::Greater => true,
                std::cmp::Ordering::Equal => same_settings && self.status == RecordStatus::Complete,
            },
            _ => same_settings && self.identity.same_revision(incoming),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "d1";

    fn provenance(settings_digest: &str) -> Provenance {
        Provenance {
            transform: "t".to_owned(),
            settings_digest: settings_digest.to_owned(),
            settings: serde_json::json!({}),
            pipeline_version: "v".to_owned(),
        }
    }

    fn identity(sequencer: Option<&str>) -> ObjectIdentity {
        let mut identity = ObjectIdentity::new("b", "k", 1);
        identity.sequencer = sequencer.map(str::to_owned);
        identity
    }

    fn stored(sequencer: Option<&str>) -> Record {
        let failure = Failure::new(FailureKind::named("corrupt"), "x");
        Record::failed(identity(sequencer), provenance(DIGEST), failure, 0)
    }

    /// A complete record of the same event.
    fn completed(sequencer: Option<&str>) -> Record {
        let result = serde_json::json!({});
        Record::complete(
            identity(sequencer),
            provenance(DIGEST),
            Vec::new(),
            result,
            0,
        )
    }

    fn with_digest(mut record: Record, digest: &str) -> Record {
        record.provenance.settings_digest = digest.to_owned();
        record
    }

    #[test]
    fn failed_records_carry_their_kind_at_the_top_level_for_the_index() {
        let json = serde_json::to_value(stored(None)).expect("serialises");
        assert_eq!(json["failed_kind"], "corrupt");
        assert_eq!(json["failure"]["kind"], "corrupt");
        assert_eq!(json["settings_digest"], DIGEST);
        let complete = serde_json::to_value(completed(None)).expect("serialises");
        assert!(complete.get("failed_kind").is_none(), "{complete}");
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
            record.blocks_write_of(&stored(None)),
            "an unordered record never replaces an ordered one"
        );
        assert!(
            !stored(None).blocks_write_of(&stored(Some("01"))),
            "no stored one"
        );
        assert!(
            !stored(None).blocks_write_of(&stored(None)),
            "neither ordered"
        );
    }

    #[test]
    fn at_an_equal_sequencer_only_a_completion_or_other_settings_replace() {
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
        let reprocessed = with_digest(completed(Some("55A0")), "d2");
        assert!(!complete.blocks_write_of(&reprocessed), "other settings");
        assert!(
            !complete.blocks_write_of(&with_digest(stored(Some("55A0")), "d2")),
            "other settings that now refuse the input"
        );
        assert!(
            with_digest(completed(Some("55A1")), "d2").blocks_write_of(&reprocessed),
            "a reprocess never replaces a newer event's record"
        );

        // The pre-check agrees: a redelivery over a failure is worth trying again, over a
        // completion it is not, unless the settings changed.
        let event = identity(Some("55A0"));
        assert!(!failed.supersedes(&event, DIGEST));
        assert!(complete.supersedes(&event, DIGEST));
        assert!(!complete.supersedes(&event, "d2"));
        assert!(
            completed(Some("55A1")).supersedes(&event, "d2"),
            "newer event"
        );
    }

    #[test]
    fn without_sequencers_the_same_version_and_settings_are_superseded() {
        let mut record = stored(None);
        record.identity.etag = Some("e1".to_owned());
        let mut incoming = ObjectIdentity::new("b", "k", 1);
        assert!(!record.supersedes(&incoming, DIGEST), "revision unknown");
        incoming.etag = Some("e1".to_owned());
        assert!(record.supersedes(&incoming, DIGEST), "same bytes");
        assert!(
            !record.supersedes(&incoming, "d2"),
            "same bytes, other settings"
        );
        incoming.etag = Some("e2".to_owned());
        assert!(!record.supersedes(&incoming, DIGEST), "other bytes");

        record.identity.version_id = Some("v1".to_owned());
        incoming.version_id = Some("v2".to_owned());
        incoming.etag = Some("e1".to_owned());
        assert!(
            !record.supersedes(&incoming, DIGEST),
            "versions decide when both have one"
        );

        // With sequencers on both sides, they decide, whatever the bytes.
        record.identity.sequencer = Some("05".to_owned());
        incoming.sequencer = Some("06".to_owned());
        incoming.version_id = Some("v1".to_owned());
        assert!(
            !record.supersedes(&incoming, DIGEST),
            "a newer event for the same bytes"
        );
        incoming.sequencer = Some("04".to_owned());
        incoming.version_id = Some("v9".to_owned());
        assert!(
            record.supersedes(&incoming, DIGEST),
            "an older event for other bytes"
        );
    }
}
