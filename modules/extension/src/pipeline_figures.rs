use serde::Deserialize;
use serde_json::Value;

/// The field a function log line carries to report what the pipeline did, beside the request
/// it belongs to, e.g.
/// `{"requestId":"8f5e…","imagepipe_metrics":{"bytes_in":1048576,"bytes_out":65536,"renditions":2}}`.
pub const FIELD: &str = "imagepipe_metrics";

/// The field naming the invocation: the function writes it into the line itself; Lambda's JSON
/// log format adds the same field around a line it wraps.
pub const REQUEST_ID_FIELD: &str = "requestId";

/// What the function reports it read and wrote; summed over an invocation because one
/// invocation may process a batch of objects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineFigures {
    pub bytes_in: u64,
    pub bytes_out: u64,
    #[serde(default)]
    pub renditions: u64,
}

impl PipelineFigures {
    pub fn add(&mut self, other: PipelineFigures) {
        self.bytes_in += other.bytes_in;
        self.bytes_out += other.bytes_out;
        self.renditions += other.renditions;
    }

    /// How many times smaller the output is than the input; `None` when nothing was written.
    pub fn compression_ratio(&self) -> Option<f64> {
        (self.bytes_out > 0).then(|| self.bytes_in as f64 / self.bytes_out as f64)
    }
}

/// A function log record that carries pipeline figures, and the request they belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiguresLine {
    pub request_id: String,
    pub figures: PipelineFigures,
}

#[derive(Debug, thiserror::Error)]
pub enum FiguresError {
    #[error("malformed `{FIELD}`: {0}")]
    Malformed(#[from] serde_json::Error),
    /// Telemetry batches arrive late and interleaved (an invocation's lines can come after the
    /// next invocation started), so a line that names no request cannot be attributed safely.
    #[error("`{FIELD}` line names no `{REQUEST_ID_FIELD}`: its invocation is unknown")]
    NoRequestId,
}

/// Finds the figures in a `function` record. The record is a string in text log format and an
/// object in JSON log format, where the application's own JSON may sit under `message`.
/// `Ok(None)`: an ordinary log line. `Err`: the field is there but malformed, or the line
/// names no request.
pub fn find_figures(record: &Value) -> Result<Option<FiguresLine>, FiguresError> {
    Ok(match find_figures_of(record)? {
        None => None,
        Some((Some(request_id), figures)) => Some(FiguresLine {
            request_id,
            figures,
        }),
        Some((None, _)) => return Err(FiguresError::NoRequestId),
    })
}

type Found = (Option<String>, PipelineFigures);

fn find_figures_of(record: &Value) -> Result<Option<Found>, FiguresError> {
    let parsed;
    let object = match record {
        Value::String(line) => {
            let line = line.trim();
            if !line.starts_with('{') || !line.contains(FIELD) {
                return Ok(None);
            }
            parsed = serde_json::from_str::<Value>(line)?;
            &parsed
        }
        other => other,
    };
    let request_id = object
        .get(REQUEST_ID_FIELD)
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(str::to_owned);
    let figures = match (object.get(FIELD), object.get("message")) {
        (Some(figures), _) => figures,
        // `message` is a strict part of the record, so this recursion ends.
        (None, Some(message)) => {
            return Ok(find_figures_of(message)?
                .map(|(inner_id, figures)| (inner_id.or(request_id), figures)));
        }
        _ => return Ok(None),
    };
    let figures = PipelineFigures::deserialize(figures)?;
    Ok(Some((request_id, figures)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FIGURES: PipelineFigures = PipelineFigures {
        bytes_in: 1000,
        bytes_out: 250,
        renditions: 2,
    };

    #[test]
    fn a_text_format_line_carries_figures_and_its_request() {
        let record = json!(
            r#"{"requestId":"r-1","imagepipe_metrics":{"bytes_in":1000,"bytes_out":250,"renditions":2}}"#
        );
        let line = find_figures(&record).unwrap().unwrap();
        assert_eq!(line.request_id, "r-1");
        assert_eq!(line.figures, FIGURES);
    }

    #[test]
    fn a_line_naming_no_request_is_refused() {
        for record in [
            json!(r#"{"imagepipe_metrics":{"bytes_in":1000,"bytes_out":250,"renditions":2}}"#),
            json!(r#"{"requestId":"","imagepipe_metrics":{"bytes_in":1,"bytes_out":1}}"#),
            json!({"level":"INFO","message":"{\"imagepipe_metrics\":{\"bytes_in\":1,\"bytes_out\":1}}"}),
        ] {
            assert!(
                matches!(find_figures(&record), Err(FiguresError::NoRequestId)),
                "{record}"
            );
        }
    }

    #[test]
    fn a_json_format_record_carries_figures_and_its_request() {
        let record = json!({"timestamp":"2026-01-01T00:00:00Z","level":"INFO","requestId":"r-1",
            "message":"{\"imagepipe_metrics\":{\"bytes_in\":1000,\"bytes_out\":250,\"renditions\":2}}"});
        let line = find_figures(&record).unwrap().unwrap();
        assert_eq!(line.request_id, "r-1");
        assert_eq!(line.figures, FIGURES);
    }

    #[test]
    fn ordinary_lines_carry_nothing() {
        assert_eq!(find_figures(&json!("START RequestId: r-1")).unwrap(), None);
        assert_eq!(find_figures(&json!({"message":"hello"})).unwrap(), None);
    }

    #[test]
    fn a_malformed_figures_field_is_an_error() {
        let record =
            json!(r#"{"requestId":"r-1","imagepipe_metrics":{"bytes_in":"many","bytes_out":1}}"#);
        assert!(matches!(
            find_figures(&record),
            Err(FiguresError::Malformed(_))
        ));
    }

    #[test]
    fn compression_ratio_is_input_over_output() {
        assert_eq!(FIGURES.compression_ratio(), Some(4.0));
        assert_eq!(PipelineFigures::default().compression_ratio(), None);
    }
}
