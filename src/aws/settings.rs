//! Building the ECS client from provider or CLI settings on top of the standard AWS chain
//! (environment, shared files, SSO, IMDS…). `AWS_ENDPOINT_URL` is honoured by aws-config.

use std::path::PathBuf;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_runtime::env_config::file::{
    EnvConfigFileKind as ProfileFileKind, EnvConfigFiles as ProfileFiles,
};

use crate::aws::{AwsError, Ecs};

/// Where and as whom to call ECS. Every field is optional; names follow the AWS provider.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub shared_config_files: Vec<PathBuf>,
    pub shared_credentials_files: Vec<PathBuf>,
    pub assume_role: Option<AssumeRole>,
    pub ecs_endpoint: Option<String>,
    /// Retries after the first attempt; throttling and 5xx are retried with backoff.
    pub max_retries: Option<u32>,
}

#[derive(Clone, Debug)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
    pub duration: Option<Duration>,
}

/// Retries unless told otherwise: ECS throttles RegisterTaskDefinition to about one call a
/// second per account, so a fleet of CI jobs must back off rather than fail.
const DEFAULT_MAX_RETRIES: u32 = 10;

impl Ecs {
    /// A client for `settings`. Makes no network call: credentials resolve on first use.
    pub async fn connect(settings: &Settings) -> Result<Ecs, AwsError> {
        let retries = settings.max_retries.unwrap_or(DEFAULT_MAX_RETRIES);
        // Standard mode: exponential backoff with jitter on throttling and 5xx. The adaptive
        // mode's client-side rate limiter makes every throttled retry wait the maximum backoff
        // and slows every later call of the process, which a provider applying many
        // templates cannot afford.
        let retry = RetryConfig::standard()
            .with_max_attempts(retries.saturating_add(1))
            .with_initial_backoff(Duration::from_millis(500))
            .with_max_backoff(Duration::from_secs(20));
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(10))
            .operation_attempt_timeout(Duration::from_secs(60))
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(retry)
            .timeout_config(timeouts);
        if let Some(region) = &settings.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        if let Some(profile) = &settings.profile {
            loader = loader.profile_name(profile);
        }
        if !settings.shared_config_files.is_empty() || !settings.shared_credentials_files.is_empty()
        {
            let mut files = ProfileFiles::builder();
            if settings.shared_config_files.is_empty() {
                files = files.include_default_config_file(true);
            }
            if settings.shared_credentials_files.is_empty() {
                files = files.include_default_credentials_file(true);
            }
            for path in &settings.shared_config_files {
                files = files.with_file(ProfileFileKind::Config, path);
            }
            for path in &settings.shared_credentials_files {
                files = files.with_file(ProfileFileKind::Credentials, path);
            }
            loader = loader.profile_files(files.build());
        }
        let mut config = loader.load().await;
        if let Some(role) = &settings.assume_role {
            if role.role_arn.trim().is_empty() {
                return Err(AwsError::Config("assume_role.role_arn is empty".into()));
            }
            let mut builder = AssumeRoleProvider::builder(role.role_arn.clone())
                .session_name(role.session_name.clone().unwrap_or_else(|| "ecstpl".into()))
                .configure(&config);
            if let Some(external_id) = &role.external_id {
                builder = builder.external_id(external_id.clone());
            }
            if let Some(duration) = role.duration {
                builder = builder.session_length(duration);
            }
            let provider = builder.build().await;
            config = config
                .into_builder()
                .credentials_provider(
                    aws_credential_types::provider::SharedCredentialsProvider::new(provider),
                )
                .build();
        }
        if config.region().is_none() {
            return Err(AwsError::Config(
                "no AWS region: set `region` in the provider block, or AWS_REGION".into(),
            ));
        }
        let mut ecs_config = aws_sdk_ecs::config::Builder::from(&config);
        if let Some(endpoint) = &settings.ecs_endpoint {
            ecs_config = ecs_config.endpoint_url(endpoint.clone());
        }
        Ok(Ecs::from_client(aws_sdk_ecs::Client::from_conf(
            ecs_config.build(),
        )))
    }
}
