//! The Lambda function's configuration: the pipeline's variables plus where to write, read once
//! at start-up by a pure function so a bad value stops the cold start with the variable named.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use imagepipe_core::{ConfigError, PipelineSettings, Transform, millis_var};

use crate::function::ANSWER_RESERVE;
use crate::sdk_timeouts::{SdkTimeouts, VAR_SDK_ATTEMPT_TIMEOUT_MS};
use crate::transforms::transform_from_vars;

pub const VAR_OUTPUT_BUCKET: &str = "IMAGEPIPE_OUTPUT_BUCKET";
pub const VAR_RECORDS_TABLE: &str = "IMAGEPIPE_RECORDS_TABLE";
pub const VAR_MIN_REMAINING_MS: &str = "IMAGEPIPE_MIN_REMAINING_MS";
/// `true` (the default) or `false`: open the DynamoDB connection during init (see warm_up.rs).
pub const VAR_WARM_CONNECTIONS: &str = "IMAGEPIPE_WARM_CONNECTIONS";

/// Time an object needs at worst (a large photo's encode, on the smallest sensible memory size)
/// before the deadline: with less left, the function stops taking objects and hands the rest
/// back for retry. An object that has started and still runs at the deadline is cut and handed
/// back too (see `Function`); this only decides which objects are worth starting.
pub const DEFAULT_MIN_REMAINING: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct FunctionConfig {
    pub output_bucket: String,
    pub records_table: String,
    pub min_remaining: Duration,
    pub sdk_timeouts: SdkTimeouts,
    pub warm_connections: bool,
    pub pipeline: PipelineSettings,
    pub transform: Arc<dyn Transform>,
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
        let sdk_timeouts = SdkTimeouts::from_vars(vars)?;
        check_min_remaining(min_remaining, &sdk_timeouts)?;
        Ok(Self {
            output_bucket,
            records_table,
            min_remaining,
            sdk_timeouts,
            warm_connections,
            pipeline: PipelineSettings::from_vars(vars)?,
            transform: transform_from_vars(vars)?,
        })
    }
}

/// An object started with less time than one SDK attempt's limit (plus the answer's reserve)
/// would be cut by its deadline before a single slow answer could time out and be retried:
/// every slow call near the deadline would waste the object instead of being survived.
fn check_min_remaining(min_remaining: Duration, sdk: &SdkTimeouts) -> Result<(), ConfigError> {
    let floor = sdk.attempt + ANSWER_RESERVE;
    if min_remaining < floor {
        return Err(ConfigError {
            variable: VAR_MIN_REMAINING_MS,
            value: min_remaining.as_millis().to_string(),
            reason: format!(
                "must be at least {VAR_SDK_ATTEMPT_TIMEOUT_MS} ({} ms) plus {} ms to answer: \
                 {} ms",
                sdk.attempt.as_millis(),
                ANSWER_RESERVE.as_millis(),
                floor.as_millis()
            ),
        });
    }
    Ok(())
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
        assert_eq!(config.transform.settings()["renditions"], "small=100x100");
    }

    #[test]
    fn the_minimum_time_left_must_cover_one_sdk_attempt_and_the_answer() {
        let defaults = with_required((VAR_OUTPUT_BUCKET, "out")).expect("defaults agree");
        assert!(defaults.min_remaining >= defaults.sdk_timeouts.attempt + ANSWER_RESERVE);
        let config = |min: &str, attempt: &str| {
            FunctionConfig::from_vars(&vars(&[
                (VAR_OUTPUT_BUCKET, "out"),
                (VAR_RECORDS_TABLE, "t"),
                (VAR_MIN_REMAINING_MS, min),
                (VAR_SDK_ATTEMPT_TIMEOUT_MS, attempt),
            ]))
        };
        assert!(config("2000", "1500").is_ok());
        let error = config("1999", "1500").expect_err("no room for one attempt and the answer");
        assert_eq!(error.variable, VAR_MIN_REMAINING_MS);
        assert!(error.reason.contains("2000 ms"), "{}", error.reason);
        let error = config("10000", "9600").expect_err("default margin, longer attempts");
        assert_eq!(error.variable, VAR_MIN_REMAINING_MS);
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
