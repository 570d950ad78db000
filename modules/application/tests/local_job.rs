//! The local main job end to end, as a user runs it: the real binary over the bundled samples
//! plus hostile files, checking outputs, records, the summary and the exit code.

use std::path::{Path, PathBuf};
use std::process::Command;

use imagepipe_core::{FailureKind, Record, RecordStatus};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn records(path: &Path) -> Vec<Record> {
    std::fs::read_to_string(path)
        .expect("records file exists")
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is a record"))
        .collect()
}

fn run_local(input: &Path, output: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_imagepipe-local"))
        .arg(input)
        .arg("--output")
        .arg(output)
        // Fastest encoder: this test checks the flow, the benchmarks check the encoder.
        .env("IMAGEPIPE_AVIF_SPEED", "10")
        .env("IMAGEPIPE_RENDITIONS", "thumb=64x64,display=200x200")
        .output()
        .expect("binary runs")
}

#[test]
fn converts_good_images_and_records_hostile_ones_as_failed_without_crashing() {
    let work = tempfile::tempdir().expect("tempdir");
    let input = work.path().join("in");
    let output = work.path().join("out");
    std::fs::create_dir_all(input.join("nested dir")).expect("mkdir");
    let samples = repo_root().join("samples");
    for (from, to) in [
        ("images/astronaut.jpg", "astronaut.jpg"),
        ("images/logo-alpha.png", "nested dir/logo alpha+1.png"),
        ("images/chelsea-exif-rotated.jpg", "chelsea.jpg"),
        ("hostile/corrupt.jpg", "corrupt.jpg"),
        ("hostile/bomb.png", "bomb.png"),
        ("hostile/not-an-image.jpg", "page.jpg"),
    ] {
        std::fs::copy(samples.join(from), input.join(to)).expect("copy sample");
    }
    std::fs::write(input.join("empty.png"), b"").expect("write empty");

    let result = run_local(&input, &output);
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert_eq!(
        result.status.code(),
        Some(1),
        "failures give exit 1\n{stdout}"
    );
    assert!(stdout.contains("7 inputs"), "{stdout}");
    assert!(stdout.contains("3 complete, 4 failed"), "{stdout}");

    let records = records(&output.join("records.jsonl"));
    assert_eq!(records.len(), 7, "one record per input");
    let by_key = |key: &str| {
        records
            .iter()
            .find(|r| r.identity.key == key)
            .unwrap_or_else(|| panic!("no record for {key}"))
    };
    for (key, kind) in [
        ("corrupt.jpg", FailureKind::Corrupt),
        ("bomb.png", FailureKind::TooManyPixels),
        ("page.jpg", FailureKind::UnsupportedFormat),
        ("empty.png", FailureKind::Empty),
    ] {
        let record = by_key(key);
        assert_eq!(record.status, RecordStatus::Failed, "{key}");
        let failure = record.failure.as_ref().expect("failure");
        assert_eq!(failure.kind, kind, "{key}: {}", failure.reason);
        assert!(record.placeholder.is_none(), "{key}");
        assert!(
            stdout.contains(&format!("FAILED {key}: {}", failure.reason)),
            "{stdout}"
        );
    }
    for key in [
        "astronaut.jpg",
        "nested dir/logo alpha+1.png",
        "chelsea.jpg",
    ] {
        let record = by_key(key);
        assert_eq!(record.status, RecordStatus::Complete, "{key}");
        assert_eq!(record.renditions.len(), 2);
        let placeholder = record
            .placeholder
            .as_ref()
            .expect("complete records have one");
        // `#rrggbbaa` for the logo with transparency, `#rrggbb` for the photos.
        let digits = if key.contains("alpha") { 8 } else { 6 };
        assert_eq!(
            placeholder.average_color.len(),
            1 + digits,
            "{key}: {placeholder:?}"
        );
        assert!(!placeholder.thumbhash.is_empty(), "{key}");
        for rendition in &record.renditions {
            let file = output.join(&rendition.key);
            let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert_eq!(bytes.len() as u64, rendition.bytes);
            let avif = avif_parse::read_avif(&mut bytes.as_slice()).expect("valid AVIF");
            let meta = avif.primary_item_metadata().expect("AV1 header");
            assert_eq!(
                (meta.max_frame_width.get(), meta.max_frame_height.get()),
                (rendition.width, rendition.height)
            );
        }
    }
    // The portrait photo was turned upright before scaling.
    let chelsea = by_key("chelsea.jpg");
    assert_eq!(
        (chelsea.renditions[1].width, chelsea.renditions[1].height),
        (133, 200)
    );

    // A second run over unchanged files records nothing new.
    let again = run_local(&input, &output);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(stdout.contains("7 unchanged"), "{stdout}");
    assert_eq!(records_len(&output), 7);
}

#[test]
fn an_output_directory_inside_the_input_is_not_read_back() {
    let work = tempfile::tempdir().expect("tempdir");
    let input = work.path().to_path_buf();
    std::fs::copy(
        repo_root().join("samples/images/gradient-16bit.png"),
        input.join("gradient.png"),
    )
    .expect("copy");
    let output = input.join("out");
    for _ in 0..2 {
        let result = run_local(&input, &output);
        let stdout = String::from_utf8_lossy(&result.stdout);
        assert!(result.status.success(), "{stdout}");
        assert!(stdout.starts_with("1 inputs"), "{stdout}");
    }
}

#[test]
fn a_bad_setting_is_refused_naming_the_variable() {
    let work = tempfile::tempdir().expect("tempdir");
    let result = Command::new(env!("CARGO_BIN_EXE_imagepipe-local"))
        .arg(work.path())
        .env("IMAGEPIPE_AVIF_QUALITY", "101")
        .output()
        .expect("binary runs");
    assert_eq!(result.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        stderr.contains("IMAGEPIPE_AVIF_QUALITY=\"101\" is invalid"),
        "{stderr}"
    );
}

fn records_len(output: &Path) -> usize {
    records(&output.join("records.jsonl")).len()
}
