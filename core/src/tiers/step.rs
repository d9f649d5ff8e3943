//! One node of the stack's graph, as a tier declares it.

use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::FutureExt;

use super::context::StepContext;
use crate::error::Result;
use crate::wait::usual::Awaited;

pub type StepFuture = BoxFuture<'static, Result<()>>;
pub type StepAction = Box<dyn FnOnce(Arc<StepContext>) -> StepFuture + Send>;

/// One node of the stack's graph: what it waits for, how to create it, how to delete it.
pub struct Step {
    /// `"<tier>.<object>[:<az>]"`, from `step_id.rs`.
    pub id: String,
    /// Steps that must succeed first.
    pub deps: Vec<String>,
    /// Runs after every other step; the graph builder (`tiers::all_steps`) adds the edges.
    pub runs_last: bool,
    /// The AWS object state the step waits out, with its usual duration; `None` for steps
    /// that only make calls.
    pub waits_for: Option<Awaited>,
    pub create: StepAction,
    pub delete: StepAction,
}

impl Step {
    /// A step doing nothing yet; chain `.create(..)` and `.delete(..)`.
    pub fn new<D: Into<String>>(id: impl Into<String>, deps: impl IntoIterator<Item = D>) -> Step {
        Step {
            id: id.into(),
            deps: deps.into_iter().map(Into::into).collect(),
            runs_last: false,
            waits_for: None,
            create: Box::new(|_| async { Ok(()) }.boxed()),
            delete: Box::new(|_| async { Ok(()) }.boxed()),
        }
    }

    /// Declare what the step's create waits out (the benchmark's critical path weighs it).
    pub fn waits_for(mut self, awaited: Awaited) -> Step {
        self.waits_for = Some(awaited);
        self
    }

    /// Run after every other step of the graph, and have nothing wait for this one: for work
    /// whose refusal must not stop the rest of the stack from converging.
    pub fn runs_last(mut self) -> Step {
        self.runs_last = true;
        self
    }

    pub fn create<F, Fut>(mut self, action: F) -> Step
    where
        F: FnOnce(Arc<StepContext>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        self.create = Box::new(move |ctx| action(ctx).boxed());
        self
    }

    pub fn delete<F, Fut>(mut self, action: F) -> Step
    where
        F: FnOnce(Arc<StepContext>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        self.delete = Box::new(move |ctx| action(ctx).boxed());
        self
    }
}
