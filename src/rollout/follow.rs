//! Following a deployment to its end as ECS reports it: the service deployment this command
//! started (or stopped, or continued), judged by its own status — a circuit-breaker rollback
//! leaves the service stable on the old revision, which is a failure. Endpoints without the
//! service deployments API fall back to the older `deployments[]` judgement.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value as Json, json};

use crate::aws::{Ecs, Hook, Outcome, RolloutStatus, ServiceDeployment};
use crate::rollout::explain::{self, Explanation};
use crate::rollout::{Observer, RolloutError, Target, Verdict, Wait, WaitUntil};

/// The shortest time between two polls, whatever the poll interval says.
pub(crate) const POLL_FLOOR: Duration = Duration::from_millis(200);

/// What the command waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expect {
    /// A new revision deployed (`deploy`, `rollback` to a revision, `continue`).
    Deployed,
    /// The deployment rolled back (`rollback` of a deployment in progress, `continue --rollback`).
    RolledBack,
}

/// The deployment to follow: `deployment` (an ARN), or None to look for the one that runs
/// `task_definition_arn`, created since `since` (seconds since the epoch).
pub(crate) struct Subject<'a> {
    pub(crate) deployment: Option<String>,
    pub(crate) task_definition_arn: &'a str,
    pub(crate) since: f64,
}

/// How following ended.
pub(crate) struct Followed {
    pub verdict: Verdict,
    pub message: String,
    /// The deployment as last seen (None on the fallback path).
    pub deployment: Option<ServiceDeployment>,
    /// Lifecycle stages in the order seen, with when they were first seen.
    pub stages: Vec<(String, SystemTime)>,
    pub pause: Option<Hook>,
    /// The deployment ran to its end (SUCCESSFUL; or COMPLETED where the endpoint has no
    /// service deployments API): only then is the revision before it no longer needed.
    pub complete: bool,
    /// Why it failed, as ECS says (its stopped tasks, the service's events).
    pub why: Option<Explanation>,
}

impl Followed {
    pub(crate) fn new(verdict: Verdict, message: impl Into<String>) -> Self {
        Followed {
            verdict,
            message: message.into(),
            deployment: None,
            stages: Vec::new(),
            pause: None,
            complete: false,
            why: None,
        }
    }

    /// Why it failed, one line a reason (empty when ECS said nothing more).
    pub(crate) fn why_lines(&self) -> Vec<String> {
        self.why
            .as_ref()
            .map(Explanation::lines)
            .unwrap_or_default()
    }

    /// The message with why it failed, for a front end that has one text to show.
    pub(crate) fn explained(&self) -> String {
        let mut text = self.message.clone();
        for line in self.why_lines() {
            text.push_str("\n  ");
            text.push_str(&line);
        }
        text
    }

    /// Following stopped, as asked, at a deployment that waits at a PAUSE hook.
    pub(crate) fn paused(&self) -> bool {
        self.verdict == Verdict::Success && self.pause.is_some() && !self.complete
    }

    /// The result fields `--output json` and the step summary share.
    pub(crate) fn json(&self) -> Json {
        json!({
            "service_deployment_arn": self.deployment.as_ref().map(|d| d.arn.clone()),
            "deployment_status": self.deployment.as_ref().map(|d| d.status.clone()),
            "strategy": self.deployment.as_ref().map(|d| d.strategy.clone()),
            "stages": self.stages.iter().map(|(stage, at)| json!({
                "stage": stage,
                "seen_at": humantime::format_rfc3339_seconds(*at).to_string(),
            })).collect::<Vec<_>>(),
            "pause": self.pause.as_ref().map(pause_json),
            "why": self.why.as_ref().map(Explanation::json),
        })
    }

    /// Markdown lines for the step summary.
    pub(crate) fn summary_rows(&self) -> String {
        let mut rows = String::new();
        if let Some(deployment) = &self.deployment {
            rows.push_str(&format!(
                "| strategy | {} |\n| deployment | `{}` {} |\n",
                deployment.strategy, deployment.arn, deployment.status
            ));
        }
        if !self.stages.is_empty() {
            let stages: Vec<String> = self
                .stages
                .iter()
                .map(|(stage, at)| format!("{stage} ({})", humantime::format_rfc3339_seconds(*at)))
                .collect();
            rows.push_str(&format!("| stages | {} |\n", stages.join(" → ")));
        }
        if let Some(pause) = &self.pause {
            rows.push_str(&format!(
                "| paused | hook `{}`{} |\n",
                pause.id,
                expiry(pause)
            ));
        }
        let why = self.why_lines();
        if !why.is_empty() {
            let cells: Vec<String> = why.iter().map(|l| l.replace('|', "\\|")).collect();
            rows.push_str(&format!("| why | {} |\n", cells.join("<br>")));
        }
        rows
    }
}

fn pause_json(hook: &Hook) -> Json {
    json!({
        "hook_id": hook.id,
        "expires_at": hook.expires_at.map(rfc3339),
        "timeout_action": hook.timeout_action,
    })
}

pub(crate) fn rfc3339(epoch_seconds: f64) -> String {
    let time = UNIX_EPOCH + Duration::from_secs_f64(epoch_seconds.max(0.0));
    humantime::format_rfc3339_seconds(time).to_string()
}

fn expiry(hook: &Hook) -> String {
    match (hook.expires_at, &hook.timeout_action) {
        (Some(at), Some(action)) => format!(
            ", expires {} (then ECS will {})",
            rfc3339(at),
            if action == "CONTINUE" {
                "continue"
            } else {
                "roll back"
            }
        ),
        (Some(at), None) => format!(", expires {}", rfc3339(at)),
        _ => String::new(),
    }
}

/// Seconds since the epoch, as ECS timestamps are.
pub(crate) fn epoch_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The traffic step of a linear or canary deployment: (step, steps).
fn traffic_step(deployment: &ServiceDeployment) -> Option<(u32, u32)> {
    let weight = deployment.production_traffic?;
    match deployment.strategy.as_str() {
        "LINEAR" => {
            let step = deployment.linear_step_percent.unwrap_or(10.0).max(0.1);
            let steps = (100.0 / step).ceil() as u32;
            Some(((weight / step).ceil() as u32, steps))
        }
        "CANARY" => {
            let canary = deployment.canary_percent.unwrap_or(5.0);
            Some((
                if weight <= 0.0 {
                    0
                } else if weight <= canary {
                    1
                } else {
                    2
                },
                2,
            ))
        }
        _ => None,
    }
}

/// One progress line: strategy, status and stage, tasks, traffic and step, bake time.
fn progress_line(deployment: &ServiceDeployment, stage_since: Option<Instant>) -> String {
    let mut line = format!("{} {}", deployment.strategy, deployment.status);
    if let Some(stage) = &deployment.lifecycle_stage {
        line.push_str(&format!(" {stage}"));
    }
    line.push_str(&format!(
        ": {}/{} tasks",
        deployment.running_tasks, deployment.requested_tasks
    ));
    if deployment.strategy != "ROLLING"
        && let Some(weight) = deployment.production_traffic
    {
        line.push_str(&format!(", {weight:.0}% of production traffic"));
        if let Some((step, steps)) = traffic_step(deployment) {
            line.push_str(&format!(" (step {step} of {steps})"));
        }
    }
    if deployment.lifecycle_stage.as_deref() == Some("BAKE_TIME")
        && let Some(minutes) = deployment.bake_time_minutes
    {
        let total = Duration::from_secs(u64::try_from(minutes).unwrap_or(0) * 60);
        let left = total.saturating_sub(stage_since.map_or(Duration::ZERO, |s| s.elapsed()));
        line.push_str(&format!(
            ", bake time {minutes}m ({} left)",
            humantime::format_duration(Duration::from_secs(left.as_secs()))
        ));
    }
    if let Some(pause) = deployment.pause() {
        line.push_str(&format!(", paused: hook {}", pause.id));
    }
    line
}

/// Follows `subject` until it ends, what `wait` waits for is met, or its timeout passes.
pub(crate) async fn follow(
    ecs: &Ecs,
    target: &Target,
    subject: Subject<'_>,
    wait: &Wait,
    expect: Expect,
    observer: &mut dyn Observer,
) -> Result<Followed, RolloutError> {
    let deadline = Instant::now() + wait.timeout;
    let delay = wait.poll_interval.max(POLL_FLOOR);
    let Subject {
        deployment: mut arn,
        task_definition_arn,
        since,
    } = subject;
    // Endpoints that do not return `currentServiceDeployment`: find the deployment by what it
    // runs; endpoints without the API at all: judge the service's deployments[].
    let mut looked = 0;
    while arn.is_none() {
        match ecs
            .deployment_running(
                &target.cluster,
                &target.service,
                task_definition_arn,
                since - 60.0,
            )
            .await
        {
            Ok(Some(found)) => arn = Some(found),
            Ok(None) if looked < 3 && Instant::now() < deadline => {
                looked += 1;
                tokio::time::sleep(delay).await;
            }
            Ok(None) => {
                tracing::info!("no service deployment found; judging the service's deployments");
                return fallback(
                    ecs,
                    target,
                    task_definition_arn,
                    wait,
                    deadline,
                    expect,
                    observer,
                )
                .await;
            }
            Err(err) if err.is_unknown_operation() => {
                tracing::info!(
                    "the endpoint has no service deployments API; judging the service's deployments"
                );
                return fallback(
                    ecs,
                    target,
                    task_definition_arn,
                    wait,
                    deadline,
                    expect,
                    observer,
                )
                .await;
            }
            Err(err) => return Err(err.into()),
        }
    }
    let arn = arn.unwrap_or_default();
    let mut stages: Vec<(String, SystemTime)> = Vec::new();
    let mut stage_since: Option<Instant> = None;
    let mut announced_pause: Option<String> = None;
    loop {
        let deployment = match ecs.describe_service_deployment(&arn).await {
            Ok(Some(deployment)) => deployment,
            Ok(None) => {
                observer.finish_progress();
                return Err(RolloutError::Lost(format!(
                    "ECS no longer knows the service deployment {arn}"
                )));
            }
            Err(err) => {
                observer.finish_progress();
                return Err(err.into());
            }
        };
        if let Some(stage) = &deployment.lifecycle_stage
            && stages.last().is_none_or(|(last, _)| last != stage)
        {
            stages.push((stage.clone(), SystemTime::now()));
            stage_since = Some(Instant::now());
        }
        observer.progress(&progress_line(&deployment, stage_since));
        let pause = deployment.pause().cloned();
        let done = |verdict: Verdict,
                    message: String,
                    deployment: ServiceDeployment,
                    stages: Vec<(String, SystemTime)>| Followed {
            verdict,
            message,
            pause: deployment.pause().cloned(),
            complete: deployment.outcome() == Outcome::Succeeded,
            deployment: Some(deployment),
            stages,
            why: None,
        };
        let outcome = deployment.outcome();
        let finished = match (expect, &outcome) {
            (Expect::Deployed, Outcome::Succeeded) => {
                Some((Verdict::Success, "deployment SUCCESSFUL".to_string()))
            }
            (Expect::Deployed, Outcome::Failed { status, cause }) => Some((
                Verdict::RolloutFailed,
                format!("deployment {status}: {}", cause_sentence(status, cause)),
            )),
            (Expect::RolledBack, Outcome::Failed { status, cause })
                if status == "ROLLBACK_SUCCESSFUL" =>
            {
                Some((Verdict::Success, format!("rolled back: {cause}")))
            }
            (Expect::RolledBack, Outcome::Failed { status, cause }) => Some((
                Verdict::RolloutFailed,
                format!("deployment {status}: {cause}"),
            )),
            (Expect::RolledBack, Outcome::Succeeded) => Some((
                Verdict::RolloutFailed,
                "the deployment completed before the rollback took effect".to_string(),
            )),
            (_, Outcome::InProgress) => None,
        };
        if let Some((verdict, message)) = finished {
            observer.finish_progress();
            let why = if verdict == Verdict::Success {
                None
            } else {
                explain_deployment(ecs, target, task_definition_arn, &deployment, since).await
            };
            return Ok(Followed {
                why,
                ..done(verdict, message, deployment, stages)
            });
        }
        if let Some(hook) = &pause {
            if wait.until == WaitUntil::Paused && expect == Expect::Deployed {
                observer.finish_progress();
                let message = format!(
                    "paused at {}: lifecycle hook {} awaits action{}",
                    deployment
                        .lifecycle_stage
                        .as_deref()
                        .unwrap_or("a lifecycle stage"),
                    hook.id,
                    expiry(hook)
                );
                return Ok(done(Verdict::Success, message, deployment, stages));
            }
            if announced_pause.as_deref() != Some(hook.id.as_str()) {
                let hint = observer
                    .resume_hint(target, &deployment.arn, &hook.id)
                    .map(|hint| format!("; {hint}"))
                    .unwrap_or_default();
                observer.line(&format!(
                    "paused at {}: lifecycle hook {} awaits action{}{hint}",
                    deployment
                        .lifecycle_stage
                        .as_deref()
                        .unwrap_or("a lifecycle stage"),
                    hook.id,
                    expiry(hook),
                ));
                announced_pause = Some(hook.id.clone());
            }
        }
        if wait.until == WaitUntil::Stable && expect == Expect::Deployed && deployment.is_stable() {
            observer.finish_progress();
            return Ok(done(
                Verdict::Success,
                "stable: the new revision runs every task and takes all traffic".to_string(),
                deployment,
                stages,
            ));
        }
        if Instant::now() >= deadline {
            observer.finish_progress();
            let state = match &pause {
                Some(hook) => format!(" (paused: lifecycle hook {}{})", hook.id, expiry(hook)),
                None => format!(" ({})", progress_line(&deployment, stage_since)),
            };
            let why = match &pause {
                Some(_) => None,
                None => {
                    explain_deployment(ecs, target, task_definition_arn, &deployment, since).await
                }
            };
            return Ok(Followed {
                why,
                ..done(
                    Verdict::TimedOut,
                    format!(
                        "deployment {arn} did not finish within {}{state}",
                        humantime::format_duration(wait.timeout)
                    ),
                    deployment,
                    stages,
                )
            });
        }
        tokio::time::sleep(
            delay
                .min(deadline.saturating_duration_since(Instant::now()))
                .max(Duration::from_millis(10)),
        )
        .await;
    }
}

/// Why a deployment of `task_definition_arn` (or, when that is not known, of the deployment's
/// target revision) failed; None when ECS says nothing more.
async fn explain_deployment(
    ecs: &Ecs,
    target: &Target,
    task_definition_arn: &str,
    deployment: &ServiceDeployment,
    since: f64,
) -> Option<Explanation> {
    if task_definition_arn.is_empty() {
        return explain::of_deployment(ecs, target, deployment).await;
    }
    let since = deployment.created_at.unwrap_or(since);
    let why = explain::why(ecs, target, task_definition_arn, since).await;
    (!why.is_empty()).then_some(why)
}

fn cause_sentence(status: &str, cause: &str) -> String {
    match status {
        "ROLLBACK_SUCCESSFUL" => format!("rolled back to the previous revision because {cause}"),
        "ROLLBACK_FAILED" => format!("the rollback failed after {cause}"),
        _ => format!("stopped without a rollback because {cause}"),
    }
}

/// The older judgement, from DescribeServices `deployments[]` (endpoints without the service
/// deployments API).
async fn fallback(
    ecs: &Ecs,
    target: &Target,
    arn: &str,
    wait: &Wait,
    deadline: Instant,
    expect: Expect,
    observer: &mut dyn Observer,
) -> Result<Followed, RolloutError> {
    let delay = wait.poll_interval.max(POLL_FLOOR);
    let started = epoch_now();
    loop {
        let service = ecs
            .describe_service(&target.cluster, &target.service)
            .await?
            .ok_or_else(|| {
                RolloutError::Lost(format!("service {:?} disappeared", target.service))
            })?;
        let outcome = match service.rollout_of(arn) {
            RolloutStatus::Completed => Some(Followed {
                complete: true,
                ..Followed::new(Verdict::Success, "rollout completed")
            }),
            RolloutStatus::Failed { reason, primary } => Some(Followed::new(
                Verdict::RolloutFailed,
                format!("rollout failed ({reason}); the service runs {primary}"),
            )),
            RolloutStatus::Replaced { primary } => Some(Followed::new(
                Verdict::RolloutFailed,
                format!("the service was rolled back or redeployed: it runs {primary}, not {arn}"),
            )),
            RolloutStatus::InProgress {
                running,
                desired,
                state,
            } => {
                if wait.until == WaitUntil::Stable
                    && expect == Expect::Deployed
                    && running >= desired
                    && desired > 0
                {
                    Some(Followed::new(
                        Verdict::Success,
                        "stable: the new revision runs every task",
                    ))
                } else {
                    observer.progress(&format!(
                        "waiting: {state}, {running}/{desired} tasks running on {arn}"
                    ));
                    None
                }
            }
        };
        if let Some(mut outcome) = outcome {
            observer.finish_progress();
            if outcome.verdict != Verdict::Success {
                let why = explain::why(ecs, target, arn, started).await;
                outcome.why = (!why.is_empty()).then_some(why);
            }
            return Ok(outcome);
        }
        if Instant::now() >= deadline {
            observer.finish_progress();
            return Ok(Followed::new(
                Verdict::TimedOut,
                format!(
                    "the rollout of {arn} did not finish within {}",
                    humantime::format_duration(wait.timeout)
                ),
            ));
        }
        tokio::time::sleep(
            delay
                .min(deadline.saturating_duration_since(Instant::now()))
                .max(Duration::from_millis(10)),
        )
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_names_strategy_stage_traffic_step_and_bake_time() {
        let linear = ServiceDeployment {
            arn: "a".into(),
            status: "IN_PROGRESS".into(),
            strategy: "LINEAR".into(),
            lifecycle_stage: Some("PRODUCTION_TRAFFIC_SHIFT".into()),
            linear_step_percent: Some(25.0),
            production_traffic: Some(50.0),
            requested_tasks: 4,
            running_tasks: 4,
            ..ServiceDeployment::default()
        };
        assert_eq!(
            progress_line(&linear, None),
            "LINEAR IN_PROGRESS PRODUCTION_TRAFFIC_SHIFT: 4/4 tasks, 50% of production traffic (step 2 of 4)"
        );
        let baking = ServiceDeployment {
            strategy: "BLUE_GREEN".into(),
            lifecycle_stage: Some("BAKE_TIME".into()),
            bake_time_minutes: Some(10),
            production_traffic: Some(100.0),
            ..linear.clone()
        };
        assert!(
            progress_line(&baking, None)
                .ends_with("100% of production traffic, bake time 10m (10m left)")
        );
        let canary = ServiceDeployment {
            strategy: "CANARY".into(),
            canary_percent: Some(5.0),
            production_traffic: Some(5.0),
            ..linear
        };
        assert!(progress_line(&canary, None).contains("(step 1 of 2)"));
    }
}
