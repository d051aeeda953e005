//! A recording, fault-injecting HTTP proxy in front of the ECS emulator. It records the ECS
//! operation of every request (from `X-Amz-Target`), so tests can prove which calls were made
//! (for example: no write call at all), and injects throttling, 5xx, connection resets and
//! latency on demand. It runs on its own thread so synchronous tests can use it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};

/// A fault to inject into matching requests (`operation: None` matches every operation).
#[derive(Clone, Debug)]
pub enum Fault {
    /// HTTP 400 with an ECS ThrottlingException body, `times` times.
    Throttle {
        operation: Option<String>,
        times: u32,
    },
    /// HTTP 500 with an ECS ServerException body, `times` times.
    ServerError {
        operation: Option<String>,
        times: u32,
    },
    /// The connection is closed without an answer, `times` times.
    Reset {
        operation: Option<String>,
        times: u32,
    },
    /// Every matching request is delayed before it is forwarded.
    Latency {
        operation: Option<String>,
        delay: Duration,
    },
}

#[derive(Default)]
struct State {
    calls: Vec<String>,
    faults: Vec<Fault>,
    injected: u32,
}

enum Action {
    Forward(Option<Duration>),
    Respond(StatusCode, &'static str),
    Reset,
}

impl State {
    fn action_for(&mut self, operation: &str) -> Action {
        let matches = |wanted: &Option<String>| wanted.as_deref().is_none_or(|w| w == operation);
        let mut delay = None;
        for fault in &mut self.faults {
            match fault {
                Fault::Throttle { operation, times } if *times > 0 && matches(operation) => {
                    *times -= 1;
                    self.injected += 1;
                    return Action::Respond(
                        StatusCode::BAD_REQUEST,
                        r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
                    );
                }
                Fault::ServerError { operation, times } if *times > 0 && matches(operation) => {
                    *times -= 1;
                    self.injected += 1;
                    return Action::Respond(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        r#"{"__type":"ServerException","message":"injected failure"}"#,
                    );
                }
                Fault::Reset { operation, times } if *times > 0 && matches(operation) => {
                    *times -= 1;
                    self.injected += 1;
                    return Action::Reset;
                }
                Fault::Latency {
                    operation,
                    delay: d,
                } if matches(operation) => delay = Some(*d),
                _ => {}
            }
        }
        Action::Forward(delay)
    }
}

/// The proxy; stops when dropped.
pub struct RecordingProxy {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RecordingProxy {
    /// Starts a proxy on a free loopback port forwarding to `upstream` (`http://127.0.0.1:PORT`).
    pub fn start(upstream: &str) -> RecordingProxy {
        let upstream = upstream.trim_end_matches('/').to_string();
        let state = Arc::new(Mutex::new(State::default()));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("proxy address");
        let (shutdown_tx, mut shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let thread_state = state.clone();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("proxy runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                let client: Client<HttpConnector, Full<Bytes>> =
                    Client::builder(TokioExecutor::new()).build_http();
                loop {
                    let stream = tokio::select! {
                        _ = &mut shutdown_rx => return,
                        accepted = listener.accept() => match accepted {
                            Ok((stream, _)) => stream,
                            Err(_) => continue,
                        },
                    };
                    let state = thread_state.clone();
                    let client = client.clone();
                    let upstream = upstream.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |request| {
                            handle(request, state.clone(), client.clone(), upstream.clone())
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            });
        });
        RecordingProxy {
            addr,
            state,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every ECS operation received, in order (faulted ones included).
    pub fn calls(&self) -> Vec<String> {
        self.state.lock().expect("proxy state").calls.clone()
    }

    /// Operations that change something: everything but Describe*, List* and Get*.
    pub fn write_calls(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|op| {
                !(op.starts_with("Describe") || op.starts_with("List") || op.starts_with("Get"))
            })
            .collect()
    }

    pub fn clear(&self) {
        self.state.lock().expect("proxy state").calls.clear();
    }

    pub fn inject(&self, fault: Fault) {
        self.state.lock().expect("proxy state").faults.push(fault);
    }

    /// How many faults were injected so far.
    pub fn injected(&self) -> u32 {
        self.state.lock().expect("proxy state").injected
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

type ProxyError = Box<dyn std::error::Error + Send + Sync>;

async fn handle(
    request: Request<hyper::body::Incoming>,
    state: Arc<Mutex<State>>,
    client: Client<HttpConnector, Full<Bytes>>,
    upstream: String,
) -> Result<Response<Full<Bytes>>, ProxyError> {
    let operation = request
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit('.').next())
        .unwrap_or("(none)")
        .to_string();
    let action = {
        let mut state = state.lock().map_err(|_| "proxy state poisoned")?;
        state.calls.push(operation.clone());
        state.action_for(&operation)
    };
    match action {
        Action::Respond(status, body) => Ok(Response::builder()
            .status(status)
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amzn-requestid", "injected")
            .body(Full::new(Bytes::from_static(body.as_bytes())))?),
        // An error from the service makes hyper drop the connection without an answer.
        Action::Reset => Err("injected connection reset".into()),
        Action::Forward(delay) => {
            if let Some(delay) = delay {
                tokio::time::sleep(delay).await;
            }
            let (parts, body) = request.into_parts();
            let body = body.collect().await?.to_bytes();
            let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            let mut forward = Request::builder()
                .method(parts.method)
                .uri(format!("{upstream}{path}"));
            // The Host header stays as the client signed it.
            for (name, value) in &parts.headers {
                forward = forward.header(name, value);
            }
            let response = client.request(forward.body(Full::new(body))?).await?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await?.to_bytes();
            Ok(Response::from_parts(parts, Full::new(body)))
        }
    }
}
