use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::config::AvifSettings;
use super::error::AvifError;
use super::intermediate::Intermediate;
use super::placeholder::Placeholder;
use super::resize::resize;
use super::source::SourceMetadata;
use crate::identity::ObjectIdentity;

/// One encoded rendition.
#[derive(Debug, Clone)]
pub struct EncodedRendition {
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub avif: Vec<u8>,
}

/// Where the time went, in microseconds, stored in the record so slow inputs can be found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timings {
    pub decode_us: u64,
    pub resize_us: u64,
    pub encode_us: u64,
}

/// Stage 3: every configured rendition encoded, plus what the record needs. Only
/// [`super::encode`] builds one, from an [`Intermediate`].
#[derive(Debug, Clone)]
pub struct Complete {
    pub(crate) identity: ObjectIdentity,
    pub(crate) source: SourceMetadata,
    pub(crate) renditions: Vec<EncodedRendition>,
    pub(crate) placeholder: Placeholder,
    pub(crate) timings: Timings,
}

impl Complete {
    pub fn identity(&self) -> &ObjectIdentity {
        &self.identity
    }

    pub fn source(&self) -> &SourceMetadata {
        &self.source
    }

    pub fn renditions(&self) -> &[EncodedRendition] {
        &self.renditions
    }

    pub fn placeholder(&self) -> &Placeholder {
        &self.placeholder
    }

    pub fn timings(&self) -> Timings {
        self.timings
    }

    /// Hands over the encoded bytes for storing, without copying them.
    pub fn into_renditions(self) -> Vec<EncodedRendition> {
        self.renditions
    }
}

/// Intermediate -> Complete: one AVIF per configured rendition, each scaled from the full
/// decoded image (not from the previous rendition, which would compound resampling blur). The
/// placeholder comes from the smallest rendition's resized pixels, the cheapest ones in hand.
pub fn encode(intermediate: Intermediate, config: &AvifSettings) -> Result<Complete, AvifError> {
    let Intermediate {
        identity,
        source,
        pixels,
        decode_time,
    } = intermediate;
    let (width, height) = pixels.dimensions();
    let mut resize_time = Duration::ZERO;
    let mut encode_time = Duration::ZERO;
    let mut renditions = Vec::with_capacity(config.renditions.len());
    let smallest = config
        .renditions
        .iter()
        .map(|spec| spec.fit(width, height))
        .min_by_key(|&(w, h)| u64::from(w) * u64::from(h));
    let mut placeholder = None;
    for spec in &config.renditions {
        let (target_width, target_height) = spec.fit(width, height);
        // A small source fits several boxes at its own size: encode that size once.
        let reused = renditions
            .iter()
            .find(|r: &&EncodedRendition| (r.width, r.height) == (target_width, target_height))
            .map(|same| same.avif.clone());
        let avif = match reused {
            Some(avif) => avif,
            None => {
                let started = Instant::now();
                let scaled = resize(&pixels, target_width, target_height);
                resize_time += started.elapsed();
                // The first rendition of the smallest size is always resized here: only later
                // ones of the same size reuse its bytes.
                if placeholder.is_none() && smallest == Some((target_width, target_height)) {
                    placeholder = Some(Placeholder::from_pixels(&scaled));
                }

                let started = Instant::now();
                let avif = config
                    .encoder
                    .encode(&scaled)
                    .map_err(|e| AvifError::Encode {
                        rendition: spec.name.clone(),
                        detail: e.to_string(),
                    })?;
                encode_time += started.elapsed();
                avif
            }
        };
        renditions.push(EncodedRendition {
            name: spec.name.clone(),
            width: target_width,
            height: target_height,
            avif,
        });
    }
    Ok(Complete {
        identity,
        source,
        renditions,
        // Only a config without renditions leaves it unset.
        placeholder: placeholder.unwrap_or_else(|| Placeholder::from_pixels(&pixels)),
        timings: Timings {
            decode_us: micros(decode_time),
            resize_us: micros(resize_time),
            encode_us: micros(encode_time),
        },
    })
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}
