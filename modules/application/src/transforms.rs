//! Which transform the pipeline runs. To replace the transform with your own, implement
//! `imagepipe_core::Transform` (see `core/src/jsonl_summary.rs` for a small one) and name it
//! here; nothing else in the pipeline, the function, the local job or `infra/` changes.

use std::collections::BTreeMap;
use std::sync::Arc;

use imagepipe_core::avif::{AvifSettings, AvifTransform};
use imagepipe_core::jsonl_summary::JsonLinesSummary;
use imagepipe_core::{ConfigError, Transform};

/// Chooses the transform by name; unset means the shipped one, [`DEFAULT_TRANSFORM`].
pub const VAR_TRANSFORM: &str = "IMAGEPIPE_TRANSFORM";

pub const DEFAULT_TRANSFORM: &str = "avif";

/// The names [`VAR_TRANSFORM`] takes.
pub const TRANSFORMS: &[&str] = &["avif", "jsonl_summary"];

/// The transform the variables name, with its own settings read from the same variables.
pub fn transform_from_vars(
    vars: &BTreeMap<String, String>,
) -> Result<Arc<dyn Transform>, ConfigError> {
    let name = vars
        .get(VAR_TRANSFORM)
        .map_or(DEFAULT_TRANSFORM, |v| v.trim());
    match name {
        "avif" => Ok(Arc::new(AvifTransform::new(AvifSettings::from_vars(vars)?))),
        "jsonl_summary" => Ok(Arc::new(JsonLinesSummary)),
        other => Err(ConfigError {
            variable: VAR_TRANSFORM,
            value: other.to_owned(),
            reason: format!("expected one of {}", TRANSFORMS.join(", ")),
        }),
    }
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
    fn every_listed_name_builds_its_transform_and_others_are_refused() {
        assert_eq!(
            transform_from_vars(&vars(&[])).expect("default").name(),
            "avif"
        );
        for name in TRANSFORMS {
            let transform = transform_from_vars(&vars(&[(VAR_TRANSFORM, name)])).expect(name);
            assert_eq!(transform.name(), *name);
        }
        let error = transform_from_vars(&vars(&[(VAR_TRANSFORM, "webp")])).expect_err("unknown");
        assert_eq!(error.variable, VAR_TRANSFORM);
        let error = transform_from_vars(&vars(&[("IMAGEPIPE_AVIF_SPEED", "99")]))
            .expect_err("the transform's own settings are checked");
        assert_eq!(error.variable, "IMAGEPIPE_AVIF_SPEED");
    }
}
