//! `ecstpl_template`: owns the template revision of a task definition. Arguments mirror
//! `aws_ecs_task_definition`; a change registers a new revision in place; tags (and
//! `deploy_family`, which is a tag) are updated on the existing revision. A revision is
//! immutable, so a refresh reads only its status and tags, and plans show only real template
//! changes: semantic equality is used where the user's text meets ECS's (plan against prior
//! state, import).
//!
//! One file per concern: the attribute names ([`attrs`]), schema and plan rules ([`schema`]),
//! validation, planning, apply, refresh and import, and the task definition a value describes
//! ([`request`]).

mod apply;
pub(crate) mod attrs;
mod identity;
mod list;
mod moved;
mod plan;
mod private;
mod read;
mod request;
mod schema;
mod validate;

use std::sync::{Arc, LazyLock};

use crate::plugin::diag::Diagnostics;
use crate::plugin::framework::{
    ApplyRequest, ApplyResponse, ImportRequest, ImportResponse, MoveRequest, MoveResponse,
    PlanRequest, PlanResponse, ReadRequest, ReadResponse, Resource, UpgradeRequest,
    UpgradeResponse,
};
use crate::plugin::plan::{PlanRules, Semantics};
use crate::plugin::schema::{IdentitySchema, Nesting, Schema};
use crate::plugin::value::{self, Value};
use crate::provider::Shared;
use crate::provider::task_blocks;

pub(crate) use self::list::TemplateList;
pub(crate) use self::schema::schema;

pub(crate) struct TemplateResource {
    shared: Arc<Shared>,
}

impl TemplateResource {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

#[tonic::async_trait]
impl Resource for TemplateResource {
    fn type_name(&self) -> &'static str {
        "ecstpl_template"
    }

    fn schema(&self) -> Schema {
        schema::schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        validate::validate(config)
    }

    async fn upgrade(&self, request: UpgradeRequest) -> UpgradeResponse {
        if request.version > schema::VERSION {
            return UpgradeResponse {
                state: Value::Null,
                diagnostics: Diagnostics::single_error(
                    "State written by a newer provider",
                    format!(
                        "The state of this ecstpl_template has schema version {}, newer than this provider's {}. Use the provider version that wrote it.",
                        request.version,
                        schema::VERSION
                    ),
                ),
            };
        }
        match value::decode_json(&request.raw_state, schema::value_type()) {
            Ok(state) => UpgradeResponse {
                state: with_empty_block_lists(state),
                diagnostics: Diagnostics::new(),
            },
            Err(err) => UpgradeResponse {
                state: Value::Null,
                diagnostics: Diagnostics::single_error(
                    "Could not read the stored state",
                    err.to_string(),
                ),
            },
        }
    }

    async fn read(&self, request: ReadRequest) -> ReadResponse {
        match self.shared.ecs() {
            Ok(ecs) => {
                read::read(
                    &ecs,
                    request,
                    self.shared.default_tags().unwrap_or_default(),
                )
                .await
            }
            Err(diagnostics) => ReadResponse {
                new_state: request.current_state,
                private: request.private,
                diagnostics,
            },
        }
    }

    fn plan_rules(&self) -> PlanRules {
        schema::PLAN_RULES
    }

    fn semantics(&self) -> &dyn Semantics {
        &plan::TemplateSemantics
    }

    async fn modify_plan(
        &self,
        request: &PlanRequest,
        new_version: bool,
        response: &mut PlanResponse,
    ) {
        plan::modify_plan(
            request,
            self.shared.default_tags().as_ref(),
            new_version,
            response,
        );
        if new_version
            && !response.diagnostics.has_errors()
            && let Some(verifier) = self.shared.verifier()
        {
            plan::verify_references(&verifier, response).await;
        }
    }

    async fn apply(&self, request: ApplyRequest) -> ApplyResponse {
        match self.shared.ecs() {
            // The registration and its clean-up share the operation's deadline: clean-up that
            // finds no room in ECS's rate before it is left for the next apply.
            Ok(ecs) => {
                crate::aws::within(
                    crate::aws::DEFAULT_OPERATION_DEADLINE,
                    apply::apply(&ecs, request, self.shared.default_tags()),
                )
                .await
            }
            Err(diagnostics) => ApplyResponse {
                new_state: request.prior_state,
                private: Vec::new(),
                diagnostics,
            },
        }
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(identity::identity_schema())
    }

    fn identity(&self, state: &Value, prior: &Value) -> Value {
        identity::identity(state, prior)
    }

    async fn move_state(&self, request: MoveRequest) -> MoveResponse {
        moved::move_state(request)
    }

    async fn import(&self, request: ImportRequest) -> ImportResponse {
        match self.shared.ecs() {
            Ok(ecs) => {
                read::import(
                    &ecs,
                    request,
                    self.shared.default_tags().unwrap_or_default(),
                )
                .await
            }
            Err(diagnostics) => ImportResponse {
                state: Value::Null,
                private: Vec::new(),
                diagnostics,
            },
        }
    }
}

/// State stored before a block list existed has no entry for it; Terraform wants an empty
/// list there, never null.
pub(super) fn with_empty_block_lists(mut state: Value) -> Value {
    if state.is_null() {
        return state;
    }
    // Built once: this runs for every instance's state.
    static LIST_BLOCKS: LazyLock<Vec<String>> = LazyLock::new(|| {
        task_blocks::blocks()
            .into_iter()
            .filter(|block| block.nesting == Nesting::List)
            .map(|block| block.name)
            .collect()
    });
    for name in LIST_BLOCKS.iter() {
        if state.get_attr(name).is_none_or(Value::is_null) {
            state.set_attr(name.clone(), Value::List(Vec::new()));
        }
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn state_stored_before_the_block_arguments_existed_upgrades() {
        // Version 0 state as the first release stored it: no block lists, no policy arguments.
        let raw = br#"{"id":"web-template","family":"web-template","container_definitions":"[]",
            "arn":"arn:aws:ecs:us-east-1:1:task-definition/web-template:3","revision":3,
            "tags":{"team":"web"},"tags_all":{"team":"web"}}"#;
        let resource = TemplateResource::new(Arc::new(Shared::default()));
        let upgraded = resource
            .upgrade(UpgradeRequest {
                version: 0,
                raw_state: raw.to_vec(),
            })
            .await;
        assert!(
            upgraded.diagnostics.is_empty(),
            "{:?}",
            upgraded.diagnostics
        );
        assert_eq!(
            upgraded.state.get_attr("revision").and_then(Value::as_i64),
            Some(3)
        );
        assert_eq!(
            upgraded.state.get_attr("volume"),
            Some(&Value::List(vec![]))
        );
        assert_eq!(
            upgraded.state.get_attr("proxy_configuration"),
            Some(&Value::Null)
        );
        // And it encodes for Terraform with the current schema.
        crate::plugin::value::encode(&upgraded.state, &schema::schema().value_type()).unwrap();
    }

    #[tokio::test]
    async fn state_from_a_newer_schema_is_refused() {
        let resource = TemplateResource::new(Arc::new(Shared::default()));
        let upgraded = resource
            .upgrade(UpgradeRequest {
                version: 99,
                raw_state: b"{}".to_vec(),
            })
            .await;
        assert!(upgraded.diagnostics.has_errors());
    }
}
