//! The generic pipeline's own settings: where outputs go and how large an input may be. Each
//! transform reads its own settings (`crate::avif::AvifSettings`, ...).

use std::collections::BTreeMap;

use crate::config_value::{ConfigError, parse_in_range};

pub const VAR_OUTPUT_PREFIX: &str = "IMAGEPIPE_OUTPUT_PREFIX";
pub const VAR_MAX_INPUT_BYTES: &str = "IMAGEPIPE_MAX_INPUT_BYTES";

/// Every variable [`PipelineSettings::from_vars`] reads.
pub const PIPELINE_VARS: &[&str] = &[VAR_OUTPUT_PREFIX, VAR_MAX_INPUT_BYTES];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineSettings {
    /// Prefix of every output key; ends with `/`. Objects under it are never inputs.
    pub output_prefix: String,
    /// Largest object accepted, in bytes: refused before download when its size is known.
    pub max_input_bytes: u64,
}

impl Default for PipelineSettings {
    fn default() -> Self {
        Self {
            output_prefix: "renditions/".to_owned(),
            max_input_bytes: 50 * 1024 * 1024,
        }
    }
}

impl PipelineSettings {
    /// Parses the variables that are set and keeps the default for the others. Unknown
    /// variables are ignored (the map is usually the whole process environment).
    pub fn from_vars(vars: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let mut settings = Self::default();
        let get = |name: &'static str| vars.get(name).map(|v| (name, v.trim()));
        if let Some((variable, value)) = get(VAR_OUTPUT_PREFIX) {
            settings.output_prefix = parse_prefix(value).map_err(|reason| ConfigError {
                variable,
                value: value.to_owned(),
                reason,
            })?;
        }
        if let Some(v) = get(VAR_MAX_INPUT_BYTES) {
            settings.max_input_bytes = parse_in_range(v, 1, u64::MAX)?;
        }
        Ok(settings)
    }
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
    use crate::config_value::testing::{assert_each_refused, vars};

    #[test]
    fn every_variable_is_applied() {
        let settings = PipelineSettings::from_vars(&vars(&[
            (VAR_OUTPUT_PREFIX, "out/avif"),
            (VAR_MAX_INPUT_BYTES, "1000"),
            ("PATH", "/bin"),
        ]))
        .expect("valid");
        assert_eq!(settings.output_prefix, "out/avif/");
        assert_eq!(settings.max_input_bytes, 1000);
        assert_eq!(
            PipelineSettings::from_vars(&vars(&[])).expect("defaults"),
            PipelineSettings::default()
        );
    }

    #[test]
    fn each_bad_value_is_refused_naming_its_variable() {
        let cases: &[(&str, &str, &str)] = &[
            (VAR_OUTPUT_PREFIX, "", "must not be empty"),
            (VAR_OUTPUT_PREFIX, "/abs", "relative"),
            (VAR_OUTPUT_PREFIX, "a/../b", ".."),
            (VAR_OUTPUT_PREFIX, "a b", "not allowed"),
            (VAR_MAX_INPUT_BYTES, "0", "from 1"),
            (VAR_MAX_INPUT_BYTES, "1e6", "expected a number"),
        ];
        assert_each_refused(PipelineSettings::from_vars, cases);
    }
}
