//! Wiring only: the Extensions API (register, INVOKE, SHUTDOWN), the Telemetry API subscription
//! and listener, and stdout. Every figure is computed in the library.
#![forbid(unsafe_code)]

use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Empty};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use imagepipe_extension::{Aggregator, Config, EmfRenderer, InvocationMetrics, parse_batch};
use lambda_extension::{Error, Extension, LambdaEvent, NextEvent, service_fn};
use lambda_runtime_api_client::body::Body;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

/// Lambda gives all extensions 2 s (500 ms with one) to shut down; stop waiting for late
/// telemetry this long before the deadline so the flush itself fits.
const SHUTDOWN_MARGIN: Duration = Duration::from_millis(300);
/// Lambda's own ceiling on the shutdown phase: never trust a deadline further away than this.
const LONGEST_SHUTDOWN: Duration = Duration::from_millis(2000);
/// Deliver telemetry soon after each invocation rather than at Lambda's 1 s default.
const TELEMETRY_BUFFER_MS: u64 = 100;

enum Message {
    Invoke {
        request_id: String,
    },
    Telemetry(Bytes),
    Shutdown {
        deadline_ms: u64,
        flushed: oneshot::Sender<()>,
    },
}

// One thread: the work per invocation is a few microseconds of JSON, and a second runtime
// thread would only add memory.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let config = Config::from_vars(|name| std::env::var(name).ok())?;
    let listener =
        TcpListener::bind(SocketAddr::from(([0, 0, 0, 0], config.telemetry_port))).await?;
    let (sender, receiver) = mpsc::unbounded_channel();
    tokio::spawn(receive_telemetry(listener, sender.clone()));
    tokio::spawn(aggregate(receiver, EmfRenderer::new(&config)));

    let events = service_fn(move |event: LambdaEvent| {
        let sender = sender.clone();
        async move { on_event(event, &sender).await }
    });
    let registered = Extension::new()
        .with_events(&["INVOKE", "SHUTDOWN"])
        .with_events_processor(events)
        .register()
        .await?;
    subscribe_to_telemetry(&registered.extension_id, config.telemetry_port).await?;
    registered.run().await
}

/// INVOKE returns at once, so the extension is ready for the next event before the function
/// finishes: it never lengthens the invocation it observes.
async fn on_event(
    event: LambdaEvent,
    sender: &mpsc::UnboundedSender<Message>,
) -> Result<(), Error> {
    match event.next {
        NextEvent::Invoke(invoke) => {
            let _ = sender.send(Message::Invoke {
                request_id: invoke.request_id,
            });
            Ok(())
        }
        NextEvent::Shutdown(shutdown) => {
            let (flushed, done) = oneshot::channel();
            let _ = sender.send(Message::Shutdown {
                deadline_ms: shutdown.deadline_ms,
                flushed,
            });
            let _ = done.await;
            // Nothing is left to observe and Lambda kills us anyway; leaving now frees the
            // environment sooner than waiting for another `next` that never comes.
            std::process::exit(0)
        }
    }
}

async fn subscribe_to_telemetry(extension_id: &str, port: u16) -> Result<(), Error> {
    let subscription = serde_json::json!({
        "schemaVersion": "2022-12-13",
        "types": ["platform", "function"],
        "buffering": {"maxItems": 1000, "maxBytes": 262144, "timeoutMs": TELEMETRY_BUFFER_MS},
        "destination": {"protocol": "HTTP", "URI": format!("http://sandbox.localdomain:{port}")},
    });
    let request = lambda_runtime_api_client::build_request()
        .method("PUT")
        .uri("/2022-07-01/telemetry")
        .header("Lambda-Extension-Identifier", extension_id)
        .header("Content-Type", "application/json")
        .body(Body::from(subscription.to_string()))?;
    let client = lambda_runtime_api_client::Client::builder().build()?;
    let response = client.call(request).await?;
    if !response.status().is_success() {
        return Err(format!("Telemetry API subscription refused: {}", response.status()).into());
    }
    Ok(())
}

/// Answers each POST as soon as its body is read; parsing happens in `aggregate`.
async fn receive_telemetry(listener: TcpListener, sender: mpsc::UnboundedSender<Message>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                eprintln!("imagepipe-extension: telemetry accept failed: {error}");
                continue;
            }
        };
        let sender = sender.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let sender = sender.clone();
                async move {
                    let body = request.into_body().collect().await?.to_bytes();
                    let _ = sender.send(Message::Telemetry(body));
                    Ok::<_, hyper::Error>(Response::new(Empty::<Bytes>::new()))
                }
            });
            let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            if let Err(error) = connection.await {
                eprintln!("imagepipe-extension: telemetry connection failed: {error}");
            }
        });
    }
}

async fn aggregate(mut receiver: mpsc::UnboundedReceiver<Message>, renderer: EmfRenderer) {
    let mut aggregator = Aggregator::new();
    while let Some(message) = receiver.recv().await {
        match message {
            Message::Invoke { request_id } => aggregator.expect(&request_id, now_ms()),
            Message::Telemetry(body) => handle_batch(&mut aggregator, &renderer, &body),
            Message::Shutdown {
                deadline_ms,
                flushed,
            } => {
                let wait_until = deadline(deadline_ms);
                while aggregator.has_unreported() {
                    match tokio::time::timeout_at(wait_until, receiver.recv()).await {
                        Ok(Some(Message::Telemetry(body))) => {
                            handle_batch(&mut aggregator, &renderer, &body)
                        }
                        Ok(Some(_)) => {}
                        Ok(None) | Err(_) => break,
                    }
                }
                emit(&renderer, &aggregator.flush());
                let _ = flushed.send(());
            }
        }
    }
}

fn handle_batch(aggregator: &mut Aggregator, renderer: &EmfRenderer, body: &[u8]) {
    let (records, errors) = parse_batch(body);
    for error in errors {
        eprintln!("imagepipe-extension: dropped telemetry: {error}");
    }
    let reported: Vec<InvocationMetrics> = records
        .into_iter()
        .filter_map(|record| aggregator.observe(record))
        .collect();
    emit(renderer, &reported);
}

fn emit(renderer: &EmfRenderer, invocations: &[InvocationMetrics]) {
    if invocations.is_empty() {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    for invocation in invocations {
        let _ = writeln!(stdout, "{}", renderer.render(invocation));
    }
    let _ = stdout.flush();
}

fn deadline(deadline_ms: u64) -> tokio::time::Instant {
    let remaining =
        Duration::from_millis(deadline_ms.saturating_sub(now_ms() as u64)).min(LONGEST_SHUTDOWN);
    tokio::time::Instant::now() + remaining.saturating_sub(SHUTDOWN_MARGIN)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as i64)
}
