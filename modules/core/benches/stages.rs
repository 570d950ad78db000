//! Decode, resize and encode throughput on real photographs, at the default settings.
//!
//! Run with `dev/bench/bench-core.sh`, which fetches the photographs and sets
//! `IMAGEPIPE_BENCH_IMAGES`. Throughput is reported in Mitem/s where one item is one pixel, so
//! seconds per megapixel = 1 / (Mitem/s): decode and resize count source pixels, encode counts
//! the pixels of the rendition it encodes. `decode_png_untagged` and `decode_png_display_p3`
//! decode the same pixels, stored as PNG without and with a Display P3 profile: their difference
//! is what the conversion to sRGB adds. The placeholder (ThumbHash + average colour) counts the
//! pixels of the smallest rendition it is computed from, so its time per image compares directly
//! with `encode_smallest_rendition` and `encode_display_rendition`.

use std::path::PathBuf;
use std::sync::OnceLock;

use divan::Bencher;
use divan::counter::ItemsCount;
use imagepipe_core::ObjectIdentity;
use imagepipe_core::avif::{
    AvifSettings, Intermediate, Pixels, Placeholder, Raw, RenditionSpec, decode, resize,
};

fn main() {
    divan::main();
}

struct Photo {
    name: String,
    bytes: Vec<u8>,
    decoded: Intermediate,
    /// The decoded pixels as PNG: untagged, and tagged Display P3.
    png_untagged: Vec<u8>,
    png_display_p3: Vec<u8>,
}

fn png(pixels: &Pixels, icc: Option<Vec<u8>>) -> Vec<u8> {
    use image::ImageEncoder;
    let mut out = Vec::new();
    let mut encoder = image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::Adaptive,
    );
    if let Some(icc) = icc {
        encoder.set_icc_profile(icc).expect("PNG takes a profile");
    }
    let (w, h) = pixels.dimensions();
    let (bytes, colour) = match pixels {
        Pixels::Rgb8(image) => (image.as_raw(), image::ExtendedColorType::Rgb8),
        Pixels::Rgba8(image) => (image.as_raw(), image::ExtendedColorType::Rgba8),
    };
    encoder
        .write_image(bytes, w, h, colour)
        .expect("PNG encodes");
    out
}

fn photos() -> &'static [Photo] {
    static PHOTOS: OnceLock<Vec<Photo>> = OnceLock::new();
    PHOTOS.get_or_init(|| {
        let dir = std::env::var_os("IMAGEPIPE_BENCH_IMAGES").map(PathBuf::from).unwrap_or_else(|| {
            panic!("IMAGEPIPE_BENCH_IMAGES is not set: run dev/bench/bench-core.sh, which fetches the photographs")
        });
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .map(|entry| entry.expect("directory entry").path())
            .filter(|path| !path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
            .collect();
        paths.sort();
        assert!(!paths.is_empty(), "no photographs in {}", dir.display());
        paths
            .into_iter()
            .map(|path| {
                let bytes = std::fs::read(&path).expect("photo readable");
                let name = path.file_name().expect("file name").to_string_lossy().into_owned();
                let decoded = decode(raw(&name, bytes.clone()), &AvifSettings::default().limits)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                let p3 = moxcms::ColorProfile::new_display_p3().encode().expect("profile");
                let png_untagged = png(decoded.pixels(), None);
                let png_display_p3 = png(decoded.pixels(), Some(p3));
                Photo { name, bytes, decoded, png_untagged, png_display_p3 }
            })
            .collect()
    })
}

fn raw(name: &str, bytes: Vec<u8>) -> Raw {
    Raw::new(
        ObjectIdentity::new("bench", name, bytes.len() as u64),
        bytes,
    )
}

fn photo_names() -> impl Iterator<Item = String> {
    photos().iter().map(|p| {
        let (w, h) = p.decoded.pixels().dimensions();
        format!("{} ({:.2} MP)", p.name, f64::from(w) * f64::from(h) / 1e6)
    })
}

fn photo(label: &str) -> &'static Photo {
    photos()
        .iter()
        .find(|p| label.starts_with(&p.name))
        .expect("label names a photo")
}

fn source_pixels(photo: &Photo) -> ItemsCount {
    let (w, h) = photo.decoded.pixels().dimensions();
    ItemsCount::new(u64::from(w) * u64::from(h))
}

#[divan::bench(args = photo_names(), sample_count = 10)]
fn decode_source(bencher: Bencher, label: &str) {
    let photo = photo(label);
    let limits = AvifSettings::default().limits;
    bencher
        .counter(source_pixels(photo))
        .with_inputs(|| raw(&photo.name, photo.bytes.clone()))
        .bench_values(|raw| decode(raw, &limits).expect("decodes"));
}

#[divan::bench(args = photo_names(), sample_count = 10)]
fn decode_png_untagged(bencher: Bencher, label: &str) {
    decode_png(bencher, label, |photo| &photo.png_untagged);
}

#[divan::bench(args = photo_names(), sample_count = 10)]
fn decode_png_display_p3(bencher: Bencher, label: &str) {
    decode_png(bencher, label, |photo| &photo.png_display_p3);
}

fn decode_png(bencher: Bencher, label: &str, bytes: fn(&Photo) -> &Vec<u8>) {
    let photo = photo(label);
    let limits = AvifSettings::default().limits;
    bencher
        .counter(source_pixels(photo))
        .with_inputs(|| raw(&photo.name, bytes(photo).clone()))
        .bench_values(|raw| decode(raw, &limits).expect("decodes"));
}

#[divan::bench(args = photo_names(), sample_count = 10)]
fn resize_to_all_renditions(bencher: Bencher, label: &str) {
    let photo = photo(label);
    let config = AvifSettings::default();
    let (w, h) = photo.decoded.pixels().dimensions();
    bencher.counter(source_pixels(photo)).bench(|| {
        for spec in &config.renditions {
            let (tw, th) = spec.fit(w, h);
            divan::black_box(resize(photo.decoded.pixels(), tw, th));
        }
    });
}

/// The default renditions' pixels for `photo`, resized as the pipeline does before encoding.
fn rendition_pixels(
    photo: &Photo,
    pick: impl Fn(&[RenditionSpec], u32, u32) -> &RenditionSpec,
) -> Pixels {
    let config = AvifSettings::default();
    let (w, h) = photo.decoded.pixels().dimensions();
    let (tw, th) = pick(&config.renditions, w, h).fit(w, h);
    resize(photo.decoded.pixels(), tw, th).into_owned()
}

fn largest(specs: &[RenditionSpec], _: u32, _: u32) -> &RenditionSpec {
    specs
        .iter()
        .max_by_key(|spec| u64::from(spec.max_width) * u64::from(spec.max_height))
        .expect("at least one rendition")
}

fn smallest(specs: &[RenditionSpec], w: u32, h: u32) -> &RenditionSpec {
    specs
        .iter()
        .min_by_key(|spec| {
            let (tw, th) = spec.fit(w, h);
            u64::from(tw) * u64::from(th)
        })
        .expect("at least one rendition")
}

fn pixel_count(pixels: &Pixels) -> ItemsCount {
    let (w, h) = pixels.dimensions();
    ItemsCount::new(u64::from(w) * u64::from(h))
}

#[divan::bench(args = photo_names(), sample_count = 3, sample_size = 1)]
fn encode_display_rendition(bencher: Bencher, label: &str) {
    let config = AvifSettings::default();
    let scaled = rendition_pixels(photo(label), largest);
    bencher
        .counter(pixel_count(&scaled))
        .bench(|| config.encoder.encode(&scaled).expect("encodes"));
}

#[divan::bench(args = photo_names(), sample_count = 5, sample_size = 1)]
fn encode_smallest_rendition(bencher: Bencher, label: &str) {
    let config = AvifSettings::default();
    let scaled = rendition_pixels(photo(label), smallest);
    bencher
        .counter(pixel_count(&scaled))
        .bench(|| config.encoder.encode(&scaled).expect("encodes"));
}

/// What `encode` adds per image for the record's placeholder and average colour.
#[divan::bench(args = photo_names(), sample_count = 20)]
fn placeholder_from_smallest_rendition(bencher: Bencher, label: &str) {
    let scaled = rendition_pixels(photo(label), smallest);
    bencher
        .counter(pixel_count(&scaled))
        .bench(|| Placeholder::from_pixels(&scaled));
}
