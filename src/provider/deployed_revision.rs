//! `ecstpl_deployed_revision`: reads the revision that is live without owning it, so a
//! service can point at whatever CI deployed last and plans stay clean. It never writes: only
//! Describe and List calls reach ECS from here.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value as Json;

use crate::aws::{self, Ecs};
use crate::plugin::diag::Diagnostics;
use crate::plugin::framework::{DataReadRequest, DataReadResponse, DataSource};
use crate::plugin::path::AttributePath;
use crate::plugin::schema::{Attribute, Block, Mode, Schema};
use crate::plugin::value::{Type, Value};
use crate::provider::Shared;
use crate::provider::values;
use crate::taskdef;

pub(crate) struct DeployedRevisionDataSource {
    shared: Arc<Shared>,
}

impl DeployedRevisionDataSource {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

pub(crate) fn schema() -> Schema {
    let input = |name: &str, description: &str| {
        Attribute::new(name, Type::String, Mode::Optional, description)
    };
    let output = |name: &str, ty: Type, description: &str| {
        Attribute::new(name, ty, Mode::Computed, description)
    };
    Schema {
        version: 0,
        block: Block {
            description: "The task definition revision that is live, read without owning it. \
                Point `aws_ecs_service.task_definition` at `arn`: after every CI deploy it is \
                what the service runs, so plans stay clean with no `ignore_changes`. Give \
                `cluster` and `service` (the service's primary deployment) or `family` (its latest \
                ACTIVE revision). Services on the CODE_DEPLOY or EXTERNAL deployment controller \
                are read from the service's `taskDefinition`, which is what their last deployment \
                set. An ECS Express service is read from its own API (the active configuration \
                DescribeExpressGatewayService reports): point \
                `aws_ecs_express_gateway_service.task_definition_arn` at `arn`."
                .into(),
            attributes: vec![
                input(
                    "cluster",
                    "Cluster name or ARN of the service. Use with `service`.",
                ),
                input("service", "Service name or ARN. Use with `cluster`."),
                Attribute::new(
                    "family",
                    Type::String,
                    Mode::OptionalComputed,
                    "Look up the latest ACTIVE revision of this family instead of a service. Computed: the family of the revision found.",
                ),
                input(
                    "template",
                    "Template family (usually `ecstpl_template.x.family`), for `in_sync` and `drift`. Defaults to the family in the live revision's `ecstpl:template` tag.",
                ),
                input(
                    "fallback_arn",
                    "Returned when the service or family does not exist yet, as on the first apply of a new stack (usually `ecstpl_template.x.arn`).",
                ),
                output("id", Type::String, "The ARN found."),
                output(
                    "arn",
                    Type::String,
                    "ARN of the live revision (or `fallback_arn`).",
                ),
                output(
                    "revision",
                    Type::Number,
                    "Revision number of the live revision.",
                ),
                output(
                    "images",
                    Type::map(Type::String),
                    "Container name → image of the live revision.",
                ),
                output(
                    "container_definitions",
                    Type::String,
                    "Container definitions of the live revision, normalized JSON.",
                ),
                output(
                    "template_arn",
                    Type::String,
                    "ARN of the template revision the live revision was rendered from (its `ecstpl:template` tag), or its own ARN when it is a template revision.",
                ),
                output(
                    "found",
                    Type::Bool,
                    "Whether the service or family exists (false when `fallback_arn` was returned).",
                ),
                output(
                    "in_sync",
                    Type::Bool,
                    "Whether the live revision was rendered from the latest ACTIVE template revision.",
                ),
                output(
                    "drift",
                    Type::list(Type::String),
                    "Paths where the live revision differs from its template revision rendered with the live images: changes made by hand, outside both Terraform and `ecstpl deploy`. What `ecstpl deploy` registered, an overlay included, is never drift. Empty when none.",
                ),
            ],
            ..Block::default()
        },
    }
}

#[tonic::async_trait]
impl DataSource for DeployedRevisionDataSource {
    fn type_name(&self) -> &'static str {
        "ecstpl_deployed_revision"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        validate(config)
    }

    async fn read(&self, request: DataReadRequest) -> DataReadResponse {
        let mut diagnostics = validate(&request.config);
        if diagnostics.has_errors() {
            return DataReadResponse {
                state: Value::Null,
                diagnostics,
            };
        }
        let state = match self.shared.ecs() {
            Ok(ecs) => read(&ecs, &request.config, &mut diagnostics).await,
            Err(diags) => {
                diagnostics.extend(diags);
                None
            }
        };
        DataReadResponse {
            state: state.unwrap_or(Value::Null),
            diagnostics,
        }
    }
}

fn is_set(config: &Value, name: &str) -> bool {
    config.get_attr(name).is_some_and(|v| !v.is_null())
}

fn validate(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let (cluster, service, family) = (
        is_set(config, "cluster"),
        is_set(config, "service"),
        is_set(config, "family"),
    );
    if family && (cluster || service) {
        diags.error_at(
            AttributePath::root("family"),
            "Conflicting lookups",
            "Give either cluster and service (the revision a service runs) or family (the latest ACTIVE revision of a family), not both.",
        );
    } else if cluster != service {
        let missing = if cluster { "service" } else { "cluster" };
        diags.error_at(
            AttributePath::root(missing),
            format!("Missing {missing}"),
            "cluster and service go together: the data source reads the revision that service runs.",
        );
    } else if !family && !cluster {
        diags.error(
            "Nothing to look up",
            "Set cluster and service (the revision a service runs) or family (the latest ACTIVE revision of a family).",
        );
    }
    for name in ["family", "template"] {
        if let Some(value) = values::string(config, name)
            && let Err(message) = taskdef::validate_family(&value)
        {
            diags.error_at(
                AttributePath::root(name),
                format!("Invalid {name}"),
                message,
            );
        }
    }
    for name in ["cluster", "service"] {
        if values::string(config, name).is_some_and(|v| v.trim().is_empty()) {
            diags.error_at(
                AttributePath::root(name),
                format!("Empty {name}"),
                format!("{name} must name a {name} (or be its ARN)."),
            );
        }
    }
    if let Some(arn) = values::string(config, "fallback_arn").filter(|a| !a.is_empty())
        && !is_task_definition_arn(&arn)
    {
        diags.error_at(
            AttributePath::root("fallback_arn"),
            "Invalid fallback_arn",
            format!("{arn:?} is not a task definition ARN (arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION); usually it is ecstpl_template.<name>.arn."),
        );
    }
    diags
}

fn is_task_definition_arn(arn: &str) -> bool {
    arn.starts_with("arn:aws")
        && arn.split(':').nth(2) == Some("ecs")
        && arn
            .rsplit_once("task-definition/")
            .and_then(|(_, tail)| crate::aws::parse_task_definition_arn(tail))
            .is_some_and(|(family, _)| taskdef::validate_family(family).is_ok())
}

/// `family:revision` (a tag value) as a full ARN, in the account and region of `like`.
fn arn_for(family_revision: &str, like: &str) -> String {
    match like.rsplit_once("task-definition/") {
        Some((prefix, _)) => format!("{prefix}task-definition/{family_revision}"),
        None => family_revision.to_string(),
    }
}

async fn read(ecs: &Ecs, config: &Value, diagnostics: &mut Diagnostics) -> Option<Value> {
    let fallback = values::string(config, "fallback_arn").filter(|a| !a.is_empty());
    let (live_arn, looked_up) = if let Some(family) = values::string(config, "family") {
        let arn = match ecs.latest_active_revision(&family).await {
            Ok(arn) => arn,
            Err(err) => {
                diagnostics.error("Could not list the family's revisions", err.to_string());
                return None;
            }
        };
        (arn, format!("family {family:?} has no ACTIVE revision"))
    } else {
        let cluster = values::string(config, "cluster").unwrap_or_default();
        let service = values::string(config, "service").unwrap_or_default();
        let arn = match ecs.describe_service(&cluster, &service).await {
            // An Express service's live revision is what its own API reports.
            Ok(Some(found)) => {
                match crate::rollout::express::reported_task_definition(ecs, &found).await {
                    Ok(arn) => Some(arn),
                    Err(failure) => {
                        diagnostics.error(
                            "Could not describe the Express service",
                            failure.to_string(),
                        );
                        return None;
                    }
                }
            }
            Ok(None) => None,
            // No cluster yet means no service yet: the first apply of a new stack.
            Err(err) if err.code() == Some("ClusterNotFoundException") => None,
            Err(err) => {
                diagnostics.error("Could not describe the service", err.to_string());
                return None;
            }
        };
        (
            arn,
            format!("service {service:?} does not exist in cluster {cluster:?}"),
        )
    };
    let found = live_arn.is_some();
    let Some(arn) = live_arn.or(fallback) else {
        diagnostics.error(
            "Nothing deployed yet",
            format!(
                "The {looked_up}. For a new stack, set fallback_arn (usually ecstpl_template.<name>.arn) so the first apply creates the service on the template revision; ecstpl deploy takes over from there."
            ),
        );
        return None;
    };

    let live = match ecs.describe_task_definition(&arn).await {
        Ok(Some(revision)) => Some(revision),
        Ok(None) if !found => None,
        Ok(None) => {
            diagnostics.error(
                "The live revision does not exist",
                format!("{arn} is what ECS reports as live, but it cannot be described."),
            );
            return None;
        }
        Err(err) => {
            diagnostics.error("Could not describe the live revision", err.to_string());
            return None;
        }
    };

    let mut state = Value::object([
        (
            "cluster",
            config.get_attr("cluster").cloned().unwrap_or(Value::Null),
        ),
        (
            "service",
            config.get_attr("service").cloned().unwrap_or(Value::Null),
        ),
        (
            "template",
            config.get_attr("template").cloned().unwrap_or(Value::Null),
        ),
        (
            "fallback_arn",
            config
                .get_attr("fallback_arn")
                .cloned()
                .unwrap_or(Value::Null),
        ),
        ("id", Value::string(arn.clone())),
        ("arn", Value::string(arn.clone())),
        ("found", Value::Bool(found)),
        (
            "family",
            config.get_attr("family").cloned().unwrap_or(Value::Null),
        ),
        ("revision", Value::Null),
        ("images", Value::Map(BTreeMap::new())),
        ("container_definitions", Value::Null),
        ("template_arn", Value::Null),
        ("in_sync", Value::Bool(false)),
        ("drift", Value::List(Vec::new())),
    ]);
    // A fallback that does not exist yet (planned, not applied) still answers with its ARN.
    let Some(live) = live else {
        return Some(state);
    };

    state.set_attr("family", Value::string(live.family()));
    state.set_attr("revision", Value::from(live.revision()));
    state.set_attr(
        "images",
        values::map_value(&taskdef::images(&live.task_definition)),
    );
    let context = taskdef::Context {
        network_mode: live
            .task_definition
            .get("networkMode")
            .and_then(Json::as_str)
            .map(str::to_string),
        requires_compatibilities: Vec::new(),
    };
    state.set_attr(
        "container_definitions",
        Value::string(taskdef::normalize_containers(&live.containers(), &context).to_string()),
    );

    let is_template = live.is_template();
    let template_arn = live
        .rendered_from()
        .map(|family_revision| arn_for(&family_revision, live.arn()));
    state.set_attr(
        "template_arn",
        values::optional_string(template_arn.as_deref()),
    );

    let family = values::string(config, "template").or_else(|| live.template_family());
    if let (Some(template_arn), Some(family)) = (&template_arn, family) {
        match ecs.latest_template(&family).await {
            Ok(latest) => state.set_attr(
                "in_sync",
                Value::Bool(latest.is_some_and(|latest| aws::in_sync(&live, &latest))),
            ),
            Err(err) => diagnostics.warning(
                "Could not find the latest template revision",
                format!("in_sync is reported as false: {err}"),
            ),
        }
        if !is_template {
            match ecs.describe_task_definition(template_arn).await {
                Ok(Some(template)) => {
                    let drift = taskdef::hand_edits(
                        &template.task_definition,
                        &live.task_definition,
                        live.tags.get(aws::contract::TAG_DIGEST).map(String::as_str),
                    );
                    state.set_attr(
                        "drift",
                        Value::List(drift.into_iter().map(Value::String).collect()),
                    );
                }
                Ok(None) => diagnostics.warning(
                    "The template revision is gone",
                    format!("{template_arn} no longer exists, so drift cannot be computed."),
                ),
                Err(err) => diagnostics.warning(
                    "Could not read the template revision",
                    format!("drift is not computed: {err}"),
                ),
            }
        }
    }
    Some(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_one_lookup_form() {
        let config = |pairs: &[(&str, &str)]| {
            Value::object(pairs.iter().map(|(k, v)| (*k, Value::from(*v))))
        };
        assert!(!validate(&config(&[("cluster", "c"), ("service", "s")])).has_errors());
        assert!(!validate(&config(&[("family", "web")])).has_errors());
        assert!(validate(&config(&[("cluster", "c")])).has_errors());
        assert!(validate(&config(&[("family", "web"), ("service", "s")])).has_errors());
        assert!(validate(&config(&[])).has_errors());
        // Unknown values count as set: the form is still clear.
        let unknown = Value::object([("cluster", Value::unknown()), ("service", Value::from("s"))]);
        assert!(!validate(&unknown).has_errors());
    }

    #[test]
    fn tag_values_become_arns_in_the_same_account() {
        assert_eq!(
            arn_for(
                "web-template:3",
                "arn:aws:ecs:eu-west-1:111122223333:task-definition/web:9"
            ),
            "arn:aws:ecs:eu-west-1:111122223333:task-definition/web-template:3"
        );
    }
}
