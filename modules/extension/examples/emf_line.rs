//! Prints the EMF line the extension emits for one invocation that reports every figure (cold
//! start, report, pipeline figures), configured from the environment as on Lambda
//! (IMAGEPIPE_METRICS_*, AWS_LAMBDA_FUNCTION_NAME). infra/tests/test_contract.py reads the
//! namespace, dimensions and metric names from it: the dashboard and alarms must name what the
//! extension actually emits.
#![forbid(unsafe_code)]

use imagepipe_extension::{Config, EmfRenderer, InvocationMetrics, PipelineFigures};

fn main() -> Result<(), imagepipe_extension::ConfigError> {
    let config = Config::from_vars(|name| std::env::var(name).ok())?;
    let mut invocation = InvocationMetrics::new("contract-request".to_owned(), 0);
    invocation.status = Some("success".to_owned());
    invocation.init_duration_ms = Some(20.0);
    invocation.duration_ms = Some(900.0);
    invocation.billed_duration_ms = Some(921);
    invocation.memory_size_mb = Some(3538);
    invocation.max_memory_used_mb = Some(180);
    invocation.figures = Some(PipelineFigures {
        bytes_in: 1_000_000,
        bytes_out: 60_000,
        renditions: 2,
    });
    println!("{}", EmfRenderer::new(&config).render(&invocation));
    Ok(())
}
