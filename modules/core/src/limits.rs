use crate::error::TransformError;

/// Bounds that keep a hostile object from exhausting the function's memory or time. All of
/// them are checked before the pixels are allocated: bytes from the object's declared size,
/// dimensions and pixel count from the image header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest object accepted, in bytes (checked before download when the size is known).
    pub max_input_bytes: u64,
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
            max_input_bytes: 50 * 1024 * 1024,
            max_dimension: 20_000,
            max_pixels: 50_000_000,
            max_decode_bytes: 512 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// Refuses an object by its size alone, so callers can skip the download of an oversized
    /// object when the event or a HEAD request tells its size.
    pub fn check_input_bytes(&self, actual: u64) -> Result<(), TransformError> {
        if actual == 0 {
            return Err(TransformError::Empty);
        }
        if actual > self.max_input_bytes {
            return Err(TransformError::TooManyBytes {
                actual,
                limit: self.max_input_bytes,
            });
        }
        Ok(())
    }

    /// Refuses an image by the dimensions its header declares, before any pixel is allocated.
    pub fn check_dimensions(&self, width: u32, height: u32) -> Result<(), TransformError> {
        if width == 0 || height == 0 {
            return Err(TransformError::ZeroDimension { width, height });
        }
        if width > self.max_dimension || height > self.max_dimension {
            return Err(TransformError::DimensionsTooLarge {
                width,
                height,
                limit: self.max_dimension,
            });
        }
        let pixels = u64::from(width) * u64::from(height);
        if pixels > self.max_pixels {
            return Err(TransformError::TooManyPixels {
                width,
                height,
                pixels,
                limit: self.max_pixels,
            });
        }
        Ok(())
    }
}
