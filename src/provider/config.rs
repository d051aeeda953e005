//! The `provider "ecstpl" {}` block. Names follow the AWS provider so platform teams can copy
//! their existing configuration.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::aws::{self, AssumeRole, Settings};
use crate::plugin::diag::Diagnostics;
use crate::plugin::path::AttributePath;
use crate::plugin::schema::{Attribute, Block, Mode, NestedBlock, Nesting, Schema};
use crate::plugin::value::{Type, Value};
use crate::provider::values;

/// `max_retries` unless set: the AWS provider's default.
const PROVIDER_DEFAULT_MAX_RETRIES: u32 = 25;

/// The attribute with raised ECS rate limits, and the variable the CLI reads too.
const RATE_LIMITS: &str = "ecs_rate_limits";
pub(crate) const RATE_LIMITS_VARIABLE: &str = "ECSTPL_ECS_RATE_LIMITS";

pub(crate) fn schema() -> Schema {
    let string = |name: &str, description: &str| {
        Attribute::new(name, Type::String, Mode::Optional, description)
    };
    let string_list = |name: &str, description: &str| {
        Attribute::new(name, Type::list(Type::String), Mode::Optional, description)
    };
    Schema {
        version: 0,
        block: Block {
            description: "Configures how ecstpl reaches Amazon ECS. Every argument is optional: \
                          the standard AWS environment variables, shared config files and the \
                          default credential chain apply, as in the AWS provider."
                .into(),
            attributes: vec![
                string("region", "AWS region, e.g. `eu-west-1`. Defaults to `AWS_REGION` / `AWS_DEFAULT_REGION` or the profile's region."),
                string("profile", "Named profile from the shared config and credentials files. Defaults to `AWS_PROFILE`. When set here, the profile decides the credentials even if `AWS_ACCESS_KEY_ID` is in the environment, as in the AWS provider; a profile that is not defined is an error."),
                string_list("shared_config_files", "Paths of shared config files. Defaults to `~/.aws/config`."),
                string_list("shared_credentials_files", "Paths of shared credentials files. Defaults to `~/.aws/credentials`."),
                Attribute::new("max_retries", Type::Number, Mode::Optional,
                    "How many times an ECS call that failed with a server error (5xx) or in transport is retried, with backoff. Defaults to 25, as in the AWS provider; each call with its retries is bounded at 45 s. Retries stop once ECS has answered nothing at all for 20 s (connection refused, no answer within the 10 s attempt timeout), so an unreachable endpoint fails in well under a minute. Failed attempts are logged at info level with their reason. Throttling uses no retries: see `ecs_rate_limits`."),
                Attribute::new(RATE_LIMITS, Type::map(Type::String), Mode::Optional,
                    "ECS's request rate limits for the account and Region, where AWS Support raised them: `{ category = \"burst/refill\" }`, for example `{ task_definition_modify = \"40/2\" }` (a bucket of 40 tokens, refilled with 2 per second). The categories and their published defaults (\"Request throttling for the Amazon ECS API\"): `task_definition_modify` 20/1 (RegisterTaskDefinition, DeregisterTaskDefinition), `task_definition_read` 50/20, `task_definition_deletion` 5/1, `service_modify` 50/5, `service_read` 100/20, `service_deployments` 50/20, `service_revisions` 50/20, `tag_modify` 20/10, `tag_read` 50/20, `cluster_resource_modify` 100/40, `cluster_resource_read` 100/20. The provider paces every ECS call of a Terraform run to these buckets, so concurrent registrations wait for their turn instead of being throttled. When ECS throttles anyway (other callers use the same account), the rate adapts down and recovers, and the call is sent again until the resource operation's deadline (20 minutes); deregistering superseded revisions only takes tokens no registration waits for, and one that finds none before the deadline is left in `pending_deregistration` for the next apply. The environment variable `ECSTPL_ECS_RATE_LIMITS` (`category=burst/refill`, comma-separated) works too; entries here win."),
                Attribute::new("verify_references", Type::Bool, Mode::Optional,
                    "Check at plan time what a new template revision needs at run time, as `ecstpl verify` does: `execution_role_arn` and `task_role_arn` exist and ECS tasks may assume them, ECR images, `secrets` (SSM parameters, Secrets Manager secrets) and `awslogs` log groups exist. What is missing fails the plan on its attribute; what the credentials may not check (AccessDenied) is a warning. Off by default: it needs `iam:GetRole`, `ecr:DescribeImages`, `ssm:GetParameter`, `secretsmanager:DescribeSecret` and `logs:DescribeLogGroups`. Values known only after apply are not checked."),
            ],
            blocks: vec![
                NestedBlock::new("assume_role", Nesting::Single, Block {
                    description: "An IAM role to assume for every ECS call.".into(),
                    attributes: vec![
                        Attribute::new("role_arn", Type::String, Mode::Required, "ARN of the role to assume."),
                        string("session_name", "Session name recorded in CloudTrail. Defaults to `ecstpl`."),
                        string("external_id", "External ID the role's trust policy requires."),
                        string("duration", "How long the credentials last, as a duration (`1h`, `15m`). Defaults to 1 hour."),
                    ],
                    ..Block::default()
                }),
                NestedBlock::new("endpoints", Nesting::Single, Block {
                    description: "Custom service endpoints (for ECS-compatible emulators). `AWS_ENDPOINT_URL` works too.".into(),
                    attributes: vec![string("ecs", "Endpoint URL of the ECS API.")],
                    ..Block::default()
                }),
                NestedBlock::new("default_tags", Nesting::Single, Block {
                    description: "Tags added to every task definition revision this provider registers; resource `tags` win on conflicts. Shown in each resource's `tags_all`.".into(),
                    attributes: vec![Attribute::new("tags", Type::map(Type::String), Mode::Optional, "Tags to add.")],
                    ..Block::default()
                }),
            ],
            deprecated: false,
        },
    }
}

pub(crate) fn validate(config: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if let Some(retries) = config
        .get_attr("max_retries")
        .filter(|v| !v.is_unknown() && !v.is_null())
        && retries.as_i64().is_none_or(|n| n < 0)
    {
        diags.error_at(
            AttributePath::root("max_retries"),
            "Invalid max_retries",
            "max_retries must be a whole number, 0 or more.",
        );
    }
    if let Err(rate_diags) = rate_limits(config) {
        diags.extend(rate_diags);
    }
    if let Some(assume_role) = config
        .get_attr("assume_role")
        .filter(|v| v.as_object().is_some())
    {
        if let Some(duration) = values::string(assume_role, "duration")
            && let Err(message) = parse_duration(&duration)
        {
            diags.error_at(
                AttributePath::root("assume_role").attr("duration"),
                "Invalid duration",
                message,
            );
        }
        if let Some(arn) = values::string(assume_role, "role_arn")
            && let Err(message) = crate::aws::check_role_arn(&arn)
        {
            diags.error_at(
                AttributePath::root("assume_role").attr("role_arn"),
                "Invalid role_arn",
                message,
            );
        }
    }
    if let Some(region) = values::string(config, "region")
        && let Err(message) = crate::aws::check_region(&region)
    {
        diags.error_at(AttributePath::root("region"), "Invalid region", message);
    }
    if let Some(endpoint) = config
        .get_attr("endpoints")
        .and_then(|block| values::string(block, "ecs"))
        .filter(|e| !e.is_empty())
        && let Err(message) = crate::aws::check_endpoint(&endpoint)
    {
        diags.error_at(
            AttributePath::root("endpoints").attr("ecs"),
            "Invalid endpoint",
            message,
        );
    }
    if let Some(tags) = config
        .get_attr("default_tags")
        .and_then(|block| block.get_attr("tags"))
        .and_then(Value::as_map)
    {
        for (key, value) in tags {
            let path = AttributePath::root("default_tags")
                .attr("tags")
                .key(key.clone());
            if let Err(message) = crate::taskdef::check_tag(key, value.as_str().unwrap_or_default())
            {
                diags.error_at(path.clone(), "Invalid tag", message);
            }
            if key.starts_with(crate::aws::contract::RESERVED_PREFIX) {
                diags.error_at(
                    path,
                    "Reserved tag key",
                    format!("Tag keys starting with {:?} are ecstpl's own contract tags; default_tags may not set them (every plan would show a change).", crate::aws::contract::RESERVED_PREFIX),
                );
            }
        }
    }
    diags
}

fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let duration = humantime::parse_duration(text)
        .map_err(|err| format!("{text:?} is not a duration like \"1h\" or \"15m\": {err}"))?;
    if !(900..=43_200).contains(&duration.as_secs()) {
        return Err(format!(
            "{text:?} is outside what STS allows for an assumed role (15m to 12h)."
        ));
    }
    Ok(duration)
}

/// `ecs_rate_limits` on top of `ECSTPL_ECS_RATE_LIMITS`, each entry checked, with the path
/// or the variable in the diagnostic.
fn rate_limits(config: &Value) -> Result<aws::RateLimits, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut limits = match std::env::var(RATE_LIMITS_VARIABLE) {
        Ok(text) => aws::RateLimits::parse(&text).unwrap_or_else(|message| {
            diags.error(
                format!("Invalid {RATE_LIMITS_VARIABLE}"),
                format!("{RATE_LIMITS_VARIABLE}: {message}"),
            );
            aws::RateLimits::default()
        }),
        Err(_) => aws::RateLimits::default(),
    };
    if let Some(entries) = config
        .get_attr(RATE_LIMITS)
        .filter(|v| !v.is_unknown())
        .and_then(Value::as_map)
    {
        for (category, value) in entries {
            let Some(value) = value.as_str() else {
                continue;
            };
            if let Err(message) = limits.set(category, value) {
                diags.error_at(
                    AttributePath::root(RATE_LIMITS).key(category.clone()),
                    "Invalid ECS rate limit",
                    message,
                );
            }
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(limits)
    }
}

/// The provider's `default_tags`: empty when unset, None while unknown.
pub(crate) fn default_tags(config: &Value) -> Option<BTreeMap<String, String>> {
    match config.get_attr("default_tags") {
        None | Some(Value::Null) => Some(BTreeMap::new()),
        Some(block) if block.is_unknown() => None,
        Some(block) => match block.get_attr("tags") {
            None | Some(Value::Null) => Some(BTreeMap::new()),
            Some(_) => values::string_map(block, "tags"),
        },
    }
}

/// The AWS client settings from a wholly known configuration.
pub(crate) fn settings(config: &Value) -> Result<Settings, Diagnostics> {
    let assume_role = match config.get_attr("assume_role") {
        Some(block) if block.as_object().is_some() => {
            let duration = match values::string(block, "duration") {
                Some(text) => Some(parse_duration(&text).map_err(|message| {
                    let mut diags = Diagnostics::new();
                    diags.error_at(
                        AttributePath::root("assume_role").attr("duration"),
                        "Invalid duration",
                        message,
                    );
                    diags
                })?),
                None => None,
            };
            Some(AssumeRole {
                role_arn: values::string(block, "role_arn").unwrap_or_default(),
                session_name: values::string(block, "session_name"),
                external_id: values::string(block, "external_id"),
                duration,
            })
        }
        _ => None,
    };
    let ecs_endpoint = config
        .get_attr("endpoints")
        .and_then(|block| values::string(block, "ecs"))
        .filter(|e| !e.is_empty());
    let max_retries =
        values::integer(config, "max_retries").map(|n| u32::try_from(n).unwrap_or(u32::MAX));
    Ok(Settings {
        region: values::string(config, "region"),
        profile: values::string(config, "profile"),
        shared_config_files: values::strings(config, "shared_config_files")
            .into_iter()
            .map(PathBuf::from)
            .collect(),
        shared_credentials_files: values::strings(config, "shared_credentials_files")
            .into_iter()
            .map(PathBuf::from)
            .collect(),
        assume_role,
        ecs_endpoint,
        max_retries: Some(max_retries.unwrap_or(PROVIDER_DEFAULT_MAX_RETRIES)),
        ecs_rate_limits: rate_limits(config)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(limits: &[(&str, &str)]) -> Value {
        Value::object([(
            RATE_LIMITS,
            Value::Map(
                limits
                    .iter()
                    .map(|(k, v)| (k.to_string(), Value::string(*v)))
                    .collect(),
            ),
        )])
    }

    #[test]
    fn raised_ecs_rate_limits_are_checked_with_the_entry_in_the_path() {
        let diags = validate(&config(&[("task_definition_modify", "40/2")]));
        assert!(!diags.has_errors(), "{diags:?}");
        let diags = validate(&config(&[
            ("task_definitions", "40/2"),
            ("service_modify", "fast"),
        ]));
        let paths: Vec<String> = diags
            .0
            .iter()
            .map(|d| format!("{:?}: {}", d.path, d.detail))
            .collect();
        assert_eq!(diags.0.len(), 2, "{paths:?}");
        assert!(
            paths.iter().any(|p| p.contains("\"task_definitions\")")
                && p.contains("not an ECS throttling category")),
            "{paths:?}"
        );
        assert!(
            paths
                .iter()
                .any(|p| p.contains("\"service_modify\")") && p.contains("burst/refill")),
            "{paths:?}"
        );
        let limits = rate_limits(&config(&[("task_definition_modify", "40/2")])).unwrap();
        assert_eq!(
            limits.limit(aws::Category::TaskDefinitionModify),
            aws::Limit {
                burst: 40,
                refill: 2.0
            }
        );
    }
}
