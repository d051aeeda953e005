//! The subcommands. Decisions are the domain's (render, images, overlay, drift) and the
//! adapter's (rollout status); this module sequences the calls and reports.

use serde_json::{Map, Value as Json, json};

use crate::aws::{self, Ecs, Revision};
use crate::cli::report::{self, ExitCode, Progress, err, out};
pub(crate) use crate::cli::report::{Failure, bad};
use crate::cli::{
    ContinueArgs, DeployArgs, DiffArgs, Output, RenderArgs, RollbackArgs, ServiceArgs, StatusArgs,
    VerifyArgs, VerifyMode,
};
use crate::rollout::follow::{self, Expect, Followed};
use crate::rollout::verify::Finding;
pub(crate) use crate::rollout::{
    Live, Rendered, Verdict, latest_template, refuse_other_controllers, template_family,
};
use crate::taskdef;

/// What `--image` and `--overlay` ask for, checked before any ECS call: bad input is exit 2
/// without a single call. `allow_template_images`: `--allow-template-images`.
pub(crate) fn render_input(
    args: &RenderArgs,
    allow_template_images: bool,
) -> Result<crate::rollout::RenderInput, Failure> {
    let images = args.image_overrides().map_err(bad)?;
    let overlay = match &args.overlay {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|err| bad(format!("--overlay {}: {err}", path.display())))?;
            let overlay: Json = serde_json::from_str(&text)
                .map_err(|err| bad(format!("--overlay {}: invalid JSON: {err}", path.display())))?;
            Some((format!("--overlay {}", path.display()), overlay))
        }
        None => None,
    };
    Ok(crate::rollout::RenderInput {
        target: args.target.target(),
        template: args.template.clone(),
        family: args.family.clone(),
        images,
        overlay,
        allow_template_images,
    })
}

pub(crate) async fn render_request(ecs: &Ecs, args: &RenderArgs) -> Result<Rendered, Failure> {
    let rendered = crate::rollout::render_request(ecs, &render_input(args, true)?).await?;
    for warning in &rendered.warnings {
        err(format!("ecstpl: warning: {warning}"));
    }
    Ok(rendered)
}

pub(crate) async fn live(ecs: &Ecs, target: &ServiceArgs) -> Result<Live, Failure> {
    Ok(crate::rollout::live(ecs, &target.target()).await?)
}

pub(crate) fn finish(result: Result<ExitCode, Failure>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(Failure(code, message)) => report::fail(code, &message),
    }
}

pub(crate) async fn render(ecs: &Ecs, args: &RenderArgs) -> ExitCode {
    finish(
        async {
            let rendered = render_request(ecs, args).await?;
            let text = serde_json::to_string_pretty(&Json::Object(rendered.request))
                .map_err(|problem| bad(problem.to_string()))?;
            out(text);
            Ok(ExitCode::Success)
        }
        .await,
    )
}

/// A definition as ECS means it, as people read it: the canonical form (read-only fields,
/// ownership and everything ECS fills in aside; containers by name), keys sorted. Two
/// definitions that differ only in what ECS rewrites print the same.
fn comparable_text(definition: &Map<String, Json>) -> String {
    let canonical = Json::Object(taskdef::normalize_task_definition(definition));
    serde_json::to_string_pretty(&taskdef::sort_keys(&canonical)).unwrap_or_default()
}

/// The unified diff from the live revision to what was rendered; None when they are
/// equivalent.
pub(crate) fn diff_text(rendered: &Rendered) -> Option<String> {
    if taskdef::task_definitions_equivalent(
        &rendered.live.revision.task_definition,
        &rendered.request,
    ) {
        return None;
    }
    let live = comparable_text(&rendered.live.revision.task_definition);
    let next = comparable_text(&rendered.request);
    let diff = similar::TextDiff::from_lines(&live, &next);
    Some(
        diff.unified_diff()
            .context_radius(3)
            .header(
                &format!("live {}", rendered.live.revision.family_revision()),
                &format!("rendered from {}", rendered.template.family_revision()),
            )
            .to_string(),
    )
}

pub(crate) async fn diff(ecs: &Ecs, args: &DiffArgs) -> ExitCode {
    finish(
        async {
            let rendered = render_request(ecs, &args.render).await?;
            let Some(text) = diff_text(&rendered) else {
                out(format!(
                    "No changes: deploy would register a revision equivalent to {}.",
                    rendered.live.revision.family_revision()
                ));
                return Ok(ExitCode::Success);
            };
            report::out_text(&text);
            Ok(if args.exit_code {
                ExitCode::Differs
            } else {
                ExitCode::Success
            })
        }
        .await,
    )
}

/// ecstpl drives deployments of the ECS deployment controller only; what to do otherwise.
/// The deployment result fields `--output json` prints and the step summary shows.
fn deployment_fields(followed: &Followed, started: Option<&str>) -> Json {
    let mut fields = followed.json();
    if fields["service_deployment_arn"].is_null()
        && let Some(arn) = started
    {
        fields["service_deployment_arn"] = Json::from(arn);
    }
    fields
}

/// What a deploy's result says it did, agreeing with its exit code.
fn deploy_result(
    code: ExitCode,
    already_live: bool,
    no_wait: bool,
    followed: &Followed,
) -> &'static str {
    match code {
        ExitCode::Success if already_live && (no_wait || followed.deployment.is_none()) => {
            "already live"
        }
        ExitCode::Success if no_wait => "started",
        ExitCode::Success if followed.paused() => "paused",
        ExitCode::Success if !followed.complete => "stable",
        ExitCode::Success => "deployed",
        ExitCode::Timeout => "timed out",
        _ => "failed",
    }
}

pub(crate) fn summary_title(result: &str) -> String {
    let mark = match result {
        "deployed" | "stable" | "already live" | "rolled back" | "continued" => "✅",
        "started" => "▶️",
        "paused" => "⏸️",
        "timed out" => "⏱️",
        _ => "❌",
    };
    format!("{mark} {result}")
}

/// The findings of checking what `definition` needs at run time, and the failure when
/// anything is missing (or, `strict`, not checked).
async fn verified(
    ecs: &Ecs,
    definition: &Map<String, Json>,
    strict: bool,
) -> Result<(Vec<Finding>, Option<Failure>), Failure> {
    let verifier = ecs.verifier().ok_or_else(|| {
        Failure(
            ExitCode::Aws,
            "verification needs the AWS settings of a connected client".into(),
        )
    })?;
    let findings = crate::rollout::verify::verify(&verifier, definition).await?;
    let failure =
        crate::rollout::verify::failure_message(&findings, strict, "nothing was registered")
            .map(bad);
    Ok((findings, failure))
}

pub(crate) async fn verify(ecs: &Ecs, args: &VerifyArgs) -> ExitCode {
    finish(
        async {
            let rendered = render_request(ecs, &args.render).await?;
            let (findings, failure) = verified(ecs, &rendered.request, args.strict).await?;
            let code = failure.as_ref().map_or(ExitCode::Success, |f| f.0);
            let count = |status: fn(&aws::Check) -> bool| {
                findings.iter().filter(|f| status(&f.check)).count()
            };
            let message = format!(
                "{} references: {} found, {} missing, {} not checked",
                findings.len(),
                count(|c| matches!(c, aws::Check::Found(_))),
                count(|c| matches!(c, aws::Check::Missing(_))),
                count(|c| matches!(c, aws::Check::NotChecked(_))),
            );
            match args.output {
                Output::Json => out(json!({
                    "result": if code == ExitCode::Success { "verified" } else { "failed" },
                    "exit_code": code.code(),
                    "message": message,
                    "findings": findings.iter().map(Finding::json).collect::<Vec<_>>(),
                })),
                Output::Text => {
                    for finding in &findings {
                        out(finding.line());
                    }
                    out(&message);
                }
            }
            if let Some(Failure(_, why)) = &failure {
                err(format!("ecstpl: error: {why}"));
            }
            Ok(code)
        }
        .await,
    )
}

/// The CLI's single-service observer, for the fleet engine run over one target.
struct OneService;

impl crate::rollout::fleet::Observers for OneService {
    fn observer(
        &self,
        _target: &crate::rollout::fleet::FleetTarget,
    ) -> Box<dyn crate::rollout::Observer> {
        Box::new(Progress::new())
    }
    fn wave(&self, _name: &str, _line: &str) {}
}

/// `deploy --revision`: an existing revision as it is, nothing rendered or registered.
async fn deploy_revision(ecs: &Ecs, args: &DeployArgs, id: &str) -> ExitCode {
    use crate::rollout::fleet;
    let target = &args.render.target;
    let wave = fleet::Wave {
        name: "deploy".into(),
        max_parallel: None,
        targets: vec![fleet::FleetTarget {
            label: format!("{}/{}", target.cluster(), target.service()),
            ecs: ecs.clone(),
            target: target.target(),
            wait: (!args.wait.no_wait).then(|| args.wait.wait()),
            what: fleet::Action::Revision {
                id: id.to_string(),
                allow_template: args.allow_template_images,
            },
        }],
    };
    let reports = fleet::run(vec![wave], fleet::OnFailure::Stop, None, &OneService).await;
    let Some(done) = reports.first() else {
        return report::fail(ExitCode::Aws, "the deploy ended without a result");
    };
    let code = ExitCode::from(done.verdict);
    let revision = done.revision.as_ref();
    let mut result = json!({
        "result": done.result.word(),
        "exit_code": code.code(),
        "message": done.message,
        "cluster": target.cluster(), "service": target.service(),
        "task_definition_arn": revision.map(Revision::arn),
        "previous_task_definition_arn": done.previous.as_ref().map(Revision::arn),
        "template": done.template,
        "images": revision.map(|r| taskdef::images(&r.task_definition)),
    });
    let why = match &done.followed {
        Some(followed) => {
            merge(
                &mut result,
                deployment_fields(followed, done.deployment.as_deref()),
            );
            followed.why_lines()
        }
        None => Vec::new(),
    };
    report::result(args.wait.output, &result, code, &why);
    report::step_summary(&format!(
        "### ecstpl deploy: {}\n\n| | |\n|---|---|\n| service | `{}/{}` |\n| revision | `{}` |\n| result | {} |\n",
        summary_title(done.result.word()),
        target.cluster(),
        target.service(),
        revision.map(Revision::family_revision).unwrap_or_default(),
        done.message,
    ));
    code
}

pub(crate) async fn deploy(ecs: &Ecs, args: &DeployArgs) -> ExitCode {
    if let Some(id) = &args.revision {
        return deploy_revision(ecs, args, id).await;
    }
    finish(async {
        let input = render_input(&args.render, args.allow_template_images)?;
        let mut progress = Progress::new();
        let rendered = crate::rollout::render_request(ecs, &input).await?;
        if let Some(mode) = args.verify {
            // Only a revision that would be registered needs checking: not the placeholder.
            crate::rollout::refuse_template_images(&rendered)?;
            let (findings, failure) = verified(ecs, &rendered.request, mode == VerifyMode::Strict).await?;
            if let Some(failure) = failure {
                return Err(failure);
            }
            progress.note(&format!("verified {} run-time references of the revision", findings.len()));
        }
        let crate::rollout::Started { rendered, registered, already_live, deployment: started, since, .. } =
            crate::rollout::launch(ecs, rendered, &input.target, &mut progress).await?;
        let target = &args.render.target;
        let arn = registered.arn().to_string();
        let followed = if args.wait.no_wait {
            Followed::new(Verdict::Success, if already_live { "already live" } else { "not waiting (--no-wait)" })
        } else if already_live {
            // A deploy of this render that did not wait may still be under way: follow it.
            match ongoing(ecs, target).await? {
                Some(deployment) => {
                    follow::follow(ecs, &target.target(), follow::Subject { deployment: Some(deployment.arn), task_definition_arn: &arn, since }, &args.wait.wait(), Expect::Deployed, &mut progress).await?
                }
                None => Followed { complete: true, ..Followed::new(Verdict::Success, "already live") },
            }
        } else {
            follow::follow(ecs, &target.target(), follow::Subject { deployment: started.clone(), task_definition_arn: &arn, since }, &args.wait.wait(), Expect::Deployed, &mut progress).await?
        };
        let code = ExitCode::from(followed.verdict);
        if let Some(keep) = args.prune_keep {
            if code == ExitCode::Success && followed.complete {
                prune(ecs, target, &rendered.live, &registered, keep).await?;
            } else if code == ExitCode::Success {
                progress.note("not pruned: the deployment has not finished (prune runs after a deployment that ended SUCCESSFUL)");
            }
        }
        let images = taskdef::images(&registered.task_definition);
        let message = &followed.message;
        let outcome = deploy_result(code, already_live, args.wait.no_wait, &followed);
        let mut result = json!({
            "result": outcome,
            "exit_code": code.code(),
            "message": format!("{}: {message}", registered.family_revision()),
            "cluster": target.cluster(), "service": target.service(),
            "task_definition_arn": arn,
            "previous_task_definition_arn": rendered.live.revision.arn(),
            "template": rendered.template.family_revision(),
            "images": images,
        });
        merge(&mut result, deployment_fields(&followed, started.as_deref()));
        report::result(args.wait.output, &result, code, &followed.why_lines());
        report::step_summary(&format!(
            "### ecstpl deploy: {}\n\n| | |\n|---|---|\n| service | `{}/{}` |\n| revision | `{}` |\n| template | `{}` |\n| images | {} |\n{}| result | {message} |\n",
            summary_title(outcome),
            target.cluster(), target.service(), registered.family_revision(), rendered.template.family_revision(),
            images.iter().map(|(c, i)| format!("`{c}`=`{i}`")).collect::<Vec<_>>().join(", "),
            followed.summary_rows(),
        ));
        Ok(code)
    }
    .await)
}

fn merge(into: &mut Json, fields: Json) {
    if let (Some(into), Json::Object(fields)) = (into.as_object_mut(), fields) {
        into.extend(fields);
    }
}

/// Deregisters ecstpl's own deploy-family revisions beyond the newest `keep`: never the live
/// one, never the one that was live before it nor the one a rollback would return to, never
/// one without the `ecstpl:role=deployed` tag.
async fn prune(
    ecs: &Ecs,
    target: &ServiceArgs,
    before: &Live,
    registered: &Revision,
    keep: usize,
) -> Result<(), Failure> {
    let now = live(ecs, target).await?;
    let rollback_target = crate::rollout::rollback::ran_before(ecs, &target.target(), &now).await?;
    let mut protected = vec![before.revision.arn(), now.revision.arn()];
    protected.extend(rollback_target.as_deref());
    let pruned = ecs
        .prune_except(
            registered.family(),
            aws::contract::ROLE_DEPLOYED,
            keep,
            registered.arn(),
            &protected,
        )
        .await?;
    for arn in &pruned.deregistered {
        err(format!("pruned {arn}"));
    }
    if let Some((arn, err)) = pruned.failed.into_iter().next() {
        return Err(Failure(ExitCode::Aws, format!("pruning {arn}: {err}")));
    }
    Ok(())
}

pub(crate) async fn status(ecs: &Ecs, args: &StatusArgs) -> ExitCode {
    finish(async {
        let live = crate::rollout::live_reported(ecs, &args.target.target()).await?;
        let family = template_family(args.template.as_deref(), &live.revision).ok();
        let rendered_from = live.revision.rendered_from();
        let (latest, latest_problem) = match &family {
            Some(family) => match latest_template(ecs, family).await {
                Ok(latest) => (Some(latest), None),
                Err(failure @ crate::rollout::RolloutError::Refused { .. }) => (None, Some(failure.to_string())),
                Err(failure) => return Err(failure.into()),
            },
            None => (None, Some("the live revision names no template (pass --template)".to_string())),
        };
        let in_sync = latest.as_ref().is_some_and(|latest| aws::in_sync(&live.revision, latest));
        let drift = crate::rollout::hand_edits(ecs, &live.revision).await?.unwrap_or_default();
        let rollout = live.service.primary().and_then(|d| d.rollout_state.clone()).unwrap_or_else(|| "UNKNOWN".into());
        let images = taskdef::images(&live.revision.task_definition);
        // The deployment in progress, where the endpoint has the service deployments API.
        let newest = match ecs.newest_deployment(args.target.cluster(), args.target.service()).await {
            Ok(newest) => newest,
            Err(err) if err.is_unknown_operation() => None,
            // What is live is known; the deployments are extra information.
            Err(problem) => {
                err(format!("ecstpl: warning: could not look up the service's deployments: {problem}"));
                None
            }
        };
        let (ongoing, failed) = match newest {
            Some(d) if !d.is_terminal() => (Some(d), None),
            Some(d) if matches!(d.outcome(), aws::Outcome::Failed { .. }) => (None, Some(d)),
            _ => (None, None),
        };
        // The last deployment failed: why, in ECS's words.
        let why = match &failed {
            Some(deployment) => crate::rollout::explain::of_deployment(ecs, &args.target.target(), deployment).await,
            None => None,
        };
        let why_lines = why.as_ref().map(crate::rollout::explain::Explanation::lines).unwrap_or_default();
        let pause = ongoing.as_ref().and_then(|d| d.pause().cloned());
        let result = json!({
            "cluster": args.target.cluster(), "service": args.target.service(),
            "express": live.service.express,
            "live": live.revision.family_revision(), "live_arn": live.revision.arn(),
            "template": rendered_from, "latest_template": latest.as_ref().map(Revision::family_revision),
            "in_sync": in_sync, "images": images, "rollout_state": rollout, "drift": drift,
            "latest_template_problem": latest_problem,
            "deployment": ongoing.as_ref().map(|d| json!({
                "service_deployment_arn": d.arn, "status": d.status, "strategy": d.strategy,
                "lifecycle_stage": d.lifecycle_stage,
                "pause": pause.as_ref().map(|h| json!({"hook_id": h.id, "expires_at": h.expires_at.map(follow::rfc3339), "timeout_action": h.timeout_action})),
            })),
            "failed_deployment": failed.as_ref().map(|d| json!({
                "service_deployment_arn": d.arn, "status": d.status, "cause": d.cause(),
                "why": why.as_ref().map(crate::rollout::explain::Explanation::json),
            })),
        });
        let differs = !in_sync || !drift.is_empty();
        match args.output {
            Output::Json => out(result),
            Output::Text => {
                let line = |text: String| out(text);
                line(format!("service:          {}/{}{}", args.target.cluster(), args.target.service(), if live.service.express { " (Express service)" } else { "" }));
                line(format!("live revision:    {}", live.revision.family_revision()));
                line(format!("rendered from:    {}", rendered_from.as_deref().unwrap_or("(unknown)")));
                line(format!("latest template:  {}", latest.as_ref().map_or_else(|| format!("none: {}", latest_problem.as_deref().unwrap_or("unknown")), Revision::family_revision)));
                let sync = if in_sync {
                    "yes".to_string()
                } else if latest.is_some() {
                    "no: run ecstpl deploy to roll the template out".to_string()
                } else {
                    "unknown: there is no template to compare with".to_string()
                };
                line(format!("in sync:          {sync}"));
                line(format!("rollout:          {rollout}"));
                if let Some(deployment) = &ongoing {
                    line(format!(
                        "deployment:       {} {} {}{}",
                        deployment.strategy,
                        deployment.status,
                        deployment.lifecycle_stage.as_deref().unwrap_or(""),
                        if deployment.arn.is_empty() { String::new() } else { format!(" ({})", deployment.arn) }
                    ));
                }
                if let Some(deployment) = &failed {
                    line(format!(
                        "last deployment:  {} {}: {}",
                        deployment.status,
                        deployment.arn,
                        deployment.cause()
                    ));
                    for why in &why_lines {
                        line(format!("                  {why}"));
                    }
                }
                if let Some(pause) = &pause {
                    line(format!(
                        "paused:           lifecycle hook {}{}; run ecstpl continue (or continue --rollback)",
                        pause.id,
                        pause.expires_at.map(|t| format!(", expires {}", follow::rfc3339(t))).unwrap_or_default()
                    ));
                }
                for (container, image) in &images {
                    line(format!("image:            {container} = {image}"));
                }
                if !drift.is_empty() {
                    line(format!("drift (hand edits): {}", drift.join(", ")));
                }
            }
        }
        if args.exit_code && differs {
            return Ok(ExitCode::Differs);
        }
        Ok(ExitCode::Success)
    }
    .await)
}

/// The deployment in progress, or None (also when the endpoint has no such API).
async fn ongoing(
    ecs: &Ecs,
    target: &ServiceArgs,
) -> Result<Option<aws::ServiceDeployment>, Failure> {
    match ecs
        .ongoing_deployment(target.cluster(), target.service())
        .await
    {
        Ok(ongoing) => Ok(ongoing),
        Err(err) if err.is_unknown_operation() => Ok(None),
        Err(err) => Err(err.into()),
    }
}

pub(crate) async fn rollback(ecs: &Ecs, args: &RollbackArgs) -> ExitCode {
    finish(
        async {
            let live = live(ecs, &args.target).await?;
            refuse_other_controllers(&live.service)?;
            // A deployment in progress is stopped with a rollback (unless --to names a revision).
            if args.to.is_none()
                && let Some(deployment) = ongoing(ecs, &args.target).await?
            {
                if !deployment.status.starts_with("ROLLBACK") {
                    ecs.stop_service_deployment(&deployment.arn).await?;
                    report::did(format!(
                        "asked ECS to roll back deployment {}",
                        deployment.arn
                    ));
                }
                err(format!(
                    "stopping deployment {} with a rollback",
                    deployment.arn
                ));
                let followed = if args.wait.no_wait {
                    Followed::new(Verdict::Success, "not waiting (--no-wait)")
                } else {
                    follow::follow(
                        ecs,
                        &args.target.target(),
                        follow::Subject {
                            deployment: Some(deployment.arn.clone()),
                            task_definition_arn: "",
                            since: follow::epoch_now(),
                        },
                        &args.wait.wait(),
                        Expect::RolledBack,
                        &mut Progress::new(),
                    )
                    .await?
                };
                return Ok(rollback_result(
                    args,
                    &followed,
                    Some(&deployment.arn),
                    None,
                    &live,
                ));
            }
            let destination = rollback_destination(ecs, args, &live).await?;
            let target_arn = destination.arn().to_string();
            let since = follow::epoch_now();
            let started = crate::rollout::point_service_at(
                ecs,
                &live.service,
                &args.target.target(),
                &destination,
            )
            .await?;
            err(format!(
                "service {} set back to {target_arn}",
                args.target.service()
            ));
            report::did(format!(
                "service {} set back to {target_arn}",
                args.target.service()
            ));
            let followed = if args.wait.no_wait {
                Followed::new(Verdict::Success, "not waiting (--no-wait)")
            } else {
                follow::follow(
                    ecs,
                    &args.target.target(),
                    follow::Subject {
                        deployment: started.clone(),
                        task_definition_arn: &target_arn,
                        since,
                    },
                    &args.wait.wait(),
                    Expect::Deployed,
                    &mut Progress::new(),
                )
                .await?
            };
            Ok(rollback_result(
                args,
                &followed,
                started.as_deref(),
                Some(&target_arn),
                &live,
            ))
        }
        .await,
    )
}

/// The revision to go back to: `--to`, else the one the service ran before its live revision
/// (never merely the previous number: that may be a one-off task's revision that never
/// served). Another family or a template revision only with `--force`.
async fn rollback_destination(
    ecs: &Ecs,
    args: &RollbackArgs,
    live: &Live,
) -> Result<Revision, Failure> {
    let (id, asked) = match &args.to {
        Some(to) => {
            let id = if to.chars().all(|c| c.is_ascii_digit()) {
                format!("{}:{to}", live.revision.family())
            } else {
                to.clone()
            };
            (id, format!("--to {to}"))
        }
        None => {
            let before =
                crate::rollout::rollback::ran_before(ecs, &args.target.target(), live).await?;
            let id = before.ok_or_else(|| {
                bad(format!(
                    "cannot tell which revision service {:?} ran before {}: ECS records no successful deployment of it with a revision before (the service was created on it, or its deployments predate the service deployments history); nothing was changed. Name the revision with --to",
                    args.target.service(),
                    live.revision.family_revision()
                ))
            })?;
            (
                id,
                format!(
                    "the revision service {:?} ran before {}",
                    args.target.service(),
                    live.revision.family_revision()
                ),
            )
        }
    };
    let destination = ecs
        .describe_task_definition(&id)
        .await?
        .ok_or_else(|| bad(format!("{asked}: there is no task definition {id}")))?;
    if !destination.is_active() {
        return Err(bad(format!(
            "{asked}: {} is INACTIVE (deregistered), and ECS cannot point a service at it; nothing was changed",
            destination.family_revision()
        )));
    }
    if destination.arn() == live.revision.arn() {
        return Err(bad(format!(
            "{asked}: the service already runs {}; nothing was changed",
            destination.family_revision()
        )));
    }
    if let Some(why) = crate::rollout::rollback::unusual_destination(&live.revision, &destination)
        && !args.force
    {
        return Err(bad(format!(
            "{asked}: {why}; nothing was changed. Pass --force if that is really what the service should run"
        )));
    }
    Ok(destination)
}

fn rollback_result(
    args: &RollbackArgs,
    followed: &Followed,
    deployment: Option<&str>,
    target_arn: Option<&str>,
    live: &Live,
) -> ExitCode {
    let code = ExitCode::from(followed.verdict);
    let message = &followed.message;
    let what = target_arn.map_or_else(
        || format!("deployment {}", deployment.unwrap_or_default()),
        str::to_string,
    );
    let outcome = match code {
        ExitCode::Success if args.wait.no_wait => "started",
        ExitCode::Success if followed.paused() => "paused",
        ExitCode::Success => "rolled back",
        ExitCode::Timeout => "timed out",
        _ => "failed",
    };
    let mut result = json!({
        "result": outcome,
        "exit_code": code.code(),
        "message": format!("{what}: {message}"),
        "task_definition_arn": target_arn,
        "previous_task_definition_arn": live.revision.arn(),
    });
    merge(&mut result, deployment_fields(followed, deployment));
    report::result(args.wait.output, &result, code, &followed.why_lines());
    report::step_summary(&format!(
        "### ecstpl rollback: {}\n\n| | |\n|---|---|\n| service | `{}/{}` |\n| to | `{what}` |\n{}| result | {message} |\n",
        summary_title(outcome),
        args.target.cluster(),
        args.target.service(),
        followed.summary_rows()
    ));
    code
}

pub(crate) async fn continue_deployment(ecs: &Ecs, args: &ContinueArgs) -> ExitCode {
    finish(
        async {
            let live = live(ecs, &args.target).await?;
            refuse_other_controllers(&live.service)?;
            let deployment = match ecs.ongoing_deployment(args.target.cluster(), args.target.service()).await {
                Ok(Some(deployment)) => deployment,
                Ok(None) => return Err(bad(format!("no deployment of service {:?} is in progress, so none is paused", args.target.service()))),
                Err(err) if err.is_unknown_operation() => {
                    return Err(bad("this ECS endpoint has no service deployments API, so no deployment can be paused"));
                }
                Err(err) => return Err(err.into()),
            };
            let Some(hook) = deployment.pause().cloned() else {
                return Err(bad(format!(
                    "deployment {} is {}{}, not paused at a PAUSE lifecycle hook",
                    deployment.arn,
                    deployment.status,
                    deployment.lifecycle_stage.as_deref().map(|s| format!(" at {s}")).unwrap_or_default()
                )));
            };
            ecs.continue_service_deployment(&deployment.arn, &hook.id, args.rollback).await?;
            report::did(format!(
                "{} deployment {} at hook {}",
                if args.rollback { "rolled back" } else { "continued" },
                deployment.arn,
                hook.id
            ));
            err(format!(
                "{} deployment {} at lifecycle hook {}",
                if args.rollback { "rolling back" } else { "continued" },
                deployment.arn,
                hook.id
            ));
            let expect = if args.rollback { Expect::RolledBack } else { Expect::Deployed };
            let followed = if args.wait.no_wait {
                Followed::new(Verdict::Success, "not waiting (--no-wait)")
            } else {
                follow::follow(
 ecs,
 &args.target.target(), follow::Subject { deployment: Some(deployment.arn.clone()), task_definition_arn: "", since: follow::epoch_now() }, &args.wait.wait(), expect, &mut Progress::new()).await?
            };
            let code = ExitCode::from(followed.verdict);
            let outcome = match code {
                ExitCode::Success if args.wait.no_wait => "started",
                ExitCode::Success if followed.paused() => "paused",
                ExitCode::Success if args.rollback => "rolled back",
                ExitCode::Success => "continued",
                ExitCode::Timeout => "timed out",
                _ => "failed",
            };
            let message = format!("deployment {}: {}", deployment.arn, followed.message);
            let mut result = json!({
                "result": outcome,
                "exit_code": code.code(),
                "message": message,
                "hook_id": hook.id,
            });
            merge(&mut result, deployment_fields(&followed, Some(&deployment.arn)));
            report::result(args.wait.output, &result, code, &followed.why_lines());
            report::step_summary(&format!(
                "### ecstpl continue: {}\n\n| | |\n|---|---|\n| service | `{}/{}` |\n| hook | `{}` ({}) |\n{}| result | {} |\n",
                summary_title(outcome),
                args.target.cluster(),
                args.target.service(),
                hook.id,
                if args.rollback { "rolled back" } else { "continued" },
                followed.summary_rows(),
                followed.message
            ));
            Ok(code)
        }
        .await,
    )
}
