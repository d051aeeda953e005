//! The Terraform front end: provider configuration (with the names AWS-provider users know),
//! the `ecstpl_template` resource and the data sources. It translates between Terraform values
//! and the domain ([`crate::taskdef`]) and calls ECS only through [`crate::aws`].

mod config;
mod deployed_revision;
pub mod docs;
mod rollout;
mod task_blocks;
mod template;
mod values;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use crate::aws::Ecs;
use crate::plugin::diag::Diagnostics;
use crate::plugin::framework::{
    self, Action, ConfigureRequest, DataSource, ListResource, Resource,
};
use crate::plugin::schema::Schema;
use crate::plugin::value::Value;

/// The address Terraform knows the provider by (`source = "ecstpl/ecstpl"`).
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/ecstpl/ecstpl";

/// What `ConfigureProvider` produced, shared by every resource and data source.
#[derive(Default)]
pub(crate) struct Shared {
    state: RwLock<Option<Arc<Configured>>>,
}

pub(crate) struct Configured {
    /// None when the provider configuration held values unknown at plan time.
    ecs: Option<Ecs>,
    /// None when `default_tags` is not known yet.
    default_tags: Option<BTreeMap<String, String>>,
    /// `verify_references`: plans check what a new template revision needs at run time.
    verify_references: bool,
}

impl Shared {
    /// Configured without an ECS client and with these default tags (unit tests of plans).
    #[cfg(test)]
    pub(crate) fn configure_for_tests(&self, default_tags: BTreeMap<String, String>) {
        if let Ok(mut state) = self.state.write() {
            *state = Some(Arc::new(Configured {
                ecs: None,
                default_tags: Some(default_tags),
                verify_references: false,
            }));
        }
    }

    /// Configured with default tags that are unknown at plan time.
    #[cfg(test)]
    pub(crate) fn configure_for_tests_unknown_tags(&self) {
        if let Ok(mut state) = self.state.write() {
            *state = Some(Arc::new(Configured {
                ecs: None,
                default_tags: None,
                verify_references: false,
            }));
        }
    }

    fn configured(&self) -> Option<Arc<Configured>> {
        self.state.read().ok().and_then(|state| state.clone())
    }

    /// The ECS client, or an error that says why there is none.
    pub(crate) fn ecs(&self) -> Result<Ecs, Diagnostics> {
        match self.configured() {
            Some(configured) => configured.ecs.clone().ok_or_else(|| {
                Diagnostics::single_error(
                    "Provider configuration not known yet",
                    "The ecstpl provider configuration depends on values that are only known \
                     after apply, so ECS cannot be called yet. Apply the resources it depends \
                     on first (terraform apply -target=...).",
                )
            }),
            None => Err(Diagnostics::single_error(
                "Provider not configured",
                "Terraform did not configure the ecstpl provider before using it. This is a bug.",
            )),
        }
    }

    /// The checker of run-time references when `verify_references` is on and ECS can be
    /// called (its settings are known).
    pub(crate) fn verifier(&self) -> Option<crate::aws::Verifier> {
        let configured = self.configured()?;
        if !configured.verify_references {
            return None;
        }
        configured.ecs.as_ref()?.verifier()
    }

    /// Provider-wide `default_tags`: `Some(empty)` when none are set, `None` while unknown.
    pub(crate) fn default_tags(&self) -> Option<BTreeMap<String, String>> {
        match self.configured() {
            Some(configured) => configured.default_tags.clone(),
            // Validation and planning can run before configuration in some Terraform versions.
            None => Some(BTreeMap::new()),
        }
    }
}

/// The ecstpl provider.
pub struct EcstplProvider {
    shared: Arc<Shared>,
}

impl EcstplProvider {
    pub fn new() -> Self {
        Self {
            shared: Arc::new(Shared::default()),
        }
    }
}

impl Default for EcstplProvider {
    fn default() -> Self {
        Self::new()
    }
}

#[tonic::async_trait]
impl framework::Provider for EcstplProvider {
    fn schema(&self) -> Schema {
        config::schema()
    }

    fn resources(&self) -> Vec<Arc<dyn Resource>> {
        vec![Arc::new(template::TemplateResource::new(
            self.shared.clone(),
        ))]
    }

    fn list_resources(&self) -> Vec<Arc<dyn ListResource>> {
        vec![Arc::new(template::TemplateList::new(self.shared.clone()))]
    }

    fn actions(&self) -> Vec<Arc<dyn Action>> {
        vec![Arc::new(rollout::RolloutAction::new(self.shared.clone()))]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSource>> {
        vec![Arc::new(
            deployed_revision::DeployedRevisionDataSource::new(self.shared.clone()),
        )]
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        config::validate(config)
    }

    async fn configure(&self, request: ConfigureRequest) -> Diagnostics {
        let mut diagnostics = Diagnostics::new();
        let default_tags = config::default_tags(&request.config);
        let ecs = if request.config.is_wholly_known() {
            match config::settings(&request.config) {
                Ok(settings) => match Ecs::connect(&settings).await {
                    Ok(ecs) => Some(ecs),
                    Err(err) => {
                        diagnostics.error("Could not set up the ECS client", err.to_string());
                        None
                    }
                },
                Err(diags) => {
                    diagnostics.extend(diags);
                    None
                }
            }
        } else {
            tracing::debug!("provider configuration not wholly known; ECS calls deferred");
            None
        };
        tracing::debug!(
            terraform_version = %request.terraform_version,
            "provider configured"
        );
        let verify_references = matches!(
            request.config.get_attr("verify_references"),
            Some(Value::Bool(true))
        );
        if let Ok(mut state) = self.shared.state.write() {
            *state = Some(Arc::new(Configured {
                ecs,
                default_tags,
                verify_references,
            }));
        }
        diagnostics
    }
}
