use std::collections::HashMap;
use std::path::{Path, PathBuf};

use imagepipe_core::Record;
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use crate::error::StoreError;
use crate::ports::{PutOutcome, RecordStore};

/// Records as JSON lines appended to one file: the local stand-in for the DynamoDB table, with
/// the same fields per record. The sequencer guard is applied against every record in the
/// file (read once at open), so re-running over the same events appends nothing new.
#[derive(Debug)]
pub struct JsonLinesRecordStore {
    path: PathBuf,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    file: tokio::fs::File,
    /// The last record written per object id: what a DynamoDB item would hold.
    latest: HashMap<String, Record>,
}

impl JsonLinesRecordStore {
    /// Opens (creating if needed) the file and indexes the records already in it. A line that
    /// is not a record is an error naming the line, rather than silently dropped history.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let what = path.display().to_string();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| StoreError::from_io("create directory for", &what, &e))?;
        }
        let mut latest = HashMap::new();
        match tokio::fs::read_to_string(&path).await {
            Ok(existing) => {
                for (index, line) in existing.lines().enumerate() {
                    if line.trim().is_empty() {
                        continue;
                    }
                    let record: Record =
                        serde_json::from_str(line).map_err(|e| StoreError::Invalid {
                            what: format!("{what} line {}", index + 1),
                            detail: e.to_string(),
                        })?;
                    latest.insert(record.object_id.clone(), record);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(StoreError::from_io("read", &what, &e)),
        }
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .await
            .map_err(|e| StoreError::from_io("open", &what, &e))?;
        Ok(Self {
            path,
            state: Mutex::new(State { file, latest }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl RecordStore for JsonLinesRecordStore {
    async fn get_record(&self, object_id: &str) -> Result<Option<Record>, StoreError> {
        Ok(self.state.lock().await.latest.get(object_id).cloned())
    }

    async fn put_record(&self, record: &Record) -> Result<PutOutcome, StoreError> {
        let mut state = self.state.lock().await;
        if state
            .latest
            .get(&record.object_id)
            .is_some_and(|stored| stored.blocks_write_of(record))
        {
            return Ok(PutOutcome::Stale);
        }
        let mut line = serde_json::to_vec(record).map_err(|e| StoreError::Invalid {
            what: record.object_id.clone(),
            detail: e.to_string(),
        })?;
        line.push(b'\n');
        let what = self.path.display().to_string();
        // One write per line: with O_APPEND the line lands whole even if another process
        // appends to the same file.
        state
            .file
            .write_all(&line)
            .await
            .map_err(|e| StoreError::from_io("append to", &what, &e))?;
        state
            .file
            .flush()
            .await
            .map_err(|e| StoreError::from_io("flush", &what, &e))?;
        state
            .latest
            .insert(record.object_id.clone(), record.clone());
        Ok(PutOutcome::Written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use imagepipe_core::jsonl_summary::JsonLinesSummary;
    use imagepipe_core::{
        Failure, FailureKind, ObjectIdentity, PipelineSettings, Provenance, RecordStatus,
    };

    fn record(key: &str, sequencer: Option<&str>) -> Record {
        let mut identity = ObjectIdentity::new("b", key, 1);
        identity.sequencer = sequencer.map(str::to_owned);
        let failure = Failure::new(FailureKind::named("corrupt"), "test".to_owned());
        Record::failed(
            identity,
            Provenance::new(&JsonLinesSummary, &PipelineSettings::default()),
            failure,
            0,
        )
    }

    async fn lines(path: &Path) -> usize {
        tokio::fs::read_to_string(path)
            .await
            .expect("file")
            .lines()
            .count()
    }

    #[tokio::test]
    async fn older_and_repeated_sequencers_are_stale_newer_ones_write() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("records.jsonl");
        let store = JsonLinesRecordStore::open(&path).await.expect("open");
        let put = |r: Record| {
            let store = &store;
            async move { store.put_record(&r).await.expect("put") }
        };
        assert_eq!(put(record("k", Some("00A0"))).await, PutOutcome::Written);
        assert_eq!(put(record("k", Some("A0"))).await, PutOutcome::Stale);
        assert_eq!(put(record("k", Some("9F"))).await, PutOutcome::Stale);
        assert_eq!(put(record("k", Some("0100"))).await, PutOutcome::Written);
        assert_eq!(put(record("other", Some("01"))).await, PutOutcome::Written);
        assert_eq!(lines(&path).await, 3);

        // The guard survives a reopen: it is rebuilt from the file.
        drop(store);
        let reopened = JsonLinesRecordStore::open(&path).await.expect("reopen");
        let outcome = reopened
            .put_record(&record("k", Some("FF")))
            .await
            .expect("put");
        assert_eq!(outcome, PutOutcome::Stale);
        assert_eq!(lines(&path).await, 3);
        let current = reopened.get_record("s3://b/k").await.expect("get");
        assert_eq!(
            current.and_then(|r| r.identity.sequencer).as_deref(),
            Some("0100")
        );
        assert_eq!(reopened.get_record("s3://b/none").await.expect("get"), None);
    }

    #[tokio::test]
    async fn at_an_equal_sequencer_a_completion_replaces_a_failure_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = JsonLinesRecordStore::open(dir.path().join("records.jsonl"))
            .await
            .expect("open");
        let completed = |r: Record| Record {
            status: RecordStatus::Complete,
            failure: None,
            ..r
        };
        let put = |r: Record| {
            let store = &store;
            async move { store.put_record(&r).await.expect("put") }
        };
        assert_eq!(put(record("k", Some("0A"))).await, PutOutcome::Written);
        assert_eq!(
            put(completed(record("k", Some("0A")))).await,
            PutOutcome::Written
        );
        assert_eq!(put(record("k", Some("0A"))).await, PutOutcome::Stale);
        assert_eq!(
            put(completed(record("k", Some("0A")))).await,
            PutOutcome::Stale
        );
        let current = store.get_record("s3://b/k").await.expect("get");
        assert_eq!(current.map(|r| r.status), Some(RecordStatus::Complete));
    }

    #[tokio::test]
    async fn records_without_sequencers_always_append() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/records.jsonl");
        let store = JsonLinesRecordStore::open(&path).await.expect("open");
        for _ in 0..2 {
            let outcome = store.put_record(&record("k", None)).await.expect("put");
            assert_eq!(outcome, PutOutcome::Written);
        }
        assert_eq!(lines(&path).await, 2);
    }

    #[tokio::test]
    async fn a_corrupt_records_file_is_an_error_naming_the_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("records.jsonl");
        tokio::fs::write(&path, "{\"not\": \"a record\"}\n")
            .await
            .expect("write");
        let error = JsonLinesRecordStore::open(&path)
            .await
            .expect_err("corrupt");
        assert!(error.to_string().contains("line 1"), "{error}");
    }
}
