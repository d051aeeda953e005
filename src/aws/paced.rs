//! Sending one ECS call through the [`Pacer`](crate::aws::pacing::Pacer): wait for a token of
//! the action's category, send, and when ECS throttles, adapt the rate, back off with jitter
//! and send again until the operation's deadline. The SDK itself never retries a throttled
//! answer ([`ThrottlingIsPaced`]): its standard retry mode would spend the per-client retry
//! quota and the call's attempts on it. Other failures (5xx, transport) keep the SDK's
//! retries, attempts and 45 s bound, which therefore never include time spent waiting for
//! ECS's rate; the silence budget of [`crate::aws::attempts`] is untouched.

use std::future::Future;
use std::time::Duration;

use aws_sdk_ecs::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{ClassifyRetry, RetryAction};
use aws_smithy_runtime_api::http::Response as HttpResponse;
use tokio::time::Instant;

use crate::aws::pacing::{self, Category, NoToken, Pacer, Priority};
use crate::aws::{AwsError, Ecs};

/// What a paced call came to, and how long it waited for ECS's rate on the way.
pub(crate) struct Sent<T, E> {
    pub(crate) result: Result<T, E>,
    pub(crate) waited: Duration,
}

/// Sends `attempt` as many times as throttling takes, each time with a token of the
/// operation's category. The first attempt is always made, even when no token comes before
/// the deadline (ECS decides); a throttled one is sent again only while the deadline allows.
pub(crate) async fn send<T, E, Fut>(
    pacer: &Pacer,
    operation: &'static str,
    priority: Priority,
    token_held: bool,
    throttled: impl Fn(&E) -> bool,
    mut attempt: impl FnMut() -> Fut,
) -> Sent<T, E>
where
    Fut: Future<Output = Result<T, E>>,
{
    let category = Category::of(operation);
    let deadline = pacing::deadline();
    let mut waited = Duration::ZERO;
    let mut throttles = 0;
    let mut last_throttled: Option<E> = None;
    let mut held = token_held;
    loop {
        if !held && let Some(category) = category {
            match pacer.acquire(category, priority, deadline).await {
                Ok(wait) => waited += wait,
                Err(NoToken { waited: wait }) => {
                    waited += wait;
                    if let Some(err) = last_throttled.take() {
                        return finish(category, waited, Err(err));
                    }
                }
            }
        }
        held = false;
        let err = match attempt().await {
            Err(err) if throttled(&err) => err,
            result => {
                if let Some(category) = category {
                    pacer.accepted(category);
                    pacing::record_wait(category, waited);
                }
                return Sent { result, waited };
            }
        };
        throttles += 1;
        if let Some(category) = category {
            pacer.throttled(category);
        }
        let backoff = pacer.backoff(category, throttles);
        tracing::debug!(
            operation,
            category = category.map_or("none", Category::name),
            throttles,
            backoff_ms = u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX),
            "throttled by ECS; sent again after a backoff"
        );
        if Instant::now() + backoff >= deadline {
            return match category {
                Some(category) => finish(category, waited, Err(err)),
                None => Sent {
                    result: Err(err),
                    waited,
                },
            };
        }
        tokio::time::sleep(backoff).await;
        waited += backoff;
        last_throttled = Some(err);
    }
}

fn finish<T, E>(category: Category, waited: Duration, result: Result<T, E>) -> Sent<T, E> {
    pacing::record_wait(category, waited);
    Sent { result, waited }
}

/// Whether ECS throttled a call the SDK made.
pub(crate) fn sdk_throttled<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> bool {
    err.as_service_error()
        .and_then(ProvideErrorMetadata::code)
        .is_some_and(crate::aws::error::is_throttling)
        || err
            .raw_response()
            .is_some_and(|raw| raw.status().as_u16() == 429)
}

impl Ecs {
    /// Sends an [`AwsError`]-returning call paced (for calls with their own interceptors).
    pub(crate) async fn paced<T, Fut>(
        &self,
        operation: &'static str,
        attempt: impl FnMut() -> Fut,
    ) -> Sent<T, AwsError>
    where
        Fut: Future<Output = Result<T, AwsError>>,
    {
        send(
            &self.pacer,
            operation,
            Priority::Normal,
            false,
            AwsError::is_throttled,
            attempt,
        )
        .await
    }
}

/// What the SDK's `send()` of a call returns.
type SdkResult<C> =
    Result<<C as SendPaced>::Output, SdkError<<C as SendPaced>::Error, HttpResponse>>;

/// An SDK call sent paced: `.send_paced(ecs)` where the SDK has `.send()`.
pub(crate) trait SendPaced: Clone + Send + Sync + Sized {
    type Output: Send;
    type Error: ProvideErrorMetadata + Send;
    const OPERATION: &'static str;

    fn send_once(
        self,
    ) -> impl Future<Output = Result<Self::Output, SdkError<Self::Error, HttpResponse>>> + Send;

    fn send_paced(
        self,
        ecs: &Ecs,
    ) -> impl Future<Output = Result<Self::Output, SdkError<Self::Error, HttpResponse>>> + Send
    {
        let pacer = ecs.pacer.clone();
        async move {
            send(
                &pacer,
                Self::OPERATION,
                Priority::Normal,
                false,
                sdk_throttled,
                || self.clone().send_once(),
            )
            .await
            .result
        }
    }

    /// Sent as clean-up ([`Priority::Cleanup`]): `NoToken` when no token is left for it
    /// before the deadline, and then nothing is sent.
    fn send_as_cleanup(
        self,
        ecs: &Ecs,
    ) -> impl Future<Output = Result<SdkResult<Self>, NoToken>> + Send {
        let pacer = ecs.pacer.clone();
        async move {
            let category = Category::of(Self::OPERATION);
            let mut held = false;
            if let Some(category) = category {
                match pacer
                    .acquire(category, Priority::Cleanup, pacing::deadline())
                    .await
                {
                    Ok(_) => held = true,
                    Err(no_token) => {
                        pacing::record_wait(category, no_token.waited);
                        return Err(no_token);
                    }
                }
            }
            Ok(send(
                &pacer,
                Self::OPERATION,
                Priority::Cleanup,
                held,
                sdk_throttled,
                || self.clone().send_once(),
            )
            .await
            .result)
        }
    }
}

macro_rules! send_paced {
    ($($module:ident: $operation:ident, $builder:ident, $output:ident, $error:ident;)*) => {$(
        impl SendPaced for aws_sdk_ecs::operation::$module::builders::$builder {
            type Output = aws_sdk_ecs::operation::$module::$output;
            type Error = aws_sdk_ecs::operation::$module::$error;
            const OPERATION: &'static str = stringify!($operation);

            fn send_once(
                self,
            ) -> impl Future<Output = Result<Self::Output, SdkError<Self::Error, HttpResponse>>> + Send
            {
                self.send()
            }
        }
    )*};
}

send_paced! {
    continue_service_deployment: ContinueServiceDeployment, ContinueServiceDeploymentFluentBuilder, ContinueServiceDeploymentOutput, ContinueServiceDeploymentError;
    deregister_task_definition: DeregisterTaskDefinition, DeregisterTaskDefinitionFluentBuilder, DeregisterTaskDefinitionOutput, DeregisterTaskDefinitionError;
    describe_service_deployments: DescribeServiceDeployments, DescribeServiceDeploymentsFluentBuilder, DescribeServiceDeploymentsOutput, DescribeServiceDeploymentsError;
    describe_service_revisions: DescribeServiceRevisions, DescribeServiceRevisionsFluentBuilder, DescribeServiceRevisionsOutput, DescribeServiceRevisionsError;
    describe_services: DescribeServices, DescribeServicesFluentBuilder, DescribeServicesOutput, DescribeServicesError;
    describe_tasks: DescribeTasks, DescribeTasksFluentBuilder, DescribeTasksOutput, DescribeTasksError;
    list_service_deployments: ListServiceDeployments, ListServiceDeploymentsFluentBuilder, ListServiceDeploymentsOutput, ListServiceDeploymentsError;
    list_task_definition_families: ListTaskDefinitionFamilies, ListTaskDefinitionFamiliesFluentBuilder, ListTaskDefinitionFamiliesOutput, ListTaskDefinitionFamiliesError;
    list_task_definitions: ListTaskDefinitions, ListTaskDefinitionsFluentBuilder, ListTaskDefinitionsOutput, ListTaskDefinitionsError;
    list_tasks: ListTasks, ListTasksFluentBuilder, ListTasksOutput, ListTasksError;
    update_express_gateway_service: UpdateExpressGatewayService, UpdateExpressGatewayServiceFluentBuilder, UpdateExpressGatewayServiceOutput, UpdateExpressGatewayServiceError;
    describe_express_gateway_service: DescribeExpressGatewayService, DescribeExpressGatewayServiceFluentBuilder, DescribeExpressGatewayServiceOutput, DescribeExpressGatewayServiceError;
    run_task: RunTask, RunTaskFluentBuilder, RunTaskOutput, RunTaskError;
    stop_service_deployment: StopServiceDeployment, StopServiceDeploymentFluentBuilder, StopServiceDeploymentOutput, StopServiceDeploymentError;
    tag_resource: TagResource, TagResourceFluentBuilder, TagResourceOutput, TagResourceError;
    untag_resource: UntagResource, UntagResourceFluentBuilder, UntagResourceOutput, UntagResourceError;
    update_service: UpdateService, UpdateServiceFluentBuilder, UpdateServiceOutput, UpdateServiceError;
}

/// Keeps the SDK from retrying a throttled answer: [`send`] does, paced.
#[derive(Debug, Default)]
pub(crate) struct ThrottlingIsPaced;

impl ClassifyRetry for ThrottlingIsPaced {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match ctx.response() {
            Some(response) if response_is_throttling(response) => RetryAction::RetryForbidden,
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "ecstpl-throttling-is-paced"
    }
}

/// A throttling answer of the AWS JSON protocol: HTTP 429, or 400 with a throttling error
/// code in `x-amzn-errortype` or the body's `__type` (`…#ThrottlingException`).
fn response_is_throttling(response: &HttpResponse) -> bool {
    let status = response.status().as_u16();
    if status == 429 {
        return true;
    }
    if status != 400 {
        return false;
    }
    let code = |text: &str| {
        let text = text.rsplit('#').next().unwrap_or(text);
        crate::aws::error::is_throttling(text.split(':').next().unwrap_or(text))
    };
    if response.headers().get("x-amzn-errortype").is_some_and(code) {
        return true;
    }
    response
        .body()
        .bytes()
        .and_then(|body| serde_json::from_slice::<serde_json::Value>(body).ok())
        .and_then(|body| {
            body.get("__type")
                .or_else(|| body.get("code"))
                .and_then(serde_json::Value::as_str)
                .map(code)
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_types::body::SdkBody;

    fn response(status: u16, header: Option<&str>, body: &str) -> HttpResponse {
        let mut response = HttpResponse::new(
            status.try_into().expect("a status code"),
            SdkBody::from(body.to_string()),
        );
        if let Some(header) = header {
            response
                .headers_mut()
                .insert("x-amzn-errortype", header.to_string());
        }
        response
    }

    #[test]
    fn throttling_answers_are_recognised_by_header_body_or_status() {
        assert!(response_is_throttling(&response(
            400,
            Some("ThrottlingException:http://internal.amazon.com/coral/"),
            "{}"
        )));
        assert!(response_is_throttling(&response(
            400,
            None,
            r#"{"__type":"com.amazon.coral.availability#ThrottlingException","message":"Rate exceeded"}"#
        )));
        assert!(response_is_throttling(&response(429, None, "")));
        assert!(!response_is_throttling(&response(
            400,
            None,
            r#"{"__type":"ClientException","message":"Unable to describe task definition."}"#
        )));
        assert!(!response_is_throttling(&response(500, None, "")));
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttled_call_is_sent_again_until_accepted_without_a_retry_budget() {
        let pacer = Pacer::new(crate::aws::pacing::RateLimits::default());
        let mut attempts = 0;
        let sent = send(
            &pacer,
            "RegisterTaskDefinition",
            Priority::Normal,
            false,
            |err: &&str| *err == "throttled",
            || {
                attempts += 1;
                let answer = if attempts <= 30 {
                    Err("throttled")
                } else {
                    Ok(attempts)
                };
                async move { answer }
            },
        )
        .await;
        assert_eq!(sent.result, Ok(31));
        assert!(sent.waited > Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttled_call_gives_up_at_the_deadline_with_the_throttled_answer() {
        let pacer = Pacer::new(crate::aws::pacing::RateLimits::default());
        let started = Instant::now();
        let sent = crate::aws::pacing::within(Duration::from_secs(60), async {
            send(
                &pacer,
                "DescribeTaskDefinition",
                Priority::Normal,
                false,
                |err: &&str| *err == "throttled",
                || async { Err::<(), _>("throttled") },
            )
            .await
        })
        .await;
        assert_eq!(sent.result, Err("throttled"));
        assert!(started.elapsed() <= Duration::from_secs(60));
        assert!(
            started.elapsed() >= Duration::from_secs(45),
            "{:?}",
            started.elapsed()
        );
    }
}
