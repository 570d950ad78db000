//! The pipeline's I/O: ports (traits the orchestration is written against) and their
//! implementations. Local filesystem ones live here now; the S3 and DynamoDB ones join them, so
//! the same orchestration runs against either.
#![forbid(unsafe_code)]

mod error;
mod local_objects;
mod local_records;
mod ports;

pub use error::StoreError;
pub use local_objects::LocalObjectStore;
pub use local_records::JsonLinesRecordStore;
pub use ports::{
    ObjectLocation, ObjectMeta, ObjectStore, PutObject, PutOutcome, RecordStore, StoredObject,
};
