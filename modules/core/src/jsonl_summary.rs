//! A deliberately small second transform: JSON-lines in, a JSON summary of its fields out. It
//! proves the [`Transform`] seam (it runs through the same pipeline, function and local job as
//! the images) and is the model to copy when you replace the transform with your own.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::failure::{Failure, FailureKind};
use crate::transform::{Input, Output, Product, Transform};

pub const NOT_UTF8: FailureKind = FailureKind::named("not_utf8");
pub const INVALID_JSON: FailureKind = FailureKind::named("invalid_json");
pub const NOT_AN_OBJECT: FailureKind = FailureKind::named("not_an_object");
pub const NO_RECORDS: FailureKind = FailureKind::named("no_records");

/// Counts the records of a JSON-lines object and, per field, how often each JSON type occurs.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonLinesSummary;

/// The `summary.json` output.
#[derive(Debug, Default, Serialize)]
struct FieldCounts {
    records: u64,
    /// Field name -> JSON type name -> records with the field of that type.
    fields: BTreeMap<String, BTreeMap<&'static str, u64>>,
}

impl Transform for JsonLinesSummary {
    fn name(&self) -> &'static str {
        "jsonl_summary"
    }

    fn settings(&self) -> Value {
        json!({})
    }

    fn apply(&self, input: Input) -> Result<Product, Failure> {
        let text = std::str::from_utf8(&input.bytes).map_err(|error| {
            Failure::new(
                NOT_UTF8,
                format!("not UTF-8 from byte {}", error.valid_up_to()),
            )
        })?;
        let mut counts = FieldCounts::default();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let line_number = index + 1;
            let value: Value = serde_json::from_str(line).map_err(|error| {
                Failure::new(INVALID_JSON, format!("line {line_number}: {error}"))
            })?;
            let Value::Object(fields) = value else {
                return Err(Failure::new(
                    NOT_AN_OBJECT,
                    format!("line {line_number} is {}, not an object", type_name(&value)),
                ));
            };
            counts.records += 1;
            for (name, value) in &fields {
                *counts
                    .fields
                    .entry(name.clone())
                    .or_default()
                    .entry(type_name(value))
                    .or_default() += 1;
            }
        }
        if counts.records == 0 {
            return Err(Failure::new(NO_RECORDS, "no JSON records in the object"));
        }
        let bytes = serde_json::to_vec_pretty(&counts).expect("counts are plain data");
        Ok(Product {
            summary: json!({"records": counts.records, "fields": counts.fields.len()}),
            outputs: vec![Output {
                name: "summary".to_owned(),
                extension: "json",
                content_type: "application/json",
                bytes,
            }],
            warnings: Vec::new(),
        })
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::ObjectIdentity;

    fn apply(text: &[u8]) -> Result<Product, Failure> {
        let identity = ObjectIdentity::new("b", "events.jsonl", text.len() as u64);
        JsonLinesSummary.apply(Input {
            identity,
            bytes: text.to_vec(),
        })
    }

    #[test]
    fn fields_are_counted_by_type() {
        let product = apply(b"{\"id\":1,\"name\":\"a\"}\n\n{\"id\":\"2\"}\n").expect("valid");
        assert_eq!(product.summary, json!({"records": 2, "fields": 2}));
        let [output] = product.outputs.as_slice() else {
            panic!("one output");
        };
        assert_eq!(
            (output.name.as_str(), output.extension),
            ("summary", "json")
        );
        let written: Value = serde_json::from_slice(&output.bytes).expect("JSON");
        assert_eq!(
            written,
            json!({"records": 2, "fields": {"id": {"number": 1, "string": 1}, "name": {"string": 1}}})
        );
    }

    #[test]
    fn bad_input_is_refused_with_its_kind_and_place() {
        let cases: &[(&[u8], FailureKind, &str)] = &[
            (b"{\"a\":1}\n\xff", NOT_UTF8, "byte 8"),
            (b"{\"a\":1}\n{oops}\n", INVALID_JSON, "line 2"),
            (b"[1,2]\n", NOT_AN_OBJECT, "line 1 is array"),
            (b"\n  \n", NO_RECORDS, "no JSON records"),
        ];
        for (text, kind, expected) in cases {
            let failure = apply(text).expect_err("refused");
            assert_eq!(&failure.kind, kind);
            assert!(failure.reason.contains(expected), "{}", failure.reason);
        }
    }
}
