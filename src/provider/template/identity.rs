//! The identity of an `ecstpl_template` (Terraform 1.12+) and `moved` from the AWS provider's
//! `aws_ecs_task_definition` (Terraform 1.8+), which needs no call to ECS.
//!
//! The identity is the template's family in an account and region, the names the AWS
//! provider's task definition identity uses, without its `revision`: an `ecstpl_template` is
//! its family's template (its `id` is the family), and an edit registers a new revision in
//! place, so a revision number would change the identity on every update. Import by identity
//! takes the family's latest ACTIVE revision, like `terraform import` with a family.

use serde_json::Value as Json;

use crate::plugin::diag::Diagnostics;
use crate::plugin::framework::MoveRequest;
use crate::plugin::schema::{IdentityAttribute, IdentitySchema};
use crate::plugin::value::{Type, Value};
use crate::provider::template::attrs::{ARN, FAMILY};

pub(crate) const ACCOUNT_ID: &str = "account_id";
pub(crate) const REGION: &str = "region";

/// The AWS provider's type and address, and the schema version of its JSON state (version 0
/// is the legacy flatmap form, which Terraform no longer writes).
const AWS_TYPE: &str = "aws_ecs_task_definition";
const AWS_PROVIDER_SUFFIX: &str = "hashicorp/aws";
const AWS_SCHEMA_VERSION: i64 = 1;

pub(crate) fn identity_schema() -> IdentitySchema {
    let attribute = |name: &str, required_for_import, description: &str| IdentityAttribute {
        name: name.to_string(),
        ty: Type::String,
        required_for_import,
        description: description.to_string(),
    };
    IdentitySchema {
        version: 0,
        attributes: vec![
            attribute(
                ACCOUNT_ID,
                false,
                "The AWS account ID; defaults to the provider's account.",
            ),
            attribute(
                REGION,
                false,
                "The AWS region; defaults to the provider's region.",
            ),
            attribute(FAMILY, true, "The template's task definition family."),
        ],
    }
}

/// `(region, account)` of a task definition ARN.
fn arn_location(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (_arn, _partition, service, region, account) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    (service == "ecs" && !region.is_empty() && !account.is_empty()).then_some((region, account))
}

/// The identity of `state`, with the account and region of its ARN, or of `prior`'s when a
/// plan leaves the ARN unknown (an update registers a new revision in the same place).
pub(crate) fn identity(state: &Value, prior: &Value) -> Value {
    let family = state.get_attr(FAMILY).and_then(Value::as_str);
    let arn = |v: &Value| v.get_attr(ARN).and_then(Value::as_str).map(str::to_string);
    let located = arn(state).or_else(|| arn(prior));
    match (family, located.as_deref().and_then(arn_location)) {
        (Some(family), Some((region, account))) => Value::object([
            (ACCOUNT_ID, Value::string(account)),
            (REGION, Value::string(region)),
            (FAMILY, Value::string(family)),
        ]),
        _ => Value::Null,
    }
}

/// The family an import block's `identity` names, or why it cannot be imported.
pub(crate) fn import_family(identity: &Value) -> Result<String, String> {
    let family = identity
        .get_attr(FAMILY)
        .and_then(Value::as_str)
        .unwrap_or("");
    crate::taskdef::validate_family(family)
        .map(|()| family.to_string())
        .map_err(|message| format!("identity.family: {message}"))
}

/// Whether the revision found for an identity import is where the identity says.
pub(crate) fn check_imported_location(identity: &Value, arn: &str) -> Result<(), String> {
    let Some((region, account)) = arn_location(arn) else {
        return Ok(());
    };
    for (name, found) in [(ACCOUNT_ID, account), (REGION, region)] {
        if let Some(wanted) = identity.get_attr(name).and_then(Value::as_str)
            && wanted != found
        {
            return Err(format!(
                "identity.{name} is {wanted:?}, but the provider reaches {found:?} ({arn}). Configure the provider for that {} or correct the identity.",
                if name == REGION { "region" } else { "account" }
            ));
        }
    }
    Ok(())
}

/// The attributes of an `aws_ecs_task_definition` state that can become an
/// `ecstpl_template`'s: one with the ARN of a registered revision.
pub(crate) struct MoveSource {
    pub(crate) attributes: serde_json::Map<String, Json>,
}

pub(crate) fn move_source(request: &MoveRequest) -> Result<MoveSource, Diagnostics> {
    let refuse = |summary: &str, detail: String| Err(Diagnostics::single_error(summary, detail));
    let from_aws = request
        .source_provider_address
        .trim_end_matches('/')
        .ends_with(AWS_PROVIDER_SUFFIX);
    if request.source_type_name != AWS_TYPE || !from_aws {
        return refuse(
            "Cannot move this resource to ecstpl_template",
            format!(
                "ecstpl_template can be moved only from {AWS_TYPE} of the AWS provider (hashicorp/aws); this is {} of {}. To adopt another task definition, use an import block with its ARN or family.",
                request.source_type_name, request.source_provider_address
            ),
        );
    }
    if request.source_schema_version != AWS_SCHEMA_VERSION {
        return refuse(
            "Cannot move this aws_ecs_task_definition: unknown schema version",
            format!(
                "Its state has schema version {}; ecstpl knows version {AWS_SCHEMA_VERSION} (hashicorp/aws 4.x to 6.x). Refresh it with that AWS provider first, or import the revision by ARN.",
                request.source_schema_version
            ),
        );
    }
    let state: serde_json::Map<String, Json> = match serde_json::from_slice(&request.source_state) {
        Ok(state) => state,
        Err(err) => {
            return refuse(
                "Cannot move this aws_ecs_task_definition: unreadable state",
                format!("The stored state is not JSON: {err}."),
            );
        }
    };
    let registered = state
        .get("arn")
        .and_then(Json::as_str)
        .is_some_and(|arn| arn_location(arn).is_some() && arn.contains(":task-definition/"));
    if !registered {
        return refuse(
            "Cannot move this aws_ecs_task_definition: no revision ARN in its state",
            "The state has no `arn` of a registered revision (was it ever applied?). Import the revision by ARN instead.".into(),
        );
    };
    Ok(MoveSource { attributes: state })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(provider: &str, type_name: &str, version: i64, state: Json) -> MoveRequest {
        MoveRequest {
            source_provider_address: provider.into(),
            source_type_name: type_name.into(),
            source_schema_version: version,
            source_state: state.to_string().into_bytes(),
        }
    }

    const ARN_1: &str = "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7";

    #[test]
    fn a_task_definition_of_the_aws_provider_moves_with_its_attributes() {
        let source = move_source(&request(
            "registry.terraform.io/hashicorp/aws",
            "aws_ecs_task_definition",
            1,
            serde_json::json!({"id": "web", "arn": ARN_1, "skip_destroy": true, "track_latest": false}),
        ))
        .unwrap();
        assert_eq!(source.attributes["arn"], ARN_1);
        assert_eq!(source.attributes["skip_destroy"], true);
    }

    #[test]
    fn other_types_providers_versions_and_unapplied_states_are_refused_with_the_reason() {
        let state = serde_json::json!({"arn": ARN_1});
        let refused = |r: MoveRequest, needle: &str| {
            let diags = move_source(&r).err().unwrap();
            let text = format!("{diags:?}");
            assert!(text.contains(needle), "{needle:?} in {text}");
        };
        refused(
            request(
                "registry.terraform.io/hashicorp/aws",
                "aws_ecs_service",
                1,
                state.clone(),
            ),
            "aws_ecs_service of registry.terraform.io/hashicorp/aws",
        );
        refused(
            request(
                "registry.terraform.io/acme/aws",
                "aws_ecs_task_definition",
                1,
                state.clone(),
            ),
            "acme/aws",
        );
        refused(
            request(
                "registry.terraform.io/hashicorp/aws",
                "aws_ecs_task_definition",
                2,
                state,
            ),
            "schema version 2",
        );
        refused(
            request(
                "registry.terraform.io/hashicorp/aws",
                "aws_ecs_task_definition",
                1,
                serde_json::json!({"id": "web", "arn": null}),
            ),
            "no `arn`",
        );
    }

    #[test]
    fn the_identity_is_the_family_where_the_arn_is_and_survives_an_unknown_arn() {
        let state = Value::object([(FAMILY, Value::string("web")), (ARN, Value::string(ARN_1))]);
        let expected = Value::object([
            (ACCOUNT_ID, Value::string("123456789012")),
            (REGION, Value::string("eu-west-1")),
            (FAMILY, Value::string("web")),
        ]);
        assert_eq!(identity(&state, &Value::Null), expected);
        let planned = Value::object([(FAMILY, Value::string("web")), (ARN, Value::unknown())]);
        assert_eq!(identity(&planned, &state), expected);
        assert!(
            identity(&planned, &Value::Null).is_null(),
            "a create's plan has none"
        );
    }

    #[test]
    fn an_identity_import_names_a_valid_family_in_the_place_the_provider_reaches() {
        let identity = Value::object([
            (ACCOUNT_ID, Value::string("123456789012")),
            (REGION, Value::string("us-east-1")),
            (FAMILY, Value::string("web")),
        ]);
        assert_eq!(import_family(&identity).unwrap(), "web");
        assert!(import_family(&Value::object([(FAMILY, Value::string("a b"))])).is_err());
        let err = check_imported_location(&identity, ARN_1).unwrap_err();
        assert!(err.starts_with("identity.region is \"us-east-1\""), "{err}");
        let only_family = Value::object([(FAMILY, Value::string("web"))]);
        assert!(check_imported_location(&only_family, ARN_1).is_ok());
    }
}
