//! Service deployments as ECS reports them (the service deployments API, since October 2024)
//! and the judgement of one: a deployment is judged by its own status, never by whether the
//! service looks stable (a circuit-breaker rollback leaves a service stable on the old
//! revision). Also one-off tasks (RunTask, DescribeTasks).

use aws_sdk_ecs::types::{
    DeploymentLifecycleHookAction, ServiceDeploymentStatus, StopServiceDeploymentStopType,
};

use crate::aws::paced::SendPaced;
use crate::aws::{AwsError, Ecs};

/// A lifecycle hook of a deployment.
#[derive(Clone, Debug, PartialEq)]
pub struct Hook {
    pub id: String,
    /// `PAUSE` or `AWS_LAMBDA`.
    pub target_type: String,
    /// `AWAITING_ACTION`, `IN_PROGRESS`, `SUCCEEDED`, `FAILED` or `TIMED_OUT`.
    pub status: String,
    /// Seconds since the epoch.
    pub expires_at: Option<f64>,
    /// What ECS does at `expires_at`: `CONTINUE` or `ROLLBACK`.
    pub timeout_action: Option<String>,
}

/// One service deployment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceDeployment {
    pub arn: String,
    /// PENDING, IN_PROGRESS, STOP_REQUESTED, ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS, or the
    /// terminal SUCCESSFUL, STOPPED, ROLLBACK_SUCCESSFUL, ROLLBACK_FAILED.
    pub status: String,
    pub status_reason: Option<String>,
    pub lifecycle_stage: Option<String>,
    pub created_at: Option<f64>,
    pub finished_at: Option<f64>,
    /// ROLLING, BLUE_GREEN, LINEAR or CANARY.
    pub strategy: String,
    pub bake_time_minutes: Option<i32>,
    pub linear_step_percent: Option<f64>,
    pub canary_percent: Option<f64>,
    pub target_revision: Option<String>,
    /// The service revisions the deployment replaces (what ran before it).
    pub source_revisions: Vec<String>,
    pub requested_tasks: i32,
    pub running_tasks: i32,
    /// Production traffic on the target revision, percent (a snapshot, as ECS says).
    pub production_traffic: Option<f64>,
    pub circuit_breaker_triggered: bool,
    pub triggered_alarms: Vec<String>,
    pub alarms_triggered: bool,
    pub rollback_reason: Option<String>,
    pub hooks: Vec<Hook>,
}

/// How a deployment ended, or that it has not.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    InProgress,
    Succeeded,
    /// Rolled back, rollback failed, or stopped: `status` and the cause.
    Failed {
        status: String,
        cause: String,
    },
}

impl ServiceDeployment {
    pub fn is_terminal(&self) -> bool {
        matches!(
            self.status.as_str(),
            "SUCCESSFUL" | "STOPPED" | "ROLLBACK_SUCCESSFUL" | "ROLLBACK_FAILED"
        )
    }

    /// The PAUSE hook waiting for someone to continue or roll back, if any.
    pub fn pause(&self) -> Option<&Hook> {
        self.hooks
            .iter()
            .find(|h| h.target_type == "PAUSE" && h.status == "AWAITING_ACTION")
    }

    /// Whether the new revision runs every requested task and takes all production traffic
    /// (the deployment may still be baking).
    pub fn is_stable(&self) -> bool {
        self.status == "SUCCESSFUL"
            || (self.status == "IN_PROGRESS"
                && self.requested_tasks > 0
                && self.running_tasks >= self.requested_tasks
                && self.production_traffic.is_none_or(|w| w >= 100.0)
                && self.pause().is_none()
                && (self.strategy == "ROLLING"
                    || matches!(
                        self.lifecycle_stage.as_deref(),
                        Some("BAKE_TIME" | "CLEAN_UP" | "POST_PRODUCTION_TRAFFIC_SHIFT")
                    )))
    }

    /// The judgement of this deployment from its own fields (statusReason wording is not
    /// documented, so the cause comes from the structured fields, with the reason appended).
    pub fn outcome(&self) -> Outcome {
        match self.status.as_str() {
            "SUCCESSFUL" => Outcome::Succeeded,
            "STOPPED" | "ROLLBACK_SUCCESSFUL" | "ROLLBACK_FAILED" => Outcome::Failed {
                status: self.status.clone(),
                cause: self.cause(),
            },
            _ => Outcome::InProgress,
        }
    }

    /// What ended (or is ending) the deployment.
    pub fn cause(&self) -> String {
        let hook = self
            .hooks
            .iter()
            .find(|h| matches!(h.status.as_str(), "FAILED" | "TIMED_OUT"));
        let mut cause = if self.circuit_breaker_triggered {
            "the deployment circuit breaker detected failing tasks".to_string()
        } else if self.alarms_triggered {
            if self.triggered_alarms.is_empty() {
                "a CloudWatch alarm went into ALARM".to_string()
            } else {
                format!("alarm {} went into ALARM", self.triggered_alarms.join(", "))
            }
        } else if let Some(hook) = hook {
            format!(
                "lifecycle hook {} ({}) {}",
                hook.id,
                hook.target_type,
                if hook.status == "TIMED_OUT" {
                    "timed out"
                } else {
                    "failed"
                }
            )
        } else if self.rollback_reason.is_some() || self.status.starts_with("ROLLBACK") {
            "it was stopped with a rollback (StopServiceDeployment, or a rollback at a paused hook)"
                .to_string()
        } else {
            "it was stopped".to_string()
        };
        if let Some(reason) = self.status_reason.as_deref().filter(|r| !r.is_empty()) {
            cause.push_str(&format!(": {reason}"));
        }
        cause
    }
}

fn seconds(time: Option<&aws_smithy_types::DateTime>) -> Option<f64> {
    time.map(|t| t.as_secs_f64())
}

fn from_sdk(deployment: &aws_sdk_ecs::types::ServiceDeployment) -> ServiceDeployment {
    let configuration = deployment.deployment_configuration();
    let target = deployment.target_service_revision();
    ServiceDeployment {
        arn: deployment
            .service_deployment_arn()
            .unwrap_or_default()
            .to_string(),
        status: deployment
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        status_reason: deployment.status_reason().map(str::to_string),
        lifecycle_stage: deployment.lifecycle_stage().map(|s| s.as_str().to_string()),
        created_at: seconds(deployment.created_at()),
        finished_at: seconds(deployment.finished_at()),
        strategy: configuration
            .and_then(|c| c.strategy())
            .map_or_else(|| "ROLLING".to_string(), |s| s.as_str().to_string()),
        bake_time_minutes: configuration.and_then(|c| c.bake_time_in_minutes()),
        linear_step_percent: configuration
            .and_then(|c| c.linear_configuration())
            .and_then(|l| l.step_percent()),
        canary_percent: configuration
            .and_then(|c| c.canary_configuration())
            .and_then(|c| c.canary_percent()),
        target_revision: target.and_then(|t| t.arn()).map(str::to_string),
        source_revisions: deployment
            .source_service_revisions()
            .iter()
            .filter_map(|r| r.arn().map(str::to_string))
            .collect(),
        requested_tasks: target.map_or(0, |t| t.requested_task_count()),
        running_tasks: target.map_or(0, |t| t.running_task_count()),
        production_traffic: target.and_then(|t| t.requested_production_traffic_weight()),
        circuit_breaker_triggered: deployment
            .deployment_circuit_breaker()
            .and_then(|c| c.status())
            .is_some_and(|s| s.as_str() == "TRIGGERED"),
        alarms_triggered: deployment
            .alarms()
            .and_then(|a| a.status())
            .is_some_and(|s| s.as_str() == "TRIGGERED"),
        triggered_alarms: deployment
            .alarms()
            .map(|a| a.triggered_alarm_names().to_vec())
            .unwrap_or_default(),
        rollback_reason: deployment
            .rollback()
            .and_then(|r| r.reason())
            .map(str::to_string),
        hooks: deployment
            .lifecycle_hook_details()
            .iter()
            .map(|h| Hook {
                id: h.hook_id().unwrap_or_default().to_string(),
                target_type: h
                    .target_type()
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_default(),
                status: h
                    .status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                expires_at: seconds(h.expires_at()),
                timeout_action: h.timeout_action().map(|a| a.as_str().to_string()),
            })
            .collect(),
    }
}

/// Statuses of deployments that are not over.
const ONGOING: &[&str] = &[
    "PENDING",
    "IN_PROGRESS",
    "STOP_REQUESTED",
    "ROLLBACK_REQUESTED",
    "ROLLBACK_IN_PROGRESS",
];

impl AwsError {
    /// The endpoint does not know the operation (it predates it): callers fall back.
    pub fn is_unknown_operation(&self) -> bool {
        matches!(
            self.code(),
            Some(
                "UnknownOperationException"
                    | "UnknownOperation"
                    | "InvalidAction"
                    | "NotImplemented"
                    | "NotImplementedException"
                    | "UnsupportedOperation"
            )
        )
    }
}

/// A one-off task.
#[derive(Clone, Debug, PartialEq)]
pub struct Task {
    pub arn: String,
    pub task_definition_arn: Option<String>,
    pub last_status: String,
    pub stop_code: Option<String>,
    pub stopped_reason: Option<String>,
    /// (name, exit code, reason)
    pub containers: Vec<(String, Option<i32>, Option<String>)>,
}

impl Task {
    pub fn is_stopped(&self) -> bool {
        self.last_status == "STOPPED"
    }

    /// The exit code of `container`; None when it never ran (the task failed to start).
    pub fn exit_code(&self, container: &str) -> Option<i32> {
        self.containers
            .iter()
            .find(|(name, _, _)| name == container)
            .and_then(|(_, code, _)| *code)
    }

    /// Why the task stopped: the stop code and reason, and the container's own reason.
    pub fn stop_description(&self, container: &str) -> String {
        let mut parts = Vec::new();
        if let Some(code) = &self.stop_code {
            parts.push(code.clone());
        }
        if let Some(reason) = &self.stopped_reason {
            parts.push(reason.clone());
        }
        if let Some((_, _, Some(reason))) = self.containers.iter().find(|(n, _, _)| n == container)
            && !parts.contains(reason)
        {
            parts.push(reason.clone());
        }
        if parts.is_empty() {
            "stopped without a reason".into()
        } else {
            parts.join(": ")
        }
    }
}

/// How to start a task the way a service starts its tasks.
#[derive(Clone, Debug, Default)]
pub struct RunSettings {
    pub launch_type: Option<aws_sdk_ecs::types::LaunchType>,
    pub capacity_provider_strategy: Vec<aws_sdk_ecs::types::CapacityProviderStrategyItem>,
    pub platform_version: Option<String>,
    pub network_configuration: Option<aws_sdk_ecs::types::NetworkConfiguration>,
}

impl Ecs {
    /// One service deployment; None when ECS does not know it.
    pub async fn describe_service_deployment(
        &self,
        arn: &str,
    ) -> Result<Option<ServiceDeployment>, AwsError> {
        match &self.batches {
            Some(batches) => batches.deployment(self, arn).await,
            None => Ok(self
                .describe_service_deployments_now(&[arn.to_string()])
                .await?
                .pop()
                .flatten()),
        }
    }

    /// Service deployments by ARN (at most 20, as DescribeServiceDeployments takes), one
    /// entry per ARN in order: None where ECS does not know it.
    pub(super) async fn describe_service_deployments_now(
        &self,
        arns: &[String],
    ) -> Result<Vec<Option<ServiceDeployment>>, AwsError> {
        let output = self
            .client
            .describe_service_deployments()
            .set_service_deployment_arns(Some(arns.to_vec()))
            .send_paced(self)
            .await
            .map_err(|err| AwsError::from_sdk("DescribeServiceDeployments", err))?;
        Ok(arns
            .iter()
            .map(|arn| {
                output
                    .service_deployments()
                    .iter()
                    .find(|d| d.service_deployment_arn() == Some(arn.as_str()))
                    // One asked, one answered: the same, however the ARN is spelled.
                    .or_else(|| {
                        (arns.len() == 1)
                            .then(|| output.service_deployments().first())
                            .flatten()
                    })
                    .map(from_sdk)
            })
            .collect())
    }

    /// The service's newest deployment that is not over, if any.
    pub async fn ongoing_deployment(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Option<ServiceDeployment>, AwsError> {
        let statuses = ONGOING
            .iter()
            .map(|s| ServiceDeploymentStatus::from(*s))
            .collect();
        self.newest_with(cluster, service, Some(statuses)).await
    }

    /// The service's newest deployment with one of `statuses` (any, for None), described.
    async fn newest_with(
        &self,
        cluster: &str,
        service: &str,
        statuses: Option<Vec<ServiceDeploymentStatus>>,
    ) -> Result<Option<ServiceDeployment>, AwsError> {
        let output = self
            .client
            .list_service_deployments()
            .cluster(cluster)
            .service(service)
            .set_status(statuses)
            .send_paced(self)
            .await
            .map_err(|err| AwsError::from_sdk("ListServiceDeployments", err))?;
        // The order of results is not documented: take the newest.
        let newest = output
            .service_deployments()
            .iter()
            .max_by(|a, b| {
                seconds(a.created_at())
                    .unwrap_or_default()
                    .total_cmp(&seconds(b.created_at()).unwrap_or_default())
            })
            .and_then(|d| d.service_deployment_arn())
            .map(str::to_string);
        match newest {
            Some(arn) => self.describe_service_deployment(&arn).await,
            None => Ok(None),
        }
    }

    /// The deployment created at or after `since` (epoch seconds) whose target revision runs
    /// `task_definition_arn`: the one an UpdateService started, for endpoints that do not
    /// return `currentServiceDeployment`.
    pub async fn deployment_running(
        &self,
        cluster: &str,
        service: &str,
        task_definition_arn: &str,
        since: f64,
    ) -> Result<Option<String>, AwsError> {
        let output = self
            .client
            .list_service_deployments()
            .cluster(cluster)
            .service(service)
            .created_at(
                aws_sdk_ecs::types::CreatedAt::builder()
                    .after(aws_smithy_types::DateTime::from_secs_f64(since))
                    .build(),
            )
            .send_paced(self)
            .await
            .map_err(|err| AwsError::from_sdk("ListServiceDeployments", err))?;
        let mut briefs: Vec<_> = output.service_deployments().to_vec();
        briefs.sort_by(|a, b| {
            seconds(b.created_at())
                .unwrap_or_default()
                .total_cmp(&seconds(a.created_at()).unwrap_or_default())
        });
        for brief in briefs {
            let Some(revision) = brief.target_service_revision_arn() else {
                continue;
            };
            let revisions = self
                .client
                .describe_service_revisions()
                .service_revision_arns(revision)
                .send_paced(self)
                .await
                .map_err(|err| AwsError::from_sdk("DescribeServiceRevisions", err))?;
            let runs_ours = revisions
                .service_revisions()
                .iter()
                .any(|r| r.task_definition() == Some(task_definition_arn));
            if runs_ours {
                return Ok(brief.service_deployment_arn().map(str::to_string));
            }
        }
        Ok(None)
    }

    /// The task definition the service ran before the deployment that made `live` its
    /// revision: the source of the newest SUCCESSFUL service deployment whose target runs
    /// `live`. `Ok(None)` when the history does not tell (the service was created on `live`,
    /// or its deployments predate the service deployments API).
    pub async fn ran_before(
        &self,
        cluster: &str,
        service: &str,
        live: &str,
    ) -> Result<Option<String>, AwsError> {
        const OPERATION: &str = "ListServiceDeployments";
        let mut briefs = Vec::new();
        let mut next_token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_service_deployments()
                .cluster(cluster)
                .service(service)
                .status(ServiceDeploymentStatus::Successful)
                .set_next_token(next_token.take())
                .send_paced(self)
                .await
                .map_err(|err| AwsError::from_sdk(OPERATION, err))?;
            briefs.extend(page.service_deployments().iter().cloned());
            match page.next_token() {
                Some(token) if !token.is_empty() => next_token = Some(token.to_string()),
                _ => break,
            }
        }
        // The order of results is not documented: newest first here.
        briefs.sort_by(|a, b| {
            seconds(b.created_at())
                .unwrap_or_default()
                .total_cmp(&seconds(a.created_at()).unwrap_or_default())
        });
        // DescribeServiceRevisions takes up to 20 ARNs a call.
        for chunk in briefs.chunks(20) {
            let targets: Vec<String> = chunk
                .iter()
                .filter_map(|b| b.target_service_revision_arn().map(str::to_string))
                .collect();
            let runs = self.service_revision_task_definitions(&targets).await?;
            let Some(brief) = chunk.iter().find(|b| {
                b.target_service_revision_arn()
                    .and_then(|arn| runs.get(arn))
                    .is_some_and(|task_definition| task_definition == live)
            }) else {
                continue;
            };
            let Some(arn) = brief.service_deployment_arn() else {
                return Ok(None);
            };
            let Some(deployment) = self.describe_service_deployment(arn).await? else {
                return Ok(None);
            };
            let sources = self
                .service_revision_task_definitions(&deployment.source_revisions)
                .await?;
            return Ok(deployment
                .source_revisions
                .iter()
                .find_map(|revision| sources.get(revision))
                .filter(|task_definition| task_definition.as_str() != live)
                .cloned());
        }
        Ok(None)
    }

    /// Service revision ARN → the task definition it runs (DescribeServiceRevisions, 20 a call).
    async fn service_revision_task_definitions(
        &self,
        revisions: &[String],
    ) -> Result<std::collections::HashMap<String, String>, AwsError> {
        let mut runs = std::collections::HashMap::new();
        for chunk in revisions.chunks(20) {
            let output = self
                .client
                .describe_service_revisions()
                .set_service_revision_arns(Some(chunk.to_vec()))
                .send_paced(self)
                .await
                .map_err(|err| AwsError::from_sdk("DescribeServiceRevisions", err))?;
            for revision in output.service_revisions() {
                if let (Some(arn), Some(task_definition)) =
                    (revision.service_revision_arn(), revision.task_definition())
                {
                    runs.insert(arn.to_string(), task_definition.to_string());
                }
            }
        }
        Ok(runs)
    }

    /// Stops a deployment in progress with a rollback to the previous revision.
    pub async fn stop_service_deployment(&self, arn: &str) -> Result<(), AwsError> {
        self.client
            .stop_service_deployment()
            .service_deployment_arn(arn)
            .stop_type(StopServiceDeploymentStopType::Rollback)
            .send_paced(self)
            .await
            .map_err(|err| AwsError::from_sdk("StopServiceDeployment", err))?;
        Ok(())
    }

    /// Answers a paused lifecycle hook: continue the deployment, or roll it back.
    pub async fn continue_service_deployment(
        &self,
        arn: &str,
        hook_id: &str,
        rollback: bool,
    ) -> Result<(), AwsError> {
        let action = if rollback {
            DeploymentLifecycleHookAction::Rollback
        } else {
            DeploymentLifecycleHookAction::Continue
        };
        self.client
            .continue_service_deployment()
            .service_deployment_arn(arn)
            .hook_id(hook_id)
            .action(action)
            .send_paced(self)
            .await
            .map_err(|err| AwsError::from_sdk("ContinueServiceDeployment", err))?;
        Ok(())
    }

    /// Starts one task of `task_definition` with `command` for `container`, placed like the
    /// service's tasks.
    pub async fn run_task(
        &self,
        cluster: &str,
        task_definition: &str,
        settings: &RunSettings,
        container: &str,
        command: &[String],
        started_by: &str,
    ) -> Result<Task, AwsError> {
        const OPERATION: &str = "RunTask";
        let overrides = aws_sdk_ecs::types::TaskOverride::builder()
            .container_overrides(
                aws_sdk_ecs::types::ContainerOverride::builder()
                    .name(container)
                    .set_command(Some(command.to_vec()))
                    .build(),
            )
            .build();
        let mut call = self
            .client
            .run_task()
            .cluster(cluster)
            .task_definition(task_definition)
            .count(1)
            .started_by(started_by)
            .overrides(overrides)
            .set_network_configuration(settings.network_configuration.clone())
            .set_platform_version(settings.platform_version.clone());
        // A capacity provider strategy and a launch type exclude each other.
        if settings.capacity_provider_strategy.is_empty() {
            call = call.set_launch_type(settings.launch_type.clone());
        } else {
            call = call
                .set_capacity_provider_strategy(Some(settings.capacity_provider_strategy.clone()));
        }
        let output = call
            .send_paced(self)
            .await
            .map_err(|err| AwsError::from_sdk(OPERATION, err))?;
        if let Some(task) = output.tasks().first() {
            return Ok(task_from_sdk(task));
        }
        let reasons: Vec<String> = output
            .failures()
            .iter()
            .map(|f| {
                format!(
                    "{}{}",
                    f.reason().unwrap_or("unknown"),
                    f.detail().map(|d| format!(" ({d})")).unwrap_or_default()
                )
            })
            .collect();
        Err(AwsError::Service {
            operation: OPERATION.into(),
            code: "TaskNotPlaced".into(),
            message: if reasons.is_empty() {
                "ECS started no task".into()
            } else {
                reasons.join("; ")
            },
        })
    }

    /// The service's recently stopped tasks (ECS keeps them for a while), described.
    pub async fn stopped_tasks(&self, cluster: &str, service: &str) -> Result<Vec<Task>, AwsError> {
        let mut arns = Vec::new();
        let mut next_token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_tasks()
                .cluster(cluster)
                .service_name(service)
                .desired_status(aws_sdk_ecs::types::DesiredStatus::Stopped)
                .set_next_token(next_token.take())
                .send_paced(self)
                .await
                .map_err(|err| AwsError::from_sdk("ListTasks", err))?;
            arns.extend(page.task_arns().iter().cloned());
            match page.next_token() {
                // A hundred tell why as well as all of them.
                Some(token) if !token.is_empty() && arns.len() < 100 => {
                    next_token = Some(token.to_string())
                }
                _ => break,
            }
        }
        let mut tasks = Vec::new();
        // DescribeTasks takes up to 100 tasks a call.
        for chunk in arns.chunks(100) {
            let output = self
                .client
                .describe_tasks()
                .cluster(cluster)
                .set_tasks(Some(chunk.to_vec()))
                .send_paced(self)
                .await
                .map_err(|err| AwsError::from_sdk("DescribeTasks", err))?;
            tasks.extend(output.tasks().iter().map(task_from_sdk));
        }
        Ok(tasks)
    }

    /// The service's newest deployment, whatever its status.
    pub async fn newest_deployment(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Option<ServiceDeployment>, AwsError> {
        self.newest_with(cluster, service, None).await
    }

    /// The task definition a service revision runs.
    pub async fn service_revision_task_definition(
        &self,
        revision: &str,
    ) -> Result<Option<String>, AwsError> {
        Ok(self
            .service_revision_task_definitions(&[revision.to_string()])
            .await?
            .remove(revision))
    }

    pub async fn describe_task(&self, cluster: &str, arn: &str) -> Result<Option<Task>, AwsError> {
        let output = self
            .client
            .describe_tasks()
            .cluster(cluster)
            .tasks(arn)
            .send_paced(self)
            .await
            .map_err(|err| AwsError::from_sdk("DescribeTasks", err))?;
        Ok(output.tasks().first().map(task_from_sdk))
    }
}

fn task_from_sdk(task: &aws_sdk_ecs::types::Task) -> Task {
    Task {
        arn: task.task_arn().unwrap_or_default().to_string(),
        task_definition_arn: task.task_definition_arn().map(str::to_string),
        last_status: task.last_status().unwrap_or_default().to_string(),
        stop_code: task.stop_code().map(|c| c.as_str().to_string()),
        stopped_reason: task.stopped_reason().map(str::to_string),
        containers: task
            .containers()
            .iter()
            .map(|c| {
                (
                    c.name().unwrap_or_default().to_string(),
                    c.exit_code(),
                    c.reason().map(str::to_string),
                )
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(status: &str) -> ServiceDeployment {
        ServiceDeployment {
            arn: "arn:dep".into(),
            status: status.into(),
            strategy: "ROLLING".into(),
            ..ServiceDeployment::default()
        }
    }

    #[test]
    fn terminal_statuses_are_judged_and_rollbacks_are_failures() {
        assert_eq!(deployment("SUCCESSFUL").outcome(), Outcome::Succeeded);
        assert_eq!(deployment("IN_PROGRESS").outcome(), Outcome::InProgress);
        assert_eq!(
            deployment("ROLLBACK_IN_PROGRESS").outcome(),
            Outcome::InProgress
        );
        let mut breaker = deployment("ROLLBACK_SUCCESSFUL");
        breaker.circuit_breaker_triggered = true;
        breaker.status_reason = Some("tasks failed to start".into());
        let Outcome::Failed { status, cause } = breaker.outcome() else {
            panic!("a rollback is a failure")
        };
        assert_eq!(status, "ROLLBACK_SUCCESSFUL");
        assert!(
            cause.contains("circuit breaker") && cause.ends_with("tasks failed to start"),
            "{cause}"
        );
        let mut alarm = deployment("ROLLBACK_SUCCESSFUL");
        alarm.alarms_triggered = true;
        alarm.triggered_alarms = vec!["api-5xx".into()];
        assert!(
            matches!(alarm.outcome(), Outcome::Failed { cause, .. } if cause.contains("alarm api-5xx"))
        );
        let stopped = deployment("STOPPED");
        assert!(matches!(stopped.outcome(), Outcome::Failed { .. }));
        let mut hook = deployment("ROLLBACK_SUCCESSFUL");
        hook.hooks = vec![Hook {
            id: "h1".into(),
            target_type: "AWS_LAMBDA".into(),
            status: "FAILED".into(),
            expires_at: None,
            timeout_action: None,
        }];
        assert!(
            matches!(hook.outcome(), Outcome::Failed { cause, .. } if cause.contains("lifecycle hook h1"))
        );
    }

    #[test]
    fn a_pause_is_found_and_holds_stability() {
        let mut paused = deployment("IN_PROGRESS");
        paused.strategy = "BLUE_GREEN".into();
        paused.lifecycle_stage = Some("POST_TEST_TRAFFIC_SHIFT".into());
        paused.hooks = vec![Hook {
            id: "ecs-pause-1".into(),
            target_type: "PAUSE".into(),
            status: "AWAITING_ACTION".into(),
            expires_at: Some(1.0),
            timeout_action: Some("ROLLBACK".into()),
        }];
        assert_eq!(paused.pause().map(|h| h.id.as_str()), Some("ecs-pause-1"));
        assert!(!paused.is_stable());
        let mut baking = deployment("IN_PROGRESS");
        baking.strategy = "BLUE_GREEN".into();
        baking.lifecycle_stage = Some("BAKE_TIME".into());
        baking.requested_tasks = 2;
        baking.running_tasks = 2;
        baking.production_traffic = Some(100.0);
        assert!(baking.is_stable());
    }

    #[test]
    fn a_task_that_never_started_has_no_exit_code() {
        let task = Task {
            arn: "t".into(),
            task_definition_arn: None,
            last_status: "STOPPED".into(),
            stop_code: Some("TaskFailedToStart".into()),
            stopped_reason: Some("CannotPullContainerError: no such image".into()),
            containers: vec![(
                "app".into(),
                None,
                Some("CannotPullContainerError: no such image".into()),
            )],
        };
        assert_eq!(task.exit_code("app"), None);
        assert_eq!(
            task.stop_description("app"),
            "TaskFailedToStart: CannotPullContainerError: no such image"
        );
    }
}
