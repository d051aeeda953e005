//! Many services as one operation: waves run in order, the targets of a wave in parallel (up
//! to its limit); a failure stops the waves after it, and can roll back the rest of its wave.
//! Targets in the same account and Region whose render is the same share one registered
//! revision; a target that already runs what it would get is left alone. Asked to, every
//! target's revision is checked for what it needs at run time before anything is registered
//! anywhere.

use std::future::Future;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{Map, Value as Json};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::aws::batch::{Cells, cell};
use crate::aws::{Ecs, Revision};
use crate::rollout::follow::{self, Expect, Followed};
use crate::rollout::verify::Finding;
use crate::rollout::{
    Observer, RenderInput, RolloutError, Target, Verdict, Wait, launch_with, live,
    point_service_at, refuse_other_controllers, refused,
};
use crate::taskdef;

/// One service of the fleet and how to reach it.
#[derive(Clone, Debug)]
pub struct FleetTarget {
    /// How the target is named in output: `region/cluster/service` (with the caller when the
    /// target has its own profile or role).
    pub label: String,
    /// The client for the target's account and Region (shared by every target there).
    pub ecs: Ecs,
    pub target: Target,
    /// What to wait for; None: start the deployment and move on.
    pub wait: Option<Wait>,
    pub what: Action,
}

/// What a target gets.
#[derive(Clone, Debug)]
pub enum Action {
    /// The template rendered with the images (and overlay) asked for.
    Render(RenderInput),
    /// An existing revision as it is (`family:revision` or ARN), in the target's account and
    /// Region: nothing rendered or registered.
    Revision {
        id: String,
        /// A template revision (the template's own images) may be deployed.
        allow_template: bool,
    },
    /// Back to the revision the service ran before its live one.
    Rollback,
}

#[derive(Clone, Debug)]
pub struct Wave {
    pub name: String,
    /// Targets at once (None: all).
    pub max_parallel: Option<usize>,
    pub targets: Vec<FleetTarget>,
}

/// What a failure in a wave does to the rest of that wave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnFailure {
    /// The wave's targets already started run to their end; the rest of the wave and every
    /// later wave do not start.
    Stop,
    /// The wave's other targets are stopped with a rollback (a deployment in progress) or
    /// pointed back at what they ran before (a deployment that succeeded).
    RollbackWave,
}

/// How one target ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Result {
    Deployed,
    Stable,
    Paused,
    /// Deployment started, not waited for.
    Started,
    /// It already ran this render (or revision): nothing registered or updated.
    AlreadyLive,
    RolledBack,
    /// Rolled back because another target of its wave failed.
    RolledBackWithWave,
    Failed,
    TimedOut,
    /// Its wave never started: an earlier wave failed.
    NotStarted,
    /// Not started: another target of its wave failed first.
    Skipped,
}

impl Result {
    pub fn word(self) -> &'static str {
        match self {
            Result::Deployed => "deployed",
            Result::Stable => "stable",
            Result::Paused => "paused",
            Result::Started => "started",
            Result::AlreadyLive => "already live",
            Result::RolledBack => "rolled back",
            Result::RolledBackWithWave => "rolled back with its wave",
            Result::Failed => "failed",
            Result::TimedOut => "timed out",
            Result::NotStarted => "not started",
            Result::Skipped => "skipped",
        }
    }
}

/// One target's report.
pub struct Report {
    pub label: String,
    pub wave: String,
    pub target: Target,
    pub result: Result,
    pub verdict: Verdict,
    pub message: String,
    /// The revision the service was set to (or already ran).
    pub revision: Option<Revision>,
    /// What it ran before.
    pub previous: Option<Revision>,
    /// The template the revision was rendered from.
    pub template: Option<String>,
    /// This target registered the revision (other targets share it).
    pub registered: bool,
    pub deployment: Option<String>,
    pub followed: Option<Followed>,
    pub duration: Duration,
}

impl Report {
    fn unstarted(target: &FleetTarget, wave: &str, result: Result, message: &str) -> Report {
        Report {
            label: target.label.clone(),
            wave: wave.to_string(),
            target: target.target.clone(),
            result,
            verdict: Verdict::Success,
            message: message.to_string(),
            revision: None,
            previous: None,
            template: None,
            registered: false,
            deployment: None,
            followed: None,
            duration: Duration::ZERO,
        }
    }

    fn failed(target: &FleetTarget, wave: &str, failure: RolloutError, since: Instant) -> Report {
        let message = failure.to_string();
        Report {
            verdict: failure.verdict(),
            duration: since.elapsed(),
            ..Report::unstarted(target, wave, Result::Failed, &message)
        }
    }

    pub fn succeeded(&self) -> bool {
        self.verdict == Verdict::Success
    }
}

/// The worst verdict of the reports (see [`Verdict::severity`]).
pub fn worst(reports: &[Report]) -> Verdict {
    reports
        .iter()
        .map(|r| r.verdict)
        .max_by_key(|verdict| verdict.severity())
        .unwrap_or(Verdict::Success)
}

/// Registrations shared by targets of the same account and Region with the same render.
#[derive(Default)]
pub(crate) struct Registrations {
    cells: Cells<Revision>,
}

impl Registrations {
    /// The revision for `request` in `ecs`'s account and Region, registered (or reused) by the
    /// first target that asks; returns it and whether this caller registered it.
    pub(crate) async fn get<F, Fut>(
        &self,
        ecs: &Ecs,
        request: &Map<String, Json>,
        register: F,
    ) -> std::result::Result<(Revision, bool), RolloutError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = std::result::Result<(Revision, bool), RolloutError>>,
    {
        let tags = request
            .get("tags")
            .and_then(Json::as_array)
            .map(|tags| crate::aws::tags_from_json(tags))
            .unwrap_or_default();
        let key = format!(
            "{}\n{}\n{tags:?}",
            ecs.place(),
            taskdef::definition_digest(request)
        );
        let cell = cell(&self.cells, &key);
        let mut mine = false;
        let revision = cell
            .get_or_try_init(|| async {
                let (revision, registered) = register().await?;
                mine = registered;
                Ok::<_, RolloutError>(revision)
            })
            .await?
            .clone();
        Ok((revision, mine))
    }
}

/// Where each target reports as it goes: the front end makes one observer a target.
pub trait Observers: Sync {
    fn observer(&self, target: &FleetTarget) -> Box<dyn Observer>;
    /// A wave starts (or does not).
    fn wave(&self, name: &str, line: &str);
}

/// Check what every rendered revision needs at run time before the first wave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verification {
    /// A reference the credentials may not check fails it too.
    pub strict: bool,
}

/// Runs the waves in order; returns a report for every target of every wave, in file order.
/// With `verification`, a target whose revision misses something it needs at run time stops
/// the fleet before any wave starts.
pub async fn run(
    waves: Vec<Wave>,
    on_failure: OnFailure,
    verification: Option<Verification>,
    observers: &dyn Observers,
) -> Vec<Report> {
    if let Some(verification) = verification
        && let Some(reports) = verify_all(&waves, verification, observers).await
    {
        return reports;
    }
    let registrations = Registrations::default();
    let mut reports: Vec<Report> = Vec::new();
    let mut stopped: Option<String> = None;
    for wave in &waves {
        if let Some(why) = &stopped {
            observers.wave(
                &wave.name,
                &format!("wave {:?} not started: {why}", wave.name),
            );
            reports.extend(wave.targets.iter().map(|t| {
                Report::unstarted(
                    t,
                    &wave.name,
                    Result::NotStarted,
                    &format!("not started: {why}"),
                )
            }));
            continue;
        }
        observers.wave(
            &wave.name,
            &format!(
                "wave {:?}: {} target{}{}",
                wave.name,
                wave.targets.len(),
                if wave.targets.len() == 1 { "" } else { "s" },
                wave.max_parallel
                    .filter(|n| *n < wave.targets.len())
                    .map(|n| format!(", {n} at a time"))
                    .unwrap_or_default()
            ),
        );
        let wave_reports = run_wave(wave, on_failure, &registrations, observers).await;
        let failed: Vec<&Report> = wave_reports.iter().filter(|r| !r.succeeded()).collect();
        if !failed.is_empty() {
            stopped = Some(format!(
                "wave {:?} failed ({})",
                wave.name,
                failed
                    .iter()
                    .map(|r| format!("{}: {}", r.label, r.result.word()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        reports.extend(wave_reports);
    }
    reports
}

/// Renders every target that renders and checks what its revision needs in the target's own
/// account and Region, all targets at once, before anything is registered. Targets with the
/// same place and render are checked once. None: every check passed; else a report for every
/// target (those that failed, and the others not started).
async fn verify_all(
    waves: &[Wave],
    verification: Verification,
    observers: &dyn Observers,
) -> Option<Vec<Report>> {
    let checked: Cells<Vec<Finding>> = Cells::default();
    let checked = &checked;
    let checks = waves.iter().flat_map(|wave| {
        wave.targets.iter().map(move |target| async move {
            let Action::Render(input) = &target.what else {
                return None;
            };
            let since = Instant::now();
            let mut observer = observers.observer(target);
            let outcome = verify_target(target, input, verification, checked).await;
            match outcome {
                Ok(count) => {
                    observer.line(&format!("verified {count} run-time references"));
                    None
                }
                Err(failure) => Some(Report::failed(target, &wave.name, failure, since)),
            }
        })
    });
    let failed: Vec<Option<Report>> = join_all(checks).await;
    if failed.iter().all(Option::is_none) {
        return None;
    }
    let why = format!(
        "verification failed ({})",
        failed
            .iter()
            .flatten()
            .map(|r| r.label.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut failed = failed.into_iter();
    let reports = waves
        .iter()
        .flat_map(|wave| wave.targets.iter().map(move |target| (wave, target)))
        .map(|(wave, target)| {
            failed.next().flatten().unwrap_or_else(|| {
                Report::unstarted(
                    target,
                    &wave.name,
                    Result::NotStarted,
                    &format!("not started: {why}"),
                )
            })
        })
        .collect();
    Some(reports)
}

/// The number of run-time references the target's revision has, all there; else why not.
async fn verify_target(
    target: &FleetTarget,
    input: &RenderInput,
    verification: Verification,
    checked: &Cells<Vec<Finding>>,
) -> std::result::Result<usize, RolloutError> {
    let ecs = &target.ecs;
    let rendered = crate::rollout::render_request(ecs, input).await?;
    // Only a revision that would be registered needs checking: not the placeholder.
    crate::rollout::refuse_template_images(&rendered)?;
    let key = format!(
        "{}\n{}",
        ecs.place(),
        taskdef::definition_digest(&rendered.request)
    );
    let cell = cell(checked, &key);
    let findings = cell
        .get_or_try_init(|| async {
            let verifier = ecs.verifier().ok_or_else(|| {
                refused("verification needs the AWS settings of a connected client")
            })?;
            crate::rollout::verify::verify(&verifier, &rendered.request).await
        })
        .await?;
    match crate::rollout::verify::failure_message(
        findings,
        verification.strict,
        "nothing was registered in any account or Region",
    ) {
        None => Ok(findings.len()),
        Some(message) => Err(refused(message)),
    }
}

async fn run_wave(
    wave: &Wave,
    on_failure: OnFailure,
    registrations: &Registrations,
    observers: &dyn Observers,
) -> Vec<Report> {
    let permits = Semaphore::new(wave.max_parallel.unwrap_or(wave.targets.len()).max(1));
    let failed = CancellationToken::new();
    let runs = wave.targets.iter().map(|target| {
        let permits = &permits;
        let failed = &failed;
        async move {
            let Ok(_permit) = permits.acquire().await else {
                return (
                    Report::unstarted(target, &wave.name, Result::Skipped, "skipped"),
                    None,
                );
            };
            // After a failure no more targets of the wave start, whatever --on-failure says.
            if failed.is_cancelled() {
                return (
                    Report::unstarted(
                        target,
                        &wave.name,
                        Result::Skipped,
                        "not started: another target of its wave failed",
                    ),
                    None,
                );
            }
            let mut observer = observers.observer(target);
            let (report, ongoing) = run_target(
                target,
                &wave.name,
                registrations,
                failed,
                on_failure,
                observer.as_mut(),
            )
            .await;
            if !report.succeeded() {
                failed.cancel();
            }
            (report, ongoing)
        }
    });
    let mut finished = join_all(runs).await;
    if on_failure == OnFailure::RollbackWave && failed.is_cancelled() {
        let rollbacks = finished.iter_mut().map(|(report, ongoing)| {
            let target = wave.targets.iter().find(|t| t.label == report.label);
            async move {
                if let Some(target) = target {
                    let mut observer = observers.observer(target);
                    roll_back_with_wave(target, report, ongoing.take(), observer.as_mut()).await;
                }
            }
        });
        join_all(rollbacks).await;
    }
    finished.into_iter().map(|(report, _)| report).collect()
}

/// A deployment a target left running when its wave failed (to stop with a rollback).
struct Ongoing {
    deployment: Option<String>,
    task_definition_arn: String,
    since: f64,
}

async fn run_target(
    target: &FleetTarget,
    wave: &str,
    registrations: &Registrations,
    failed: &CancellationToken,
    on_failure: OnFailure,
    observer: &mut dyn Observer,
) -> (Report, Option<Ongoing>) {
    let since = Instant::now();
    let ecs = &target.ecs;
    // What the service gets: (previous, revision, template, registered, already live, expect).
    let prepared = async {
        // Rendering reads what is live itself.
        let live = match &target.what {
            Action::Render(_) => None,
            _ => {
                let live = live(ecs, &target.target).await?;
                refuse_other_controllers(&live.service)?;
                Some(live)
            }
        };
        match (&target.what, live) {
            (Action::Render(input), _) => {
                let rendered = crate::rollout::render_request(ecs, input).await?;
                let started = launch_with(ecs, rendered, &target.target, observer, Some(registrations)).await?;
                Ok::<_, RolloutError>(Prepared {
                    previous: started.rendered.live.revision.clone(),
                    template: Some(started.rendered.template.family_revision()),
                    revision: started.registered,
                    registered: started.registered_now,
                    already_live: started.already_live,
                    deployment: started.deployment,
                    since: started.since,
                    expect: Expect::Deployed,
                })
            }
            (Action::Revision { id, allow_template }, Some(live)) => {
                let revision = ecs
                    .describe_task_definition(id)
                    .await?
                    .ok_or_else(|| refused(format!("there is no task definition {id} in this account and Region")))?;
                if !revision.is_active() {
                    return Err(refused(format!(
                        "{} is INACTIVE (deregistered): ECS cannot point a service at it; nothing was changed",
                        revision.family_revision()
                    )));
                }
                if revision.is_template() && !allow_template {
                    return Err(refused(format!(
                        "{} is a template revision: its containers run the template's own images; nothing was changed",
                        revision.family_revision()
                    )));
                }
                point(ecs, target, live, revision, Expect::Deployed, observer).await
            }
            (Action::Rollback, Some(live)) => {
                let Some(before) = crate::rollout::rollback::ran_before(ecs, &target.target, &live).await? else {
                    return Err(refused(format!(
                        "cannot tell which revision it ran before {}: ECS records no successful deployment of it with a revision before; nothing was changed",
                        live.revision.family_revision()
                    )));
                };
                let revision = ecs
                    .describe_task_definition(&before)
                    .await?
                    .ok_or_else(|| refused(format!("there is no task definition {before}")))?;
                if let Some(why) = crate::rollout::rollback::unusual_destination(&live.revision, &revision) {
                    return Err(refused(format!("{why}; nothing was changed")));
                }
                point(ecs, target, live, revision, Expect::Deployed, observer).await
            }
            (_, None) => Err(refused("the service was not read")),
        }
    }
    .await;
    let prepared = match prepared {
        Ok(prepared) => prepared,
        Err(failure) => return (Report::failed(target, wave, failure, since), None),
    };
    let mut report = Report {
        label: target.label.clone(),
        wave: wave.to_string(),
        target: target.target.clone(),
        result: Result::AlreadyLive,
        verdict: Verdict::Success,
        message: String::new(),
        revision: Some(prepared.revision.clone()),
        previous: Some(prepared.previous.clone()),
        template: prepared.template.clone(),
        registered: prepared.registered,
        deployment: prepared.deployment.clone(),
        followed: None,
        duration: Duration::ZERO,
    };
    let arn = prepared.revision.arn().to_string();
    let Some(wait) = target.wait else {
        report.result = if prepared.already_live {
            Result::AlreadyLive
        } else {
            Result::Started
        };
        report.message = format!(
            "{}: {}",
            prepared.revision.family_revision(),
            report.result.word()
        );
        report.duration = since.elapsed();
        return (report, None);
    };
    // A deployment of this revision started before (a re-run) is followed; else nothing to do.
    let deployment = if prepared.already_live {
        match ecs
            .ongoing_deployment(&target.target.cluster, &target.target.service)
            .await
        {
            Ok(Some(ongoing)) => Some(Some(ongoing.arn)),
            Ok(None) => None,
            Err(err) if err.is_unknown_operation() => None,
            Err(err) => return (Report::failed(target, wave, err.into(), since), None),
        }
    } else {
        Some(prepared.deployment.clone())
    };
    let Some(deployment) = deployment else {
        report.message = format!(
            "{} is already live: nothing registered, the service not updated",
            prepared.revision.family_revision()
        );
        report.duration = since.elapsed();
        return (report, None);
    };
    let subject = follow::Subject {
        deployment: deployment.clone(),
        task_definition_arn: &arn,
        since: prepared.since,
    };
    let following = follow::follow(
        ecs,
        &target.target,
        subject,
        &wait,
        prepared.expect,
        observer,
    );
    let followed = if on_failure == OnFailure::RollbackWave {
        tokio::select! {
            followed = following => followed,
            () = failed.cancelled() => {
                observer.finish_progress();
                report.result = Result::Skipped;
                report.message = "stopped following: another target of its wave failed".into();
                report.duration = since.elapsed();
                return (report, Some(Ongoing { deployment, task_definition_arn: arn, since: prepared.since }));
            }
        }
    } else {
        following.await
    };
    let followed = match followed {
        Ok(followed) => followed,
        Err(failure) => {
            return (
                Report {
                    revision: report.revision,
                    previous: report.previous,
                    template: report.template,
                    registered: report.registered,
                    deployment: report.deployment,
                    ..Report::failed(target, wave, failure, since)
                },
                None,
            );
        }
    };
    report.verdict = followed.verdict;
    let rollback = matches!(target.what, Action::Rollback);
    report.result = match followed.verdict {
        Verdict::Success if prepared.already_live && followed.deployment.is_none() => {
            Result::AlreadyLive
        }
        Verdict::Success if rollback && !followed.paused() => Result::RolledBack,
        Verdict::Success if followed.paused() => Result::Paused,
        Verdict::Success if !followed.complete => Result::Stable,
        Verdict::Success => Result::Deployed,
        Verdict::TimedOut => Result::TimedOut,
        _ => Result::Failed,
    };
    report.message = format!(
        "{}: {}",
        prepared.revision.family_revision(),
        followed.message
    );
    report.deployment = followed
        .deployment
        .as_ref()
        .map(|d| d.arn.clone())
        .or(report.deployment);
    report.followed = Some(followed);
    report.duration = since.elapsed();
    (report, None)
}

struct Prepared {
    previous: Revision,
    revision: Revision,
    template: Option<String>,
    registered: bool,
    already_live: bool,
    deployment: Option<String>,
    since: f64,
    expect: Expect,
}

/// Points the service at an existing revision (or finds it already there).
async fn point(
    ecs: &Ecs,
    target: &FleetTarget,
    live: crate::rollout::Live,
    revision: Revision,
    expect: Expect,
    observer: &mut dyn Observer,
) -> std::result::Result<Prepared, RolloutError> {
    let template = revision.rendered_from();
    if live.revision.arn() == revision.arn() {
        observer.line(&format!(
            "{} is already live; the service not updated",
            revision.family_revision()
        ));
        return Ok(Prepared {
            previous: live.revision,
            revision,
            template,
            registered: false,
            already_live: true,
            deployment: None,
            since: follow::epoch_now(),
            expect,
        });
    }
    let since = follow::epoch_now();
    let deployment = point_service_at(ecs, &live.service, &target.target, &revision).await?;
    observer.line(&format!(
        "service {} now set to {}{}",
        target.target.service,
        revision.family_revision(),
        deployment
            .as_deref()
            .map(|d| format!(" (deployment {d})"))
            .unwrap_or_default()
    ));
    observer.service_updated(&target.target.service, &revision);
    Ok(Prepared {
        previous: live.revision,
        revision,
        template,
        registered: false,
        already_live: false,
        deployment,
        since,
        expect,
    })
}

/// After another target of the wave failed: a deployment still running is stopped with a
/// rollback; a service this command moved (and that got there) is pointed back.
async fn roll_back_with_wave(
    target: &FleetTarget,
    report: &mut Report,
    ongoing: Option<Ongoing>,
    observer: &mut dyn Observer,
) {
    let ecs = &target.ecs;
    let wait = target.wait.unwrap_or_default();
    let since = Instant::now();
    let outcome = if let Some(ongoing) = ongoing {
        let arn = match ongoing.deployment {
            Some(arn) => Some(arn),
            None => ecs
                .deployment_running(
                    &target.target.cluster,
                    &target.target.service,
                    &ongoing.task_definition_arn,
                    ongoing.since - 60.0,
                )
                .await
                .ok()
                .flatten(),
        };
        let Some(arn) = arn else {
            report.message = "its deployment could not be found to stop: it goes on in ECS".into();
            return;
        };
        async {
            ecs.stop_service_deployment(&arn).await?;
            observer.line(&format!(
                "stopping deployment {arn} with a rollback: another target of its wave failed"
            ));
            let subject = follow::Subject {
                deployment: Some(arn.clone()),
                task_definition_arn: "",
                since: follow::epoch_now(),
            };
            follow::follow(
                ecs,
                &target.target,
                subject,
                &wait,
                Expect::RolledBack,
                observer,
            )
            .await
        }
        .await
    } else if report.succeeded()
        && report.result != Result::AlreadyLive
        && report.result != Result::Skipped
    {
        let (Some(previous), Some(_)) = (report.previous.clone(), report.revision.as_ref()) else {
            return;
        };
        async {
            let live = live(ecs, &target.target).await?;
            let since = follow::epoch_now();
            let deployment =
                point_service_at(ecs, &live.service, &target.target, &previous).await?;
            observer.line(&format!(
                "service {} set back to {}: another target of its wave failed",
                target.target.service,
                previous.family_revision()
            ));
            let subject = follow::Subject {
                deployment,
                task_definition_arn: previous.arn(),
                since,
            };
            follow::follow(
                ecs,
                &target.target,
                subject,
                &wait,
                Expect::Deployed,
                observer,
            )
            .await
        }
        .await
    } else {
        return;
    };
    match outcome {
        Ok(followed) if followed.verdict == Verdict::Success => {
            report.result = Result::RolledBackWithWave;
            report.message = format!("rolled back with its wave: {}", followed.message);
        }
        Ok(followed) => {
            report.verdict = followed.verdict;
            report.result = Result::Failed;
            report.message = format!("rolling back with its wave failed: {}", followed.message);
        }
        Err(failure) => {
            report.verdict = failure.verdict();
            report.result = Result::Failed;
            report.message = format!("rolling back with its wave failed: {failure}");
        }
    }
    report.duration += since.elapsed();
}
