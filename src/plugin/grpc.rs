//! The `tfplugin6.Provider` gRPC service: decodes wire values with the schemas the provider
//! declared, dispatches to [`framework`](crate::plugin::framework) implementations, and encodes
//! their answers. User-facing problems become diagnostics; gRPC errors are reserved for
//! protocol misuse (an unknown type name).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::plugin::diag::Diagnostics;
use crate::plugin::framework::{self, Action, DataSource, ListResource, Provider, Resource};
use crate::plugin::proto::tfplugin6 as pb;
use crate::plugin::schema::{IdentitySchema, Schema};
use crate::plugin::value::{self, Type, Value};

struct Registered<T: ?Sized> {
    implementation: Arc<T>,
    schema: Schema,
    ty: Type,
    /// The identity schema and its type, for resource types that have one.
    identity: Option<(IdentitySchema, Type)>,
}

impl<T: ?Sized> Registered<T> {
    fn new(
        schema: Schema,
        implementation: Arc<T>,
        identity: Option<(IdentitySchema, Type)>,
    ) -> Self {
        let ty = schema.value_type();
        Self {
            implementation,
            schema,
            ty,
            identity,
        }
    }
}

/// Serves one provider implementation over tfplugin6.
pub struct ProviderService {
    provider: Arc<dyn Provider>,
    provider_schema: Schema,
    provider_type: Type,
    resources: HashMap<&'static str, Registered<dyn Resource>>,
    data_sources: HashMap<&'static str, Registered<dyn DataSource>>,
    list_resources: HashMap<&'static str, Registered<dyn ListResource>>,
    actions: HashMap<&'static str, Registered<dyn Action>>,
    /// Cancelled by `StopProvider`: in-flight operations end with an error diagnostic.
    stop: CancellationToken,
}

impl ProviderService {
    pub fn new(provider: Arc<dyn Provider>) -> Self {
        let provider_schema = provider.schema();
        let provider_type = provider_schema.value_type();
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| {
                let identity = r.identity_schema().map(|i| {
                    let ty = i.value_type();
                    (i, ty)
                });
                (r.type_name(), Registered::new(r.schema(), r, identity))
            })
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| (d.type_name(), Registered::new(d.schema(), d, None)))
            .collect();
        let list_resources = provider
            .list_resources()
            .into_iter()
            .map(|l| (l.type_name(), Registered::new(l.schema(), l, None)))
            .collect();
        let actions = provider
            .actions()
            .into_iter()
            .map(|a| (a.type_name(), Registered::new(a.schema(), a, None)))
            .collect();
        Self {
            provider,
            provider_schema,
            provider_type,
            resources,
            data_sources,
            list_resources,
            actions,
            stop: CancellationToken::new(),
        }
    }

    /// The token `StopProvider` cancels (exposed for the server and tests).
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    fn resource(&self, type_name: &str) -> Result<&Registered<dyn Resource>, Status> {
        self.resources
            .get(type_name)
            .ok_or_else(|| Status::not_found(format!("unknown resource type {type_name:?}")))
    }

    fn list_resource(&self, type_name: &str) -> Result<&Registered<dyn ListResource>, Status> {
        self.list_resources
            .get(type_name)
            .ok_or_else(|| Status::not_found(format!("unknown list resource type {type_name:?}")))
    }

    fn action(&self, type_name: &str) -> Result<&Registered<dyn Action>, Status> {
        self.actions
            .get(type_name)
            .ok_or_else(|| Status::not_found(format!("unknown action type {type_name:?}")))
    }

    fn data_source(&self, type_name: &str) -> Result<&Registered<dyn DataSource>, Status> {
        self.data_sources
            .get(type_name)
            .ok_or_else(|| Status::not_found(format!("unknown data source type {type_name:?}")))
    }

    /// Runs an operation unless `StopProvider` arrives first.
    async fn unless_stopped<T>(
        &self,
        operation: impl Future<Output = T>,
        stopped: impl FnOnce(Diagnostics) -> T,
    ) -> T {
        tokio::select! {
            biased;
            () = self.stop.cancelled() => stopped(Diagnostics::single_error(
                "Provider stopped",
                "Terraform asked the provider to stop (interrupt); the operation was cancelled.",
            )),
            result = operation => result,
        }
    }
}

fn decode(value: Option<&pb::DynamicValue>, ty: &Type) -> Result<Value, Diagnostics> {
    let Some(value) = value else {
        return Ok(Value::Null);
    };
    let decoded = if !value.msgpack.is_empty() {
        value::decode(&value.msgpack, ty)
    } else if !value.json.is_empty() {
        value::decode_json(&value.json, ty)
    } else {
        return Ok(Value::Null);
    };
    decoded.map_err(|err| {
        Diagnostics::single_error(
            "Could not decode a value from Terraform",
            format!(
                "{err}. This is a bug in the provider or a Terraform version it does not support."
            ),
        )
    })
}

/// The identity to send with `state`, for types that have an identity schema and once it is
/// wholly known (Terraform refuses identity for types without a schema, and unknown identity).
fn identity_data(
    resource: &Registered<dyn Resource>,
    state: &Value,
    prior: &Value,
    diags: &mut Diagnostics,
) -> Option<pb::ResourceIdentityData> {
    let (_, ty) = resource.identity.as_ref()?;
    if state.is_null() {
        return None;
    }
    let identity = resource.implementation.identity(state, prior);
    if identity.is_null() || !identity.is_wholly_known() {
        return None;
    }
    encode(&identity, ty, diags).map(|data| pb::ResourceIdentityData {
        identity_data: Some(data),
    })
}

fn encode(value: &Value, ty: &Type, diags: &mut Diagnostics) -> Option<pb::DynamicValue> {
    match value::encode(value, ty) {
        Ok(msgpack) => Some(pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        }),
        Err(err) => {
            diags.error(
                "Could not encode a value for Terraform",
                format!("{err}. This is a bug in the provider."),
            );
            None
        }
    }
}

#[tonic::async_trait]
impl pb::provider_server::Provider for ProviderService {
    async fn get_provider_schema(
        &self,
        _request: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(self.provider_schema.to_proto()),
            resource_schemas: self
                .resources
                .iter()
                .map(|(name, r)| (name.to_string(), r.schema.to_proto()))
                .collect(),
            data_source_schemas: self
                .data_sources
                .iter()
                .map(|(name, d)| (name.to_string(), d.schema.to_proto()))
                .collect(),
            list_resource_schemas: self
                .list_resources
                .iter()
                .map(|(name, l)| (name.to_string(), l.schema.to_proto()))
                .collect(),
            action_schemas: self
                .actions
                .iter()
                .map(|(name, a)| {
                    let schema = Some(a.schema.to_proto());
                    (name.to_string(), pb::ActionSchema { schema })
                })
                .collect(),
            diagnostics: Vec::new(),
            provider_meta: None,
            server_capabilities: Some(pb::ServerCapabilities {
                plan_destroy: false,
                // Schemas are fixed at start: Terraform may reuse the one it fetched from an
                // earlier process of the same run.
                get_provider_schema_optional: true,
                // Every resource type answers MoveResourceState (most with a refusal that
                // says why); Terraform checks this before any cross-type `moved`.
                move_resource_state: true,
                generate_resource_config: false,
            }),
        }))
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let request = request.into_inner();
        let diagnostics = match decode(request.config.as_ref(), &self.provider_type) {
            Ok(config) => self.provider.validate(&config).await,
            Err(diags) => diags,
        };
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics: diagnostics.to_proto(),
        }))
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let request = request.into_inner();
        let diagnostics = match decode(request.config.as_ref(), &self.provider_type) {
            Ok(config) => {
                let configure = self.provider.configure(framework::ConfigureRequest {
                    terraform_version: request.terraform_version,
                    config,
                });
                self.unless_stopped(configure, |d| d).await
            }
            Err(diags) => diags,
        };
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics: diagnostics.to_proto(),
        }))
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let request = request.into_inner();
        let resource = self.resource(&request.type_name)?;
        let diagnostics = match decode(request.config.as_ref(), &resource.ty) {
            Ok(config) => resource.implementation.validate(&config).await,
            Err(diags) => diags,
        };
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics: diagnostics.to_proto(),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let request = request.into_inner();
        let data_source = self.data_source(&request.type_name)?;
        let diagnostics = match decode(request.config.as_ref(), &data_source.ty) {
            Ok(config) => data_source.implementation.validate(&config).await,
            Err(diags) => diags,
        };
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics: diagnostics.to_proto(),
        }))
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let request = request.into_inner();
        let resource = self.resource(&request.type_name)?;
        let Some(raw) = request.raw_state.filter(|raw| !raw.json.is_empty()) else {
            let diags = Diagnostics::single_error(
                "Unsupported state format",
                "The stored state is in the legacy flatmap format, which this provider never wrote.",
            );
            return Ok(Response::new(pb::upgrade_resource_state::Response {
                upgraded_state: None,
                diagnostics: diags.to_proto(),
            }));
        };
        let upgraded = resource
            .implementation
            .upgrade(framework::UpgradeRequest {
                version: request.version,
                raw_state: raw.json,
            })
            .await;
        let mut diagnostics = upgraded.diagnostics;
        let upgraded_state = encode(&upgraded.state, &resource.ty, &mut diagnostics);
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state,
            diagnostics: diagnostics.to_proto(),
        }))
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let request = request.into_inner();
        let resource = self.resource(&request.type_name)?;
        let current_state = match decode(request.current_state.as_ref(), &resource.ty) {
            Ok(value) => value,
            Err(diags) => {
                return Ok(Response::new(pb::read_resource::Response {
                    new_state: request.current_state,
                    diagnostics: diags.to_proto(),
                    private: request.private,
                    ..Default::default()
                }));
            }
        };
        // Stopped, the answer is the state as Terraform sent it: its bytes, not a decoded copy.
        let fallback_state = request.current_state.clone();
        let fallback_private = request.private.clone();
        let read = resource.implementation.read(framework::ReadRequest {
            current_state,
            private: request.private,
        });
        let result = match self.unless_stopped(async { Ok(read.await) }, Err).await {
            Ok(result) => result,
            Err(diagnostics) => {
                return Ok(Response::new(pb::read_resource::Response {
                    new_state: fallback_state,
                    diagnostics: diagnostics.to_proto(),
                    private: fallback_private,
                    ..Default::default()
                }));
            }
        };
        let mut diagnostics = result.diagnostics;
        let new_state = encode(&result.new_state, &resource.ty, &mut diagnostics);
        let new_identity =
            identity_data(resource, &result.new_state, &Value::Null, &mut diagnostics);
        Ok(Response::new(pb::read_resource::Response {
            new_state,
            diagnostics: diagnostics.to_proto(),
            private: result.private,
            new_identity,
            ..Default::default()
        }))
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let request = request.into_inner();
        let resource = self.resource(&request.type_name)?;
        let prior_state = decode(request.prior_state.as_ref(), &resource.ty);
        let prior_for_identity = match (&prior_state, &resource.identity) {
            (Ok(prior), Some(_)) => prior.clone(),
            _ => Value::Null,
        };
        let decoded = (|| {
            Ok::<_, Diagnostics>(framework::PlanRequest {
                prior_state: prior_state?,
                proposed_new_state: decode(request.proposed_new_state.as_ref(), &resource.ty)?,
                config: decode(request.config.as_ref(), &resource.ty)?,
                prior_private: request.prior_private.clone(),
            })
        })();
        let plan = match decoded {
            Ok(plan_request) => {
                let plan = framework::plan_resource(
                    resource.implementation.as_ref(),
                    &resource.schema,
                    plan_request,
                );
                self.unless_stopped(plan, |diagnostics| framework::PlanResponse {
                    planned_state: Value::Null,
                    requires_replace: Vec::new(),
                    planned_private: Vec::new(),
                    diagnostics,
                })
                .await
            }
            Err(diagnostics) => framework::PlanResponse {
                planned_state: Value::Null,
                requires_replace: Vec::new(),
                planned_private: Vec::new(),
                diagnostics,
            },
        };
        let mut diagnostics = plan.diagnostics;
        let (planned_state, planned_identity) = if diagnostics.has_errors() {
            (None, None)
        } else {
            let state = encode(&plan.planned_state, &resource.ty, &mut diagnostics);
            // A replacement is a new instance: its identity is not the prior one's.
            let prior = if plan.requires_replace.is_empty() {
                &prior_for_identity
            } else {
                &Value::Null
            };
            let identity = identity_data(resource, &plan.planned_state, prior, &mut diagnostics);
            (state, identity)
        };
        Ok(Response::new(pb::plan_resource_change::Response {
            planned_state,
            requires_replace: plan.requires_replace.iter().map(Into::into).collect(),
            planned_private: plan.planned_private,
            diagnostics: diagnostics.to_proto(),
            planned_identity,
            ..Default::default()
        }))
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let request = request.into_inner();
        let resource = self.resource(&request.type_name)?;
        let decoded = (|| {
            Ok::<_, Diagnostics>(framework::ApplyRequest {
                prior_state: decode(request.prior_state.as_ref(), &resource.ty)?,
                planned_state: decode(request.planned_state.as_ref(), &resource.ty)?,
                config: decode(request.config.as_ref(), &resource.ty)?,
                planned_private: request.planned_private.clone(),
            })
        })();
        let applied = match decoded {
            Ok(apply_request) => {
                let planned = apply_request.planned_state.clone();
                // An apply is not cancelled by StopProvider: a write that may have reached the
                // API must end in state, so the in-flight calls finish (each is time-bounded)
                // and Terraform, which waits for them after an interrupt, records the result.
                let mut applied = resource.implementation.apply(apply_request).await;
                if !applied.diagnostics.has_errors() {
                    let problems =
                        crate::plugin::plan::check_applied(&planned, &mut applied.new_state);
                    applied.diagnostics.extend(problems);
                }
                applied
            }
            Err(diagnostics) => framework::ApplyResponse {
                new_state: Value::Null,
                private: Vec::new(),
                diagnostics,
            },
        };
        let mut diagnostics = applied.diagnostics;
        let new_state = encode(&applied.new_state, &resource.ty, &mut diagnostics);
        let new_identity =
            identity_data(resource, &applied.new_state, &Value::Null, &mut diagnostics);
        Ok(Response::new(pb::apply_resource_change::Response {
            new_state,
            private: applied.private,
            diagnostics: diagnostics.to_proto(),
            new_identity,
        }))
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let request = request.into_inner();
        let resource = self.resource(&request.type_name)?;
        let identity = match (&resource.identity, request.identity.as_ref()) {
            (Some((_, ty)), Some(data)) => match decode(data.identity_data.as_ref(), ty) {
                Ok(identity) => identity,
                Err(diags) => {
                    return Ok(Response::new(pb::import_resource_state::Response {
                        imported_resources: Vec::new(),
                        diagnostics: diags.to_proto(),
                        deferred: None,
                    }));
                }
            },
            _ => Value::Null,
        };
        let import = resource.implementation.import(framework::ImportRequest {
            id: request.id,
            identity,
        });
        let imported = self
            .unless_stopped(import, |diagnostics| framework::ImportResponse {
                state: Value::Null,
                private: Vec::new(),
                diagnostics,
            })
            .await;
        let mut diagnostics = imported.diagnostics;
        let mut imported_resources = Vec::new();
        if !diagnostics.has_errors() && !imported.state.is_null() {
            let state = encode(&imported.state, &resource.ty, &mut diagnostics);
            let identity = identity_data(resource, &imported.state, &Value::Null, &mut diagnostics);
            imported_resources.push(pb::import_resource_state::ImportedResource {
                type_name: request.type_name,
                state,
                private: imported.private,
                identity,
            });
        }
        Ok(Response::new(pb::import_resource_state::Response {
            imported_resources,
            diagnostics: diagnostics.to_proto(),
            deferred: None,
        }))
    }

    async fn move_resource_state(
        &self,
        request: Request<pb::move_resource_state::Request>,
    ) -> Result<Response<pb::move_resource_state::Response>, Status> {
        let request = request.into_inner();
        let resource = self.resource(&request.target_type_name)?;
        let source_state = request.source_state.map(|raw| raw.json).unwrap_or_default();
        let move_state = resource.implementation.move_state(framework::MoveRequest {
            source_provider_address: request.source_provider_address,
            source_type_name: request.source_type_name,
            source_schema_version: request.source_schema_version,
            source_state,
        });
        let moved = self
            .unless_stopped(move_state, |diagnostics| framework::MoveResponse {
                state: Value::Null,
                private: Vec::new(),
                diagnostics,
            })
            .await;
        let mut diagnostics = moved.diagnostics;
        let (target_state, target_identity) = if diagnostics.has_errors() || moved.state.is_null() {
            (None, None)
        } else {
            let state = encode(&moved.state, &resource.ty, &mut diagnostics);
            let identity = identity_data(resource, &moved.state, &Value::Null, &mut diagnostics);
            (state, identity)
        };
        Ok(Response::new(pb::move_resource_state::Response {
            target_state,
            diagnostics: diagnostics.to_proto(),
            target_private: moved.private,
            target_identity,
        }))
    }

    async fn get_resource_identity_schemas(
        &self,
        _request: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        Ok(Response::new(pb::get_resource_identity_schemas::Response {
            identity_schemas: self
                .resources
                .iter()
                .filter_map(|(name, r)| {
                    r.identity
                        .as_ref()
                        .map(|(schema, _)| (name.to_string(), schema.to_proto()))
                })
                .collect(),
            diagnostics: Vec::new(),
        }))
    }

    async fn upgrade_resource_identity(
        &self,
        request: Request<pb::upgrade_resource_identity::Request>,
    ) -> Result<Response<pb::upgrade_resource_identity::Response>, Status> {
        let request = request.into_inner();
        let resource = self.resource(&request.type_name)?;
        let mut diagnostics = Diagnostics::new();
        let upgraded_identity = match &resource.identity {
            Some((schema, _)) if request.version > schema.version => {
                diagnostics.error(
                    "Identity written by a newer provider",
                    format!(
                        "The stored identity of this {} has version {}, newer than this provider's {}.",
                        request.type_name, request.version, schema.version
                    ),
                );
                None
            }
            Some((_, ty)) => {
                let raw = request.raw_identity.map(|raw| raw.json).unwrap_or_default();
                match value::decode_json(&raw, ty) {
                    Ok(identity) => encode(&identity, ty, &mut diagnostics).map(|data| {
                        pb::ResourceIdentityData {
                            identity_data: Some(data),
                        }
                    }),
                    Err(err) => {
                        diagnostics.error("Could not read the stored identity", err.to_string());
                        None
                    }
                }
            }
            None => {
                diagnostics.error(
                    "No identity",
                    format!("{} has no identity schema.", request.type_name),
                );
                None
            }
        };
        Ok(Response::new(pb::upgrade_resource_identity::Response {
            upgraded_identity,
            diagnostics: diagnostics.to_proto(),
        }))
    }

    async fn list_resource(
        &self,
        request: Request<pb::list_resource::Request>,
    ) -> Result<Response<tonic::codegen::BoxStream<pb::list_resource::Event>>, Status> {
        let request = request.into_inner();
        let list = self.list_resource(&request.type_name)?;
        let resource = self.resource(&request.type_name)?;
        let error_event = |diagnostics: Diagnostics| pb::list_resource::Event {
            diagnostic: diagnostics.to_proto(),
            ..Default::default()
        };
        let events = match decode(request.config.as_ref(), &list.ty) {
            Ok(config) => {
                let listing = list.implementation.list(framework::ListRequest {
                    config,
                    include_resource_object: request.include_resource_object,
                    limit: usize::try_from(request.limit.max(0)).unwrap_or(usize::MAX),
                });
                let listed = self
                    .unless_stopped(listing, |diagnostics| framework::ListResponse {
                        results: Vec::new(),
                        diagnostics,
                    })
                    .await;
                let mut events = Vec::new();
                for result in listed.results {
                    let mut diagnostics = Diagnostics::new();
                    let identity =
                        identity_data(resource, &result.state, &Value::Null, &mut diagnostics);
                    let resource_object = if request.include_resource_object {
                        encode(&result.state, &resource.ty, &mut diagnostics)
                    } else {
                        None
                    };
                    if identity.is_none() && !diagnostics.has_errors() {
                        diagnostics.error(
                            "A listed resource has no identity",
                            format!(
                                "{} has no identity. This is a bug in the provider.",
                                result.display_name
                            ),
                        );
                    }
                    events.push(pb::list_resource::Event {
                        identity,
                        display_name: result.display_name,
                        resource_object,
                        diagnostic: diagnostics.to_proto(),
                    });
                }
                // Terraform stops at the first event with errors: report them last.
                if !listed.diagnostics.is_empty() {
                    events.push(error_event(listed.diagnostics));
                }
                events
            }
            Err(diagnostics) => vec![error_event(diagnostics)],
        };
        Ok(Response::new(Box::pin(tokio_stream::iter(
            events.into_iter().map(Ok),
        ))))
    }

    async fn validate_list_resource_config(
        &self,
        request: Request<pb::validate_list_resource_config::Request>,
    ) -> Result<Response<pb::validate_list_resource_config::Response>, Status> {
        let request = request.into_inner();
        let list = self.list_resource(&request.type_name)?;
        let diagnostics = match decode(request.config.as_ref(), &list.ty) {
            Ok(config) => list.implementation.validate(&config).await,
            Err(diags) => diags,
        };
        Ok(Response::new(pb::validate_list_resource_config::Response {
            diagnostics: diagnostics.to_proto(),
        }))
    }

    async fn validate_action_config(
        &self,
        request: Request<pb::validate_action_config::Request>,
    ) -> Result<Response<pb::validate_action_config::Response>, Status> {
        let request = request.into_inner();
        let action = self.action(&request.type_name)?;
        let diagnostics = match decode(request.config.as_ref(), &action.ty) {
            Ok(config) => action.implementation.validate(&config).await,
            Err(diags) => diags,
        };
        Ok(Response::new(pb::validate_action_config::Response {
            diagnostics: diagnostics.to_proto(),
        }))
    }

    async fn plan_action(
        &self,
        request: Request<pb::plan_action::Request>,
    ) -> Result<Response<pb::plan_action::Response>, Status> {
        let request = request.into_inner();
        let action = self.action(&request.action_type)?;
        let diagnostics = match decode(request.config.as_ref(), &action.ty) {
            Ok(config) => {
                self.unless_stopped(action.implementation.plan(&config), |d| d)
                    .await
            }
            Err(diags) => diags,
        };
        Ok(Response::new(pb::plan_action::Response {
            diagnostics: diagnostics.to_proto(),
            deferred: None,
        }))
    }

    async fn invoke_action(
        &self,
        request: Request<pb::invoke_action::Request>,
    ) -> Result<Response<tonic::codegen::BoxStream<pb::invoke_action::Event>>, Status> {
        use pb::invoke_action::event::{Completed, Progress, Type};
        let request = request.into_inner();
        let action = self.action(&request.action_type)?;
        let (events, stream) = tokio::sync::mpsc::unbounded_channel();
        let completed = |diagnostics: Diagnostics| pb::invoke_action::Event {
            r#type: Some(Type::Completed(Completed {
                diagnostics: diagnostics.to_proto(),
            })),
        };
        match decode(request.config.as_ref(), &action.ty) {
            Err(diagnostics) => {
                let _ = events.send(Ok(completed(diagnostics)));
            }
            Ok(config) => {
                let implementation = action.implementation.clone();
                let stop = self.stop.clone();
                tokio::spawn(async move {
                    let (progress, mut messages) = tokio::sync::mpsc::unbounded_channel::<String>();
                    let run =
                        implementation.invoke(config, framework::ActionProgress::new(progress));
                    tokio::pin!(run);
                    // Progress is forwarded as it comes; the one completed event goes last.
                    let diagnostics = loop {
                        tokio::select! {
                            biased;
                            Some(message) = messages.recv() => {
                                let _ = events.send(Ok(pb::invoke_action::Event {
                                    r#type: Some(Type::Progress(Progress { message })),
                                }));
                            }
                            () = stop.cancelled() => break Diagnostics::single_error(
                                "Provider stopped",
                                "Terraform asked the provider to stop (interrupt); the action was cancelled. What it started in ECS goes on.",
                            ),
                            diagnostics = &mut run => break diagnostics,
                        }
                    };
                    while let Ok(message) = messages.try_recv() {
                        let _ = events.send(Ok(pb::invoke_action::Event {
                            r#type: Some(Type::Progress(Progress { message })),
                        }));
                    }
                    let _ = events.send(Ok(completed(diagnostics)));
                });
            }
        }
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::UnboundedReceiverStream::new(stream),
        )))
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let request = request.into_inner();
        let data_source = self.data_source(&request.type_name)?;
        let result = match decode(request.config.as_ref(), &data_source.ty) {
            Ok(config) => {
                let read = data_source
                    .implementation
                    .read(framework::DataReadRequest { config });
                self.unless_stopped(read, |diagnostics| framework::DataReadResponse {
                    state: Value::Null,
                    diagnostics,
                })
                .await
            }
            Err(diagnostics) => framework::DataReadResponse {
                state: Value::Null,
                diagnostics,
            },
        };
        let mut diagnostics = result.diagnostics;
        let state = if diagnostics.has_errors() {
            None
        } else {
            encode(&result.state, &data_source.ty, &mut diagnostics)
        };
        Ok(Response::new(pb::read_data_source::Response {
            state,
            diagnostics: diagnostics.to_proto(),
            deferred: None,
        }))
    }

    async fn stop_provider(
        &self,
        _request: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        tracing::info!("stop requested: cancelling in-flight operations");
        self.stop.cancel();
        Ok(Response::new(pb::stop_provider::Response {
            error: String::new(),
        }))
    }
}
