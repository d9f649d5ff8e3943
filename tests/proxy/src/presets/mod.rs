//! AWS behaviours moto lacks, as named presets a config switches on (their settings are in `crate::config`):
//! IAM propagation refusals ([`templates`]), instance boot and target health (timed in
//! `crate::pending`), launch failures ([`launch_failures`]), RDS transitional states
//! ([`rds`]), the instance-refresh API ([`refresh`]), EFS UpdateFileSystem ([`efs`]) and
//! PutBackupPolicy ([`efs_backups`]), secret
//! metadata that lags a write ([`secrets`]), account quotas ([`quotas`]), image root
//! snapshot sizes ([`images`]), orderable MySQL instance options ([`orderable`]), WAFv2's
//! refusals of a web ACL too new to associate or still associated to delete ([`waf`]) and new
//! descriptions of group-to-group security-group rules ([`sg_descriptions`]).
//!
//! The server asks [`Presets::before`] what to do with each call that no fault took, runs
//! any [`Lookup`] against moto, and hands every successful answer to [`Presets::after`].

pub mod efs;
pub mod efs_backups;
pub mod images;
pub mod launch_failures;
pub mod orderable;
pub mod quotas;
pub mod rds;
pub mod refresh;
pub mod reply;
pub mod secrets;
pub mod sg_descriptions;
pub mod templates;
pub mod waf;

use std::time::Instant;

use crate::aws_errors::AwsError;
use crate::config::FaultConfig;
use crate::identify::AwsRequest;
use crate::objects::Registry;
use crate::pending::Timings;

use efs::EfsThroughput;
use efs_backups::EfsBackups;
use launch_failures::LaunchFailures;
use quotas::QuotaCheck;
use refresh::{RefreshRecord, Refreshes};
use reply::Reply;
use secrets::SecretVersions;
use sg_descriptions::PairUpdate;
use templates::Templates;
use waf::WebAcls;

/// What a preset does with a call before it reaches moto.
#[derive(Debug)]
pub enum Action {
    /// AWS's refusal.
    Refuse(AwsError),
    /// The whole answer, for an API moto lacks.
    Reply(Reply),
    /// Ask moto first, then decide ([`Presets::conclude`]).
    Lookup(Lookup),
}

/// Calls to moto whose answers decide the fate of the original call.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// EC2 query bodies that count what an account holds.
    Quota(QuotaCheck),
    /// `GET` of this file system, to answer an UpdateFileSystem carrying `body`.
    FileSystem { id: String, body: String },
    /// `GET` of this file system, to answer a PutBackupPolicy carrying `body`.
    BackupPolicy { id: String, body: String },
    /// The group whose group-pair rules an UpdateSecurityGroupRuleDescriptions* call (`body`)
    /// describes anew.
    RuleDescriptions { update: PairUpdate, body: String },
    /// The original call (`body`), then the revoke and authorize that replace its group pairs;
    /// the original call's answer is the caller's.
    ReplacePairs { body: String, queries: [String; 2] },
}

/// One request to moto, sent with the original call's headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamRequest {
    pub method: &'static str,
    pub path_and_query: String,
    pub body: String,
}

fn post(body: String) -> UpstreamRequest {
    UpstreamRequest {
        method: "POST",
        path_and_query: "/".to_string(),
        body,
    }
}

impl Lookup {
    pub fn requests(&self) -> Vec<UpstreamRequest> {
        match self {
            Lookup::Quota(check) => check
                .queries()
                .into_iter()
                .map(|body| UpstreamRequest {
                    method: "POST",
                    path_and_query: "/".to_string(),
                    body,
                })
                .collect(),
            Lookup::RuleDescriptions { update, .. } => vec![post(update.describe_query())],
            Lookup::ReplacePairs { body, queries } => std::iter::once(body.clone())
                .chain(queries.iter().cloned())
                .map(post)
                .collect(),
            Lookup::FileSystem { id, .. } | Lookup::BackupPolicy { id, .. } => {
                vec![UpstreamRequest {
                    method: "GET",
                    path_and_query: format!("/2015-02-01/file-systems?FileSystemId={id}"),
                    body: String::new(),
                }]
            }
        }
    }
}

/// What the presets remember during a run.
#[derive(Debug, Default)]
pub struct Presets {
    templates: Templates,
    refreshes: Refreshes,
    launch_failures: LaunchFailures,
    efs: EfsThroughput,
    efs_backups: EfsBackups,
    secrets: SecretVersions,
    web_acls: WebAcls,
}

impl Presets {
    /// Refuse, answer, or look something up for a call no fault took; `None` forwards it.
    pub fn before(
        &mut self,
        request: &AwsRequest,
        body: &[u8],
        config: &FaultConfig,
        registry: &Registry,
        now: Instant,
    ) -> Option<Action> {
        if let Some(iam) = &config.iam_propagation {
            let refused =
                templates::propagation_refusal(request, &self.templates, iam, config.seed, now);
            if let Some(error) = refused {
                return Some(Action::Refuse(error));
            }
        }
        if let Some(refresh) = &config.instance_refresh {
            if let Some(answer) = self.refreshes.answer(request, refresh, now) {
                return Some(answer.map_or_else(Action::Refuse, Action::Reply));
            }
        }
        if let Some(failures) = &config.launch_failures {
            if let Some(reply) = LaunchFailures::answer(request, &self.templates, failures, now) {
                return Some(Action::Reply(reply));
            }
        }
        if let Some(orderable) = &config.orderable_db {
            if let Some(reply) = orderable::answer(request, orderable) {
                return Some(Action::Reply(reply));
            }
        }
        if let Some(images) = &config.images {
            if let Some(error) = images::refusal(request, images) {
                return Some(Action::Refuse(error));
            }
        }
        if config.rds_states.is_some() {
            if let Some(error) = rds::refusal(request, registry, &Timings::of(config), now) {
                return Some(Action::Refuse(error));
            }
        }
        if let Some(waf) = &config.waf {
            if let Some(error) = self.web_acls.refusal(request, waf, now) {
                return Some(Action::Refuse(error));
            }
        }
        if config.sg_rule_descriptions.is_some() {
            if let Some(update) = PairUpdate::of(request) {
                return Some(Action::Lookup(Lookup::RuleDescriptions {
                    update,
                    body: String::from_utf8_lossy(body).into_owned(),
                }));
            }
        }
        if let Some(quotas) = &config.quotas {
            if let Some(check) = QuotaCheck::of(request, quotas) {
                return Some(Action::Lookup(Lookup::Quota(check)));
            }
        }
        if config.efs_update.is_some()
            && request.call.service == "elasticfilesystem"
            && request.call.operation == "UpdateFileSystem"
        {
            let id = efs::updated_id(&request.params)?.to_string();
            return Some(Action::Lookup(Lookup::FileSystem {
                id,
                body: String::from_utf8_lossy(body).into_owned(),
            }));
        }
        if let Some(backups) = &config.efs_backups {
            if request.call.service == "elasticfilesystem" {
                let id = efs_backups::policy_file_system(&request.params);
                match (request.call.operation.as_str(), id) {
                    ("PutBackupPolicy", Some(id)) => {
                        return Some(Action::Lookup(Lookup::BackupPolicy {
                            id: id.to_string(),
                            body: String::from_utf8_lossy(body).into_owned(),
                        }))
                    }
                    ("DescribeBackupPolicy", Some(id)) => {
                        return self.efs_backups.answer(id, backups, now).map(Action::Reply)
                    }
                    _ => {}
                }
            }
        }
        None
    }

    /// Decide a looked-up call from moto's answers (status, body), in request order; `None`
    /// forwards it.
    pub fn conclude(
        &mut self,
        lookup: Lookup,
        answers: Vec<(u16, String)>,
        config: &FaultConfig,
        now: Instant,
    ) -> Option<Action> {
        match lookup {
            Lookup::Quota(check) => {
                let bodies: Vec<String> = answers.into_iter().map(|(_, body)| body).collect();
                check.refusal(&bodies).map(Action::Refuse)
            }
            Lookup::FileSystem { id, body } => {
                let (status, described) = answers.into_iter().next()?;
                let settings = config.efs_update.clone().unwrap_or_default();
                let answer = self
                    .efs
                    .update(&id, &body, status, &described, &settings, now);
                Some(answer.map_or_else(Action::Refuse, Action::Reply))
            }
            Lookup::BackupPolicy { id, body } => {
                let (status, described) = answers.into_iter().next()?;
                let answer = self.efs_backups.put(&id, &body, status, &described, now);
                Some(answer.map_or_else(Action::Refuse, Action::Reply))
            }
            Lookup::RuleDescriptions { update, body } => {
                let (status, described) = answers.into_iter().next()?;
                if status != 200 {
                    return None;
                }
                let queries = update.replay_queries(&described)?;
                Some(Action::Lookup(Lookup::ReplacePairs { body, queries }))
            }
            Lookup::ReplacePairs { .. } => {
                // The first failure, else the original call's own answer.
                let (status, answer) = answers
                    .iter()
                    .find(|(status, _)| *status != 200)
                    .or(answers.first())?
                    .clone();
                Some(Action::Reply(Reply {
                    status,
                    content_type: "text/xml",
                    body: answer,
                }))
            }
        }
    }

    /// Learn from a successful answer of moto's, and rewrite it as the presets show AWS.
    pub fn after(
        &mut self,
        request: &AwsRequest,
        body: &str,
        config: &FaultConfig,
        registry: &mut Registry,
        now: Instant,
    ) -> Option<String> {
        self.templates.observe(request, body, now);
        self.secrets.observe(request, body, now);
        self.web_acls.observe(request, body, now);
        rds::observe(request, registry, now);
        let operation = (
            request.call.service.as_str(),
            request.call.operation.as_str(),
        );
        match operation {
            ("ec2", "DescribeAccountAttributes") => {
                quotas::rewrite_account_attributes(body, config.quotas.as_ref()?)
            }
            ("ec2", "DescribeImages") => {
                images::rewrite_describe_images(body, config.images.as_ref()?)
            }
            ("elasticfilesystem", "DescribeFileSystems") => {
                let settings = config.efs_update.as_ref()?;
                self.efs.rewrite(body, settings, now)
            }
            ("secretsmanager", "DescribeSecret") => {
                let settings = config.secret_versions.as_ref()?;
                self.secrets.rewrite(request, body, settings, now)
            }
            _ => {
                let failures = config.launch_failures.as_ref()?;
                self.launch_failures
                    .rewrite(request, body, &self.templates, failures, now)
            }
        }
    }

    /// Instance refreshes started so far, with the preferences their callers sent.
    pub fn instance_refreshes(&self) -> Vec<RefreshRecord> {
        self.refreshes.records()
    }
}
