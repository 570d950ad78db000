use super::error::AvifError;

/// Bounds that keep a hostile object from exhausting the function's memory or time. All of
/// them are checked before the pixels are allocated: bytes from the object's declared size,
/// dimensions and pixel count from the image header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest width or height, in pixels.
    pub max_dimension: u32,
    /// Largest width x height.
    pub max_pixels: u64,
    /// Most memory the decoder may allocate, in bytes (decoded buffer included).
    pub max_decode_bytes: u64,
}

impl Default for Limits {
    /// Sized for a 1769 MB (one vCPU) function: a 50 MP photo decodes to 200 MB of RGBA, and the
    /// encoder needs a few copies of the largest rendition besides.
    fn default() -> Self {
        Self {
            max_dimension: 20_000,
            max_pixels: 50_000_000,
            max_decode_bytes: 512 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// Refuses an image by the dimensions its header declares, before any pixel is allocated.
    pub fn check_dimensions(&self, width: u32, height: u32) -> Result<(), AvifError> {
        if width == 0 || height == 0 {
            return Err(AvifError::ZeroDimension { width, height });
        }
        if width > self.max_dimension || height > self.max_dimension {
            return Err(AvifError::DimensionsTooLarge {
                width,
                height,
                limit: self.max_dimension,
            });
        }
        let pixels = u64::from(width) * u64::from(height);
        if pixels > self.max_pixels {
            return Err(AvifError::TooManyPixels {
                width,
                height,
                pixels,
                limit: self.max_pixels,
            });
        }
        Ok(())
    }
}
