//! Scoped look-ups (a stack's objects by its tag, or everything inside a VPC), shared with the
//! look-ups of other stacks' reads running at the same time (see `crate::aws::coalesce`): the
//! filter then carries every read's value and each read keeps the objects of its own scope.

use std::future::Future;

use aws_sdk_ec2::types::Filter;

use super::{filter, Scope, Tags};
use crate::aws::coalesce::keyed;
use crate::aws::Clients;
use crate::error::Result;
use crate::naming::STACK_TAG;

/// What a scoped look-up needs of the objects it lists to tell whose they are.
pub trait InScope {
    /// The VPCs the object is in (an internet gateway: those it is attached to).
    fn vpc_ids(&self) -> Vec<&str>;
    fn tags(&self) -> &Tags;
}

/// The name under which a stack-scoped round is kept apart from a VPC-scoped one.
const BY_STACK: &str = "stack";

impl Scope<'_> {
    fn with_value(self, value: &str) -> Scope<'_> {
        match self {
            Scope::Stack(_) => Scope::Stack(value),
            Scope::Vpc(_) => Scope::Vpc(value),
        }
    }

    fn value(self) -> String {
        match self {
            Scope::Stack(value) | Scope::Vpc(value) => value.to_string(),
        }
    }

    /// Whether `object` belongs to this scope (how a shared answer is split).
    fn holds<T: InScope>(self, object: &T) -> bool {
        match self {
            Scope::Stack(stack) => object.tags().get(STACK_TAG).map(String::as_str) == Some(stack),
            Scope::Vpc(vpc) => object.vpc_ids().contains(&vpc),
        }
    }

    /// The filter for several scopes of this one's kind.
    fn filter_of_all(self, vpc_key: &str, values: &[String]) -> Filter {
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        match self {
            Scope::Stack(_) => filter(&format!("tag:{STACK_TAG}"), &values),
            Scope::Vpc(_) => filter(vpc_key, &values),
        }
    }
}

/// The objects of `scope` that `describe` lists (`vpc_key`: the name of its VPC filter;
/// `what`: the objects' name in errors), in a call shared with other reads' scopes of the same
/// kind when reads run together (`crate::aws::coalesce::keyed`).
pub(super) async fn scoped<T, F, Fut>(
    clients: &Clients,
    scope: Scope<'_>,
    vpc_key: &'static str,
    what: &'static str,
    describe: F,
) -> Result<Vec<T>>
where
    T: InScope + Clone + Send + Sync + 'static,
    F: Fn(Clients, Filter, String) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<Vec<T>>> + Send + 'static,
{
    let (round, kind) = match scope {
        Scope::Stack(_) => (BY_STACK, Scope::Stack("")),
        Scope::Vpc(_) => (vpc_key, Scope::Vpc("")),
    };
    let fetch = move |clients: Clients, values: Vec<String>| {
        let by = kind.filter_of_all(vpc_key, &values);
        let of = match values.as_slice() {
            [one] => format!("{what} of {}", kind.with_value(one).describe()),
            all => format!("{what} of {} scopes", all.len()),
        };
        describe(clients, by, of)
    };
    let all = keyed(clients, round, &[scope.value()], fetch).await?;
    Ok(all.iter().filter(|o| scope.holds(*o)).cloned().collect())
}
