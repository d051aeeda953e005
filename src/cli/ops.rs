//! The subcommands. Decisions are the domain's (render, images, overlay, drift) and the
//! adapter's (rollout status); this module sequences the calls and reports.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json, json};

use crate::aws::{self, Ecs, Revision};
use crate::cli::report::{self, ExitCode, Progress};
use crate::cli::{
    ContinueArgs, DeployArgs, Output, RenderArgs, RollbackArgs, ServiceArgs, StatusArgs,
};
use crate::rollout::follow::{self, Expect, Followed};
pub(crate) use crate::rollout::{
    Failure, Live, Rendered, bad, latest_template, refuse_other_controllers, template_family,
};
use crate::taskdef;

/// What `--image` and `--overlay` ask for, checked before any ECS call: bad input is exit 2
/// without a single call.
fn render_input(args: &RenderArgs) -> Result<crate::rollout::RenderInput, Failure> {
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
    })
}

pub(crate) async fn render_request(ecs: &Ecs, args: &RenderArgs) -> Result<Rendered, Failure> {
    crate::rollout::render_request(ecs, &render_input(args)?).await
}

pub(crate) async fn live(ecs: &Ecs, target: &ServiceArgs) -> Result<Live, Failure> {
    crate::rollout::live(ecs, &target.target()).await
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
                .map_err(|err| bad(err.to_string()))?;
            println!("{text}");
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
    serde_json::to_string_pretty(&sort_keys(&canonical)).unwrap_or_default()
}

fn sort_keys(value: &Json) -> Json {
    match value {
        Json::Object(map) => {
            let sorted: BTreeMap<&String, Json> =
                map.iter().map(|(k, v)| (k, sort_keys(v))).collect();
            Json::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Json::Array(items) => Json::Array(items.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

pub(crate) async fn diff(ecs: &Ecs, args: &RenderArgs) -> ExitCode {
    finish(
        async {
            let rendered = render_request(ecs, args).await?;
            let live = comparable_text(&rendered.live.revision.task_definition);
            let next = comparable_text(&rendered.request);
            if taskdef::task_definitions_equivalent(
                &rendered.live.revision.task_definition,
                &rendered.request,
            ) {
                println!(
                    "No changes: deploy would register a revision equivalent to {}.",
                    rendered.live.revision.family_revision()
                );
                return Ok(ExitCode::Success);
            }
            let diff = similar::TextDiff::from_lines(&live, &next);
            print!(
                "{}",
                diff.unified_diff().context_radius(3).header(
                    &format!("live {}", rendered.live.revision.family_revision()),
                    &format!("rendered from {}", rendered.template.family_revision())
                )
            );
            Ok(ExitCode::Success)
        }
        .await,
    )
}

fn result_line(output: Output, result: &Json) {
    match output {
        Output::Json => println!("{result}"),
        Output::Text => {
            let line = result["message"].as_str().unwrap_or_default();
            println!("{line}");
        }
    }
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

pub(crate) async fn deploy(ecs: &Ecs, args: &DeployArgs) -> ExitCode {
    finish(async {
        let input = render_input(&args.render)?;
        let mut progress = Progress::new();
        let crate::rollout::Started { rendered, registered, deployment: started, since } =
            crate::rollout::start(ecs, &input, &mut progress).await?;
        let target = &args.render.target;
        let arn = registered.arn().to_string();
        let followed = if args.wait.no_wait {
            Followed::new(ExitCode::Success, "not waiting (--no-wait)")
        } else {
            follow::follow(
 ecs,
 &target.target(), follow::Subject { deployment: started.clone(), task_definition_arn: &arn, since }, &args.wait.wait(), Expect::Deployed, &mut progress).await?
        };
        let code = followed.code;
        if code == ExitCode::Success
            && let Some(keep) = args.prune_keep {
                prune(ecs, &registered, keep).await?;
            }
        let images = taskdef::images(&registered.task_definition);
        let message = &followed.message;
        let mut result = json!({
            "result": if code == ExitCode::Success { "deployed" } else { "failed" },
            "exit_code": code.code(),
            "message": format!("{}: {message}", registered.family_revision()),
            "cluster": target.cluster, "service": target.service,
            "task_definition_arn": arn,
            "previous_task_definition_arn": rendered.live.revision.arn(),
            "template": rendered.template.family_revision(),
            "images": images,
        });
        merge(&mut result, deployment_fields(&followed, started.as_deref()));
        result_line(args.wait.output, &result);
        report::step_summary(&format!(
            "### ecstpl deploy: {}\n\n| | |\n|---|---|\n| service | `{}/{}` |\n| revision | `{}` |\n| template | `{}` |\n| images | {} |\n{}| result | {message} |\n",
            if code == ExitCode::Success { "✅ deployed" } else { "❌ failed" },
            target.cluster, target.service, registered.family_revision(), rendered.template.family_revision(),
            images.iter().map(|(c, i)| format!("`{c}`=`{i}`")).collect::<Vec<_>>().join(", "),
            followed.summary_rows(),
        ));
        if code != ExitCode::Success {
            eprintln!("ecstpl: error: {message}");
        }
        Ok(code)
    }
    .await)
}

fn merge(into: &mut Json, fields: Json) {
    if let (Some(into), Json::Object(fields)) = (into.as_object_mut(), fields) {
        into.extend(fields);
    }
}

/// Deregisters ecstpl's own deploy-family revisions beyond the newest `keep` (never the one
/// just registered, never one without the `ecstpl:role=deployed` tag).
async fn prune(ecs: &Ecs, registered: &Revision, keep: usize) -> Result<(), Failure> {
    let pruned = ecs
        .prune(
            registered.family(),
            aws::contract::ROLE_DEPLOYED,
            keep,
            registered.arn(),
        )
        .await?;
    for arn in &pruned.deregistered {
        eprintln!("pruned {arn}");
    }
    if let Some((arn, err)) = pruned.failed.into_iter().next() {
        return Err(Failure(ExitCode::Aws, format!("pruning {arn}: {err}")));
    }
    Ok(())
}

pub(crate) async fn status(ecs: &Ecs, args: &StatusArgs) -> ExitCode {
    finish(async {
        let live = live(ecs, &args.target).await?;
        let family = template_family(args.template.as_deref(), &live.revision).ok();
        let rendered_from = live.revision.rendered_from();
        let (latest, latest_problem) = match &family {
            Some(family) => match latest_template(ecs, family).await {
                Ok(latest) => (Some(latest), None),
                Err(Failure(ExitCode::BadInput, message)) => (None, Some(message)),
                Err(failure) => return Err(failure),
            },
            None => (None, Some("the live revision names no template (pass --template)".to_string())),
        };
        let in_sync = latest.as_ref().is_some_and(|latest| aws::in_sync(&live.revision, latest));
        let drift = match (&rendered_from, live.revision.is_template()) {
            (Some(from), false) => match ecs.describe_task_definition(from).await? {
                Some(template) => taskdef::drift(
                    &taskdef::render(&template.task_definition, &taskdef::images(&live.revision.task_definition)),
                    &live.revision.task_definition,
                ),
                None => Vec::new(),
            },
            _ => Vec::new(),
        };
        let rollout = live.service.primary().and_then(|d| d.rollout_state.clone()).unwrap_or_else(|| "UNKNOWN".into());
        let images = taskdef::images(&live.revision.task_definition);
        // The deployment in progress, where the endpoint has the service deployments API.
        let ongoing = match ecs.ongoing_deployment(&args.target.cluster, &args.target.service).await {
            Ok(ongoing) => ongoing,
            Err(err) if err.is_unknown_operation() => None,
            // What is live is known; the deployment in progress is extra information.
            Err(err) => {
                eprintln!("ecstpl: warning: could not look up the deployment in progress: {err}");
                None
            }
        };
        let pause = ongoing.as_ref().and_then(|d| d.pause().cloned());
        let result = json!({
            "cluster": args.target.cluster, "service": args.target.service,
            "live": live.revision.family_revision(), "live_arn": live.revision.arn(),
            "template": rendered_from, "latest_template": latest.as_ref().map(Revision::family_revision),
            "in_sync": in_sync, "images": images, "rollout_state": rollout, "drift": drift,
            "latest_template_problem": latest_problem,
            "deployment": ongoing.as_ref().map(|d| json!({
                "service_deployment_arn": d.arn, "status": d.status, "strategy": d.strategy,
                "lifecycle_stage": d.lifecycle_stage,
                "pause": pause.as_ref().map(|h| json!({"hook_id": h.id, "expires_at": h.expires_at, "timeout_action": h.timeout_action})),
            })),
        });
        match args.output {
            Output::Json => println!("{result}"),
            Output::Text => {
                println!("service:          {}/{}", args.target.cluster, args.target.service);
                println!("live revision:    {}", live.revision.family_revision());
                println!("rendered from:    {}", rendered_from.as_deref().unwrap_or("(unknown)"));
                println!("latest template:  {}", latest.as_ref().map_or_else(|| format!("none: {}", latest_problem.as_deref().unwrap_or("unknown")), Revision::family_revision));
                let sync = if in_sync {
                    "yes".to_string()
                } else if latest.is_some() {
                    "no: run ecstpl deploy to roll the template out".to_string()
                } else {
                    "unknown: there is no template to compare with".to_string()
                };
                println!("in sync:          {sync}");
                println!("rollout:          {rollout}");
                if let Some(deployment) = &ongoing {
                    println!(
                        "deployment:       {} {} {}{}",
                        deployment.strategy,
                        deployment.status,
                        deployment.lifecycle_stage.as_deref().unwrap_or(""),
                        if deployment.arn.is_empty() { String::new() } else { format!(" ({})", deployment.arn) }
                    );
                }
                if let Some(pause) = &pause {
                    println!(
                        "paused:           lifecycle hook {}{}; run ecstpl continue (or continue --rollback)",
                        pause.id,
                        pause.expires_at.map(|t| format!(", expires {}", humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs_f64(t.max(0.0))))).unwrap_or_default()
                    );
                }
                for (container, image) in &images {
                    println!("image:            {container} = {image}");
                }
                if !drift.is_empty() {
                    println!("drift (hand edits): {}", drift.join(", "));
                }
            }
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
        .ongoing_deployment(&target.cluster, &target.service)
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
                eprintln!("stopping deployment {} with a rollback", deployment.arn);
                let followed = if args.wait.no_wait {
                    Followed::new(ExitCode::Success, "not waiting (--no-wait)")
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
            let family = live.revision.family().to_string();
            let target_arn = match &args.to {
                Some(to) => {
                    let id = if to.chars().all(|c| c.is_ascii_digit()) {
                        format!("{family}:{to}")
                    } else {
                        to.clone()
                    };
                    ecs.describe_task_definition(&id)
                        .await?
                        .filter(Revision::is_active)
                        .ok_or_else(|| bad(format!("--to {to}: no ACTIVE revision {id}")))?
                        .arn()
                        .to_string()
                }
                None => {
                    let current = live.revision.revision();
                    ecs.list_revisions(&family, true)
                        .await?
                        .into_iter()
                        .rfind(|arn| {
                            aws::parse_task_definition_arn(arn).is_some_and(|(_, r)| r < current)
                        })
                        .ok_or_else(|| {
                            bad(format!(
                                "no ACTIVE revision of {family} older than {}",
                                live.revision.family_revision()
                            ))
                        })?
                }
            };
            let since = follow::epoch_now();
            let started = ecs
                .update_service_task_definition(
                    &args.target.cluster,
                    &args.target.service,
                    &target_arn,
                )
                .await?;
            eprintln!("service {} set back to {target_arn}", args.target.service);
            report::did(format!(
                "service {} set back to {target_arn}",
                args.target.service
            ));
            let followed = if args.wait.no_wait {
                Followed::new(ExitCode::Success, "not waiting (--no-wait)")
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

fn rollback_result(
    args: &RollbackArgs,
    followed: &Followed,
    deployment: Option<&str>,
    target_arn: Option<&str>,
    live: &Live,
) -> ExitCode {
    let code = followed.code;
    let message = &followed.message;
    let what = target_arn.map_or_else(
        || format!("deployment {}", deployment.unwrap_or_default()),
        str::to_string,
    );
    let mut result = json!({
        "result": if code == ExitCode::Success { "rolled back" } else { "failed" },
        "exit_code": code.code(),
        "message": format!("{what}: {message}"),
        "task_definition_arn": target_arn,
        "previous_task_definition_arn": live.revision.arn(),
    });
    merge(&mut result, deployment_fields(followed, deployment));
    result_line(args.wait.output, &result);
    report::step_summary(&format!(
        "### ecstpl rollback: {}\n\n| | |\n|---|---|\n| service | `{}/{}` |\n| to | `{what}` |\n{}| result | {message} |\n",
        if code == ExitCode::Success {
            "✅ rolled back"
        } else {
            "❌ failed"
        },
        args.target.cluster,
        args.target.service,
        followed.summary_rows()
    ));
    if code != ExitCode::Success {
        eprintln!("ecstpl: error: {message}");
    }
    code
}

pub(crate) async fn continue_deployment(ecs: &Ecs, args: &ContinueArgs) -> ExitCode {
    finish(
        async {
            let live = live(ecs, &args.target).await?;
            refuse_other_controllers(&live.service)?;
            let deployment = match ecs.ongoing_deployment(&args.target.cluster, &args.target.service).await {
                Ok(Some(deployment)) => deployment,
                Ok(None) => return Err(bad(format!("no deployment of service {:?} is in progress, so none is paused", args.target.service))),
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
            eprintln!(
                "{} deployment {} at lifecycle hook {}",
                if args.rollback { "rolling back" } else { "continued" },
                deployment.arn,
                hook.id
            );
            let expect = if args.rollback { Expect::RolledBack } else { Expect::Deployed };
            let followed = if args.wait.no_wait {
                Followed::new(ExitCode::Success, "not waiting (--no-wait)")
            } else {
                follow::follow(
 ecs,
 &args.target.target(), follow::Subject { deployment: Some(deployment.arn.clone()), task_definition_arn: "", since: follow::epoch_now() }, &args.wait.wait(), expect, &mut Progress::new()).await?
            };
            let code = followed.code;
            let mut result = json!({
                "result": match (code == ExitCode::Success, args.rollback) {
                    (true, false) => "continued",
                    (true, true) => "rolled back",
                    (false, _) => "failed",
                },
                "exit_code": code.code(),
                "message": format!("deployment {}: {}", deployment.arn, followed.message),
                "hook_id": hook.id,
            });
            merge(&mut result, deployment_fields(&followed, Some(&deployment.arn)));
            result_line(args.wait.output, &result);
            if code != ExitCode::Success {
                eprintln!("ecstpl: error: {}", followed.message);
            }
            Ok(code)
        }
        .await,
    )
}
