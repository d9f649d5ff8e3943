//! Shared by the user-data tests: sample inputs (ordinary and hostile), the external tools the
//! tests need (which must fail loudly, never skip, when missing), and reading the rendered
//! document back the way cloud-init does.

#![allow(dead_code)] // each test binary uses a different part of this module

pub mod machine;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use stack_model::secrets::WORDPRESS_KEY_NAMES;
use stack_model::secrets::{secret_document, SecretContents};
use stack_model::spec::{Secret, PROVIDER_HEALTH_CHECK_PATH};
use stack_model::userdata::UserDataInput;

/// Owned values behind a `UserDataInput`.
pub struct Fixture {
    pub stack_name: String,
    pub region: String,
    pub efs_id: String,
    /// The database's `host:port` in the secret; `None` while RDS is being created.
    pub db_host: Option<String>,
    pub db_name: String,
    pub db_user: String,
    pub secret_id: String,
    pub secret_version: String,
    /// What the secret holds: never rendered, served by the tests' `aws` stub. `None` while
    /// RDS is being created.
    pub db_password: Option<Secret>,
    pub wordpress_keys: BTreeMap<String, Secret>,
    pub image: String,
    pub config_extra: Option<String>,
    pub health_check_path: String,
    pub site_url: String,
    pub site_title: String,
    pub admin_user: String,
    pub admin_email: Option<String>,
    /// The site administrator's password in the secret: never rendered.
    pub admin_password: Secret,
    /// The stack's CloudWatch Logs group; `None`: the journal only.
    pub log_group: Option<String>,
}

impl Fixture {
    /// What a real stack would pass: AWS-shaped ids, generated-looking secrets.
    pub fn ordinary() -> Self {
        Fixture {
            stack_name: "blog".into(),
            region: "us-east-1".into(),
            efs_id: "fs-0123456789abcdef0".into(),
            db_host: Some("blog-db.c9akciq32.us-east-1.rds.amazonaws.com:3306".into()),
            db_name: "wordpress".into(),
            db_user: "wordpress".into(),
            secret_id: "arn:aws:secretsmanager:us-east-1:123456789012:secret:blog/wordpress-Ab12Cd"
                .into(),
            secret_version: "wpha-0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778".into(),
            db_password: Some(Secret::new("Xk2-vQ9_pLm~7Rt^Wz=4+aBc")),
            wordpress_keys: WORDPRESS_KEY_NAMES
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    (
                        name.to_string(),
                        Secret::new(format!("key-{i}-{}", "Ab9.".repeat(15))),
                    )
                })
                .collect(),
            image: "public.ecr.aws/docker/library/wordpress:6-apache".into(),
            config_extra: Some("define('WP_MEMORY_LIMIT', '256M');".into()),
            health_check_path: PROVIDER_HEALTH_CHECK_PATH.into(),
            site_url: "https://blog.example.com".into(),
            site_title: "Jane's \"Blog\" & Co".into(),
            admin_user: "jane.admin".into(),
            admin_email: Some("jane@example.com".into()),
            admin_password: Secret::new("Adm1n-pa55_word~from.the+secret"),
            log_group: None,
        }
    }

    /// Values built to break out of every layer: shell quotes and expansions, YAML markers,
    /// env-file lines, PHP quotes, and characters YAML would turn into line breaks.
    pub fn hostile() -> Self {
        let mut fixture = Fixture::ordinary();
        fixture.stack_name = "x'; touch PWNED-name; echo '".into();
        fixture.efs_id = "fs-1$(touch PWNED-efs)`touch PWNED-tick`".into();
        fixture.db_host = Some("db\"$(touch PWNED-host)\n- runcmd: [reboot]".into());
        fixture.db_name = "wp${IFS}name".into();
        fixture.db_user = "it's \\ me".into();
        fixture.db_password = Some(Secret::new("p'a\"s$s`w\\o!r#d\u{2028}é\nINJECTED=1"));
        fixture.secret_id = "arn:aws:secretsmanager:x'$(touch PWNED-secret)".into();
        fixture.wordpress_keys.insert(
            "AUTH_KEY".into(),
            Secret::new("k'$(touch PWNED-key)\rEVIL=1"),
        );
        fixture.image = "wordpress:6-apache; touch PWNED-image".into();
        fixture.config_extra = Some(
            "define('A', \"it's $HOME `id`\");\n?>\n#cloud-config\n  runcmd: [reboot]\r\n$(touch PWNED-php)\n// caf\u{e9} \u{85}end"
                .into(),
        );
        fixture.health_check_path = "/health'check.html".into();
        fixture.site_url = "http://x\"$(touch PWNED-url)'.example".into();
        fixture.site_title = "t'$(touch PWNED-title)`touch PWNED-tt`\"".into();
        fixture.admin_user = "a$(touch PWNED-user)".into();
        fixture.admin_email = Some("e'$(touch PWNED-email)@x.example".into());
        fixture.admin_password = Secret::new("p'$(touch PWNED-admin)\"`id`");
        fixture.log_group = Some("/wordpress/x'$(touch PWNED-logs)".into());
        fixture
    }

    pub fn input(&self) -> UserDataInput<'_> {
        UserDataInput {
            stack_name: &self.stack_name,
            region: &self.region,
            efs_id: &self.efs_id,
            db_name: &self.db_name,
            db_user: &self.db_user,
            secret_id: &self.secret_id,
            secret_version: &self.secret_version,
            image: &self.image,
            config_extra: self.config_extra.as_deref(),
            health_check_path: &self.health_check_path,
            site_url: &self.site_url,
            site_title: &self.site_title,
            admin_user: &self.admin_user,
            admin_email: self.admin_email.as_deref(),
            log_group: self.log_group.as_deref(),
        }
    }
}

impl Fixture {
    /// The same stack while RDS is still being created: its secret holds only the keys.
    pub fn before_the_database(mut self) -> Self {
        self.db_host = None;
        self.db_password = None;
        self
    }

    /// The secret's value, as the secrets tier stores it.
    pub fn secret_json(&self) -> String {
        secret_document(&SecretContents {
            password: self.db_password.clone(),
            db_host: self.db_host.clone(),
            admin_password: Some(self.admin_password.clone()),
            keys: self.wordpress_keys.clone(),
        })
        .expose()
        .to_string()
    }

    /// The env-file lines the script must add from the secret: host and password when the
    /// secret has them, then the keys in wp-config order, line breaks and NULs dropped.
    pub fn secret_env_lines(&self) -> Vec<String> {
        let single_line = |v: &str| v.replace(['\n', '\r', '\0'], "");
        let mut lines = Vec::new();
        if let Some(host) = &self.db_host {
            lines.push(format!("WORDPRESS_DB_HOST={}", single_line(host)));
        }
        if let Some(password) = &self.db_password {
            lines.push(format!(
                "WORDPRESS_DB_PASSWORD={}",
                single_line(password.expose())
            ));
        }
        for name in WORDPRESS_KEY_NAMES {
            lines.push(format!(
                "WORDPRESS_{name}={}",
                single_line(self.wordpress_keys[name].expose())
            ));
        }
        lines
    }
}

/// Fails the test (never skips it) when a tool the project's bootstrap installs is missing.
pub fn require_tool(tool: &str) {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    assert!(
        found,
        "`{tool}` is not installed: run scripts/bootstrap (it installs the Debian packages shellcheck and cloud-init) and retry"
    );
}

/// Runs `program` with `input` on stdin.
pub fn run_with_stdin(program: &str, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

/// The document as cloud-init reads it (PyYAML, which cloud-init itself uses), as JSON:
/// `{"write_files": [...], "runcmd": [...]}`.
pub fn parse_like_cloud_init(document: &str) -> serde_json::Value {
    require_tool("python3");
    let program = "import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))";
    let output = run_with_stdin("python3", &["-c", program], document);
    assert!(
        output.status.success(),
        "PyYAML could not read the document (is python3-yaml installed? run scripts/bootstrap):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("json from python")
}

/// The boot script carried by the document's `write_files` entry.
pub fn extract_script(document: &str) -> String {
    let parsed = parse_like_cloud_init(document);
    parsed["write_files"][0]["content"]
        .as_str()
        .unwrap_or_else(|| panic!("no write_files[0].content in {parsed}"))
        .to_string()
}

pub fn write_file(path: &Path, content: &str) {
    std::fs::write(path, content).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}
