//! Real camera photographs, fetched at test time by `dev/fixtures/camera-photos.py` (from PyPI and
//! Debian's archive; none is committed), and one of them re-encoded by Pillow in every accepted
//! format. Camera JPEGs carry an EXIF thumbnail (a whole JPEG with its own end-of-image marker)
//! before the main image: each photograph decodes whole, and every cut before the end of its
//! image data is refused as corrupt, never decoded into a half-grey image.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::raw;
use imagepipe_core::{FailureKind, Limits, decode};
use serde::Deserialize;

const CUTS_PER_FILE: u64 = 10;
/// Cuts start past the magic bytes and the first header, so the format is still recognised.
const FIRST_CUT: u64 = 32;

#[derive(Deserialize)]
struct Manifest {
    /// False when only piexif's files could be fetched (no apt-get for Debian's photographs).
    complete: bool,
    photos: Vec<Photo>,
}

#[derive(Deserialize)]
struct Photo {
    file: String,
    data_end: u64,
    embedded_jpegs: u32,
}

/// The photographs' directory, fetched once into the user's cache. The script fails loudly
/// (no registry, no Pillow) rather than leave this test with nothing to check.
fn photos_dir() -> PathBuf {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../dev/fixtures/camera-photos.py");
    let output = Command::new("python3")
        .arg(&script)
        .output()
        .unwrap_or_else(|e| panic!("python3 {} could not run: {e}", script.display()));
    assert!(
        output.status.success(),
        "{} failed:\n{}",
        script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    PathBuf::from(String::from_utf8(output.stdout).expect("a path").trim())
}

fn manifest(dir: &std::path::Path) -> Manifest {
    let text = std::fs::read_to_string(dir.join("photos.json")).expect("photos.json");
    serde_json::from_str(&text).expect("photos.json parses")
}

/// Evenly spread from just past the header to one byte short of the image data's end.
fn cut_points(data_end: u64) -> Vec<u64> {
    let last = data_end - 1;
    (0..CUTS_PER_FILE)
        .map(|i| FIRST_CUT + (last - FIRST_CUT) * i / (CUTS_PER_FILE - 1))
        .collect()
}

#[test]
fn every_cut_of_a_real_photograph_is_corrupt_in_every_format() {
    let dir = photos_dir();
    let manifest = manifest(&dir);
    let with_thumbnail = manifest
        .photos
        .iter()
        .filter(|p| p.file.starts_with("camera/") && p.embedded_jpegs >= 2)
        .count();
    assert!(
        with_thumbnail >= 5,
        "the set must hold camera JPEGs with EXIF thumbnails; found {with_thumbnail}"
    );
    let mut refused = 0;
    for photo in &manifest.photos {
        let bytes = std::fs::read(dir.join(&photo.file)).expect("photo reads");
        let whole = decode(raw(&photo.file, bytes.clone()), &Limits::default());
        assert!(whole.is_ok(), "{} whole: {:?}", photo.file, whole.err());

        let mut cuts = cut_points(photo.data_end);
        // Where the reported failure was seen: a camera JPEG cut at 60 %.
        cuts.push(photo.data_end * 6 / 10);
        for cut in cuts {
            let truncated = bytes[..cut as usize].to_vec();
            match decode(raw(&photo.file, truncated), &Limits::default()) {
                Err(error) => assert_eq!(
                    error.kind(),
                    FailureKind::Corrupt,
                    "{} cut at {cut} of {}: {error}",
                    photo.file,
                    photo.data_end
                ),
                Ok(_) => panic!(
                    "{} cut at {cut} of {} decoded as if whole",
                    photo.file, photo.data_end
                ),
            }
            refused += 1;
        }
    }
    println!("{refused} cuts of {} files refused", manifest.photos.len());
}

#[test]
fn what_follows_the_image_data_is_not_a_truncation() {
    // One photograph has zero padding after its end-of-image marker: cut anywhere in it, the
    // image is whole.
    let dir = photos_dir();
    let manifest = manifest(&dir);
    let padded: Vec<&Photo> = manifest
        .photos
        .iter()
        .filter(|p| {
            let size = std::fs::metadata(dir.join(&p.file)).expect("photo").len();
            p.data_end < size
        })
        .collect();
    // Debian's set has one (Wood.jpg); piexif's has none. The rule has a synthetic check too.
    assert!(
        !manifest.complete || !padded.is_empty(),
        "the full set must hold a photograph with padding after its image data"
    );
    for photo in padded {
        let bytes = std::fs::read(dir.join(&photo.file)).expect("photo reads");
        let cut = (photo.data_end as usize + bytes.len()) / 2;
        let decoded = decode(raw(&photo.file, bytes[..cut].to_vec()), &Limits::default());
        assert!(
            decoded.is_ok(),
            "{} cut in its padding: {:?}",
            photo.file,
            decoded.err()
        );
    }
}
