//! The subcommands. Decisions are the domain's (render, images, overlay, drift) and the
//! adapter's (rollout status); this module sequences the calls and reports.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Map, Value as Json, json};

use crate::aws::{self, AwsError, Ecs, Revision, RolloutStatus, Service};
use crate::cli::report::{self, ExitCode, Progress};
use crate::cli::{DeployArgs, Output, RenderArgs, RollbackArgs, ServiceArgs, StatusArgs, WaitArgs};
use crate::taskdef;

/// A failure with its exit code.
struct Failure(ExitCode, String);

impl From<AwsError> for Failure {
    fn from(err: AwsError) -> Self {
        Failure(ExitCode::Aws, err.to_string())
    }
}

fn bad(message: impl Into<String>) -> Failure {
    Failure(ExitCode::BadInput, message.into())
}

fn finish(result: Result<ExitCode, Failure>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(Failure(code, message)) => report::fail(code, &message),
    }
}

/// The service and the revision it runs.
struct Live {
    service: Service,
    revision: Revision,
}

async fn live(ecs: &Ecs, target: &ServiceArgs) -> Result<Live, Failure> {
    let service = ecs
        .describe_service(&target.cluster, &target.service)
        .await?
        .ok_or_else(|| {
            bad(format!(
                "service {:?} not found in cluster {:?}",
                target.service, target.cluster
            ))
        })?;
    let arn = service.live_task_definition().to_string();
    let revision = ecs
        .describe_task_definition(&arn)
        .await?
        .ok_or_else(|| bad(format!("the service runs {arn}, which cannot be described")))?;
    Ok(Live { service, revision })
}

/// The template family: the flag, else the live revision's `ecstpl:template` tag, else the
/// live revision itself when it is a template (the first deploy after bootstrap).
fn template_family(flag: Option<&str>, live: &Revision) -> Result<String, Failure> {
    if let Some(family) = flag {
        return Ok(family.split(':').next().unwrap_or(family).to_string());
    }
    live.template_family().ok_or_else(|| {
        bad(format!(
            "cannot tell which template {} was rendered from: it has no {} tag and is not a template revision; pass --template",
            live.family_revision(),
            aws::contract::TAG_TEMPLATE
        ))
    })
}

/// The latest ACTIVE revision of the template family tagged as a template: a revision someone
/// registered into the family by hand is never taken for the template.
async fn latest_template(ecs: &Ecs, family: &str) -> Result<Revision, Failure> {
    ecs.latest_template(family).await?.ok_or_else(|| {
        bad(format!(
            "template family {family:?} has no ACTIVE revision tagged {}={}: apply the ecstpl_template that owns it (or pass --template with the right family)",
            aws::contract::TAG_ROLE,
            aws::contract::ROLE_TEMPLATE
        ))
    })
}

/// What a deploy registers, and from what.
struct Rendered {
    live: Live,
    template: Revision,
    request: Map<String, Json>,
}

async fn render_request(ecs: &Ecs, args: &RenderArgs) -> Result<Rendered, Failure> {
    let live = live(ecs, &args.target).await?;
    let family = template_family(args.template.as_deref(), &live.revision)?;
    let template = latest_template(ecs, &family).await?;
    let deploy_family = args
        .family
        .clone()
        .or_else(|| template.tags.get(aws::contract::TAG_DEPLOY_FAMILY).cloned())
        .ok_or_else(|| {
            bad(format!(
                "no deploy family: pass --family, or set deploy_family on the ecstpl_template of {family:?} (its {} tag)",
                aws::contract::TAG_DEPLOY_FAMILY
            ))
        })?;
    if deploy_family == template.family() {
        return Err(bad(
            "the deploy family must differ from the template family",
        ));
    }
    let live_ci = live
        .revision
        .tags
        .get(aws::contract::TAG_CI_IMAGES)
        .map(|tag| taskdef::parse_ci_images_tag(tag))
        .unwrap_or_default();
    let decided = taskdef::deploy_images(
        &taskdef::images(&template.task_definition),
        &taskdef::images(&live.revision.task_definition),
        &live_ci,
        &args.image_overrides(),
    )
    .map_err(|err| bad(err.to_string()))?;
    let mut request = taskdef::render(&template.task_definition, &decided.images);
    if let Some(path) = &args.overlay {
        let text = std::fs::read_to_string(path)
            .map_err(|err| bad(format!("--overlay {}: {err}", path.display())))?;
        let overlay: Json = serde_json::from_str(&text)
            .map_err(|err| bad(format!("--overlay {}: invalid JSON: {err}", path.display())))?;
        taskdef::apply_overlay(&mut request, &overlay)
            .map_err(|err| bad(format!("--overlay {}: {err}", path.display())))?;
    }
    request.insert("family".into(), Json::from(deploy_family));
    let mut tags = aws::user_tags(&template.tags);
    tags.insert(
        aws::contract::TAG_ROLE.into(),
        aws::contract::ROLE_DEPLOYED.into(),
    );
    tags.insert(
        aws::contract::TAG_TEMPLATE.into(),
        template.family_revision(),
    );
    if !decided.ci_images.is_empty() {
        tags.insert(
            aws::contract::TAG_CI_IMAGES.into(),
            taskdef::ci_images_tag(&decided.ci_images),
        );
    }
    request.insert(
        "tags".into(),
        Json::Array(
            tags.into_iter()
                .map(|(key, value)| json!({"key": key, "value": value}))
                .collect(),
        ),
    );
    let problems = taskdef::validate_task_definition(&request, &[]);
    if let Some(problem) = problems.first() {
        return Err(bad(format!(
            "the rendered task definition is invalid: {}: {}",
            problem.summary, problem.detail
        )));
    }
    Ok(Rendered {
        live,
        template,
        request,
    })
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

/// Waits for the rollout of `arn`; the exit code says how it ended.
async fn wait_for(
    ecs: &Ecs,
    target: &ServiceArgs,
    arn: &str,
    wait: &WaitArgs,
) -> Result<(ExitCode, String), Failure> {
    let deadline = Instant::now() + wait.timeout;
    let mut progress = Progress::new();
    loop {
        let service = ecs
            .describe_service(&target.cluster, &target.service)
            .await?
            .ok_or_else(|| bad(format!("service {:?} disappeared", target.service)))?;
        let outcome = match service.rollout_of(arn) {
            RolloutStatus::Completed => Some((ExitCode::Success, "rollout completed".to_string())),
            RolloutStatus::Failed { reason, primary } => Some((
                ExitCode::RolloutFailed,
                format!("rollout failed ({reason}); the service runs {primary}"),
            )),
            RolloutStatus::Replaced { primary } => Some((
                ExitCode::RolloutFailed,
                format!("the service was rolled back or redeployed: it runs {primary}, not {arn}"),
            )),
            RolloutStatus::InProgress {
                running,
                desired,
                state,
            } => {
                progress.update(&format!(
                    "waiting: {state}, {running}/{desired} tasks running on {arn}"
                ));
                None
            }
        };
        if let Some(outcome) = outcome {
            progress.finish();
            return Ok(outcome);
        }
        if Instant::now() >= deadline {
            progress.finish();
            return Ok((
                ExitCode::Timeout,
                format!(
                    "the rollout of {arn} did not finish within {}",
                    humantime::format_duration(wait.timeout)
                ),
            ));
        }
        tokio::time::sleep(
            wait.poll_interval
                .min(deadline.saturating_duration_since(Instant::now()))
                .max(Duration::from_millis(10)),
        )
        .await;
    }
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

pub(crate) async fn deploy(ecs: &Ecs, args: &DeployArgs) -> ExitCode {
    finish(async {
        let rendered = render_request(ecs, &args.render).await?;
        let target = &args.render.target;
        let registered = ecs.register_task_definition(&rendered.request).await?;
        let arn = registered.arn().to_string();
        eprintln!("registered {} from template {}", registered.family_revision(), rendered.template.family_revision());
        ecs.update_service_task_definition(&target.cluster, &target.service, &arn).await?;
        eprintln!("service {} now set to {}", target.service, registered.family_revision());
        let (code, message) = if args.wait.no_wait {
            (ExitCode::Success, "not waiting (--no-wait)".to_string())
        } else {
            wait_for(ecs, target, &arn, &args.wait).await?
        };
        if code == ExitCode::Success
            && let Some(keep) = args.prune_keep {
                prune(ecs, &registered, keep).await?;
            }
        let images = taskdef::images(&registered.task_definition);
        let result = json!({
            "result": if code == ExitCode::Success { "deployed" } else { "failed" },
            "exit_code": code as i32,
            "message": format!("{}: {message}", registered.family_revision()),
            "cluster": target.cluster, "service": target.service,
            "task_definition_arn": arn,
            "previous_task_definition_arn": rendered.live.revision.arn(),
            "template": rendered.template.family_revision(),
            "images": images,
        });
        result_line(args.wait.output, &result);
        report::step_summary(&format!(
            "### ecstpl deploy: {}\n\n| | |\n|---|---|\n| service | `{}/{}` |\n| revision | `{}` |\n| template | `{}` |\n| images | {} |\n| result | {message} |\n",
            if code == ExitCode::Success { "✅ deployed" } else { "❌ failed" },
            target.cluster, target.service, registered.family_revision(), rendered.template.family_revision(),
            images.iter().map(|(c, i)| format!("`{c}`=`{i}`")).collect::<Vec<_>>().join(", "),
        ));
        if code != ExitCode::Success {
            eprintln!("ecstpl: error: {message}");
        }
        Ok(code)
    }
    .await)
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
        let latest = match &family {
            Some(family) => latest_template(ecs, family).await.ok(),
            None => None,
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
        let result = json!({
            "cluster": args.target.cluster, "service": args.target.service,
            "live": live.revision.family_revision(), "live_arn": live.revision.arn(),
            "template": rendered_from, "latest_template": latest.as_ref().map(Revision::family_revision),
            "in_sync": in_sync, "images": images, "rollout_state": rollout, "drift": drift,
        });
        match args.output {
            Output::Json => println!("{result}"),
            Output::Text => {
                println!("service:          {}/{}", args.target.cluster, args.target.service);
                println!("live revision:    {}", live.revision.family_revision());
                println!("rendered from:    {}", rendered_from.as_deref().unwrap_or("(unknown)"));
                println!("latest template:  {}", latest.as_ref().map_or("(unknown)".into(), Revision::family_revision));
                println!("in sync:          {}", if in_sync { "yes" } else { "no: run ecstpl deploy to roll the template out" });
                println!("rollout:          {rollout}");
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

pub(crate) async fn rollback(ecs: &Ecs, args: &RollbackArgs) -> ExitCode {
    finish(
        async {
            let live = live(ecs, &args.target).await?;
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
            ecs.update_service_task_definition(
                &args.target.cluster,
                &args.target.service,
                &target_arn,
            )
            .await?;
            eprintln!("service {} set back to {target_arn}", args.target.service);
            let (code, message) = if args.wait.no_wait {
                (ExitCode::Success, "not waiting (--no-wait)".to_string())
            } else {
                wait_for(ecs, &args.target, &target_arn, &args.wait).await?
            };
            let result = json!({
                "result": if code == ExitCode::Success { "rolled back" } else { "failed" },
                "exit_code": code as i32,
                "message": format!("{target_arn}: {message}"),
                "task_definition_arn": target_arn,
                "previous_task_definition_arn": live.revision.arn(),
            });
            result_line(args.wait.output, &result);
            report::step_summary(&format!(
                "### ecstpl rollback\n\n`{}/{}` → `{target_arn}`: {message}\n",
                args.target.cluster, args.target.service
            ));
            Ok(code)
        }
        .await,
    )
}
