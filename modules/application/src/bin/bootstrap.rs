//! The Lambda function: S3 notifications (direct, or through SQS) -> the pipeline -> S3 and
//! DynamoDB. Everything expensive (configuration, AWS clients and their connection pools) is
//! built once here, during init, and shared by every invocation.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::time::SystemTime;

use imagepipe_adapters::{DynamoRecordStore, S3ObjectStore};
use imagepipe_application::{
    Function, FunctionConfig, Pipeline, invocation_deadline, warm_connections,
};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    // JSON when the function's log format is JSON (AWS_LAMBDA_LOG_FORMAT), level from
    // AWS_LAMBDA_LOG_LEVEL or RUST_LOG.
    lambda_runtime::tracing::init_default_subscriber();

    let vars: BTreeMap<String, String> = std::env::vars().collect();
    let config = FunctionConfig::from_vars(&vars).inspect_err(|error| {
        tracing::error!(%error, "invalid configuration; the function cannot start");
    })?;

    // Region, credentials and endpoint (AWS_ENDPOINT_URL for emulators) from the environment;
    // the standard retry mode (3 attempts, jittered exponential backoff) of the behavior
    // version, and time limits so a slow answer is retried instead of waited out.
    let aws = aws_config::from_env()
        .timeout_config(config.sdk_timeouts.timeout_config())
        .load()
        .await;
    let objects = S3ObjectStore::new(aws_sdk_s3::Client::new(&aws))
        .with_body_idle_timeout(config.sdk_timeouts.attempt)
        .with_body_read_timeout(config.sdk_timeouts.operation);
    let records =
        DynamoRecordStore::new(aws_sdk_dynamodb::Client::new(&aws), &config.records_table);
    if config.warm_connections {
        // In the background: init (and so the cold start) does not wait for the round trip, and
        // an invocation arriving before it finishes races it for the connection at worst.
        let warm = records.clone();
        tokio::spawn(async move { warm_connections(&warm).await });
    }
    let pipeline = Pipeline::new(
        objects,
        records,
        config.transform,
        config.pipeline,
        &config.output_bucket,
    );
    tracing::info!(
        transform = %pipeline.provenance().transform,
        settings_digest = %pipeline.provenance().settings_digest,
        output_bucket = %config.output_bucket,
        records_table = %config.records_table,
        sdk_timeouts = ?config.sdk_timeouts,
        "initialised"
    );
    let function = Function::new(pipeline, config.min_remaining);

    // Lambda sends SIGTERM before it shuts the environment down (only to functions with an
    // extension registered; the hook registers a no-op one). Nothing is buffered between
    // invocations, so the hook only leaves a trace in the logs.
    lambda_runtime::spawn_graceful_shutdown_handler(|| async {
        tracing::info!("shutting down");
    })
    .await;

    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let deadline = invocation_deadline(event.context.deadline, SystemTime::now());
        let request_id = event.context.request_id;
        // Boxed: the SDK's futures nested inside the runtime's are deeper than rustc's default
        // layout recursion limit.
        Box::pin(async move { function.handle(event.payload, &request_id, deadline).await })
    }))
    .await
}
