//! The Lambda function's configuration: the pipeline's variables plus where to write, read once
//! at start-up by a pure function so a bad value stops the cold start with the variable named.

use std::collections::BTreeMap;
use std::time::Duration;

use imagepipe_core::{ConfigError, PipelineConfig};

use crate::sdk_timeouts::SdkTimeouts;

pub const VAR_OUTPUT_BUCKET: &str = "IMAGEPIPE_OUTPUT_BUCKET";
pub const VAR_RECORDS_TABLE: &str = "IMAGEPIPE_RECORDS_TABLE";
pub const VAR_MIN_REMAINING_MS: &str = "IMAGEPIPE_MIN_REMAINING_MS";
/// `true` (the default) or `false`: open the DynamoDB connection during init (see warm_up.rs).
pub const VAR_WARM_CONNECTIONS: &str = "IMAGEPIPE_WARM_CONNECTIONS";

/// Time an object needs at worst (a large photo's encode, on the smallest sensible memory size)
/// before the deadline: with less left, the function stops taking objects and hands the rest
/// back for retry rather than being killed mid-object.
pub const DEFAULT_MIN_REMAINING: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, PartialEq)]
pub struct FunctionConfig {
    pub output_bucket: String,
    pub records_table: String,
    pub min_remaining: Duration,
    pub sdk_timeouts: SdkTimeouts,
    pub warm_connections: bool,
    pub pipeline: PipelineConfig,
}

impl FunctionConfig {
    pub fn from_vars(vars: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let required = |variable: &'static str, meaning: &str| {
            let value = vars.get(variable).map(|v| v.trim()).unwrap_or_default();
            if value.is_empty() {
                return Err(ConfigError {
                    variable,
                    value: value.to_owned(),
                    reason: format!("required: {meaning}"),
                });
            }
            Ok(value.to_owned())
        };
        let output_bucket = required(VAR_OUTPUT_BUCKET, "the bucket renditions are written to")?;
        let records_table = required(VAR_RECORDS_TABLE, "the DynamoDB table records go to")?;
        let min_remaining = millis_var(vars, VAR_MIN_REMAINING_MS, DEFAULT_MIN_REMAINING)?;
        let warm_connections = match vars.get(VAR_WARM_CONNECTIONS).map(|v| v.trim()) {
            None | Some("true") => true,
            Some("false") => false,
            Some(value) => {
                return Err(ConfigError {
                    variable: VAR_WARM_CONNECTIONS,
                    value: value.to_owned(),
                    reason: "expected true or false".to_owned(),
                });
            }
        };
        Ok(Self {
            output_bucket,
            records_table,
            min_remaining,
            sdk_timeouts: SdkTimeouts::from_vars(vars)?,
            warm_connections,
            pipeline: PipelineConfig::from_vars(vars)?,
        })
    }
}

/// A duration variable in milliseconds, or `default` when it is not set.
pub(crate) fn millis_var(
    vars: &BTreeMap<String, String>,
    variable: &'static str,
    default: Duration,
) -> Result<Duration, ConfigError> {
    let Some(value) = vars.get(variable).map(|v| v.trim()) else {
        return Ok(default);
    };
    value
        .parse::<u64>()
        .map(Duration::from_millis)
        .map_err(|e| ConfigError {
            variable,
            value: value.to_owned(),
            reason: format!("expected milliseconds as a whole number: {e}"),
        })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn reads_required_and_optional_variables() {
        let config = FunctionConfig::from_vars(&vars(&[
            (VAR_OUTPUT_BUCKET, "out"),
            (VAR_RECORDS_TABLE, "records"),
            (VAR_MIN_REMAINING_MS, "2500"),
            ("IMAGEPIPE_RENDITIONS", "small=100x100"),
            ("IMAGEPIPE_SDK_ATTEMPT_TIMEOUT_MS", "1200"),
        ]))
        .expect("valid");
        assert_eq!(config.sdk_timeouts.attempt, Duration::from_millis(1200));
        assert_eq!(config.output_bucket, "out");
        assert_eq!(config.records_table, "records");
        assert_eq!(config.min_remaining, Duration::from_millis(2500));
        assert!(config.warm_connections, "warm-up is on unless switched off");
        assert_eq!(config.pipeline.renditions.len(), 1);
    }

    /// The configuration from the two required variables plus `extra`.
    fn with_required(extra: (&str, &str)) -> Result<FunctionConfig, ConfigError> {
        FunctionConfig::from_vars(&vars(&[
            (VAR_OUTPUT_BUCKET, "out"),
            (VAR_RECORDS_TABLE, "t"),
            extra,
        ]))
    }

    #[test]
    fn errors_name_the_variable() {
        let missing = FunctionConfig::from_vars(&vars(&[(VAR_RECORDS_TABLE, "t")]))
            .expect_err("bucket missing");
        assert_eq!(missing.variable, VAR_OUTPUT_BUCKET);
        for (variable, value) in [
            (VAR_MIN_REMAINING_MS, "soon"),
            ("IMAGEPIPE_AVIF_QUALITY", "200"),
            ("IMAGEPIPE_SDK_OPERATION_TIMEOUT_MS", "later"),
        ] {
            let error = with_required((variable, value)).expect_err(value);
            assert_eq!(error.variable, variable, "{value}");
        }
    }

    #[test]
    fn warm_up_switch_is_true_or_false() {
        let with = |value| with_required((VAR_WARM_CONNECTIONS, value));
        assert!(!with("false").expect("valid").warm_connections);
        assert!(with("true").expect("valid").warm_connections);
        assert_eq!(
            with("off").expect_err("not a boolean").variable,
            VAR_WARM_CONNECTIONS
        );
    }
}
