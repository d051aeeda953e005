//! Whether what a task needs at run time exists, asked of the services that hold it: IAM (the
//! role, and that its trust policy lets ECS tasks assume it), ECR (the image tag or digest),
//! SSM Parameter Store and Secrets Manager (the parameter or secret; its value is never asked
//! for with decryption, never printed or logged), CloudWatch Logs (the log group). Reads only.
//! Each answer is found, missing, or not checked (the credentials may not ask: AccessDenied).

use std::future::Future;
use std::sync::Arc;

use aws_sdk_ecs::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::http::Response as HttpResponse;
use aws_types::SdkConfig;
use aws_types::region::Region;

use crate::aws::pacing::{Pacer, Priority};
use crate::aws::{AwsError, Ecs};

/// The principal ECS tasks assume roles as ("Task IAM role", "Task execution IAM role").
const ECS_TASKS: &str = "ecs-tasks.amazonaws.com";

/// One answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    Found(String),
    Missing(String),
    /// The credentials may not ask (AccessDenied), or the service does not know the call.
    NotChecked(String),
}

/// Asks IAM, ECR, SSM, Secrets Manager and CloudWatch Logs, with the credentials, retries and
/// endpoint settings of the ECS client it comes from.
#[derive(Clone)]
pub struct Verifier {
    config: SdkConfig,
    /// The ECS client's pacer: a throttled check is sent again with the same adaptive
    /// backoff, within the command's deadline (these services' rates are not ECS's buckets).
    pacer: Arc<Pacer>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").finish_non_exhaustive()
    }
}

fn not_found(err: &AwsError, codes: &[&str]) -> bool {
    err.code().is_some_and(|code| codes.contains(&code))
}

fn denied(err: &AwsError) -> bool {
    err.code().is_some_and(|code| {
        matches!(
            code,
            "AccessDenied"
                | "AccessDeniedException"
                | "UnauthorizedOperation"
                | "UnknownOperationException"
        )
    })
}

/// What an error means for a check: missing when the service says so (`codes`), not checked
/// when the credentials may not ask, else the error.
fn judged(
    err: AwsError,
    codes: &[&str],
    missing: impl FnOnce() -> String,
) -> Result<Check, AwsError> {
    if not_found(&err, codes) {
        Ok(Check::Missing(missing()))
    } else if denied(&err) {
        Ok(Check::NotChecked(err.to_string()))
    } else {
        Err(err)
    }
}

impl Ecs {
    /// A verifier with this client's settings; None for a client built without them.
    pub fn verifier(&self) -> Option<Verifier> {
        self.sdk_config.clone().map(|config| Verifier {
            config,
            pacer: self.pacer.clone(),
        })
    }
}

impl Verifier {
    /// Sends one check, again after a throttled answer (see [`Verifier::pacer`]).
    async fn paced<T, E, Fut>(
        &self,
        operation: &'static str,
        attempt: impl FnMut() -> Fut,
    ) -> Result<T, SdkError<E, HttpResponse>>
    where
        E: ProvideErrorMetadata,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    {
        crate::aws::paced::send(
            &self.pacer,
            operation,
            Priority::Normal,
            false,
            crate::aws::paced::sdk_throttled,
            attempt,
        )
        .await
        .result
    }

    /// The configuration in `region` (the command's own when None).
    fn config_in(&self, region: Option<&str>) -> SdkConfig {
        match region {
            Some(region) => self
                .config
                .to_builder()
                .region(Region::new(region.to_string()))
                .build(),
            None => self.config.clone(),
        }
    }

    /// The role exists and its trust policy lets ECS tasks assume it.
    pub async fn role(&self, arn: &str) -> Result<Check, AwsError> {
        // arn:aws:iam::ACCOUNT:role[/path]/NAME
        let name = arn.rsplit('/').next().unwrap_or(arn);
        let client = aws_sdk_iam::Client::new(&self.config);
        let output = match self
            .paced("GetRole", || client.get_role().role_name(name).send())
            .await
        {
            Ok(output) => output,
            Err(err) => {
                return judged(
                    AwsError::from_sdk("GetRole", err),
                    &["NoSuchEntity"],
                    || format!("IAM role {arn} does not exist"),
                );
            }
        };
        let policy = output
            .role()
            .and_then(|r| r.assume_role_policy_document())
            .unwrap_or_default();
        if trusts_ecs_tasks(policy) {
            Ok(Check::Found(format!(
                "role {name}, which ECS tasks may assume"
            )))
        } else {
            Ok(Check::Missing(format!(
                "IAM role {arn} exists, but its trust policy does not let {ECS_TASKS} assume it (sts:AssumeRole)"
            )))
        }
    }

    /// The image's tag or digest is in its ECR repository.
    pub async fn ecr_image(
        &self,
        registry: &str,
        region: &str,
        repository: &str,
        tag: Option<&str>,
        digest: Option<&str>,
    ) -> Result<Check, AwsError> {
        let client = aws_sdk_ecr::Client::new(&self.config_in(Some(region)));
        let id = aws_sdk_ecr::types::ImageIdentifier::builder()
            .set_image_tag(tag.map(str::to_string))
            .set_image_digest(digest.map(str::to_string))
            .build();
        let shown = match (tag, digest) {
            (_, Some(digest)) => format!("{repository}@{digest}"),
            (Some(tag), None) => format!("{repository}:{tag}"),
            (None, None) => repository.to_string(),
        };
        let described = self
            .paced("DescribeImages", || {
                client
                    .describe_images()
                    .registry_id(registry)
                    .repository_name(repository)
                    .image_ids(id.clone())
                    .send()
            })
            .await;
        match described {
            Ok(output) if !output.image_details().is_empty() => {
                Ok(Check::Found(format!("image {shown} in ECR ({region})")))
            }
            Ok(_) => Ok(Check::Missing(format!(
                "image {shown} is not in ECR ({region})"
            ))),
            Err(err) => judged(
                AwsError::from_sdk("DescribeImages", err),
                &["ImageNotFoundException", "RepositoryNotFoundException"],
                || format!("image {shown} is not in ECR ({region})"),
            ),
        }
    }

    /// The SSM parameter exists (GetParameter without decryption: the value is not used).
    pub async fn parameter(
        &self,
        name: &str,
        given: &str,
        region: Option<&str>,
    ) -> Result<Check, AwsError> {
        let client = aws_sdk_ssm::Client::new(&self.config_in(region));
        // An ARN also finds a parameter shared from another account; a name, one of ours.
        let id = if given.starts_with("arn:") {
            given
        } else {
            name
        };
        let got = self
            .paced("GetParameter", || {
                client
                    .get_parameter()
                    .name(id)
                    .with_decryption(false)
                    .send()
            })
            .await;
        match got {
            Ok(_) => Ok(Check::Found(format!("SSM parameter {name}"))),
            Err(err) => judged(
                AwsError::from_sdk("GetParameter", err),
                &["ParameterNotFound", "ParameterVersionNotFound"],
                || format!("SSM parameter {name} does not exist"),
            ),
        }
    }

    /// The secret exists, with the version stage or id asked for (DescribeSecret: no value).
    pub async fn secret(
        &self,
        arn: &str,
        region: &str,
        version_stage: Option<&str>,
        version_id: Option<&str>,
    ) -> Result<Check, AwsError> {
        let client = aws_sdk_secretsmanager::Client::new(&self.config_in(Some(region)));
        let output = match self
            .paced("DescribeSecret", || {
                client.describe_secret().secret_id(arn).send()
            })
            .await
        {
            Ok(output) => output,
            Err(err) => {
                return judged(
                    AwsError::from_sdk("DescribeSecret", err),
                    &["ResourceNotFoundException"],
                    || format!("secret {arn} does not exist"),
                );
            }
        };
        if output.deleted_date().is_some() {
            return Ok(Check::Missing(format!(
                "secret {arn} is scheduled for deletion"
            )));
        }
        let versions = output.version_ids_to_stages();
        if let Some(id) = version_id
            && !versions.is_some_and(|v| v.contains_key(id))
        {
            return Ok(Check::Missing(format!("secret {arn} has no version {id}")));
        }
        if let Some(stage) = version_stage
            && !versions.is_some_and(|v| v.values().any(|stages| stages.iter().any(|s| s == stage)))
        {
            return Ok(Check::Missing(format!(
                "secret {arn} has no version staged {stage}"
            )));
        }
        Ok(Check::Found(format!("secret {arn}")))
    }

    /// The CloudWatch Logs log group exists.
    pub async fn log_group(&self, name: &str, region: Option<&str>) -> Result<Check, AwsError> {
        let client = aws_sdk_cloudwatchlogs::Client::new(&self.config_in(region));
        let mut next_token: Option<String> = None;
        loop {
            let token = next_token.take();
            let page = match self
                .paced("DescribeLogGroups", || {
                    client
                        .describe_log_groups()
                        .log_group_name_prefix(name)
                        .set_next_token(token.clone())
                        .send()
                })
                .await
            {
                Ok(page) => page,
                Err(err) => {
                    return judged(
                        AwsError::from_sdk("DescribeLogGroups", err),
                        &["ResourceNotFoundException"],
                        || format!("log group {name} does not exist"),
                    );
                }
            };
            if page
                .log_groups()
                .iter()
                .any(|g| g.log_group_name() == Some(name))
            {
                return Ok(Check::Found(format!("log group {name}")));
            }
            match page.next_token() {
                Some(token) if !token.is_empty() => next_token = Some(token.to_string()),
                _ => {
                    return Ok(Check::Missing(format!(
                        "log group {name} does not exist (and awslogs-create-group is not \"true\")"
                    )));
                }
            }
        }
    }
}

/// Whether a trust policy (IAM returns it URL-encoded) allows `sts:AssumeRole` to ECS tasks.
fn trusts_ecs_tasks(document: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(document).decode_utf8_lossy();
    let Ok(policy) = serde_json::from_str::<serde_json::Value>(&decoded) else {
        return false;
    };
    let as_list = |value: &serde_json::Value| -> Vec<String> {
        match value {
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    };
    let statements = match &policy["Statement"] {
        serde_json::Value::Array(items) => items.clone(),
        single @ serde_json::Value::Object(_) => vec![single.clone()],
        _ => Vec::new(),
    };
    statements.iter().any(|statement| {
        statement["Effect"] == "Allow"
            && as_list(&statement["Action"])
                .iter()
                .any(|a| a == "sts:AssumeRole" || a == "sts:*" || a == "*")
            && as_list(&statement["Principal"]["Service"])
                .iter()
                .any(|s| s == ECS_TASKS)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_trust_policy_that_lets_ecs_tasks_assume_the_role_trusts_them() {
        let ecs = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        assert!(trusts_ecs_tasks(ecs));
        let encoded: String =
            percent_encoding::utf8_percent_encode(ecs, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        assert!(trusts_ecs_tasks(&encoded), "IAM's URL-encoded form");
        let lambda = ecs.replace("ecs-tasks", "lambda");
        assert!(!trusts_ecs_tasks(&lambda));
        let denied = ecs.replace("Allow", "Deny");
        assert!(!trusts_ecs_tasks(&denied));
        let listed = r#"{"Statement":{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","ecs-tasks.amazonaws.com"]},"Action":["sts:AssumeRole","sts:TagSession"]}}"#;
        assert!(trusts_ecs_tasks(listed));
        assert!(!trusts_ecs_tasks("not json"));
    }
}
