//! The one way an adapter sends an AWS call: `.send().for_object(id).await?`.
//!
//! An SDK error becomes `StackError::Aws` carrying the object, AWS's error code, and the service
//! and operation as the SDK itself names them. SDK errors do not say which operation failed, so
//! the [`NameTheCall`] interceptor (on every client, see [`super::Clients::connect`]) copies the
//! operation's `Metadata` from the call's config bag into a slot that [`SendFor::for_object`]
//! opens around the call: the interceptor runs inside the polls of that same future.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::future::Future;
use std::sync::{Mutex, PoisonError};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::error::{Result, StackError};

/// The service and operation of one SDK call, as the SDK's `Metadata` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    pub service: &'static str,
    pub name: &'static str,
}

impl Operation {
    /// What an error says when the call never reached the orchestrator (no interceptor ran).
    const UNKNOWN: Operation = Operation {
        service: "AWS",
        name: "unknown operation",
    };

    /// AWS answered, but not with what the call exists for (no id, no such image): an error
    /// of this operation about `object`, with `code` when the answer amounts to one.
    pub fn refusal(
        self,
        object: &str,
        code: Option<&str>,
        message: impl Into<String>,
    ) -> StackError {
        StackError::Aws {
            service: self.service,
            operation: self.name,
            resource: object.to_string(),
            code: code.map(str::to_string),
            message: message.into(),
        }
    }

    fn of(metadata: &Metadata) -> Operation {
        Operation {
            service: intern(metadata.service()),
            name: intern(metadata.name()),
        }
    }
}

tokio::task_local! {
    /// The operation the SDK is running inside the current [`SendFor::for_object`] future.
    static RUNNING: RefCell<Option<Operation>>;
}

/// The SDK writes its operation names as `'static` literals but lends them only borrowed:
/// each distinct name is copied once (a bounded set: the operations this crate calls).
fn intern(name: &str) -> &'static str {
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(known) = names.get(name) {
        return known;
    }
    let copied: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(copied);
    copied
}

/// Records which operation a call runs, for the error [`SendFor::for_object`] builds.
#[derive(Debug, Clone, Copy, Default)]
pub struct NameTheCall;

impl Intercept for NameTheCall {
    fn name(&self) -> &'static str {
        "NameTheCall"
    }

    // Not `read_before_execution`: client interceptors run that hook before the operation's
    // own configuration (which holds its `Metadata`) is in the bag.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> std::result::Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            let operation = Operation::of(metadata);
            // Outside a `for_object` future (a raw SDK call) there is no slot: nothing to do.
            let _ = RUNNING.try_with(|slot| *slot.borrow_mut() = Some(operation));
        }
        Ok(())
    }
}

/// Awaiting an SDK call (a fluent builder's `send()`, or a paginator's `try_collect()`) with
/// its error mapped to `StackError::Aws` about `object`.
pub trait SendFor<T, E>:
    Future<Output = std::result::Result<T, SdkError<E, HttpResponse>>>
{
    fn for_object(self, object: impl Into<String>) -> impl Future<Output = Result<T>> + Send;

    /// As [`SendFor::for_object`], with the operation that answered, for errors about the
    /// answer itself ([`Operation::refusal`]).
    fn with_operation(
        self,
        object: impl Into<String>,
    ) -> impl Future<Output = Result<(T, Operation)>> + Send;

    /// The SDK's own result and the operation, for the rare caller that must look at the raw
    /// response before mapping the error with [`aws_error`].
    fn named(
        self,
    ) -> impl Future<Output = (std::result::Result<T, SdkError<E, HttpResponse>>, Operation)> + Send;
}

impl<F, T, E> SendFor<T, E> for F
where
    F: Future<Output = std::result::Result<T, SdkError<E, HttpResponse>>> + Send,
    T: Send,
    E: ProvideErrorMetadata + std::error::Error + Send + 'static,
{
    fn for_object(self, object: impl Into<String>) -> impl Future<Output = Result<T>> + Send {
        let call = self.with_operation(object);
        async move { call.await.map(|(output, _)| output) }
    }

    fn with_operation(
        self,
        object: impl Into<String>,
    ) -> impl Future<Output = Result<(T, Operation)>> + Send {
        let object = object.into();
        let call = self.named();
        async move {
            let (result, operation) = call.await;
            match result {
                Ok(output) => Ok((output, operation)),
                Err(error) => Err(aws_error(operation, object, error)),
            }
        }
    }

    fn named(
        self,
    ) -> impl Future<Output = (std::result::Result<T, SdkError<E, HttpResponse>>, Operation)> + Send
    {
        // On the heap: SDK futures are large, and each wrapper would otherwise copy them on the
        // stack (debug builds overflow a test thread's stack).
        let call = Box::pin(self);
        RUNNING.scope(RefCell::new(None), async {
            let result = call.await;
            let operation = RUNNING.with(|slot| *slot.borrow());
            (result, operation.unwrap_or(Operation::UNKNOWN))
        })
    }
}

/// Turn an SDK error into the core's error, keeping the AWS error code.
pub fn aws_error<E, R>(operation: Operation, object: String, err: SdkError<E, R>) -> StackError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let (code, message) = match &err {
        SdkError::ServiceError(service_err) => {
            let inner = service_err.err();
            (
                inner.code().map(str::to_string),
                inner
                    .message()
                    .map(str::to_string)
                    .unwrap_or_else(|| inner.to_string()),
            )
        }
        other => (None, describe_sdk_failure(other)),
    };
    StackError::Aws {
        service: operation.service,
        operation: operation.name,
        resource: object,
        code,
        message,
    }
}

/// Non-service failures (timeouts, dispatch, bad responses), with their cause chain, so
/// "connection refused" on a wrong endpoint reaches the user.
pub(crate) fn describe_sdk_failure(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
