//! What a task definition's tasks will need at run time, found in the definition itself: the
//! roles ECS assumes, the ECR images it pulls, the SSM parameters and Secrets Manager secrets it
//! injects, and the CloudWatch log groups `awslogs` writes to. Pure: the AWS adapter checks
//! each one exists; this module only reads the definition, with the field path of each.
//!
//! Forms, as the ECS developer guide gives them ("Pass sensitive data to an Amazon ECS
//! container", "Using the awslogs log driver", "Amazon ECR image URIs"):
//! - `valueFrom`: an SSM parameter's full ARN or its name (same Region), or a Secrets Manager
//!   secret's ARN, optionally `arn:…:secret:NAME:json-key:version-stage:version-id`;
//! - ECR images: `ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY[:TAG][@sha256:DIGEST]`;
//! - `awslogs`: the `awslogs-group` option, in `awslogs-region` (default: the task's Region),
//!   created at run time when `awslogs-create-group` is `"true"`.

use serde_json::{Map, Value as Json};

use crate::taskdef::render::containers;

/// Something a task needs at run time, with the field path that names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reference {
    /// `executionRoleArn`, `containerDefinitions[app].secrets[DB].valueFrom`, …
    pub path: String,
    pub kind: ReferenceKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReferenceKind {
    /// An IAM role ECS assumes for the task (`executionRoleArn`, `taskRoleArn`).
    Role { arn: String },
    /// An image in ECR. `tag` is `latest` when neither a tag nor a digest is given.
    EcrImage {
        registry: String,
        region: String,
        repository: String,
        tag: Option<String>,
        digest: Option<String>,
    },
    /// An SSM parameter: its name, and its ARN, Region and account when given as an ARN.
    Parameter {
        name: String,
        arn: Option<String>,
        region: Option<String>,
        account: Option<String>,
    },
    /// A Secrets Manager secret: its ARN without the json-key, stage and id parts.
    Secret {
        arn: String,
        region: String,
        version_stage: Option<String>,
        version_id: Option<String>,
    },
    /// A CloudWatch Logs log group `awslogs` writes to.
    LogGroup {
        name: String,
        region: Option<String>,
    },
}

/// Every run-time reference of a definition (RegisterTaskDefinition input or a described
/// revision), in field order.
pub fn references(definition: &Map<String, Json>) -> Vec<Reference> {
    let mut found = Vec::new();
    for key in ["executionRoleArn", "taskRoleArn"] {
        if let Some(arn) = definition
            .get(key)
            .and_then(Json::as_str)
            .filter(|a| !a.is_empty())
        {
            found.push(Reference {
                path: key.to_string(),
                kind: ReferenceKind::Role {
                    arn: arn.to_string(),
                },
            });
        }
    }
    for container in containers(definition) {
        let name = container
            .get("name")
            .and_then(Json::as_str)
            .unwrap_or_default();
        let at = |field: &str| format!("containerDefinitions[{name}].{field}");
        if let Some(kind) = container
            .get("image")
            .and_then(Json::as_str)
            .and_then(ecr_image)
        {
            found.push(Reference {
                path: at("image"),
                kind,
            });
        }
        for secret in list(&container, "secrets") {
            if let Some(kind) = secret_reference(&secret) {
                found.push(Reference {
                    path: at(&format!("secrets[{}].valueFrom", entry_name(&secret))),
                    kind,
                });
            }
        }
        let Some(logging) = container.get("logConfiguration").and_then(Json::as_object) else {
            continue;
        };
        for secret in list(logging, "secretOptions") {
            if let Some(kind) = secret_reference(&secret) {
                found.push(Reference {
                    path: at(&format!(
                        "logConfiguration.secretOptions[{}].valueFrom",
                        entry_name(&secret)
                    )),
                    kind,
                });
            }
        }
        let options = logging.get("options").and_then(Json::as_object);
        let option = |key: &str| options.and_then(|o| o.get(key)).and_then(Json::as_str);
        let creates =
            option("awslogs-create-group").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if logging.get("logDriver").and_then(Json::as_str) == Some("awslogs")
            && !creates
            && let Some(group) = option("awslogs-group").filter(|g| !g.is_empty())
        {
            found.push(Reference {
                path: at("logConfiguration.options.awslogs-group"),
                kind: ReferenceKind::LogGroup {
                    name: group.to_string(),
                    region: option("awslogs-region").map(str::to_string),
                },
            });
        }
    }
    found
}

fn list(object: &Map<String, Json>, key: &str) -> Vec<Map<String, Json>> {
    object
        .get(key)
        .and_then(Json::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.as_object().cloned())
                .collect()
        })
        .unwrap_or_default()
}

fn entry_name(entry: &Map<String, Json>) -> String {
    entry
        .get("name")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_string()
}

fn secret_reference(entry: &Map<String, Json>) -> Option<ReferenceKind> {
    value_from(entry.get("valueFrom")?.as_str()?)
}

/// What a `valueFrom` names: an SSM parameter (ARN or name) or a Secrets Manager secret.
pub fn value_from(value: &str) -> Option<ReferenceKind> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let Some(rest) = value.strip_prefix("arn:") else {
        return Some(ReferenceKind::Parameter {
            name: value.to_string(),
            arn: None,
            region: None,
            account: None,
        });
    };
    // arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE…
    let parts: Vec<&str> = rest.split(':').collect();
    match parts.as_slice() {
        [_, "ssm", region, account, resource @ ..] => {
            let resource = resource.join(":");
            let tail = resource.strip_prefix("parameter")?;
            // A name with a hierarchy starts with "/", which the ARN keeps ("parameter/a/b");
            // a flat name follows one "/" ("parameter/name").
            let name = match tail.strip_prefix('/') {
                Some(flat) if !flat.contains('/') => flat.to_string(),
                _ => tail.to_string(),
            };
            Some(ReferenceKind::Parameter {
                name,
                arn: Some(value.to_string()),
                region: Some(region.to_string()),
                account: Some(account.to_string()),
            })
        }
        [
            partition,
            "secretsmanager",
            region,
            account,
            "secret",
            name,
            extra @ ..,
        ] => {
            let part = |i: usize| {
                extra
                    .get(i)
                    .filter(|p| !p.is_empty())
                    .map(|p| p.to_string())
            };
            Some(ReferenceKind::Secret {
                arn: format!("arn:{partition}:secretsmanager:{region}:{account}:secret:{name}"),
                region: region.to_string(),
                version_stage: part(1),
                version_id: part(2),
            })
        }
        _ => None,
    }
}

/// An ECR image reference, or None for any other registry.
pub fn ecr_image(image: &str) -> Option<ReferenceKind> {
    let (host, path) = image.split_once('/')?;
    let labels: Vec<&str> = host.split('.').collect();
    // ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn]
    let [registry, "dkr", ecr, region, "amazonaws", "com", ..] = labels.as_slice() else {
        return None;
    };
    if !ecr.starts_with("ecr")
        || registry.len() != 12
        || !registry.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let (named, digest) = match path.split_once('@') {
        Some((named, digest)) => (named, Some(digest.to_string())),
        None => (path, None),
    };
    // A tag follows the last ":" of the last path segment (a port would be in the host).
    let (repository, tag) = match named.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') => (repository, Some(tag.to_string())),
        _ => (named, None),
    };
    let tag = match (&tag, &digest) {
        (None, None) => Some("latest".to_string()),
        _ => tag,
    };
    Some(ReferenceKind::EcrImage {
        registry: registry.to_string(),
        region: region.to_string(),
        repository: repository.to_string(),
        tag,
        digest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn value_from_names_a_parameter_or_a_secret_in_every_form_ecs_takes() {
        assert_eq!(
            value_from("db_password"),
            Some(ReferenceKind::Parameter {
                name: "db_password".into(),
                arn: None,
                region: None,
                account: None
            })
        );
        assert_eq!(
            value_from("arn:aws:ssm:eu-west-1:123456789012:parameter/prod/db/password"),
            Some(ReferenceKind::Parameter {
                name: "/prod/db/password".into(),
                arn: Some("arn:aws:ssm:eu-west-1:123456789012:parameter/prod/db/password".into()),
                region: Some("eu-west-1".into()),
                account: Some("123456789012".into())
            })
        );
        assert_eq!(
            value_from("arn:aws:ssm:eu-west-1:123456789012:parameter/flat"),
            Some(ReferenceKind::Parameter {
                name: "flat".into(),
                arn: Some("arn:aws:ssm:eu-west-1:123456789012:parameter/flat".into()),
                region: Some("eu-west-1".into()),
                account: Some("123456789012".into())
            })
        );
        let base = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf";
        assert_eq!(
            value_from(&format!("{base}:password:AWSCURRENT:")),
            Some(ReferenceKind::Secret {
                arn: base.into(),
                region: "us-east-1".into(),
                version_stage: Some("AWSCURRENT".into()),
                version_id: None
            })
        );
        assert_eq!(
            value_from(base),
            Some(ReferenceKind::Secret {
                arn: base.into(),
                region: "us-east-1".into(),
                version_stage: None,
                version_id: None
            })
        );
        assert_eq!(value_from(""), None);
        assert_eq!(value_from("arn:aws:s3:::bucket/key"), None);
    }

    #[test]
    fn only_ecr_images_are_references_with_tag_digest_or_latest() {
        let image = |text: &str| ecr_image(text);
        assert_eq!(
            image("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web:v1"),
            Some(ReferenceKind::EcrImage {
                registry: "123456789012".into(),
                region: "eu-west-1".into(),
                repository: "team/web".into(),
                tag: Some("v1".into()),
                digest: None
            })
        );
        let digest = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            image(&format!(
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/web@{digest}"
            )),
            Some(ReferenceKind::EcrImage {
                registry: "123456789012".into(),
                region: "us-east-1".into(),
                repository: "web".into(),
                tag: None,
                digest: Some(digest.clone())
            })
        );
        assert!(matches!(
            image("123456789012.dkr.ecr.us-east-1.amazonaws.com/web"),
            Some(ReferenceKind::EcrImage { tag: Some(t), .. }) if t == "latest"
        ));
        assert_eq!(image("nginx:1.27"), None);
        assert_eq!(image("public.ecr.aws/nginx/nginx:1.27"), None);
        assert_eq!(image("ghcr.io/org/app:v1"), None);
    }

    #[test]
    fn references_carry_the_field_path_and_skip_groups_ecs_creates() {
        let definition = json!({
            "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
            "containerDefinitions": [{
                "name": "app",
                "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1",
                "secrets": [{"name": "DB", "valueFrom": "/prod/db"}],
                "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web"},
                                     "secretOptions": [{"name": "KEY", "valueFrom": "key"}]}
            }, {
                "name": "side", "image": "busybox",
                "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/side", "awslogs-create-group": "true"}}
            }]
        });
        let paths: Vec<String> = references(definition.as_object().unwrap())
            .into_iter()
            .map(|r| r.path)
            .collect();
        assert_eq!(
            paths,
            vec![
                "executionRoleArn",
                "containerDefinitions[app].image",
                "containerDefinitions[app].secrets[DB].valueFrom",
                "containerDefinitions[app].logConfiguration.secretOptions[KEY].valueFrom",
                "containerDefinitions[app].logConfiguration.options.awslogs-group",
            ]
        );
    }
}
