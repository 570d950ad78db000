use serde::Deserialize;
use serde_json::Value;

/// The field a function log line carries to report what the pipeline did, e.g.
/// `{"imagepipe_metrics":{"bytes_in":1048576,"bytes_out":65536,"renditions":2}}`.
pub const FIELD: &str = "imagepipe_metrics";

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

/// A function log record that carries pipeline figures, and the request it belongs to when the
/// log format says so (JSON log format adds `requestId`; plain text does not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiguresLine {
    pub request_id: Option<String>,
    pub figures: PipelineFigures,
}

/// Finds the figures in a `function` record. The record is a string in text log format and an
/// object in JSON log format, where the application's own JSON may sit under `message`.
/// `Ok(None)`: an ordinary log line. `Err`: the field is there but malformed.
pub fn find_figures(record: &Value) -> Result<Option<FiguresLine>, serde_json::Error> {
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
        .get("requestId")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let figures = match (object.get(FIELD), object.get("message")) {
        (Some(figures), _) => figures,
        // `message` is a strict part of the record, so this recursion ends.
        (None, Some(message)) => {
            return Ok(find_figures(message)?.map(|inner| FiguresLine {
                request_id: inner.request_id.or(request_id),
                figures: inner.figures,
            }));
        }
        _ => return Ok(None),
    };
    let figures = PipelineFigures::deserialize(figures)?;
    Ok(Some(FiguresLine {
        request_id,
        figures,
    }))
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
    fn a_text_format_line_carries_figures() {
        let record =
            json!(r#"{"imagepipe_metrics":{"bytes_in":1000,"bytes_out":250,"renditions":2}}"#);
        let line = find_figures(&record).unwrap().unwrap();
        assert_eq!(line.request_id, None);
        assert_eq!(line.figures, FIGURES);
    }

    #[test]
    fn a_json_format_record_carries_figures_and_its_request() {
        let record = json!({"timestamp":"2026-01-01T00:00:00Z","level":"INFO","requestId":"r-1",
            "message":"{\"imagepipe_metrics\":{\"bytes_in\":1000,\"bytes_out\":250,\"renditions\":2}}"});
        let line = find_figures(&record).unwrap().unwrap();
        assert_eq!(line.request_id.as_deref(), Some("r-1"));
        assert_eq!(line.figures, FIGURES);
    }

    #[test]
    fn ordinary_lines_carry_nothing() {
        assert_eq!(find_figures(&json!("START RequestId: r-1")).unwrap(), None);
        assert_eq!(find_figures(&json!({"message":"hello"})).unwrap(), None);
    }

    #[test]
    fn a_malformed_figures_field_is_an_error() {
        let record = json!(r#"{"imagepipe_metrics":{"bytes_in":"many","bytes_out":1}}"#);
        assert!(find_figures(&record).is_err());
    }

    #[test]
    fn compression_ratio_is_input_over_output() {
        assert_eq!(FIGURES.compression_ratio(), Some(4.0));
        assert_eq!(PipelineFigures::default().compression_ratio(), None);
    }
}
