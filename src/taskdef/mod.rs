//! The task definition domain, pure: parsing, semantic normalization (what ECS rewrites is not
//! a change), validation before any API call, and the representation kept in Terraform state.
//! Works on the ECS API's JSON shape (camelCase keys). No I/O, no SDK, no protocol types.

mod defaults;
mod deploy;
mod document;
mod express;
mod normalize;
mod references;
mod render;
pub mod rules;
mod size;
mod state;
mod validate;

pub use self::defaults::{
    CONTAINER_DEFAULTS, DefaultValue, FieldDefault, TASK_DEFAULTS, default_of, defaults_under,
};
pub use self::deploy::{
    DeployImages, ImageError, OverlayError, apply_overlay, ci_images_tag, deploy_images,
    parse_ci_images_tag,
};
pub use self::document::{
    ParseError, READ_ONLY_FIELDS, parse_container_definitions, parse_task_definition_document,
    strip_read_only,
};
pub use self::express::{EXPRESS_CONTAINER, express_problems};
pub use self::normalize::{
    containers_equivalent, normalize_container, normalize_containers, normalize_task_definition,
};
pub use self::references::{Reference, ReferenceKind, ecr_image, references, value_from};
pub(crate) use self::render::containers;
pub use self::render::{
    definition_digest, differences, drift, hand_edits, images, render, sort_keys,
    task_definitions_equivalent,
};
pub use self::size::{normalize_cpu, normalize_memory, validate_fargate_size};
pub use self::state::{
    containers_for_register, imported_container_definitions, is_absent, without_empty_enums,
    without_nulls,
};
pub use self::validate::{
    PathSegment, Problem, check_tag, is_role_arn, parse_containers_text,
    validate_container_definitions, validate_containers, validate_family, validate_task_definition,
};

/// What changes how ECS rewrites a definition.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// `awsvpc`, `bridge`, `host`, `none`, or None (ECS's default for the launch type).
    pub network_mode: Option<String>,
    /// `EC2`, `FARGATE`, `EXTERNAL`, `MANAGED_INSTANCES`.
    pub requires_compatibilities: Vec<String>,
}

impl Context {
    /// Under awsvpc and host networking a port mapping's host port is its container port.
    pub(crate) fn host_port_is_container_port(&self) -> bool {
        matches!(self.network_mode.as_deref(), Some("awsvpc" | "host"))
    }

    pub(crate) fn is_fargate(&self) -> bool {
        self.requires_compatibilities.iter().any(|c| c == "FARGATE")
    }
}

/// One container definition as JSON.
pub type Container = serde_json::Map<String, serde_json::Value>;
