use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::settings::PipelineSettings;
use crate::transform::Transform;

/// Names this build of the pipeline in every record, so records made by an older build can be
/// found and reprocessed.
pub const PIPELINE_VERSION: &str = concat!("imagepipe/", env!("CARGO_PKG_VERSION"));

/// What made a record: the transform, every setting that shapes its outputs, and the build.
/// Computed once per pipeline and stored in each record; an object whose record has another
/// `settings_digest` is made again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    pub transform: String,
    /// 16 hex digits of SHA-256 over the transform's name, `settings` and the pipeline version.
    pub settings_digest: String,
    /// The settings in readable form: the pipeline's own and, under `transform`, the
    /// transform's.
    pub settings: Value,
    pub pipeline_version: String,
}

impl Provenance {
    pub fn new(transform: &dyn Transform, pipeline: &PipelineSettings) -> Self {
        let settings = json!({
            "output_prefix": pipeline.output_prefix,
            "max_input_bytes": pipeline.max_input_bytes,
            "transform": transform.settings(),
        });
        let digested = json!([transform.name(), PIPELINE_VERSION, settings]);
        let digest = Sha256::digest(digested.to_string().as_bytes());
        Self {
            transform: transform.name().to_owned(),
            settings_digest: hex::encode(&digest[..8]),
            settings,
            pipeline_version: PIPELINE_VERSION.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::Failure;
    use crate::transform::{Input, Product};

    #[derive(Debug)]
    struct Fixed(Value);

    impl Transform for Fixed {
        fn name(&self) -> &'static str {
            "fixed"
        }
        fn settings(&self) -> Value {
            self.0.clone()
        }
        fn apply(&self, _: Input) -> Result<Product, Failure> {
            unreachable!("only the settings are read")
        }
    }

    #[test]
    fn the_digest_changes_with_any_setting_and_only_then() {
        let pipeline = PipelineSettings::default();
        let base = Provenance::new(&Fixed(json!({"size": 1})), &pipeline);
        assert_eq!(base.settings_digest.len(), 16);
        assert_eq!(
            base,
            Provenance::new(&Fixed(json!({"size": 1})), &pipeline),
            "deterministic"
        );
        let other_setting = Provenance::new(&Fixed(json!({"size": 2})), &pipeline);
        assert_ne!(base.settings_digest, other_setting.settings_digest);
        let other_prefix = PipelineSettings {
            output_prefix: "elsewhere/".to_owned(),
            ..pipeline
        };
        let moved = Provenance::new(&Fixed(json!({"size": 1})), &other_prefix);
        assert_ne!(base.settings_digest, moved.settings_digest);
        assert_eq!(base.settings["transform"], json!({"size": 1}));
    }
}
