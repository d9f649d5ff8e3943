//! The database tier: a DB subnet group over the private subnets, a DB parameter group
//! requiring TLS (`parameters`) and the RDS MySQL instance (encrypted, private, Multi-AZ as
//! asked, storage autoscaling, backups, final snapshot).
//!
//! The instance is the slowest object of the stack on AWS (10–20 minutes Multi-AZ): it waits
//! only for its subnet group and the security groups, so it starts as early as possible.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::context::StepContext;
use super::layout::StackLayout;
use super::step::Step;
use super::step_id;
use super::tag_sync;
use crate::aws::rds::{self, DbInstance, DbModification};
use crate::aws::secretsmanager;
use crate::engine_version::{self, Standing};
use crate::error::{Result, StackError};
use crate::secrets;
use crate::spec::{DatabaseSpec, Secret};
use crate::state::logical;
use crate::wait::usual;

pub use crate::validate::storage_shrink_error;

mod create;

pub use create::RESTORE_PENDING_TAG;
pub mod parameters;

/// The security group tier whose group guards the instance.
const DB_GROUP: &str = "db";

/// Tag recording `skip_final_snapshot` on the instance: a destroy-time setting AWS does not
/// keep, so that an import reads it back instead of planning a change.
pub const FINAL_SNAPSHOT_TAG: &str = "wordpress-ha:final-snapshot";

/// The tags the instance carries: the stack's, and [`FINAL_SNAPSHOT_TAG`].
fn instance_tags(ctx: &StepContext, identifier: &str) -> tag_sync::Tags {
    let mut tags = tag_sync::wanted(ctx, identifier);
    let setting = if ctx.spec().database.skip_final_snapshot {
        "skip"
    } else {
        "take"
    };
    tags.insert(FINAL_SNAPSHOT_TAG.to_string(), setting.to_string());
    tags
}

/// `<name>-db-subnets`.
pub fn subnet_group_name(stack: &str) -> String {
    format!("{stack}-db-subnets")
}

/// `<name>-db`.
pub fn instance_identifier(stack: &str) -> String {
    format!("{stack}-db")
}

/// `<name>-final-<unix seconds>`: unique per delete, valid as an RDS identifier.
pub fn final_snapshot_identifier(stack: &str, now: SystemTime) -> String {
    let seconds = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    format!("{stack}-final-{seconds}")
}

pub fn steps(layout: &StackLayout) -> Vec<Step> {
    let subnet_deps = step_id::all_private_subnets(&layout.zones);
    vec![
        Step::new(step_id::DB_SUBNET_GROUP, subnet_deps)
            .create(|ctx| async move { converge_subnet_group(&ctx).await })
            .delete(|ctx| async move { delete_subnet_group(&ctx).await }),
        Step::new(step_id::DB_PARAMETER_GROUP, Vec::<String>::new())
            .create(|ctx| async move { parameters::converge_group(&ctx).await })
            .delete(|ctx| async move { parameters::delete_groups(&ctx).await }),
        Step::new(
            step_id::DB_INSTANCE,
            [
                step_id::DB_SUBNET_GROUP,
                step_id::DB_PARAMETER_GROUP,
                step_id::SECURITY_GROUPS,
            ],
        )
        .waits_for(usual::DB_INSTANCE)
        .create(|ctx| async move { converge_instance(&ctx).await })
        .delete(|ctx| async move { delete_instance(&ctx).await }),
    ]
}

fn private_subnet_ids(ctx: &StepContext) -> Result<Vec<String>> {
    ctx.zones()
        .iter()
        .map(|az| ctx.require(&logical::qualified(logical::PRIVATE_SUBNET, az)))
        .collect()
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

async fn converge_subnet_group(ctx: &Arc<StepContext>) -> Result<()> {
    let name = subnet_group_name(ctx.stack());
    let subnets = private_subnet_ids(ctx)?;
    match rds::describe_db_subnet_group(&ctx.clients, &name).await? {
        Some(group) => {
            if sorted(group.subnet_ids.clone()) != sorted(subnets.clone()) {
                tracing::info!(subnet_group = %name, "putting the DB subnet group back over the private subnets");
                rds::modify_db_subnet_group(&ctx.clients, &name, &subnets).await?;
            }
            if let Some(arn) = &group.arn {
                let observed = rds::tags_of(&ctx.clients, arn).await?;
                let changes = tag_sync::changes_for(ctx, arn, &observed, &name);
                rds::retag(&ctx.clients, arn, &changes.set, &changes.remove).await?;
            }
        }
        None => {
            // It names subnets created moments before: wait out AWS's eventual consistency.
            let tags = tag_sync::wanted(ctx, &name);
            ctx.eventually(&format!("create DB subnet group {name}"), || {
                rds::create_db_subnet_group(&ctx.clients, &name, &subnets, &tags)
            })
            .await?;
            tracing::info!(subnet_group = %name, "created DB subnet group");
        }
    }
    ctx.record(logical::DB_SUBNET_GROUP, &name);
    Ok(())
}

async fn delete_subnet_group(ctx: &Arc<StepContext>) -> Result<()> {
    let name = ctx
        .resource(logical::DB_SUBNET_GROUP)
        .unwrap_or_else(|| subnet_group_name(ctx.stack()));
    rds::delete_db_subnet_group(&ctx.clients, &name).await?;
    tracing::info!(subnet_group = %name, "deleted DB subnet group");
    ctx.forget(logical::DB_SUBNET_GROUP);
    Ok(())
}

/// The password the instance must have, kept in the operation's state from now on. Returns it
/// and whether it may differ from the one a live instance has, so it must be set on AWS: the
/// user changed it, or nothing knows it (RDS never reads it back).
///
/// Terraform's state keeps no password the user did not write: the one the stack generated is
/// read back from the stack's secret (the ARN the prior state recorded), so an update keeps it.
async fn settle_password(ctx: &StepContext) -> Result<(Secret, bool)> {
    let mut previous = ctx.update_state(|state| state.spec.database.password.clone());
    if previous.is_none() {
        previous = stored_password(ctx).await?;
    }
    let password = secrets::effective_db_password(ctx.spec(), previous.as_ref());
    let changed = previous.as_ref() != Some(&password);
    ctx.update_state(|state| state.spec.database.password = Some(password.clone()));
    Ok((password, changed))
}

/// The password in the secret the prior state recorded, if that secret still holds one.
async fn stored_password(ctx: &StepContext) -> Result<Option<Secret>> {
    let Some(arn) = ctx
        .prior_resource(logical::APP_SECRET)
        .filter(|id| id.starts_with("arn:"))
    else {
        return Ok(None);
    };
    let value = secretsmanager::live_value(&ctx.clients, arn).await?;
    Ok(value
        .and_then(|value| secrets::parse_secret_document(&value.secret))
        .and_then(|contents| contents.password))
}

/// Whether the engine version AWS reports satisfies the spec's (`8.0` is met by `8.0.39`).
pub fn engine_version_matches(observed: &str, wanted: &str) -> bool {
    engine_version::standing(observed, wanted) == Standing::Meets
}

/// Whether AWS runs a newer engine than the spec asks for: it is kept, never sent back down.
pub fn runs_newer_engine(observed: &DbInstance, wanted: &DatabaseSpec) -> bool {
    engine_version::standing(&observed.engine_version, &wanted.engine_version) == Standing::Above
}

/// The in-place changes that bring `observed` to `wanted`. Storage only grows: RDS cannot
/// shrink it, and storage autoscaling may have grown it past the spec.
pub fn modification_for(
    observed: &DbInstance,
    wanted: &DatabaseSpec,
    db_group_id: &str,
    parameter_group: &str,
    new_password: Option<Secret>,
) -> DbModification {
    let differs = |same: bool| !same;
    DbModification {
        instance_class: differs(observed.instance_class == wanted.instance_class)
            .then(|| wanted.instance_class.clone()),
        engine_version: (engine_version::standing(
            &observed.engine_version,
            &wanted.engine_version,
        ) == Standing::Below)
            .then(|| wanted.engine_version.clone()),
        auto_minor_version_upgrade: {
            let wanted = engine_version::auto_minor_upgrades(&wanted.engine_version);
            differs(observed.auto_minor_version_upgrade == wanted).then_some(wanted)
        },
        allocated_storage: (wanted.allocated_storage > observed.allocated_storage)
            .then_some(wanted.allocated_storage),
        // A ceiling not above the start size means "no storage autoscaling": leave it.
        max_allocated_storage: (wanted.max_allocated_storage > wanted.allocated_storage
            && observed.max_allocated_storage != Some(wanted.max_allocated_storage))
        .then_some(wanted.max_allocated_storage),
        multi_az: differs(observed.multi_az == wanted.multi_az).then_some(wanted.multi_az),
        backup_retention_days: differs(
            observed.backup_retention_days == wanted.backup_retention_days,
        )
        .then_some(wanted.backup_retention_days),
        deletion_protection: differs(observed.deletion_protection == wanted.deletion_protection)
            .then_some(wanted.deletion_protection),
        password: new_password,
        security_group_ids: differs(observed.security_group_ids == [db_group_id.to_string()])
            .then(|| vec![db_group_id.to_string()]),
        parameter_group: parameters::group_change(observed, parameter_group),
    }
}

async fn converge_instance(ctx: &Arc<StepContext>) -> Result<()> {
    let identifier = instance_identifier(ctx.stack());
    let group_id = ctx.require(&logical::qualified(logical::SECURITY_GROUP, DB_GROUP))?;
    let parameter_group = ctx.require(logical::DB_PARAMETER_GROUP)?;
    let (password, password_changed) = settle_password(ctx).await?;
    match rds::describe_db_instance(&ctx.clients, &identifier).await? {
        // A restore interrupted before the stack's password was set: finish it.
        Some(found) if create::restore_pending(&found) => {
            ctx.record(logical::DB_INSTANCE, &identifier);
            create::settle_restored(ctx, &identifier, &group_id, &parameter_group, &password)
                .await?;
        }
        Some(found) => {
            ctx.record(logical::DB_INSTANCE, &identifier);
            let observed = wait_until_it_takes_changes(ctx, &identifier, &found).await?;
            let change = modification_for(
                &observed,
                &ctx.spec().database,
                &group_id,
                &parameter_group,
                password_changed.then(|| password.clone()),
            );
            let moved_group = change.parameter_group.is_some();
            modify_instance(ctx, &identifier, &observed, change).await?;
            if moved_group {
                let previous: Vec<String> = observed
                    .parameter_groups
                    .iter()
                    .map(|g| g.name.clone())
                    .collect();
                parameters::delete_replaced(ctx, &previous, &parameter_group).await;
            }
            if let Some(arn) = &observed.arn {
                let wanted = instance_tags(ctx, &identifier);
                let changes = tag_sync::changes_to(ctx, arn, &observed.tags, &wanted);
                rds::retag(&ctx.clients, arn, &changes.set, &changes.remove).await?;
            }
        }
        None => {
            let snapshot = ctx.spec().database.snapshot_identifier.clone();
            create::create_instance(ctx, &identifier, &group_id, &parameter_group, &password)
                .await?;
            ctx.record(logical::DB_INSTANCE, &identifier);
            if snapshot.is_some() {
                create::settle_restored(ctx, &identifier, &group_id, &parameter_group, &password)
                    .await?;
            }
        }
    }
    let ready = rds::wait_db_instance_available(&ctx.clients, ctx.bounds(), &identifier).await?;
    record_endpoint(ctx, &ready);
    parameters::warn_if_pending_reboot(ctx, &ready);
    Ok(())
}

/// The instance once it takes changes. A stopped instance is started: the stack's site needs
/// its database, and RDS refuses to modify a stopped instance (it restarts one by itself after
/// seven days anyway).
async fn wait_until_it_takes_changes(
    ctx: &StepContext,
    identifier: &str,
    found: &DbInstance,
) -> Result<DbInstance> {
    if found.status == "stopped" {
        tracing::info!(db_instance = %identifier, "starting the stopped DB instance");
        rds::start_db_instance(&ctx.clients, identifier).await?;
    }
    if found.status != "available" {
        tracing::info!(db_instance = %identifier, status = %found.status, "waiting for the DB instance to take changes");
    }
    rds::wait_db_instance_available(&ctx.clients, ctx.bounds(), identifier).await
}

/// Send `change`. During storage optimisation (hours on AWS) a storage change is held back,
/// with a warning, and the rest applied; a refusal for the instance's state (a backup that
/// just started) is retried until the step's deadline.
async fn modify_instance(
    ctx: &StepContext,
    identifier: &str,
    observed: &DbInstance,
    mut change: DbModification,
) -> Result<()> {
    if observed.status == rds::STORAGE_OPTIMIZATION {
        if let Some(storage) = change.take_storage_change() {
            tracing::info!(db_instance = %identifier, allocated_storage = storage, "storage change waits for the storage optimisation to end");
            ctx.update_state(|state| {
                state.warn(
                    "The database storage change waits",
                    storage_waits_detail(identifier, observed.allocated_storage, storage),
                )
            });
        }
    }
    if change.is_empty() {
        return Ok(());
    }
    tracing::info!(db_instance = %identifier, "modifying DB instance");
    crate::wait::retrying(
        ctx.bounds(),
        &format!("modify DB instance {identifier}"),
        rds::is_invalid_state,
        || rds::modify_db_instance(&ctx.clients, identifier, &change),
    )
    .await
}

/// The warning of a storage change held back by storage optimisation.
pub fn storage_waits_detail(identifier: &str, current: i64, wanted: i64) -> String {
    format!(
        "DB instance {identifier} is optimising its previous storage change (storage-optimization, which can last up to 6 hours on AWS), and RDS refuses another storage change meanwhile. The other database changes were applied; allocated_storage stays at {current} GiB, and the change to {wanted} GiB is planned again: apply once the optimisation has ended."
    )
}

fn record_endpoint(ctx: &StepContext, db: &DbInstance) {
    ctx.update_outputs(|o| {
        o.db_endpoint = db.endpoint();
        o.db_address = db.address.clone();
    });
}

/// Refuse a destroy up front when the instance has deletion protection, before any other
/// object is deleted: a refusal halfway would leave the site without its load balancer or
/// instances and the database standing.
pub async fn refuse_protected_destroy(ctx: &StepContext) -> Result<()> {
    let identifier = ctx
        .resource(logical::DB_INSTANCE)
        .unwrap_or_else(|| instance_identifier(ctx.stack()));
    let protected = match rds::describe_db_instance(&ctx.clients, &identifier).await? {
        Some(db) => db.deletion_protection,
        None => false,
    };
    if protected {
        return Err(protected_refusal(&identifier));
    }
    Ok(())
}

fn protected_refusal(identifier: &str) -> StackError {
    StackError::Refused {
        what: format!(
            "DB instance {identifier} has deletion protection: set database.deletion_protection = false and apply before destroying the stack"
        ),
    }
}

async fn delete_instance(ctx: &Arc<StepContext>) -> Result<()> {
    let identifier = ctx
        .resource(logical::DB_INSTANCE)
        .unwrap_or_else(|| instance_identifier(ctx.stack()));
    let Some(db) = rds::describe_db_instance(&ctx.clients, &identifier).await? else {
        ctx.forget(logical::DB_INSTANCE);
        return Ok(());
    };
    if db.deletion_protection || ctx.spec().database.deletion_protection {
        return Err(protected_refusal(&identifier));
    }
    // RDS refuses a delete (and a final snapshot) while the instance is creating, modifying,
    // backing up...: wait that out, and retry a refusal that races a new transition.
    if !rds::accepts_delete(&db.status) {
        tracing::info!(db_instance = %identifier, status = %db.status, "waiting for the DB instance to accept its delete");
    }
    let Some(db) = rds::wait_db_instance_deletable(&ctx.clients, ctx.bounds(), &identifier).await?
    else {
        ctx.forget(logical::DB_INSTANCE);
        return Ok(());
    };
    if db.status != "deleting" {
        let snapshot = crate::wait::retrying(
            ctx.bounds(),
            &format!("delete DB instance {identifier}"),
            rds::is_invalid_state,
            || delete_taking_final_snapshot(ctx, &identifier),
        )
        .await?;
        tracing::info!(db_instance = %identifier, final_snapshot = ?snapshot, "deleting DB instance");
    }
    rds::wait_db_instance_deleted(&ctx.clients, ctx.bounds(), &identifier).await?;
    ctx.forget(logical::DB_INSTANCE);
    ctx.update_outputs(|o| {
        o.db_endpoint = None;
        o.db_address = None;
    });
    Ok(())
}

/// How many names [`delete_taking_final_snapshot`] tries before it gives up.
const FINAL_SNAPSHOT_NAME_TRIES: u32 = 5;

/// Start the instance's delete, with its final snapshot unless the spec skips it; returns
/// the snapshot's name. A name already taken (the same stack name deleted twice within one
/// second) gets a `-2`, `-3`... suffix: a destroy must neither fail on it nor touch the
/// snapshot that holds the name.
pub(crate) async fn delete_taking_final_snapshot(
    ctx: &StepContext,
    identifier: &str,
) -> Result<Option<String>> {
    if ctx.spec().database.skip_final_snapshot {
        rds::delete_db_instance(&ctx.clients, identifier, None).await?;
        return Ok(None);
    }
    let base = final_snapshot_identifier(ctx.stack(), SystemTime::now());
    let mut attempt = 1;
    loop {
        let name = numbered_snapshot_name(&base, attempt);
        match rds::delete_db_instance(&ctx.clients, identifier, Some(&name)).await {
            Err(e)
                if e.aws_code() == Some("DBSnapshotAlreadyExists")
                    && attempt < FINAL_SNAPSHOT_NAME_TRIES =>
            {
                attempt += 1
            }
            result => return result.map(|()| Some(name)),
        }
    }
}

/// `base` for the first attempt, `base-N` for the N-th.
fn numbered_snapshot_name(base: &str, attempt: u32) -> String {
    if attempt <= 1 {
        base.to_string()
    } else {
        format!("{base}-{attempt}")
    }
}

/// Record the subnet group and instance, and write observed settings into the state's spec.
/// The instance names its subnet group, which AWS keeps while it is in use: then only the
/// group's tags are read (by the ARN the instance's gives), else the group is described.
pub async fn refresh(ctx: &StepContext) -> Result<()> {
    let group_name = subnet_group_name(ctx.stack());
    let identifier = instance_identifier(ctx.stack());
    // The group's tags are read beside the instance when the prior state tells the account
    // (one round of calls, not two); the guess is checked against the instance's answer.
    let guessed_arn =
        prior_regional_arn(ctx).and_then(|arn| rds::subnet_group_arn(arn, &group_name));
    let early_tags = async {
        match &guessed_arn {
            Some(arn) => Some(rds::tags_of(&ctx.clients, arn).await),
            None => None,
        }
    };
    let expected_group = parameters::expected_group(ctx);
    let (db, early_tags, early_parameters) = tokio::join!(
        rds::describe_db_instance(&ctx.clients, &identifier),
        early_tags,
        rds::user_parameters(&ctx.clients, &expected_group)
    );
    let db = db?.filter(|db| db.status != "deleting");
    let group_arn = match db
        .as_ref()
        .filter(|db| db.subnet_group.as_deref() == Some(group_name.as_str()))
        .and_then(|db| db.arn.as_deref())
        .and_then(|arn| rds::subnet_group_arn(arn, &group_name))
    {
        Some(arn) => Some(arn),
        None => rds::describe_db_subnet_group(&ctx.clients, &group_name)
            .await?
            .map(|group| group.arn.unwrap_or_default()),
    };
    if let Some(arn) = group_arn {
        ctx.record(logical::DB_SUBNET_GROUP, &group_name);
        if !arn.is_empty() {
            let tags = match early_tags {
                Some(Ok(tags)) if guessed_arn.as_deref() == Some(arn.as_str()) => tags,
                _ => rds::tags_of(&ctx.clients, &arn).await?,
            };
            tag_sync::observe(ctx, &tags, &group_name);
        }
    }
    if let Some(db) = db {
        ctx.record(logical::DB_INSTANCE, &identifier);
        parameters::observe(ctx, &db, &expected_group, early_parameters).await?;
        record_endpoint(ctx, &db);
        ctx.update_state(|state| {
            if runs_newer_engine(&db, &state.spec.database) {
                let detail = newer_engine_detail(&db, &state.spec.database.engine_version);
                state.warn(NEWER_ENGINE_SUMMARY, detail);
            }
            observe_database(&mut state.spec.database, &db)
        });
        tag_sync::observe_against(ctx, &db.tags, &instance_tags(ctx, &identifier));
    }
    Ok(())
}

/// An ARN of the prior state whose region and account are the stack's.
fn prior_regional_arn(ctx: &StepContext) -> Option<&str> {
    [
        logical::LOAD_BALANCER,
        logical::TARGET_GROUP,
        logical::APP_SECRET,
    ]
    .into_iter()
    .filter_map(|name| ctx.prior_resource(name))
    .find(|id| id.starts_with("arn:"))
}

const NEWER_ENGINE_SUMMARY: &str = "The database runs a newer engine than configured";

/// The warning of an engine AWS (or someone) upgraded past the configured version.
pub fn newer_engine_detail(db: &DbInstance, configured: &str) -> String {
    format!(
        "DB instance {} runs MySQL {}, newer than the configured engine_version {configured:?}. RDS cannot downgrade an instance, so the provider leaves it as it is and plans no change; set engine_version to {:?} (or its major.minor) to say so.",
        db.identifier, db.engine_version, db.engine_version
    )
}

/// Write what AWS reports into the spec, so the next plan shows (and repairs) the difference.
/// The password cannot be read back; allocated storage may legitimately have grown; an engine
/// newer than the spec's is kept as configured (RDS cannot go back down).
pub fn observe_database(spec: &mut DatabaseSpec, db: &DbInstance) {
    spec.instance_class = db.instance_class.clone();
    if engine_version::standing(&db.engine_version, &spec.engine_version) == Standing::Below {
        spec.engine_version = db.engine_version.clone();
    }
    if db.allocated_storage < spec.allocated_storage {
        spec.allocated_storage = db.allocated_storage;
    }
    if let Some(max) = db.max_allocated_storage {
        spec.max_allocated_storage = max;
    }
    spec.multi_az = db.multi_az;
    spec.backup_retention_days = db.backup_retention_days;
    spec.deletion_protection = db.deletion_protection;
    if let Some(name) = &db.db_name {
        spec.db_name = name.clone();
    }
    if let Some(username) = &db.username {
        spec.username = username.clone();
    }
    match db.tags.get(FINAL_SNAPSHOT_TAG).map(String::as_str) {
        Some("skip") => spec.skip_final_snapshot = true,
        Some("take") => spec.skip_final_snapshot = false,
        _ => {}
    }
}

#[cfg(test)]
mod tests;
