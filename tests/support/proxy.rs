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

/// How simulated rollouts end (moto never runs tasks, so its deployments never move).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rollout {
    /// The new deployment completes after this many DescribeServices polls.
    CompleteAfter(u32),
    /// The new deployment fails after this many polls and the circuit breaker rolls the
    /// service back to the previous deployment's task definition.
    FailAfter(u32),
}

#[derive(Clone, Debug)]
struct SimulatedDeployment {
    id: String,
    status: &'static str,
    task_definition: String,
    rollout_state: &'static str,
    reason: String,
    desired: i64,
    running: i64,
    failed_tasks: i64,
    polls: u32,
}

#[derive(Default)]
struct State {
    calls: Vec<String>,
    /// The access key ID each request was signed with (from its SigV4 Authorization header).
    access_keys: Vec<String>,
    faults: Vec<Fault>,
    injected: u32,
    /// None: responses pass through untouched.
    rollout: Option<Rollout>,
    /// Answer task definition calls with what ECS would store ([`super::ecs_model`]).
    ecs_model: bool,
    /// ARN → the body ECS would store for its registration.
    stored: std::collections::HashMap<String, serde_json::Map<String, serde_json::Value>>,
    /// Container fields describes return that registration did not (as when ECS started
    /// returning `systemControls: []` for old revisions).
    added_later: Vec<(String, serde_json::Value)>,
    /// Service name → its deployments, newest first.
    deployments: std::collections::HashMap<String, Vec<SimulatedDeployment>>,
    next_id: u32,
}

impl State {
    fn new_deployment(
        &mut self,
        task_definition: &str,
        desired: i64,
        rollout_state: &'static str,
    ) -> SimulatedDeployment {
        self.next_id += 1;
        SimulatedDeployment {
            id: format!("ecs-svc/{:016}", self.next_id),
            status: "PRIMARY",
            task_definition: task_definition.to_string(),
            rollout_state,
            reason: String::new(),
            desired,
            running: if rollout_state == "COMPLETED" {
                desired
            } else {
                0
            },
            failed_tasks: 0,
            polls: 0,
        }
    }

    fn record_create(&mut self, service: &serde_json::Value) {
        let (Some(name), Some(task_definition)) = (
            service["serviceName"].as_str(),
            service["taskDefinition"].as_str(),
        ) else {
            return;
        };
        let desired = service["desiredCount"].as_i64().unwrap_or(1);
        let deployment = self.new_deployment(task_definition, desired, "COMPLETED");
        self.deployments.insert(name.to_string(), vec![deployment]);
    }

    fn record_update(&mut self, request: &serde_json::Value) {
        let Some(task_definition) = request["taskDefinition"].as_str() else {
            return;
        };
        let name = request["service"].as_str().unwrap_or_default();
        let name = name.rsplit('/').next().unwrap_or(name).to_string();
        let desired = self
            .deployments
            .get(&name)
            .and_then(|d| d.first())
            .map_or(1, |d| d.desired);
        let deployment = self.new_deployment(task_definition, desired, "IN_PROGRESS");
        let list = self.deployments.entry(name).or_default();
        for old in list.iter_mut() {
            old.status = "ACTIVE";
        }
        list.insert(0, deployment);
    }

    /// One DescribeServices poll: advance the rollout, then describe it.
    fn advance(&mut self, name: &str) -> Option<Vec<SimulatedDeployment>> {
        let rollout = self.rollout?;
        let mut rollback: Option<(String, i64)> = None;
        {
            let list = self.deployments.get_mut(name)?;
            let primary = list.first_mut()?;
            if primary.rollout_state == "IN_PROGRESS" {
                primary.polls += 1;
                match rollout {
                    Rollout::CompleteAfter(n) if primary.polls > n => {
                        primary.rollout_state = "COMPLETED";
                        primary.running = primary.desired;
                        list.truncate(1);
                    }
                    Rollout::FailAfter(n) if primary.polls > n => {
                        primary.rollout_state = "FAILED";
                        primary.reason =
                            "ECS deployment circuit breaker: tasks failed to start.".into();
                        primary.status = "ACTIVE";
                        primary.failed_tasks = 3;
                        let previous = list.iter().skip(1).find(|d| d.rollout_state == "COMPLETED");
                        if let Some(previous) = previous {
                            rollback = Some((previous.task_definition.clone(), previous.desired));
                        }
                    }
                    _ => primary.running = (primary.running + 1).min(primary.desired),
                }
            }
        }
        if let Some((task_definition, desired)) = rollback {
            let mut deployment = self.new_deployment(&task_definition, desired, "COMPLETED");
            deployment.reason = "rolled back by the ECS deployment circuit breaker".into();
            let list = self.deployments.get_mut(name)?;
            // The failed deployment stays listed (ACTIVE, FAILED) while it drains; older
            // completed ones are gone.
            list.retain(|d| d.rollout_state == "FAILED");
            list.insert(0, deployment);
        }
        self.deployments.get(name).cloned()
    }
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

    /// The access key ID of every request received, in order.
    pub fn access_keys(&self) -> Vec<String> {
        self.state.lock().expect("proxy state").access_keys.clone()
    }

    pub fn clear_access_keys(&self) {
        self.state.lock().expect("proxy state").access_keys.clear();
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

    /// Simulates ECS rollouts on top of the emulator from now on.
    pub fn simulate_rollouts(&self, rollout: Rollout) {
        self.state.lock().expect("proxy state").rollout = Some(rollout);
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
    let access_key = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("Credential=").nth(1))
        .and_then(|v| v.split('/').next())
        .unwrap_or_default()
        .to_string();
    let action = {
        let mut state = state.lock().map_err(|_| "proxy state poisoned")?;
        state.calls.push(operation.clone());
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
            let request_json: serde_json::Value =
                serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
            let response = client.request(forward.body(Full::new(body))?).await?;
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

/// Applies the rollout simulation to a successful response; Some(new body) when rewritten.
fn simulate(
    state: &Arc<Mutex<State>>,
    operation: &str,
    request: &serde_json::Value,
    body: &[u8],
) -> Result<Option<Vec<u8>>, ProxyError> {
    let mut state = state.lock().map_err(|_| "proxy state poisoned")?;
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
    if state.rollout.is_none() {
        return Ok(None);
    }
    let mut response: serde_json::Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(_) => return Ok(None),
    };
    match operation {
        "CreateService" => {
            state.record_create(&response["service"]);
            Ok(None)
        }
        "UpdateService" => {
            state.record_update(request);
            Ok(None)
        }
        "DescribeServices" => {
            let Some(services) = response["services"].as_array_mut() else {
                return Ok(None);
            };
            for service in services {
                let name = service["serviceName"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let Some(deployments) = state.advance(&name) else {
                    continue;
                };
                if let Some(primary) = deployments.first() {
                    service["taskDefinition"] =
                        serde_json::Value::from(primary.task_definition.clone());
                }
                service["deployments"] = deployments
                    .iter()
                    .map(|d| {
                        serde_json::json!({
                            "id": d.id,
                            "status": d.status,
                            "taskDefinition": d.task_definition,
                            "desiredCount": d.desired,
                            "runningCount": d.running,
                            "pendingCount": (d.desired - d.running).max(0),
                            "failedTasks": d.failed_tasks,
                            "rolloutState": d.rollout_state,
                            "rolloutStateReason": d.reason,
                        })
                    })
                    .collect();
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
