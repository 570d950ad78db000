//! Test fixtures made in code: every format and colour type the pipeline accepts, small enough
//! to encode in milliseconds. Files that `image` cannot write (CMYK JPEG, palette GIF, EXIF
//! JPEG from a camera-like encoder) come from `samples/`, made by `dev/fixtures/make-samples.py`.
#![allow(dead_code)]

use std::io::Cursor;
use std::path::PathBuf;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use imagepipe_core::ObjectIdentity;
use imagepipe_core::avif::{
    AvifSettings, EncoderSettings, Limits, OutputBitDepth, Raw, RenditionSpec,
};

pub const RED: [u8; 3] = [255, 0, 0];
pub const GREEN: [u8; 3] = [0, 255, 0];
pub const BLUE: [u8; 3] = [0, 0, 255];
pub const WHITE: [u8; 3] = [255, 255, 255];

pub fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../samples")
}

pub fn sample(relative: &str) -> Vec<u8> {
    let path = samples_dir().join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("sample {} missing: {e}", path.display()))
}

pub fn raw(key: &str, bytes: Vec<u8>) -> Raw {
    let identity = ObjectIdentity::new("input-bucket", key, bytes.len() as u64);
    Raw::new(identity, bytes)
}

/// The fastest encoder settings: tests check structure and dimensions, not compression.
pub fn fast_config(renditions: &[(&str, u32, u32)]) -> AvifSettings {
    AvifSettings {
        renditions: renditions
            .iter()
            .map(|(name, w, h)| RenditionSpec::new(name, *w, *h).expect("valid test rendition"))
            .collect(),
        encoder: EncoderSettings {
            speed: 10,
            bit_depth: OutputBitDepth::Eight,
            threads: Some(1),
            ..EncoderSettings::default()
        },
        limits: Limits::default(),
    }
}

/// A `width` x `height` image whose four quadrants are red, green (top right), blue (bottom
/// left) and white, so any flip or rotation is visible at the corners.
pub fn quadrants(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let colour = match (x < width / 2, y < height / 2) {
            (true, true) => RED,
            (false, true) => GREEN,
            (true, false) => BLUE,
            (false, false) => WHITE,
        };
        Rgb(colour)
    })
}

pub fn gradient_rgba(width: u32, height: u32) -> RgbaImage {
    RgbaImage::from_fn(width, height, |x, y| {
        Rgba([
            (x * 255 / width.max(1)) as u8,
            (y * 255 / height.max(1)) as u8,
            128,
            (x * 255 / width.max(1)) as u8,
        ])
    })
}

pub fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).expect("fixture encodes");
    out.into_inner()
}

/// A JPEG of `image` carrying an EXIF APP1 segment with the given orientation tag (1-8).
/// EXIF as a TIFF structure (big endian) with one IFD entry: tag 0x0112 Orientation, type
/// SHORT, count 1.
pub fn exif_orientation(orientation: u16) -> Vec<u8> {
    let mut tiff = b"MM\0\x2A\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&0x0112u16.to_be_bytes());
    tiff.extend_from_slice(&3u16.to_be_bytes());
    tiff.extend_from_slice(&1u32.to_be_bytes());
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff
}

pub fn jpeg_with_orientation(image: &RgbImage, orientation: u16) -> Vec<u8> {
    let jpeg = encode(&DynamicImage::ImageRgb8(image.clone()), ImageFormat::Jpeg);
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "JPEG starts with SOI");
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&exif_orientation(orientation));
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A structurally valid PNG whose header declares `width` x `height` RGBA pixels, followed by a
/// few bytes of pixel data: what a decompression bomb looks like before it is inflated.
pub fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let mut crc_input = kind.to_vec();
        crc_input.extend_from_slice(data);
        out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    }
    let mut header = Vec::new();
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &header);
    // zlib stream of a handful of zero bytes (stored block), then the end.
    chunk(
        &mut png,
        b"IDAT",
        &[
            0x78, 0x01, 0x01, 0x04, 0x00, 0xFB, 0xFF, 0, 0, 0, 0, 0, 0x04, 0, 0x01,
        ],
    );
    chunk(&mut png, b"IEND", &[]);
    png
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Parses an AVIF container and its AV1 sequence header: (width, height, has alpha, bit depth).
pub fn avif_info(avif: &[u8]) -> (u32, u32, bool, u8) {
    let data = avif_parse::read_avif(&mut &avif[..]).expect("output parses as AVIF");
    let meta = data
        .primary_item_metadata()
        .expect("AV1 sequence header parses");
    (
        meta.max_frame_width.get(),
        meta.max_frame_height.get(),
        data.alpha_item.is_some(),
        meta.bit_depth,
    )
}
