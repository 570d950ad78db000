use crate::PipelineFigures;

/// Everything known about one invocation when its line is emitted. The `platform.report`
/// figures are `None` only when SHUTDOWN came before the report did.
#[derive(Debug, Clone, PartialEq)]
pub struct InvocationMetrics {
    pub request_id: String,
    /// Milliseconds since the Unix epoch of the last record seen for the invocation.
    pub time_ms: i64,
    pub status: Option<String>,
    /// `Some` on the invocation that paid for a cold start.
    pub init_duration_ms: Option<f64>,
    pub duration_ms: Option<f64>,
    pub billed_duration_ms: Option<u64>,
    pub memory_size_mb: Option<u64>,
    pub max_memory_used_mb: Option<u64>,
    pub figures: Option<PipelineFigures>,
}

impl InvocationMetrics {
    pub fn new(request_id: String, time_ms: i64) -> Self {
        Self {
            request_id,
            time_ms,
            status: None,
            init_duration_ms: None,
            duration_ms: None,
            billed_duration_ms: None,
            memory_size_mb: None,
            max_memory_used_mb: None,
            figures: None,
        }
    }

    pub fn is_reported(&self) -> bool {
        self.billed_duration_ms.is_some()
    }
}
