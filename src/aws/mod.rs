//! stub
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;
pub mod contract {
    pub const TAG_ROLE: &str = "ecstpl:role";
    pub const ROLE_TEMPLATE: &str = "template";
    pub const ROLE_DEPLOYED: &str = "deployed";
    pub const TAG_DEPLOY_FAMILY: &str = "ecstpl:deploy-family";
    pub const TAG_TEMPLATE: &str = "ecstpl:template";
    pub const TAG_CI_IMAGES: &str = "ecstpl:ci-images";
    pub const RESERVED_PREFIX: &str = "ecstpl:";
}
pub struct Settings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub shared_config_files: Vec<PathBuf>,
    pub shared_credentials_files: Vec<PathBuf>,
    pub assume_role: Option<AssumeRole>,
    pub ecs_endpoint: Option<String>,
    pub max_retries: Option<u32>,
}
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
    pub duration: Option<Duration>,
}
#[derive(Clone)]
pub struct Ecs;
#[derive(Debug, thiserror::Error)]
#[error("x")]
pub struct AwsError;
#[derive(Clone, Debug)]
pub struct Revision {
    pub task_definition: serde_json::Map<String, serde_json::Value>,
    pub tags: BTreeMap<String, String>,
}
impl Revision {
    pub fn arn(&self) -> &str {
        todo!()
    }
    pub fn family(&self) -> &str {
        todo!()
    }
    pub fn revision(&self) -> i64 {
        todo!()
    }
    pub fn is_active(&self) -> bool {
        todo!()
    }
}
impl Ecs {
    pub async fn connect(_s: &Settings) -> Result<Ecs, AwsError> {
        todo!()
    }
    pub async fn register_task_definition(
        &self,
        _r: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Revision, AwsError> {
        todo!()
    }
    pub async fn describe_task_definition(&self, _id: &str) -> Result<Option<Revision>, AwsError> {
        todo!()
    }
    pub async fn latest_active_revision(&self, _f: &str) -> Result<Option<String>, AwsError> {
        todo!()
    }
    pub async fn deregister_task_definition(&self, _a: &str) -> Result<(), AwsError> {
        todo!()
    }
    pub async fn tag_resource(
        &self,
        _a: &str,
        _t: &BTreeMap<String, String>,
    ) -> Result<(), AwsError> {
        todo!()
    }
    pub async fn untag_resource(&self, _a: &str, _k: &[String]) -> Result<(), AwsError> {
        todo!()
    }
}
