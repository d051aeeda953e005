//! A stand-in for `hashicorp/aws` that serves only schemas, with the AWS provider's names and
//! types: `aws_ecs_service` (the attributes `examples/complete` uses), so `terraform validate`
//! can check the complete example where the real AWS provider cannot be downloaded, and
//! `aws_ecs_task_definition` (schema version 1, as hashicorp/aws 5.x writes its state), so a
//! state it wrote can be moved to `ecstpl_template`. Built by `cargo test`; used by
//! `tests/it/docs_examples.rs` and `tests/it/migration.rs`. Plans nothing.

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

/// One schema-only resource type.
struct SchemaOnly {
    type_name: &'static str,
    schema: fn() -> Schema,
}

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
        vec![
            Arc::new(SchemaOnly {
                type_name: "aws_ecs_service",
                schema: ecs_service,
            }),
            Arc::new(SchemaOnly {
                type_name: "aws_ecs_task_definition",
                schema: ecs_task_definition,
            }),
        ]
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }
    async fn configure(&self, _request: ConfigureRequest) -> Diagnostics {
        Diagnostics::new()
    }
}

fn ecs_service() -> Schema {
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

fn ecs_task_definition() -> Schema {
    let attr = |name: &str, ty: Type, mode: Mode| Attribute::new(name, ty, mode, "");
    let block = |name: &str, nesting, attributes| {
        NestedBlock::new(
            name,
            nesting,
            Block {
                attributes,
                ..Block::default()
            },
        )
    };
    Schema {
        version: 1,
        block: Block {
            attributes: vec![
                attr("arn", Type::String, Mode::Computed),
                attr("arn_without_revision", Type::String, Mode::Computed),
                attr("container_definitions", Type::String, Mode::Required),
                attr("cpu", Type::String, Mode::Optional),
                attr("enable_fault_injection", Type::Bool, Mode::OptionalComputed),
                attr("execution_role_arn", Type::String, Mode::Optional),
                attr("family", Type::String, Mode::Required),
                attr("id", Type::String, Mode::OptionalComputed),
                attr("ipc_mode", Type::String, Mode::Optional),
                attr("memory", Type::String, Mode::Optional),
                attr("network_mode", Type::String, Mode::OptionalComputed),
                attr("pid_mode", Type::String, Mode::Optional),
                attr(
                    "requires_compatibilities",
                    Type::set(Type::String),
                    Mode::Optional,
                ),
                attr("revision", Type::Number, Mode::Computed),
                attr("skip_destroy", Type::Bool, Mode::Optional),
                attr("tags", Type::map(Type::String), Mode::Optional),
                attr("tags_all", Type::map(Type::String), Mode::OptionalComputed),
                attr("task_role_arn", Type::String, Mode::Optional),
                attr("track_latest", Type::Bool, Mode::Optional),
            ],
            blocks: vec![
                block(
                    "ephemeral_storage",
                    Nesting::List,
                    vec![attr("size_in_gib", Type::Number, Mode::Required)],
                ),
                block(
                    "placement_constraints",
                    Nesting::Set,
                    vec![
                        attr("expression", Type::String, Mode::Optional),
                        attr("type", Type::String, Mode::Required),
                    ],
                ),
                block(
                    "runtime_platform",
                    Nesting::List,
                    vec![
                        attr("cpu_architecture", Type::String, Mode::Optional),
                        attr("operating_system_family", Type::String, Mode::Optional),
                    ],
                ),
                block(
                    "volume",
                    Nesting::Set,
                    vec![
                        attr("name", Type::String, Mode::Required),
                        attr("host_path", Type::String, Mode::Optional),
                    ],
                ),
            ],
            ..Block::default()
        },
    }
}

#[tonic::async_trait]
impl Resource for SchemaOnly {
    fn type_name(&self) -> &'static str {
        self.type_name
    }
    fn schema(&self) -> Schema {
        (self.schema)()
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
