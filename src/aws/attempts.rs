//! Watches every attempt of an ECS call.
//!
//! - One info line per failed attempt with its reason, timeouts included (throttled attempts
//!   are paced, see `paced.rs`, and logged at debug there), so a slow plan or deploy says
//!   what it is waiting for (`TF_LOG=info`, or `ecstpl` on stderr). Never logs a
//!   request or a credential: only the operation, the attempt number and what came back.
//! - Retries stop once ECS has answered nothing at all (no HTTP response, not even an error)
//!   for [`SILENCE_BUDGET`]: an endpoint that is down or never answers fails in well under a
//!   minute, while throttling and 5xx, which are answers, are ridden out with every retry.
//!   The first attempt of each call is always made, so a long-running deploy recovers from a
//!   network blip at its next poll.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

/// How long ECS may answer nothing before retries stop.
pub const SILENCE_BUDGET: Duration = Duration::from_secs(20);

/// Shared by every call of one client: silence is a property of the endpoint, not of a call.
#[derive(Clone, Debug, Default)]
pub(crate) struct AttemptWatch {
    silence: Arc<Mutex<Silence>>,
}

#[derive(Debug, Default)]
struct Silence {
    /// Start of the first attempt of the current run of attempts that got no answer.
    since: Option<Instant>,
    last_reason: String,
}

/// The error a retry is refused with once ECS has been silent too long.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "ECS has answered nothing for {}s (last attempt: {last_reason}); check the endpoint, the network or a proxy in between",
    silent_for.as_secs()
)]
pub struct Unanswered {
    pub silent_for: Duration,
    pub last_reason: String,
}

/// The attempt in flight, kept in the call's config bag.
#[derive(Clone, Debug)]
struct Attempt {
    started: Instant,
    number: u32,
    finished: bool,
}

impl Storable for Attempt {
    type Storer = StoreReplace<Self>;
}

impl AttemptWatch {
    /// The error to refuse a retry with, when ECS has been silent for the budget or longer.
    pub(crate) fn refusal(&self) -> Option<Unanswered> {
        let silence = self.silence.lock().ok()?;
        let silent_for = silence.since?.elapsed();
        (silent_for >= SILENCE_BUDGET).then(|| Unanswered {
            silent_for,
            last_reason: silence.last_reason.clone(),
        })
    }

    fn answered(&self) {
        if let Ok(mut silence) = self.silence.lock() {
            silence.since = None;
        }
    }

    fn unanswered(&self, attempt_started: Instant, reason: &str) {
        if let Ok(mut silence) = self.silence.lock() {
            silence.since.get_or_insert(attempt_started);
            silence.last_reason = reason.to_string();
        }
    }

    /// An attempt that was started and never finished was cut off by a timeout.
    fn note_timed_out(&self, cfg: &ConfigBag) {
        if let Some(attempt) = cfg.load::<Attempt>()
            && !attempt.finished
        {
            let reason = format!(
                "timed out: no answer within {}s",
                attempt.started.elapsed().as_secs()
            );
            self.unanswered(attempt.started, &reason);
            log_failure(cfg, attempt.number, &reason);
        }
    }
}

fn log_failure(cfg: &ConfigBag, attempt: u32, reason: &str) {
    let operation = cfg.load::<Metadata>().map_or("ECS call", Metadata::name);
    tracing::info!(operation, attempt, %reason, "ECS call attempt failed; retried if attempts and time remain");
}

impl Intercept for AttemptWatch {
    fn name(&self) -> &'static str {
        "ecstpl-attempt-watch"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.note_timed_out(cfg);
        let number = cfg
            .load::<RequestAttempts>()
            .map_or(1, RequestAttempts::attempts);
        let refusal = if number > 1 { self.refusal() } else { None };
        cfg.interceptor_state().store_put(Attempt {
            started: Instant::now(),
            number,
            // A refused attempt sends nothing; there is nothing to watch.
            finished: refusal.is_some(),
        });
        match refusal {
            Some(refusal) => Err(Box::new(refusal)),
            None => Ok(()),
        }
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(mut attempt) = cfg.load::<Attempt>().cloned() else {
            return Ok(());
        };
        if attempt.finished {
            return Ok(());
        }
        attempt.finished = true;
        cfg.interceptor_state().store_put(attempt.clone());
        if let Some(response) = context.response() {
            self.answered();
            let status = response.status().as_u16();
            // `ThrottlingException:http://internal.amazon.com/…`: the code is enough.
            let kind = response
                .headers()
                .get("x-amzn-errortype")
                .map(|kind| kind.split(':').next().unwrap_or(kind));
            // Only what the SDK retries: a definite answer (a missing cluster, a bad request)
            // is the call's error, reported once by whoever made the call, and a throttled
            // one is paced and logged at debug level by the pacing (paced.rs).
            if status >= 500 {
                let reason = match kind {
                    Some(kind) => format!("HTTP {status} {kind}"),
                    None => format!("HTTP {status}"),
                };
                log_failure(cfg, attempt.number, &reason);
            }
        } else if let Some(Err(err)) = context.output_or_error() {
            let reason = crate::aws::error::source_chain(err);
            self.unanswered(attempt.started, &reason);
            log_failure(cfg, attempt.number, &reason);
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.note_timed_out(cfg);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_is_refused_only_after_the_budget_and_any_answer_resets_it() {
        let watch = AttemptWatch::default();
        assert!(watch.refusal().is_none());
        watch.unanswered(Instant::now(), "connection refused");
        assert!(watch.refusal().is_none(), "within the budget");
        let long_ago = Instant::now()
            .checked_sub(SILENCE_BUDGET + Duration::from_secs(1))
            .unwrap_or_else(Instant::now);
        watch.unanswered(long_ago, "timed out");
        // The run started with the first silent attempt: a later start does not move it back.
        assert!(
            watch.refusal().is_none(),
            "the run started at the first silent attempt"
        );
        watch.answered();
        watch.unanswered(long_ago, "timed out");
        let refusal = watch.refusal().map(|r| r.to_string()).unwrap_or_default();
        assert!(refusal.contains("answered nothing for 2"), "{refusal}");
        assert!(refusal.contains("timed out"), "{refusal}");
        watch.answered();
        assert!(watch.refusal().is_none());
    }
}
