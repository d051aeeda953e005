//! ECS operations. Task definitions travel as the API's JSON ([`Revision`]); everything else
//! uses the typed SDK. Nothing here deregisters or updates anything the caller did not ask for.

use std::collections::BTreeMap;

use aws_sdk_ecs::types::{TaskDefinitionFamilyStatus, TaskDefinitionField, TaskDefinitionStatus};
use serde_json::{Map, Value as Json};

use crate::aws::AwsError;
use crate::aws::paced::SendPaced;
use crate::aws::raw::RawJson;

/// An ECS client for the operations ecstpl needs.
#[derive(Clone, Debug)]
pub struct Ecs {
    pub(super) client: aws_sdk_ecs::Client,
    /// Attempts of a call, the first included (registration retries on its own).
    max_attempts: u32,
    /// Whether ECS has gone silent (registration asks it before its own retries).
    pub(super) watch: Option<crate::aws::attempts::AttemptWatch>,
    /// The settings the client was built with, for the other services `verify` asks.
    pub(super) sdk_config: Option<aws_types::SdkConfig>,
    /// ECS's rates, shared by every client of the same account and Region in the process.
    pub(super) pacer: std::sync::Arc<crate::aws::pacing::Pacer>,
    /// Reads gathered into calls of many (a fleet); None: one call a read.
    pub(super) batches: Option<std::sync::Arc<crate::aws::batch::Batches>>,
    /// Where calls go and as whom: Region, endpoint, profile, role (one account and Region,
    /// as far as the settings tell).
    pub(super) place: String,
}

/// A registered task definition revision: the ECS API's JSON plus its tags.
#[derive(Clone, Debug, PartialEq)]
pub struct Revision {
    pub task_definition: Map<String, Json>,
    pub tags: BTreeMap<String, String>,
}

impl Revision {
    /// Parses a RegisterTaskDefinition / DescribeTaskDefinition response body.
    pub fn from_response(operation: &str, body: &[u8]) -> Result<Revision, AwsError> {
        let mut json: Map<String, Json> = serde_json::from_slice(body)
            .map_err(|err| AwsError::invalid_response(operation, format!("not JSON: {err}")))?;
        let Some(Json::Object(task_definition)) = json.remove("taskDefinition") else {
            return Err(AwsError::invalid_response(
                operation,
                "no taskDefinition in the response",
            ));
        };
        let tags = json
            .get("tags")
            .and_then(Json::as_array)
            .map(|tags| tags_from_json(tags))
            .unwrap_or_default();
        let revision = Revision {
            task_definition,
            tags,
        };
        if revision.arn().is_empty() {
            return Err(AwsError::invalid_response(
                operation,
                "the task definition has no ARN",
            ));
        }
        Ok(revision)
    }

    fn field(&self, key: &str) -> &str {
        self.task_definition
            .get(key)
            .and_then(Json::as_str)
            .unwrap_or_default()
    }

    pub fn arn(&self) -> &str {
        self.field("taskDefinitionArn")
    }

    pub fn family(&self) -> &str {
        self.field("family")
    }

    pub fn revision(&self) -> i64 {
        self.task_definition
            .get("revision")
            .and_then(Json::as_i64)
            .unwrap_or_default()
    }

    /// `family:revision`, the short form people and the `ecstpl:template` tag use.
    pub fn family_revision(&self) -> String {
        format!("{}:{}", self.family(), self.revision())
    }

    pub fn is_active(&self) -> bool {
        self.field("status") == "ACTIVE"
    }

    /// Whether ecstpl registered this revision as a template (`ecstpl:role=template`).
    pub fn is_template(&self) -> bool {
        self.tags
            .get(crate::aws::contract::TAG_ROLE)
            .map(String::as_str)
            == Some(crate::aws::contract::ROLE_TEMPLATE)
    }

    /// The container definitions as JSON objects.
    /// Whether this ACTIVE revision is exactly what `request` (RegisterTaskDefinition input)
    /// would register: same family, same tags, and a definition ECS means the same way.
    pub fn is_registration_of(&self, request: &Map<String, Json>) -> bool {
        let tags = request
            .get("tags")
            .and_then(Json::as_array)
            .map(|tags| tags_from_json(tags))
            .unwrap_or_default();
        self.is_active()
            && request.get("family").and_then(Json::as_str) == Some(self.family())
            && self.tags == tags
            && crate::taskdef::task_definitions_equivalent(&self.task_definition, request)
    }

    pub fn containers(&self) -> Vec<Map<String, Json>> {
        self.task_definition
            .get("containerDefinitions")
            .and_then(Json::as_array)
            .map(|containers| {
                containers
                    .iter()
                    .filter_map(|c| c.as_object().cloned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// `[{key, value}]` as ECS writes tags.
pub(crate) fn tags_from_json(tags: &[Json]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|tag| {
            let key = tag.get("key")?.as_str()?;
            let value = tag.get("value").and_then(Json::as_str).unwrap_or_default();
            Some((key.to_string(), value.to_string()))
        })
        .collect()
}

/// A service as far as deploys care.
#[derive(Clone, Debug)]
pub struct Service {
    pub arn: String,
    pub name: String,
    /// The task definition the service is set to run (what UpdateService last set).
    pub task_definition: String,
    /// ECS, CODE_DEPLOY or EXTERNAL.
    pub deployment_controller: String,
    pub deployments: Vec<Deployment>,
    /// The service deployment ECS is on (the newest), where the endpoint reports it.
    pub current_service_deployment: Option<String>,
    /// How the service places its tasks (for one-off tasks like it).
    pub run_settings: crate::aws::RunSettings,
    /// The service's events, newest first: (seconds since the epoch, message).
    pub events: Vec<(f64, String)>,
    /// An Express service (`resourceManagementType: ECS`): ECS manages its load balancer,
    /// scaling and networking, and its task definition changes through
    /// UpdateExpressGatewayService ([`crate::aws::express`]).
    pub express: bool,
}

#[derive(Clone, Debug)]
pub struct Deployment {
    pub id: String,
    /// PRIMARY, ACTIVE or INACTIVE.
    pub status: String,
    pub task_definition: String,
    /// IN_PROGRESS, COMPLETED or FAILED (when the circuit breaker is on).
    pub rollout_state: Option<String>,
    pub rollout_state_reason: Option<String>,
    pub running_count: i32,
    pub desired_count: i32,
    pub failed_tasks: i32,
}

impl Service {
    /// The deployment ECS is moving towards (the one UpdateService created last).
    pub fn primary(&self) -> Option<&Deployment> {
        self.deployments.iter().find(|d| d.status == "PRIMARY")
    }

    /// The task definition the service runs: its PRIMARY deployment's. Services on the
    /// CODE_DEPLOY or EXTERNAL controller report the one their last deployment set.
    pub fn live_task_definition(&self) -> &str {
        self.primary()
            .map(|d| d.task_definition.as_str())
            .filter(|arn| !arn.is_empty() && self.deployment_controller == "ECS")
            .unwrap_or(&self.task_definition)
    }
}

/// `family` and `revision` from a task definition ARN (`…:task-definition/web:7`).
fn service_from_sdk(found: &aws_sdk_ecs::types::Service) -> Service {
    Service {
        arn: found.service_arn().unwrap_or_default().to_string(),
        name: found.service_name().unwrap_or_default().to_string(),
        task_definition: found.task_definition().unwrap_or_default().to_string(),
        deployment_controller: found
            .deployment_controller()
            .map(|c| c.r#type().as_str().to_string())
            .unwrap_or_else(|| "ECS".into()),
        current_service_deployment: found.current_service_deployment().map(str::to_string),
        express: found.resource_management_type()
            == Some(&aws_sdk_ecs::types::ResourceManagementType::Ecs),
        run_settings: crate::aws::RunSettings {
            launch_type: found.launch_type().cloned(),
            capacity_provider_strategy: found.capacity_provider_strategy().to_vec(),
            platform_version: found.platform_version().map(str::to_string),
            network_configuration: found.network_configuration().cloned(),
        },
        deployments: found
            .deployments()
            .iter()
            .map(|d| Deployment {
                id: d.id().unwrap_or_default().to_string(),
                status: d.status().unwrap_or_default().to_string(),
                task_definition: d.task_definition().unwrap_or_default().to_string(),
                rollout_state: d.rollout_state().map(|s| s.as_str().to_string()),
                rollout_state_reason: d.rollout_state_reason().map(str::to_string),
                running_count: d.running_count(),
                desired_count: d.desired_count(),
                failed_tasks: d.failed_tasks(),
            })
            .collect(),
        events: found
            .events()
            .iter()
            .map(|e| {
                (
                    e.created_at().map_or(0.0, |t| t.as_secs_f64()),
                    e.message().unwrap_or_default().to_string(),
                )
            })
            .collect(),
    }
}

pub fn parse_task_definition_arn(arn: &str) -> Option<(&str, i64)> {
    let tail = arn.rsplit_once("task-definition/").map_or(arn, |(_, t)| t);
    let (family, revision) = tail.rsplit_once(':')?;
    Some((family, revision.parse().ok()?))
}

fn is_missing_task_definition(err: &AwsError) -> bool {
    // ECS (and moto) answer ClientException "Unable to describe task definition." for a
    // revision or family that does not exist.
    matches!(err, AwsError::Service { code, message, .. }
        if code == "ClientException" && message.contains("Unable to describe task definition"))
}

impl Ecs {
    pub fn from_client(client: aws_sdk_ecs::Client) -> Ecs {
        Ecs::from_client_with_attempts(client, crate::aws::settings::DEFAULT_MAX_RETRIES + 1)
    }

    pub fn from_client_with_attempts(client: aws_sdk_ecs::Client, max_attempts: u32) -> Ecs {
        Ecs {
            client,
            max_attempts: max_attempts.max(1),
            watch: None,
            sdk_config: None,
            pacer: std::sync::Arc::new(crate::aws::pacing::Pacer::new(
                crate::aws::pacing::RateLimits::default(),
            )),
            batches: None,
            place: String::new(),
        }
    }

    /// Region, endpoint and caller of this client: clients with the same place call the same
    /// account and Region.
    pub fn place(&self) -> &str {
        &self.place
    }

    /// This client with its reads gathered: services, service deployments and revisions
    /// asked for within `window` of each other are read in as few calls as ECS allows.
    pub fn with_batched_reads(mut self, window: std::time::Duration) -> Ecs {
        self.batches = Some(std::sync::Arc::new(crate::aws::batch::Batches::new(window)));
        self
    }

    pub fn from_sdk_config(config: &aws_config::SdkConfig) -> Ecs {
        Ecs::from_client(aws_sdk_ecs::Client::new(config))
    }

    /// Registers a revision from RegisterTaskDefinition input in ECS API JSON (`family`,
    /// `containerDefinitions`, `cpu`, …, `tags` as `[{key, value}]`), sent verbatim.
    ///
    /// RegisterTaskDefinition is not idempotent and has no client token: when an attempt fails
    /// in a way that may have reached ECS (a 5xx, a reset, no answer), the revision may exist.
    /// So the SDK does not retry this call; before each retry, and after the last failure, the
    /// family's newest revision is checked, and when it is exactly what was sent (same
    /// definition, same tags) it is adopted instead of registering a twin.
    pub async fn register_task_definition(
        &self,
        request: &Map<String, Json>,
    ) -> Result<Revision, AwsError> {
        // The bound of the SDK's own retries (45 s), moved on by every wait for ECS's rate:
        // a throttled registration did not land and is paced, not counted as an attempt.
        let mut deadline = std::time::Instant::now() + crate::aws::settings::OPERATION_TIMEOUT;
        let mut attempt = 1;
        loop {
            let sent = self
                .paced("RegisterTaskDefinition", || self.register_once(request))
                .await;
            deadline += sent.waited;
            let err = match sent.result {
                Ok(revision) => return Ok(revision),
                Err(err) => err,
            };
            if !err.is_retryable() || err.is_throttled() {
                return Err(err);
            }
            let last = attempt >= self.max_attempts || std::time::Instant::now() >= deadline;
            // Silent too long: the look-up could not answer either. A registration that
            // landed is adopted by the next run's look-up before it registers.
            if let Some(silence) = self.silence() {
                return Err(silence);
            }
            match self.find_twin(request).await {
                Ok(Some(twin)) => {
                    tracing::info!(arn = %twin.arn(), attempt, "a registration whose answer was lost had reached ECS; adopting it");
                    return Ok(twin);
                }
                Ok(None) => {}
                Err(check) => {
                    tracing::info!(%check, "could not look for a registration that may have landed")
                }
            }
            if last {
                return Err(err);
            }
            // Standard backoff with full jitter, as the SDK's standard retry mode does.
            let cap = std::time::Duration::from_millis(500)
                .saturating_mul(1 << (attempt - 1).min(6))
                .min(crate::aws::settings::MAX_BACKOFF);
            let backoff = cap.mul_f64(fastrand::f64());
            tokio::time::sleep(
                backoff.min(deadline.saturating_duration_since(std::time::Instant::now())),
            )
            .await;
            if let Some(silence) = self.silence() {
                return Err(silence);
            }
            attempt += 1;
        }
    }

    /// The family's newest revision when it is ACTIVE and exactly what `request` registers
    /// (the definition as ECS means it, and the same tags): a registration that already landed.
    pub async fn find_twin(
        &self,
        request: &Map<String, Json>,
    ) -> Result<Option<Revision>, AwsError> {
        let Some(family) = request.get("family").and_then(Json::as_str) else {
            return Ok(None);
        };
        let Some(newest) = self.describe_task_definition(family).await? else {
            return Ok(None);
        };
        Ok(newest.is_registration_of(request).then_some(newest))
    }

    /// The error for a registration retry once ECS has been silent for the whole budget.
    fn silence(&self) -> Option<AwsError> {
        let silence = self.watch.as_ref()?.refusal()?;
        Some(AwsError::Unanswered {
            operation: "RegisterTaskDefinition".into(),
            silence,
        })
    }

    async fn register_once(&self, request: &Map<String, Json>) -> Result<Revision, AwsError> {
        const OPERATION: &str = "RegisterTaskDefinition";
        let body = serde_json::to_vec(request)
            .map_err(|err| AwsError::Config(format!("{OPERATION}: {err}")))?;
        let raw = RawJson::replacing_request(body);
        let response = raw.response_handle();
        let family = request
            .get("family")
            .and_then(Json::as_str)
            .unwrap_or_default();
        // The typed input only has to pass the SDK's own checks; the interceptor sends our JSON.
        self.client
            .register_task_definition()
            .family(family)
            .set_container_definitions(Some(Vec::new()))
            .customize()
            .interceptor(raw)
            .config_override(
                aws_sdk_ecs::config::Builder::default()
                    .retry_config(aws_config::retry::RetryConfig::disabled()),
            )
            .send()
            .await
            .map_err(|err| AwsError::from_sdk(OPERATION, err))?;
        let body = take(&response, OPERATION)?;
        Revision::from_response(OPERATION, &body)
    }

    /// Describes a revision by ARN, `family:revision` or `family`, with its tags.
    /// `Ok(None)` when ECS says there is no such task definition.
    pub async fn describe_task_definition(&self, id: &str) -> Result<Option<Revision>, AwsError> {
        match &self.batches {
            Some(batches) if parse_task_definition_arn(id).is_some() => {
                batches.revision(self, id).await
            }
            _ => self.describe_task_definition_now(id).await,
        }
    }

    /// The family's newest ACTIVE revision: ECS describes a bare family as its latest ACTIVE
    /// revision (emulators may answer with an INACTIVE one, which is not that). Read once per
    /// command by a client with batched reads.
    pub async fn newest_of_family(&self, family: &str) -> Result<Option<Revision>, AwsError> {
        match &self.batches {
            Some(batches) => batches.newest(self, family).await,
            None => Ok(self
                .describe_task_definition_now(family)
                .await?
                .filter(Revision::is_active)),
        }
    }

    /// The revision `arn` names, and its family's newest ACTIVE revision: one call when the two
    /// are the same, as they are unless a later revision was registered or `arn` was
    /// deregistered.
    pub async fn describe_task_definition_and_newest(
        &self,
        arn: &str,
    ) -> Result<(Option<Revision>, Option<Revision>), AwsError> {
        let family = match parse_task_definition_arn(arn) {
            Some((family, _)) if arn.starts_with("arn:") => family,
            _ => return Ok((self.describe_task_definition(arn).await?, None)),
        };
        let newest = self.newest_of_family(family).await?;
        match newest {
            Some(newest) if newest.arn() == arn => Ok((Some(newest.clone()), Some(newest))),
            newest => Ok((self.describe_task_definition(arn).await?, newest)),
        }
    }

    pub(super) async fn describe_task_definition_now(
        &self,
        id: &str,
    ) -> Result<Option<Revision>, AwsError> {
        self.paced("DescribeTaskDefinition", || self.describe_once(id))
            .await
            .result
    }

    async fn describe_once(&self, id: &str) -> Result<Option<Revision>, AwsError> {
        const OPERATION: &str = "DescribeTaskDefinition";
        let raw = RawJson::capturing_response();
        let response = raw.response_handle();
        let result = self
            .client
            .describe_task_definition()
            .task_definition(id)
            .include(TaskDefinitionField::Tags)
            .customize()
            .interceptor(raw)
            .send()
            .await;
        match result {
            Ok(_) => {
                let body = take(&response, OPERATION)?;
                Revision::from_response(OPERATION, &body).map(Some)
            }
            Err(err) => {
                let err = AwsError::from_sdk(OPERATION, err);
                if is_missing_task_definition(&err) {
                    Ok(None)
                } else {
                    Err(err)
                }
            }
        }
    }

    /// ARNs of a family's revisions in ascending revision order: the ACTIVE ones, or with
    /// `active_only = false` the INACTIVE ones too (ListTaskDefinitions lists only ACTIVE
    /// revisions unless asked for another status, so that takes a second listing).
    pub async fn list_revisions(
        &self,
        family: &str,
        active_only: bool,
    ) -> Result<Vec<String>, AwsError> {
        const OPERATION: &str = "ListTaskDefinitions";
        let statuses: &[TaskDefinitionStatus] = if active_only {
            &[TaskDefinitionStatus::Active]
        } else {
            &[TaskDefinitionStatus::Active, TaskDefinitionStatus::Inactive]
        };
        let mut arns: Vec<(i64, String)> = Vec::new();
        for status in statuses {
            let mut next_token: Option<String> = None;
            loop {
                let page = self
                    .client
                    .list_task_definitions()
                    .family_prefix(family)
                    .status(status.clone())
                    .set_next_token(next_token.take())
                    .send_paced(self)
                    .await
                    .map_err(|err| AwsError::from_sdk(OPERATION, err))?;
                for arn in page.task_definition_arns() {
                    // familyPrefix is a prefix match in some implementations: keep exact family only.
                    if let Some((arn_family, revision)) = parse_task_definition_arn(arn)
                        && arn_family == family
                    {
                        arns.push((revision, arn.clone()));
                    }
                }
                match page.next_token() {
                    Some(token) if !token.is_empty() => next_token = Some(token.to_string()),
                    _ => break,
                }
            }
        }
        // Some implementations ignore `sort`; order here.
        arns.sort_by_key(|(revision, _)| *revision);
        arns.dedup_by_key(|(revision, _)| *revision);
        Ok(arns.into_iter().map(|(_, arn)| arn).collect())
    }

    /// Task definition families, with a name prefix, that have a revision in `status`
    /// (ACTIVE or INACTIVE; None for both).
    pub async fn list_families(
        &self,
        prefix: Option<&str>,
        status: Option<TaskDefinitionFamilyStatus>,
    ) -> Result<Vec<String>, AwsError> {
        const OPERATION: &str = "ListTaskDefinitionFamilies";
        let mut families = Vec::new();
        let mut next_token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_task_definition_families()
                .set_family_prefix(prefix.map(str::to_string))
                .status(status.clone().unwrap_or(TaskDefinitionFamilyStatus::All))
                .set_next_token(next_token.take())
                .send_paced(self)
                .await
                .map_err(|err| AwsError::from_sdk(OPERATION, err))?;
            families.extend(page.families().iter().cloned());
            match page.next_token() {
                Some(token) if !token.is_empty() => next_token = Some(token.to_string()),
                _ => break,
            }
        }
        families.sort();
        families.dedup();
        Ok(families)
    }

    /// The ARN of a family's latest ACTIVE revision (DescribeTaskDefinition with a bare
    /// family is not relied on: emulators may return an INACTIVE one).
    pub async fn latest_active_revision(&self, family: &str) -> Result<Option<String>, AwsError> {
        Ok(self.list_revisions(family, true).await?.pop())
    }

    pub async fn deregister_task_definition(&self, arn: &str) -> Result<(), AwsError> {
        self.client
            .deregister_task_definition()
            .task_definition(arn)
            .send_paced(self)
            .await
            .map_err(|err| AwsError::from_sdk("DeregisterTaskDefinition", err))?;
        Ok(())
    }

    /// Deregisters a revision a newer one superseded, as clean-up: it takes only tokens of
    /// ECS's task definition modify rate that no registration of this process is waiting
    /// for, and fails with [`AwsError::NoRateLeft`] (nothing sent) when none is left before
    /// the operation's deadline.
    pub async fn deregister_superseded(&self, arn: &str) -> Result<(), AwsError> {
        const OPERATION: &str = "DeregisterTaskDefinition";
        self.client
            .deregister_task_definition()
            .task_definition(arn)
            .send_as_cleanup(self)
            .await
            .map_err(|no_token| AwsError::NoRateLeft {
                operation: OPERATION.into(),
                category: crate::aws::pacing::Category::TaskDefinitionModify.label(),
                waited: no_token.waited,
            })?
            .map_err(|err| AwsError::from_sdk(OPERATION, err))?;
        Ok(())
    }

    pub async fn tag_resource(
        &self,
        arn: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<(), AwsError> {
        let tags = tags
            .iter()
            .map(|(key, value)| {
                aws_sdk_ecs::types::Tag::builder()
                    .key(key)
                    .value(value)
                    .build()
            })
            .collect();
        self.client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(tags))
            .send_paced(self)
            .await
            .map_err(|err| AwsError::from_sdk("TagResource", err))?;
        Ok(())
    }

    pub async fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<(), AwsError> {
        self.client
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(keys.to_vec()))
            .send_paced(self)
            .await
            .map_err(|err| AwsError::from_sdk("UntagResource", err))?;
        Ok(())
    }

    /// The service, or None when it does not exist (or is INACTIVE, i.e. deleted). A cluster
    /// that does not exist is an error with code `ClusterNotFoundException`.
    pub async fn describe_service(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Option<Service>, AwsError> {
        match &self.batches {
            Some(batches) => batches.service(self, cluster, service).await,
            None => Ok(self
                .describe_services_now(cluster, &[service.to_string()])
                .await?
                .pop()
                .flatten()),
        }
    }

    /// Services of one cluster (at most 10, as DescribeServices takes), one entry per name or
    /// ARN asked for, in order: None where it does not exist or is INACTIVE (deleted).
    pub(super) async fn describe_services_now(
        &self,
        cluster: &str,
        services: &[String],
    ) -> Result<Vec<Option<Service>>, AwsError> {
        const OPERATION: &str = "DescribeServices";
        let output = self
            .client
            .describe_services()
            .cluster(cluster)
            .set_services(Some(services.to_vec()))
            .send_paced(self)
            .await
            // A missing cluster is the caller's to explain (ClusterNotFoundException).
            .map_err(|err| AwsError::from_sdk(OPERATION, err))?;
        Ok(services
            .iter()
            .map(|asked| {
                output
                    .services()
                    .iter()
                    .filter(|s| s.status() != Some("INACTIVE"))
                    .find(|s| {
                        s.service_name() == Some(asked.as_str())
                            || s.service_arn() == Some(asked.as_str())
                    })
                    .map(service_from_sdk)
            })
            .collect())
    }

    /// Points the service at `task_definition_arn`. Touches nothing else: never
    /// `desiredCount`, which autoscaling owns. Returns the service deployment it started,
    /// where the endpoint reports it (`currentServiceDeployment`).
    pub async fn update_service_task_definition(
        &self,
        cluster: &str,
        service: &str,
        task_definition_arn: &str,
    ) -> Result<Option<String>, AwsError> {
        let output = self
            .client
            .update_service()
            .cluster(cluster)
            .service(service)
            .task_definition(task_definition_arn)
            .send_paced(self)
            .await
            .map_err(|err| AwsError::from_sdk("UpdateService", err))?;
        Ok(output
            .service()
            .and_then(|s| s.current_service_deployment())
            .map(str::to_string))
    }
}

fn take(
    slot: &std::sync::Arc<std::sync::Mutex<Option<Vec<u8>>>>,
    operation: &str,
) -> Result<Vec<u8>, AwsError> {
    slot.lock()
        .ok()
        .and_then(|mut body| body.take())
        .ok_or_else(|| AwsError::invalid_response(operation, "the response body was not captured"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_described_revision_with_tags() {
        let body = br#"{"taskDefinition":{"taskDefinitionArn":"arn:aws:ecs:us-east-1:1:task-definition/web:3","family":"web","revision":3,"status":"ACTIVE","futureField":{"x":1}},"tags":[{"key":"ecstpl:role","value":"deployed"}]}"#;
        let revision = Revision::from_response("DescribeTaskDefinition", body).unwrap();
        assert_eq!(revision.family_revision(), "web:3");
        assert!(revision.is_active());
        assert_eq!(revision.tags["ecstpl:role"], "deployed");
        assert!(revision.task_definition.contains_key("futureField"));
    }

    #[test]
    fn rejects_a_response_without_a_task_definition() {
        assert!(Revision::from_response("X", b"{}").is_err());
        assert!(Revision::from_response("X", b"not json").is_err());
    }

    #[test]
    fn task_definition_arns_split_into_family_and_revision() {
        assert_eq!(
            parse_task_definition_arn("arn:aws:ecs:us-east-1:1:task-definition/web-template:12"),
            Some(("web-template", 12))
        );
        assert_eq!(parse_task_definition_arn("web:2"), Some(("web", 2)));
        assert_eq!(parse_task_definition_arn("web"), None);
    }
}

/// Where a service's rollout of one task definition stands.
#[derive(Clone, Debug, PartialEq)]
pub enum RolloutStatus {
    InProgress {
        running: i32,
        desired: i32,
        state: String,
    },
    Completed,
    /// The deployment failed (the circuit breaker, when on, rolls the service back).
    Failed {
        reason: String,
        primary: String,
    },
    /// Another task definition is primary now: rolled back, or someone else deployed.
    Replaced {
        primary: String,
    },
}

impl Service {
    /// The rollout of `task_definition_arn`, judged the way a deploy must: a service that is
    /// stable on some other revision (after a circuit-breaker rollback) is not a success.
    pub fn rollout_of(&self, task_definition_arn: &str) -> RolloutStatus {
        let Some(primary) = self.primary() else {
            return RolloutStatus::InProgress {
                running: 0,
                desired: 0,
                state: "PENDING".into(),
            };
        };
        if primary.task_definition != task_definition_arn {
            let failed = self.deployments.iter().find(|d| {
                d.task_definition == task_definition_arn
                    && d.rollout_state.as_deref() == Some("FAILED")
            });
            return match failed {
                Some(failed) => RolloutStatus::Failed {
                    reason: failed.rollout_state_reason.clone().unwrap_or_default(),
                    primary: primary.task_definition.clone(),
                },
                None => RolloutStatus::Replaced {
                    primary: primary.task_definition.clone(),
                },
            };
        }
        match primary.rollout_state.as_deref() {
            Some("FAILED") => RolloutStatus::Failed {
                reason: primary.rollout_state_reason.clone().unwrap_or_default(),
                primary: primary.task_definition.clone(),
            },
            Some("COMPLETED") => RolloutStatus::Completed,
            // Without the circuit breaker ECS reports no rollout state: done when the primary
            // deployment alone runs every task.
            None if self.deployments.len() == 1
                && primary.running_count >= primary.desired_count =>
            {
                RolloutStatus::Completed
            }
            state => RolloutStatus::InProgress {
                running: primary.running_count,
                desired: primary.desired_count,
                state: state.unwrap_or("IN_PROGRESS").to_string(),
            },
        }
    }
}

#[cfg(test)]
mod rollout_tests {
    use super::*;

    fn deployment(status: &str, td: &str, state: Option<&str>, running: i32) -> Deployment {
        Deployment {
            id: format!("{status}-{td}"),
            status: status.into(),
            task_definition: td.into(),
            rollout_state: state.map(str::to_string),
            rollout_state_reason: None,
            running_count: running,
            desired_count: 2,
            failed_tasks: 0,
        }
    }

    fn service(deployments: Vec<Deployment>) -> Service {
        Service {
            arn: "svc".into(),
            name: "web".into(),
            task_definition: deployments[0].task_definition.clone(),
            deployment_controller: "ECS".into(),
            deployments,
            current_service_deployment: None,
            run_settings: crate::aws::RunSettings::default(),
            events: Vec::new(),
            express: false,
        }
    }

    #[test]
    fn a_stable_service_on_another_revision_is_not_success() {
        let rolled_back = service(vec![
            deployment("PRIMARY", "web:1", Some("COMPLETED"), 2),
            deployment("ACTIVE", "web:2", Some("FAILED"), 0),
        ]);
        assert!(
            matches!(rolled_back.rollout_of("web:2"), RolloutStatus::Failed { primary, .. } if primary == "web:1")
        );
        let replaced = service(vec![deployment("PRIMARY", "web:3", Some("COMPLETED"), 2)]);
        assert_eq!(
            replaced.rollout_of("web:2"),
            RolloutStatus::Replaced {
                primary: "web:3".into()
            }
        );
    }

    #[test]
    fn progress_and_completion() {
        let moving = service(vec![
            deployment("PRIMARY", "web:2", Some("IN_PROGRESS"), 1),
            deployment("ACTIVE", "web:1", Some("COMPLETED"), 1),
        ]);
        assert!(matches!(
            moving.rollout_of("web:2"),
            RolloutStatus::InProgress {
                running: 1,
                desired: 2,
                ..
            }
        ));
        let done = service(vec![deployment("PRIMARY", "web:2", Some("COMPLETED"), 2)]);
        assert_eq!(done.rollout_of("web:2"), RolloutStatus::Completed);
        let no_breaker = service(vec![deployment("PRIMARY", "web:2", None, 2)]);
        assert_eq!(no_breaker.rollout_of("web:2"), RolloutStatus::Completed);
    }
}
