//! The seam between the generic pipeline and the work it does per object. The pipeline (record
//! envelope, idempotency, ordering, batches, deadlines, the local job, the infrastructure)
//! knows nothing else about what a transform does.

use serde_json::Value;

use crate::failure::Failure;
use crate::identity::ObjectIdentity;

/// One object to transform: its bytes, whole, and where they came from.
#[derive(Debug, Clone)]
pub struct Input {
    pub identity: ObjectIdentity,
    pub bytes: Vec<u8>,
}

/// One object the transform made, stored by the pipeline under
/// `{output prefix}{input key slug}/{digest of the input's identity}/{name}.{extension}`.
#[derive(Debug, Clone)]
pub struct Output {
    /// Names the output in the record; `[a-z0-9_-]`, unique within one product.
    pub name: String,
    /// The output key's file extension, without the dot.
    pub extension: &'static str,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// What a transform made of one input.
#[derive(Debug, Clone)]
pub struct Product {
    /// Written before the record, so a `complete` record only names outputs that exist.
    pub outputs: Vec<Output>,
    /// The transform's own findings, stored as the record's `result` (a JSON object).
    pub summary: Value,
    /// Things an operator should see about this input although it succeeded; the pipeline
    /// logs each as a warning.
    pub warnings: Vec<String>,
}

/// A transform from one object's bytes to named outputs plus a summary, or a [`Failure`] the
/// pipeline records. `apply` runs on a blocking thread; it must be a function of its input and
/// its settings only (a retry of the same bytes gives the same answer) and may panic on hostile
/// input only at worst (a panic becomes a `failed` record of kind `internal`).
pub trait Transform: Send + Sync + std::fmt::Debug + 'static {
    /// Names the transform in every record (`transform`).
    fn name(&self) -> &'static str;

    /// Everything that shapes the outputs, readable (a JSON object): stored in every record,
    /// and its digest decides whether an object already recorded is made again.
    fn settings(&self) -> Value;

    fn apply(&self, input: Input) -> Result<Product, Failure>;
}
