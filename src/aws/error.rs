//! Errors from ECS calls, with the operation and ECS's own code and message. Never holds
//! credentials: only what the service or the transport said.

use aws_sdk_ecs::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::http::Response as HttpResponse;

#[derive(Clone, Debug, thiserror::Error)]
pub enum AwsError {
    #[error("AWS configuration: {0}")]
    Config(String),
    /// ECS still throttled the call when the operation's deadline came.
    #[error(
        "{operation}: throttled by ECS until the deadline ({message}): other callers in this account and Region use up ECS's rate; try again later, or give ecstpl the raised limits if AWS Support raised them (ecs_rate_limits, --ecs-rate-limits)"
    )]
    Throttled { operation: String, message: String },
    /// Clean-up that found no token of ECS's rate left for it before the deadline; nothing
    /// was sent.
    #[error(
        "{operation}: no room in ECS's {category} rate before the deadline (waited {} s); left for later",
        waited.as_secs()
    )]
    NoRateLeft {
        operation: String,
        category: &'static str,
        waited: std::time::Duration,
    },
    #[error("{operation}: {code}: {message}")]
    Service {
        operation: String,
        code: String,
        message: String,
    },
    #[error("{operation}: could not reach ECS: {message}")]
    Transport { operation: String, message: String },
    /// Nothing answered for the whole silence budget: retrying more would only wait longer.
    #[error("{operation}: {silence}")]
    Unanswered {
        operation: String,
        silence: crate::aws::attempts::Unanswered,
    },
    #[error("{operation}: unexpected response: {message}")]
    InvalidResponse { operation: String, message: String },
    #[error("{operation}: HTTP {status} without an ECS error: {body}")]
    Http {
        operation: String,
        status: u16,
        body: String,
    },
}

/// The start of a response body, on one line, for an error message.
fn body_start(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.is_empty() {
        return "(empty body)".into();
    }
    let mut start: String = line.chars().take(200).collect();
    if start.len() < line.len() {
        start.push('…');
    }
    start
}

impl AwsError {
    pub(crate) fn from_sdk<E>(operation: &str, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let operation = operation.to_string();
        let refused = std::iter::successors(std::error::Error::source(&err), |e| e.source())
            .find_map(|e| e.downcast_ref::<crate::aws::attempts::Unanswered>());
        if let Some(silence) = refused {
            return AwsError::Unanswered {
                operation,
                silence: silence.clone(),
            };
        }
        match &err {
            SdkError::ServiceError(service) => {
                let inner = service.err();
                let raw = service.raw();
                let status = raw.status().as_u16();
                let Some(code) = inner.code() else {
                    // Not an ECS error document (a proxy's HTML page, say): say what came back.
                    return AwsError::Http {
                        operation,
                        status,
                        body: body_start(raw.body().bytes().unwrap_or_default()),
                    };
                };
                let code = code.to_string();
                let message = inner.message().unwrap_or_default().to_string();
                if is_throttling(&code) {
                    AwsError::Throttled { operation, message }
                } else {
                    AwsError::Service {
                        operation,
                        code,
                        message,
                    }
                }
            }
            SdkError::TimeoutError(_) => AwsError::Transport {
                operation,
                message: "timed out".into(),
            },
            SdkError::DispatchFailure(_) => AwsError::Transport {
                operation,
                message: source_chain(&err),
            },
            SdkError::ResponseError(_) => AwsError::InvalidResponse {
                operation,
                message: "could not read the response".into(),
            },
            SdkError::ConstructionFailure(_) => AwsError::Config(format!(
                "{operation}: could not build the request (credentials or region missing?): {}",
                source_chain(&err)
            )),
            _ => AwsError::Transport {
                operation,
                message: source_chain(&err),
            },
        }
    }

    pub(crate) fn invalid_response(operation: &str, message: impl Into<String>) -> Self {
        AwsError::InvalidResponse {
            operation: operation.to_string(),
            message: message.into(),
        }
    }

    /// Whether another attempt may succeed: throttling, 5xx, transport errors and timeouts.
    pub fn is_retryable(&self) -> bool {
        match self {
            AwsError::Throttled { .. } | AwsError::Transport { .. } => true,
            AwsError::Http { status, .. } => *status >= 500 || *status == 429,
            AwsError::Service { code, .. } => {
                matches!(
                    code.as_str(),
                    "ServerException"
                        | "ServiceUnavailableException"
                        | "InternalFailure"
                        | "ServiceUnavailable"
                )
            }
            AwsError::InvalidResponse { .. }
            | AwsError::Config(_)
            | AwsError::Unanswered { .. }
            | AwsError::NoRateLeft { .. } => false,
        }
    }

    /// Whether ECS throttled the call (paced and sent again, never counted as an attempt).
    pub fn is_throttled(&self) -> bool {
        matches!(
            self,
            AwsError::Throttled { .. } | AwsError::Http { status: 429, .. }
        )
    }

    /// ECS's code, when ECS answered with an error.
    pub fn code(&self) -> Option<&str> {
        match self {
            AwsError::Service { code, .. } => Some(code),
            AwsError::Throttled { .. } => Some("ThrottlingException"),
            _ => None,
        }
    }
}

pub(crate) fn is_throttling(code: &str) -> bool {
    matches!(
        code,
        "ThrottlingException" | "Throttling" | "TooManyRequestsException" | "RequestLimitExceeded"
    )
}

/// The error and its sources, one line: the SDK nests the useful part several levels down.
pub(crate) fn source_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        let part = inner.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_that_is_no_ecs_error_is_shown_in_short() {
        assert_eq!(
            body_start(b"<html>\n<title>500 Internal Server Error</title></html>"),
            "<html> <title>500 Internal Server Error</title></html>"
        );
        assert_eq!(body_start(b""), "(empty body)");
        assert!(body_start(&[b'x'; 500]).ends_with('…'));
    }

    #[test]
    fn throttling_codes_are_recognised() {
        assert!(is_throttling("ThrottlingException"));
        assert!(!is_throttling("ClientException"));
    }
}
