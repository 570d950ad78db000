use crate::InvocationMetrics;
use crate::telemetry::{TelemetryRecord, TimedRecord};

/// Folds telemetry records into one `InvocationMetrics` per invocation. `platform.report` is
/// the last record Lambda sends for an invocation, so it closes one; whatever is still open at
/// SHUTDOWN is flushed with the figures it has.
#[derive(Debug, Default)]
pub struct Aggregator {
    /// An init reported before the invocation that paid for it.
    unclaimed_init_ms: Option<f64>,
    /// Oldest first: the first one is the invocation a pending init belongs to.
    open: Vec<InvocationMetrics>,
}

impl Aggregator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Called on the INVOKE event, so an invocation whose telemetry never arrives is still
    /// flushed (and SHUTDOWN knows to wait for it).
    pub fn expect(&mut self, request_id: &str, time_ms: i64) {
        self.open_invocation(request_id, time_ms);
    }

    pub fn observe(&mut self, timed: TimedRecord) -> Option<InvocationMetrics> {
        let time_ms = timed.time_ms;
        match timed.record {
            TelemetryRecord::InitReport { duration_ms } => {
                self.unclaimed_init_ms = Some(duration_ms);
                None
            }
            TelemetryRecord::Start { request_id } => {
                self.open_invocation(&request_id, time_ms);
                None
            }
            TelemetryRecord::RuntimeDone {
                request_id,
                duration_ms,
            } => {
                let invocation = self.open_invocation(&request_id, time_ms);
                invocation.duration_ms = duration_ms.or(invocation.duration_ms);
                None
            }
            TelemetryRecord::Figures(line) => {
                // By the request the line names, never by arrival: a line can arrive after the
                // next invocation started.
                let invocation = self.open_invocation(&line.request_id, time_ms);
                invocation.figures.get_or_insert_default().add(line.figures);
                None
            }
            TelemetryRecord::Report {
                request_id,
                status,
                metrics,
            } => {
                self.open_invocation(&request_id, time_ms);
                let position = self.position(&request_id)?;
                let mut invocation = self.open.remove(position);
                invocation.time_ms = time_ms;
                invocation.status = Some(status);
                invocation.duration_ms = Some(metrics.duration_ms);
                invocation.billed_duration_ms = Some(metrics.billed_duration_ms);
                invocation.memory_size_mb = Some(metrics.memory_size_mb);
                invocation.max_memory_used_mb = Some(metrics.max_memory_used_mb);
                let unclaimed = self.unclaimed_init_ms.take();
                invocation.init_duration_ms = metrics.init_duration_ms.or(unclaimed);
                Some(invocation)
            }
            TelemetryRecord::Ignored => None,
        }
    }

    pub fn has_unreported(&self) -> bool {
        !self.open.is_empty()
    }

    /// Every open invocation, oldest first; the oldest is the one a pending init belongs to.
    pub fn flush(&mut self) -> Vec<InvocationMetrics> {
        let mut flushed = std::mem::take(&mut self.open);
        if let Some(first) = flushed.first_mut() {
            first.init_duration_ms = first.init_duration_ms.or(self.unclaimed_init_ms.take());
        }
        flushed
    }

    fn position(&self, request_id: &str) -> Option<usize> {
        self.open
            .iter()
            .position(|invocation| invocation.request_id == request_id)
    }

    fn open_invocation(&mut self, request_id: &str, time_ms: i64) -> &mut InvocationMetrics {
        let position = match self.position(request_id) {
            Some(position) => position,
            None => {
                self.open
                    .push(InvocationMetrics::new(request_id.to_owned(), time_ms));
                self.open.len() - 1
            }
        };
        let invocation = &mut self.open[position];
        invocation.time_ms = invocation.time_ms.max(time_ms);
        invocation
    }
}
