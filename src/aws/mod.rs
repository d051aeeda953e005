//! The only code that talks to ECS: client set-up (credentials, region, endpoint, retries),
//! the operations ecstpl needs, and the tag contract. Task definitions pass through as the
//! ECS API's own JSON so no field is lost, including fields newer than the SDK.

mod attempts;
pub(crate) mod batch;
pub mod contract;
mod deployments;
mod ecs;
mod error;
pub(crate) mod express;
mod paced;
mod pacing;
mod raw;
pub(crate) mod settings;
mod templates;
mod verify;

pub use self::attempts::SILENCE_BUDGET;
pub use self::contract::MAX_TAGS;
pub use self::deployments::{Hook, Outcome, RunSettings, ServiceDeployment, Task};
pub(crate) use self::ecs::tags_from_json;
pub use self::ecs::{Deployment, Ecs, Revision, RolloutStatus, Service, parse_task_definition_arn};
pub use self::error::AwsError;
pub use self::pacing::{Category, DEFAULT_OPERATION_DEADLINE, Limit, RateLimits, within};
pub use self::settings::{
    AssumeRole, SettingProblem, Settings, check_endpoint, check_region, check_role_arn,
};
pub use self::templates::{Pruned, TemplateStatus, in_sync, user_tags};
pub use self::verify::{Check, Verifier};
