//! Building the ECS client from provider or CLI settings on top of the standard AWS chain
//! (environment, shared files, SSO, IMDS…). `AWS_ENDPOINT_URL` is honoured by aws-config.

use std::path::PathBuf;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
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
    /// Retries after the first attempt of a call that failed with a 5xx or in transport.
    /// Throttling uses none: a throttled call is paced and sent again until its deadline.
    pub max_retries: Option<u32>,
    /// ECS's token buckets where AWS Support raised them (the published sizes otherwise).
    pub ecs_rate_limits: crate::aws::RateLimits,
}

#[derive(Clone, Debug)]
pub struct AssumeRole {
    pub role_arn: String,
    pub session_name: Option<String>,
    pub external_id: Option<String>,
    pub duration: Option<Duration>,
}

/// Retries of the CLI unless told otherwise, for 5xx answers and transport failures
/// (throttling is paced instead, see [`crate::aws::pacing`]). An endpoint that answers
/// nothing does not use them up: retries stop after [`crate::aws::SILENCE_BUDGET`] of
/// silence.
pub const DEFAULT_MAX_RETRIES: u32 = 8;

/// How long one ECS call may take, retries and backoff included; waiting for ECS's rate is
/// not: it is bounded by the operation's deadline ([`crate::aws::within`]).
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(45);
/// One attempt: ECS answers in well under a second, a registration included.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait between two attempts (full jitter below it, as the SDK's standard mode).
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// A setting that cannot work, found before any call.
#[derive(Clone, Debug, PartialEq)]
pub struct SettingProblem {
    /// `region`, `endpoint` or `role_arn`.
    pub setting: &'static str,
    pub message: String,
}

/// An AWS region name: lowercase letters and digits in dash-separated parts, the last a
/// number (`eu-west-1`, `us-gov-east-1`, `cn-north-1`).
pub fn check_region(region: &str) -> Result<(), String> {
    let parts: Vec<&str> = region.split('-').collect();
    let well_formed = parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()));
    if well_formed {
        Ok(())
    } else {
        Err(format!(
            "{region:?} is not an AWS region name, like \"eu-west-1\""
        ))
    }
}

/// An endpoint URL: http or https, with a host.
pub fn check_endpoint(endpoint: &str) -> Result<(), String> {
    let (scheme, rest) = endpoint
        .split_once("://")
        .ok_or_else(|| format!("{endpoint:?} is not a URL: write it as https://host[:port]"))?;
    if scheme != "http" && scheme != "https" {
        return Err(format!(
            "{endpoint:?}: the scheme must be http or https, not {scheme:?}"
        ));
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_name = host.rsplit_once(':').map_or(host, |(name, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            name
        } else {
            host
        }
    });
    if host_name.is_empty() || host_name.contains(char::is_whitespace) {
        return Err(format!(
            "{endpoint:?} has no host: write it as https://host[:port]"
        ));
    }
    Ok(())
}

/// An IAM role ARN: `arn:<partition>:iam::<12-digit account>:role/<name>`.
pub fn check_role_arn(arn: &str) -> Result<(), String> {
    if crate::taskdef::is_role_arn(arn) {
        Ok(())
    } else {
        Err(format!(
            "{arn:?} is not an IAM role ARN, like \"arn:aws:iam::123456789012:role/deploy\""
        ))
    }
}

impl Settings {
    /// Problems with the settings themselves, found without any call.
    pub fn problems(&self) -> Vec<SettingProblem> {
        let mut problems = Vec::new();
        let mut check = |setting, result: Result<(), String>| {
            if let Err(message) = result {
                problems.push(SettingProblem { setting, message });
            }
        };
        if let Some(region) = &self.region {
            check("region", check_region(region));
        }
        if let Some(endpoint) = &self.ecs_endpoint {
            check("endpoint", check_endpoint(endpoint));
        }
        if let Some(role) = &self.assume_role {
            check("role_arn", check_role_arn(&role.role_arn));
        }
        problems
    }

    /// The settings and the endpoint variables of the environment, checked before any call.
    pub fn check(&self) -> Result<(), String> {
        let mut messages: Vec<String> = self
            .problems()
            .into_iter()
            .map(|p| format!("{}: {}", p.setting, p.message))
            .collect();
        if self.ecs_endpoint.is_none() {
            for variable in ["AWS_ENDPOINT_URL_ECS", "AWS_ENDPOINT_URL"] {
                if let Ok(value) = std::env::var(variable)
                    && !value.is_empty()
                    && let Err(message) = check_endpoint(&value)
                {
                    messages.push(format!("{variable}: {message}"));
                }
            }
        }
        if messages.is_empty() {
            Ok(())
        } else {
            Err(messages.join("; "))
        }
    }
}

impl Ecs {
    /// A client for `settings`. Makes no network call: credentials resolve on first use.
    pub async fn connect(settings: &Settings) -> Result<Ecs, AwsError> {
        settings.check().map_err(AwsError::Config)?;
        let retries = settings.max_retries.unwrap_or(DEFAULT_MAX_RETRIES);
        // Standard mode: exponential backoff with jitter on 5xx and transport failures.
        // Throttled answers are not the SDK's to retry (ThrottlingIsPaced): its retry quota
        // empties under sustained throttling, and its adaptive mode keeps one rate for every
        // action of the client; pacing.rs keeps one per ECS bucket.
        let retry = RetryConfig::standard()
            .with_max_attempts(retries.saturating_add(1))
            .with_initial_backoff(Duration::from_millis(500))
            .with_max_backoff(MAX_BACKOFF);
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .read_timeout(ATTEMPT_TIMEOUT)
            .operation_attempt_timeout(ATTEMPT_TIMEOUT)
            .operation_timeout(OPERATION_TIMEOUT)
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(retry)
            .timeout_config(timeouts);
        if let Some(region) = &settings.region {
            loader = loader.region(aws_config::Region::new(region.clone()));
        }
        let files = profile_files(settings);
        check_selected_profile(settings.profile.as_deref(), &files).await?;
        if let Some(profile) = &settings.profile {
            loader = loader.profile_name(profile);
        }
        loader = loader.profile_files(files.clone());
        let mut config = loader.load().await;
        if let Some(profile) = &settings.profile {
            // A profile named in the configuration decides the credentials, as in the AWS
            // provider (aws-sdk-go-v2 resolveCredentialChain: a programmatically set profile
            // comes before environment credentials) and the aws CLI (botocore#486: "Explicit
            // profile overrides environment variables"). The default chain would take
            // AWS_ACCESS_KEY_ID first. AWS_PROFILE alone keeps the standard order.
            let provider = ProfileFileCredentialsProvider::builder()
                .profile_name(profile)
                .profile_files(files)
                .configure(&ProviderConfig::default().with_region(config.region().cloned()))
                .build();
            config = config
                .into_builder()
                .credentials_provider(SharedCredentialsProvider::new(provider))
                .build();
        }
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
                .credentials_provider(SharedCredentialsProvider::new(provider))
                .build();
        }
        if config.region().is_none() {
            return Err(AwsError::Config(
                "no AWS region: set `region` in the provider block, or AWS_REGION".into(),
            ));
        }
        let watch = crate::aws::attempts::AttemptWatch::default();
        let mut ecs_config = aws_sdk_ecs::config::Builder::from(&config)
            .interceptor(watch.clone())
            .retry_classifier(crate::aws::paced::ThrottlingIsPaced);
        if let Some(endpoint) = &settings.ecs_endpoint {
            ecs_config = ecs_config.endpoint_url(endpoint.clone());
        }
        let mut ecs = Ecs::from_client_with_attempts(
            aws_sdk_ecs::Client::from_conf(ecs_config.build()),
            retries.saturating_add(1),
        );
        ecs.watch = Some(watch);
        // One set of buckets per account and Region, as far as the settings tell them apart
        // (the account is only known after a call): the endpoint, the Region and who calls.
        let endpoint = settings
            .ecs_endpoint
            .clone()
            .or_else(|| std::env::var("AWS_ENDPOINT_URL_ECS").ok())
            .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
            .unwrap_or_default();
        let key = format!(
            "{}|{endpoint}|{}|{}",
            config.region().map(|r| r.as_ref()).unwrap_or_default(),
            settings.profile.as_deref().unwrap_or_default(),
            settings
                .assume_role
                .as_ref()
                .map(|role| role.role_arn.as_str())
                .unwrap_or_default(),
        );
        ecs.pacer = crate::aws::pacing::Pacer::shared(key.clone(), &settings.ecs_rate_limits);
        ecs.place = key;
        ecs.sdk_config = Some(config);
        Ok(ecs)
    }
}

/// The shared config and credentials files: the ones given, or the defaults (which honour
/// AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE) for a kind that is not given.
fn profile_files(settings: &Settings) -> ProfileFiles {
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
    files.build()
}

/// A profile that is asked for (explicitly, or by AWS_PROFILE) must exist: the SDK would
/// otherwise fall back to other credentials without a word.
async fn check_selected_profile(
    explicit: Option<&str>,
    files: &ProfileFiles,
) -> Result<(), AwsError> {
    let env = aws_types::os_shim_internal::Env::real();
    let (name, origin) = match explicit {
        Some(name) => (name.to_string(), "profile"),
        None => match env.get("AWS_PROFILE") {
            Ok(name) if !name.is_empty() => (name, "AWS_PROFILE"),
            _ => return Ok(()),
        },
    };
    if name.trim().is_empty() {
        return Err(AwsError::Config(format!(
            "{origin} is empty: name a profile of the shared config files"
        )));
    }
    let loaded =
        aws_config::profile::load(&aws_types::os_shim_internal::Fs::real(), &env, files, None)
            .await;
    let profiles = match loaded {
        Ok(profiles) => profiles,
        Err(err) => {
            return Err(AwsError::Config(format!(
                "{origin} {name:?}: the shared config files cannot be read: {err}"
            )));
        }
    };
    if profiles.get_profile(&name).is_some() {
        return Ok(());
    }
    let mut known: Vec<&str> = profiles.profiles().collect();
    known.sort_unstable();
    let known = if known.is_empty() {
        "none are defined".to_string()
    } else {
        format!("defined: {}", known.join(", "))
    };
    Err(AwsError::Config(format!(
        "{origin} {name:?} is not defined in the shared config or credentials files ({known})"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_endpoints_and_role_arns_are_checked_before_any_call() {
        assert!(check_region("eu-west-1").is_ok());
        assert!(check_region("us-gov-east-1").is_ok());
        assert!(check_region("").is_err());
        assert!(check_region("eu west 1").is_err());
        assert!(check_region("EU-WEST-1").is_err());
        assert!(check_endpoint("http://127.0.0.1:4566").is_ok());
        assert!(check_endpoint("https://ecs.eu-west-1.amazonaws.com").is_ok());
        assert!(
            check_endpoint("ftp://example.com")
                .unwrap_err()
                .contains("http or https")
        );
        assert!(check_endpoint("not a url").is_err());
        assert!(check_endpoint("http://").is_err());
        assert!(check_role_arn("arn:aws:iam::123456789012:role/deploy").is_ok());
        assert!(check_role_arn("arn:aws:iam::123:role/deploy").is_err());
        assert!(check_role_arn("deploy").is_err());
    }
}
