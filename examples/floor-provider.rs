//! The floor of ecstpl's protocol stack: a provider `ecstpl/floor` with one resource type,
//! `floor_null`, that does what `null_resource` of hashicorp/null does (an `id` and a
//! `triggers` map that replaces it) and nothing else, served by the same plugin layer, runtime
//! and AutoMTLS as `terraform-provider-ecstpl`. `scripts/bench` plans N of them next to N
//! `null_resource`: what the plugin layer costs per resource with no ECS call and no
//! template logic, against the Go SDK doing the same.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ecstpl::plugin::diag::Diagnostics;
use ecstpl::plugin::framework::{
    ApplyRequest, ApplyResponse, ConfigureRequest, DataSource, Provider, ReadRequest, ReadResponse,
    Resource, UpgradeRequest, UpgradeResponse,
};
use ecstpl::plugin::plan::PlanRules;
use ecstpl::plugin::schema::{Attribute, Block, Mode, Schema};
use ecstpl::plugin::server::{ServeOptions, serve};
use ecstpl::plugin::value::{self, Type, Value};

struct Floor;

struct FloorNull {
    next_id: AtomicU64,
}

fn schema() -> Schema {
    Schema {
        version: 0,
        block: Block {
            attributes: vec![
                Attribute::new("id", Type::String, Mode::Computed, ""),
                Attribute::new("triggers", Type::map(Type::String), Mode::Optional, ""),
            ],
            ..Block::default()
        },
    }
}

#[tonic::async_trait]
impl Provider for Floor {
    fn schema(&self) -> Schema {
        Schema::default()
    }
    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(FloorNull {
            next_id: AtomicU64::new(1),
        })]
    }
    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        Vec::new()
    }
    async fn configure(&self, _request: ConfigureRequest) -> Diagnostics {
        Diagnostics::new()
    }
}

#[tonic::async_trait]
impl Resource for FloorNull {
    fn type_name(&self) -> &'static str {
        "floor_null"
    }
    fn schema(&self) -> Schema {
        schema()
    }
    async fn upgrade(&self, request: UpgradeRequest) -> UpgradeResponse {
        match value::decode_json(&request.raw_state, &schema().value_type()) {
            Ok(state) => UpgradeResponse {
                state,
                diagnostics: Diagnostics::new(),
            },
            Err(err) => UpgradeResponse {
                state: Value::Null,
                diagnostics: Diagnostics::single_error("bad state", err.to_string()),
            },
        }
    }
    async fn read(&self, request: ReadRequest) -> ReadResponse {
        ReadResponse {
            new_state: request.current_state,
            private: request.private,
            diagnostics: Diagnostics::new(),
        }
    }
    fn plan_rules(&self) -> PlanRules {
        PlanRules {
            requires_replace: &["triggers"],
            unknown_on_replace: &["id"],
            ..PlanRules::default()
        }
    }
    async fn apply(&self, request: ApplyRequest) -> ApplyResponse {
        let mut state = request.planned_state;
        if !state.is_null() && request.prior_state.is_null() {
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            state.set_attr("id", Value::String(format!("floor-{id}")));
        }
        ApplyResponse {
            new_state: state,
            private: Vec::new(),
            diagnostics: Diagnostics::new(),
        }
    }
}

fn main() {
    ecstpl::plugin::log::init();
    // The same logging and runtime as terraform-provider-ecstpl: the floor is the same stack.
    let runtime = match ecstpl::plugin::server::runtime() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("floor-provider: {err}");
            std::process::exit(1);
        }
    };
    let options = ServeOptions {
        address: "registry.terraform.io/ecstpl/floor".into(),
        debug: false,
    };
    if let Err(err) = runtime.block_on(serve(Arc::new(Floor), options)) {
        eprintln!("floor-provider: {err}");
        std::process::exit(1);
    }
}
