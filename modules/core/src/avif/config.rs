//! The AVIF transform's settings as one typed value, parsed from environment-style variables by
//! a pure function so the Lambda function, the local job and tests share one parser and one set
//! of error messages.

use std::collections::BTreeMap;

use super::encode::EncoderSettings;
use super::limits::Limits;
use super::rendition::RenditionSpec;
use crate::config_value::{ConfigError, parse_in_range};

pub const VAR_RENDITIONS: &str = "IMAGEPIPE_RENDITIONS";
pub const VAR_AVIF_QUALITY: &str = "IMAGEPIPE_AVIF_QUALITY";
pub const VAR_AVIF_ALPHA_QUALITY: &str = "IMAGEPIPE_AVIF_ALPHA_QUALITY";
pub const VAR_AVIF_SPEED: &str = "IMAGEPIPE_AVIF_SPEED";
pub const VAR_AVIF_BIT_DEPTH: &str = "IMAGEPIPE_AVIF_BIT_DEPTH";
pub const VAR_ENCODER_THREADS: &str = "IMAGEPIPE_ENCODER_THREADS";
pub const VAR_MAX_DIMENSION: &str = "IMAGEPIPE_MAX_DIMENSION";
pub const VAR_MAX_PIXELS: &str = "IMAGEPIPE_MAX_PIXELS";
pub const VAR_MAX_DECODE_BYTES: &str = "IMAGEPIPE_MAX_DECODE_BYTES";

/// Every variable [`AvifSettings::from_vars`] reads, for documentation and `--help` output.
pub const AVIF_VARS: &[&str] = &[
    VAR_RENDITIONS,
    VAR_AVIF_QUALITY,
    VAR_AVIF_ALPHA_QUALITY,
    VAR_AVIF_SPEED,
    VAR_AVIF_BIT_DEPTH,
    VAR_ENCODER_THREADS,
    VAR_MAX_DIMENSION,
    VAR_MAX_PIXELS,
    VAR_MAX_DECODE_BYTES,
];

#[derive(Debug, Clone, PartialEq)]
pub struct AvifSettings {
    pub renditions: Vec<RenditionSpec>,
    pub encoder: EncoderSettings,
    pub limits: Limits,
}

impl Default for AvifSettings {
    fn default() -> Self {
        Self {
            renditions: RenditionSpec::defaults(),
            encoder: EncoderSettings::default(),
            limits: Limits::default(),
        }
    }
}

impl AvifSettings {
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
                super::encode::OutputBitDepth::from_bits(depth).ok_or_else(|| ConfigError {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config_value::testing::{assert_each_refused, vars};

    #[test]
    fn no_variables_gives_the_defaults() {
        let config = AvifSettings::from_vars(&vars(&[("PATH", "/bin")])).expect("defaults");
        assert_eq!(config, AvifSettings::default());
    }

    #[test]
    fn every_variable_is_applied() {
        let config = AvifSettings::from_vars(&vars(&[
            (VAR_RENDITIONS, "small=100x80, big=2000x1000"),
            (VAR_AVIF_QUALITY, "55.5"),
            (VAR_AVIF_ALPHA_QUALITY, "90"),
            (VAR_AVIF_SPEED, "4"),
            (VAR_AVIF_BIT_DEPTH, "10"),
            (VAR_ENCODER_THREADS, "2"),
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
        assert_eq!(config.encoder.quality, 55.5);
        assert_eq!(config.encoder.alpha_quality, 90.0);
        // Neither value is a default, so each assertion fails if its variable is ignored.
        assert_eq!(config.encoder.speed, 4);
        assert_eq!(config.encoder.bit_depth, crate::avif::OutputBitDepth::Ten);
        assert_eq!(config.encoder.threads, Some(2));
        assert_eq!(
            config.limits,
            Limits {
                max_dimension: 5000,
                max_pixels: 1_000_000,
                max_decode_bytes: 2_000_000,
            }
        );
    }

    #[test]
    fn zero_encoder_threads_means_all_cores() {
        let config = AvifSettings::from_vars(&vars(&[(VAR_ENCODER_THREADS, "0")])).expect("valid");
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
            (VAR_AVIF_QUALITY, "0", "from 1 to 100"),
            (VAR_AVIF_QUALITY, "NaN", "from 1 to 100"),
            (VAR_AVIF_QUALITY, "high", "expected a number"),
            (VAR_AVIF_SPEED, "11", "from 1 to 10"),
            (VAR_AVIF_BIT_DEPTH, "9", "8 or 10"),
            (VAR_AVIF_BIT_DEPTH, "12", "from 8 to 10"),
            (VAR_ENCODER_THREADS, "-1", "expected a number"),
            (VAR_MAX_PIXELS, "1e6", "expected a number"),
        ];
        assert_each_refused(AvifSettings::from_vars, cases);
    }
}
