//! Which AV1 encoder writes the AVIF files, and the one error type both of them return.

/// The AVIF encoder backend (`IMAGEPIPE_AVIF_ENCODER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AvifEncoder {
    /// ravif (rav1e): pure Rust, always built.
    #[default]
    Ravif,
    /// libaom through libavif: C, built only with the `aom` feature.
    Aom,
}

impl AvifEncoder {
    pub const NAMES: &'static [&'static str] = &["ravif", "aom"];

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "ravif" => Some(Self::Ravif),
            "aom" => Some(Self::Aom),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Ravif => "ravif",
            Self::Aom => "aom",
        }
    }

    /// Whether this binary contains the backend: choosing one that is not built is refused
    /// when the configuration is read, not at the first image.
    pub fn is_built(self) -> bool {
        match self {
            Self::Ravif => true,
            Self::Aom => cfg!(feature = "aom"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("ravif: {0}")]
    Ravif(#[from] ravif::Error),
    #[cfg(feature = "aom")]
    #[error("libavif/libaom: {0}")]
    Aom(#[from] libavif::Error),
    #[error("the {} AVIF encoder is not built into this binary (cargo feature `aom`)", .0.name())]
    NotBuilt(AvifEncoder),
    #[error("the {} AVIF encoder writes 8-bit AVIF only", .0.name())]
    UnsupportedBitDepth(AvifEncoder),
}

/// `IMAGEPIPE_AVIF_ENCODER`'s value, checked against this build and the other encoder settings.
pub(crate) fn parse_backend(
    value: &str,
    settings: crate::EncoderSettings,
) -> Result<AvifEncoder, String> {
    let backend = AvifEncoder::from_name(value)
        .ok_or_else(|| format!("expected one of {}", AvifEncoder::NAMES.join(", ")))?;
    if !backend.is_built() {
        return Err(EncodeError::NotBuilt(backend).to_string());
    }
    if backend == AvifEncoder::Aom && settings.bit_depth != crate::OutputBitDepth::Eight {
        return Err(EncodeError::UnsupportedBitDepth(backend).to_string());
    }
    Ok(backend)
}
