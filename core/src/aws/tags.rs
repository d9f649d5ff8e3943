//! Tags between the core's map ([`Tags`]) and each SDK crate's own tag types: one converter
//! for every crate, so no service module writes the conversion again.
//!
//! Auto Scaling's writable tags also carry the group and propagate-at-launch, so
//! `autoscaling.rs` builds them itself and only reads through [`TagPair`].

use std::collections::BTreeMap;
use std::future::Future;

use crate::error::{Result, StackError};

/// Tags as a sorted map.
pub type Tags = BTreeMap<String, String>;

/// One SDK tag (or tag description) seen as a key and a value.
pub trait TagPair {
    /// The key and value (a missing value reads as empty); `None` for a tag without a key.
    fn pair(&self) -> Option<(&str, &str)>;
}

/// One SDK crate's writable tag type.
pub trait SdkTag: TagPair + Sized {
    /// The SDK's tag of `key = value`.
    fn of(key: &str, value: &str) -> Result<Self>;
}

/// The map of an SDK tag list.
pub fn tag_map<T: TagPair>(tags: &[T]) -> Tags {
    tags.iter()
        .filter_map(TagPair::pair)
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

/// The SDK tag list of a map.
pub fn sdk_tags<T: SdkTag>(tags: &Tags) -> Result<Vec<T>> {
    tags.iter().map(|(key, value)| T::of(key, value)).collect()
}

/// Make an object's tags: add or overwrite `set` with `tag`, remove the keys `remove` with
/// `untag`; each call is sent only when it has something to do.
pub async fn retag_with<T, TagCall, UntagCall, Tagged, Untagged>(
    set: &Tags,
    remove: &[String],
    tag: impl FnOnce(Vec<T>) -> TagCall,
    untag: impl FnOnce(Vec<String>) -> UntagCall,
) -> Result<()>
where
    T: SdkTag,
    TagCall: Future<Output = Result<Tagged>>,
    UntagCall: Future<Output = Result<Untagged>>,
{
    if !set.is_empty() {
        tag(sdk_tags(set)?).await?;
    }
    if !remove.is_empty() {
        untag(remove.to_vec()).await?;
    }
    Ok(())
}

/// Crates whose key and value are optional and whose tag builder cannot fail.
macro_rules! optional_fields {
    ($($tag:ty),*) => {$(
        impl TagPair for $tag {
            fn pair(&self) -> Option<(&str, &str)> {
                Some((self.key()?, self.value().unwrap_or_default()))
            }
        }
        impl SdkTag for $tag {
            fn of(key: &str, value: &str) -> Result<Self> {
                Ok(<$tag>::builder().key(key).value(value).build())
            }
        }
    )*};
}

/// Crates whose tag builder checks that the key and value (both required) are set.
macro_rules! required_fields {
    ($($tag:ty),*) => {$(
        impl TagPair for $tag {
            fn pair(&self) -> Option<(&str, &str)> {
                Some((self.key(), self.value()))
            }
        }
        impl SdkTag for $tag {
            fn of(key: &str, value: &str) -> Result<Self> {
                <$tag>::builder()
                    .key(key)
                    .value(value)
                    .build()
                    .map_err(|e| {
                        StackError::Internal(format!("tag {key} of {}: {e}", stringify!($tag)))
                    })
            }
        }
    )*};
}

optional_fields!(
    aws_sdk_ec2::types::Tag,
    aws_sdk_elasticloadbalancingv2::types::Tag,
    aws_sdk_rds::types::Tag,
    aws_sdk_secretsmanager::types::Tag,
    aws_sdk_cloudwatch::types::Tag
);
required_fields!(
    aws_sdk_efs::types::Tag,
    aws_sdk_iam::types::Tag,
    aws_sdk_wafv2::types::Tag,
    aws_sdk_sns::types::Tag
);

/// Tag descriptions, which are read but never written.
macro_rules! read_only {
    ($($tag:ty),*) => {$(
        impl TagPair for $tag {
            fn pair(&self) -> Option<(&str, &str)> {
                Some((self.key()?, self.value().unwrap_or_default()))
            }
        }
    )*};
}

read_only!(
    aws_sdk_autoscaling::types::TagDescription,
    aws_sdk_ec2::types::TagDescription
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_round_trip_through_each_kind_of_sdk_tag() {
        let tags = Tags::from([("Name".to_string(), "web".to_string())]);
        let ec2: Vec<aws_sdk_ec2::types::Tag> = sdk_tags(&tags).expect("ec2 tags");
        let iam: Vec<aws_sdk_iam::types::Tag> = sdk_tags(&tags).expect("iam tags");
        assert_eq!(tag_map(&ec2), tags);
        assert_eq!(tag_map(&iam), tags);
    }
}
