//! The cold-start floor for dev/bench/lambda.py: the smallest function `lambda_runtime` can
//! run, built with the same release profile and runtime features as `bootstrap`, so the
//! difference between the two start-ups is what the function's own init costs. It lives here,
//! not as an example of imagepipe-application: building an example turns on that package's
//! dev-dependencies, whose features would change the `bootstrap` built beside it.
#![forbid(unsafe_code)]

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    lambda_runtime::run(service_fn(|_event: LambdaEvent<Value>| async {
        Ok::<Value, lambda_runtime::Error>(json!({"hello": "world"}))
    }))
    .await
}
