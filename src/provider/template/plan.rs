//! Planning `ecstpl_template`. The framework applies the plan rules declared in the schema
//! module (new revision → `arn`/`revision` unknown, `family` replaces, defaults ECS fills in
//! mean the same as leaving them out); this module gives the semantics those rules consult and
//! sets what only this resource computes (`id`, `tags_all`).

use std::collections::BTreeMap;

use crate::plugin::framework::{PlanRequest, PlanResponse};
use crate::plugin::plan::Semantics;
use crate::plugin::value::Value;
use crate::provider::template::attrs::*;
use crate::provider::template::moved;
use crate::provider::template::private::Private;
use crate::provider::template::request;
use crate::provider::values;
use crate::taskdef;

/// ECS's limit on tags per task definition.
const MAX_TAGS_PER_REVISION: usize = 50;

/// What makes two `ecstpl_template` values the same to ECS.
pub(crate) struct TemplateSemantics;

impl Semantics for TemplateSemantics {
    fn equivalent(&self, attribute: &str, planned: &Value, a: &Value, b: &Value) -> bool {
        let (Some(a), Some(b)) = (a.as_str(), b.as_str()) else {
            return false;
        };
        match attribute {
            CONTAINER_DEFINITIONS => {
                let context = taskdef::Context {
                    network_mode: values::string(planned, NETWORK_MODE),
                    requires_compatibilities: values::strings(planned, REQUIRES_COMPATIBILITIES),
                };
                match (
                    taskdef::parse_container_definitions(a),
                    taskdef::parse_container_definitions(b),
                ) {
                    (Ok(a), Ok(b)) => taskdef::containers_equivalent(&a, &b, &context),
                    _ => false,
                }
            }
            TASK_DEFINITION => {
                let document = |text: &str| {
                    let mut state = Value::object([(TASK_DEFINITION, Value::string(text))]);
                    state.set_attr(FAMILY, Value::string("template"));
                    request::describe(&state).ok().map(|d| d.body)
                };
                let tags = |text: &str| {
                    request::document_tags(&Value::object([(TASK_DEFINITION, Value::string(text))]))
                };
                match (document(a), document(b)) {
                    (Some(da), Some(db)) => {
                        taskdef::task_definitions_equivalent(&da, &db) && tags(a) == tags(b)
                    }
                    _ => false,
                }
            }
            CPU => same_size(taskdef::normalize_cpu, a, b),
            MEMORY => same_size(taskdef::normalize_memory, a, b),
            _ => false,
        }
    }

    fn needs_new_version(&self, planned: &Value, prior: &Value) -> bool {
        !request::same_revision(planned, prior)
    }
}

fn same_size(normalize: fn(&str) -> Option<String>, a: &str, b: &str) -> bool {
    normalize(a).is_some() && normalize(a) == normalize(b)
}

/// Sets `id` and `tags_all`, which only this resource computes.
pub(crate) fn modify_plan(
    request: &PlanRequest,
    default_tags: Option<&BTreeMap<String, String>>,
    new_version: bool,
    response: &mut PlanResponse,
) {
    let config = &request.config;
    let planned = &mut response.planned_state;
    planned.set_attr(ID, config.get_attr(FAMILY).cloned().unwrap_or(Value::Null));
    let tags_all = planned_tags_all(config, default_tags);
    // ECS allows 50 tags; ecstpl adds its contract tags to what tags_all holds.
    if let Some(all) = tags_all.as_map() {
        let contract = 1 + usize::from(values::string(config, DEPLOY_FAMILY).is_some());
        if all.len() + contract > MAX_TAGS_PER_REVISION {
            response.diagnostics.error_at(
                crate::plugin::path::AttributePath::root(TAGS),
                "Too many tags",
                format!(
                    "tags, the provider's default_tags and the document's tags make {} tags, and ecstpl adds {contract} of its own: ECS allows {MAX_TAGS_PER_REVISION} per task definition.",
                    all.len()
                ),
            );
        }
    }
    let planned = &mut response.planned_state;
    planned.set_attr(TAGS_ALL, tags_all);
    let private = Private::parse(&request.prior_private);
    let new_version = new_version
        && !(private.moved
            && !request.prior_state.is_null()
            && moved::same_revision_in_any_order(planned, &request.prior_state));
    if !new_version && private.moved {
        // Right after a move: the configuration lists the AWS provider's set-backed blocks in
        // another order, the same revision. The order changes in place.
        for name in [ARN, REVISION, ARN_WITHOUT_REVISION] {
            let prior = request.prior_state.get_attr(name).cloned();
            planned.set_attr(name, prior.unwrap_or(Value::Null));
        }
    }
    if new_version {
        tracing::debug!("plan registers a new template revision");
    } else if private.contract_tags_missing && !request.prior_state.is_null() {
        // The revision lacks ecstpl's contract tags: an in-place tag update adds them.
        planned.set_attr(TAGS_ALL, Value::unknown());
    }
    if private.clean_up_pending() && !request.prior_state.is_null() {
        // A clean-up that failed before is retried by this apply; what is left is known then.
        planned.set_attr(PENDING_DEREGISTRATION, Value::unknown());
    }
    if !new_version && !request.prior_state.is_null() {
        warn_when_only_the_form_changes(request, response);
    }
}

/// The same revision moving between the argument form (`container_definitions`, the task
/// arguments and blocks) and the document form (`task_definition`). Terraform requires a
/// configured attribute's planned value to follow the configuration, so such a plan must show
/// one form's attributes going and the other's arriving although nothing is registered: say
/// so plainly. The usual case is the first plan after importing into the document form, as an
/// import (which sees no configuration) writes the argument form.
fn warn_when_only_the_form_changes(request: &PlanRequest, response: &mut PlanResponse) {
    let document = |value: &Value| {
        value
            .get_attr(TASK_DEFINITION)
            .is_some_and(|v| !v.is_null())
    };
    let (was_document, is_document) = (document(&request.prior_state), document(&request.config));
    if was_document == is_document {
        return;
    }
    let arn = values::string(&request.prior_state, ARN).unwrap_or_default();
    let (from, to) = if is_document {
        (
            "`container_definitions` and the task arguments (as an import writes it)",
            "a whole document in `task_definition`",
        )
    } else {
        (
            "a whole document in `task_definition`",
            "`container_definitions` and the task arguments",
        )
    };
    response.diagnostics.warning_at(
        crate::plugin::path::AttributePath::root(TASK_DEFINITION),
        "Only the form changes: nothing will be registered",
        format!(
            "The state holds revision {arn} as {from}; the configuration gives the same revision as {to}. Terraform shows a plan's attributes as the configuration writes them, so this plan lists the old form's attributes going and the new form's arriving. The apply only records the new form in state: no revision is registered and nothing changes in ECS."
        ),
    );
}

/// `verify_references`: what the planned revision needs at run time, asked of IAM, ECR, SSM,
/// Secrets Manager and CloudWatch Logs. Missing is an error on the attribute that names it;
/// not checked (AccessDenied) a warning. A revision not wholly known yet is not checked.
pub(crate) async fn verify_references(
    verifier: &crate::aws::Verifier,
    response: &mut PlanResponse,
) {
    let Ok(definition) = request::register_input(&response.planned_state) else {
        tracing::debug!("references not checked: the revision is not known until apply");
        return;
    };
    let findings = match crate::rollout::verify::verify(verifier, &definition).await {
        Ok(findings) => findings,
        Err(failure) => {
            response.diagnostics.warning(
                "Run-time references not checked",
                format!("verify_references could not ask AWS: {failure}"),
            );
            return;
        }
    };
    let document = request::is_document(&response.planned_state);
    for finding in findings {
        let attribute = if document {
            TASK_DEFINITION
        } else {
            match finding.path.as_str() {
                "executionRoleArn" => EXECUTION_ROLE_ARN,
                "taskRoleArn" => TASK_ROLE_ARN,
                _ => CONTAINER_DEFINITIONS,
            }
        };
        let at = crate::plugin::path::AttributePath::root(attribute);
        match &finding.check {
            crate::aws::Check::Missing(what) => response.diagnostics.error_at(
                at,
                "Missing at run time",
                format!("{}: {what}. ECS would register the revision, and its tasks would fail to start.", finding.path),
            ),
            crate::aws::Check::NotChecked(why) => response.diagnostics.warning_at(
                at,
                "Not checked",
                format!("{}: not checked: {why}", finding.path),
            ),
            crate::aws::Check::Found(_) => {}
        }
    }
}

/// `tags` over `default_tags` (and a document's own tags); unknown while either is unknown.
pub(crate) fn planned_tags_all(
    config: &Value,
    default_tags: Option<&BTreeMap<String, String>>,
) -> Value {
    let Some(default_tags) = default_tags else {
        return Value::unknown();
    };
    let tags = match config.get_attr(TAGS) {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(_) => match values::string_map(config, TAGS) {
            Some(tags) => tags,
            None => return Value::unknown(),
        },
    };
    if values::is_unknown(config, TASK_DEFINITION) {
        return Value::unknown();
    }
    let mut all = request::base_tags(config, default_tags);
    all.extend(tags);
    values::map_value(&all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::framework::{Resource, plan_resource};
    use crate::plugin::path::AttributePath;
    use crate::plugin::schema::Mode;
    use crate::provider::Shared;
    use crate::provider::template::{TemplateResource, schema};
    use std::sync::Arc;

    const ARN_1: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/web-template:1";

    fn state(json: serde_json::Value) -> Value {
        crate::plugin::value::decode_json(
            json.to_string().as_bytes(),
            &schema::schema().value_type(),
        )
        .expect("a state of the schema")
    }

    fn prior(extra: serde_json::Value) -> Value {
        let mut base = serde_json::json!({
            "id": "web-template", "family": "web-template", "arn": ARN_1, "revision": 1,
            "arn_without_revision": "arn:aws:ecs:us-east-1:123456789012:task-definition/web-template",
            "container_definitions": r#"[{"name":"app","image":"x","memory":128}]"#,
            "tags_all": {}
        });
        base.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        state(base)
    }

    fn config(extra: serde_json::Value) -> Value {
        let mut base = serde_json::json!({
            "family": "web-template",
            "container_definitions": r#"[{"name":"app","image":"x","memory":128}]"#,
        });
        base.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        state(base)
    }

    /// What Terraform proposes: the config, with computed attributes the config leaves null
    /// taken from the prior state.
    fn proposed(prior: &Value, config: &Value) -> Value {
        let mut proposed = config.clone();
        for attribute in schema::schema().block.attributes {
            let computed = matches!(attribute.mode, Mode::Computed | Mode::OptionalComputed);
            if computed && config.get_attr(&attribute.name).is_none_or(Value::is_null) {
                proposed.set_attr(
                    attribute.name.clone(),
                    prior
                        .get_attr(&attribute.name)
                        .cloned()
                        .unwrap_or(Value::Null),
                );
            }
        }
        proposed
    }

    async fn plan_with(
        prior: Value,
        config: Value,
        default_tags: Option<BTreeMap<String, String>>,
        private: &[u8],
    ) -> PlanResponse {
        let shared = Arc::new(Shared::default());
        if let Some(tags) = default_tags {
            shared.configure_for_tests(tags);
        } else {
            shared.configure_for_tests_unknown_tags();
        }
        let resource = TemplateResource::new(shared);
        let request = PlanRequest {
            proposed_new_state: proposed(&prior, &config),
            prior_state: prior,
            config,
            prior_private: private.to_vec(),
        };
        plan_resource(&resource, &resource.schema(), request).await
    }

    async fn plan(prior: Value, config: Value) -> PlanResponse {
        plan_with(prior, config, Some(BTreeMap::new()), &[]).await
    }

    fn is_unknown(planned: &Value, name: &str) -> bool {
        planned.get_attr(name).is_some_and(Value::is_unknown)
    }

    #[tokio::test]
    async fn a_family_change_replaces() {
        let response = plan(
            prior(serde_json::json!({})),
            config(serde_json::json!({"family": "api-template"})),
        )
        .await;
        assert_eq!(response.requires_replace, vec![AttributePath::root(FAMILY)]);
        assert!(is_unknown(&response.planned_state, ARN));
        assert!(is_unknown(&response.planned_state, ARN_WITHOUT_REVISION));
    }

    #[tokio::test]
    async fn an_imported_bridge_network_mode_is_no_change_when_the_config_has_none() {
        let response = plan(
            prior(serde_json::json!({"network_mode": "bridge"})),
            config(serde_json::json!({})),
        )
        .await;
        assert_eq!(
            values::string(&response.planned_state, NETWORK_MODE).as_deref(),
            Some("bridge")
        );
        assert_eq!(
            values::string(&response.planned_state, ARN).as_deref(),
            Some(ARN_1)
        );
        assert!(response.requires_replace.is_empty());
        // A real network mode removed is a change.
        let response = plan(
            prior(serde_json::json!({"network_mode": "awsvpc"})),
            config(serde_json::json!({})),
        )
        .await;
        assert_eq!(
            response.planned_state.get_attr(NETWORK_MODE),
            Some(&Value::Null)
        );
        assert!(is_unknown(&response.planned_state, ARN));
    }

    #[tokio::test]
    async fn cpu_and_memory_in_other_units_are_the_same_revision() {
        let response = plan(
            prior(serde_json::json!({"cpu": "256", "memory": "1024"})),
            config(serde_json::json!({"cpu": ".25 vCPU", "memory": "1 GB"})),
        )
        .await;
        assert_eq!(
            values::string(&response.planned_state, CPU).as_deref(),
            Some("256")
        );
        assert_eq!(
            values::string(&response.planned_state, MEMORY).as_deref(),
            Some("1024")
        );
        assert_eq!(
            values::string(&response.planned_state, ARN).as_deref(),
            Some(ARN_1)
        );
        let response = plan(
            prior(serde_json::json!({"cpu": "256"})),
            config(serde_json::json!({"cpu": "512"})),
        )
        .await;
        assert!(is_unknown(&response.planned_state, ARN));
    }

    #[tokio::test]
    async fn reformatted_container_definitions_keep_the_prior_text_and_a_real_change_does_not() {
        let reformatted =
            "[\n  {\"image\": \"x\", \"name\": \"app\", \"memory\": 128, \"essential\": true}\n]";
        let response = plan(
            prior(serde_json::json!({})),
            config(serde_json::json!({"container_definitions": reformatted})),
        )
        .await;
        assert_eq!(
            values::string(&response.planned_state, CONTAINER_DEFINITIONS).as_deref(),
            Some(r#"[{"name":"app","image":"x","memory":128}]"#)
        );
        assert_eq!(
            response
                .planned_state
                .get_attr(REVISION)
                .and_then(Value::as_i64),
            Some(1)
        );
        let changed = r#"[{"name":"app","image":"x","memory":256}]"#;
        let response = plan(
            prior(serde_json::json!({})),
            config(serde_json::json!({"container_definitions": changed})),
        )
        .await;
        assert_eq!(
            values::string(&response.planned_state, CONTAINER_DEFINITIONS).as_deref(),
            Some(changed)
        );
        assert!(is_unknown(&response.planned_state, ARN));
        assert!(is_unknown(&response.planned_state, REVISION));
    }

    #[tokio::test]
    async fn tags_change_in_place_and_unknown_default_tags_leave_tags_all_unknown() {
        let response = plan(
            prior(serde_json::json!({})),
            config(serde_json::json!({"tags": {"team": "web"}})),
        )
        .await;
        assert_eq!(
            values::string(&response.planned_state, ARN).as_deref(),
            Some(ARN_1)
        );
        assert_eq!(
            values::string_map(&response.planned_state, TAGS_ALL).unwrap()["team"],
            "web"
        );
        let response = plan_with(
            prior(serde_json::json!({})),
            config(serde_json::json!({})),
            None,
            &[],
        )
        .await;
        assert!(is_unknown(&response.planned_state, TAGS_ALL));
        assert_eq!(
            values::string(&response.planned_state, ARN).as_deref(),
            Some(ARN_1)
        );
    }

    #[tokio::test]
    async fn a_revision_without_contract_tags_is_retagged_in_place() {
        let response = plan_with(
            prior(serde_json::json!({})),
            config(serde_json::json!({})),
            Some(BTreeMap::new()),
            &Private {
                contract_tags_missing: true,
                ..Private::default()
            }
            .to_bytes(),
        )
        .await;
        assert!(is_unknown(&response.planned_state, TAGS_ALL));
        assert_eq!(
            values::string(&response.planned_state, ARN).as_deref(),
            Some(ARN_1)
        );
    }

    fn warned_that_only_the_form_changes(response: &PlanResponse) -> bool {
        format!("{:?}", response.diagnostics).contains("Only the form changes")
    }

    #[tokio::test]
    async fn moving_the_same_revision_between_forms_warns_that_nothing_is_registered() {
        let document = r#"{"containerDefinitions":[{"name":"app","image":"x","memory":128}]}"#;
        let to_document = plan(
            prior(serde_json::json!({})),
            config(serde_json::json!({"container_definitions": null, "task_definition": document})),
        )
        .await;
        assert_eq!(
            values::string(&to_document.planned_state, ARN).as_deref(),
            Some(ARN_1)
        );
        assert!(warned_that_only_the_form_changes(&to_document));
        let to_arguments = plan(
            prior(serde_json::json!({"container_definitions": null, "task_definition": document})),
            config(serde_json::json!({})),
        )
        .await;
        assert!(warned_that_only_the_form_changes(&to_arguments));
        // A real change in the new form registers a revision: no such warning.
        let changed = r#"{"containerDefinitions":[{"name":"app","image":"x","memory":256}]}"#;
        let response = plan(
            prior(serde_json::json!({})),
            config(serde_json::json!({"container_definitions": null, "task_definition": changed})),
        )
        .await;
        assert!(is_unknown(&response.planned_state, ARN));
        assert!(!warned_that_only_the_form_changes(&response));
        // The same form: no warning.
        let response = plan(prior(serde_json::json!({})), config(serde_json::json!({}))).await;
        assert!(!warned_that_only_the_form_changes(&response));
    }

    #[tokio::test]
    async fn create_leaves_the_revision_unknown_and_computes_id_and_tags_all() {
        let response = plan(Value::Null, config(serde_json::json!({"tags": {"a": "b"}}))).await;
        assert!(is_unknown(&response.planned_state, ARN));
        assert!(is_unknown(&response.planned_state, REVISION));
        assert_eq!(
            values::string(&response.planned_state, ID).as_deref(),
            Some("web-template")
        );
        assert_eq!(
            values::string_map(&response.planned_state, TAGS_ALL).unwrap()["a"],
            "b"
        );
        assert_eq!(
            response.planned_state.get_attr(NETWORK_MODE),
            Some(&Value::Null)
        );
    }
}
