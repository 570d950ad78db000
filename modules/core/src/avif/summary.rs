use serde::{Deserialize, Serialize};

use super::complete::{Complete, Timings};
use super::placeholder::Placeholder;
use super::source::SourceMetadata;

/// The record's `result` for an image: what the source was and what was made of it
/// (docs/RECORD.md documents every field).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageSummary {
    pub source: SourceMetadata,
    /// In the order of the settings' renditions; each one's bytes and key are in the record's
    /// `outputs` under the same name.
    pub renditions: Vec<RenditionSize>,
    /// What an app paints before the image loads.
    pub placeholder: Placeholder,
    pub timings: Timings,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenditionSize {
    pub name: String,
    pub width: u32,
    pub height: u32,
}

impl ImageSummary {
    pub fn of(complete: &Complete) -> Self {
        Self {
            source: complete.source().clone(),
            renditions: complete
                .renditions()
                .iter()
                .map(|r| RenditionSize {
                    name: r.name.clone(),
                    width: r.width,
                    height: r.height,
                })
                .collect(),
            placeholder: complete.placeholder().clone(),
            timings: complete.timings(),
        }
    }
}
