//! The packaged provider installs the way users install it: `scripts/release` zips the binary the
//! suite already built, `scripts/install-mirror` places it in a local filesystem mirror, and a
//! fresh `terraform init` (no dev_overrides, with every network access but moto's blocked)
//! installs it from there, records its hash in `.terraform.lock.hcl`, then validates and plans
//! the resource example of the generated docs against moto.
//!
//! Then the registry-ready release (issue 18): every platform this machine can build, the
//! `SHA256SUMS` signed with a throwaway GPG key and verified, init and plan from the filesystem
//! mirror and from the same directory served as a provider network mirror over HTTPS on
//! loopback (a self-signed CA trusted through `SSL_CERT_FILE`), each platform's `h1:` locked
//! from the mirror, and, served by the provider registry protocol with the throwaway key,
//! Terraform verifying the signature and locking every platform's `zh:` hash.

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
    // The plan's preflight checks the hosted zone against the account; the example's zone id
    // is a placeholder no moto account has, so its dns block is left out here.
    let example = without_block(example, "  dns {");
    format!(
        "terraform {{\n  required_providers {{\n    wordpress = {{ source = \"wpstack/wordpress\" }}\n  }}\n}}\n\n\
         provider \"wordpress\" {{\n  region       = \"us-east-1\"\n  endpoint_url = \"{endpoint}\"\n}}\n\n{example}"
    )
}

/// `hcl` without the block opening with the line `opening` (through its closing `  }`).
fn without_block(hcl: &str, opening: &str) -> String {
    let mut kept = String::new();
    let mut skipping = false;
    for line in hcl.lines() {
        if line == opening {
            skipping = true;
        } else if skipping && line == "  }" {
            skipping = false;
            continue;
        }
        if !skipping {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    kept
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

// ---- issue 18: every platform this machine builds, signed, installed from both mirrors ----

/// Every platform `scripts/release` knows, in Go's names.
const PLATFORMS: [&str; 5] = [
    "linux_amd64",
    "linux_arm64",
    "darwin_amd64",
    "darwin_arm64",
    "windows_amd64",
];

/// A throwaway GPG keyring holding one signing key; its armored secret key, for the release.
fn throwaway_signing_key(home: &Path) -> String {
    let gpg = |args: &[&str]| {
        Command::new("gpg")
            .arg("--homedir")
            .arg(home)
            .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", ""])
            .args(args)
            .output()
            .expect("gpg runs")
    };
    // RSA: the key type the Terraform and OpenTofu registries accept.
    succeed(
        "gpg --quick-gen-key",
        gpg(&[
            "--quick-gen-key",
            "wordpress release test <release-test@example.invalid>",
            "rsa2048",
            "sign",
            "1d",
        ]),
    );
    succeed(
        "gpg --export-secret-keys",
        gpg(&["--armor", "--export-secret-keys"]),
    )
}

/// A CA and a server certificate for `localhost` signed by it: (CA PEM, cert PEM, key PEM).
fn loopback_tls() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("CA key"))
        .expect("CA certificate");
    let key = KeyPair::generate().expect("server key");
    let server = CertificateParams::new(vec!["localhost".to_string()])
        .expect("server params")
        .signed_by(&key, &ca)
        .expect("server certificate");
    (ca.pem(), server.pem(), key.serialize_pem())
}

/// A static HTTPS server over `dir` on a loopback port (Python's http.server behind TLS).
struct HttpsServer {
    child: std::process::Child,
    port: u16,
}

impl HttpsServer {
    fn serve(dir: &Path, cert: &Path, key: &Path) -> HttpsServer {
        use std::io::BufRead;
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(
                "import functools, http.server, ssl, sys\n\
                 handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])\n\
                 server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)\n\
                 tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n\
                 tls.load_cert_chain(sys.argv[2], sys.argv[3])\n\
                 server.socket = tls.wrap_socket(server.socket, server_side=True)\n\
                 print(server.server_address[1], flush=True)\n\
                 server.serve_forever()",
            )
            .arg(dir)
            .arg(cert)
            .arg(key)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 serves");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("server stdout");
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the server says its port");
        let port = line.trim().parse().expect("a port number");
        HttpsServer { child, port }
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `terraform init` in a fresh directory with `cli_config`: the lock file it wrote.
fn init_from(
    work: &Path,
    name: &str,
    cli_config_text: &str,
    moto: &Moto,
    extra_env: &[(&str, &Path)],
) -> (PathBuf, String) {
    let dir = work.join(name);
    std::fs::create_dir_all(&dir).expect("config dir");
    std::fs::write(
        dir.join("main.tf"),
        docs_example_configuration(&moto.endpoint()),
    )
    .expect("write main.tf");
    let cli_config = work.join(format!("{name}.terraformrc"));
    std::fs::write(&cli_config, cli_config_text).expect("write the CLI config");
    let terraform = Terraform {
        dir: &dir,
        cli_config: &cli_config,
        moto,
    };
    let mut command = Command::new(workspace_root().join(".tools/bin/terraform"));
    command
        .args(["init", "-input=false", "-no-color"])
        .current_dir(&dir)
        .envs(moto.aws_env())
        .env("TF_CLI_CONFIG_FILE", &cli_config)
        .env("CHECKPOINT_DISABLE", "1")
        .env("HTTPS_PROXY", NO_NETWORK)
        .env("HTTP_PROXY", NO_NETWORK)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env_remove("TF_PLUGIN_CACHE_DIR");
    for (key, value) in extra_env {
        command.env(key, value);
    }
    let init = succeed(
        &format!("terraform init ({name})"),
        command.output().expect("init"),
    );
    assert!(
        init.contains(&format!("Installed wpstack/wordpress v{VERSION}")),
        "{init}"
    );
    let plan = terraform.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert_eq!(
        plan.status.code(),
        Some(2),
        "{name}: plan should propose a creation\n{}\n{}",
        text(&plan.stdout),
        text(&plan.stderr)
    );
    let lock = std::fs::read_to_string(dir.join(".terraform.lock.hcl")).expect("lock file");
    (dir, lock)
}

#[test]
fn a_signed_release_of_every_buildable_platform_installs_from_both_mirrors() {
    let binary = built_provider();
    let work = tempfile::tempdir().expect("temp dir");
    let artifacts = work.path().join("artifacts");
    let mirror = work.path().join("mirror");
    let gnupg = work.path().join("gnupg");
    std::fs::create_dir_all(&gnupg).expect("gnupg home");
    let secret_key = throwaway_signing_key(&gnupg);

    // This machine's binary is the suite's; every other platform is cross-built with the
    // quick `package-test` profile (`target/<triple>/package-test`; cargo test holds no lock
    // on the target dir while tests run), so CI pays minutes per platform, not the dist
    // build's LTO.
    let started = std::time::Instant::now();
    let mut release = script("release");
    // Not the variables cargo sets for this test (CARGO_PKG_*, LD_LIBRARY_PATH…): the nested
    // cargo then builds as `scripts/release` does from a shell, reusing what that built.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        let own = key.starts_with("CARGO_")
            && !matches!(
                &*key,
                "CARGO_HOME" | "CARGO_BUILD_JOBS" | "CARGO_TARGET_DIR"
            );
        if own || key == "CARGO" || key == "LD_LIBRARY_PATH" {
            release.env_remove(&*key);
        }
    }
    // `WORDPRESS_RELEASE_TEST_PLATFORMS` narrows the platforms (e.g. `linux_amd64`: no cross
    // build) for a quick local run; CI builds everything it can.
    let platforms = std::env::var("WORDPRESS_RELEASE_TEST_PLATFORMS")
        .unwrap_or_else(|_| "buildable".to_string());
    let release = release
        .args([
            "--platforms",
            &platforms,
            "--profile",
            "package-test",
            "--sign",
        ])
        .arg("--binary")
        .arg(&binary)
        .arg("--out")
        .arg(&artifacts)
        .env("WORDPRESS_RELEASE_GPG_KEY", &secret_key)
        .output()
        .expect("run scripts/release");
    let said = text(&release.stderr);
    succeed("scripts/release --platforms buildable --sign", release);
    eprintln!("release built in {:?}:\n{said}", started.elapsed());

    let zip = |platform: &str| artifacts.join(format!("{PROVIDER}_{VERSION}_{platform}.zip"));
    let built: Vec<&str> = PLATFORMS.into_iter().filter(|p| zip(p).is_file()).collect();
    assert!(built.contains(&this_platform().as_str()), "{said}");
    for platform in PLATFORMS {
        assert!(
            built.contains(&platform)
                || platforms != "buildable"
                || said.contains(&format!("skipping {platform}: ")),
            "{platform} neither built nor skipped with a reason:\n{said}"
        );
    }
    if platforms == "buildable"
        && workspace_root()
            .join(".tools/release/bin/cargo-zigbuild")
            .is_file()
    {
        assert!(built.contains(&"linux_arm64"), "{said}");
    }

    // The signature holds, and the signed sums name every zip and the manifest.
    let sums = artifacts.join(format!("{PROVIDER}_{VERSION}_SHA256SUMS"));
    let verify = Command::new("gpg")
        .arg("--homedir")
        .arg(&gnupg)
        .args(["--batch", "--verify"])
        .arg(sums.with_file_name(format!("{PROVIDER}_{VERSION}_SHA256SUMS.sig")))
        .arg(&sums)
        .output()
        .expect("gpg --verify runs");
    succeed("gpg --verify SHA256SUMS.sig", verify);
    let sums_text = std::fs::read_to_string(&sums).expect("SHA256SUMS");
    let mut zh = Vec::new();
    for platform in &built {
        let digest = sha256_hex(&zip(platform));
        let name = format!("{PROVIDER}_{VERSION}_{platform}.zip");
        assert!(
            sums_text.contains(&format!("{digest}  {name}\n")),
            "{sums_text}"
        );
        zh.push(format!("\"zh:{digest}\""));
    }
    assert!(sums_text.contains(&format!("{PROVIDER}_{VERSION}_manifest.json")));

    let fs_config = succeed(
        "scripts/install-mirror",
        script("install-mirror")
            .arg("--artifacts")
            .arg(&artifacts)
            .arg("--mirror")
            .arg(&mirror)
            .output()
            .expect("run scripts/install-mirror"),
    );
    let moto = Moto::start().expect("moto starts");

    // The filesystem mirror installs this machine's package; `providers lock` then records
    // every platform's from the same mirror.
    let (fs_dir, lock) = init_from(work.path(), "fs", &fs_config, &moto, &[]);
    assert!(
        lock.contains(&h1_hash_of_zip(&zip(&this_platform()))),
        "{lock}"
    );
    let cli_config = work.path().join("fs.terraformrc");
    // `providers lock` checks new platforms against the hashes already locked: start afresh.
    std::fs::remove_file(fs_dir.join(".terraform.lock.hcl")).expect("remove the lock file");
    let mut lock_all = Command::new(workspace_root().join(".tools/bin/terraform"));
    lock_all
        .args(["providers", "lock", "-no-color"])
        .arg(format!("-fs-mirror={}", mirror.display()))
        .current_dir(&fs_dir)
        .env("TF_CLI_CONFIG_FILE", &cli_config)
        .env("CHECKPOINT_DISABLE", "1");
    for platform in &built {
        lock_all.arg(format!("-platform={platform}"));
    }
    succeed(
        "terraform providers lock -fs-mirror",
        lock_all.output().expect("lock"),
    );
    let lock = std::fs::read_to_string(fs_dir.join(".terraform.lock.hcl")).expect("lock file");
    for platform in &built {
        let h1 = h1_hash_of_zip(&zip(platform));
        assert!(lock.contains(&h1), "{platform}'s {h1} missing:\n{lock}");
    }

    // The same directory served over HTTPS is a provider network mirror.
    let (ca, cert, key) = loopback_tls();
    let tls = work.path().join("tls");
    std::fs::create_dir_all(&tls).expect("tls dir");
    for (name, pem) in [("ca.pem", &ca), ("cert.pem", &cert), ("key.pem", &key)] {
        std::fs::write(tls.join(name), pem).expect("write PEM");
    }
    let server = HttpsServer::serve(&mirror, &tls.join("cert.pem"), &tls.join("key.pem"));
    let url = format!("https://localhost:{}/", server.port);
    let net_config = succeed(
        "scripts/install-mirror --network-url",
        script("install-mirror")
            .arg("--artifacts")
            .arg(&artifacts)
            .arg("--mirror")
            .arg(&mirror)
            .args(["--network-url", &url])
            .output()
            .expect("run scripts/install-mirror"),
    );
    assert!(net_config.contains("network_mirror"), "{net_config}");
    let (_, lock) = init_from(
        work.path(),
        "net",
        &net_config,
        &moto,
        &[("SSL_CERT_FILE", &tls.join("ca.pem"))],
    );
    assert!(
        lock.contains(&h1_hash_of_zip(&zip(&this_platform()))),
        "{lock}"
    );

    // Terraform 1.0 records a package's `zh:` hashes only when they come signed, as from a
    // registry: the release served by the provider registry protocol (through a `host` block
    // for registry.terraform.io, as the public registry would serve it) is verified against
    // the throwaway key, and the lock then holds every platform's `zh:`.
    let registry = work.path().join("registry");
    let registry_server = HttpsServer::serve(
        &registry_layout(&registry),
        &tls.join("cert.pem"),
        &tls.join("key.pem"),
    );
    let base = format!("https://localhost:{}", registry_server.port);
    write_registry_documents(&registry, &base, &artifacts, &built, &gnupg);
    let registry_config = format!(
        "host \"registry.terraform.io\" {{\n  services = {{\n    \"providers.v1\" = \"{base}/v1/providers/\"\n  }}\n}}\n"
    );
    let (registry_dir, lock) = init_from(
        work.path(),
        "registry",
        &registry_config,
        &moto,
        &[("SSL_CERT_FILE", &tls.join("ca.pem"))],
    );
    for hash in &zh {
        assert!(lock.contains(hash), "{hash} missing:\n{lock}");
    }
    drop((server, registry_server, registry_dir));
    let _ = Command::new("gpgconf")
        .arg("--homedir")
        .arg(&gnupg)
        .args(["--kill", "gpg-agent"])
        .output();
}

/// The directory a local registry serves, created.
fn registry_layout(root: &Path) -> PathBuf {
    std::fs::create_dir_all(root.join("files")).expect("registry dir");
    root.to_path_buf()
}

/// The provider registry protocol's documents for the release in `artifacts`, served at `base`
/// with the public half of the key in `gnupg`.
fn write_registry_documents(
    root: &Path,
    base: &str,
    artifacts: &Path,
    built: &[&str],
    gnupg: &Path,
) {
    for entry in std::fs::read_dir(artifacts).expect("artifacts") {
        let path = entry.expect("entry").path();
        if let Some(name) = path.file_name() {
            std::fs::copy(&path, root.join("files").join(name)).expect("copy an artifact");
        }
    }
    let gpg = |args: &[&str]| {
        let out = Command::new("gpg")
            .arg("--homedir")
            .arg(gnupg)
            .arg("--batch")
            .args(args)
            .output()
            .expect("gpg runs");
        succeed("gpg", out)
    };
    let public_key = gpg(&["--armor", "--export"]);
    let fingerprint = gpg(&["--with-colons", "--list-keys"])
        .lines()
        .find_map(|l| {
            l.strip_prefix("fpr:")
                .map(|f| f.trim_matches(':').to_string())
        })
        .expect("a fingerprint");
    let key_id = fingerprint[fingerprint.len() - 16..].to_string();
    let provider = root.join("v1/providers/wpstack/wordpress");
    let platforms: Vec<serde_json::Value> = built
        .iter()
        .map(|p| {
            let (os, arch) = p.split_once('_').expect("os_arch");
            serde_json::json!({"os": os, "arch": arch})
        })
        .collect();
    std::fs::create_dir_all(&provider).expect("provider dir");
    std::fs::write(
        provider.join("versions"),
        serde_json::json!({"versions": [{"version": VERSION, "protocols": ["6.0"], "platforms": platforms}]})
            .to_string(),
    )
    .expect("versions");
    let files = format!("{base}/files");
    for platform in built {
        let (os, arch) = platform.split_once('_').expect("os_arch");
        let filename = format!("{PROVIDER}_{VERSION}_{platform}.zip");
        let document = serde_json::json!({
            "protocols": ["6.0"],
            "os": os,
            "arch": arch,
            "filename": filename,
            "download_url": format!("{files}/{filename}"),
            "shasums_url": format!("{files}/{PROVIDER}_{VERSION}_SHA256SUMS"),
            "shasums_signature_url": format!("{files}/{PROVIDER}_{VERSION}_SHA256SUMS.sig"),
            "shasum": sha256_hex(&artifacts.join(&filename)),
            "signing_keys": {"gpg_public_keys": [{"key_id": key_id, "ascii_armor": public_key}]},
        });
        let dir = provider.join(VERSION).join("download").join(os);
        std::fs::create_dir_all(&dir).expect("download dir");
        std::fs::write(dir.join(arch), document.to_string()).expect("download document");
    }
}
