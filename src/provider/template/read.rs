//! Refresh and import of `ecstpl_template`.
//!
//! A revision is immutable and its ARN is its identity, so a refresh reads only what can
//! change for that ARN: whether it is still ACTIVE (if not, it leaves state and Terraform
//! registers it again) and its tags. It never rewrites the configured attributes from the
//! live body, so nothing ECS adds to a stored revision, today or in a future API version, can
//! show up as a diff. Import is the one place state comes from what ECS stores: it writes the
//! revision as stored, and the first plan compares the configuration with it semantically.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use crate::aws::{self, Ecs, Revision};
use crate::plugin::diag::Diagnostics;
use crate::plugin::framework::{ImportRequest, ImportResponse, ReadRequest, ReadResponse};
use crate::plugin::value::{Type, Value};
use crate::provider::task_blocks;
use crate::provider::template::attrs::*;
use crate::provider::template::private::Private;
use crate::provider::template::{identity, request, schema};
use crate::provider::values;
use crate::taskdef;

pub(crate) async fn read(
    ecs: &Ecs,
    request: ReadRequest,
    default_tags: BTreeMap<String, String>,
) -> ReadResponse {
    let mut response = ReadResponse {
        new_state: request.current_state.clone(),
        private: request.private,
        diagnostics: Diagnostics::new(),
    };
    let state = &request.current_state;
    let (Some(arn), Some(family)) = (values::string(state, ARN), values::string(state, FAMILY))
    else {
        return response;
    };
    let status = match ecs.template_status(&arn, &family).await {
        Ok(status) => status,
        Err(err) => {
            response
                .diagnostics
                .error("Could not read the template revision", err.to_string());
            return response;
        }
    };
    let Some(revision) = status.revision else {
        tracing::info!(%arn, "template revision is gone or INACTIVE; removing it from state");
        response.new_state = Value::Null;
        return response;
    };
    if !status.newer.is_empty() {
        response.diagnostics.warning(
            "Revisions registered after the template",
            format!(
                "{} registered into the template family {family:?} after {arn} (the console's \"Create new revision\" does this). They are not the template: ecstpl deploy, render and status use the latest ACTIVE revision tagged {}={}, which is {arn}. Deregister them, or change the template in Terraform.",
                status.newer.join(", "),
                aws::contract::TAG_ROLE,
                aws::contract::ROLE_TEMPLATE
            ),
        );
    }
    let base = request::base_tags(state, &default_tags);
    set_tags(&mut response.new_state, state, &revision, &base);
    let mut private = Private::parse(&response.private);
    private.contract_tags_missing = !revision.is_template();
    response.private = private.to_bytes();
    response
}

/// `tags_all` as ECS has it, `tags` as the user wrote them (provider and document tags stay in
/// `tags_all` only), `deploy_family` from its contract tag.
fn set_tags(
    state: &mut Value,
    prior: &Value,
    revision: &Revision,
    base_tags: &BTreeMap<String, String>,
) {
    let user_tags = aws::user_tags(&revision.tags);
    let prior_tags = values::string_map(prior, TAGS).unwrap_or_default();
    let tags: BTreeMap<String, String> = user_tags
        .iter()
        .filter(|(k, v)| prior_tags.contains_key(*k) || base_tags.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let tags_value = if tags.is_empty() && prior.get_attr(TAGS).is_none_or(Value::is_null) {
        Value::Null
    } else {
        values::map_value(&tags)
    };
    state.set_attr(TAGS, tags_value);
    state.set_attr(TAGS_ALL, values::map_value(&user_tags));
    state.set_attr(
        DEPLOY_FAMILY,
        values::optional_string(
            revision
                .tags
                .get(aws::contract::TAG_DEPLOY_FAMILY)
                .map(String::as_str),
        ),
    );
}

pub(crate) async fn import(
    ecs: &Ecs,
    request: ImportRequest,
    default_tags: BTreeMap<String, String>,
) -> ImportResponse {
    let mut response = ImportResponse {
        state: Value::Null,
        private: Vec::new(),
        diagnostics: Diagnostics::new(),
    };
    let by_identity = request.id.trim().is_empty() && !request.identity.is_null();
    let family_of_identity;
    let id = if by_identity {
        match identity::import_family(&request.identity) {
            Ok(family) => {
                family_of_identity = family;
                family_of_identity.as_str()
            }
            Err(message) => {
                response
                    .diagnostics
                    .error("Invalid import identity", message);
                return response;
            }
        }
    } else {
        request.id.trim()
    };
    if let Err(message) = check_import_id(id) {
        response.diagnostics.error("Invalid import ID", message);
        return response;
    }
    let lookup = if id.contains(':') {
        ecs.describe_task_definition(id).await
    } else {
        // A bare family means its latest ACTIVE revision (not whatever DescribeTaskDefinition picks).
        match ecs.latest_active_revision(id).await {
            Ok(Some(arn)) => ecs.describe_task_definition(&arn).await,
            Ok(None) => Ok(None),
            Err(err) => Err(err),
        }
    };
    match lookup {
        Ok(Some(revision)) if revision.is_active() => {
            if by_identity
                && let Err(message) =
                    identity::check_imported_location(&request.identity, revision.arn())
            {
                response.diagnostics.error("Invalid import identity", message);
                return response;
            }
            if !revision.is_template() {
                response.diagnostics.warning(
                    "Importing a revision ecstpl did not register",
                    format!(
                        "{} has no `{}={}` tag. Terraform will own it from now on; the next apply adds ecstpl's contract tags to it (tags_all shows the change), registering nothing.",
                        revision.arn(),
                        aws::contract::TAG_ROLE,
                        aws::contract::ROLE_TEMPLATE
                    ),
                );
            }
            response.state = imported_state(&revision, &default_tags);
            response.private = Private {
                contract_tags_missing: !revision.is_template(),
                ..Private::default()
            }
            .to_bytes();
        }
        Ok(_) => response.diagnostics.error(
            "Cannot import: no ACTIVE task definition revision found",
            format!(
                "Nothing ACTIVE matches {id:?}. Import takes an ARN, `family:revision`, or a family name (its latest ACTIVE revision)."
            ),
        ),
        Err(err) => response
            .diagnostics
            .error("Could not look up the task definition to import", err.to_string()),
    }
    response
}

/// The forms an import ID takes: a task definition ARN, `family:revision` or `family`.
pub(crate) fn check_import_id(id: &str) -> Result<(), String> {
    const FORMS: &str = "Import takes a task definition ARN (arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION), FAMILY:REVISION, or FAMILY (its latest ACTIVE revision).";
    let family_revision = |text: &str| -> bool {
        text.rsplit_once(':').is_some_and(|(family, revision)| {
            taskdef::validate_family(family).is_ok()
                && !revision.is_empty()
                && revision.chars().all(|c| c.is_ascii_digit())
        })
    };
    let ok = if let Some(rest) = id.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        parts.len() == 5
            && parts[0].starts_with("aws")
            && parts[1] == "ecs"
            && parts[4]
                .strip_prefix("task-definition/")
                .is_some_and(family_revision)
    } else if id.contains(':') {
        family_revision(id)
    } else {
        taskdef::validate_family(id).is_ok()
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{id:?} is none of these. {FORMS}"))
    }
}

/// A state object with every attribute null and every list of blocks empty.
fn empty_state() -> Value {
    let Type::Object(attributes) = schema::value_type() else {
        return Value::Null;
    };
    Value::Object(
        attributes
            .iter()
            .map(|(name, ty)| {
                let value = match ty {
                    Type::List(_) => Value::List(Vec::new()),
                    _ => Value::Null,
                };
                (name.clone(), value)
            })
            .collect(),
    )
}

/// The state of an imported revision: what ECS stores, in the argument form. Container
/// definitions are written without the pure defaults ECS added, so they read like what users
/// write; every other value is as stored, and the plan compares it semantically.
pub(crate) fn imported_state(
    revision: &Revision,
    default_tags: &BTreeMap<String, String>,
) -> Value {
    let live = &revision.task_definition;
    let live_str = |key: &str| values::optional_string(live.get(key).and_then(Json::as_str));
    let mut state = empty_state();
    state.set_attr(ID, Value::string(revision.family()));
    state.set_attr(FAMILY, Value::string(revision.family()));
    set_identity(&mut state, revision);
    state.set_attr(PENDING_DEREGISTRATION, Value::List(Vec::new()));
    let context = taskdef::Context {
        network_mode: live
            .get("networkMode")
            .and_then(Json::as_str)
            .map(str::to_string),
        requires_compatibilities: compatibilities(live),
    };
    state.set_attr(
        CONTAINER_DEFINITIONS,
        Value::string(taskdef::imported_container_definitions(
            &revision.containers(),
            &context,
        )),
    );
    state.set_attr(CPU, live_str("cpu"));
    state.set_attr(MEMORY, live_str("memory"));
    for (attribute, key) in STRING_ARGUMENTS {
        state.set_attr(*attribute, live_str(key));
    }
    state.set_attr(
        ENABLE_FAULT_INJECTION,
        live.get("enableFaultInjection")
            .and_then(Json::as_bool)
            .map_or(Value::Null, Value::Bool),
    );
    let compatibilities = context.requires_compatibilities;
    state.set_attr(
        REQUIRES_COMPATIBILITIES,
        if compatibilities.is_empty() {
            Value::Null
        } else {
            values::set_value(compatibilities)
        },
    );
    task_blocks::from_revision(live, &mut state);
    set_tags(&mut state, &Value::Null, revision, default_tags);
    state
}

fn compatibilities(live: &Map<String, Json>) -> Vec<String> {
    live.get("requiresCompatibilities")
        .and_then(Json::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `arn`, `revision` and `arn_without_revision` of a registered revision.
pub(crate) fn set_identity(state: &mut Value, revision: &Revision) {
    state.set_attr(ARN, Value::string(revision.arn()));
    state.set_attr(REVISION, Value::from(revision.revision()));
    state.set_attr(
        ARN_WITHOUT_REVISION,
        Value::string(arn_without_revision(revision.arn())),
    );
}

pub(crate) fn arn_without_revision(arn: &str) -> String {
    match arn.rsplit_once(':') {
        Some((base, revision)) if revision.chars().all(|c| c.is_ascii_digit()) => base.to_string(),
        _ => arn.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_without_revision_strips_only_a_revision_number() {
        assert_eq!(
            arn_without_revision(
                "arn:aws:ecs:us-east-1:123456789012:task-definition/web-template:7"
            ),
            "arn:aws:ecs:us-east-1:123456789012:task-definition/web-template"
        );
        assert_eq!(arn_without_revision("not-an-arn"), "not-an-arn");
    }

    #[test]
    fn import_ids_take_three_forms() {
        for good in [
            "arn:aws:ecs:us-east-1:123456789012:task-definition/web-template:3",
            "arn:aws-cn:ecs:cn-north-1:123456789012:task-definition/web:1",
            "web-template:3",
            "web-template",
        ] {
            assert!(check_import_id(good).is_ok(), "{good}");
        }
        for bad in [
            "family:abc",
            "arn:aws:s3:::bucket",
            "",
            "web template",
            "arn:aws:ecs:us-east-1:1:service/web",
        ] {
            let message = check_import_id(bad).unwrap_err();
            assert!(message.contains("FAMILY:REVISION"), "{bad}: {message}");
        }
    }

    #[test]
    fn an_imported_revision_fits_the_schema() {
        let body = br#"{"taskDefinition":{"taskDefinitionArn":"arn:aws:ecs:us-east-1:1:task-definition/web:3",
            "family":"web","revision":3,"status":"ACTIVE","networkMode":"bridge","enableFaultInjection":false,
            "volumes":[{"name":"efs","configuredAtLaunch":false,"efsVolumeConfiguration":{"fileSystemId":"fs-1","rootDirectory":"/"}}],
            "containerDefinitions":[{"name":"app","image":"x","cpu":0,"essential":true,"memory":128,"mountPoints":[]}]},
            "tags":[{"key":"team","value":"web"}]}"#;
        let revision = Revision::from_response("DescribeTaskDefinition", body).unwrap();
        let state = imported_state(&revision, &BTreeMap::new());
        crate::plugin::value::encode(&state, &schema::schema().value_type()).unwrap();
        assert_eq!(
            values::string(&state, NETWORK_MODE).as_deref(),
            Some("bridge")
        );
        assert_eq!(values::boolean(&state, ENABLE_FAULT_INJECTION), Some(false));
        assert_eq!(
            values::string(&state, CONTAINER_DEFINITIONS).as_deref(),
            Some(r#"[{"name":"app","image":"x","memory":128}]"#)
        );
        assert_eq!(values::string_map(&state, TAGS).unwrap()["team"], "web");
    }
}
