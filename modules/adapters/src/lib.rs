//! The pipeline's I/O: ports (traits the orchestration is written against) and their
//! implementations, AWS (S3, DynamoDB) and local (directories, a JSON-lines file) side by side,
//! so the same orchestration runs against either. The AWS ones need the `aws` feature.
#![forbid(unsafe_code)]

#[cfg(feature = "aws")]
mod dynamo_records;
mod error;
mod etag;
mod local_objects;
mod local_records;
mod ports;
#[cfg(feature = "aws")]
mod s3_objects;
#[cfg(feature = "aws")]
mod sdk_error;

#[cfg(feature = "aws")]
pub use dynamo_records::{DynamoRecordStore, OBJECT_ID_ATTRIBUTE, SEQUENCER_ORDER_ATTRIBUTE};
pub use error::StoreError;
pub use etag::bare_etag;
pub use local_objects::LocalObjectStore;
pub use local_records::JsonLinesRecordStore;
pub use ports::{
    ObjectLocation, ObjectMeta, ObjectStore, PutObject, PutOutcome, RecordStore, StoredObject,
};
#[cfg(feature = "aws")]
pub use s3_objects::S3ObjectStore;
#[cfg(feature = "aws")]
pub use sdk_error::{ErrorClass, classify_service_error};
