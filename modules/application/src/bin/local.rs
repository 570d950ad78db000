//! `imagepipe-local`: runs the pipeline over a directory (images to AVIF renditions, unless
//! `IMAGEPIPE_TRANSFORM` names another transform) on the local disk, with one JSON record per
//! input, exactly as the Lambda function would with S3 and DynamoDB.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use imagepipe_application::Outcome;
use imagepipe_application::local_job::{self, LocalPaths, Summary};
use imagepipe_application::transforms::{TRANSFORMS, VAR_TRANSFORM, transform_from_vars};
use imagepipe_core::avif::AVIF_VARS;
use imagepipe_core::{PIPELINE_VARS, PipelineSettings};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Run the pipeline over a directory (images to AVIF renditions by default), recording each input as JSON lines.",
    after_help = format!(
        "Settings come from the environment: {VAR_TRANSFORM} ({}), {}; for avif {}.",
        TRANSFORMS.join(" or "),
        PIPELINE_VARS.join(", "),
        AVIF_VARS.join(", ")
    )
)]
struct Args {
    /// Directory of inputs (searched recursively; hidden files are skipped).
    input: PathBuf,
    /// Directory the outputs are written under.
    #[arg(long, short, default_value = "out")]
    output: PathBuf,
    /// JSON-lines file the records are appended to [default: OUTPUT/records.jsonl].
    #[arg(long)]
    records: Option<PathBuf>,
    /// Make every input again: start the records file afresh instead of skipping inputs
    /// already recorded with the same settings.
    #[arg(long)]
    redo: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Args::parse()).await {
        Ok(summary) if summary.failed.is_empty() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: Args) -> anyhow::Result<Summary> {
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let settings = PipelineSettings::from_vars(&env).context("invalid configuration")?;
    let transform = transform_from_vars(&env).context("invalid configuration")?;
    let records = args
        .records
        .clone()
        .unwrap_or_else(|| args.output.join("records.jsonl"));
    let inputs = local_job::list_inputs(&args.input, &args.output)?;
    let paths = LocalPaths {
        input: &args.input,
        output: &args.output,
        records: &records,
    };
    let pipeline = local_job::local_pipeline(paths, transform, settings, args.redo).await?;

    // indicatif draws nothing when stderr is not a terminal (CI logs stay clean).
    let bar = ProgressBar::new(inputs.len() as u64).with_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
            .context("progress template")?,
    );
    let summary = local_job::run(&pipeline, &inputs, |input, outcome| {
        if let Outcome::Recorded { record, .. } = outcome
            && let Some(failure) = &record.failure
        {
            bar.println(format!("failed: {}: {}", input.key, failure.reason));
        }
        bar.set_message(input.key.clone());
        bar.inc(1);
    })
    .await?;
    bar.finish_and_clear();
    print_summary(&summary, &args, &records);
    Ok(summary)
}

fn print_summary(summary: &Summary, args: &Args, records: &std::path::Path) {
    println!(
        "{} inputs in {:.1} s: {} complete, {} failed, {} unchanged since the last run, {} skipped",
        summary.total(),
        summary.elapsed.as_secs_f64(),
        summary.complete,
        summary.failed.len(),
        summary.unchanged,
        summary.skipped,
    );
    if summary.reprocessed > 0 {
        println!("{} reprocessed: settings changed", summary.reprocessed);
    }
    if summary.complete > 0 {
        println!(
            "{} input bytes -> {} output bytes ({:.1}% of the input)",
            summary.input_bytes,
            summary.output_bytes,
            100.0 * summary.output_bytes as f64 / summary.input_bytes.max(1) as f64,
        );
    }
    for (key, reason) in &summary.failed {
        println!("FAILED {key}: {reason}");
    }
    println!(
        "outputs under {}, records in {}",
        args.output.display(),
        records.display()
    );
}
