use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use tokio::time::Instant;

use crate::error::StoreError;
use crate::etag::bare_etag;
use crate::ports::{ObjectLocation, ObjectMeta, ObjectStore, PutObject, StoredObject};
use crate::sdk_error::store_error;

/// [`ObjectStore`] over Amazon S3 (or anything speaking its API: moto, MinIO). Build one
/// client at start-up and share it: it holds the connection pool.
#[derive(Debug, Clone)]
pub struct S3ObjectStore {
    client: Client,
    body_idle_timeout: Option<Duration>,
    body_read_timeout: Option<Duration>,
}

impl S3ObjectStore {
    pub fn new(client: Client) -> Self {
        Self {
            client,
            body_idle_timeout: None,
            body_read_timeout: None,
        }
    }

    /// Gives up on a GetObject body that sends nothing for `timeout`. The SDK's attempt
    /// timeout ends when the headers arrive; without this, a connection that stalls mid-body
    /// holds the invocation until Lambda kills it.
    pub fn with_body_idle_timeout(mut self, timeout: Duration) -> Self {
        self.body_idle_timeout = Some(timeout);
        self
    }

    /// Gives up on a GetObject body not read whole within `timeout` of its headers: a body
    /// that trickles a byte at a time never trips the idle limit.
    pub fn with_body_read_timeout(mut self, timeout: Duration) -> Self {
        self.body_read_timeout = Some(timeout);
        self
    }
}

/// The limit the next wait for a body chunk runs into first: the idle limit from now, or what is
/// left of the whole body's, with a phrase saying which ran out.
fn next_limit(
    idle: Option<Duration>,
    read_by: Option<(Instant, Duration)>,
) -> Option<(Instant, Duration, &'static str)> {
    let idle = idle.map(|idle| (Instant::now() + idle, idle, "no data for"));
    let total = read_by.map(|(until, total)| (until, total, "the whole body took longer than"));
    idle.into_iter()
        .chain(total)
        .min_by_key(|(until, _, _)| *until)
}

fn non_negative(length: Option<i64>) -> Option<u64> {
    length.and_then(|l| u64::try_from(l).ok())
}

impl ObjectStore for S3ObjectStore {
    async fn head(&self, location: &ObjectLocation) -> Result<ObjectMeta, StoreError> {
        let what = location.to_string();
        let output = self
            .client
            .head_object()
            .bucket(&location.bucket)
            .key(&location.key)
            .set_version_id(location.version_id.clone())
            .send()
            .await
            .map_err(|e| store_error("HeadObject", &what, e))?;
        Ok(ObjectMeta {
            size: non_negative(output.content_length).unwrap_or(0),
            etag: output.e_tag.as_deref().and_then(bare_etag),
            version_id: output.version_id,
            content_type: output.content_type,
        })
    }

    /// Streams the body chunk by chunk, so an object that is larger than its
    /// `Content-Length` promised (or than the limit) is cut off at the limit rather than
    /// buffered whole.
    async fn get(
        &self,
        location: &ObjectLocation,
        max_bytes: u64,
    ) -> Result<StoredObject, StoreError> {
        let what = location.to_string();
        let too_large = |size: u64| StoreError::TooLarge {
            what: what.clone(),
            size,
            limit: max_bytes,
        };
        let output = self
            .client
            .get_object()
            .bucket(&location.bucket)
            .key(&location.key)
            .set_version_id(location.version_id.clone())
            .send()
            .await
            .map_err(|e| store_error("GetObject", &what, e))?;
        let declared = non_negative(output.content_length);
        if let Some(size) = declared.filter(|&size| size > max_bytes) {
            return Err(too_large(size));
        }
        let capacity = usize::try_from(declared.unwrap_or(0).min(max_bytes)).unwrap_or(0);
        let mut bytes = Vec::with_capacity(capacity);
        let mut body = output.body;
        let reading = || format!("GetObject {what} (reading the body)");
        let read_by = self
            .body_read_timeout
            .map(|total| (Instant::now() + total, total));
        loop {
            let next = match next_limit(self.body_idle_timeout, read_by) {
                Some((until, limit, ran_out)) => tokio::time::timeout_at(until, body.next())
                    .await
                    .map_err(|_| StoreError::Transient {
                        operation: reading(),
                        detail: format!("{ran_out} {} ms", limit.as_millis()),
                    })?,
                None => body.next().await,
            };
            let Some(chunk) = next else { break };
            let chunk = chunk.map_err(|e| StoreError::Transient {
                operation: reading(),
                detail: e.to_string(),
            })?;
            let size = (bytes.len() + chunk.len()) as u64;
            if size > max_bytes {
                return Err(too_large(size));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(StoredObject {
            meta: ObjectMeta {
                size: bytes.len() as u64,
                etag: output.e_tag.as_deref().and_then(bare_etag),
                version_id: output.version_id,
                content_type: output.content_type,
            },
            bytes,
        })
    }

    async fn put(&self, location: &ObjectLocation, object: PutObject) -> Result<(), StoreError> {
        let what = location.to_string();
        let metadata: HashMap<String, String> = object.metadata.into_iter().collect();
        self.client
            .put_object()
            .bucket(&location.bucket)
            .key(&location.key)
            .content_type(object.content_type)
            .set_metadata(Some(metadata))
            .body(ByteStream::from(object.bytes))
            .send()
            .await
            .map_err(|e| store_error("PutObject", &what, e))?;
        Ok(())
    }
}
