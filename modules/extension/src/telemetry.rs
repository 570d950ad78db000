use serde::Deserialize;
use serde_json::Value;

use crate::pipeline_figures::{FiguresError, FiguresLine, find_figures};

/// The Telemetry API records the metrics are derived from; every other type is `Ignored`.
#[derive(Debug, Clone, PartialEq)]
pub enum TelemetryRecord {
    InitReport {
        duration_ms: f64,
    },
    Start {
        request_id: String,
    },
    RuntimeDone {
        request_id: String,
        duration_ms: Option<f64>,
    },
    Report {
        request_id: String,
        status: String,
        metrics: ReportMetrics,
    },
    Figures(FiguresLine),
    Ignored,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportMetrics {
    pub duration_ms: f64,
    pub billed_duration_ms: u64,
    #[serde(rename = "memorySizeMB")]
    pub memory_size_mb: u64,
    #[serde(rename = "maxMemoryUsedMB")]
    pub max_memory_used_mb: u64,
    /// Present on a cold start's report.
    #[serde(default)]
    pub init_duration_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TimedRecord {
    /// Milliseconds since the Unix epoch, from the record's `time`.
    pub time_ms: i64,
    pub record: TelemetryRecord,
}

#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("telemetry batch is not a JSON array: {0}")]
    NotABatch(#[source] serde_json::Error),
    #[error("telemetry record {index} has no valid type, time and record: {source}")]
    BadEnvelope {
        index: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error("telemetry record {index} has an unreadable time {time:?}")]
    BadTime { index: usize, time: String },
    #[error("telemetry record {index} ({kind}) is malformed: {source}")]
    BadRecord {
        index: usize,
        kind: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("telemetry record {index} (function): {source}")]
    BadFigures {
        index: usize,
        #[source]
        source: FiguresError,
    },
}

#[derive(Deserialize)]
struct Envelope {
    time: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    record: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InitReport {
    metrics: InitReportMetrics,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InitReportMetrics {
    duration_ms: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Start {
    request_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RuntimeDone {
    request_id: String,
    #[serde(default)]
    metrics: Option<InitReportMetrics>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    request_id: String,
    status: String,
    metrics: ReportMetrics,
}

/// Parses one POSTed batch. A bad record costs only itself: its error is returned beside the
/// good records, so one odd line never hides an invocation's metrics.
pub fn parse_batch(body: &[u8]) -> (Vec<TimedRecord>, Vec<TelemetryError>) {
    let items: Vec<Value> = match serde_json::from_slice(body) {
        Ok(items) => items,
        Err(error) => return (Vec::new(), vec![TelemetryError::NotABatch(error)]),
    };
    let mut records = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        match parse_record(index, item) {
            Ok(record) => records.push(record),
            Err(error) => errors.push(error),
        }
    }
    (records, errors)
}

fn parse_record(index: usize, item: Value) -> Result<TimedRecord, TelemetryError> {
    let envelope = Envelope::deserialize(item)
        .map_err(|source| TelemetryError::BadEnvelope { index, source })?;
    let time_ms = chrono::DateTime::parse_from_rfc3339(&envelope.time)
        .map_err(|_| TelemetryError::BadTime {
            index,
            time: envelope.time.clone(),
        })?
        .timestamp_millis();
    let bad_record = |source| TelemetryError::BadRecord {
        index,
        kind: envelope.kind.clone(),
        source,
    };
    let record = match envelope.kind.as_str() {
        "platform.initReport" => {
            let report = InitReport::deserialize(&envelope.record).map_err(bad_record)?;
            TelemetryRecord::InitReport {
                duration_ms: report.metrics.duration_ms,
            }
        }
        "platform.start" => {
            let start = Start::deserialize(&envelope.record).map_err(bad_record)?;
            TelemetryRecord::Start {
                request_id: start.request_id,
            }
        }
        "platform.runtimeDone" => {
            let done = RuntimeDone::deserialize(&envelope.record).map_err(bad_record)?;
            TelemetryRecord::RuntimeDone {
                request_id: done.request_id,
                duration_ms: done.metrics.map(|metrics| metrics.duration_ms),
            }
        }
        "platform.report" => {
            let report = Report::deserialize(&envelope.record).map_err(bad_record)?;
            TelemetryRecord::Report {
                request_id: report.request_id,
                status: report.status,
                metrics: report.metrics,
            }
        }
        "function" => match find_figures(&envelope.record)
            .map_err(|source| TelemetryError::BadFigures { index, source })?
        {
            Some(line) => TelemetryRecord::Figures(line),
            None => TelemetryRecord::Ignored,
        },
        _ => TelemetryRecord::Ignored,
    };
    Ok(TimedRecord { time_ms, record })
}
