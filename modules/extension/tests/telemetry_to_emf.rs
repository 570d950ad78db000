//! Telemetry fixtures in, exact EMF lines out: the whole library path `main.rs` drives.

use imagepipe_extension::pipeline_figures::FiguresError;
use imagepipe_extension::{
    Aggregator, Architecture, Config, EmfRenderer, InvocationMetrics, TelemetryError, parse_batch,
};
use serde_json::Value;

fn config(architecture: Architecture) -> Config {
    let architecture = architecture.as_str().to_owned();
    Config::from_vars(|name| match name {
        "AWS_LAMBDA_FUNCTION_NAME" => Some("thumbs".into()),
        "IMAGEPIPE_ARCHITECTURE" => Some(architecture.clone()),
        _ => None,
    })
    .unwrap()
}

/// Feeds batches in order; returns the lines emitted on `platform.report` and the errors.
fn run(
    aggregator: &mut Aggregator,
    architecture: Architecture,
    batches: &[&str],
) -> (Vec<String>, Vec<TelemetryError>) {
    let renderer = EmfRenderer::new(&config(architecture));
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for batch in batches {
        let (records, batch_errors) = parse_batch(batch.as_bytes());
        errors.extend(batch_errors);
        let reported: Vec<InvocationMetrics> = records
            .into_iter()
            .filter_map(|record| aggregator.observe(record))
            .collect();
        lines.extend(
            reported
                .iter()
                .map(|invocation| renderer.render(invocation)),
        );
    }
    (lines, errors)
}

const COLD_START: &str = include_str!("fixtures/cold_start.json");
const WARM: &str = include_str!("fixtures/warm.json");
const MALFORMED: &str = include_str!("fixtures/malformed.json");
const BACK_TO_BACK: &str = include_str!("fixtures/back_to_back.json");

#[test]
fn a_cold_start_then_a_warm_invocation_on_x86_64() {
    let mut aggregator = Aggregator::new();
    let (lines, errors) = run(&mut aggregator, Architecture::X86_64, &[COLD_START, WARM]);
    assert!(errors.is_empty(), "{errors:?}");
    // Cost: 1 s * 1 GB * 0.0000166667 + 0.0000002. Figures: both lines summed; 4 MB / 200 KB.
    assert_eq!(
        lines[0],
        r#"{"Architecture":"x86_64","BilledDuration":1000,"BytesIn":4000000,"BytesOut":200000,"ColdStart":1,"CompressionRatio":20.0,"Duration":948.25,"EstimatedCost":0.0000168667,"FunctionName":"thumbs","InitDuration":51.5,"MaxMemoryUsed":180,"MemorySize":1024,"Renditions":4,"_aws":{"CloudWatchMetrics":[{"Dimensions":[["FunctionName"]],"Metrics":[{"Name":"ColdStart","Unit":"Count"},{"Name":"InitDuration","Unit":"Milliseconds"},{"Name":"Duration","Unit":"Milliseconds"},{"Name":"BilledDuration","Unit":"Milliseconds"},{"Name":"MaxMemoryUsed","Unit":"Megabytes"},{"Name":"MemorySize","Unit":"Megabytes"},{"Name":"EstimatedCost","Unit":"None"},{"Name":"BytesIn","Unit":"Bytes"},{"Name":"BytesOut","Unit":"Bytes"},{"Name":"Renditions","Unit":"Count"},{"Name":"CompressionRatio","Unit":"None"}],"Namespace":"imagepipe"}],"Timestamp":1767225601010},"reported":true,"requestId":"req-cold","status":"success"}"#
    );
    // Cost: 0.1 s * 0.125 GB * 0.0000166667 + 0.0000002 = 0.00000040833375.
    assert_eq!(
        lines[1],
        r#"{"Architecture":"x86_64","BilledDuration":100,"ColdStart":0,"Duration":99.5,"EstimatedCost":4.0833375e-7,"FunctionName":"thumbs","MaxMemoryUsed":60,"MemorySize":128,"_aws":{"CloudWatchMetrics":[{"Dimensions":[["FunctionName"]],"Metrics":[{"Name":"ColdStart","Unit":"Count"},{"Name":"Duration","Unit":"Milliseconds"},{"Name":"BilledDuration","Unit":"Milliseconds"},{"Name":"MaxMemoryUsed","Unit":"Megabytes"},{"Name":"MemorySize","Unit":"Megabytes"},{"Name":"EstimatedCost","Unit":"None"}],"Namespace":"imagepipe"}],"Timestamp":1767225660100},"reported":true,"requestId":"req-warm","status":"success"}"#
    );
    assert_eq!(lines.len(), 2);
    assert!(!aggregator.has_unreported());
}

#[test]
fn arm64_invocations_are_priced_at_the_arm64_rate() {
    let (lines, _) = run(
        &mut Aggregator::new(),
        Architecture::Arm64,
        &[COLD_START, WARM],
    );
    // 1 s * 1 GB * 0.0000133334 + 0.0000002; 0.1 s * 0.125 GB * 0.0000133334 + 0.0000002.
    assert!(
        lines[0].contains(r#""EstimatedCost":0.0000135334,"#),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains(r#""Architecture":"arm64""#));
    assert!(
        lines[1].contains(r#""EstimatedCost":3.666675e-7,"#),
        "{}",
        lines[1]
    );
}

#[test]
fn a_malformed_batch_drops_only_its_bad_records() {
    let (lines, errors) = run(&mut Aggregator::new(), Architecture::X86_64, &[MALFORMED]);
    let kinds: Vec<String> = errors.iter().map(|error| error.to_string()).collect();
    assert_eq!(errors.len(), 5, "{kinds:#?}");
    assert!(matches!(
        errors[0],
        TelemetryError::BadEnvelope { index: 0, .. }
    ));
    assert!(matches!(
        errors[1],
        TelemetryError::BadEnvelope { index: 1, .. }
    ));
    assert!(matches!(
        errors[2],
        TelemetryError::BadTime { index: 2, .. }
    ));
    assert!(matches!(
        errors[3],
        TelemetryError::BadRecord { index: 3, .. }
    ));
    assert!(matches!(
        errors[4],
        TelemetryError::BadFigures {
            index: 4,
            source: FiguresError::Malformed(_)
        }
    ));
    // The good report survives: 10.24 s * 10 GB * 0.0000166667 + 0.0000002 = 0.00170687008.
    assert_eq!(lines.len(), 1);
    assert_eq!(
        lines[0],
        r#"{"Architecture":"x86_64","BilledDuration":10240,"ColdStart":1,"Duration":10240.0,"EstimatedCost":0.00170687008,"FunctionName":"thumbs","InitDuration":12.5,"MaxMemoryUsed":9000,"MemorySize":10240,"_aws":{"CloudWatchMetrics":[{"Dimensions":[["FunctionName"]],"Metrics":[{"Name":"ColdStart","Unit":"Count"},{"Name":"InitDuration","Unit":"Milliseconds"},{"Name":"Duration","Unit":"Milliseconds"},{"Name":"BilledDuration","Unit":"Milliseconds"},{"Name":"MaxMemoryUsed","Unit":"Megabytes"},{"Name":"MemorySize","Unit":"Megabytes"},{"Name":"EstimatedCost","Unit":"None"}],"Namespace":"imagepipe"}],"Timestamp":1767225720010},"reported":true,"requestId":"req-ok","status":"timeout"}"#
    );
}

/// Figures of one rendered EMF line: (requestId, BytesIn, BytesOut, Renditions).
fn figures_of(line: &str) -> (String, Option<u64>, Option<u64>, Option<u64>) {
    let value: Value = serde_json::from_str(line).expect("an EMF line is JSON");
    let number = |name: &str| value.get(name).and_then(Value::as_u64);
    (
        value["requestId"].as_str().expect("requestId").to_owned(),
        number("BytesIn"),
        number("BytesOut"),
        number("Renditions"),
    )
}

#[test]
fn back_to_back_invocations_get_their_own_figures_whatever_the_arrival_order() {
    // req-first's line arrives after req-second started; a line naming no request arrives while
    // req-second runs and must not be added to it (nor to anyone).
    let (lines, errors) = run(
        &mut Aggregator::new(),
        Architecture::X86_64,
        &[BACK_TO_BACK],
    );
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert_eq!(
        figures_of(&lines[0]),
        ("req-first".to_owned(), Some(4000), Some(1000), Some(2))
    );
    assert_eq!(
        figures_of(&lines[1]),
        ("req-second".to_owned(), Some(2000), Some(1000), Some(2))
    );
    assert!(
        matches!(
            errors[..],
            [TelemetryError::BadFigures {
                index: 4,
                source: FiguresError::NoRequestId
            }]
        ),
        "{errors:?}"
    );
}

#[test]
fn a_body_that_is_not_a_batch_is_one_error_and_no_record() {
    let (records, errors) = parse_batch(b"{\"type\":\"platform.start\"");
    assert!(records.is_empty());
    assert!(matches!(errors[..], [TelemetryError::NotABatch(_)]));
}

#[test]
fn shutdown_flushes_invocations_whose_report_never_came() {
    let mut aggregator = Aggregator::new();
    aggregator.expect("req-invoked-only", 1767225800000);
    let partial = r#"[
      {"time":"2026-01-01T00:03:00.000Z","type":"platform.initReport","record":{"initializationType":"on-demand","phase":"init","metrics":{"durationMs":40.0}}},
      {"time":"2026-01-01T00:03:20.500Z","type":"platform.runtimeDone","record":{"requestId":"req-partial","status":"success","metrics":{"durationMs":12.0}}}
    ]"#;
    let (lines, errors) = run(&mut aggregator, Architecture::X86_64, &[partial]);
    assert!(lines.is_empty() && errors.is_empty());
    assert!(aggregator.has_unreported());

    let renderer = EmfRenderer::new(&config(Architecture::X86_64));
    let flushed: Vec<String> = aggregator
        .flush()
        .iter()
        .map(|i| renderer.render(i))
        .collect();
    assert_eq!(
        flushed,
        [
            r#"{"Architecture":"x86_64","ColdStart":1,"FunctionName":"thumbs","InitDuration":40.0,"_aws":{"CloudWatchMetrics":[{"Dimensions":[["FunctionName"]],"Metrics":[{"Name":"ColdStart","Unit":"Count"},{"Name":"InitDuration","Unit":"Milliseconds"}],"Namespace":"imagepipe"}],"Timestamp":1767225800000},"reported":false,"requestId":"req-invoked-only"}"#,
            r#"{"Architecture":"x86_64","ColdStart":0,"Duration":12.0,"FunctionName":"thumbs","_aws":{"CloudWatchMetrics":[{"Dimensions":[["FunctionName"]],"Metrics":[{"Name":"ColdStart","Unit":"Count"},{"Name":"Duration","Unit":"Milliseconds"}],"Namespace":"imagepipe"}],"Timestamp":1767225800500},"reported":false,"requestId":"req-partial"}"#,
        ]
    );
    assert!(!aggregator.has_unreported());
}

#[test]
fn namespace_and_dimensions_follow_the_configuration() {
    let config = Config::from_vars(|name| match name {
        "AWS_LAMBDA_FUNCTION_NAME" => Some("thumbs".into()),
        "IMAGEPIPE_ARCHITECTURE" => Some("arm64".into()),
        "IMAGEPIPE_METRICS_NAMESPACE" => Some("media".into()),
        "IMAGEPIPE_METRICS_DIMENSIONS" => Some("FunctionName,Architecture,Stage=prod".into()),
        _ => None,
    })
    .unwrap();
    let mut aggregator = Aggregator::new();
    let (records, _) = parse_batch(WARM.as_bytes());
    let invocation = records
        .into_iter()
        .find_map(|record| aggregator.observe(record))
        .unwrap();
    let line = EmfRenderer::new(&config).render(&invocation);
    assert!(
        line.contains(r#""Dimensions":[["FunctionName","Architecture","Stage"]]"#),
        "{line}"
    );
    assert!(line.contains(r#""Namespace":"media""#));
    assert!(line.contains(r#""Stage":"prod""#));
}
