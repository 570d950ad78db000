//! Time limits on every S3 and DynamoDB call the function makes.
//!
//! The SDK's defaults bound only connecting: a service (or a network path) that accepts a
//! request and then answers slowly would hold the invocation until Lambda kills it, and the
//! whole batch would come back after the visibility timeout. With an attempt timeout, a slow
//! answer is one failed attempt that the standard retry mode retries with backoff; with an
//! operation timeout, a call that keeps being slow gives up early enough for the handler to
//! report the message as a batch item failure instead of timing the invocation out.
//!
//! The attempt timeout does not cover reading a streamed response body (GetObject's bytes):
//! the SDK hands the body over once the headers arrive. The function applies the same limit to
//! every wait for the body's next chunk (`S3ObjectStore::with_body_idle_timeout`).

use std::collections::BTreeMap;
use std::time::Duration;

#[cfg(feature = "aws")]
use aws_config::timeout::TimeoutConfig;
use imagepipe_core::{ConfigError, millis_var};

pub const VAR_SDK_ATTEMPT_TIMEOUT_MS: &str = "IMAGEPIPE_SDK_ATTEMPT_TIMEOUT_MS";
pub const VAR_SDK_OPERATION_TIMEOUT_MS: &str = "IMAGEPIPE_SDK_OPERATION_TIMEOUT_MS";
pub const VAR_SDK_CONNECT_TIMEOUT_MS: &str = "IMAGEPIPE_SDK_CONNECT_TIMEOUT_MS";

/// Every call here is small (a record, a rendition of at most a few hundred KiB, the headers
/// of a GetObject): far below this on a healthy service, so hitting it means something is wrong.
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(8);
/// Three attempts at the attempt timeout plus the standard mode's backoff (at most 1 s, then
/// 2 s), so the last attempt gets its full time.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(30);
/// The SDK's own default for the latest behavior version.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdkTimeouts {
    pub attempt: Duration,
    pub operation: Duration,
    pub connect: Duration,
}

impl Default for SdkTimeouts {
    fn default() -> Self {
        Self {
            attempt: DEFAULT_ATTEMPT_TIMEOUT,
            operation: DEFAULT_OPERATION_TIMEOUT,
            connect: DEFAULT_CONNECT_TIMEOUT,
        }
    }
}

impl SdkTimeouts {
    pub fn from_vars(vars: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let timeouts = Self {
            attempt: millis(vars, VAR_SDK_ATTEMPT_TIMEOUT_MS, defaults.attempt)?,
            operation: millis(vars, VAR_SDK_OPERATION_TIMEOUT_MS, defaults.operation)?,
            connect: millis(vars, VAR_SDK_CONNECT_TIMEOUT_MS, defaults.connect)?,
        };
        // An operation shorter than one attempt would make the attempt timeout meaningless and
        // leave no room for a retry.
        if timeouts.operation < timeouts.attempt {
            return Err(ConfigError {
                variable: VAR_SDK_OPERATION_TIMEOUT_MS,
                value: timeouts.operation.as_millis().to_string(),
                reason: format!(
                    "must be at least {VAR_SDK_ATTEMPT_TIMEOUT_MS} ({} ms)",
                    timeouts.attempt.as_millis()
                ),
            });
        }
        Ok(timeouts)
    }

    #[cfg(feature = "aws")]
    pub fn timeout_config(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .operation_attempt_timeout(self.attempt)
            .operation_timeout(self.operation)
            .build()
    }
}

/// Like [`millis_var`], refusing zero: a timeout of zero would fail every call.
fn millis(
    vars: &BTreeMap<String, String>,
    variable: &'static str,
    default: Duration,
) -> Result<Duration, ConfigError> {
    let duration = millis_var(vars, variable, default)?;
    if duration.is_zero() {
        return Err(ConfigError {
            variable,
            value: "0".to_owned(),
            reason: "a timeout of zero would fail every call".to_owned(),
        });
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::function_config::tests::vars;

    #[cfg(feature = "aws")]
    #[test]
    fn defaults_bound_every_attempt_and_operation() {
        let timeouts = SdkTimeouts::from_vars(&BTreeMap::new()).expect("defaults are valid");
        assert_eq!(timeouts, SdkTimeouts::default());
        let config = timeouts.timeout_config();
        assert_eq!(
            config.operation_attempt_timeout(),
            Some(DEFAULT_ATTEMPT_TIMEOUT)
        );
        assert_eq!(config.operation_timeout(), Some(DEFAULT_OPERATION_TIMEOUT));
        assert_eq!(config.connect_timeout(), Some(DEFAULT_CONNECT_TIMEOUT));
    }

    #[test]
    fn variables_override_the_defaults() {
        let timeouts = SdkTimeouts::from_vars(&vars(&[
            (VAR_SDK_ATTEMPT_TIMEOUT_MS, "1500"),
            (VAR_SDK_OPERATION_TIMEOUT_MS, " 6000 "),
            (VAR_SDK_CONNECT_TIMEOUT_MS, "500"),
        ]))
        .expect("valid");
        assert_eq!(
            timeouts,
            SdkTimeouts {
                attempt: Duration::from_millis(1500),
                operation: Duration::from_secs(6),
                connect: Duration::from_millis(500),
            }
        );
        #[cfg(feature = "aws")]
        {
            let config = timeouts.timeout_config();
            assert_eq!(
                config.operation_attempt_timeout(),
                Some(Duration::from_millis(1500))
            );
            assert_eq!(config.operation_timeout(), Some(Duration::from_secs(6)));
            assert_eq!(config.connect_timeout(), Some(Duration::from_millis(500)));
        }
    }

    #[test]
    fn invalid_values_name_the_variable() {
        for (variable, value) in [
            (VAR_SDK_ATTEMPT_TIMEOUT_MS, "soon"),
            (VAR_SDK_ATTEMPT_TIMEOUT_MS, "0"),
            (VAR_SDK_CONNECT_TIMEOUT_MS, "-1"),
        ] {
            let error = SdkTimeouts::from_vars(&vars(&[(variable, value)]))
                .expect_err("invalid value accepted");
            assert_eq!(error.variable, variable, "{value}");
        }
        let shorter = SdkTimeouts::from_vars(&vars(&[
            (VAR_SDK_ATTEMPT_TIMEOUT_MS, "5000"),
            (VAR_SDK_OPERATION_TIMEOUT_MS, "4000"),
        ]))
        .expect_err("operation shorter than an attempt");
        assert_eq!(shorter.variable, VAR_SDK_OPERATION_TIMEOUT_MS);
    }
}
