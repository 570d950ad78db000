use serde_json::{Map, Value, json};

use crate::config::Dimension;
use crate::{Architecture, Config, InvocationMetrics, Pricing};

/// Renders one invocation as a CloudWatch Embedded Metric Format line: printed on stdout it
/// becomes metrics with no API call and no added latency.
#[derive(Debug, Clone)]
pub struct EmfRenderer {
    namespace: String,
    dimensions: Vec<Dimension>,
    function_name: String,
    architecture: Architecture,
    pricing: Pricing,
}

impl EmfRenderer {
    pub fn new(config: &Config) -> Self {
        Self {
            namespace: config.namespace.clone(),
            dimensions: config.dimensions.clone(),
            function_name: config.function_name.clone(),
            architecture: config.architecture,
            pricing: config.pricing,
        }
    }

    pub fn render(&self, invocation: &InvocationMetrics) -> String {
        let mut line = Map::new();
        let mut definitions = Vec::new();
        let mut metric = |name: &str, unit: &str, value: Value| {
            definitions.push(json!({"Name": name, "Unit": unit}));
            line.insert(name.to_owned(), value);
        };
        metric(
            "ColdStart",
            "Count",
            json!(u8::from(invocation.init_duration_ms.is_some())),
        );
        if let Some(init) = invocation.init_duration_ms {
            metric("InitDuration", "Milliseconds", json!(init));
        }
        if let Some(duration) = invocation.duration_ms {
            metric("Duration", "Milliseconds", json!(duration));
        }
        if let Some(billed) = invocation.billed_duration_ms {
            metric("BilledDuration", "Milliseconds", json!(billed));
        }
        if let Some(used) = invocation.max_memory_used_mb {
            metric("MaxMemoryUsed", "Megabytes", json!(used));
        }
        if let Some(size) = invocation.memory_size_mb {
            metric("MemorySize", "Megabytes", json!(size));
        }
        if let (Some(billed), Some(size)) =
            (invocation.billed_duration_ms, invocation.memory_size_mb)
        {
            let cost = self.pricing.invocation_cost_usd(billed, size);
            metric("EstimatedCost", "None", json!(cost));
        }
        if let Some(figures) = invocation.figures {
            metric("BytesIn", "Bytes", json!(figures.bytes_in));
            metric("BytesOut", "Bytes", json!(figures.bytes_out));
            metric("Renditions", "Count", json!(figures.renditions));
            if let Some(ratio) = figures.compression_ratio() {
                metric("CompressionRatio", "None", json!(ratio));
            }
        }

        let mut dimension_names = Vec::new();
        for dimension in &self.dimensions {
            let (name, value) = match dimension {
                Dimension::FunctionName => ("FunctionName", self.function_name.as_str()),
                Dimension::Architecture => ("Architecture", self.architecture.as_str()),
                Dimension::Fixed { name, value } => (name.as_str(), value.as_str()),
            };
            dimension_names.push(name.to_owned());
            line.insert(name.to_owned(), json!(value));
        }
        line.insert("FunctionName".into(), json!(self.function_name));
        line.insert("Architecture".into(), json!(self.architecture.as_str()));
        line.insert("requestId".into(), json!(invocation.request_id));
        line.insert("reported".into(), json!(invocation.is_reported()));
        if let Some(status) = &invocation.status {
            line.insert("status".into(), json!(status));
        }
        line.insert(
            "_aws".into(),
            json!({
                "Timestamp": invocation.time_ms,
                "CloudWatchMetrics": [{
                    "Namespace": self.namespace,
                    "Dimensions": [dimension_names],
                    "Metrics": definitions,
                }],
            }),
        );
        sorted(Value::Object(line)).to_string()
    }
}

/// Orders object keys. serde_json keeps insertion order when any crate in the same build turns
/// on its `preserve_order` feature (the AWS SDK's HTTP client does, in a workspace build) and
/// sorts keys otherwise: sorting here makes a line the same bytes in every build.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> =
                map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}
