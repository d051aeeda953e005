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

use super::deployments::Simulator;
pub use super::deployments::{Scenario, TaskOutcome};
use super::express::Express;

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
    /// HTTP 503 as AWS services answer when overloaded (the AWS SDKs' common
    /// ServiceUnavailable error, retried as transient), with a JSON error body, `times` times.
    ServiceUnavailable {
        operation: Option<String>,
        times: u32,
    },
    /// Every matching request is delayed before it is forwarded.
    Latency {
        operation: Option<String>,
        delay: Duration,
    },
    /// The request reaches the emulator (it takes effect) but its answer is lost: replaced by
    /// `answer`, `times` times.
    AnswerLost {
        operation: Option<String>,
        times: u32,
        answer: Lost,
    },
    /// HTTP 500 with an HTML body (a load balancer's error page), `times` times.
    HtmlServerError {
        operation: Option<String>,
        times: u32,
    },
    /// The connection is accepted and never answered, `times` times.
    NeverAnswers {
        operation: Option<String>,
        times: u32,
    },
    /// The request reaches the emulator at once (it takes effect even if the client goes
    /// away) and the answer comes `delay` later.
    SlowAnswer {
        operation: Option<String>,
        delay: Duration,
    },
    /// Random faults, reproducible from `seed`: each request meets one with probability `rate`
    /// (throttling, 500 with and without an ECS error body, resets, lost answers, slow
    /// answers, and now and then an answer that never comes).
    Random { seed: u64, rate: f64 },
    /// HTTP 400 AccessDeniedException (the credentials may not make the call), `times` times.
    AccessDenied {
        operation: Option<String>,
        times: u32,
    },
    /// A token bucket as ECS throttles: `burst` requests at once, then `per_second`.
    RateLimit {
        operation: Option<String>,
        burst: f64,
        per_second: f64,
    },
}

/// What comes back instead of an answer that was lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lost {
    ServerError,
    Reset,
}

/// How simulated rollouts end (moto never runs tasks, so its deployments never move): the
/// short forms of [`Scenario`] for rolling deployments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rollout {
    /// The new deployment completes after this many observations.
    CompleteAfter(u32),
    /// The new deployment fails after this many observations and the circuit breaker rolls
    /// the service back to the previous deployment's task definition.
    FailAfter(u32),
}

impl Rollout {
    fn scenario(self) -> Scenario {
        match self {
            Rollout::CompleteAfter(steps) => Scenario::Succeed { steps },
            Rollout::FailAfter(steps) => Scenario::FailByCircuitBreaker { steps },
        }
    }
}

/// A request the proxy forwarded (or the simulator answered), with the Region it was signed
/// for.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub operation: String,
    pub region: String,
    pub body: serde_json::Value,
}

#[derive(Default)]
struct State {
    calls: Vec<String>,
    /// The Region each call of `calls` was signed for.
    regions: Vec<String>,
    /// The requests that reached the emulator or the simulator, in order.
    requests: Vec<Recorded>,
    /// When each call of `calls` arrived.
    call_times: Vec<std::time::Instant>,
    /// The access key ID each request was signed with (from its SigV4 Authorization header).
    access_keys: Vec<String>,
    faults: Vec<Fault>,
    injected: u32,
    /// Answer task definition calls with what ECS would store ([`super::ecs_model`]).
    ecs_model: bool,
    /// ARN → the body ECS would store for its registration.
    stored: std::collections::HashMap<String, serde_json::Map<String, serde_json::Value>>,
    /// Container fields describes return that registration did not (as when ECS started
    /// returning `systemControls: []` for old revisions).
    added_later: Vec<(String, serde_json::Value)>,
    /// The deployment machinery ECS would run; None: responses pass through untouched.
    deployments: Option<Simulator>,
    /// The token bucket of [`Fault::RateLimit`]: tokens and when they were last counted.
    bucket: Option<(f64, std::time::Instant)>,
    /// The generator of [`Fault::Random`].
    random: Option<fastrand::Rng>,
    /// How many answers never came ([`Fault::Random`] allows one a run).
    hung: u32,
    /// The services marked as ECS Express services ([`super::express`]).
    express: Express,
    /// ECS's published token buckets ([`super::throttle`]), when on.
    ecs_throttle: Option<super::throttle::EcsThrottle>,
}

/// The body of a 503 from an AWS JSON-protocol service.
const SERVICE_UNAVAILABLE: &str = r#"{"__type":"ServiceUnavailableException","message":"Service is unavailable. Try again later."}"#;

enum Action {
    Forward(Option<Duration>),
    ForwardThenWait(Duration),
    ForwardThenLose(Lost),
    Respond(StatusCode, &'static str),
    /// An error page that is not an ECS error document (a load balancer's).
    RespondHtml(StatusCode),
    Reset,
    Hang,
}

impl State {
    fn action_for(&mut self, operation: &str) -> Action {
        if let Some(throttle) = &mut self.ecs_throttle {
            let key = self
                .access_keys
                .last()
                .map(String::as_str)
                .unwrap_or_default();
            let region = self.regions.last().map(String::as_str).unwrap_or_default();
            if !throttle.admit(operation, key, region) {
                return Action::Respond(
                    StatusCode::BAD_REQUEST,
                    r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
                );
            }
        }
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
                Fault::AccessDenied { operation, times } if *times > 0 && matches(operation) => {
                    *times -= 1;
                    self.injected += 1;
                    return Action::Respond(
                        StatusCode::BAD_REQUEST,
                        r#"{"__type":"AccessDeniedException","message":"User: arn:aws:sts::123456789012:assumed-role/ci/run is not authorized to perform this action"}"#,
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
                Fault::ServiceUnavailable { operation, times }
                    if *times > 0 && matches(operation) =>
                {
                    *times -= 1;
                    self.injected += 1;
                    return Action::Respond(StatusCode::SERVICE_UNAVAILABLE, SERVICE_UNAVAILABLE);
                }
                Fault::Latency {
                    operation,
                    delay: d,
                } if matches(operation) => delay = Some(*d),
                Fault::SlowAnswer {
                    operation,
                    delay: d,
                } if matches(operation) => return Action::ForwardThenWait(*d),
                Fault::AnswerLost {
                    operation,
                    times,
                    answer,
                } if *times > 0 && matches(operation) => {
                    *times -= 1;
                    self.injected += 1;
                    return Action::ForwardThenLose(*answer);
                }
                Fault::HtmlServerError { operation, times } if *times > 0 && matches(operation) => {
                    *times -= 1;
                    self.injected += 1;
                    return Action::RespondHtml(StatusCode::INTERNAL_SERVER_ERROR);
                }
                Fault::NeverAnswers { operation, times } if *times > 0 && matches(operation) => {
                    *times -= 1;
                    self.injected += 1;
                    return Action::Hang;
                }
                Fault::Random { seed, rate } => {
                    let rng = self
                        .random
                        .get_or_insert_with(|| fastrand::Rng::with_seed(*seed));
                    if rng.f64() >= *rate {
                        continue;
                    }
                    self.injected += 1;
                    return match rng.u32(0..44) {
                        0..=9 => Action::Respond(
                            StatusCode::BAD_REQUEST,
                            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
                        ),
                        10..=16 => Action::Respond(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            r#"{"__type":"ServerException","message":"injected failure"}"#,
                        ),
                        17..=21 => Action::RespondHtml(StatusCode::INTERNAL_SERVER_ERROR),
                        22..=26 => Action::Reset,
                        27..=30 => Action::ForwardThenLose(Lost::ServerError),
                        31..=34 => Action::ForwardThenLose(Lost::Reset),
                        35..=38 => Action::ForwardThenWait(Duration::from_millis(300)),
                        39..=40 => {
                            Action::Respond(StatusCode::SERVICE_UNAVAILABLE, SERVICE_UNAVAILABLE)
                        }
                        41..=42 => Action::RespondHtml(StatusCode::SERVICE_UNAVAILABLE),
                        _ if self.hung == 0 => {
                            self.hung += 1;
                            Action::Hang
                        }
                        _ => Action::Reset,
                    };
                }
                Fault::RateLimit {
                    operation,
                    burst,
                    per_second,
                } if matches(operation) => {
                    let now = std::time::Instant::now();
                    let (tokens, last) = self.bucket.get_or_insert((*burst, now));
                    *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * *per_second)
                        .min(*burst);
                    *last = now;
                    if *tokens >= 1.0 {
                        *tokens -= 1.0;
                    } else {
                        self.injected += 1;
                        return Action::Respond(
                            StatusCode::BAD_REQUEST,
                            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
                        );
                    }
                }
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

    /// The Region each request received was signed for, in order (as [`Self::calls`]).
    pub fn regions(&self) -> Vec<String> {
        self.state.lock().expect("proxy state").regions.clone()
    }

    /// Every ECS operation received that was signed for `region`, in order.
    pub fn calls_in(&self, region: &str) -> Vec<String> {
        let state = self.state.lock().expect("proxy state");
        state
            .calls
            .iter()
            .zip(&state.regions)
            .filter(|(_, r)| r.as_str() == region)
            .map(|(op, _)| op.clone())
            .collect()
    }

    /// The requests of `operation` that reached the emulator or the simulator, in order.
    pub fn requests(&self, operation: &str) -> Vec<Recorded> {
        let state = self.state.lock().expect("proxy state");
        state
            .requests
            .iter()
            .filter(|r| r.operation == operation)
            .cloned()
            .collect()
    }

    /// How many requests of `operation` were received.
    pub fn count(&self, operation: &str) -> usize {
        let state = self.state.lock().expect("proxy state");
        state
            .calls
            .iter()
            .filter(|op| op.as_str() == operation)
            .count()
    }

    /// The access key ID of every request received, in order.
    pub fn access_keys(&self) -> Vec<String> {
        self.state.lock().expect("proxy state").access_keys.clone()
    }

    pub fn clear_access_keys(&self) {
        self.state.lock().expect("proxy state").access_keys.clear();
    }

    /// Operations that change something: everything but Describe*, List* and Get*.
    /// The calls of `operation` with the time each arrived.
    pub fn call_times(&self, operation: &str) -> Vec<std::time::Instant> {
        let state = self.state.lock().expect("proxy state");
        state
            .calls
            .iter()
            .zip(&state.call_times)
            .filter(|(op, _)| op.as_str() == operation)
            .map(|(_, at)| *at)
            .collect()
    }

    pub fn write_calls(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|op| {
                !(op.starts_with("Describe") || op.starts_with("List") || op.starts_with("Get"))
            })
            .collect()
    }

    pub fn clear(&self) {
        let mut state = self.state.lock().expect("proxy state");
        state.calls.clear();
        state.call_times.clear();
        state.regions.clear();
        state.requests.clear();
    }

    pub fn inject(&self, fault: Fault) {
        self.state.lock().expect("proxy state").faults.push(fault);
    }

    /// No more faults from now on.
    pub fn clear_faults(&self) {
        self.state.lock().expect("proxy state").faults.clear();
    }

    /// Simulates ECS rollouts on top of the emulator from now on.
    pub fn simulate_rollouts(&self, rollout: Rollout) {
        self.deployment_scenario(rollout.scenario());
    }

    /// Simulates ECS deployments; those started from now on end as `scenario` says.
    pub fn deployment_scenario(&self, scenario: Scenario) {
        let mut state = self.state.lock().expect("proxy state");
        match &mut state.deployments {
            Some(simulator) => simulator.scenario = scenario,
            None => state.deployments = Some(Simulator::new(scenario)),
        }
    }

    /// Deployments of `service` started from now on end as `scenario` says (others as the
    /// scenario for every service says).
    pub fn deployment_scenario_for(&self, service: &str, scenario: Scenario) {
        let mut state = self.state.lock().expect("proxy state");
        let simulator = state
            .deployments
            .get_or_insert_with(|| Simulator::new(Scenario::Succeed { steps: 1 }));
        simulator.per_service.insert(service.to_string(), scenario);
    }

    /// The endpoint predates the service deployment API: it answers ListServiceDeployments
    /// and the others as unknown, and UpdateService carries no `currentServiceDeployment`.
    pub fn without_service_deployments_api(&self) {
        let mut state = self.state.lock().expect("proxy state");
        state
            .deployments
            .get_or_insert_with(|| Simulator::new(Scenario::Succeed { steps: 1 }))
            .api_available = false;
    }

    /// Tasks started by RunTask from now on end as `outcome` says.
    pub fn task_outcome(&self, outcome: TaskOutcome) {
        let mut state = self.state.lock().expect("proxy state");
        state
            .deployments
            .get_or_insert_with(|| Simulator::new(Scenario::Succeed { steps: 1 }))
            .task_outcome = outcome;
    }

    /// The tasks of a deployment that fails to start from now on stop as these say, one a
    /// task (the default: three that cannot pull their image).
    pub fn failing_tasks(&self, outcomes: Vec<TaskOutcome>) {
        let mut state = self.state.lock().expect("proxy state");
        state
            .deployments
            .get_or_insert_with(|| Simulator::new(Scenario::Succeed { steps: 1 }))
            .failing_tasks = outcomes;
    }

    /// From now on `service` is an ECS Express service: DescribeServices reports it with
    /// `resourceManagementType: ECS`, and UpdateExpressGatewayService and
    /// DescribeExpressGatewayService answer for it ([`super::express`]). Deployments are
    /// simulated from now on.
    pub fn mark_express(&self, service: &str) {
        let mut state = self.state.lock().expect("proxy state");
        state
            .deployments
            .get_or_insert_with(|| Simulator::new(Scenario::Succeed { steps: 1 }));
        state.express.mark(service);
    }

    /// Every RunTask request the simulator received.
    pub fn run_requests(&self) -> Vec<serde_json::Value> {
        let state = self.state.lock().expect("proxy state");
        state
            .deployments
            .as_ref()
            .map(|s| s.run_requests.clone())
            .unwrap_or_default()
    }

    /// From now on, task definitions are answered with what ECS stores for what was
    /// registered (the evidence-based model in [`super::ecs_model`]), not what moto stored.
    pub fn model_ecs_storage(&self) {
        self.state.lock().expect("proxy state").ecs_model = true;
    }

    /// From now on, every described container also carries `field: value`, as when ECS starts
    /// returning a new field for revisions registered before it existed.
    pub fn add_container_field_later(&self, field: &str, value: serde_json::Value) {
        self.state
            .lock()
            .expect("proxy state")
            .added_later
            .push((field.to_string(), value));
    }

    /// From now on, throttles as ECS does (its published buckets, refill rates multiplied by
    /// `scale`, all full now). Returns the buckets in the form ecstpl's `ecs_rate_limits`
    /// takes.
    pub fn throttle_like_ecs(&self, scale: f64) -> std::collections::BTreeMap<String, String> {
        let throttle = super::throttle::EcsThrottle::new(scale);
        let limits = throttle.client_limits();
        self.state.lock().expect("proxy state").ecs_throttle = Some(throttle);
        limits
    }

    /// Reads the ECS throttle's counts.
    pub fn with_ecs_throttle<T>(&self, read: impl FnOnce(&super::throttle::EcsThrottle) -> T) -> T {
        let state = self.state.lock().expect("proxy state");
        read(
            state
                .ecs_throttle
                .as_ref()
                .expect("throttle_like_ecs was called"),
        )
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
    // SigV4: "AWS4-HMAC-SHA256 Credential=AKID/date/region/service/aws4_request, ...".
    let scope: Vec<String> = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("Credential=").nth(1))
        .map(|v| {
            v.split(',')
                .next()
                .unwrap_or_default()
                .split('/')
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let access_key = scope.first().cloned().unwrap_or_default();
    let region = scope.get(2).cloned().unwrap_or_default();
    let action = {
        let mut state = state.lock().map_err(|_| "proxy state poisoned")?;
        state.calls.push(operation.clone());
        state.regions.push(region.clone());
        state.call_times.push(std::time::Instant::now());
        state.access_keys.push(access_key);
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
        Action::RespondHtml(status) => Ok(Response::builder()
            .status(status)
            .header("content-type", "text/html")
            .body(Full::new(Bytes::from(format!(
                "<html><head><title>{status}</title></head><body>upstream unavailable</body></html>"
            ))))?),
        Action::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Err("never answered".into())
        }
        action @ (Action::Forward(_) | Action::ForwardThenLose(_) | Action::ForwardThenWait(_)) => {
            let (delay, lose, answer_after) = match action {
                Action::Forward(delay) => (delay, None, None),
                Action::ForwardThenLose(lost) => (None, Some(lost), None),
                Action::ForwardThenWait(wait) => (None, None, Some(wait)),
                _ => (None, None, None),
            };
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
            let request_json: serde_json::Value =
                serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
            state
                .lock()
                .map_err(|_| "proxy state poisoned")?
                .requests
                .push(Recorded {
                    operation: operation.clone(),
                    region: region.clone(),
                    body: request_json.clone(),
                });
            // ECS checks the task definition an Express service is given: describe it first.
            let checked = match Express::task_definition_to_check(&operation, &request_json) {
                Some(arn) => describe_upstream(&client, &upstream, &arn).await?,
                None => None,
            };
            // The APIs moto does not serve are answered here when deployments are simulated.
            let answered = {
                let mut guard = state.lock().map_err(|_| "proxy state poisoned")?;
                let state = &mut *guard;
                state.deployments.as_mut().and_then(|simulator| {
                    state
                        .express
                        .answer(simulator, &operation, &request_json, checked.as_ref())
                        .or_else(|| simulator.answer(&operation, &region, &request_json))
                })
            };
            if let Some((status, answer)) = answered {
                return Ok(Response::builder()
                    .status(status)
                    .header("content-type", "application/x-amz-json-1.1")
                    .header("x-amzn-requestid", "simulated")
                    .body(Full::new(Bytes::from(answer.to_string())))?);
            }
            // The forward runs on its own: a client that goes away does not take it back.
            let sent = tokio::spawn(client.request(forward.body(Full::new(body))?));
            let response = sent.await??;
            if let Some(wait) = answer_after {
                tokio::time::sleep(wait).await;
            }
            match lose {
                Some(Lost::Reset) => return Err("answer lost: connection reset".into()),
                Some(Lost::ServerError) => {
                    return Ok(Response::builder()
                        .status(StatusCode::INTERNAL_SERVER_ERROR)
                        .header("content-type", "application/x-amz-json-1.1")
                        .body(Full::new(Bytes::from_static(
                            br#"{"__type":"ServerException","message":"answer lost"}"#,
                        )))?);
                }
                None => {}
            }
            let (mut parts, body) = response.into_parts();
            let mut body = body.collect().await?.to_bytes();
            if parts.status.is_success() {
                let rewritten = simulate(&state, &operation, &request_json, &body)?;
                if let Some(rewritten) = rewritten {
                    parts.headers.remove("content-length");
                    body = Bytes::from(rewritten);
                }
            }
            Ok(Response::from_parts(parts, Full::new(body)))
        }
    }
}

/// The task definition `arn` as the emulator describes it (None when it does not know it):
/// what ECS itself looks at, so the call is not recorded as one of the client's.
async fn describe_upstream(
    client: &Client<HttpConnector, Full<Bytes>>,
    upstream: &str,
    arn: &str,
) -> Result<Option<serde_json::Value>, ProxyError> {
    let host = upstream.trim_start_matches("http://");
    let request = Request::builder()
        .method("POST")
        .uri(format!("{upstream}/"))
        .header("host", host)
        .header("content-type", "application/x-amz-json-1.1")
        .header(
            "x-amz-target",
            "AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition",
        )
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/ecs/aws4_request, SignedHeaders=host, Signature=0",
        )
        .body(Full::new(Bytes::from(
            serde_json::json!({"taskDefinition": arn}).to_string(),
        )))?;
    let response = client.request(request).await?;
    if !response.status().is_success() {
        return Ok(None);
    }
    let body = response.into_body().collect().await?.to_bytes();
    let described: serde_json::Value = serde_json::from_slice(&body)?;
    Ok(Some(described["taskDefinition"].clone()).filter(|d| d.is_object()))
}

/// Applies the rollout simulation to a successful response; Some(new body) when rewritten.
fn simulate(
    state: &Arc<Mutex<State>>,
    operation: &str,
    request: &serde_json::Value,
    body: &[u8],
) -> Result<Option<Vec<u8>>, ProxyError> {
    let mut guard = state.lock().map_err(|_| "proxy state poisoned")?;
    let state = &mut *guard;
    if state.ecs_model
        && matches!(
            operation,
            "DescribeTaskDefinition" | "RegisterTaskDefinition"
        )
    {
        let mut response: serde_json::Value = match serde_json::from_slice(body) {
            Ok(value) => value,
            Err(_) => return Ok(None),
        };
        let Some(emulated) = response
            .get_mut("taskDefinition")
            .and_then(|d| d.as_object_mut())
        else {
            return Ok(None);
        };
        let arn = emulated
            .get("taskDefinitionArn")
            .and_then(|a| a.as_str())
            .unwrap_or_default()
            .to_string();
        if operation == "RegisterTaskDefinition" {
            let stored = super::ecs_model::stored(request);
            state.stored.insert(arn.clone(), stored);
        }
        let mut body = match state.stored.get(&arn) {
            Some(stored) => stored.clone(),
            // Registered before the model was on: what moto kept stands in for the request.
            None => {
                super::ecs_model::stored(&serde_json::Value::Object(without_read_only(emulated)))
            }
        };
        // The read-only fields (ARN, revision, status, registration times) are the emulator's.
        for key in READ_ONLY {
            if let Some(value) = emulated.get(*key) {
                body.insert((*key).to_string(), value.clone());
            }
        }
        if operation == "DescribeTaskDefinition" {
            for (field, value) in &state.added_later {
                if let Some(serde_json::Value::Array(containers)) =
                    body.get_mut("containerDefinitions")
                {
                    for container in containers.iter_mut().filter_map(|c| c.as_object_mut()) {
                        container.entry(field.clone()).or_insert(value.clone());
                    }
                }
            }
        }
        *emulated = body;
        return Ok(Some(serde_json::to_vec(&response)?));
    }
    let Some(simulator) = state.deployments.as_mut() else {
        return Ok(None);
    };
    let mut response: serde_json::Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(_) => return Ok(None),
    };
    match operation {
        "CreateService" => {
            simulator.created(&response, request);
            Ok(None)
        }
        "UpdateService" => {
            let service_arn = response["service"]["serviceArn"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let started = simulator.updated(&service_arn, request);
            if simulator.api_available
                && let Some(arn) = started
            {
                response["service"]["currentServiceDeployment"] = serde_json::Value::from(arn);
            }
            Ok(Some(serde_json::to_vec(&response)?))
        }
        "DescribeServices" => {
            let Some(services) = response["services"].as_array_mut() else {
                return Ok(None);
            };
            for service in services {
                simulator.describe_service(service);
                state.express.describe_service(service);
            }
            Ok(Some(serde_json::to_vec(&response)?))
        }
        _ => Ok(None),
    }
}

/// Fields a describe adds that are not part of the registration (aws-actions'
/// amazon-ecs-deploy-task-definition lists them as "returned by DescribeTaskDefinition, but
/// are not valid RegisterTaskDefinition inputs").
const READ_ONLY: &[&str] = &[
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
];

fn without_read_only(
    definition: &serde_json::Map<String, serde_json::Value>,
) -> serde_json::Map<String, serde_json::Value> {
    definition
        .iter()
        .filter(|(key, _)| !READ_ONLY.contains(&key.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
