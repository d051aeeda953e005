//! Errors from ECS calls, with the operation and ECS's own code and message. Never holds
//! credentials: only what the service or the transport said.

use aws_sdk_ecs::error::{ProvideErrorMetadata, SdkError};

#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    #[error("AWS configuration: {0}")]
    Config(String),
    #[error(
        "{operation}: throttled by ECS after retries ({message}); try again, or raise max_retries"
    )]
    Throttled { operation: String, message: String },
    #[error("{operation}: {code}: {message}")]
    Service {
        operation: String,
        code: String,
        message: String,
    },
    #[error("{operation}: could not reach ECS: {message}")]
    Transport { operation: String, message: String },
    #[error("{operation}: unexpected response: {message}")]
    InvalidResponse { operation: String, message: String },
}

impl AwsError {
    pub(crate) fn from_sdk<E, R>(operation: &str, err: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let operation = operation.to_string();
        match &err {
            SdkError::ServiceError(service) => {
                let inner = service.err();
                let code = inner.code().unwrap_or("Unknown").to_string();
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

    /// ECS's code, when ECS answered with an error.
    pub fn code(&self) -> Option<&str> {
        match self {
            AwsError::Service { code, .. } => Some(code),
            AwsError::Throttled { .. } => Some("ThrottlingException"),
            _ => None,
        }
    }
}

fn is_throttling(code: &str) -> bool {
    matches!(
        code,
        "ThrottlingException" | "Throttling" | "TooManyRequestsException" | "RequestLimitExceeded"
    )
}

/// The error and its sources, one line: the SDK nests the useful part several levels down.
fn source_chain(err: &dyn std::error::Error) -> String {
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
    fn throttling_codes_are_recognised() {
        assert!(is_throttling("ThrottlingException"));
        assert!(!is_throttling("ClientException"));
    }
}
