//! The acceptance run: `examples/default` applied under a unique name, its site awaited until
//! WordPress answers through the load balancer (and the record, given a hosted zone), each tier
//! checked through the AWS API, then destroyed and swept. The same code serves a real account
//! (maintainers, `./scripts/acceptance`, opt-in) and moto behind the fault proxy (CI,
//! tests/tests/acceptance.rs): only the endpoint, and where the site's address comes from, differ.

pub mod checks;
pub mod site;
pub mod sweep;

use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::harness::terraform::{HarnessError, TerraformDir};
use crate::inspect::AwsInspector;
use crate::workspace_root;
use checks::{check_tiers, Expectations, TierCheck};
use site::{wait_for_wordpress, SiteRoute};
use sweep::{sweep, SweepReport};

/// The environment variable a maintainer sets to `1` to let the run create billed AWS objects
/// (the convention of Terraform providers' `TF_ACC`).
pub const OPT_IN_ENV: &str = "WORDPRESS_ACC";

/// The AWS variables a real account's credentials and profile travel in, passed on to Terraform.
const ACCOUNT_ENV: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CA_BUNDLE",
];

/// One run's settings.
#[derive(Debug, Clone)]
pub struct AcceptanceOptions {
    /// The stack's name: unique per run, so a sweep can never touch another stack.
    pub name: String,
    pub region: String,
    /// An AWS-compatible endpoint (moto, the fault proxy); `None` is AWS itself.
    pub endpoint: Option<String>,
    /// `(hosted zone id, record name)`: the stack also gets a record, and the site is reached by it.
    pub record: Option<(String, String)>,
    /// Where the site's requests go instead of its DNS name (an emulator serves no load balancer).
    pub site_address: Option<SocketAddr>,
    /// How long the site may take to answer with WordPress after the apply.
    pub site_patience: Duration,
    /// More variables for Terraform and the provider (e.g. the provider's wait time scale).
    pub extra_env: Vec<(String, String)>,
}

/// The example's instance count and database shape, which the checks hold the stack to.
const EXAMPLE_MIN_SIZE: usize = 2;
const EXAMPLE_MULTI_AZ: bool = true;

#[derive(Debug, thiserror::Error)]
pub enum AcceptanceError {
    #[error("refusing to run: set {OPT_IN_ENV}=1 to create (billed) AWS objects in the account")]
    NotOptedIn,
    #[error(transparent)]
    Harness(#[from] HarnessError),
}

/// One step of the run and how it went.
#[derive(Debug, Clone)]
pub struct StepRecord {
    pub step: String,
    pub took: Duration,
    pub outcome: Result<String, String>,
}

/// Everything the run saw; `passed()` is the verdict.
#[derive(Debug, Default)]
pub struct AcceptanceReport {
    pub name: String,
    pub steps: Vec<StepRecord>,
    pub tiers: Vec<TierCheck>,
    pub sweep: SweepReport,
    /// Whether `terraform destroy` ran: then anything the sweep finds is the destroy's failure.
    pub destroyed: bool,
}

impl AcceptanceReport {
    pub fn passed(&self) -> bool {
        self.steps.iter().all(|s| s.outcome.is_ok())
            && self.tiers.iter().all(|t| t.outcome.is_ok())
            && (!self.destroyed || self.sweep.found.is_empty())
            && self.sweep.left.is_empty()
    }

    fn record(&mut self, step: &str, started: Instant, outcome: Result<String, String>) -> bool {
        let ok = outcome.is_ok();
        self.steps.push(StepRecord {
            step: step.to_string(),
            took: started.elapsed(),
            outcome,
        });
        ok
    }
}

impl fmt::Display for AcceptanceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = |ok: bool| if ok { "ok  " } else { "FAIL" };
        writeln!(f, "acceptance run of stack {}", self.name)?;
        for step in &self.steps {
            let (ok, text) = match &step.outcome {
                Ok(text) => (true, text),
                Err(text) => (false, text),
            };
            writeln!(
                f,
                "  {} {:<10} {:>7.1}s  {text}",
                mark(ok),
                step.step,
                step.took.as_secs_f64()
            )?;
        }
        for tier in &self.tiers {
            let (ok, text) = match &tier.outcome {
                Ok(text) => (true, text),
                Err(text) => (false, text),
            };
            writeln!(f, "  {} tier {:<13} {text}", mark(ok), tier.tier)?;
        }
        let found: Vec<String> = self.sweep.found.iter().map(ToString::to_string).collect();
        let left: Vec<String> = self.sweep.left.iter().map(ToString::to_string).collect();
        if self.destroyed {
            writeln!(
                f,
                "  {} sweep: left by destroy {found:?}",
                mark(found.is_empty())
            )?;
        } else {
            writeln!(f, "       sweep: found {found:?}")?;
        }
        for note in &self.sweep.notes {
            writeln!(f, "       {note}")?;
        }
        writeln!(
            f,
            "  {} sweep: left after the sweep {left:?}",
            mark(left.is_empty())
        )?;
        write!(
            f,
            "verdict: {}",
            if self.passed() { "PASSED" } else { "FAILED" }
        )
    }
}

/// A name no other stack has: `acc-` and eight random hex digits (fits every AWS name limit).
pub fn unique_name() -> String {
    format!("acc-{:08x}", rand::random::<u32>())
}

/// Refuse unless the maintainer opted in.
pub fn require_opt_in() -> Result<(), AcceptanceError> {
    match std::env::var(OPT_IN_ENV) {
        Ok(value) if value == "1" => Ok(()),
        _ => Err(AcceptanceError::NotOptedIn),
    }
}

/// Apply, await, check, destroy and sweep. Destroy and sweep run whatever failed before them.
pub async fn run(options: &AcceptanceOptions) -> Result<AcceptanceReport, AcceptanceError> {
    require_opt_in()?;
    let tf = terraform_dir(options)?;
    let aws = AwsInspector::for_account(&options.region, options.endpoint.as_deref()).await;
    let mut report = AcceptanceReport {
        name: options.name.clone(),
        ..AcceptanceReport::default()
    };

    let started = Instant::now();
    let applied = tf.apply();
    if report.record(
        "apply",
        started,
        tf_outcome(&applied.to_string(), applied.code == Some(0)),
    ) {
        let outputs = tf.outputs();
        await_site(options, &outputs, &mut report).await;
        let expect = Expectations {
            min_size: EXAMPLE_MIN_SIZE,
            multi_az: EXAMPLE_MULTI_AZ,
            record: options.record.clone(),
        };
        report.tiers = check_tiers(&aws, &outputs, &expect).await;
    }

    let started = Instant::now();
    let destroyed = tf.destroy();
    report.record(
        "destroy",
        started,
        tf_outcome(&destroyed.to_string(), destroyed.code == Some(0)),
    );
    report.destroyed = true;

    let started = Instant::now();
    report.sweep = sweep(
        &aws,
        &options.name,
        &options.region,
        options.endpoint.as_deref(),
    )
    .await;
    let swept = sweep_verdict(&report.sweep);
    report.record("sweep", started, swept);
    Ok(report)
}

/// Only the sweep of what is tagged for `options.name`: after a run that was stopped halfway.
pub async fn sweep_only(options: &AcceptanceOptions) -> Result<AcceptanceReport, AcceptanceError> {
    require_opt_in()?;
    let aws = AwsInspector::for_account(&options.region, options.endpoint.as_deref()).await;
    let mut report = AcceptanceReport {
        name: options.name.clone(),
        ..AcceptanceReport::default()
    };
    let started = Instant::now();
    report.sweep = sweep(
        &aws,
        &options.name,
        &options.region,
        options.endpoint.as_deref(),
    )
    .await;
    let swept = sweep_verdict(&report.sweep);
    report.record("sweep", started, swept);
    Ok(report)
}

fn sweep_verdict(sweep: &SweepReport) -> Result<String, String> {
    if sweep.left.is_empty() {
        Ok(format!("{} object(s) swept", sweep.found.len()))
    } else {
        Err(format!("{} object(s) left", sweep.left.len()))
    }
}

async fn await_site(options: &AcceptanceOptions, outputs: &Json, report: &mut AcceptanceReport) {
    let started = Instant::now();
    let url = outputs["url"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let route = options
        .site_address
        .map_or(SiteRoute::Dns, SiteRoute::Fixed);
    let outcome = match wait_for_wordpress(&url, route, options.site_patience).await {
        Ok(answer) => Ok(format!("{url} answered HTTP {} (WordPress)", answer.status)),
        Err(error) => Err(error.to_string()),
    };
    report.record("site", started, outcome);
}

/// Terraform's verdict for the report: its last lines are enough to see why it failed.
fn tf_outcome(output: &str, success: bool) -> Result<String, String> {
    let tail: Vec<&str> = output
        .lines()
        .rev()
        .filter(|l| !l.trim().is_empty())
        .take(12)
        .collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    if success {
        Ok(tail.last().copied().unwrap_or("done").to_string())
    } else {
        Err(tail.join("\n           "))
    }
}

/// `examples/default` in a fresh work dir, with the run's variables in `terraform.tfvars`.
fn terraform_dir(options: &AcceptanceOptions) -> Result<TerraformDir, AcceptanceError> {
    let mut env: Vec<(String, String)> = ACCOUNT_ENV
        .iter()
        .filter_map(|key| {
            std::env::var(key)
                .ok()
                .map(|value| (key.to_string(), value))
        })
        .collect();
    env.push(("AWS_REGION".into(), options.region.clone()));
    if let Some(endpoint) = &options.endpoint {
        env.push(("AWS_ENDPOINT_URL".into(), endpoint.clone()));
        env.push(("AWS_EC2_METADATA_DISABLED".into(), "true".into()));
    }
    env.extend(options.extra_env.iter().cloned());
    let tf = TerraformDir::with_aws_env(
        &format!("acceptance-{}", options.name),
        env,
        options.endpoint.as_deref().unwrap_or_default(),
        None,
    )?;
    tf.copy_configuration(&workspace_root().join("examples").join("default"))?;
    let mut vars = format!(
        "name   = \"{}\"\nregion = \"{}\"\n",
        options.name, options.region
    );
    if let Some((zone_id, record_name)) = &options.record {
        vars.push_str(&format!(
            "zone_id     = \"{zone_id}\"\nrecord_name = \"{record_name}\"\n"
        ));
    }
    tf.write_file("terraform.tfvars", &vars)?;
    Ok(tf)
}
