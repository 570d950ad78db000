use serde::{Deserialize, Serialize};

/// The input formats the pipeline accepts. Detected from the bytes, never from the key's
/// extension or the declared content type, which an uploader controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceFormat {
    Jpeg,
    Png,
    Webp,
    Gif,
    Tiff,
}

impl SourceFormat {
    pub(crate) fn from_image_format(format: image::ImageFormat) -> Option<Self> {
        use image::ImageFormat as F;
        Some(match format {
            F::Jpeg => Self::Jpeg,
            F::Png => Self::Png,
            F::WebP => Self::Webp,
            F::Gif => Self::Gif,
            F::Tiff => Self::Tiff,
            _ => return None,
        })
    }

    pub(crate) fn image_format(self) -> image::ImageFormat {
        use image::ImageFormat as F;
        match self {
            Self::Jpeg => F::Jpeg,
            Self::Png => F::Png,
            Self::Webp => F::WebP,
            Self::Gif => F::Gif,
            Self::Tiff => F::Tiff,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Jpeg => "JPEG",
            Self::Png => "PNG",
            Self::Webp => "WebP",
            Self::Gif => "GIF",
            Self::Tiff => "TIFF",
        }
    }
}

/// What the source object was, as stored in the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceMetadata {
    pub format: SourceFormat,
    /// Width and height as displayed, i.e. after the EXIF orientation was applied.
    pub width: u32,
    pub height: u32,
    /// The EXIF orientation that was applied (1 = none, 2..=8 = flips and rotations).
    pub orientation: u8,
    /// Whether the source declares an alpha channel (the encoder still drops a fully opaque one).
    pub has_alpha: bool,
    /// Bits per channel in the source (1, 2, 4, 8 or 16).
    pub bit_depth: u8,
    /// The source's colour model as the decoder reported it, e.g. `rgb8`, `la16`, `cmyk8`.
    pub color_type: String,
    /// The colour space the source declared: its ICC profile's description (e.g. `Display P3`),
    /// `srgb` (PNG sRGB chunk), `png gAMA ...` (PNG gamma, with cHRM primaries when present) or
    /// `untagged` (taken as sRGB). The pixels were converted from it to sRGB. Empty in records
    /// written before colour management.
    #[serde(default)]
    pub color_space: String,
    /// Set when the declared colour space could not be applied (e.g. a profile that does not
    /// parse), saying why; the pixels were then taken as sRGB as they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color_note: Option<String>,
    pub byte_size: u64,
    /// Hex SHA-256 of the source bytes: detects silent changes and duplicates across keys.
    pub sha256: String,
}
