//! The pipeline's configuration as one typed value, parsed from environment-style variables by a
//! pure function so the Lambda function, the local job and tests share one parser and one set of
//! error messages.

use std::collections::BTreeMap;
use std::str::FromStr;

use crate::encode::EncoderSettings;
use crate::limits::Limits;
use crate::rendition::RenditionSpec;

pub const VAR_RENDITIONS: &str = "IMAGEPIPE_RENDITIONS";
pub const VAR_OUTPUT_PREFIX: &str = "IMAGEPIPE_OUTPUT_PREFIX";
pub const VAR_AVIF_QUALITY: &str = "IMAGEPIPE_AVIF_QUALITY";
pub const VAR_AVIF_ALPHA_QUALITY: &str = "IMAGEPIPE_AVIF_ALPHA_QUALITY";
pub const VAR_AVIF_SPEED: &str = "IMAGEPIPE_AVIF_SPEED";
pub const VAR_AVIF_BIT_DEPTH: &str = "IMAGEPIPE_AVIF_BIT_DEPTH";
pub const VAR_ENCODER_THREADS: &str = "IMAGEPIPE_ENCODER_THREADS";
pub const VAR_MAX_INPUT_BYTES: &str = "IMAGEPIPE_MAX_INPUT_BYTES";
pub const VAR_MAX_DIMENSION: &str = "IMAGEPIPE_MAX_DIMENSION";
pub const VAR_MAX_PIXELS: &str = "IMAGEPIPE_MAX_PIXELS";
pub const VAR_MAX_DECODE_BYTES: &str = "IMAGEPIPE_MAX_DECODE_BYTES";

/// Every variable [`PipelineConfig::from_vars`] reads, for documentation and `--help` output.
pub const ALL_VARS: &[&str] = &[
    VAR_RENDITIONS,
    VAR_OUTPUT_PREFIX,
    VAR_AVIF_QUALITY,
    VAR_AVIF_ALPHA_QUALITY,
    VAR_AVIF_SPEED,
    VAR_AVIF_BIT_DEPTH,
    VAR_ENCODER_THREADS,
    VAR_MAX_INPUT_BYTES,
    VAR_MAX_DIMENSION,
    VAR_MAX_PIXELS,
    VAR_MAX_DECODE_BYTES,
];

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("{variable}={value:?} is invalid: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub value: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PipelineConfig {
    pub renditions: Vec<RenditionSpec>,
    /// Prefix of every output key; ends with `/`. Objects under it are never inputs.
    pub output_prefix: String,
    pub encoder: EncoderSettings,
    pub limits: Limits,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            renditions: RenditionSpec::defaults(),
            output_prefix: "renditions/".to_owned(),
            encoder: EncoderSettings::default(),
            limits: Limits::default(),
        }
    }
}

impl PipelineConfig {
    /// Parses the variables that are set and keeps the default for the others. Unknown
    /// variables are ignored (the map is usually the whole process environment).
    pub fn from_vars(vars: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let mut config = Self::default();
        let get = |name: &'static str| vars.get(name).map(|v| (name, v.trim()));

        if let Some((var, value)) = get(VAR_RENDITIONS) {
            config.renditions = RenditionSpec::parse_list(value).map_err(|reason| ConfigError {
                variable: var,
                value: value.to_owned(),
                reason,
            })?;
        }
        if let Some((var, value)) = get(VAR_OUTPUT_PREFIX) {
            config.output_prefix = parse_prefix(value).map_err(|reason| ConfigError {
                variable: var,
                value: value.to_owned(),
                reason,
            })?;
        }
        if let Some(v) = get(VAR_AVIF_QUALITY) {
            config.encoder.quality = parse_in_range(v, 1.0, 100.0)?;
        }
        if let Some(v) = get(VAR_AVIF_ALPHA_QUALITY) {
            config.encoder.alpha_quality = parse_in_range(v, 1.0, 100.0)?;
        }
        if let Some(v) = get(VAR_AVIF_SPEED) {
            config.encoder.speed = parse_in_range(v, 1, 10)?;
        }
        if let Some(v) = get(VAR_AVIF_BIT_DEPTH) {
            config.encoder.bit_depth = parse_in_range::<u8>(v, 8, 10).and_then(|depth| {
                crate::encode::OutputBitDepth::from_bits(depth).ok_or_else(|| ConfigError {
                    variable: v.0,
                    value: v.1.to_owned(),
                    reason: "must be 8 or 10".to_owned(),
                })
            })?;
        }
        if let Some(v) = get(VAR_ENCODER_THREADS) {
            let threads: usize = parse_in_range(v, 0, 64)?;
            config.encoder.threads = (threads > 0).then_some(threads);
        }
        if let Some(v) = get(VAR_MAX_INPUT_BYTES) {
            config.limits.max_input_bytes = parse_in_range(v, 1, u64::MAX)?;
        }
        if let Some(v) = get(VAR_MAX_DIMENSION) {
            config.limits.max_dimension = parse_in_range(v, 1, u32::MAX)?;
        }
        if let Some(v) = get(VAR_MAX_PIXELS) {
            config.limits.max_pixels = parse_in_range(v, 1, u64::MAX)?;
        }
        if let Some(v) = get(VAR_MAX_DECODE_BYTES) {
            config.limits.max_decode_bytes = parse_in_range(v, 1, u64::MAX)?;
        }
        Ok(config)
    }
}

fn parse_in_range<T>(
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

/// An output prefix must be a plain relative key prefix: it is concatenated into S3 keys and,
/// for the local job, into file paths.
fn parse_prefix(value: &str) -> Result<String, String> {
    if value.is_empty() {
        return Err("must not be empty: outputs need their own prefix so they never trigger the pipeline again".to_owned());
    }
    if value.starts_with('/') {
        return Err("must be relative (no leading `/`)".to_owned());
    }
    if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/')))
    {
        return Err(format!(
            "character {c:?} is not allowed (use A-Z a-z 0-9 - _ . /)"
        ));
    }
    if value
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Err("must not contain `.` or `..` segments".to_owned());
    }
    let mut prefix = value.to_owned();
    if !prefix.ends_with('/') {
        prefix.push('/');
    }
    Ok(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn no_variables_gives_the_defaults() {
        let config = PipelineConfig::from_vars(&vars(&[("PATH", "/bin")])).expect("defaults");
        assert_eq!(config, PipelineConfig::default());
    }

    #[test]
    fn every_variable_is_applied() {
        let config = PipelineConfig::from_vars(&vars(&[
            (VAR_RENDITIONS, "small=100x80, big=2000x1000"),
            (VAR_OUTPUT_PREFIX, "out/avif"),
            (VAR_AVIF_QUALITY, "55.5"),
            (VAR_AVIF_ALPHA_QUALITY, "90"),
            (VAR_AVIF_SPEED, "4"),
            (VAR_AVIF_BIT_DEPTH, "10"),
            (VAR_ENCODER_THREADS, "2"),
            (VAR_MAX_INPUT_BYTES, "1000"),
            (VAR_MAX_DIMENSION, "5000"),
            (VAR_MAX_PIXELS, "1000000"),
            (VAR_MAX_DECODE_BYTES, "2000000"),
        ]))
        .expect("valid");
        assert_eq!(
            config.renditions,
            vec![
                RenditionSpec::new("small", 100, 80).expect("valid"),
                RenditionSpec::new("big", 2000, 1000).expect("valid"),
            ]
        );
        assert_eq!(config.output_prefix, "out/avif/");
        assert_eq!(config.encoder.quality, 55.5);
        assert_eq!(config.encoder.alpha_quality, 90.0);
        // Neither value is a default, so each assertion fails if its variable is ignored.
        assert_eq!(config.encoder.speed, 4);
        assert_eq!(config.encoder.bit_depth, crate::OutputBitDepth::Ten);
        assert_eq!(config.encoder.threads, Some(2));
        assert_eq!(
            config.limits,
            Limits {
                max_input_bytes: 1000,
                max_dimension: 5000,
                max_pixels: 1_000_000,
                max_decode_bytes: 2_000_000,
            }
        );
    }

    #[test]
    fn zero_encoder_threads_means_all_cores() {
        let config =
            PipelineConfig::from_vars(&vars(&[(VAR_ENCODER_THREADS, "0")])).expect("valid");
        assert_eq!(config.encoder.threads, None);
    }

    #[test]
    fn each_bad_value_is_refused_naming_its_variable() {
        let cases: &[(&str, &str, &str)] = &[
            (VAR_RENDITIONS, "", "name=WIDTHxHEIGHT"),
            (VAR_RENDITIONS, "thumb=320", "WIDTHxHEIGHT"),
            (VAR_RENDITIONS, "thumb=0x10", "from 1 to"),
            (VAR_RENDITIONS, "Thumb=10x10", "a-z"),
            (VAR_RENDITIONS, "a=1x1,a=2x2", "twice"),
            (VAR_RENDITIONS, "a=99999x1", "from 1 to"),
            (VAR_OUTPUT_PREFIX, "", "must not be empty"),
            (VAR_OUTPUT_PREFIX, "/abs", "relative"),
            (VAR_OUTPUT_PREFIX, "a/../b", ".."),
            (VAR_OUTPUT_PREFIX, "a b", "not allowed"),
            (VAR_AVIF_QUALITY, "0", "from 1 to 100"),
            (VAR_AVIF_QUALITY, "NaN", "from 1 to 100"),
            (VAR_AVIF_QUALITY, "high", "expected a number"),
            (VAR_AVIF_SPEED, "11", "from 1 to 10"),
            (VAR_AVIF_BIT_DEPTH, "9", "8 or 10"),
            (VAR_AVIF_BIT_DEPTH, "12", "from 8 to 10"),
            (VAR_ENCODER_THREADS, "-1", "expected a number"),
            (VAR_MAX_INPUT_BYTES, "0", "from 1"),
            (VAR_MAX_PIXELS, "1e6", "expected a number"),
        ];
        for (variable, value, expected) in cases {
            let error = PipelineConfig::from_vars(&vars(&[(variable, value)]))
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
