use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::StoreError;
use crate::ports::{ObjectLocation, ObjectMeta, ObjectStore, PutObject, StoredObject};

/// Numbers each write's temporary file within this process.
static NEXT_TEMPORARY: AtomicU64 = AtomicU64::new(0);

/// An object store over local directories, one per bucket name, for running the pipeline
/// without AWS. Keys map to relative paths; a key that would leave its directory is refused.
#[derive(Debug, Clone, Default)]
pub struct LocalObjectStore {
    buckets: BTreeMap<String, PathBuf>,
}

impl LocalObjectStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `bucket` from the directory `root`.
    pub fn with_bucket(mut self, bucket: impl Into<String>, root: impl Into<PathBuf>) -> Self {
        self.buckets.insert(bucket.into(), root.into());
        self
    }

    fn path(&self, location: &ObjectLocation) -> Result<PathBuf, StoreError> {
        let root = self
            .buckets
            .get(&location.bucket)
            .ok_or_else(|| StoreError::NotFound {
                what: format!("bucket {:?}", location.bucket),
            })?;
        let relative = Path::new(&location.key);
        let safe = !location.key.is_empty()
            && relative
                .components()
                .all(|component| matches!(component, Component::Normal(_)));
        if !safe {
            return Err(StoreError::Invalid {
                what: location.to_string(),
                detail: "the key is empty, absolute or has `.`/`..` segments".to_owned(),
            });
        }
        Ok(root.join(relative))
    }
}

/// A file's stand-in for S3's ETag: its modification time and size, as web servers make weak
/// ETags. Hashing the bytes as S3 does would read every file on every HEAD; a file rewritten
/// with the same bytes then counts as a new revision, which is only a needless reprocess.
fn local_etag(metadata: &std::fs::Metadata) -> String {
    let modified = metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .unwrap_or_default();
    format!("{:x}-{:x}", modified.as_nanos(), metadata.len())
}

impl ObjectStore for LocalObjectStore {
    async fn head(&self, location: &ObjectLocation) -> Result<ObjectMeta, StoreError> {
        let path = self.path(location)?;
        let metadata = tokio::fs::metadata(&path)
            .await
            .map_err(|e| StoreError::from_io("stat", &location.to_string(), &e))?;
        if !metadata.is_file() {
            return Err(StoreError::NotFound {
                what: location.to_string(),
            });
        }
        Ok(ObjectMeta {
            size: metadata.len(),
            etag: Some(local_etag(&metadata)),
            ..ObjectMeta::default()
        })
    }

    async fn get(
        &self,
        location: &ObjectLocation,
        max_bytes: u64,
    ) -> Result<StoredObject, StoreError> {
        let head = self.head(location).await?;
        let size = head.size;
        if size > max_bytes {
            return Err(StoreError::TooLarge {
                what: location.to_string(),
                size,
                limit: max_bytes,
            });
        }
        let path = self.path(location)?;
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| StoreError::from_io("read", &location.to_string(), &e))?;
        // The file may have grown since it was measured.
        if bytes.len() as u64 > max_bytes {
            return Err(StoreError::TooLarge {
                what: location.to_string(),
                size: bytes.len() as u64,
                limit: max_bytes,
            });
        }
        Ok(StoredObject {
            meta: ObjectMeta {
                size: bytes.len() as u64,
                etag: head.etag,
                ..ObjectMeta::default()
            },
            bytes,
        })
    }

    /// Writes to a temporary sibling and renames it into place, so a reader never sees a
    /// half-written rendition and a crash leaves the previous version intact.
    async fn put(&self, location: &ObjectLocation, object: PutObject) -> Result<(), StoreError> {
        let path = self.path(location)?;
        let what = location.to_string();
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| StoreError::from_io("create directory for", &what, &e))?;
        }
        // A name of its own per write: two writers of one key (a redelivery processed at the
        // same time) sharing one temporary file would rename each other's half-written bytes
        // into place, and the second rename would find nothing.
        let mut temporary = path.clone().into_os_string();
        temporary.push(format!(
            ".{}-{}.partial",
            std::process::id(),
            NEXT_TEMPORARY.fetch_add(1, Ordering::Relaxed)
        ));
        tokio::fs::write(&temporary, &object.bytes)
            .await
            .map_err(|e| StoreError::from_io("write", &what, &e))?;
        tokio::fs::rename(&temporary, &path)
            .await
            .map_err(|e| StoreError::from_io("rename into place", &what, &e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &Path) -> LocalObjectStore {
        LocalObjectStore::new().with_bucket("b", dir)
    }

    #[tokio::test]
    async fn put_then_get_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(dir.path());
        let location = ObjectLocation::new("b", "nested/dir/file.avif");
        let object = PutObject {
            bytes: b"hello".to_vec(),
            content_type: "image/avif".to_owned(),
            metadata: BTreeMap::new(),
        };
        store.put(&location, object).await.expect("put");
        let got = store.get(&location, 5).await.expect("get");
        assert_eq!(got.bytes, b"hello");
        assert_eq!(got.meta.size, 5);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("nested/dir"))
            .expect("dir")
            .map(|entry| entry.expect("entry").file_name())
            .filter(|name| name != "file.avif")
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[tokio::test]
    async fn missing_objects_and_buckets_are_not_found_and_permanent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(dir.path());
        for location in [
            ObjectLocation::new("b", "nope.jpg"),
            ObjectLocation::new("other", "x"),
        ] {
            let error = store.get(&location, 10).await.expect_err("missing");
            assert!(matches!(error, StoreError::NotFound { .. }), "{error}");
            assert!(!error.is_retryable());
        }
    }

    #[tokio::test]
    async fn objects_over_the_limit_are_refused_permanently() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("big.jpg"), [0_u8; 11]).expect("write");
        let error = store(dir.path())
            .get(&ObjectLocation::new("b", "big.jpg"), 10)
            .await
            .expect_err("too large");
        assert!(
            matches!(
                error,
                StoreError::TooLarge {
                    size: 11,
                    limit: 10,
                    ..
                }
            ),
            "{error}"
        );
        assert!(!error.is_retryable());
    }

    #[tokio::test]
    async fn keys_that_escape_the_bucket_directory_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(dir.path());
        for key in ["../escape", "/etc/passwd", "a/../../b", "", "./x"] {
            let error = store
                .get(&ObjectLocation::new("b", key), 10)
                .await
                .expect_err("refused");
            assert!(
                matches!(error, StoreError::Invalid { .. }),
                "{key}: {error}"
            );
        }
    }
}
