//! A Terraform working directory wired to the freshly built provider and to one moto server.
//!
//! Each [`TerraformDir`] lives in `<workspace>/target/e2e/<test>-<n>` (git-ignored through
//! `/target`) and holds the configuration, a CLI config whose `dev_overrides` point Terraform at
//! the provider binary (so no `terraform init` and no registry), and the state. Every command runs
//! the real `.tools/bin/terraform` with the AWS environment of the test's moto, in its own process
//! group so a hung run (Terraform and its provider child) can be killed whole. The directory is
//! removed when the test passes and kept when it fails, for a look at the state and the HCL.

mod output;
mod process;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::harness::moto::Moto;
use crate::{workspace_root, REGION};

pub use output::{find_resource, TfOutput};
pub use process::RunningCommand;

/// The provider's source address, as users write it in `required_providers`.
pub const PROVIDER_SOURCE: &str = "wpstack/wordpress";
/// The provider executable's file name (dev_overrides look for `terraform-provider-<type>`).
pub const PROVIDER_BINARY: &str = "terraform-provider-wordpress";
/// Longest a single Terraform command may run before it is killed (env `E2E_TERRAFORM_TIMEOUT_SECS`).
const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(600);

/// Variables of the developer's shell that would change what a test does: another AWS account
/// or profile, Terraform arguments, workspaces or data dirs.
const SCRUBBED_ENV: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "TF_CLI_ARGS",
    "TF_CLI_ARGS_plan",
    "TF_CLI_ARGS_apply",
    "TF_CLI_ARGS_destroy",
    "TF_CLI_ARGS_import",
    "TF_DATA_DIR",
    "TF_WORKSPACE",
    "TF_REATTACH_PROVIDERS",
];

static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error("{what} not found at {path}: {hint}")]
    Missing {
        what: &'static str,
        path: PathBuf,
        hint: &'static str,
    },
    #[error("could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One test's Terraform working directory.
#[derive(Debug)]
pub struct TerraformDir {
    dir: PathBuf,
    terraform: PathBuf,
    endpoint: String,
    aws_log: Option<PathBuf>,
    env: Vec<(String, String)>,
    timeout: Duration,
}

impl TerraformDir {
    /// A fresh directory `target/e2e/<test>-<pid>-<n>` whose Terraform talks to `moto`.
    pub fn new(test: &str, moto: &Moto) -> Result<TerraformDir, HarnessError> {
        TerraformDir::with_endpoint(test, moto, &moto.endpoint())
    }

    /// Like [`TerraformDir::new`], but the provider (and `AWS_ENDPOINT_URL`) point at `endpoint`,
    /// e.g. a fault proxy in front of `moto`.
    pub fn with_endpoint(
        test: &str,
        moto: &Moto,
        endpoint: &str,
    ) -> Result<TerraformDir, HarnessError> {
        let mut env = moto.aws_env();
        for (key, value) in env.iter_mut() {
            if key == "AWS_ENDPOINT_URL" {
                *value = endpoint.to_string();
            }
        }
        TerraformDir::with_aws_env(test, env, endpoint, Some(moto.log_path().to_path_buf()))
    }

    /// A fresh directory whose Terraform gets exactly `aws_env` (credentials, region, endpoint)
    /// on top of the harness's own variables: a moto server's, or a real account's. `endpoint` is
    /// what [`TerraformDir::provider_hcl`] writes (empty for real AWS); `aws_log` is named when a
    /// failing test keeps its directory.
    pub fn with_aws_env(
        test: &str,
        aws_env: Vec<(String, String)>,
        endpoint: &str,
        aws_log: Option<PathBuf>,
    ) -> Result<TerraformDir, HarnessError> {
        let root = workspace_root();
        let terraform = root.join(".tools").join("bin").join("terraform");
        if !terraform.is_file() {
            return Err(HarnessError::Missing {
                what: "the Terraform CLI",
                path: terraform,
                hint: "run ./scripts/bootstrap",
            });
        }
        let dir = fresh_dir(&root, test)?;
        let provider_dir = provider_dir(&dir)?;
        let cli_config = dir.join("terraformrc");
        write(&cli_config, &cli_config_text(&provider_dir))?;
        let mut env = aws_env;
        env.extend(
            [
                ("TF_CLI_CONFIG_FILE", cli_config.display().to_string()),
                ("TF_IN_AUTOMATION", "1".to_string()),
                ("CHECKPOINT_DISABLE", "1".to_string()),
                ("TF_INPUT", "0".to_string()),
            ]
            .map(|(k, v)| (k.to_string(), v)),
        );
        Ok(TerraformDir {
            dir,
            terraform,
            endpoint: endpoint.to_string(),
            aws_log,
            env,
            timeout: command_timeout(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The environment every command gets (AWS credentials and endpoint, the CLI config): for a
    /// script that runs Terraform itself in this directory.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// Also give every later command `key=value` (e.g. the provider's `WORDPRESS_HA_TIME_SCALE`).
    pub fn add_env(&mut self, key: &str, value: &str) {
        self.env.push((key.to_string(), value.to_string()));
    }

    /// Set one environment variable for every command run from now on, replacing the test
    /// default (e.g. blank `AWS_ACCESS_KEY_ID` to test missing credentials).
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value.to_string()));
    }

    /// The `terraform` + `provider` blocks for this test's moto; prepend them to resources.
    pub fn provider_hcl(&self) -> String {
        provider_hcl(&self.endpoint)
    }

    /// Write one file (e.g. `terraform.tfvars`) into the directory.
    pub fn write_file(&self, name: &str, text: &str) -> Result<(), HarnessError> {
        write(&self.dir.join(name), text)
    }

    /// Write `main.tf` as given (the caller includes the provider block).
    pub fn write_main(&self, hcl: &str) -> Result<(), HarnessError> {
        write(&self.dir.join("main.tf"), hcl)
    }

    /// Write `main.tf` = this test's provider blocks + `resources`.
    pub fn write_stack(&self, resources: &str) -> Result<(), HarnessError> {
        self.write_main(&format!("{}\n{resources}", self.provider_hcl()))
    }

    /// Copy every `*.tf` file of `source` (e.g. `examples/default`) into this directory.
    pub fn copy_configuration(&self, source: &Path) -> Result<(), HarnessError> {
        let io = |action, path: &Path, source| HarnessError::Io {
            action,
            path: path.to_path_buf(),
            source,
        };
        let entries = std::fs::read_dir(source).map_err(|e| io("read", source, e))?;
        for entry in entries {
            let path = entry.map_err(|e| io("read", source, e))?.path();
            if path.extension().is_some_and(|ext| ext == "tf") {
                if let Some(name) = path.file_name() {
                    std::fs::copy(&path, self.dir.join(name)).map_err(|e| io("copy", &path, e))?;
                }
            }
        }
        Ok(())
    }

    /// Run `terraform <command> [-input=false] -no-color <rest>`: the flags go right after the
    /// (sub)command, since Terraform stops reading flags at the first positional argument.
    pub fn run(&self, args: &[&str]) -> TfOutput {
        self.run_exact(&with_common_flags(args))
    }

    pub fn validate(&self) -> TfOutput {
        self.run(&["validate"])
    }

    /// `plan -detailed-exitcode`: 0 no changes, 1 error, 2 changes.
    pub fn plan(&self) -> TfOutput {
        self.run(&["plan", "-detailed-exitcode"])
    }

    pub fn apply(&self) -> TfOutput {
        self.run(&["apply", "-auto-approve"])
    }

    pub fn destroy(&self) -> TfOutput {
        self.run(&["destroy", "-auto-approve"])
    }

    pub fn import(&self, address: &str, id: &str) -> TfOutput {
        self.run(&["import", address, id])
    }

    /// `terraform output -json`, parsed; panics with the output on failure.
    #[track_caller]
    pub fn outputs(&self) -> serde_json::Value {
        self.run_exact(&["output".into(), "-json".into()])
            .assert_success()
            .json()
    }

    /// `terraform show -json` (the state), parsed; panics with the output on failure.
    #[track_caller]
    pub fn show_state(&self) -> serde_json::Value {
        self.run_exact(&["show".into(), "-json".into(), "-no-color".into()])
            .assert_success()
            .json()
    }

    /// The `values` of one resource in the state (e.g. `wordpress_ha_stack.blog`).
    #[track_caller]
    pub fn resource_values(&self, address: &str) -> serde_json::Value {
        let state = self.show_state();
        match find_resource(&state, address) {
            Some(values) => values,
            None => panic!("{address} is not in the state:\n{state:#}"),
        }
    }

    /// The instance (`status`, `attributes`…) of resource `type_name.name` in the local
    /// `terraform.tfstate`, if any: read directly, much cheaper than `terraform show -json`
    /// when a test looks often.
    pub fn state_file_instance(&self, type_name: &str, name: &str) -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(self.dir.join("terraform.tfstate")).ok()?;
        let state: serde_json::Value = serde_json::from_str(&text).expect("the state file is JSON");
        let resource = state["resources"]
            .as_array()?
            .iter()
            .find(|r| r["type"] == type_name && r["name"] == name)?;
        resource["instances"].get(0).cloned()
    }

    /// Run Terraform with exactly these arguments.
    pub fn run_exact(&self, args: &[String]) -> TfOutput {
        match self.spawn_exact(args) {
            Ok(running) => running.wait(self.timeout),
            Err(err) => TfOutput {
                args: args.to_vec(),
                code: None,
                stdout: String::new(),
                stderr: format!("could not start {}: {err}", self.terraform.display()),
                timed_out: false,
            },
        }
    }

    /// Start `terraform <args>` (common flags added as by [`TerraformDir::run`]) without waiting,
    /// e.g. to kill an apply halfway.
    pub fn spawn(&self, args: &[&str]) -> std::io::Result<RunningCommand> {
        self.spawn_exact(&with_common_flags(args))
    }

    fn spawn_exact(&self, args: &[String]) -> std::io::Result<RunningCommand> {
        let mut command = Command::new(&self.terraform);
        for name in SCRUBBED_ENV {
            command.env_remove(name);
        }
        let child = command
            .args(args)
            .current_dir(&self.dir)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own group, so a kill reaches Terraform and the provider it launched.
            .process_group(0)
            .spawn()?;
        Ok(RunningCommand::new(child, args.to_vec()))
    }
}

impl Drop for TerraformDir {
    fn drop(&mut self) {
        // Keep a failed test's directory for inspection; tidy up after a passing one.
        if std::thread::panicking() {
            eprintln!("e2e: kept the Terraform work dir {}", self.dir.display());
            if let Some(log) = &self.aws_log {
                eprintln!("e2e: moto's log is {}", log.display());
            }
        } else if std::env::var_os("E2E_KEEP_DIRS").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// `terraform { required_providers }` + `provider "wordpress"` pointed at `endpoint`.
pub fn provider_hcl(endpoint: &str) -> String {
    provider_hcl_in(endpoint, REGION)
}

/// [`provider_hcl`] in `region` (moto serves every region at one endpoint).
pub fn provider_hcl_in(endpoint: &str, region: &str) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    wordpress = {{ source = "{PROVIDER_SOURCE}" }}
  }}
}}

provider "wordpress" {{
  region       = "{region}"
  endpoint_url = "{endpoint}"
}}
"#
    )
}

/// The CLI config that makes Terraform load our binary from `provider_dir`.
fn cli_config_text(provider_dir: &Path) -> String {
    format!(
        r#"provider_installation {{
  dev_overrides {{
    "{PROVIDER_SOURCE}" = "{}"
  }}
  direct {{}}
}}
"#,
        provider_dir.display()
    )
}

/// The provider executable the tests drive, for its commands for people (`review`, `diagram`):
/// `$WORDPRESS_PROVIDER_BIN`, else the one `cargo build` put beside this test binary.
pub fn provider_binary() -> PathBuf {
    std::env::var_os("WORDPRESS_PROVIDER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| build_profile_dir().join(PROVIDER_BINARY))
}

/// The directory holding `terraform-provider-wordpress`: `$WORDPRESS_PROVIDER_BIN` (linked
/// under the work dir when its file name differs), else the profile dir of this test binary
/// (`<target>/debug`), which is where `cargo build` put the provider.
fn provider_dir(work_dir: &Path) -> Result<PathBuf, HarnessError> {
    if let Some(explicit) = std::env::var_os("WORDPRESS_PROVIDER_BIN") {
        return explicit_provider_dir(PathBuf::from(explicit), work_dir);
    }
    let dir = build_profile_dir();
    let binary = dir.join(PROVIDER_BINARY);
    if binary.is_file() {
        Ok(dir)
    } else {
        Err(HarnessError::Missing {
            what: "the provider binary",
            path: binary,
            hint:
                "build it first: cargo build -p terraform-provider-wordpress (./scripts/test does)",
        })
    }
}

fn explicit_provider_dir(binary: PathBuf, work_dir: &Path) -> Result<PathBuf, HarnessError> {
    if !binary.is_file() {
        return Err(HarnessError::Missing {
            what: "WORDPRESS_PROVIDER_BIN",
            path: binary,
            hint: "point it at a built terraform-provider-wordpress",
        });
    }
    if binary.file_name().is_some_and(|n| n == PROVIDER_BINARY) {
        if let Some(dir) = binary.parent() {
            return Ok(dir.to_path_buf());
        }
    }
    let link_dir = work_dir.join("provider");
    let io = |action, source| HarnessError::Io {
        action,
        path: link_dir.clone(),
        source,
    };
    std::fs::create_dir_all(&link_dir).map_err(|e| io("create", e))?;
    let absolute = std::fs::canonicalize(&binary).map_err(|e| io("resolve", e))?;
    std::os::unix::fs::symlink(absolute, link_dir.join(PROVIDER_BINARY))
        .map_err(|e| io("link the provider into", e))?;
    Ok(link_dir)
}

/// `<target>/<profile>`: integration test binaries run from `<target>/<profile>/deps/`.
/// A runner binary (`src/bin/`) sits in `<target>/debug` beside the provider; a test binary one
/// level down, in `<target>/debug/deps`.
fn build_profile_dir() -> PathBuf {
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.to_path_buf()));
    match exe_dir {
        Some(dir) if dir.join(PROVIDER_BINARY).is_file() => dir,
        Some(dir) => dir
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| workspace_root().join("target").join("debug")),
        None => workspace_root().join("target").join("debug"),
    }
}

fn command_timeout() -> Duration {
    std::env::var("E2E_TERRAFORM_TIMEOUT_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_COMMAND_TIMEOUT)
}

/// `<root>/target/e2e/<test>-<n>`, emptied of any leftover from an earlier run.
fn fresh_dir(root: &Path, test: &str) -> Result<PathBuf, HarnessError> {
    let n = NEXT_DIR.fetch_add(1, Ordering::Relaxed);
    // The pid keeps two processes running the same test (or script) out of each other's dirs.
    let pid = std::process::id();
    let dir = root
        .join("target")
        .join("e2e")
        .join(format!("{test}-{pid}-{n}"));
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|source| HarnessError::Io {
            action: "clear",
            path: dir.clone(),
            source,
        })?;
    }
    std::fs::create_dir_all(&dir).map_err(|source| HarnessError::Io {
        action: "create",
        path: dir.clone(),
        source,
    })?;
    Ok(dir)
}

fn write(path: &Path, text: &str) -> Result<(), HarnessError> {
    std::fs::write(path, text).map_err(|source| HarnessError::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    })
}

/// Commands that accept `-input=false` (validate, output, show and state do not).
fn takes_input_flag(command: &str) -> bool {
    matches!(
        command,
        "plan" | "apply" | "destroy" | "import" | "refresh" | "init"
    )
}

/// `args` with `-no-color` (and `-input=false` where accepted) after the (sub)command.
fn with_common_flags(args: &[&str]) -> Vec<String> {
    let command_words = match args.first() {
        Some(&"state") => 2,
        Some(_) => 1,
        None => 0,
    }
    .min(args.len());
    let mut full: Vec<String> = args[..command_words]
        .iter()
        .map(|a| a.to_string())
        .collect();
    if args.first().is_some_and(|c| takes_input_flag(c)) {
        full.push("-input=false".to_string());
    }
    if args.first() != Some(&"state") {
        full.push("-no-color".to_string());
    }
    full.extend(args[command_words..].iter().map(|a| a.to_string()));
    full
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_config_overrides_our_source_address_only() {
        let text = cli_config_text(Path::new("/opt/bin"));
        assert!(
            text.contains(r#""wpstack/wordpress" = "/opt/bin""#),
            "{text}"
        );
        assert!(text.contains("direct {}"), "{text}");
    }

    #[test]
    fn provider_block_points_at_the_endpoint() {
        let hcl = provider_hcl("http://127.0.0.1:1234");
        assert!(
            hcl.contains(r#"endpoint_url = "http://127.0.0.1:1234""#),
            "{hcl}"
        );
        assert!(hcl.contains(r#"source = "wpstack/wordpress""#), "{hcl}");
    }

    #[test]
    fn common_flags_come_before_positional_arguments() {
        assert_eq!(
            with_common_flags(&["import", "wordpress_ha_stack.a", "a"]),
            [
                "import",
                "-input=false",
                "-no-color",
                "wordpress_ha_stack.a",
                "a"
            ]
        );
        assert_eq!(with_common_flags(&["validate"]), ["validate", "-no-color"]);
        assert_eq!(with_common_flags(&["state", "list"]), ["state", "list"]);
    }
}
