use crate::{Architecture, Pricing};

pub const NAMESPACE_VAR: &str = "IMAGEPIPE_METRICS_NAMESPACE";
pub const DIMENSIONS_VAR: &str = "IMAGEPIPE_METRICS_DIMENSIONS";
pub const ARCHITECTURE_VAR: &str = "IMAGEPIPE_ARCHITECTURE";
pub const PRICE_PER_GB_SECOND_VAR: &str = "IMAGEPIPE_PRICE_PER_GB_SECOND";
pub const PRICE_PER_MILLION_REQUESTS_VAR: &str = "IMAGEPIPE_PRICE_PER_MILLION_REQUESTS";
pub const TELEMETRY_PORT_VAR: &str = "IMAGEPIPE_TELEMETRY_PORT";
/// Set by Lambda in every execution environment.
pub const FUNCTION_NAME_VAR: &str = "AWS_LAMBDA_FUNCTION_NAME";

pub const DEFAULT_NAMESPACE: &str = "imagepipe";
pub const DEFAULT_DIMENSIONS: &str = "FunctionName";
/// Away from the 9001-9003 other extensions commonly take, so they can sit side by side.
pub const DEFAULT_TELEMETRY_PORT: u16 = 9017;

/// One dimension of the emitted metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dimension {
    FunctionName,
    Architecture,
    /// `Name=value` in the variable: the same value on every line (a stage, a team).
    Fixed {
        name: String,
        value: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub namespace: String,
    pub dimensions: Vec<Dimension>,
    pub function_name: String,
    pub architecture: Architecture,
    pub pricing: Pricing,
    pub telemetry_port: u16,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{variable}={value:?} is invalid: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub value: String,
    pub reason: String,
}

impl Config {
    /// Reads the configuration through `lookup` (the process environment in `main`, a map in
    /// tests); every variable is optional.
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let architecture = match lookup(ARCHITECTURE_VAR) {
            Some(value) => {
                value
                    .parse()
                    .map_err(|error: crate::architecture::UnknownArchitecture| {
                        invalid(ARCHITECTURE_VAR, &value, error.to_string())
                    })?
            }
            None => Architecture::of_this_binary(),
        };
        let published = Pricing::published(architecture);
        let pricing = Pricing {
            usd_per_gb_second: price(&lookup, PRICE_PER_GB_SECOND_VAR)?
                .unwrap_or(published.usd_per_gb_second),
            usd_per_million_requests: price(&lookup, PRICE_PER_MILLION_REQUESTS_VAR)?
                .unwrap_or(published.usd_per_million_requests),
        };
        let telemetry_port = match lookup(TELEMETRY_PORT_VAR) {
            Some(value) => value
                .parse()
                .map_err(|_| invalid(TELEMETRY_PORT_VAR, &value, "not a port number".into()))?,
            None => DEFAULT_TELEMETRY_PORT,
        };
        let dimensions = lookup(DIMENSIONS_VAR).unwrap_or_else(|| DEFAULT_DIMENSIONS.into());
        Ok(Self {
            namespace: lookup(NAMESPACE_VAR).unwrap_or_else(|| DEFAULT_NAMESPACE.into()),
            dimensions: parse_dimensions(&dimensions)?,
            function_name: lookup(FUNCTION_NAME_VAR).unwrap_or_else(|| "unknown".into()),
            architecture,
            pricing,
            telemetry_port,
        })
    }
}

fn price(
    lookup: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
) -> Result<Option<f64>, ConfigError> {
    let Some(value) = lookup(variable) else {
        return Ok(None);
    };
    match value.parse::<f64>() {
        Ok(price) if price.is_finite() && price >= 0.0 => Ok(Some(price)),
        _ => Err(invalid(
            variable,
            &value,
            "not a non-negative number of USD".into(),
        )),
    }
}

/// `FunctionName,Architecture,Stage=prod`; empty means one dimensionless metric set.
fn parse_dimensions(text: &str) -> Result<Vec<Dimension>, ConfigError> {
    text.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| match entry.split_once('=') {
            None if entry == "FunctionName" => Ok(Dimension::FunctionName),
            None if entry == "Architecture" => Ok(Dimension::Architecture),
            Some((name, value)) if !name.trim().is_empty() => Ok(Dimension::Fixed {
                name: name.trim().to_owned(),
                value: value.trim().to_owned(),
            }),
            _ => Err(invalid(
                DIMENSIONS_VAR,
                text,
                format!("{entry:?} is neither FunctionName, Architecture nor Name=value"),
            )),
        })
        .collect()
}

fn invalid(variable: &'static str, value: &str, reason: String) -> ConfigError {
    ConfigError {
        variable,
        value: value.to_owned(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        Config::from_vars(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_need_no_variable() {
        let config = config(&[]).unwrap();
        assert_eq!(config.namespace, "imagepipe");
        assert_eq!(config.dimensions, vec![Dimension::FunctionName]);
        assert_eq!(config.telemetry_port, 9017);
        assert_eq!(config.pricing, Pricing::published(config.architecture));
    }

    #[test]
    fn variables_override_everything() {
        let config = config(&[
            (NAMESPACE_VAR, "media"),
            (DIMENSIONS_VAR, "FunctionName, Architecture, Stage=prod"),
            (ARCHITECTURE_VAR, "arm64"),
            (PRICE_PER_GB_SECOND_VAR, "0.00002"),
            (PRICE_PER_MILLION_REQUESTS_VAR, "0"),
            (TELEMETRY_PORT_VAR, "4243"),
            (FUNCTION_NAME_VAR, "thumbs"),
        ])
        .unwrap();
        assert_eq!(config.namespace, "media");
        assert_eq!(
            config.dimensions,
            vec![
                Dimension::FunctionName,
                Dimension::Architecture,
                Dimension::Fixed {
                    name: "Stage".into(),
                    value: "prod".into()
                }
            ]
        );
        assert_eq!(config.architecture, Architecture::Arm64);
        assert_eq!(config.pricing.usd_per_gb_second, 0.00002);
        assert_eq!(config.pricing.usd_per_million_requests, 0.0);
        assert_eq!(config.telemetry_port, 4243);
        assert_eq!(config.function_name, "thumbs");
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (variable, value) in [
            (ARCHITECTURE_VAR, "sparc"),
            (PRICE_PER_GB_SECOND_VAR, "-1"),
            (PRICE_PER_MILLION_REQUESTS_VAR, "cheap"),
            (TELEMETRY_PORT_VAR, "70000"),
            (DIMENSIONS_VAR, "Region"),
        ] {
            let error = config(&[(variable, value)]).unwrap_err();
            assert_eq!(error.variable, variable);
        }
    }
}
