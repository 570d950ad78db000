//! The local main job end to end, as a user runs it: the real binary over the bundled samples
//! plus hostile files, checking outputs, records, the summary and the exit code.

use std::path::{Path, PathBuf};
use std::process::Command;

use imagepipe_core::avif::{ImageSummary, kind};
use imagepipe_core::{Record, RecordStatus};

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
    run_local_with(input, output, &[], &[])
}

fn run_local_with(
    input: &Path,
    output: &Path,
    args: &[&str],
    vars: &[(&str, &str)],
) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_imagepipe-local"))
        .arg(input)
        .arg("--output")
        .arg(output)
        .args(args)
        // Fastest encoder: this test checks the flow, the benchmarks check the encoder.
        .env("IMAGEPIPE_AVIF_SPEED", "10")
        .env("IMAGEPIPE_RENDITIONS", "thumb=64x64,display=200x200")
        .envs(vars.iter().copied())
        .output()
        .expect("binary runs")
}

fn summary(record: &Record) -> ImageSummary {
    serde_json::from_value(
        record
            .result
            .clone()
            .expect("complete records have a result"),
    )
    .expect("an image summary")
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
        ("corrupt.jpg", kind::CORRUPT),
        ("bomb.png", kind::TOO_MANY_PIXELS),
        ("page.jpg", kind::UNSUPPORTED_FORMAT),
        ("empty.png", kind::EMPTY),
    ] {
        let record = by_key(key);
        assert_eq!(record.status, RecordStatus::Failed, "{key}");
        let failure = record.failure.as_ref().expect("failure");
        assert_eq!(failure.kind, kind, "{key}: {}", failure.reason);
        assert!(
            record.result.is_none() && record.outputs.is_empty(),
            "{key}"
        );
        assert_eq!(record.failed_kind.as_ref(), Some(&kind), "{key}");
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
        assert_eq!(record.outputs.len(), 2);
        let summary = summary(record);
        let placeholder = &summary.placeholder;
        // `#rrggbbaa` for the logo with transparency, `#rrggbb` for the photos.
        let digits = if key.contains("alpha") { 8 } else { 6 };
        assert_eq!(
            placeholder.average_color.len(),
            1 + digits,
            "{key}: {placeholder:?}"
        );
        assert!(!placeholder.thumbhash.is_empty(), "{key}");
        for (output_record, size) in record.outputs.iter().zip(&summary.renditions) {
            assert_eq!(output_record.name, size.name);
            assert_eq!(output_record.content_type, "image/avif");
            let file = output.join(&output_record.key);
            let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert_eq!(bytes.len() as u64, output_record.bytes);
            let avif = avif_parse::read_avif(&mut bytes.as_slice()).expect("valid AVIF");
            let meta = avif.primary_item_metadata().expect("AV1 header");
            assert_eq!(
                (meta.max_frame_width.get(), meta.max_frame_height.get()),
                (size.width, size.height)
            );
        }
    }
    // The portrait photo was turned upright before scaling.
    let display = &summary(by_key("chelsea.jpg")).renditions[1];
    assert_eq!((display.width, display.height), (133, 200));

    // A second run over unchanged files records nothing new.
    let again = run_local(&input, &output);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(stdout.contains("7 unchanged"), "{stdout}");
    assert!(!stdout.contains("reprocessed"), "{stdout}");
    assert_eq!(records_len(&output), 7);

    // Other settings reach every input already recorded, complete or failed.
    let changed = [("IMAGEPIPE_RENDITIONS", "thumb=48x48")];
    let reprocess = run_local_with(&input, &output, &[], &changed);
    let stdout = String::from_utf8_lossy(&reprocess.stdout);
    assert!(stdout.contains("3 complete, 4 failed"), "{stdout}");
    assert!(
        stdout.contains("7 reprocessed: settings changed"),
        "{stdout}"
    );
    let latest = latest_records(&output);
    let astronaut = &latest["astronaut.jpg"];
    assert_eq!(
        astronaut.outputs.len(),
        1,
        "only the new rendition is named"
    );
    assert_eq!(
        astronaut.provenance.settings["transform"]["renditions"],
        "thumb=48x48"
    );
    let unchanged = run_local_with(&input, &output, &[], &changed);
    assert!(String::from_utf8_lossy(&unchanged.stdout).contains("7 unchanged"));

    // --redo makes everything again with the same settings.
    let redo = run_local_with(&input, &output, &["--redo"], &changed);
    let stdout = String::from_utf8_lossy(&redo.stdout);
    assert!(stdout.contains("3 complete, 4 failed"), "{stdout}");
    assert_eq!(records_len(&output), 7, "the records file started afresh");
}

/// The last record per key (the JSON-lines file appends).
fn latest_records(output: &Path) -> std::collections::BTreeMap<String, Record> {
    records(&output.join("records.jsonl"))
        .into_iter()
        .map(|record| (record.identity.key.clone(), record))
        .collect()
}

#[test]
fn the_second_transform_runs_through_the_same_local_job() {
    let work = tempfile::tempdir().expect("tempdir");
    let input = work.path().join("in");
    let output = work.path().join("out");
    std::fs::create_dir_all(&input).expect("mkdir");
    std::fs::write(
        input.join("events.jsonl"),
        "{\"id\":1}\n{\"id\":2,\"tag\":\"a\"}\n",
    )
    .expect("write");
    std::fs::write(input.join("broken.jsonl"), "{\"id\":1}\nnot json\n").expect("write");
    let vars = [("IMAGEPIPE_TRANSFORM", "jsonl_summary")];
    let result = run_local_with(&input, &output, &[], &vars);
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert_eq!(result.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("1 complete, 1 failed"), "{stdout}");

    let latest = latest_records(&output);
    let events = &latest["events.jsonl"];
    assert_eq!(events.provenance.transform, "jsonl_summary");
    assert_eq!(
        events.result,
        Some(serde_json::json!({"records": 2, "fields": 2}))
    );
    let [summary] = events.outputs.as_slice() else {
        panic!("one output: {:?}", events.outputs);
    };
    assert!(summary.key.ends_with("/summary.json"), "{}", summary.key);
    assert_eq!(summary.content_type, "application/json");
    let written: serde_json::Value =
        serde_json::from_slice(&std::fs::read(output.join(&summary.key)).expect("written"))
            .expect("JSON");
    assert_eq!(written["fields"]["tag"]["string"], 1);
    let broken = &latest["broken.jsonl"];
    assert_eq!(
        broken.failed_kind,
        Some(imagepipe_core::jsonl_summary::INVALID_JSON)
    );
    assert!(stdout.contains("FAILED broken.jsonl: line 2"), "{stdout}");
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
