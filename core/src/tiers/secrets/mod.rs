//! The secrets tier: where the WordPress instances get their database password and keys.
//!
//! - A Secrets Manager secret `<name>/wordpress` holds, as JSON, the eight WordPress keys and
//!   salts, the site administrator's password (read once, by the boot script's install), and
//!   the database's effective password and `host:port` (`secrets::SecretContents`).
//!   It is made first, with the keys: the instances boot reading it while RDS, the slowest
//!   object of the stack, is still being created. Once the database is available a second step
//!   writes its password and host (a new version the instances' watcher follows), and the app
//!   tier points the launch template at that version.
//!   The keys are generated once per stack, when the secret does not exist yet; afterwards they
//!   are read back from it (so an import recovers them) and mirrored in the state's `secrets`.
//! - An IAM role `<name>-app` that EC2 may assume, whose only permission is an inline policy
//!   allowing `secretsmanager:GetSecretValue` and `secretsmanager:DescribeSecret` (the
//!   instances' watcher of new versions) on exactly that secret's ARN, and an instance
//!   profile `<name>-app` holding the role. The launch template names the profile.
//!
//! The user data names the secret and the version to read: the `VersionId` the CreateSecret or
//! PutSecretValue of this apply returned (kept in the state's `secrets.secret_version`), never
//! one read back, since a read right after a write may still see the previous version. No
//! secret value reaches the launch template (see `userdata`). A destroy deletes the secret without a recovery window, so a
//! stack re-created under the same name can create it again at once.
//!
//! Objects found under these names but tagged for another stack (or not at all) are refused,
//! never adopted: IAM and Secrets Manager names are account-wide.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{json, Value};

use super::context::StepContext;
use super::layout::StackLayout;
use super::step::Step;
use super::step_id;
use crate::aws::secretsmanager::{self, SecretInfo, SecretValue};
use crate::error::{Result, StackError};
use crate::naming::STACK_TAG;
use crate::secrets::{ensure_admin_password, ensure_wordpress_keys, WORDPRESS_KEY_NAMES};
use crate::spec::Secret;
use crate::state::logical;
use crate::wait;

/// The app role's one inline policy is named this, then the region (`access::policy_name`);
/// stacks created before names carried the region keep this name alone.
pub const READ_SECRET_POLICY: &str = "read-wordpress-secret";
/// The only actions the instances are allowed: read the secret at boot, and ask which
/// version is current (metadata, no value) every 30 s to follow a password change.
pub const READ_SECRET_ACTIONS: [&str; 2] = [
    "secretsmanager:GetSecretValue",
    "secretsmanager:DescribeSecret",
];

/// `<name>/wordpress`.
pub fn secret_name(stack: &str) -> String {
    format!("{stack}/wordpress")
}

pub fn steps(_layout: &StackLayout) -> Vec<Step> {
    vec![
        // Waits for nothing: the instances need the secret (for the keys) long before the
        // database exists.
        Step::new(step_id::SECRET, Vec::<String>::new())
            .create(|ctx| async move { converge_secret(&ctx).await })
            .delete(|ctx| async move { delete_secret(&ctx).await }),
        // The password and host the database step settles; deleting the secret deletes them.
        Step::new(
            step_id::SECRET_DATABASE,
            [step_id::SECRET, step_id::DB_INSTANCE],
        )
        .create(|ctx| async move { store_database_access(&ctx).await }),
        Step::new(step_id::INSTANCE_PROFILE, [step_id::SECRET])
            .create(|ctx| async move { access::converge(&ctx).await })
            .delete(|ctx| async move { access::delete(&ctx).await }),
    ]
}

pub use crate::secrets::{parse_secret_document, secret_document, SecretContents};
pub use access::{policy_name, role_name};

/// EC2 may assume the role; nobody else.
pub fn trust_policy() -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": "ec2.amazonaws.com" },
            "Action": "sts:AssumeRole"
        }]
    })
    .to_string()
}

/// Read this one secret, nothing else.
pub fn read_secret_policy(secret_arn: &str) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": READ_SECRET_ACTIONS,
            "Resource": secret_arn
        }]
    })
    .to_string()
}

/// The only actions the instances are allowed on the stack's log group: make a stream (the
/// awslogs driver's `wordpress/<instance id>`, the boot log's `boot/<instance id>`) and write
/// events to it. No DescribeLogStreams (neither needs it), no CreateLogGroup.
pub const WRITE_LOG_ACTIONS: [&str; 2] = ["logs:CreateLogStream", "logs:PutLogEvents"];

/// `arn:<partition>:logs:<region>:<account>:log-group:<name>:*`, the streams of that one group,
/// in the secret's partition, region and account (the stack's).
pub fn log_streams_arn(secret_arn: &str, log_group: &str) -> Option<String> {
    let parts: Vec<&str> = secret_arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, _, region, account, _] => Some(format!(
            "arn:{partition}:logs:{region}:{account}:log-group:{log_group}:*"
        )),
        _ => None,
    }
}

/// The role's inline policy: read the one secret and, when the stack has a log group, write
/// to that group's streams; nothing else.
pub fn instance_policy(secret_arn: &str, log_group: Option<&str>) -> String {
    let Some(streams) = log_group.and_then(|group| log_streams_arn(secret_arn, group)) else {
        return read_secret_policy(secret_arn);
    };
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": READ_SECRET_ACTIONS,
                "Resource": secret_arn
            },
            {
                "Effect": "Allow",
                "Action": WRITE_LOG_ACTIONS,
                "Resource": streams
            }
        ]
    })
    .to_string()
}

/// The log group the instances write to under this spec, if any.
pub fn wanted_log_group(spec: &crate::spec::StackSpec) -> Option<String> {
    spec.logs
        .enabled
        .then(|| crate::naming::log_group_name(&spec.name))
}

/// Whether two policy documents say the same (key order and spacing aside).
pub fn same_policy(observed: &str, wanted: &str) -> bool {
    let parse = |doc: &str| serde_json::from_str::<Value>(doc).ok();
    matches!((parse(observed), parse(wanted)), (Some(a), Some(b)) if a == b)
}

// ---- ownership and tags ----

fn owned_by(tags: &BTreeMap<String, String>, stack: &str) -> bool {
    tags.get(STACK_TAG).map(String::as_str) == Some(stack)
}

/// Refuse an object of this name that belongs to someone else.
fn ensure_ours(
    ctx: &StepContext,
    kind: &str,
    name: &str,
    tags: &BTreeMap<String, String>,
) -> Result<()> {
    if owned_by(tags, ctx.stack()) {
        return Ok(());
    }
    Err(StackError::Refused {
        what: format!(
            "{kind} {name:?} already exists and is not tagged {STACK_TAG}={}: it belongs to \
             something else; delete or rename it, or choose another stack name",
            ctx.stack()
        ),
    })
}

/// Tags to set and keys to remove so an object carries exactly `wanted` (AWS's own `aws:`
/// keys aside).
fn tag_diff(
    observed: &BTreeMap<String, String>,
    wanted: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, Vec<String>) {
    let set = wanted
        .iter()
        .filter(|(k, v)| observed.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove = observed
        .keys()
        .filter(|k| !wanted.contains_key(*k) && !k.starts_with("aws:"))
        .cloned()
        .collect();
    (set, remove)
}

// ---- the secret ----

/// The stack's secret: the one recorded in the state if it still exists, else by name.
async fn find_secret(ctx: &StepContext) -> Result<Option<SecretInfo>> {
    if let Some(arn) = ctx.resource(logical::APP_SECRET) {
        if let Some(info) = secretsmanager::describe(&ctx.clients, &arn).await? {
            return Ok(Some(info));
        }
    }
    secretsmanager::describe(&ctx.clients, &secret_name(ctx.stack())).await
}

fn settled_password(ctx: &StepContext) -> Result<Secret> {
    ctx.update_state(|s| s.spec.database.password.clone())
        .ok_or_else(|| {
            StackError::Internal("the DB password was not settled by the database step".into())
        })
}

/// The stack's keys: those in the secret when it has them (else those the state kept from an
/// older version, else new ones), completed, and mirrored in the state.
fn settle_keys(
    ctx: &StepContext,
    stored: Option<&BTreeMap<String, Secret>>,
) -> BTreeMap<String, Secret> {
    ctx.update_state(|s| {
        if let Some(keys) = stored.filter(|keys| !keys.is_empty()) {
            s.secrets.wordpress_keys = keys.clone();
        }
        ensure_wordpress_keys(&mut s.secrets);
        s.secrets.wordpress_keys.clone()
    })
}

/// The site administrator's password: the one the secret holds, else this apply's (see
/// `secrets::ensure_admin_password`).
fn settle_admin_password(ctx: &StepContext, held: Option<&Secret>) -> Secret {
    ctx.update_state(|s| ensure_admin_password(&mut s.secrets, held))
}

/// What the state knows of the database before this apply's database step: the password a
/// configuration wrote and the endpoint of an existing database (nothing on a create).
fn known_database_access(ctx: &StepContext) -> (Option<Secret>, Option<String>) {
    let password = ctx.update_state(|s| s.spec.database.password.clone());
    (password, ctx.snapshot().outputs.db_endpoint)
}

async fn converge_secret(ctx: &Arc<StepContext>) -> Result<()> {
    let name = secret_name(ctx.stack());
    let tags = ctx.tags(&name);
    match find_secret(ctx).await? {
        Some(info) => {
            if ctx.resource(logical::APP_SECRET).as_deref() != Some(info.arn.as_str()) {
                ensure_ours(ctx, "secret", &name, &info.tags)?;
            }
            if info.scheduled_for_deletion {
                if let Err(error) = secretsmanager::restore(&ctx.clients, &info.arn).await {
                    if !secretsmanager::is_name_still_held(&error) {
                        return Err(error);
                    }
                    // Already being force-deleted: too late to restore, create it anew.
                    return create_secret(ctx, &name, &tags).await;
                }
                tracing::info!(secret = %info.arn, "restored secret scheduled for deletion");
            }
            ctx.record(logical::APP_SECRET, &info.arn);
            keep_keys(ctx, &info.arn).await?;
            let (set, remove) = tag_diff(&info.tags, &tags);
            secretsmanager::retag(&ctx.clients, &info.arn, &set, &remove).await
        }
        None => create_secret(ctx, &name, &tags).await,
    }
}

/// Create the secret with the stack's keys (new ones unless the state kept some) and what the
/// state knows of the database, waiting out a same-named secret whose deletion AWS is still
/// finishing.
async fn create_secret(
    ctx: &StepContext,
    name: &str,
    tags: &BTreeMap<String, String>,
) -> Result<()> {
    let (password, db_host) = known_database_access(ctx);
    let document = secret_document(&SecretContents {
        password,
        db_host,
        admin_password: Some(settle_admin_password(ctx, None)),
        keys: settle_keys(ctx, None),
    });
    let token = ctx.client_token("app-secret");
    let description = "Database password and WordPress keys of the stack's instances";
    let written = wait::retrying(
        ctx.bounds(),
        "creating the stack's secret",
        secretsmanager::is_name_still_held,
        || secretsmanager::create(&ctx.clients, name, description, &document, tags, &token),
    )
    .await?;
    tracing::info!(secret = %written.arn, version = %written.version_id, "created secret");
    ctx.record(logical::APP_SECRET, &written.arn);
    record_version(ctx, written.version_id);
    Ok(())
}

/// The version the launch template must name.
fn record_version(ctx: &StepContext, version_id: String) {
    ctx.update_state(|s| s.secrets.secret_version = Some(version_id));
}

/// The secret's current value and what it holds, when it holds the stack's layout.
async fn stored_contents(
    ctx: &StepContext,
    arn: &str,
) -> Result<(Option<SecretValue>, Option<SecretContents>)> {
    let value = secretsmanager::value(&ctx.clients, arn).await?;
    let stored = value
        .as_ref()
        .and_then(|value| parse_secret_document(&value.secret));
    Ok((value, stored))
}

/// An existing secret keeps its database fields here (`store_database_access` settles them
/// once the database step has run) and gets every key back, and the administrator's password
/// when it has none (a secret written before the provider installed WordPress). A secret without the host (one
/// written before the host moved out of the user data) gets the endpoint the state knows, so
/// that instances launched before `store_database_access` runs still find their database.
async fn keep_keys(ctx: &StepContext, arn: &str) -> Result<()> {
    let (value, stored) = stored_contents(ctx, arn).await?;
    let keys = settle_keys(ctx, stored.as_ref().map(|s| &s.keys));
    let held = stored.clone().unwrap_or_default();
    let wanted = SecretContents {
        keys,
        db_host: held.db_host.or_else(|| known_database_access(ctx).1),
        password: held.password,
        admin_password: Some(settle_admin_password(ctx, held.admin_password.as_ref())),
    };
    write_unless_held(ctx, arn, value, stored, wanted).await
}

/// The database's password and `host:port`, once the database step has both: a new version
/// of the secret, which running instances follow and the app tier's template then names.
async fn store_database_access(ctx: &Arc<StepContext>) -> Result<()> {
    let arn = ctx.require(logical::APP_SECRET)?;
    let password = settled_password(ctx)?;
    let db_host = ctx.snapshot().outputs.db_endpoint.ok_or_else(|| {
        StackError::Internal("the DB endpoint was not recorded by the database step".into())
    })?;
    let (value, stored) = stored_contents(ctx, &arn).await?;
    let wanted = SecretContents {
        password: Some(password),
        db_host: Some(db_host),
        admin_password: Some(settle_admin_password(
            ctx,
            stored.as_ref().and_then(|s| s.admin_password.as_ref()),
        )),
        keys: settle_keys(ctx, stored.as_ref().map(|s| &s.keys)),
    };
    write_unless_held(ctx, &arn, value, stored, wanted).await
}

/// Record the current version when it already holds `wanted`, else write `wanted` as a new
/// version and record that one.
async fn write_unless_held(
    ctx: &StepContext,
    arn: &str,
    value: Option<SecretValue>,
    stored: Option<SecretContents>,
    wanted: SecretContents,
) -> Result<()> {
    match value.filter(|_| stored.as_ref() == Some(&wanted)) {
        // Nothing to write: the version that says it is the one the instances read.
        Some(current) => record_version(ctx, current.version_id),
        None => {
            let document = secret_document(&wanted);
            let written = secretsmanager::put_value(&ctx.clients, arn, &document).await?;
            tracing::info!(secret = %arn, version = %written.version_id, "stored a new version of the secret");
            record_version(ctx, written.version_id);
        }
    }
    Ok(())
}

async fn delete_secret(ctx: &Arc<StepContext>) -> Result<()> {
    if let Some(info) = find_secret(ctx).await? {
        let recorded = ctx.resource(logical::APP_SECRET).as_deref() == Some(info.arn.as_str());
        if recorded || owned_by(&info.tags, ctx.stack()) {
            secretsmanager::delete_now(&ctx.clients, &info.arn).await?;
            tracing::info!(secret = %info.arn, "deleted secret");
        }
    }
    ctx.forget(logical::APP_SECRET);
    Ok(())
}

/// The secret the instances read and the version they must read: the one this apply's
/// secret step wrote or found holding the stack's values.
pub fn current_secret_version(ctx: &StepContext) -> Result<(String, String)> {
    let arn = ctx.require(logical::APP_SECRET)?;
    let version = ctx
        .update_state(|s| s.secrets.secret_version.clone())
        .ok_or_else(|| {
            StackError::Internal(format!("the secret step recorded no version of {arn}"))
        })?;
    Ok((arn, version))
}

// ---- refresh ----

/// Record what exists and is as the stack left it; an object that drifted (a changed secret,
/// a widened policy, a profile without the role) is left unrecorded, so the next plan sees it
/// missing and the apply puts it back. Recovers the keys (and, on import, the password).
pub async fn refresh(ctx: &StepContext) -> Result<()> {
    let (secret, access) = tokio::join!(refresh_secret(ctx), access::refresh(ctx));
    secret?;
    access
}

/// The secret the refresh reads: by the ARN the prior state recorded (one GetSecretValue:
/// an ARN names one secret for ever, so it is ours and needs no DescribeSecret), else (import,
/// or a state from before the ARN was kept) found by name and checked for ownership.
async fn current_secret(ctx: &StepContext) -> Result<Option<(String, SecretValue)>> {
    if let Some(arn) = ctx
        .prior_resource(logical::APP_SECRET)
        .filter(|id| id.starts_with("arn:"))
    {
        let value = secretsmanager::live_value(&ctx.clients, arn).await?;
        return Ok(value.map(|v| (arn.to_string(), v)));
    }
    let info = match secretsmanager::describe(&ctx.clients, &secret_name(ctx.stack())).await? {
        Some(info) if !info.scheduled_for_deletion && owned_by(&info.tags, ctx.stack()) => info,
        _ => return Ok(None),
    };
    let value = secretsmanager::value(&ctx.clients, &info.arn).await?;
    Ok(value.map(|v| (info.arn, v)))
}

async fn refresh_secret(ctx: &StepContext) -> Result<()> {
    let Some((arn, value)) = current_secret(ctx).await? else {
        return Ok(());
    };
    let Some(contents) = parse_secret_document(&value.secret) else {
        return Ok(());
    };
    let complete = WORDPRESS_KEY_NAMES
        .iter()
        .all(|name| contents.keys.contains_key(*name));
    let import = ctx.is_import();
    let matches = ctx.update_state(|s| {
        if complete {
            s.secrets.wordpress_keys = contents.keys.clone();
        }
        if s.spec.database.password.is_none() {
            // A generated password (or an import): the secret is the only place it is kept.
            let recorded = s.secrets.secret_version.as_deref();
            if !import && recorded.is_some_and(|v| v != value.version_id) {
                s.warn(
                    "The stack's secret changed outside Terraform",
                    format!(
                        "Secret {arn} is at version {}, not the version {} this stack wrote. The \
stack's generated database password lives only there: if the password in it changed, RDS still \
has the previous one and the instances will follow the secret within a minute. To change the \
password, set `database.password` (or `database.password_wo` with a new \
`password_wo_version`) and apply: the provider sets it on RDS and in the secret.",
                        value.version_id,
                        recorded.unwrap_or_default()
                    ),
                );
            }
            s.spec.database.password = contents.password.clone();
        }
        s.spec.database.password.is_some() && s.spec.database.password == contents.password
    });
    if complete && matches {
        ctx.record(logical::APP_SECRET, &arn);
        ctx.update_state(|s| s.secrets.secret_version = Some(value.version_id.clone()));
    }
    Ok(())
}

/// The ARN the role's policy must name: the prior state's secret (see [`current_secret`]),
/// else the one that holds the stack's secret name.
pub(super) async fn secret_arn_for_policy(ctx: &StepContext) -> Result<Option<String>> {
    if let Some(arn) = ctx
        .prior_resource(logical::APP_SECRET)
        .filter(|id| id.starts_with("arn:"))
    {
        return Ok(Some(arn.to_string()));
    }
    let secret = secretsmanager::describe(&ctx.clients, &secret_name(ctx.stack())).await?;
    Ok(secret.map(|s| s.arn))
}

mod access;
#[cfg(test)]
mod tests;
