//! A stand-in for `hashicorp/aws` that serves only the schema of `aws_ecs_service` (the
//! attributes `examples/complete` uses, with the AWS provider's names and types), so
//! `terraform validate` can check the complete example where the real AWS provider cannot be
//! downloaded. Built by `cargo test`; used by `tests/docs_examples.rs`. Plans nothing.

use std::sync::Arc;

use ecstpl::plugin::diag::Diagnostics;
use ecstpl::plugin::framework::{
    ApplyRequest, ApplyResponse, ConfigureRequest, DataSource, PlanRequest, PlanResponse, Provider,
    ReadRequest, ReadResponse, Resource, UpgradeRequest, UpgradeResponse,
};
use ecstpl::plugin::schema::{Attribute, Block, Mode, NestedBlock, Nesting, Schema};
use ecstpl::plugin::server::{ServeOptions, serve};
use ecstpl::plugin::value::{Type, Value};

struct Stub;
struct EcsService;

fn not_supported() -> Diagnostics {
    Diagnostics::single_error(
        "schema stub",
        "this provider only serves a schema for validation",
    )
}

#[tonic::async_trait]
impl Provider for Stub {
    fn schema(&self) -> Schema {
        Schema::default()
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(EcsService)]
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }
    async fn configure(&self, _request: ConfigureRequest) -> Diagnostics {
        Diagnostics::new()
    }
}

#[tonic::async_trait]
impl Resource for EcsService {
    fn type_name(&self) -> &'static str {
        "aws_ecs_service"
    }
    fn schema(&self) -> Schema {
        let attr = |name: &str, ty: Type, mode: Mode| Attribute::new(name, ty, mode, "");
        Schema {
            version: 1,
            block: Block {
                attributes: vec![
                    attr("id", Type::String, Mode::Computed),
                    attr("name", Type::String, Mode::Required),
                    attr("cluster", Type::String, Mode::OptionalComputed),
                    attr("desired_count", Type::Number, Mode::Optional),
                    attr("launch_type", Type::String, Mode::OptionalComputed),
                    attr("task_definition", Type::String, Mode::Optional),
                ],
                blocks: vec![
                    NestedBlock::new(
                        "network_configuration",
                        Nesting::List,
                        Block {
                            attributes: vec![
                                attr("subnets", Type::set(Type::String), Mode::Required),
                                attr("security_groups", Type::set(Type::String), Mode::Optional),
                                attr("assign_public_ip", Type::Bool, Mode::Optional),
                            ],
                            ..Block::default()
                        },
                    ),
                    NestedBlock::new(
                        "deployment_circuit_breaker",
                        Nesting::List,
                        Block {
                            attributes: vec![
                                attr("enable", Type::Bool, Mode::Required),
                                attr("rollback", Type::Bool, Mode::Required),
                            ],
                            ..Block::default()
                        },
                    ),
                ],
                ..Block::default()
            },
        }
    }
    async fn upgrade(&self, _request: UpgradeRequest) -> UpgradeResponse {
        UpgradeResponse {
            state: Value::Null,
            diagnostics: not_supported(),
        }
    }
    async fn read(&self, request: ReadRequest) -> ReadResponse {
        ReadResponse {
            new_state: request.current_state,
            private: request.private,
            diagnostics: not_supported(),
        }
    }
    async fn modify_plan(&self, _: &PlanRequest, _: bool, response: &mut PlanResponse) {
        response.planned_state = Value::Null;
        response.diagnostics = not_supported();
    }
    async fn apply(&self, _request: ApplyRequest) -> ApplyResponse {
        ApplyResponse {
            new_state: Value::Null,
            private: Vec::new(),
            diagnostics: not_supported(),
        }
    }
}

#[tokio::main]
async fn main() {
    let options = ServeOptions {
        address: "registry.terraform.io/hashicorp/aws".into(),
        debug: false,
    };
    if let Err(err) = serve(Arc::new(Stub), options).await {
        eprintln!("aws-schema-stub: {err}");
        std::process::exit(1);
    }
}
