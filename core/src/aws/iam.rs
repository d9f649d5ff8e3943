//! IAM: the role the WordPress instances run as, its one inline policy, and the instance
//! profile that hands the role to EC2.
//!
//! IAM names are unique per account (not per region), so every object is found by name. Policy documents come
//! back URL-encoded from AWS (an emulating endpoint may return them as sent): [`decode_policy_document`] reads both.

use std::collections::BTreeMap;

use crate::aws::tags::{retag_with, sdk_tags, tag_map};
use crate::aws::{Clients, SendFor};
use crate::error::{Result, StackError};

const NO_SUCH_ENTITY: &str = "NoSuchEntity";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub name: String,
    pub arn: String,
    /// The trust policy, decoded.
    pub trust_policy: String,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceProfile {
    pub name: String,
    pub arn: String,
    /// Names of the roles in the profile (EC2 uses at most one).
    pub roles: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

fn is_missing(error: &StackError) -> bool {
    error.aws_code() == Some(NO_SUCH_ENTITY)
}

/// `Ok(None)` for "no such entity", the error otherwise.
fn none_if_missing<T>(error: StackError) -> Result<Option<T>> {
    if is_missing(&error) {
        Ok(None)
    } else {
        Err(error)
    }
}

/// `Ok(())` for "no such entity": deleting what is already gone succeeds.
fn ok_if_missing(error: StackError) -> Result<()> {
    if is_missing(&error) {
        Ok(())
    } else {
        Err(error)
    }
}

/// A policy document as IAM returns it: URL-encoded JSON on AWS, plain JSON on endpoints that return it as sent.
pub fn decode_policy_document(document: &str) -> String {
    if document.trim_start().starts_with('{') {
        return document.to_string();
    }
    let bytes = document.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| document.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                i += 3;
            }
            None => {
                decoded.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

fn role_from(role: &aws_sdk_iam::types::Role) -> Role {
    Role {
        name: role.role_name().to_string(),
        arn: role.arn().to_string(),
        trust_policy: decode_policy_document(role.assume_role_policy_document().unwrap_or("")),
        tags: tag_map(role.tags()),
    }
}

// ---- roles ----

pub async fn get_role(clients: &Clients, name: &str) -> Result<Option<Role>> {
    match clients
        .iam
        .get_role()
        .role_name(name)
        .send()
        .for_object(name)
        .await
    {
        Ok(output) => Ok(output.role().map(role_from)),
        Err(e) => none_if_missing(e),
    }
}

pub async fn create_role(
    clients: &Clients,
    name: &str,
    description: &str,
    trust_policy: &str,
    tags: &BTreeMap<String, String>,
) -> Result<Role> {
    let output = clients
        .iam
        .create_role()
        .role_name(name)
        .description(description)
        .assume_role_policy_document(trust_policy)
        .set_tags(Some(sdk_tags(tags)?))
        .send()
        .for_object(name)
        .await?;
    output
        .role()
        .map(role_from)
        .ok_or_else(|| StackError::Internal(format!("CreateRole {name} returned no role")))
}

pub async fn update_trust_policy(clients: &Clients, name: &str, trust_policy: &str) -> Result<()> {
    clients
        .iam
        .update_assume_role_policy()
        .role_name(name)
        .policy_document(trust_policy)
        .send()
        .for_object(name)
        .await?;
    Ok(())
}

/// Add or overwrite `set`, remove `remove` on the role.
pub async fn retag_role(
    clients: &Clients,
    name: &str,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<()> {
    let iam = &clients.iam;
    retag_with(
        set,
        remove,
        |tags| {
            iam.tag_role()
                .role_name(name)
                .set_tags(Some(tags))
                .send()
                .for_object(name)
        },
        |keys| {
            iam.untag_role()
                .role_name(name)
                .set_tag_keys(Some(keys))
                .send()
                .for_object(name)
        },
    )
    .await
}

/// Delete the role; it must have no policies and be in no profile. Gone already is success.
pub async fn delete_role(clients: &Clients, name: &str) -> Result<()> {
    match clients
        .iam
        .delete_role()
        .role_name(name)
        .send()
        .for_object(name)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => ok_if_missing(e),
    }
}

// ---- inline policies ----

/// The decoded document of the role's inline policy `policy`, or `None`.
pub async fn get_role_policy(
    clients: &Clients,
    role: &str,
    policy: &str,
) -> Result<Option<String>> {
    let result = clients
        .iam
        .get_role_policy()
        .role_name(role)
        .policy_name(policy)
        .send()
        .for_object(format!("{role}/{policy}"))
        .await;
    match result {
        Ok(output) => Ok(Some(decode_policy_document(output.policy_document()))),
        Err(e) => none_if_missing(e),
    }
}

/// Create or replace the role's inline policy `policy`.
pub async fn put_role_policy(
    clients: &Clients,
    role: &str,
    policy: &str,
    document: &str,
) -> Result<()> {
    clients
        .iam
        .put_role_policy()
        .role_name(role)
        .policy_name(policy)
        .policy_document(document)
        .send()
        .for_object(format!("{role}/{policy}"))
        .await?;
    Ok(())
}

/// Names of every inline policy of the role.
pub async fn list_role_policies(clients: &Clients, role: &str) -> Result<Vec<String>> {
    let names = clients
        .iam
        .list_role_policies()
        .role_name(role)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(role)
        .await?;
    Ok(names)
}

pub async fn delete_role_policy(clients: &Clients, role: &str, policy: &str) -> Result<()> {
    let result = clients
        .iam
        .delete_role_policy()
        .role_name(role)
        .policy_name(policy)
        .send()
        .for_object(format!("{role}/{policy}"))
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) => ok_if_missing(e),
    }
}

// ---- managed policies ----

/// ARNs of the managed policies attached to the role.
pub async fn list_attached_role_policies(clients: &Clients, role: &str) -> Result<Vec<String>> {
    let attached = clients
        .iam
        .list_attached_role_policies()
        .role_name(role)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(role)
        .await?;
    Ok(attached
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect())
}

/// Detach a managed policy from the role; not attached (any more) is success.
pub async fn detach_role_policy(clients: &Clients, role: &str, policy_arn: &str) -> Result<()> {
    let result = clients
        .iam
        .detach_role_policy()
        .role_name(role)
        .policy_arn(policy_arn)
        .send()
        .for_object(format!("{role}/{policy_arn}"))
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) => ok_if_missing(e),
    }
}

// ---- instance profiles ----

fn profile_from(profile: &aws_sdk_iam::types::InstanceProfile) -> InstanceProfile {
    InstanceProfile {
        name: profile.instance_profile_name().to_string(),
        arn: profile.arn().to_string(),
        roles: profile
            .roles()
            .iter()
            .map(|r| r.role_name().to_string())
            .collect(),
        tags: tag_map(profile.tags()),
    }
}

pub async fn get_instance_profile(
    clients: &Clients,
    name: &str,
) -> Result<Option<InstanceProfile>> {
    let result = clients
        .iam
        .get_instance_profile()
        .instance_profile_name(name)
        .send()
        .for_object(name)
        .await;
    match result {
        Ok(output) => Ok(output.instance_profile().map(profile_from)),
        Err(e) => none_if_missing(e),
    }
}

pub async fn create_instance_profile(
    clients: &Clients,
    name: &str,
    tags: &BTreeMap<String, String>,
) -> Result<InstanceProfile> {
    let output = clients
        .iam
        .create_instance_profile()
        .instance_profile_name(name)
        .set_tags(Some(sdk_tags(tags)?))
        .send()
        .for_object(name)
        .await?;
    output.instance_profile().map(profile_from).ok_or_else(|| {
        StackError::Internal(format!("CreateInstanceProfile {name} returned no profile"))
    })
}

/// Add or overwrite `set`, remove `remove` on the instance profile.
pub async fn retag_instance_profile(
    clients: &Clients,
    name: &str,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<()> {
    let iam = &clients.iam;
    retag_with(
        set,
        remove,
        |tags| {
            iam.tag_instance_profile()
                .instance_profile_name(name)
                .set_tags(Some(tags))
                .send()
                .for_object(name)
        },
        |keys| {
            iam.untag_instance_profile()
                .instance_profile_name(name)
                .set_tag_keys(Some(keys))
                .send()
                .for_object(name)
        },
    )
    .await
}

pub async fn add_role_to_instance_profile(
    clients: &Clients,
    profile: &str,
    role: &str,
) -> Result<()> {
    clients
        .iam
        .add_role_to_instance_profile()
        .instance_profile_name(profile)
        .role_name(role)
        .send()
        .for_object(format!("{profile}/{role}"))
        .await?;
    Ok(())
}

/// Take `role` out of `profile`; either being gone already is success.
pub async fn remove_role_from_instance_profile(
    clients: &Clients,
    profile: &str,
    role: &str,
) -> Result<()> {
    let result = clients
        .iam
        .remove_role_from_instance_profile()
        .instance_profile_name(profile)
        .role_name(role)
        .send()
        .for_object(format!("{profile}/{role}"))
        .await;
    let removed = match result {
        Ok(_) => Ok(()),
        Err(e) => ok_if_missing(e),
    };
    match removed {
        // A re-send whose first answer was lost finds the role already out (some endpoints
        // answer that with an error of their own): done if the profile no longer holds it.
        Err(error) => {
            let still_in = get_instance_profile(clients, profile)
                .await?
                .is_some_and(|p| p.roles.iter().any(|r| r == role));
            if still_in {
                Err(error)
            } else {
                Ok(())
            }
        }
        ok => ok,
    }
}

/// Names of the instance profiles that hold `role` (none once the role is gone).
pub async fn instance_profiles_for_role(clients: &Clients, role: &str) -> Result<Vec<String>> {
    let result = clients
        .iam
        .list_instance_profiles_for_role()
        .role_name(role)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .for_object(role)
        .await;
    match result {
        Ok(profiles) => Ok(profiles
            .iter()
            .map(|p| p.instance_profile_name().to_string())
            .collect()),
        Err(e) => none_if_missing(e).map(Option::unwrap_or_default),
    }
}

/// The name in an instance profile's ARN (`arn:aws:iam::<account>:instance-profile/<path>/<name>`).
pub fn profile_name_from_arn(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// Delete the profile; it must hold no role. Gone already is success.
pub async fn delete_instance_profile(clients: &Clients, name: &str) -> Result<()> {
    let result = clients
        .iam
        .delete_instance_profile()
        .instance_profile_name(name)
        .send()
        .for_object(name)
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) => ok_if_missing(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoded_and_plain_documents_both_decode() {
        let plain = r#"{"Version":"2012-10-17","Statement":[]}"#;
        assert_eq!(decode_policy_document(plain), plain);
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(decode_policy_document(encoded), plain);
        assert_eq!(decode_policy_document("%7Ba+b%zz"), "{a b%zz");
    }

    #[test]
    fn profile_names_come_from_the_last_part_of_the_arn() {
        let arn = "arn:aws:iam::123456789012:instance-profile/blog-app";
        assert_eq!(profile_name_from_arn(arn), "blog-app");
        let with_path = "arn:aws:iam::123456789012:instance-profile/team/blog-app-us-east-1";
        assert_eq!(profile_name_from_arn(with_path), "blog-app-us-east-1");
        assert_eq!(profile_name_from_arn("blog-app"), "blog-app");
    }
}
