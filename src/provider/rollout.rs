//! Action `ecstpl_rollout` (Terraform 1.14+): rolls the latest template revision out to a
//! service, keeping the images CI deployed. The same code as `ecstpl deploy` without
//! `--image` (`crate::rollout`): register in the deploy family with the contract tags, point
//! the service at it, follow the service deployment as ECS reports it. Progress is streamed to
//! Terraform; a deployment that ends other than SUCCESSFUL (a circuit-breaker rollback, say)
//! fails the action with the reason. `wait_until` means what `ecstpl deploy --wait-until`
//! means; a deployment paused at a PAUSE lifecycle hook is reported with how to continue it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::aws;
use crate::plugin::diag::Diagnostics;
use crate::plugin::framework::{self, ActionProgress};
use crate::plugin::path::AttributePath;
use crate::plugin::schema::{Attribute, Block, Mode, Schema};
use crate::plugin::value::{Type, Value};
use crate::provider::{Shared, values};
use crate::rollout::follow::{self, Expect};
use crate::rollout::{
    self as shared, Observer, RenderInput, RolloutError, Setting, Target, Verdict, Wait, WaitUntil,
};
use crate::rollout::{DEFAULT_POLL_INTERVAL, DEFAULT_TIMEOUT, DEFAULT_WAIT_UNTIL};
use crate::taskdef;

pub const TYPE_NAME: &str = "ecstpl_rollout";

pub(crate) struct RolloutAction {
    shared: Arc<Shared>,
}

impl RolloutAction {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

pub(crate) fn schema() -> Schema {
    let optional = |name: &str, description: &str| {
        Attribute::new(name, Type::String, Mode::Optional, description)
    };
    Schema {
        version: 0,
        block: Block {
            description: "Rolls the latest template revision out to a service, keeping the images \
                CI deployed: renders it as `ecstpl deploy` without `--image` does, registers it \
                in the deploy family with the contract tags, points the service at it and \
                follows the service deployment until ECS reports it SUCCESSFUL. A deployment \
                that is rolled back or stopped fails the action with the reason. When the \
                service already runs a revision rendered from the latest template, nothing is \
                registered. Run it with `terraform apply -invoke=action.ecstpl_rollout.NAME`, or \
                from the template's `lifecycle { action_trigger { events = [after_update] } }` \
                so a template change reaches the service in the same apply. Terraform 1.14 or \
                later."
                .into(),
            attributes: vec![
                Attribute::new(
                    "cluster",
                    Type::String,
                    Mode::Required,
                    "Cluster name or ARN of the service.",
                ),
                Attribute::new(
                    "service",
                    Type::String,
                    Mode::Required,
                    "Service name or ARN.",
                ),
                optional(
                    "template",
                    "Template family (usually `ecstpl_template.x.family`). Defaults to the family in the live revision's `ecstpl:template` tag, or the live revision itself when it is a template revision.",
                ),
                optional(
                    "timeout",
                    "How long to follow the deployment, like `10m` or `90s`. Defaults to `15m`. When it passes the action fails; the deployment goes on in ECS.",
                ),
                optional(
                    "poll_interval",
                    "How often to look at the deployment (at least `200ms`). Defaults to `5s`.",
                ),
                optional(
                    "wait_until",
                    "What the action waits for, as `ecstpl deploy --wait-until`: `deployed` (the default: the service deployment ends SUCCESSFUL, bake time included), `stable` (the new revision runs every task and takes all production traffic; it may still bake) or `paused` (the deployment waits at a PAUSE lifecycle hook, or ended SUCCESSFUL without one). With `paused` the action succeeds at the pause and says how to continue the deployment; with the others a pause holds the action until someone continues the deployment or `timeout` passes.",
                ),
            ],
            ..Block::default()
        },
    }
}

/// A duration attribute: `None` when null or unknown, the default when unset.
fn duration(config: &Value, name: &str, default: &str) -> Result<Duration, String> {
    if values::is_unknown(config, name) {
        return Ok(Duration::ZERO);
    }
    let text = values::string(config, name).unwrap_or_else(|| default.to_string());
    let parsed = humantime::parse_duration(&text)
        .map_err(|err| format!("{text:?} is not a duration like \"10m\" or \"90s\": {err}"))?;
    if parsed.is_zero() {
        return Err(format!("{text:?} must be longer than zero"));
    }
    Ok(parsed)
}

/// The `wait_until` attribute: `deployed` when unset (or unknown until apply).
fn wait_until(config: &Value) -> Result<WaitUntil, String> {
    let Some(text) = values::string(config, "wait_until") else {
        return Ok(DEFAULT_WAIT_UNTIL);
    };
    WaitUntil::parse(&text).map_err(|why| format!("{why}."))
}

fn validate(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    for name in ["cluster", "service"] {
        if values::string(config, name).is_some_and(|v| v.trim().is_empty()) {
            diags.error_at(
                AttributePath::root(name),
                format!("Empty {name}"),
                format!("{name} must name a {name} (or be its ARN)."),
            );
        }
    }
    if let Some(template) = values::string(config, "template")
        && let Err(message) = taskdef::validate_family(&template)
    {
        diags.error_at(AttributePath::root("template"), "Invalid template", message);
    }
    if let Err(message) = wait_until(config) {
        diags.error_at(
            AttributePath::root("wait_until"),
            "Invalid wait_until",
            message,
        );
    }
    for (name, default) in [
        ("timeout", DEFAULT_TIMEOUT),
        ("poll_interval", DEFAULT_POLL_INTERVAL),
    ] {
        if let Err(message) = duration(config, name, default) {
            diags.error_at(
                AttributePath::root(name),
                format!("Invalid {name}"),
                message,
            );
        }
    }
    diags
}

/// Progress events for Terraform: each line once, as it changes.
struct Streamed {
    progress: ActionProgress,
    last: String,
}

/// How to continue (or roll back) a deployment paused at a PAUSE lifecycle hook.
/// How to move a paused deployment on, in the words of ECS's API (what a Terraform user has
/// at hand), with the deployment and the hook.
fn resume_hint(deployment: &str, hook: &str) -> String {
    format!(
        "answer its lifecycle hook with ECS's ContinueServiceDeployment, action CONTINUE (or ROLLBACK): aws ecs continue-service-deployment --service-deployment-arn {deployment} --hook-id {hook} --action CONTINUE"
    )
}

impl Observer for Streamed {
    fn resume_hint(&self, _target: &Target, deployment: &str, hook: &str) -> Option<String> {
        Some(resume_hint(deployment, hook))
    }

    fn line(&mut self, line: &str) {
        self.progress.send(line);
    }

    fn progress(&mut self, line: &str) {
        if line != self.last {
            self.progress.send(line);
            self.last = line.to_string();
        }
    }
}

/// A rollout's failure as a diagnostic: on the attribute that would fix it, when one would.
fn failed(failure: RolloutError) -> Diagnostics {
    let attribute = match &failure {
        RolloutError::Refused {
            setting: Some(Setting::Template),
            ..
        } => Some("template"),
        _ => None,
    };
    match attribute {
        Some(name) => {
            let mut diags = Diagnostics::default();
            diags.error_at(
                AttributePath::root(name),
                "Rollout failed",
                failure.to_string(),
            );
            diags
        }
        None => Diagnostics::single_error("Rollout failed", failure.to_string()),
    }
}

impl RolloutAction {
    async fn run(&self, config: &Value, progress: ActionProgress) -> Result<(), Diagnostics> {
        let problems = validate(config);
        if problems.has_errors() {
            return Err(problems);
        }
        let ecs = self.shared.ecs()?;
        let target = Target {
            cluster: values::string(config, "cluster").unwrap_or_default(),
            service: values::string(config, "service").unwrap_or_default(),
        };
        let wait = Wait {
            until: wait_until(config).unwrap_or(DEFAULT_WAIT_UNTIL),
            timeout: duration(config, "timeout", DEFAULT_TIMEOUT).unwrap_or_default(),
            poll_interval: duration(config, "poll_interval", DEFAULT_POLL_INTERVAL)
                .unwrap_or_default(),
        };
        let input = RenderInput {
            target: target.clone(),
            template: values::string(config, "template"),
            family: None,
            images: BTreeMap::new(),
            overlay: None,
            allow_template_images: false,
        };
        let mut observer = Streamed {
            progress,
            last: String::new(),
        };
        let rendered = shared::render_request(&ecs, &input).await.map_err(failed)?;
        if aws::in_sync(&rendered.live.revision, &rendered.template) {
            observer.line(&format!(
                "service {} already runs {}, rendered from the latest template {}: nothing to roll out",
                target.service,
                rendered.live.revision.family_revision(),
                rendered.template.family_revision()
            ));
            return Ok(());
        }
        let started = shared::launch(&ecs, rendered, &target, &mut observer)
            .await
            .map_err(failed)?;
        let followed = follow::follow(
            &ecs,
            &target,
            follow::Subject {
                deployment: started.deployment.clone(),
                task_definition_arn: started.registered.arn(),
                since: started.since,
            },
            &wait,
            Expect::Deployed,
            &mut observer,
        )
        .await
        .map_err(failed)?;
        let revision = started.registered.family_revision();
        // The deployment is still waiting at a hook when the action ends (wait_until = "paused"
        // or the timeout passed at the pause): say how to move it on.
        let paused = followed
            .pause
            .as_ref()
            .filter(|_| matches!(followed.verdict, Verdict::Success | Verdict::TimedOut))
            .map(|hook| {
                let deployment = followed.deployment.as_ref().map(|d| d.arn.as_str());
                resume_hint(deployment.unwrap_or_default(), &hook.id)
            });
        match followed.verdict {
            Verdict::Success => {
                let next = match paused {
                    Some(hint) => format!("; the deployment is paused until someone acts: {hint}"),
                    None => String::new(),
                };
                observer.line(&format!(
                    "{revision} from template {}: {}{next}",
                    started.rendered.template.family_revision(),
                    followed.message
                ));
                Ok(())
            }
            _ => {
                let next = match paused {
                    Some(hint) => format!(
                        ". The deployment is paused at a lifecycle hook: {hint}. To have the action succeed at a pause, set wait_until = \"paused\"."
                    ),
                    None => String::new(),
                };
                Err(Diagnostics::single_error(
                    "Rollout failed",
                    format!(
                        "{revision} on service {}: {}{next}",
                        target.service,
                        followed.explained()
                    ),
                ))
            }
        }
    }
}

#[tonic::async_trait]
impl framework::Action for RolloutAction {
    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        validate(config)
    }

    async fn plan(&self, config: &Value) -> Diagnostics {
        validate(config)
    }

    async fn invoke(&self, config: Value, progress: ActionProgress) -> Diagnostics {
        match self.run(&config, progress).await {
            Ok(()) => Diagnostics::new(),
            Err(diagnostics) => diagnostics,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::value::Value;

    fn config(pairs: &[(&str, &str)]) -> Value {
        let mut attributes = BTreeMap::new();
        for name in [
            "cluster",
            "service",
            "template",
            "timeout",
            "poll_interval",
            "wait_until",
        ] {
            attributes.insert(name.to_string(), Value::Null);
        }
        for (name, value) in pairs {
            attributes.insert(name.to_string(), Value::String(value.to_string()));
        }
        Value::Object(attributes)
    }

    #[test]
    fn durations_and_names_are_checked_on_their_attribute() {
        assert!(!validate(&config(&[("cluster", "prod"), ("service", "web")])).has_errors());
        let bad = validate(&config(&[
            ("cluster", " "),
            ("service", "web"),
            ("template", "web template"),
            ("timeout", "soon"),
            ("poll_interval", "0s"),
            ("wait_until", "done"),
        ]));
        let text = format!("{bad:?}");
        for expected in [
            "Empty cluster",
            "Invalid template",
            "Invalid timeout",
            "Invalid poll_interval",
            "Invalid wait_until",
        ] {
            assert!(text.contains(expected), "{expected}: {text}");
        }
    }
}
