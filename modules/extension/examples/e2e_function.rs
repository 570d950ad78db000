//! A stand-in function for `dev/e2e/extension-e2e.sh`: `cargo lambda watch` only sends SHUTDOWN
//! to extensions when a function instance it started itself stops, so the test needs one. It
//! logs one `imagepipe_metrics` line per invocation, as the real function does per object.
#![forbid(unsafe_code)]

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        let figures = json!({"bytes_in": 1_000_000, "bytes_out": 50_000, "renditions": 2});
        let request_id = event.context.request_id;
        println!(
            "{}",
            json!({ "requestId": request_id, "imagepipe_metrics": figures })
        );
        Ok::<_, Error>(json!("ok"))
    }))
    .await
}
