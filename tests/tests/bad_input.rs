//! The bad-input corpus: wrong stack configurations and wrong provider settings, each driven
//! through the real Terraform CLI against moto. Every one must be refused where the rule
//! allows (at `validate` when it is static, else at `plan`), by an error diagnostic that quotes
//! the offending line (or the provider block), says how to fix it, shows no crash, and leaves
//! moto exactly as it was: nothing created at all, tagged or not.
//!
//! The cases live in `bad_input/cases.rs`, one line each. They share one moto server (nothing
//! is created, and the inventory after each case proves it) and run a few at a time; a case
//! about updates brings its own moto and stack.

#[path = "bad_input/cases.rs"]
mod cases;
#[path = "bad_input/inventory.rs"]
mod inventory;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cases::{Case, Env, Stage, Target, CASES};
use inventory::Inventory;
use stack_tests::harness::terraform::{TerraformDir, TfOutput, PROVIDER_SOURCE};
use stack_tests::inspect::AwsInspector;
use stack_tests::Moto;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Cases in flight at once: each is a Terraform process and a provider, mostly waiting.
const CONCURRENCY: usize = 6;
/// Even settings only the configured provider can judge (an endpoint nothing listens on) must
/// fail this fast, not after minutes of retries.
const FAST_FAILURE: Duration = Duration::from_secs(20);
/// Words that mean the provider crashed or answered with a transport error.
const CRASH_SIGNS: &[&str] = &["panic", "plugin exited", "rpc error", "crashed"];

/// What one case showed: everything wrong with the provider's answer, and how long it took.
struct Outcome {
    case: &'static str,
    stage: Stage,
    elapsed: Duration,
    problems: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_bad_input_is_refused_on_its_attribute_and_creates_nothing() {
    let started = Instant::now();
    let moto = Arc::new(Moto::start_async().await.expect("moto starts"));
    let aws = AwsInspector::for_moto(&moto).await;
    let baseline = Arc::new(inventory::take(&aws).await.expect("moto's inventory"));
    let closed = closed_endpoint();
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let mut running = JoinSet::new();
    for case in CASES {
        let (moto, aws, baseline, permits) =
            (moto.clone(), aws.clone(), baseline.clone(), permits.clone());
        let closed = closed.clone();
        running.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("semaphore open");
            if case.prior.is_some() {
                run_update_case(case, &closed).await
            } else {
                run_shared_case(case, moto, &aws, &baseline, &closed).await
            }
        });
    }
    let mut outcomes = Vec::new();
    while let Some(joined) = running.join_next().await {
        outcomes.push(joined.expect("case task"));
    }
    let leftovers = inventory::added(&baseline, &inventory::take(&aws).await.expect("inventory"));
    report(&mut outcomes, started.elapsed());
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.problems.is_empty())
        .map(|o| format!("=== {} ===\n{}", o.case, o.problems.join("\n")))
        .collect();
    assert!(
        failed.is_empty(),
        "{} of {} cases failed:\n{}",
        failed.len(),
        outcomes.len(),
        failed.join("\n\n")
    );
    assert!(
        leftovers.is_empty(),
        "moto holds new objects: {leftovers:#?}"
    );
}

/// The same harness accepts well-formed configurations, so the refusals are about the values:
/// defaults, every block filled in, and a profile that the shared files do define.
#[tokio::test]
async fn well_formed_configs_validate_and_plan() {
    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    let every_block: &'static str =
        Box::leak(with_what_it_names(&moto, &aws).await.into_boxed_str());
    let baseline = inventory::take(&aws).await.expect("inventory");
    let closed = closed_endpoint();
    let good = [
        ("defaults", "", None, Env::Moto),
        ("every_block", every_block, None, Env::Moto),
        (
            "existing_profile",
            "",
            Some("region = \"us-east-1\"\n  endpoint_url = \"{moto}\"\n  profile = \"dev\""),
            Env::DevProfileOnly,
        ),
    ];
    for (name, stack, provider, env) in good {
        let case = Case {
            name,
            stage: Stage::Plan,
            target: Target::ProviderBlock,
            says: "",
            stack,
            provider,
            env,
            prior: None,
        };
        let tf = prepare(&case, &moto, &closed, stack);
        tf.validate().assert_success();
        tf.plan().assert_code(2);
    }
    let added = inventory::added(&baseline, &inventory::take(&aws).await.expect("inventory"));
    assert!(added.is_empty(), "planning created objects: {added:#?}");
}

#[test]
fn the_corpus_covers_the_issue_and_names_each_case_once() {
    let resource = CASES
        .iter()
        .filter(|c| matches!(c.target, Target::Resource(_)))
        .count();
    let provider = CASES.len() - resource;
    assert!(
        resource >= 30,
        "{resource} resource cases; the issue asks for 30"
    );
    assert!(
        provider >= 8,
        "{provider} provider cases; the issue asks for 8"
    );
    let names: BTreeSet<&str> = CASES.iter().map(|c| c.name).collect();
    assert_eq!(names.len(), CASES.len(), "case names must be unique");
    for case in CASES {
        assert!(!case.says.trim().is_empty(), "{}: no fix phrase", case.name);
        let env_needs_plan = case.env != Env::Moto;
        assert!(
            !(env_needs_plan && case.stage == Stage::Validate),
            "{}: an environment problem cannot show at validate",
            case.name
        );
    }
}

const WELL_FORMED_STACK: &str = r#"network {
    vpc_cidr           = "10.20.0.0/16"
    availability_zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
    nat_gateways       = "single"
  }
  bastion {
    allowed_ssh_cidrs = ["203.0.113.0/24", "2001:db8::/64"]
    key_name          = "ops"
  }
  wordpress {
    image         = "registry.example.com:5000/team/wordpress:6.5"
    instance_type = "m7i-flex.large"
  }
  autoscaling {
    min_size               = 2
    max_size               = 6
    desired_capacity       = 3
    target_cpu_utilization = 55
  }
  database {
    instance_class        = "db.m6g.large"
    engine_version        = "8.0.35"
    allocated_storage     = 50
    max_allocated_storage = 200
    backup_retention_days = 14
  }
  storage {
    throughput_mode              = "provisioned"
    provisioned_throughput_mibps = 64
  }
  load_balancer {
    certificate_arn   = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f"
    health_check_path = "/healthz.html"
    idle_timeout      = 120
  }
  dns {
    zone_id     = "Z0123456789ABC"
    record_name = "blog.example.com"
  }
  timeouts {
    create = "1h30m"
    delete = "45m"
  }
  tags = { team = "web", "cost-center" = "42" }"#;

/// [`WELL_FORMED_STACK`] naming a key pair, a hosted zone and an issued certificate that
/// exist: the plan checks each of them (the preflight).
async fn with_what_it_names(moto: &Moto, aws: &AwsInspector) -> String {
    aws.ec2
        .create_key_pair()
        .key_name("ops")
        .send()
        .await
        .expect("key pair");
    let zone = aws
        .create_hosted_zone("example.com")
        .await
        .expect("hosted zone");
    let credentials =
        aws_sdk_acm::config::Credentials::new("testing", "testing", None, None, "e2e-tests");
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(moto.endpoint())
        .credentials_provider(credentials)
        .load()
        .await;
    let certificate = aws_sdk_acm::Client::new(&config)
        .request_certificate()
        .domain_name("blog.example.com")
        .send()
        .await
        .expect("certificate");
    WELL_FORMED_STACK.replace("Z0123456789ABC", &zone).replace(
        "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f",
        certificate.certificate_arn().expect("an ARN"),
    )
}

/// A case that creates nothing, against the shared moto; then nothing may have appeared.
async fn run_shared_case(
    case: &'static Case,
    moto: Arc<Moto>,
    aws: &AwsInspector,
    baseline: &Inventory,
    closed: &str,
) -> Outcome {
    let closed = closed.to_string();
    let mut outcome = tokio::task::spawn_blocking(move || {
        let tf = prepare(case, &moto, &closed, case.stack);
        check_refusal(case, &tf)
    })
    .await
    .expect("case runs");
    match inventory::take(aws).await {
        Ok(now) => {
            let added = inventory::added(baseline, &now);
            if !added.is_empty() {
                outcome
                    .problems
                    .push(format!("moto holds new objects: {added:?}"));
            }
        }
        Err(err) => outcome.problems.push(format!("inventory failed: {err}")),
    }
    outcome
}

/// A case about updating an existing stack: apply `prior` on a moto of its own, check the
/// refusal, destroy, and compare that moto with its own baseline.
async fn run_update_case(case: &'static Case, closed: &str) -> Outcome {
    let moto = Moto::start_async().await.expect("moto starts");
    let aws = AwsInspector::for_moto(&moto).await;
    let baseline = inventory::take(&aws).await.expect("inventory");
    let closed = closed.to_string();
    let (mut outcome, moto) = tokio::task::spawn_blocking(move || {
        let prior = case.prior.unwrap_or_default();
        let tf = prepare(case, &moto, &closed, prior);
        let applied = tf.apply();
        if !applied.success() {
            let problems = vec![format!("the prior stack did not apply\n{applied}")];
            return (finished(case, Duration::ZERO, problems), moto);
        }
        write_config(case, &tf, &moto, &closed, case.stack);
        let result = check_refusal(case, &tf);
        // Terraform 1.0's destroy plans the configuration first: back to what exists.
        write_config(case, &tf, &moto, &closed, prior);
        let destroyed = tf.destroy();
        let mut result = result;
        if !destroyed.success() {
            result.problems.push(format!("destroy failed\n{destroyed}"));
        }
        (result, moto)
    })
    .await
    .expect("case runs");
    let added = inventory::added(&baseline, &inventory::take(&aws).await.expect("inventory"));
    if !added.is_empty() {
        outcome
            .problems
            .push(format!("objects left after destroy: {added:?}"));
    }
    drop(moto);
    outcome
}

fn finished(case: &Case, elapsed: Duration, problems: Vec<String>) -> Outcome {
    Outcome {
        case: case.name,
        stage: case.stage,
        elapsed,
        problems,
    }
}

/// `validate`, then `apply`: the refusal must come at the case's stage, and apply must stop
/// before creating anything.
fn check_refusal(case: &Case, tf: &TerraformDir) -> Outcome {
    let started = Instant::now();
    let mut problems = Vec::new();
    let validated = tf.validate();
    match case.stage {
        Stage::Validate => problems.extend(refusal_problems(case, &validated)),
        Stage::Plan if !validated.success() => {
            problems.push(format!(
                "a plan-time rule failed validate already\n{validated}"
            ));
        }
        Stage::Plan => {}
    }
    let apply_started = Instant::now();
    let applied = tf.apply();
    let apply_time = apply_started.elapsed();
    problems.extend(refusal_problems(case, &applied));
    for started_work in ["Creating...", "Modifying...", "Destroying..."] {
        if applied.stdout.contains(started_work) {
            problems.push(format!("apply went past plan ({started_work})\n{applied}"));
        }
    }
    if apply_time > FAST_FAILURE {
        problems.push(format!(
            "apply took {apply_time:?} to fail; at most {FAST_FAILURE:?} expected"
        ));
    }
    finished(case, started.elapsed(), problems)
}

/// Everything wrong with how `output` refuses `case`.
fn refusal_problems(case: &Case, output: &TfOutput) -> Vec<String> {
    let mut problems = Vec::new();
    let text = output.combined();
    let flat = flatten(&text);
    if output.success() || output.timed_out {
        problems.push("Terraform did not fail".to_string());
    }
    if !text.contains("Error: ") {
        problems.push("no error diagnostic".to_string());
    }
    if !points_at_target(output, case.target) {
        problems.push(format!("the error does not point at {:?}", case.target));
    }
    if !flat.contains(&flatten(case.says)) {
        problems.push(format!("the message does not say {:?}", case.says));
    }
    let lower = text.to_lowercase();
    for sign in CRASH_SIGNS {
        if lower.contains(sign) {
            problems.push(format!("crash sign {sign:?} in the output"));
        }
    }
    if !problems.is_empty() {
        problems.push(output.to_string());
    }
    problems
}

fn points_at_target(output: &TfOutput, target: Target) -> bool {
    let text = output.combined();
    match target {
        Target::Resource(attribute) => {
            output.points_at_attribute(attribute) && text.contains("wordpress_ha_stack.bad")
        }
        Target::Provider(attribute) => {
            output.points_at_attribute(attribute) && text.contains("in provider \"wordpress\"")
        }
        Target::ProviderBlock => text.lines().any(quotes_provider_block),
    }
}

/// `   7: provider "wordpress" {`: the source line Terraform quotes for a whole-block error.
fn quotes_provider_block(line: &str) -> bool {
    let Some((number, source)) = line.trim_start().split_once(':') else {
        return false;
    };
    !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit())
        && source.trim_start().starts_with("provider \"wordpress\"")
}

/// Text with line wraps and runs of spaces made single spaces, for phrase matching.
fn flatten(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A work dir for `case` with its environment and its configuration (`stack` as the body).
fn prepare(case: &Case, moto: &Moto, closed: &str, stack: &str) -> TerraformDir {
    let mut tf = TerraformDir::new(&format!("bad-input-{}", case.name), moto).expect("work dir");
    set_environment(&mut tf, case.env, closed);
    write_config(case, &tf, moto, closed, stack);
    tf
}

fn write_config(case: &Case, tf: &TerraformDir, moto: &Moto, closed: &str, stack: &str) {
    let provider = match case.provider {
        Some(body) => provider_hcl(
            &body
                .replace("{moto}", &moto.endpoint())
                .replace("{closed}", closed),
        ),
        None => tf.provider_hcl(),
    };
    tf.write_main(&format!("{provider}\n{}", resource_hcl(stack)))
        .expect("write main.tf");
}

fn provider_hcl(body: &str) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    wordpress = {{ source = \"{PROVIDER_SOURCE}\" }}\n  }}\n}}\n\nprovider \"wordpress\" {{\n  {body}\n}}\n"
    )
}

/// The stack `bad` with `body`, named `blog` unless the body names it. One-line blocks of the
/// table (`network { vpc_cidr = "x" }`) get their attribute on a line of its own, as people
/// write them and as the check that the error quotes the attribute's line expects.
fn resource_hcl(body: &str) -> String {
    let body = body
        .lines()
        .map(expand_one_line_block)
        .collect::<Vec<_>>()
        .join("\n");
    let sets_name = body.lines().any(|line| {
        line.trim_start().starts_with("name ") || line.trim_start().starts_with("name=")
    });
    let name = if sets_name { "" } else { "name = \"blog\"\n  " };
    format!("resource \"wordpress_ha_stack\" \"bad\" {{\n  {name}{body}\n}}\n")
}

fn set_environment(tf: &mut TerraformDir, env: Env, closed: &str) {
    let dir = tf.path().to_path_buf();
    let home = dir.join("home");
    std::fs::create_dir_all(&home).expect("home dir");
    let config = dir.join("aws-config");
    let credentials = dir.join("aws-credentials");
    let (config_text, credentials_text) = match env {
        Env::DevProfileOnly => (
            "[profile dev]\nregion = us-east-1\n",
            "[dev]\naws_access_key_id = testing\naws_secret_access_key = testing\n",
        ),
        _ => ("", ""),
    };
    std::fs::write(&config, config_text).expect("write aws config");
    std::fs::write(&credentials, credentials_text).expect("write aws credentials");
    // Never the developer's own files, whatever the case.
    tf.set_env("HOME", &home.display().to_string());
    tf.set_env("AWS_CONFIG_FILE", &config.display().to_string());
    tf.set_env(
        "AWS_SHARED_CREDENTIALS_FILE",
        &credentials.display().to_string(),
    );
    match env {
        Env::NoCredentials => {
            // Blank counts as unset for the SDK's environment provider.
            for key in [
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN",
            ] {
                tf.set_env(key, "");
            }
        }
        Env::ClosedAwsEndpointUrl => tf.set_env("AWS_ENDPOINT_URL", closed),
        Env::Moto | Env::DevProfileOnly => {}
    }
}

/// `block { attribute = value }` → the block over three lines; other lines as they are.
fn expand_one_line_block(line: &str) -> String {
    let trimmed = line.trim();
    let Some((block, rest)) = trimmed.split_once(" { ") else {
        return line.to_string();
    };
    let is_block_name =
        !block.is_empty() && block.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    match rest.strip_suffix(" }") {
        Some(inner) if is_block_name => format!("{block} {{\n    {inner}\n  }}"),
        _ => line.to_string(),
    }
}

/// `http://127.0.0.1:PORT` of a port that was just free: nothing listens on it.
fn closed_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

fn report(outcomes: &mut [Outcome], total: Duration) {
    outcomes.sort_by_key(|o| o.case);
    eprintln!("{:<48} {:<9} {:>7}  result", "case", "stage", "seconds");
    for o in outcomes.iter() {
        let result = if o.problems.is_empty() {
            "ok"
        } else {
            "FAILED"
        };
        eprintln!(
            "{:<48} {:<9} {:>7.1}  {result}",
            o.case,
            format!("{:?}", o.stage),
            o.elapsed.as_secs_f64()
        );
    }
    eprintln!("{} cases in {:.1}s", outcomes.len(), total.as_secs_f64());
}
