//! The interface a provider implements: one trait for the provider, one for each managed
//! resource type and one for each data source, with one request and one response struct per
//! operation. The gRPC layer ([`crate::plugin::grpc`]) decodes wire values with the schemas
//! given here and encodes answers back; implementations only see [`Value`]s.
//!
//! The doc comment of each method states when Terraform calls it and the rules Terraform
//! enforces on the answer, so implementers need not rediscover them.

use std::sync::Arc;

use crate::plugin::diag::Diagnostics;
use crate::plugin::path::AttributePath;
use crate::plugin::plan::{PlanRules, Semantics};
use crate::plugin::schema::{IdentitySchema, Schema};
use crate::plugin::value::Value;

/// The provider itself: its configuration and the types it serves.
#[tonic::async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The provider's own configuration schema (the `provider "…" {}` block).
    fn schema(&self) -> Schema;

    /// Managed resource types. Called once per process.
    fn resources(&self) -> Vec<Arc<dyn Resource>>;

    /// Data source types. Called once per process.
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>>;

    /// List resource types for `terraform query` (Terraform 1.14+); each must have the name of
    /// a managed resource type with an identity schema. Called once per process.
    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        Vec::new()
    }

    /// Action types (Terraform 1.14+). Called once per process.
    fn actions(&self) -> Vec<Arc<dyn Action>> {
        Vec::new()
    }

    /// `ValidateProviderConfig`: static checks. The config may hold unknown values, which must
    /// be skipped rather than rejected.
    async fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// `ConfigureProvider`: called once per process before resource operations (not before
    /// validation). The config may still hold unknown values during plan; that must not fail
    /// here: defer the error to an operation that really needs the value.
    async fn configure(&self, request: ConfigureRequest) -> Diagnostics;
}

pub struct ConfigureRequest {
    pub terraform_version: String,
    pub config: Value,
}

/// A managed resource type.
#[tonic::async_trait]
pub trait Resource: Send + Sync + 'static {
    /// The type name, e.g. `ecstpl_template`.
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    /// `ValidateResourceConfig`: static checks before any plan, with attribute paths. Values
    /// unknown at this point must be skipped, not rejected. No API calls.
    async fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// `UpgradeResourceState`: called for every instance in state on every run, even when the
    /// stored version equals the current one. `raw_state` is the JSON Terraform stored, written
    /// with the schema of `version`. Return the state in the current schema.
    async fn upgrade(&self, request: UpgradeRequest) -> UpgradeResponse;

    /// `ReadResource`: refresh from the real world. Return `Value::Null` when the object is
    /// gone (Terraform plans to create it again). The result must be wholly known. Keep the
    /// user's representation of values that are semantically unchanged.
    async fn read(&self, request: ReadRequest) -> ReadResponse;

    /// The plan rules Terraform's protocol needs for this type (replacement, new versions,
    /// meaningful absence), applied by the framework to every `PlanResourceChange` before
    /// [`Resource::modify_plan`]. See [`crate::plugin::plan`].
    fn plan_rules(&self) -> PlanRules {
        PlanRules::default()
    }

    /// Semantic equality of this type's values, used by the plan rules (default: none, only
    /// equal values are the same).
    fn semantics(&self) -> &dyn Semantics {
        &crate::plugin::plan::ExactValues
    }

    /// `PlanResourceChange` after the framework applied [`Resource::plan_rules`]: called at
    /// plan time and again at apply time (the second answer must be compatible with the first).
    /// `response.planned_state` holds the framework's plan; `new_version` says whether it makes
    /// a new object or version. For every non-computed attribute the planned value must equal
    /// the config value, or the prior value when both are non-null. Computed attributes may be
    /// unknown. `requires_replace` may list only paths whose value changes. Not called for
    /// destroy (prior known, proposed null): Terraform plans that itself.
    async fn modify_plan(
        &self,
        request: &PlanRequest,
        new_version: bool,
        response: &mut PlanResponse,
    ) {
        let _ = (request, new_version, response);
    }

    /// `ApplyResourceChange`: create (prior null), update, or delete (planned null; return
    /// `Value::Null`). Not cancelled by `StopProvider` (a write that may have reached the API
    /// must end in state; Terraform waits for applies in flight after an interrupt), so every
    /// call made here must be time-bounded. The new state must be wholly known and keep every value that was known in
    /// the plan. When a step fails after something was created, return the state that now
    /// exists together with the error, so nothing is orphaned.
    async fn apply(&self, request: ApplyRequest) -> ApplyResponse;

    /// The identity schema (Terraform 1.12+), or None for a type without identity. When
    /// there is one, [`Resource::identity`] is sent with every state the provider returns.
    fn identity_schema(&self) -> Option<IdentitySchema> {
        None
    }

    /// The identity of the instance `state` describes (`planned` for a plan, whose computed
    /// values may be unknown; `prior` as a fallback for what a plan does not change). Null
    /// when it is not known yet (a create's plan): no identity is sent then.
    fn identity(&self, state: &Value, prior: &Value) -> Value {
        let _ = (state, prior);
        Value::Null
    }

    /// `MoveResourceState` (Terraform 1.8+): a `moved` block from another resource type,
    /// possibly of another provider. Answer the state (and private data) of this type, or a
    /// diagnostic that says why the source cannot be moved.
    async fn move_state(&self, request: MoveRequest) -> MoveResponse {
        MoveResponse {
            state: Value::Null,
            private: Vec::new(),
            diagnostics: Diagnostics::single_error(
                format!(
                    "{} cannot be moved from {}",
                    self.type_name(),
                    request.source_type_name
                ),
                "This resource type accepts no `moved` block from another resource type.",
            ),
        }
    }

    /// `ImportResourceState`: turn a user-given id into a state. Terraform then calls `read`.
    async fn import(&self, request: ImportRequest) -> ImportResponse {
        let _ = request;
        ImportResponse {
            state: Value::Null,
            private: Vec::new(),
            diagnostics: Diagnostics::single_error(
                format!("{} does not support import", self.type_name()),
                "",
            ),
        }
    }
}

pub struct UpgradeRequest {
    pub version: i64,
    pub raw_state: Vec<u8>,
}

pub struct UpgradeResponse {
    pub state: Value,
    pub diagnostics: Diagnostics,
}

pub struct ReadRequest {
    pub current_state: Value,
    pub private: Vec<u8>,
}

pub struct ReadResponse {
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

/// Plans a change of `resource`: its [`PlanRules`] first, then its own
/// [`Resource::modify_plan`].
pub async fn plan_resource(
    resource: &dyn Resource,
    schema: &Schema,
    request: PlanRequest,
) -> PlanResponse {
    let planned = crate::plugin::plan::plan(
        &schema.block,
        &resource.plan_rules(),
        resource.semantics(),
        &request.prior_state,
        &request.config,
        &request.proposed_new_state,
    );
    let mut response = PlanResponse {
        planned_state: planned.state,
        requires_replace: planned.requires_replace,
        planned_private: request.prior_private.clone(),
        diagnostics: Diagnostics::new(),
    };
    if !response.planned_state.is_null() {
        resource
            .modify_plan(&request, planned.new_version, &mut response)
            .await;
    }
    response
}

pub struct PlanRequest {
    pub prior_state: Value,
    pub proposed_new_state: Value,
    pub config: Value,
    pub prior_private: Vec<u8>,
}

pub struct PlanResponse {
    pub planned_state: Value,
    pub requires_replace: Vec<AttributePath>,
    pub planned_private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

pub struct ApplyRequest {
    pub prior_state: Value,
    pub planned_state: Value,
    pub config: Value,
    pub planned_private: Vec<u8>,
}

pub struct ApplyResponse {
    pub new_state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

pub struct ImportRequest {
    /// Empty when the import block gives an `identity` instead.
    pub id: String,
    /// The import block's `identity` (Null when it gives an `id`).
    pub identity: Value,
}

pub struct MoveRequest {
    /// E.g. `registry.terraform.io/hashicorp/aws`.
    pub source_provider_address: String,
    pub source_type_name: String,
    /// The schema version the source state was written with (not upgraded first).
    pub source_schema_version: i64,
    /// The source state as stored (JSON), in the source type's schema.
    pub source_state: Vec<u8>,
}

pub struct MoveResponse {
    pub state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

pub struct ImportResponse {
    pub state: Value,
    pub private: Vec<u8>,
    pub diagnostics: Diagnostics,
}

/// A data source type.
#[tonic::async_trait]
pub trait DataSource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    /// `ValidateDataResourceConfig`: static checks; unknown values must be skipped.
    async fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// `ReadDataSource`: the result must be wholly known and may not be null.
    async fn read(&self, request: DataReadRequest) -> DataReadResponse;
}

pub struct DataReadRequest {
    pub config: Value,
}

pub struct DataReadResponse {
    pub state: Value,
    pub diagnostics: Diagnostics,
}

/// A list resource type: finds existing instances of the managed resource type of the same
/// name, for `list` blocks in `.tfquery.hcl` files.
#[tonic::async_trait]
pub trait ListResource: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;

    /// The schema of the `config` block.
    fn schema(&self) -> Schema;

    /// `ValidateListResourceConfig`: static checks; unknown values must be skipped.
    async fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// `ListResource`: at most `limit` results, each with the identity of the managed type (and
    /// its state when `include_resource_object`).
    async fn list(&self, request: ListRequest) -> ListResponse;
}

pub struct ListRequest {
    pub config: Value,
    pub include_resource_object: bool,
    pub limit: usize,
}

pub struct ListResult {
    pub display_name: String,
    /// The state, as the managed resource type would import it.
    pub state: Value,
}

pub struct ListResponse {
    pub results: Vec<ListResult>,
    pub diagnostics: Diagnostics,
}

/// An action type: something `terraform apply -invoke=…` or an `action_trigger` runs, which
/// changes no state.
#[tonic::async_trait]
pub trait Action: Send + Sync + 'static {
    fn type_name(&self) -> &'static str;

    /// The schema of the `config` block.
    fn schema(&self) -> Schema;

    /// `ValidateActionConfig`: static checks; unknown values must be skipped.
    async fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// `PlanAction`: checks with the provider configured, before anything runs. The config
    /// may still hold unknown values (from resources the same apply changes).
    async fn plan(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// `InvokeAction`: runs the action. Each message sent on `progress` is shown as it
    /// happens; the diagnostics returned end the action (an error fails it).
    async fn invoke(&self, config: Value, progress: ActionProgress) -> Diagnostics;
}

/// Where an invoked action sends its progress messages.
#[derive(Clone)]
pub struct ActionProgress(tokio::sync::mpsc::UnboundedSender<String>);

impl ActionProgress {
    pub fn new(sender: tokio::sync::mpsc::UnboundedSender<String>) -> Self {
        ActionProgress(sender)
    }

    /// Sends a message; a client that went away is no reason to stop the action.
    pub fn send(&self, message: impl Into<String>) {
        let _ = self.0.send(message.into());
    }
}
