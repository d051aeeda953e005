//! Everything that can be checked before any API call, with a path into the document and a
//! message a person can act on. What ECS would reject must be rejected here, at plan time.
//! One module a rule family, each with its unit tests: `shape` (syntax, keys, required
//! fields, document limits; the entry points), `types`, `fargate`, `networking`, `volumes`,
//! `cross_refs` (references between parts), `limits` (ranges and memory), and `ecs_checks`
//! (enum values and ARNs, and the run of every family).

mod cross_refs;
mod ecs_checks;
mod fargate;
mod limits;
mod networking;
mod shape;
mod types;
mod volumes;

pub use self::ecs_checks::is_role_arn;
pub use self::shape::{
    check_tag, parse_containers_text, validate_container_definitions, validate_containers,
    validate_family, validate_task_definition,
};

/// Where in a document a problem is.
#[derive(Clone, Debug, PartialEq)]
pub enum PathSegment {
    Index(usize),
    Key(String),
}

/// A validation problem: an error (ECS would reject it) or a warning (it would register, but
/// likely not do what was meant).
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub path: Vec<PathSegment>,
    pub summary: String,
    pub detail: String,
    pub warning: bool,
}

impl Problem {
    pub(crate) fn new(
        path: Vec<PathSegment>,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            path,
            summary: summary.into(),
            detail: detail.into(),
            warning: false,
        }
    }

    pub(crate) fn warning(
        path: Vec<PathSegment>,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            warning: true,
            ..Self::new(path, summary, detail)
        }
    }
}
