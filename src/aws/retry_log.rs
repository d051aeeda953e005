//! One info line per failed attempt of an ECS call, with the reason, so a slow plan or deploy
//! says what it is waiting for (`TF_LOG=info`, or `ecstpl` on stderr). Never logs a request or
//! a credential: only the operation, the attempt number and what came back.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

#[derive(Debug, Default)]
pub(crate) struct RetryLog;

impl Intercept for RetryLog {
    fn name(&self) -> &'static str {
        "ecstpl-retry-log"
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let reason = match (context.response(), context.output_or_error()) {
            (Some(response), _) if response.status().as_u16() >= 400 => {
                format!("HTTP {}", response.status().as_u16())
            }
            (_, Some(Err(err))) => err.to_string(),
            _ => return Ok(()),
        };
        let attempt = cfg
            .load::<RequestAttempts>()
            .map_or(1, RequestAttempts::attempts);
        let operation = cfg.load::<Metadata>().map_or("ECS call", Metadata::name);
        tracing::info!(operation, attempt, %reason, "ECS call attempt failed; retried if attempts and time remain");
        Ok(())
    }
}
