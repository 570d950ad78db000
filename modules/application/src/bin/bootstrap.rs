//! The Lambda function: S3 notifications (direct, or through SQS) -> the pipeline -> S3 and
//! DynamoDB. Configuration is read and checked before the first poll, so a bad value stops the
//! cold start; the AWS clients (and their connection pools) are built once, on a low-priority
//! thread started beside the first poll, and shared by every invocation.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use imagepipe_adapters::{DynamoRecordStore, S3ObjectStore};
use imagepipe_application::{
    Function, FunctionConfig, Pipeline, invocation_deadline, warm_connections,
};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::OnceCell;

type AwsFunction = Function<S3ObjectStore, DynamoRecordStore>;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    // JSON when the function's log format is JSON (AWS_LAMBDA_LOG_FORMAT), level from
    // AWS_LAMBDA_LOG_LEVEL or RUST_LOG.
    lambda_runtime::tracing::init_default_subscriber();

    let vars: BTreeMap<String, String> = std::env::vars().collect();
    let config = FunctionConfig::from_vars(&vars).inspect_err(|error| {
        tracing::error!(%error, "invalid configuration; the function cannot start");
    })?;

    // Building the clients loads the trust roots, most of init's own work. Nothing in it can
    // fail, so it need not hold back the first poll: it runs while the runtime waits for the
    // first event, and an event that is already waiting waits for it instead. Where Lambda
    // freezes an environment initialised ahead of demand as soon as it polls, the build ends
    // in the first invocation: that invocation pays what init no longer does.
    let function = Arc::new(DeferredFunction::new(config));
    build_in_background(Arc::clone(&function));

    // Lambda sends SIGTERM before it shuts an environment down, to functions with an extension
    // registered: the layer's (infra/function.tf) is. Nothing is buffered between invocations,
    // so shutting down only leaves a trace in the logs. Not lambda_runtime's graceful-shutdown
    // hook: it registers a no-op extension of its own, a Runtime API round trip inside init.
    tokio::spawn(exit_on_sigterm());

    let function = &function;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let deadline = invocation_deadline(event.context.deadline, SystemTime::now());
        let request_id = event.context.request_id;
        // Boxed: the SDK's futures nested inside the runtime's are deeper than rustc's default
        // layout recursion limit.
        Box::pin(async move {
            let function = function.get().await;
            function.handle(event.payload, &request_id, deadline).await
        })
    }))
    .await
}

async fn exit_on_sigterm() {
    let Ok(mut terminate) = signal(SignalKind::terminate()) else {
        tracing::warn!("cannot listen for SIGTERM; the environment ends without a shutdown line");
        return;
    };
    terminate.recv().await;
    tracing::info!("shutting down");
    std::process::exit(0);
}

/// Builds the function on a thread of its own at the lowest CPU priority. On a tokio worker the
/// build took a core from the first poll and from the Runtime API answering it; at nice 19 it
/// gets only CPU time they leave, which is all of it once they wait. An invocation waiting for
/// the build leaves the CPU to it the same way. Tasks the build spawns (the warm-up) run on the
/// runtime's workers at normal priority. A thread started from this one would inherit nice 19
/// for good (raising it back needs a privilege Lambda does not give), so the build starts none
/// (dev/e2e/run.py checks). Where the priority cannot be lowered the build still runs, only
/// without giving way.
fn build_in_background(function: Arc<DeferredFunction>) {
    let runtime = tokio::runtime::Handle::current();
    let started = std::thread::Builder::new()
        .name("client-build".into())
        .spawn(move || {
            if let Err(error) = rustix::process::setpriority_process(
                Some(rustix::thread::gettid()),
                LOWEST_PRIORITY,
            ) {
                tracing::debug!(%error, "cannot lower the client build's priority");
            }
            runtime.block_on(function.get());
        });
    if let Err(error) = started {
        // The first invocation then builds the function itself.
        tracing::warn!(%error, "cannot start the client build thread");
    }
}

/// The nicest nice value: the thread runs only on CPU time nothing else at normal priority wants.
const LOWEST_PRIORITY: i32 = 19;

/// The function, built by whichever asks first, the build thread started during init or the
/// first invocation (when it asks before the thread does, or the thread could not start); the
/// other waits for it.
struct DeferredFunction {
    config: FunctionConfig,
    function: OnceCell<AwsFunction>,
}

impl DeferredFunction {
    fn new(config: FunctionConfig) -> Self {
        Self {
            config,
            function: OnceCell::new(),
        }
    }

    async fn get(&self) -> &AwsFunction {
        self.function.get_or_init(|| build(&self.config)).await
    }
}

// ---------------------------------------------------------------------------------------------
// Wiring: the AWS clients behind the pipeline's ports.
// ---------------------------------------------------------------------------------------------
async fn build(config: &FunctionConfig) -> AwsFunction {
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
        // Not awaited: an invocation arriving before the round trip ends races it for the
        // connection at worst.
        let warm = records.clone();
        tokio::spawn(async move { warm_connections(&warm).await });
    }
    let pipeline = Pipeline::new(
        objects,
        records,
        Arc::clone(&config.transform),
        config.pipeline.clone(),
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
    Function::new(pipeline, config.min_remaining)
}
