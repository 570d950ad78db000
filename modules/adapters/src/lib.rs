//! The pipeline's I/O: ports (traits the orchestration is written against) and their
//! implementations, AWS (S3, DynamoDB) and local (directories, a JSON-lines file) side by side,
//! so the same orchestration runs against either.
#![forbid(unsafe_code)]

mod dynamo_records;
mod error;
mod local_objects;
mod local_records;
mod ports;
mod s3_objects;
mod sdk_error;

pub use dynamo_records::{DynamoRecordStore, OBJECT_ID_ATTRIBUTE, SEQUENCER_ORDER_ATTRIBUTE};
pub use error::StoreError;
pub use local_objects::LocalObjectStore;
pub use local_records::JsonLinesRecordStore;
pub use ports::{
    ObjectLocation, ObjectMeta, ObjectStore, PutObject, PutOutcome, RecordStore, StoredObject,
};
pub use s3_objects::S3ObjectStore;
pub use sdk_error::{ErrorClass, classify_service_error};
