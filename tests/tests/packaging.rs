//! The packaged provider installs the way users install it: `scripts/release` zips the binary the
//! suite already built, `scripts/install-mirror` places it in a local filesystem mirror, and a
//! fresh `terraform init` (no dev_overrides, with every network access but moto's blocked)
//! installs it from there, records its hash in `.terraform.lock.hcl`, then validates and plans
//! the resource example of the generated docs against moto.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use stack_tests::{workspace_root, Moto};

const PROVIDER: &str = "terraform-provider-wordpress";
/// The workspace version (Cargo.toml), which names the release.
const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Proxies that refuse every connection: Terraform must need no registry.
const NO_NETWORK: &str = "http://127.0.0.1:9";

/// The provider the suite built: `$WORDPRESS_PROVIDER_BIN`, else beside this test binary's
/// profile dir (`<target>/debug/deps/packaging-…` → `<target>/debug`).
fn built_provider() -> PathBuf {
    if let Some(explicit) = std::env::var_os("WORDPRESS_PROVIDER_BIN") {
        return PathBuf::from(explicit);
    }
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("<target>/<profile>");
    let binary = profile_dir.join(PROVIDER);
    assert!(
        binary.is_file(),
        "{} is missing: cargo build -p {PROVIDER} first (./scripts/test does)",
        binary.display()
    );
    binary
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Panics with the command's streams unless it exited 0; returns stdout.
#[track_caller]
fn succeed(what: &str, output: Output) -> String {
    assert!(
        output.status.success(),
        "{what} failed ({})\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

fn script(name: &str) -> Command {
    Command::new(workspace_root().join("scripts").join(name))
}

/// A Python one-off (python3 is on every machine of this project): hashing, unzipping.
fn python(code: &str, args: &[&Path]) -> String {
    let output = Command::new("python3")
        .arg("-c")
        .arg(code)
        .args(args)
        .output()
        .expect("python3 runs");
    succeed("python3", output).trim().to_string()
}

fn sha256_hex(path: &Path) -> String {
    python(
        "import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], 'rb').read()).hexdigest())",
        &[path],
    )
}

/// Terraform's `h1:` package hash of a zip: the SHA-256 of the lines `<sha256 hex>  <name>\n`
/// for every file in it, sorted by name, in base64.
fn h1_hash_of_zip(path: &Path) -> String {
    python(
        "import base64, hashlib, sys, zipfile\n\
         z = zipfile.ZipFile(sys.argv[1])\n\
         names = sorted(i.filename for i in z.infolist() if not i.is_dir())\n\
         lines = ''.join(f'{hashlib.sha256(z.read(n)).hexdigest()}  {n}\\n' for n in names)\n\
         print('h1:' + base64.b64encode(hashlib.sha256(lines.encode()).digest()).decode())",
        &[path],
    )
}

fn this_platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    format!("{os}_{arch}")
}

/// `terraform`/`provider` blocks followed by the resource example the docs show.
fn docs_example_configuration(endpoint: &str) -> String {
    let doc = std::fs::read_to_string(workspace_root().join("docs/resources/ha_stack.md"))
        .expect("docs/resources/ha_stack.md");
    let example = doc
        .split_once("```terraform\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(code, _)| code)
        .expect("the resource page has a terraform example");
    format!(
        "terraform {{\n  required_providers {{\n    wordpress = {{ source = \"wpstack/wordpress\" }}\n  }}\n}}\n\n\
         provider \"wordpress\" {{\n  region       = \"us-east-1\"\n  endpoint_url = \"{endpoint}\"\n}}\n\n{example}"
    )
}

struct Terraform<'a> {
    dir: &'a Path,
    cli_config: &'a Path,
    moto: &'a Moto,
}

impl Terraform<'_> {
    fn run(&self, args: &[&str]) -> Output {
        Command::new(workspace_root().join(".tools/bin/terraform"))
            .args(args)
            .current_dir(self.dir)
            .envs(self.moto.aws_env())
            .env("TF_CLI_CONFIG_FILE", self.cli_config)
            .env("TF_VAR_db_password", "correct-horse-battery")
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("HTTPS_PROXY", NO_NETWORK)
            .env("HTTP_PROXY", NO_NETWORK)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env_remove("TF_PLUGIN_CACHE_DIR")
            .output()
            .expect("terraform runs")
    }
}

#[test]
fn a_packaged_release_installs_from_a_filesystem_mirror_and_plans() {
    let binary = built_provider();
    let work = tempfile::tempdir().expect("temp dir");
    let artifacts = work.path().join("artifacts");
    let mirror = work.path().join("mirror");

    // Package the binary already built (no compile) and check what the registry expects.
    let listed = succeed(
        "scripts/release",
        script("release")
            .arg("--binary")
            .arg(&binary)
            .arg("--out")
            .arg(&artifacts)
            .output()
            .expect("run scripts/release"),
    );
    let platform = this_platform();
    let zip = artifacts.join(format!("{PROVIDER}_{VERSION}_{platform}.zip"));
    let sums = artifacts.join(format!("{PROVIDER}_{VERSION}_SHA256SUMS"));
    let manifest = artifacts.join(format!("{PROVIDER}_{VERSION}_manifest.json"));
    for file in [&zip, &sums, &manifest] {
        assert!(
            file.is_file(),
            "{} missing; the script said:\n{listed}",
            file.display()
        );
    }
    let manifest_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).expect("manifest")).expect("JSON");
    assert_eq!(
        manifest_json,
        serde_json::json!({"version": 1, "metadata": {"protocol_versions": ["6.0"]}})
    );
    let sums_text = std::fs::read_to_string(&sums).expect("SHA256SUMS");
    let zip_name = zip.file_name().and_then(|n| n.to_str()).expect("zip name");
    assert!(
        sums_text.contains(&format!("{}  {zip_name}\n", sha256_hex(&zip))),
        "SHA256SUMS lacks the zip's digest:\n{sums_text}"
    );
    let entries = python(
        "import sys, zipfile; print(' '.join(zipfile.ZipFile(sys.argv[1]).namelist()))",
        &[&zip],
    );
    assert_eq!(entries, format!("{PROVIDER}_v{VERSION}"));

    // Install into the mirror; stdout is the CLI configuration to use.
    let cli_config_text = succeed(
        "scripts/install-mirror",
        script("install-mirror")
            .arg("--artifacts")
            .arg(&artifacts)
            .arg("--mirror")
            .arg(&mirror)
            .output()
            .expect("run scripts/install-mirror"),
    );
    let mirrored = mirror
        .join("registry.terraform.io/wpstack/wordpress")
        .join(zip_name);
    assert!(mirrored.is_file(), "{} missing", mirrored.display());
    assert!(
        cli_config_text.contains("filesystem_mirror"),
        "{cli_config_text}"
    );
    assert!(
        !cli_config_text.contains("dev_overrides"),
        "{cli_config_text}"
    );
    let cli_config = work.path().join("terraformrc");
    std::fs::write(&cli_config, &cli_config_text).expect("write the CLI config");

    // A fresh working directory: the docs' resource example, planned against moto.
    let moto = Moto::start().expect("moto starts");
    let config_dir = work.path().join("config");
    std::fs::create_dir_all(&config_dir).expect("config dir");
    std::fs::write(
        config_dir.join("main.tf"),
        docs_example_configuration(&moto.endpoint()),
    )
    .expect("write main.tf");
    let terraform = Terraform {
        dir: &config_dir,
        cli_config: &cli_config,
        moto: &moto,
    };

    let init = succeed(
        "terraform init",
        terraform.run(&["init", "-input=false", "-no-color"]),
    );
    assert!(
        init.contains(&format!("Installed wpstack/wordpress v{VERSION}")),
        "{init}"
    );
    let lock = std::fs::read_to_string(config_dir.join(".terraform.lock.hcl")).expect("lock file");
    assert!(lock.contains(&format!("version = \"{VERSION}\"")), "{lock}");
    let h1 = h1_hash_of_zip(&zip);
    assert!(
        lock.contains(&format!("\"{h1}\"")),
        "lock file lacks {h1}:\n{lock}"
    );
    let installed = config_dir
        .join(".terraform/providers/registry.terraform.io/wpstack/wordpress")
        .join(VERSION)
        .join(&platform)
        .join(format!("{PROVIDER}_v{VERSION}"));
    assert_eq!(
        std::fs::read(&installed).expect("installed provider"),
        std::fs::read(&binary).expect("built provider"),
        "Terraform installed something else than the packaged binary"
    );

    succeed(
        "terraform validate",
        terraform.run(&["validate", "-no-color"]),
    );
    let plan = terraform.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert_eq!(
        plan.status.code(),
        Some(2),
        "plan should propose a creation\n{}\n{}",
        text(&plan.stdout),
        text(&plan.stderr)
    );
    let plan_text = text(&plan.stdout);
    assert!(
        plan_text.contains("wordpress_ha_stack.blog will be created"),
        "{plan_text}"
    );
    assert!(plan_text.contains("create NAT gateway"), "{plan_text}");
}
