//! `ecstpl run`: a one-off task (a database migration before a deploy, say) from the revision
//! `deploy` would register, or the one the service runs, placed like the service's tasks
//! (network configuration, launch type or capacity provider strategy, platform version); it
//! waits for the task to stop and exits with the container's own exit code.

use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use serde_json::{Value as Json, json};

use crate::aws::Ecs;
use crate::cli::ops::{self, Failure, bad, finish};
use crate::cli::report::{self, ExitCode, Progress, err, out};
use crate::cli::{Output, RenderArgs};
use crate::rollout::follow::POLL_FLOOR;

/// Which revision the task runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RunRevision {
    /// What `deploy` would register now (it is registered, tagged as a deployed revision).
    Rendered,
    /// What the service runs.
    Live,
}

#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    #[command(flatten)]
    pub render: RenderArgs,
    /// The container whose command is replaced (default: the only container, else the first
    /// essential one).
    #[arg(long)]
    pub container: Option<String>,
    /// Which revision the task runs.
    #[arg(long, value_enum, default_value_t = RunRevision::Rendered)]
    pub revision: RunRevision,
    /// Run even when every container would run the template's own image (no --image, and no
    /// image CI deployed before): on a service bootstrapped on the template that is the
    /// placeholder, so it is refused without this.
    #[arg(long)]
    pub allow_template_images: bool,
    /// Return once the task is started.
    #[arg(long)]
    pub no_wait: bool,
    /// How long to wait for the task to stop.
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration, allow_hyphen_values = true)]
    pub timeout: Duration,
    /// How often to poll the task (at least 200ms).
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration, allow_hyphen_values = true)]
    pub poll_interval: Duration,
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// The command and its arguments, after `--`.
    #[arg(last = true, required = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// The container to run the command in: the one asked for, else the only one, else the first
/// essential one.
fn pick_container(
    containers: &[serde_json::Map<String, Json>],
    asked: Option<&str>,
) -> Result<String, Failure> {
    let names: Vec<&str> = containers
        .iter()
        .filter_map(|c| c.get("name").and_then(Json::as_str))
        .collect();
    if let Some(asked) = asked {
        return if names.contains(&asked) {
            Ok(asked.to_string())
        } else {
            Err(bad(format!(
                "--container {asked}: the task definition has no container named {asked:?} (it has: {})",
                names.join(", ")
            )))
        };
    }
    if names.len() == 1 {
        return Ok(names[0].to_string());
    }
    containers
        .iter()
        .find(|c| c.get("essential").and_then(Json::as_bool) != Some(false))
        .and_then(|c| c.get("name").and_then(Json::as_str))
        .map(str::to_string)
        .ok_or_else(|| bad("the task definition has no essential container; pass --container"))
}

pub(crate) async fn run(ecs: &Ecs, args: &RunArgs) -> ExitCode {
    finish(
        async {
            let target = &args.render.target;
            let (arn, live) = match args.revision {
                RunRevision::Rendered => {
                    let input = ops::render_input(&args.render, args.allow_template_images)?;
                    let rendered = crate::rollout::render_request(ecs, &input).await?;
                    crate::rollout::refuse_template_images(&rendered)?;
                    let containers = crate::taskdef::containers(&rendered.request);
                    let container = pick_container(&containers, args.container.as_deref())?;
                    let mut progress = Progress::new();
                    for warning in &rendered.warnings {
                        crate::rollout::Observer::warning(&mut progress, warning);
                    }
                    // The live revision when it is this render; else the deploy family's
                    // newest when it is (a deploy after this run reuses it the same way).
                    let revision = if rendered.live.revision.is_registration_of(&rendered.request) {
                        rendered.live.revision.clone()
                    } else {
                        crate::rollout::register_or_reuse(ecs, &rendered, &mut progress).await?.0
                    };
                    ((revision.arn().to_string(), container), rendered.live)
                }
                RunRevision::Live => {
                    let live = ops::live(ecs, target).await?;
                    let container = pick_container(&live.revision.containers(), args.container.as_deref())?;
                    ((live.revision.arn().to_string(), container), live)
                }
            };
            let (task_definition, container) = arn;
            let task = ecs
                .run_task(
                    target.cluster(),
                    &task_definition,
                    &live.service.run_settings,
                    &container,
                    &args.command,
                    "ecstpl-run",
                )
                .await?;
            if args.output == Output::Text {
                out(&task.arn);
            }
            err(format!("started task {} ({task_definition}, container {container})", task.arn));
            report::in_use(&task_definition, format!("started task {} (it runs on in ECS)", task.arn));
            if args.no_wait {
                if args.output == Output::Json {
                    out(json!({"task_arn": task.arn, "task_definition_arn": task_definition, "container": container, "result": "started", "exit_code": 0}));
                }
                return Ok(ExitCode::Success);
            }
            let deadline = Instant::now() + args.timeout;
            let delay = args.poll_interval.max(POLL_FLOOR);
            let mut progress = Progress::new();
            let stopped = loop {
                let current = ecs
                    .describe_task(target.cluster(), &task.arn)
                    .await?
                    .ok_or_else(|| Failure(ExitCode::Aws, format!("ECS no longer knows task {}", task.arn)))?;
                progress.update(&format!("task {}: {}", task.arn, current.last_status));
                if current.is_stopped() {
                    progress.finish();
                    break current;
                }
                if Instant::now() >= deadline {
                    progress.finish();
                    return Err(Failure(
                        ExitCode::Timeout,
                        format!("task {} did not stop within {}", task.arn, humantime::format_duration(args.timeout)),
                    ));
                }
                tokio::time::sleep(delay.min(deadline.saturating_duration_since(Instant::now())).max(Duration::from_millis(10))).await;
            };
            let exit_code = stopped.exit_code(&container);
            let (code, message) = match exit_code {
                Some(code) => (
                    ExitCode::Task(u8::try_from(code.clamp(0, 255)).unwrap_or(1)),
                    format!("container {container} exited with {code}"),
                ),
                None => (
                    ExitCode::RolloutFailed,
                    format!("the task never ran: {}", stopped.stop_description(&container)),
                ),
            };
            match args.output {
                Output::Json => out(json!({"task_arn": task.arn, "task_definition_arn": task_definition, "container": container,
                           "exit_code": code.code(), "container_exit_code": exit_code, "stop_code": stopped.stop_code, "stopped_reason": stopped.stopped_reason,
                           "result": if exit_code == Some(0) { "succeeded" } else { "failed" }, "message": message})),
                Output::Text if exit_code.is_some() => err(&message),
                Output::Text => {}
            }
            if exit_code.is_none() {
                err(format!("ecstpl: error: {message}"));
            }
            Ok(code)
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn containers(value: Json) -> Vec<serde_json::Map<String, Json>> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_object().unwrap().clone())
            .collect()
    }

    #[test]
    fn the_container_is_the_one_asked_for_or_the_only_or_first_essential_one() {
        let two = containers(json!([{"name": "log", "essential": false}, {"name": "app"}]));
        assert_eq!(pick_container(&two, None).ok(), Some("app".into()));
        assert_eq!(pick_container(&two, Some("log")).ok(), Some("log".into()));
        let Err(Failure(code, message)) = pick_container(&two, Some("web")) else {
            panic!("an unknown container is refused")
        };
        assert_eq!(code, ExitCode::BadInput);
        assert!(message.contains("log, app"), "{message}");
        let one = containers(json!([{"name": "only", "essential": false}]));
        assert_eq!(pick_container(&one, None).ok(), Some("only".into()));
    }
}
