//! Full-fidelity JSON for the two calls that carry whole task definitions. The typed SDK call
//! still does signing, endpoint resolution, credentials and retries; this interceptor swaps
//! the serialized request body for ecstpl's own JSON before signing and keeps the raw
//! response body, so fields the SDK's structs do not know survive the round trip.

use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;

#[derive(Debug, Default)]
pub(crate) struct RawJson {
    request_body: Option<Vec<u8>>,
    response_body: Arc<Mutex<Option<Vec<u8>>>>,
}

impl RawJson {
    /// Sends `body` instead of what the SDK serialized, and captures the response.
    pub(crate) fn replacing_request(body: Vec<u8>) -> Self {
        Self {
            request_body: Some(body),
            response_body: Arc::default(),
        }
    }

    /// Leaves the request alone and captures the response.
    pub(crate) fn capturing_response() -> Self {
        Self::default()
    }

    /// A handle that yields the captured response body after the call.
    pub(crate) fn response_handle(&self) -> Arc<Mutex<Option<Vec<u8>>>> {
        self.response_body.clone()
    }
}

impl Intercept for RawJson {
    fn name(&self) -> &'static str {
        "ecstpl-raw-json"
    }

    // Runs on every attempt, before signing: the signature covers the body we send.
    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(body) = &self.request_body {
            let request = context.request_mut();
            *request.body_mut() = SdkBody::from(body.clone());
            request
                .headers_mut()
                .insert("content-length", body.len().to_string());
        }
        Ok(())
    }

    // The body of a non-streaming response is buffered by now.
    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(bytes) = context.response().body().bytes()
            && let Ok(mut slot) = self.response_body.lock()
        {
            *slot = Some(bytes.to_vec());
        }
        Ok(())
    }
}
