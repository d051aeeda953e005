//! `list "ecstpl_template"` for `terraform query` (Terraform 1.14+): every task definition
//! family the filters match, as its latest revision would be imported, so
//! `terraform query -generate-config-out=FILE` writes `ecstpl_template` blocks and import
//! blocks (by identity) that plan no change to the template.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_ecs::types::TaskDefinitionFamilyStatus;

use crate::plugin::diag::Diagnostics;
use crate::plugin::framework::{ListRequest, ListResource, ListResponse, ListResult};
use crate::plugin::path::AttributePath;
use crate::plugin::schema::{Attribute, Block, Mode, Schema};
use crate::plugin::value::{Type, Value};
use crate::provider::Shared;
use crate::provider::template::read;

const FAMILY_PREFIX: &str = "family_prefix";
const STATUS: &str = "status";
const ONLY_TEMPLATES: &str = "only_templates";
const TAGS: &str = "tags";
const STATUSES: &[&str] = &["ACTIVE", "INACTIVE"];

pub(crate) struct TemplateList {
    shared: Arc<Shared>,
}

impl TemplateList {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }
}

pub(crate) fn schema() -> Schema {
    let optional = |name: &str, ty: Type, description: &str| {
        Attribute::new(name, ty, Mode::Optional, description)
    };
    Schema {
        version: 0,
        block: Block {
            description: "Lists task definition families as `ecstpl_template` resources: each family's latest revision in the given status, with its identity.".into(),
            attributes: vec![
                optional(FAMILY_PREFIX, Type::String, "Only families whose name starts with this."),
                optional(STATUS, Type::String, "`ACTIVE` (default): families with an ACTIVE revision, as their latest ACTIVE one. `INACTIVE`: families with no ACTIVE revision left, as their latest revision (import registers it again)."),
                optional(ONLY_TEMPLATES, Type::Bool, "Only ecstpl's own templates (revisions tagged `ecstpl:role=template`). Default false: every family, so hand-made families and those of `aws_ecs_task_definition` can be adopted."),
                optional(TAGS, Type::map(Type::String), "Only revisions that carry every one of these tags."),
            ],
            ..Block::default()
        },
    }
}

#[tonic::async_trait]
impl ListResource for TemplateList {
    fn type_name(&self) -> &'static str {
        "ecstpl_template"
    }

    fn schema(&self) -> Schema {
        schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        if let Some(status) = config.get_attr(STATUS).and_then(Value::as_str)
            && !STATUSES.contains(&status)
        {
            diags.error_at(
                AttributePath::root(STATUS),
                "Invalid status",
                format!("status is {status:?}; use ACTIVE or INACTIVE."),
            );
        }
        diags
    }

    async fn list(&self, request: ListRequest) -> ListResponse {
        let mut response = ListResponse {
            results: Vec::new(),
            diagnostics: self.validate(&request.config).await,
        };
        if response.diagnostics.has_errors() {
            return response;
        }
        let ecs = match self.shared.ecs() {
            Ok(ecs) => ecs,
            Err(diagnostics) => {
                response.diagnostics = diagnostics;
                return response;
            }
        };
        let config = &request.config;
        let prefix = config.get_attr(FAMILY_PREFIX).and_then(Value::as_str);
        let inactive = config.get_attr(STATUS).and_then(Value::as_str) == Some("INACTIVE");
        let only_templates = config.get_attr(ONLY_TEMPLATES).and_then(Value::as_bool) == Some(true);
        let wanted_tags: BTreeMap<String, String> = config
            .get_attr(TAGS)
            .and_then(Value::as_map)
            .map(|tags| {
                tags.iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        let default_tags = self.shared.default_tags().unwrap_or_default();
        // ECS's INACTIVE filter means "no ACTIVE revision left"; not every endpoint has it,
        // so INACTIVE lists every family and keeps those (below).
        let status = (!inactive).then_some(TaskDefinitionFamilyStatus::Active);
        let families = match ecs.list_families(prefix, status).await {
            Ok(families) => families,
            Err(err) => {
                response
                    .diagnostics
                    .error("Could not list task definition families", err.to_string());
                return response;
            }
        };
        for family in families {
            if response.results.len() >= request.limit {
                break;
            }
            let active = match ecs.list_revisions(&family, true).await {
                Ok(active) => active,
                Err(err) => {
                    response.diagnostics.error(
                        format!("Could not list the revisions of {family}"),
                        err.to_string(),
                    );
                    return response;
                }
            };
            // INACTIVE lists the families that have nothing ACTIVE left.
            let latest = if inactive {
                if !active.is_empty() {
                    continue;
                }
                ecs.list_revisions(&family, false)
                    .await
                    .map(|mut all| all.pop())
            } else {
                Ok(active.last().cloned())
            };
            let revision = match latest {
                Ok(Some(arn)) => ecs.describe_task_definition(&arn).await,
                Ok(None) => continue,
                Err(err) => Err(err),
            };
            let revision = match revision {
                Ok(Some(revision)) => revision,
                Ok(None) => continue,
                Err(err) => {
                    response.diagnostics.error(
                        format!("Could not describe the latest revision of {family}"),
                        err.to_string(),
                    );
                    return response;
                }
            };
            if only_templates && !revision.is_template() {
                continue;
            }
            if !wanted_tags
                .iter()
                .all(|(k, v)| revision.tags.get(k) == Some(v))
            {
                continue;
            }
            response.results.push(ListResult {
                display_name: revision.family_revision(),
                state: read::imported_state(&revision, &default_tags),
            });
        }
        response
    }
}
