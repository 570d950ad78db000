use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::{ImageBuffer, Pixel};

use super::intermediate::Pixels;

/// Scales `pixels` to exactly `width` x `height` (callers pass a size from
/// [`crate::fit_inside`], so the aspect ratio is kept). Returns a borrowed view when no scaling
/// is needed, so an image already small enough is never copied.
pub fn resize(pixels: &Pixels, width: u32, height: u32) -> std::borrow::Cow<'_, Pixels> {
    if pixels.dimensions() == (width, height) {
        return std::borrow::Cow::Borrowed(pixels);
    }
    std::borrow::Cow::Owned(match pixels {
        Pixels::Rgb8(image) => Pixels::Rgb8(resize_buffer(image, PixelType::U8x3, width, height)),
        Pixels::Rgba8(image) => Pixels::Rgba8(resize_buffer(image, PixelType::U8x4, width, height)),
    })
}

fn resize_buffer<P: Pixel<Subpixel = u8>>(
    source: &ImageBuffer<P, Vec<u8>>,
    pixel_type: PixelType,
    width: u32,
    height: u32,
) -> ImageBuffer<P, Vec<u8>> {
    let (source_width, source_height) = source.dimensions();
    // Both buffers come from `image` with exactly width * height * channels bytes of u8, which is
    // all fast_image_resize checks (u8 pixels have no alignment requirement), so neither
    // construction nor the resize can fail; a failure here is a bug, not bad input.
    let source_view = ImageRef::new(source_width, source_height, source.as_raw(), pixel_type)
        .expect("image buffer matches its dimensions");
    let mut destination = Image::new(width, height, pixel_type);
    // Lanczos3 is what sharp/libvips use by default for downscaling photos; alpha is
    // premultiplied during the resize so transparent pixels do not bleed their colour.
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .use_alpha(true);
    Resizer::new()
        .resize(&source_view, &mut destination, &options)
        .expect("source and destination have the same pixel type");
    ImageBuffer::from_raw(width, height, destination.into_vec())
        .expect("resized buffer matches its dimensions")
}
