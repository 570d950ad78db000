//! Reading settings from environment-style variables: one error type and one way of parsing a
//! number in a range, shared by the pipeline's settings and every transform's.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("{variable}={value:?} is invalid: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub value: String,
    pub reason: String,
}

/// Parses `value` of `variable` as a number from `min` to `max`.
pub fn parse_in_range<T>(
    (variable, value): (&'static str, &str),
    min: T,
    max: T,
) -> Result<T, ConfigError>
where
    T: FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let error = |reason: String| ConfigError {
        variable,
        value: value.to_owned(),
        reason,
    };
    let parsed: T = value
        .parse()
        .map_err(|_| error(format!("expected a number from {min} to {max}")))?;
    // `!(a <= b)` rather than `a > b` so that NaN is refused too.
    if !(min <= parsed && parsed <= max) {
        return Err(error(format!("must be from {min} to {max}")));
    }
    Ok(parsed)
}

/// A duration variable in milliseconds, or `default` when it is not set.
pub fn millis_var(
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

/// Helpers for the settings parsers' tests.
#[cfg(test)]
pub(crate) mod testing {
    use std::collections::BTreeMap;

    use super::ConfigError;

    pub fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// Each `(variable, value, expected)` must be refused by `parse`, naming the variable and
    /// mentioning `expected`.
    pub fn assert_each_refused<T: std::fmt::Debug>(
        parse: impl Fn(&BTreeMap<String, String>) -> Result<T, ConfigError>,
        cases: &[(&str, &str, &str)],
    ) {
        for (variable, value, expected) in cases {
            let error = parse(&vars(&[(variable, value)]))
                .expect_err(&format!("{variable}={value:?} must be refused"));
            assert_eq!(error.variable, *variable);
            let message = error.to_string();
            assert!(message.starts_with(variable), "{message}");
            assert!(
                message.contains(expected),
                "{message} should mention {expected:?}"
            );
        }
    }
}
