//! The test suite's model of how ECS deploys a service and runs one-off tasks: moto serves
//! none of it (its deployments never move, it knows no service deployment API). Written from
//! the ECS API reference and developer guide, never from ecstpl's code; the sources:
//!
//! - Service deployments, their statuses and lifecycle stages:
//!   <https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-deployment.html>,
//!   <https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html>
//!   (stages in order: RECONCILE_SERVICE, PRE_SCALE_UP, SCALE_UP, POST_SCALE_UP,
//!   TEST_TRAFFIC_SHIFT, POST_TEST_TRAFFIC_SHIFT, PRE_PRODUCTION_TRAFFIC_SHIFT,
//!   PRODUCTION_TRAFFIC_SHIFT, POST_PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME, CLEAN_UP; for linear
//!   and canary deployments the two production stages repeat at every traffic step).
//! - `UpdateService` answers with `currentServiceDeployment`, the ARN of the deployment it
//!   started (API_Service.html).
//! - A rollback creates no new service revision; it returns to the last successful one
//!   (developer guide, service-revision.html). Terminal statuses: SUCCESSFUL, STOPPED,
//!   ROLLBACK_SUCCESSFUL, ROLLBACK_FAILED.
//! - StopServiceDeployment with stopType ROLLBACK moves PENDING or IN_PROGRESS to
//!   ROLLBACK_REQUESTED, then the rollback runs (stop-service-deployment.html).
//! - PAUSE lifecycle hooks: at their stage the deployment stays IN_PROGRESS with
//!   `lifecycleHookDetails[{hookId, targetType: PAUSE, status: AWAITING_ACTION, expiresAt,
//!   timeoutAction}]` until ContinueServiceDeployment {serviceDeploymentArn, hookId, action:
//!   CONTINUE|ROLLBACK}; continuing needs the hook AWAITING_ACTION and the deployment IN_PROGRESS
//!   (pause-lifecycle-hooks.html, continue-service-deployment.html). The timeout defaults to
//!   1440 minutes and its action to ROLLBACK.
//! - The deployment circuit breaker and alarms report `status: TRIGGERED`
//!   (ServiceDeploymentCircuitBreaker, ServiceDeploymentAlarms); without `rollback` a failed
//!   deployment ends STOPPED (API_ServiceDeployment.html, `stoppedAt`).
//! - The older `deployments[]` of DescribeServices: PRIMARY/ACTIVE with `rolloutState`
//!   IN_PROGRESS, COMPLETED or FAILED (API_Deployment.html); a circuit-breaker rollback leaves
//!   the failed deployment listed while it drains.
//! - RunTask and DescribeTasks: a task goes PROVISIONING → PENDING → RUNNING → STOPPED; one that
//!   ran has `stopCode: EssentialContainerExited` and its containers' `exitCode`; one that never
//!   started has `stopCode: TaskFailedToStart`, the cause in `stoppedReason` and no `exitCode`
//!   (API_Task.html, stopped-task-error-codes.html).
//!
//! - Why tasks stopped (stopped-task-error-codes.html, API_ListTasks.html, API_Task.html): a
//!   failing deployment's tasks stop with `stopCode: TaskFailedToStart` and a `stoppedReason`
//!   such as `CannotPullContainerError: …` (their containers carry the same `reason`), or with
//!   `EssentialContainerExited` and an `exitCode`; `startedBy` is the deployment's `ecs-svc/…`
//!   id and `group` is `service:NAME`. `ListTasks {cluster, serviceName, desiredStatus:
//!   STOPPED}` lists a service's recently stopped tasks.
//! - Service events (service-event-messages.html): `DescribeServices` returns `events[]`, newest
//!   first, `{id, createdAt, message}`; a deployment the circuit breaker fails adds
//!   "(service NAME) (deployment ecs-svc/ID) deployment failed: tasks failed to start.", and
//!   its rollback "(service NAME) rolling back to deployment ecs-svc/ID.".
//!
//! Time is compressed: every observation of a deployment (DescribeServiceDeployments, or
//! DescribeServices of its service) moves it one step.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// How deployments started from now on end.
#[derive(Clone, Debug, PartialEq)]
pub enum Scenario {
    /// Every stage passes (a rolling deployment takes `steps` observations).
    Succeed { steps: u32 },
    /// The circuit breaker triggers after `steps` observations (rolling deployments).
    FailByCircuitBreaker { steps: u32 },
    /// An alarm triggers at `stage`.
    FailByAlarm {
        stage: &'static str,
        alarm: &'static str,
    },
    /// A lifecycle hook (Lambda) at `stage` fails.
    FailHook { stage: &'static str },
    /// An alarm triggers at `stage` and the rollback itself fails.
    RollbackFails { stage: &'static str },
}

/// How tasks started by RunTask end.
#[derive(Clone, Debug, PartialEq)]
pub enum TaskOutcome {
    /// Every container exits with this code after running.
    Exit(i64),
    /// The task never starts (an image that cannot be pulled, say).
    FailToStart(&'static str),
}

const BLUE_GREEN_STAGES: &[&str] = &[
    "PRE_SCALE_UP",
    "SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
];
const AFTER_PRODUCTION: &[&str] = &["POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"];

#[derive(Clone, Debug)]
struct Stage {
    name: Option<&'static str>,
    /// Production traffic on the new revision during this stage, percent.
    production_weight: f64,
    test_weight: f64,
}

#[derive(Clone, Debug)]
struct Hook {
    id: String,
    target_type: &'static str,
    status: &'static str,
    expires_at: f64,
    timeout_action: String,
}

#[derive(Clone, Debug)]
struct Deployment {
    arn: String,
    service: String,
    status: &'static str,
    status_reason: Option<String>,
    stages: Vec<Stage>,
    stage: usize,
    target_revision: String,
    source_revision: Option<String>,
    created_at: f64,
    started_at: Option<f64>,
    finished_at: Option<f64>,
    stopped_at: Option<f64>,
    scenario: Scenario,
    observations: u32,
    circuit_breaker: &'static str,
    alarms: &'static str,
    triggered_alarms: Vec<String>,
    rollback: Option<(String, f64)>,
    hooks: Vec<Hook>,
    /// Stages whose pause hook was already answered.
    paused_at: Vec<usize>,
    configuration: Value,
    desired: i64,
    /// The rollback ends ROLLBACK_FAILED.
    rollback_fails: bool,
}

#[derive(Clone, Debug)]
struct Service {
    /// Also its key: ECS tells services apart by Region, account, cluster and name.
    arn: String,
    name: String,
    cluster_arn: String,
    /// The deployment configuration as CreateService/UpdateService last set it.
    configuration: Value,
    /// The last successful service revision.
    current_revision: Option<String>,
    deployments: Vec<String>,
    desired: i64,
    /// Service events, oldest first: (createdAt, message).
    events: Vec<(f64, String)>,
}

#[derive(Clone, Debug)]
struct Task {
    arn: String,
    cluster: String,
    task_definition: String,
    containers: Vec<(String, Option<Vec<String>>)>,
    outcome: TaskOutcome,
    observations: u32,
    created_at: f64,
    /// `service:NAME` for a service's task.
    group: Option<String>,
    started_by: Option<String>,
}

/// The simulated ECS deployment machinery.
#[derive(Debug)]
pub struct Simulator {
    /// False: the endpoint predates the service deployment API (answers it as unknown).
    pub api_available: bool,
    pub scenario: Scenario,
    /// Scenarios of single services by name (in any cluster and Region), over `scenario`.
    pub per_service: HashMap<String, Scenario>,
    pub task_outcome: TaskOutcome,
    /// By service ARN.
    services: HashMap<String, Service>,
    deployments: HashMap<String, Deployment>,
    /// Service revision ARN → task definition ARN.
    revisions: HashMap<String, String>,
    tasks: HashMap<String, Task>,
    next_id: u64,
    /// Every RunTask request received.
    pub run_requests: Vec<Value>,
    /// Why the tasks of a deployment that fails to start stop, one entry a task.
    pub failing_tasks: Vec<TaskOutcome>,
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn service_name(value: &str) -> String {
    value.rsplit('/').next().unwrap_or(value).to_string()
}

/// The Region an ARN names.
fn arn_region(arn: &str) -> Option<&str> {
    arn.strip_prefix("arn:")?.split(':').nth(2)
}

/// The cluster a service ARN of the long form (`service/CLUSTER/NAME`) names.
fn arn_cluster(arn: &str) -> Option<&str> {
    let resource = arn.strip_prefix("arn:")?.split(':').nth(4)?;
    let parts: Vec<&str> = resource.split('/').collect();
    (parts.len() == 3).then(|| parts[1])
}

/// An AWS JSON 1.1 error answer.
pub fn error(status: u16, code: &str, message: &str) -> (u16, Value) {
    (status, json!({"__type": code, "message": message}))
}

impl Simulator {
    pub fn new(scenario: Scenario) -> Self {
        Self {
            api_available: true,
            scenario,
            per_service: HashMap::new(),
            task_outcome: TaskOutcome::Exit(0),
            services: HashMap::new(),
            deployments: HashMap::new(),
            revisions: HashMap::new(),
            tasks: HashMap::new(),
            next_id: 0,
            run_requests: Vec::new(),
            failing_tasks: vec![
                TaskOutcome::FailToStart(
                    "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref docker.io/repo/app:broken: not found",
                );
                3
            ],
        }
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn stages(configuration: &Value) -> Vec<Stage> {
        let strategy = configuration["strategy"].as_str().unwrap_or("ROLLING");
        let stage = |name, production_weight, test_weight| Stage {
            name: Some(name),
            production_weight,
            test_weight,
        };
        let mut stages: Vec<Stage> = Vec::new();
        match strategy {
            "BLUE_GREEN" | "LINEAR" | "CANARY" => {
                for name in BLUE_GREEN_STAGES {
                    let test =
                        if *name == "POST_TEST_TRAFFIC_SHIFT" || *name == "TEST_TRAFFIC_SHIFT" {
                            100.0
                        } else {
                            0.0
                        };
                    stages.push(stage(name, 0.0, test));
                }
                let steps: Vec<f64> = match strategy {
                    "LINEAR" => {
                        let step = configuration["linearConfiguration"]["stepPercent"]
                            .as_f64()
                            .unwrap_or(10.0);
                        let mut weights = Vec::new();
                        let mut weight: f64 = 0.0;
                        while weight < 100.0 {
                            weight = (weight + step).min(100.0);
                            weights.push(weight);
                        }
                        weights
                    }
                    "CANARY" => vec![
                        configuration["canaryConfiguration"]["canaryPercent"]
                            .as_f64()
                            .unwrap_or(5.0),
                        100.0,
                    ],
                    _ => vec![100.0],
                };
                let mut before = 0.0;
                for weight in steps {
                    stages.push(stage("PRE_PRODUCTION_TRAFFIC_SHIFT", before, 100.0));
                    stages.push(stage("PRODUCTION_TRAFFIC_SHIFT", weight, 100.0));
                    before = weight;
                }
                for name in AFTER_PRODUCTION {
                    stages.push(stage(name, 100.0, 100.0));
                }
            }
            _ => {
                // Rolling deployments: no documented lifecycle stages; tasks replace step by step.
                stages.push(Stage {
                    name: None,
                    production_weight: 100.0,
                    test_weight: 0.0,
                });
            }
        }
        stages
    }

    fn record_service(&mut self, service: &Value, request: &Value) {
        let Some(name) = service["serviceName"].as_str() else {
            return;
        };
        let configuration = request["deploymentConfiguration"].clone();
        let revision = format!(
            "{}/{}",
            service["serviceArn"]
                .as_str()
                .unwrap_or_default()
                .replace(":service/", ":service-revision/"),
            self.id()
        );
        if let Some(task_definition) = service["taskDefinition"].as_str() {
            self.revisions
                .insert(revision.clone(), task_definition.to_string());
        }
        let arn = service["serviceArn"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.services.insert(
            arn.clone(),
            Service {
                arn,
                name: name.to_string(),
                cluster_arn: service["clusterArn"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                configuration,
                current_revision: Some(revision),
                deployments: Vec::new(),
                desired: service["desiredCount"].as_i64().unwrap_or(1),
                events: Vec::new(),
            },
        );
    }

    /// CreateService went through: the service runs its first revision (its first deployment
    /// is taken as done).
    pub fn created(&mut self, response: &Value, request: &Value) {
        self.record_service(&response["service"], request);
    }

    /// UpdateService of the service `service_arn` (as ECS answered it) went through: a new
    /// deployment of the service starts. Returns its ARN.
    pub fn updated(&mut self, service_arn: &str, request: &Value) -> Option<String> {
        let task_definition = request["taskDefinition"].as_str()?.to_string();
        let key = service_arn.to_string();
        let id = self.id();
        let service = self.services.get_mut(&key)?;
        let name = service.name.clone();
        if request["deploymentConfiguration"].is_object() {
            service.configuration = request["deploymentConfiguration"].clone();
        }
        let revision = format!(
            "{}/{}",
            service.arn.replace(":service/", ":service-revision/"),
            id
        );
        let arn = format!(
            "{}/{:020}",
            service.arn.replace(":service/", ":service-deployment/"),
            id
        );
        let configuration = service.configuration.clone();
        let deployment = Deployment {
            arn: arn.clone(),
            service: key.clone(),
            status: "PENDING",
            status_reason: None,
            stages: Self::stages(&configuration),
            stage: 0,
            target_revision: revision.clone(),
            source_revision: service.current_revision.clone(),
            created_at: now(),
            started_at: None,
            finished_at: None,
            stopped_at: None,
            scenario: self
                .per_service
                .get(&name)
                .unwrap_or(&self.scenario)
                .clone(),
            observations: 0,
            circuit_breaker: if configuration["deploymentCircuitBreaker"]["enable"] == true {
                "MONITORING"
            } else {
                "DISABLED"
            },
            alarms: if configuration["alarms"]["enable"] == true {
                "MONITORING"
            } else {
                "DISABLED"
            },
            triggered_alarms: Vec::new(),
            rollback: None,
            hooks: Vec::new(),
            paused_at: Vec::new(),
            configuration,
            desired: service.desired,
            rollback_fails: false,
        };
        service.deployments.push(arn.clone());
        self.revisions.insert(revision, task_definition);
        self.deployments.insert(arn.clone(), deployment);
        Some(arn)
    }

    /// A rollback returns to the last successful revision; without one it fails ("requires a
    /// previous deployment in COMPLETED state", deployment-failure-detection.html).
    fn roll_back(deployment: &mut Deployment, reason: &str) {
        deployment.status_reason = Some(reason.to_string());
        deployment.rollback = Some((reason.to_string(), now()));
        if deployment.source_revision.is_some() {
            deployment.status = "ROLLBACK_IN_PROGRESS";
        } else {
            deployment.status = "ROLLBACK_FAILED";
            deployment.finished_at = Some(now());
        }
    }

    /// The tasks of `deployment` that never started, and the service events that say so.
    fn tasks_failed_to_start(&mut self, deployment: &Deployment) {
        let task_definition = self.task_definition_of(&deployment.target_revision);
        let started_by = format!(
            "ecs-svc/{}",
            deployment.arn.rsplit('/').next().unwrap_or_default()
        );
        let (cluster, name) = self
            .services
            .get(&deployment.service)
            .map(|s| {
                (
                    s.cluster_arn
                        .rsplit('/')
                        .next()
                        .unwrap_or("default")
                        .to_string(),
                    s.name.clone(),
                )
            })
            .unwrap_or_else(|| ("default".into(), service_name(&deployment.service)));
        let region = arn_region(&deployment.service)
            .unwrap_or("us-east-1")
            .to_string();
        for outcome in self.failing_tasks.clone() {
            let id = self.id();
            let arn = format!("arn:aws:ecs:{region}:123456789012:task/{cluster}/{id:032x}");
            self.tasks.insert(
                arn.clone(),
                Task {
                    arn,
                    cluster: cluster.clone(),
                    task_definition: task_definition.clone(),
                    containers: vec![("app".into(), None)],
                    outcome,
                    // Seen stopped at once.
                    observations: 3,
                    created_at: now(),
                    group: Some(format!("service:{name}")),
                    started_by: Some(started_by.clone()),
                },
            );
        }
        if let Some(service) = self.services.get_mut(&deployment.service) {
            service.events.push((
                now(),
                format!(
                    "(service {name}) (deployment {started_by}) deployment failed: tasks failed to start."
                ),
            ));
            service.events.push((
                now(),
                format!(
                    "(service {name}) rolling back to deployment {}.",
                    deployment
                        .source_revision
                        .as_deref()
                        .and_then(|r| r.rsplit('/').next())
                        .map(|id| format!("ecs-svc/{id}"))
                        .unwrap_or_default()
                ),
            ));
        }
    }

    /// One observation of a deployment: it moves one step.
    fn advance(&mut self, arn: &str) {
        let breaker_before = self
            .deployments
            .get(arn)
            .is_some_and(|d| d.circuit_breaker == "TRIGGERED");
        self.step(arn);
        // The circuit breaker counts tasks that failed: they are there to be listed.
        if let Some(deployment) = self.deployments.get(arn)
            && deployment.circuit_breaker == "TRIGGERED"
            && !breaker_before
        {
            let failed = deployment.clone();
            self.tasks_failed_to_start(&failed);
        }
    }

    fn step(&mut self, arn: &str) {
        let Some(deployment) = self.deployments.get_mut(arn) else {
            return;
        };
        deployment.observations += 1;
        match deployment.status {
            "PENDING" => {
                deployment.status = "IN_PROGRESS";
                deployment.started_at = Some(now());
            }
            "IN_PROGRESS" => {
                if deployment
                    .hooks
                    .iter()
                    .any(|h| h.status == "AWAITING_ACTION")
                {
                    return;
                }
                let stage = deployment.stages[deployment.stage].clone();
                let rolling = stage.name.is_none();
                // A scenario that fails by circuit breaker or alarm on a service configured
                // without one gets one that rolls back: that is the failure it stands for.
                let rollback_configured = |kind: &str| {
                    let configured = &deployment.configuration[kind];
                    configured.is_null() || configured["rollback"] == true
                };
                match (&deployment.scenario, stage.name) {
                    (Scenario::FailByCircuitBreaker { steps }, _)
                        if rolling && deployment.observations > *steps =>
                    {
                        deployment.circuit_breaker = "TRIGGERED";
                        if rollback_configured("deploymentCircuitBreaker") {
                            Self::roll_back(
                                deployment,
                                "ECS deployment circuit breaker: tasks failed to start.",
                            );
                        } else {
                            deployment.status = "STOPPED";
                            deployment.stopped_at = Some(now());
                            deployment.status_reason = Some(
                                "ECS deployment circuit breaker: tasks failed to start.".into(),
                            );
                        }
                        return;
                    }
                    (Scenario::FailByAlarm { stage: at, alarm }, Some(name)) if *at == name => {
                        deployment.alarms = "TRIGGERED";
                        deployment.triggered_alarms = vec![alarm.to_string()];
                        let reason = format!("CloudWatch alarm {alarm} went into ALARM.");
                        if rollback_configured("alarms") {
                            Self::roll_back(deployment, &reason);
                        } else {
                            deployment.status = "STOPPED";
                            deployment.stopped_at = Some(now());
                            deployment.status_reason = Some(reason);
                        }
                        return;
                    }
                    (Scenario::RollbackFails { stage: at }, Some(name)) if *at == name => {
                        deployment.alarms = "TRIGGERED";
                        deployment.triggered_alarms = vec!["health".to_string()];
                        Self::roll_back(deployment, "CloudWatch alarm health went into ALARM.");
                        deployment.rollback_fails = true;
                        return;
                    }
                    (Scenario::FailHook { stage: at }, Some(name)) if *at == name => {
                        deployment.hooks = vec![Hook {
                            id: format!("ecs-lambda-{}", deployment.observations),
                            target_type: "AWS_LAMBDA",
                            status: "FAILED",
                            expires_at: now(),
                            timeout_action: "ROLLBACK".into(),
                        }];
                        Self::roll_back(deployment, &format!("Lifecycle hook failed at {name}."));
                        return;
                    }
                    _ => {}
                }
                // A PAUSE hook at this stage holds the deployment until someone acts.
                if let Some(name) = stage.name
                    && !deployment.paused_at.contains(&deployment.stage)
                    && let Some(hook) = deployment.configuration["lifecycleHooks"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|h| {
                            h["targetType"] == "PAUSE"
                                && h["lifecycleStages"]
                                    .as_array()
                                    .is_some_and(|s| s.iter().any(|s| s == name))
                        })
                {
                    let minutes = hook["timeoutConfiguration"]["timeoutInMinutes"]
                        .as_f64()
                        .unwrap_or(1440.0);
                    let action = hook["timeoutConfiguration"]["action"]
                        .as_str()
                        .unwrap_or("ROLLBACK")
                        .to_string();
                    deployment.paused_at.push(deployment.stage);
                    deployment.hooks = vec![Hook {
                        id: format!("ecs-pause-{}-{}", deployment.stage, deployment.observations),
                        target_type: "PAUSE",
                        status: "AWAITING_ACTION",
                        expires_at: now() + minutes * 60.0,
                        timeout_action: action,
                    }];
                    return;
                }
                let steps = match deployment.scenario {
                    Scenario::Succeed { steps } | Scenario::FailByCircuitBreaker { steps } => steps,
                    _ => 1,
                };
                if rolling && deployment.observations <= steps {
                    return;
                }
                if deployment.stage + 1 < deployment.stages.len() {
                    deployment.stage += 1;
                    deployment.hooks.clear();
                } else {
                    deployment.status = "SUCCESSFUL";
                    deployment.finished_at = Some(now());
                    deployment.hooks.clear();
                    if deployment.circuit_breaker == "MONITORING" {
                        deployment.circuit_breaker = "MONITORING_COMPLETE";
                    }
                    if deployment.alarms == "MONITORING" {
                        deployment.alarms = "MONITORING_COMPLETE";
                    }
                    let target = deployment.target_revision.clone();
                    let service = deployment.service.clone();
                    if let Some(service) = self.services.get_mut(&service) {
                        service.current_revision = Some(target);
                    }
                }
            }
            "ROLLBACK_REQUESTED" => {
                deployment.status = "ROLLBACK_IN_PROGRESS";
            }
            "ROLLBACK_IN_PROGRESS" => {
                deployment.status = if deployment.rollback_fails {
                    "ROLLBACK_FAILED"
                } else {
                    "ROLLBACK_SUCCESSFUL"
                };
                deployment.finished_at = Some(now());
            }
            _ => {}
        }
    }

    /// The key of the service a request names: `service` by ARN, or by name in `cluster` (by
    /// name or ARN) and `region` when given. None when no service, or more than one, fits.
    fn find(&self, region: Option<&str>, cluster: Option<&str>, service: &str) -> Option<String> {
        if self.services.contains_key(service) {
            return Some(service.to_string());
        }
        let region = region.or_else(|| arn_region(service));
        let cluster = cluster.or_else(|| arn_cluster(service)).map(service_name);
        let name = service_name(service);
        let mut found = self.services.values().filter(|s| {
            s.name == name
                && cluster
                    .as_ref()
                    .is_none_or(|c| service_name(&s.cluster_arn) == *c)
                && region.is_none_or(|r| arn_region(&s.arn) == Some(r))
        });
        let first = found.next()?;
        found.next().is_none().then(|| first.arn.clone())
    }

    /// The service's ARN and cluster ARN, when the simulator knows the service (by ARN, or by
    /// a name no other service has).
    pub fn service_arns(&self, service: &str) -> Option<(String, String)> {
        let service = self.services.get(&self.find(None, None, service)?)?;
        Some((service.arn.clone(), service.cluster_arn.clone()))
    }

    /// The service revisions the service runs tasks of, as (service revision ARN, task
    /// definition ARN, created at), oldest first: the last successful one, and while a
    /// deployment is under way (or rolling back) its target too.
    pub fn active_revisions(&self, service: &str) -> Vec<(String, String, f64)> {
        let Some(key) = self.find(None, None, service) else {
            return Vec::new();
        };
        let Some(service) = self.services.get(&key) else {
            return Vec::new();
        };
        let mut active = Vec::new();
        let latest = self.latest_of(&key);
        if let Some(current) = &service.current_revision {
            let at = latest.map_or(0.0, |d| d.created_at - 1.0);
            active.push((current.clone(), self.task_definition_of(current), at));
        }
        if let Some(latest) = latest.filter(|d| {
            matches!(
                d.status,
                "PENDING"
                    | "IN_PROGRESS"
                    | "STOP_REQUESTED"
                    | "ROLLBACK_REQUESTED"
                    | "ROLLBACK_IN_PROGRESS"
            )
        }) && service.current_revision.as_ref() != Some(&latest.target_revision)
        {
            active.push((
                latest.target_revision.clone(),
                self.task_definition_of(&latest.target_revision),
                latest.created_at,
            ));
        }
        active
    }

    /// The newest deployment of the service, if any.
    pub fn latest_deployment(&self, service: &str) -> Option<String> {
        self.latest_of(&self.find(None, None, service)?)
            .map(|d| d.arn.clone())
    }

    /// The service's deployment ECS is working on (the newest), if any; `service` is its key.
    fn latest_of(&self, service: &str) -> Option<&Deployment> {
        self.services
            .get(service)?
            .deployments
            .last()
            .and_then(|arn| self.deployments.get(arn))
    }

    fn task_definition_of(&self, revision: &str) -> String {
        self.revisions.get(revision).cloned().unwrap_or_default()
    }

    /// What DescribeServices reports of a service's deployments, after an observation. Sets
    /// `taskDefinition`, `deployments[]` and (with the API) `currentServiceDeployment`.
    pub fn describe_service(&mut self, service: &mut Value) {
        let Some(name) = service["serviceArn"].as_str().map(str::to_string) else {
            return;
        };
        if let Some(arn) = self.latest_of(&name).map(|d| d.arn.clone()) {
            self.advance(&arn);
        }
        let Some(record) = self.services.get(&name) else {
            return;
        };
        let current = record
            .current_revision
            .as_ref()
            .map(|r| self.task_definition_of(r));
        let mut deployments = Vec::new();
        let mut task_definition = current.clone().unwrap_or_default();
        if let Some(latest) = self.latest_of(&name) {
            let target = self.task_definition_of(&latest.target_revision);
            let source = latest
                .source_revision
                .as_ref()
                .map(|r| self.task_definition_of(r));
            let running = self.target_running(latest);
            match latest.status {
                "PENDING" | "IN_PROGRESS" | "STOP_REQUESTED" => {
                    task_definition = target.clone();
                    deployments.push(old_deployment(
                        &latest.arn,
                        "PRIMARY",
                        &target,
                        "IN_PROGRESS",
                        "",
                        latest.desired,
                        running,
                    ));
                    if let Some(source) = &source {
                        deployments.push(old_deployment(
                            "source",
                            "ACTIVE",
                            source,
                            "COMPLETED",
                            "",
                            latest.desired,
                            latest.desired - running,
                        ));
                    }
                }
                "ROLLBACK_REQUESTED"
                | "ROLLBACK_IN_PROGRESS"
                | "ROLLBACK_SUCCESSFUL"
                | "ROLLBACK_FAILED" => {
                    let reason = latest.status_reason.clone().unwrap_or_default();
                    if let Some(source) = &source {
                        task_definition = source.clone();
                        deployments.push(old_deployment(
                            "rollback",
                            "PRIMARY",
                            source,
                            "COMPLETED",
                            "",
                            latest.desired,
                            latest.desired,
                        ));
                    }
                    if latest.status != "ROLLBACK_SUCCESSFUL" {
                        // The failed deployment stays listed while it drains.
                        deployments.push(old_deployment(
                            &latest.arn,
                            "ACTIVE",
                            &target,
                            "FAILED",
                            &reason,
                            latest.desired,
                            0,
                        ));
                    }
                }
                "STOPPED" => {
                    let reason = latest.status_reason.clone().unwrap_or_default();
                    task_definition = target.clone();
                    deployments.push(old_deployment(
                        &latest.arn,
                        "PRIMARY",
                        &target,
                        "FAILED",
                        &reason,
                        latest.desired,
                        0,
                    ));
                }
                _ => {
                    task_definition = current.clone().unwrap_or(target.clone());
                    deployments.push(old_deployment(
                        &latest.arn,
                        "PRIMARY",
                        &task_definition,
                        "COMPLETED",
                        "",
                        latest.desired,
                        latest.desired,
                    ));
                }
            }
        } else if let Some(current) = &current {
            deployments.push(old_deployment(
                "initial",
                "PRIMARY",
                current,
                "COMPLETED",
                "",
                record.desired,
                record.desired,
            ));
        }
        service["taskDefinition"] = json!(task_definition);
        service["deployments"] = Value::Array(deployments);
        if let Some(record) = self.services.get(&name) {
            service["events"] = record
                .events
                .iter()
                .rev()
                .enumerate()
                .map(|(i, (at, message))| json!({"id": format!("event-{i}"), "createdAt": at, "message": message}))
                .collect();
        }
        if self.api_available
            && let Some(latest) = self.latest_of(&name)
        {
            service["currentServiceDeployment"] = json!(latest.arn);
        }
    }

    fn target_running(&self, deployment: &Deployment) -> i64 {
        match deployment.status {
            "SUCCESSFUL" => deployment.desired,
            "PENDING" => 0,
            _ if deployment.stages.len() == 1 => {
                i64::from(deployment.observations.saturating_sub(1)).min(deployment.desired)
            }
            _ if deployment.stage >= 2 => deployment.desired,
            _ => 0,
        }
    }

    /// The JSON of one ServiceDeployment.
    fn deployment_json(&self, deployment: &Deployment) -> Value {
        let stage = &deployment.stages[deployment.stage];
        let running = self.target_running(deployment);
        let mut value = json!({
            "serviceDeploymentArn": deployment.arn,
            "serviceArn": self.services.get(&deployment.service).map(|s| s.arn.clone()),
            "clusterArn": self.services.get(&deployment.service).map(|s| s.cluster_arn.clone()),
            "createdAt": deployment.created_at,
            "updatedAt": now(),
            "status": deployment.status,
            "targetServiceRevision": {
                "arn": deployment.target_revision,
                "requestedTaskCount": deployment.desired,
                "runningTaskCount": running,
                "pendingTaskCount": deployment.desired - running,
                "requestedProductionTrafficWeight": stage.production_weight,
                "requestedTestTrafficWeight": stage.test_weight,
            },
            "sourceServiceRevisions": deployment.source_revision.iter().map(|arn| json!({
                "arn": arn,
                "requestedTaskCount": 0,
                "runningTaskCount": deployment.desired - running,
                "pendingTaskCount": 0,
                "requestedProductionTrafficWeight": 100.0 - stage.production_weight,
                "requestedTestTrafficWeight": 100.0 - stage.test_weight,
            })).collect::<Vec<_>>(),
            "deploymentConfiguration": deployment.configuration,
            "deploymentCircuitBreaker": {"status": deployment.circuit_breaker, "failureCount": if deployment.circuit_breaker == "TRIGGERED" { 3 } else { 0 }, "threshold": 3},
            "alarms": {"status": deployment.alarms, "alarmNames": deployment.configuration["alarms"]["alarmNames"], "triggeredAlarmNames": deployment.triggered_alarms},
            "lifecycleHookDetails": deployment.hooks.iter().map(|h| json!({
                "hookId": h.id, "targetType": h.target_type, "status": h.status,
                "expiresAt": h.expires_at, "timeoutAction": h.timeout_action,
            })).collect::<Vec<_>>(),
        });
        let object = value.as_object_mut().expect("an object");
        if let Some(name) = stage.name
            && deployment.status == "IN_PROGRESS"
        {
            object.insert("lifecycleStage".into(), json!(name));
        }
        for (key, time) in [
            ("startedAt", deployment.started_at),
            ("finishedAt", deployment.finished_at),
            ("stoppedAt", deployment.stopped_at),
        ] {
            if let Some(time) = time {
                object.insert(key.into(), json!(time));
            }
        }
        if let Some(reason) = &deployment.status_reason {
            object.insert("statusReason".into(), json!(reason));
        }
        if let (Some((reason, started)), Some(source)) =
            (&deployment.rollback, &deployment.source_revision)
        {
            object.insert(
                "rollback".into(),
                json!({"reason": reason, "startedAt": started, "serviceRevisionArn": source}),
            );
        }
        value
    }

    /// Answers the service deployment and task APIs, which moto does not serve. None: not one
    /// of them (forward to the emulator).
    /// `region`: the Region the request was signed for.
    pub fn answer(
        &mut self,
        operation: &str,
        region: &str,
        request: &Value,
    ) -> Option<(u16, Value)> {
        let deployment_api = matches!(
            operation,
            "ListServiceDeployments"
                | "DescribeServiceDeployments"
                | "DescribeServiceRevisions"
                | "StopServiceDeployment"
                | "ContinueServiceDeployment"
        );
        if deployment_api && !self.api_available {
            // What an endpoint that predates the API answers.
            return Some(error(
                400,
                "UnknownOperationException",
                &format!("Unknown operation {operation}"),
            ));
        }
        Some(match operation {
            "ListServiceDeployments" => {
                let key = self.find(
                    Some(region),
                    Some(request["cluster"].as_str().unwrap_or("default")),
                    request["service"].as_str().unwrap_or_default(),
                );
                let statuses: Vec<&str> = request["status"]
                    .as_array()
                    .map(|s| s.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let after = request["createdAt"]["after"].as_f64().unwrap_or(0.0);
                let Some(service) = key.and_then(|key| self.services.get(&key)) else {
                    return Some(error(400, "ServiceNotFoundException", "Service not found."));
                };
                let briefs: Vec<Value> = service
                    .deployments
                    .iter()
                    .filter_map(|arn| self.deployments.get(arn))
                    .filter(|d| statuses.is_empty() || statuses.contains(&d.status))
                    .filter(|d| d.created_at >= after)
                    .map(|d| {
                        json!({"serviceDeploymentArn": d.arn, "serviceArn": service.arn, "clusterArn": service.cluster_arn,
                               "createdAt": d.created_at, "targetServiceRevisionArn": d.target_revision, "status": d.status})
                    })
                    .collect();
                (200, json!({"serviceDeployments": briefs}))
            }
            "DescribeServiceDeployments" => {
                let arns: Vec<String> = request["serviceDeploymentArns"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                let mut found = Vec::new();
                let mut failures = Vec::new();
                for arn in arns {
                    self.advance(&arn);
                    match self.deployments.get(&arn) {
                        Some(d) => found.push(self.deployment_json(d)),
                        None => failures.push(json!({"arn": arn, "reason": "MISSING"})),
                    }
                }
                (
                    200,
                    json!({"serviceDeployments": found, "failures": failures}),
                )
            }
            "DescribeServiceRevisions" => {
                let arns: Vec<String> = request["serviceRevisionArns"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                let revisions: Vec<Value> = arns
                    .iter()
                    .filter_map(|arn| {
                        let task_definition = self.revisions.get(arn)?;
                        Some(json!({"serviceRevisionArn": arn, "taskDefinition": task_definition, "createdAt": now()}))
                    })
                    .collect();
                (200, json!({"serviceRevisions": revisions, "failures": []}))
            }
            "StopServiceDeployment" => {
                let arn = request["serviceDeploymentArn"].as_str().unwrap_or_default();
                let Some(deployment) = self.deployments.get_mut(arn) else {
                    return Some(error(
                        400,
                        "ServiceDeploymentNotFoundException",
                        "The service deployment does not exist.",
                    ));
                };
                if !matches!(deployment.status, "PENDING" | "IN_PROGRESS") {
                    return Some(error(
                        400,
                        "ConflictException",
                        "The service deployment is not in progress.",
                    ));
                }
                deployment.status = "ROLLBACK_REQUESTED";
                deployment.status_reason = Some(
                    "Service deployment rolled back because of a StopServiceDeployment request."
                        .into(),
                );
                deployment.rollback = Some(("Stopped by request.".into(), now()));
                deployment.hooks.clear();
                (200, json!({"serviceDeploymentArn": arn}))
            }
            "ContinueServiceDeployment" => {
                let arn = request["serviceDeploymentArn"].as_str().unwrap_or_default();
                let hook_id = request["hookId"].as_str().unwrap_or_default();
                let action = request["action"].as_str().unwrap_or("CONTINUE");
                let Some(deployment) = self.deployments.get_mut(arn) else {
                    return Some(error(
                        400,
                        "ServiceDeploymentNotFoundException",
                        "The service deployment does not exist.",
                    ));
                };
                let waiting = deployment.status == "IN_PROGRESS"
                    && deployment
                        .hooks
                        .iter()
                        .any(|h| h.id == hook_id && h.status == "AWAITING_ACTION");
                if !waiting {
                    return Some(error(
                        400,
                        "InvalidParameterException",
                        "The hook is not awaiting action.",
                    ));
                }
                for hook in &mut deployment.hooks {
                    hook.status = "SUCCEEDED";
                }
                if action == "ROLLBACK" {
                    Self::roll_back(deployment, "Rolled back at a paused lifecycle hook.");
                }
                (200, json!({"serviceDeploymentArn": arn}))
            }
            "RunTask" => {
                self.run_requests.push(request.clone());
                let task_definition = request["taskDefinition"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let cluster = request["cluster"].as_str().unwrap_or("default").to_string();
                let containers: Vec<(String, Option<Vec<String>>)> =
                    request["overrides"]["containerOverrides"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|o| {
                            (
                                o["name"].as_str().unwrap_or_default().to_string(),
                                o["command"].as_array().map(|c| {
                                    c.iter()
                                        .filter_map(|s| s.as_str().map(str::to_string))
                                        .collect()
                                }),
                            )
                        })
                        .collect();
                let id = self.id();
                let arn = format!("arn:aws:ecs:us-east-1:123456789012:task/{cluster}/{id:032x}");
                let task = Task {
                    arn: arn.clone(),
                    cluster,
                    task_definition,
                    containers,
                    outcome: self.task_outcome.clone(),
                    observations: 0,
                    created_at: now(),
                    group: request["group"].as_str().map(str::to_string),
                    started_by: request["startedBy"].as_str().map(str::to_string),
                };
                let described = task_json(&task);
                self.tasks.insert(arn, task);
                (200, json!({"tasks": [described], "failures": []}))
            }
            "ListTasks" => {
                let service = request["serviceName"].as_str().map(service_name);
                let desired = request["desiredStatus"].as_str().unwrap_or("RUNNING");
                let arns: Vec<&String> = self
                    .tasks
                    .values()
                    .filter(|t| {
                        service.as_ref().is_none_or(|name| {
                            t.group.as_deref() == Some(format!("service:{name}").as_str())
                        })
                    })
                    .filter(|t| (desired == "STOPPED") == (t.observations >= 3))
                    .map(|t| &t.arn)
                    .collect();
                (200, json!({"taskArns": arns}))
            }
            "DescribeTasks" => {
                let ids: Vec<String> = request["tasks"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                let mut tasks = Vec::new();
                let mut failures = Vec::new();
                for id in ids {
                    match self.tasks.get_mut(&id) {
                        Some(task) => {
                            task.observations += 1;
                            tasks.push(task_json(task));
                        }
                        None => failures.push(json!({"arn": id, "reason": "MISSING"})),
                    }
                }
                (200, json!({"tasks": tasks, "failures": failures}))
            }
            _ => return None,
        })
    }
}

fn old_deployment(
    id: &str,
    status: &str,
    task_definition: &str,
    rollout_state: &str,
    reason: &str,
    desired: i64,
    running: i64,
) -> Value {
    json!({
        "id": format!("ecs-svc/{}", id.rsplit('/').next().unwrap_or(id)),
        "status": status,
        "taskDefinition": task_definition,
        "desiredCount": desired,
        "runningCount": running,
        "pendingCount": (desired - running).max(0),
        "failedTasks": if rollout_state == "FAILED" { 3 } else { 0 },
        "rolloutState": rollout_state,
        "rolloutStateReason": reason,
    })
}

fn task_json(task: &Task) -> Value {
    let status = match task.observations {
        0 => "PROVISIONING",
        1 => "PENDING",
        2 => "RUNNING",
        _ => "STOPPED",
    };
    let mut containers: Vec<Value> = task
        .containers
        .iter()
        .map(|(name, _)| json!({"name": name, "lastStatus": status}))
        .collect();
    if containers.is_empty() {
        containers.push(json!({"name": "app", "lastStatus": status}));
    }
    let mut value = json!({
        "taskArn": task.arn,
        "clusterArn": format!("arn:aws:ecs:us-east-1:123456789012:cluster/{}", task.cluster),
        "taskDefinitionArn": task.task_definition,
        "lastStatus": status,
        "desiredStatus": if status == "STOPPED" { "STOPPED" } else { "RUNNING" },
        "createdAt": task.created_at,
        "containers": containers,
    });
    if let Some(group) = &task.group {
        value["group"] = json!(group);
    }
    if let Some(started_by) = &task.started_by {
        value["startedBy"] = json!(started_by);
    }
    if status == "STOPPED" {
        let object = value.as_object_mut().expect("an object");
        object.insert("stoppedAt".into(), json!(now()));
        match &task.outcome {
            TaskOutcome::Exit(code) => {
                object.insert("stopCode".into(), json!("EssentialContainerExited"));
                object.insert(
                    "stoppedReason".into(),
                    json!("Essential container in task exited"),
                );
                if let Some(Value::Array(containers)) = object.get_mut("containers") {
                    for container in containers {
                        container["exitCode"] = json!(code);
                    }
                }
            }
            TaskOutcome::FailToStart(reason) => {
                object.insert("stopCode".into(), json!("TaskFailedToStart"));
                object.insert("stoppedReason".into(), json!(reason));
                if let Some(Value::Array(containers)) = object.get_mut("containers") {
                    for container in containers {
                        container["reason"] = json!(reason);
                    }
                }
            }
        }
    }
    value
}
