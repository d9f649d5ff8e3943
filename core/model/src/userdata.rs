//! The user data of the WordPress instances: a cloud-init document for Amazon Linux 2023 that
//! writes a boot script and runs it. The script installs Docker and the EFS client, mounts the
//! stack's EFS file system (TLS, `_netdev`, retried until the mount target answers), pulls the
//! image (retried with a growing pause: registries throttle, and every instance pulls through
//! the same NAT address), and runs WordPress with `wp-content` on EFS, the database on RDS,
//! the stack's shared keys and salts, and `WP_HOME`/`WP_SITEURL` set to the stack's URL.
//!
//! # The health file
//! On the provider's own health check path (`spec::PROVIDER_HEALTH_CHECK_PATH`) the container
//! serves a three-line PHP page answering 200 "ok": Apache and PHP must work, the database is
//! not asked. A health check that read the database would fail on every instance at once
//! during a Multi-AZ failover, and the group would replace them all. A user path naming a
//! static file gets a static "OK" page; any other path is left to WordPress.
//!
//! # No secret in the user data
//! The database password and the keys live in the stack's Secrets Manager secret. The document
//! names that secret (ARN and version) and nothing more: at boot the script reads it with the
//! instance role (`aws secretsmanager get-secret-value`, retried a bounded number of times),
//! turns its JSON into env-file lines with python3 (both ship with Amazon Linux 2023), and
//! writes them to a root-only file. Anyone who can read the launch template or the instance's
//! user data (`ec2:DescribeLaunchTemplateVersions`, IMDS) learns where the secret is, not what
//! it says.
//!
//! # Booting before the database exists
//! The secret is made before the database, and the instances do not wait for RDS (the slowest
//! object AWS makes): the database's host and password reach the secret only once RDS has
//! the instance available. Until then the container starts without them: the health file
//! answers, so the instances register healthy, and WordPress reports that it cannot reach
//! its database. The watcher below restarts the container as soon as the secret's new
//! version carries them.
//!
//! # A new password without an outage
//! The script also installs a systemd timer that runs it again as `watch-secret` every 30 s:
//! it asks DescribeSecret (metadata only, no value) which version is `AWSCURRENT` and, when
//! that is not the version the container was started with, writes the env file from the new
//! version and replaces the container. So running instances follow a password change within
//! about a minute of the apply storing it, instead of failing every request until they are
//! replaced. The apply then points the group at a new template version naming the secret's
//! new version, without replacing instances, so instances launched later boot with it
//! directly.
//!
//! # Central logs
//! With the stack's CloudWatch Logs group named (`log_group`), the container runs with Docker's
//! `awslogs` driver (stream `wordpress/<instance id>`, `awslogs-create-group=false` so a
//! deleted group is never made again behind the stack's back, non-blocking so a slow
//! CloudWatch Logs never stalls WordPress), and the boot's output is kept in a file while it
//! runs and shipped with `aws logs put-log-events` to `boot/<instance id>` when it ends, even
//! when it fails: at that point the network is as up as the boot could make it, and the
//! journal (cloud-init's output) keeps everything either way. The instance id comes from
//! cloud-init's own record on disk, not from the network.
//!
//! cloud-init runs the script once per instance. A reboot needs no script: the fstab line
//! (`_netdev`) remounts EFS, a systemd drop-in (`RequiresMountsFor`) holds Docker until then,
//! and `--restart always` brings the container back. Run again anyway, the script changes
//! nothing twice: the fstab line is added once and the container is replaced, not doubled.
//!
//! # The site installed at first boot
//! Once the container knows its database, the script starts a systemd unit that runs it again
//! as `install-site`: `wp core is-installed || wp core install` with the official WP-CLI image
//! (`cli_image`: the `cli` tag of the WordPress image's repository), on the container's files
//! and env file, retried until the database answers. The fleet shares a lock file on EFS
//! (`flock`), so one instance installs and the others find WordPress installed. The site's
//! title, administrator and e-mail are rendered values; the administrator's password is read
//! from the secret (`SECRET_ADMIN_PASSWORD_FIELD`) and piped to WP-CLI's prompt, never an
//! argument. Those values matter to an install only: documents differing in them (or in the
//! secret version) are the same for running instances (`same_for_running_instances`).
//!
//! `render` is a pure function of its input, so the launch template only changes (and the ASG
//! only refreshes its instances) when the stack's spec or its secret's version change.
//!
//! # Quoting
//! Every value from the user or AWS reaches the script through `shell_quote`, as a literal in
//! single quotes; values that are not plain printable ASCII become bash `$'…'` strings with
//! byte escapes. So the document is pure ASCII, which keeps the YAML block scalar holding the
//! script exact (YAML would fold a `\r` or U+2028 into a line break), and nothing in a value
//! is ever expanded by the shell.
//!
//! The container's environment goes through a Docker `--env-file`, which has no quoting and
//! ends a value at the line's end: line breaks and NULs are dropped from its values, the
//! rendered ones here and the fetched ones by the script (input validation and secret
//! generation never produce them). `WORDPRESS_CONFIG_EXTRA` carries the
//! user's PHP base64-encoded inside a one-line `eval`, so any PHP (quotes, newlines, `$`)
//! arrives intact.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::{Read as _, Write as _};

use crate::secrets::{SECRET_ADMIN_PASSWORD_FIELD, WORDPRESS_KEY_NAMES};
use crate::spec::{defaults, PROVIDER_HEALTH_CHECK_PATH};

/// Where the boot script lands on the instance (the secret watcher runs it again from there).
pub const BOOT_SCRIPT_PATH: &str = "/usr/local/sbin/wordpress-ha-boot";
/// Environment variable that redirects the script's file system paths to a scratch root, for
/// tests only; unset on instances.
pub const TEST_ROOT_VARIABLE: &str = "WORDPRESS_HA_TEST_ROOT";

/// EC2 refuses user data over 16 KiB (before base64); the document goes gzip-compressed
/// (`compressed`), which cloud-init recognises and decompresses by itself.
pub const USER_DATA_MAX_BYTES: usize = 16 * 1024;
/// The most PHP `config_extra` may hold: base64 makes it 4/3 larger and hardly compressible,
/// and the rest of the document compresses to about 5 KiB, so this keeps the compressed whole
/// far under `USER_DATA_MAX_BYTES`.
pub const CONFIG_EXTRA_MAX_BYTES: usize = 4 * 1024;

/// The secret's layout is `secrets`' to define; the script reads the same fields.
pub use crate::secrets::{SECRET_HOST_FIELD, SECRET_PASSWORD_FIELD};

/// The script body; `render` puts the stack's values in place of this marker line.
const SCRIPT_TEMPLATE: &str = include_str!("userdata/boot.sh");
const VALUES_MARKER: &str = "# @@RENDERED_VALUES@@";

/// WordPress connects to MySQL over TLS: the stack's DB parameter group refuses connections
/// without it (`require_secure_transport`). mysqli encrypts without checking the server's
/// certificate, as the image holds no RDS CA bundle.
pub const MYSQL_TLS_PHP: &str =
    r#" if (!defined("MYSQL_CLIENT_FLAGS")) { define("MYSQL_CLIENT_FLAGS", MYSQLI_CLIENT_SSL); }"#;

/// Makes WordPress behind the ALB see HTTPS requests as HTTPS, so it does not redirect-loop.
/// Double-quoted PHP strings (no `$` inside them) keep the script's single quoting readable.
pub const FORWARDED_PROTO_PHP: &str = r#"if (isset($_SERVER["HTTP_X_FORWARDED_PROTO"]) && $_SERVER["HTTP_X_FORWARDED_PROTO"] === "https") { $_SERVER["HTTPS"] = "on"; }"#;

/// Everything the instances need to know, gathered by the app tier from the spec and the other
/// tiers' results. No secret value: the script fetches those at boot.
#[derive(Debug, Clone, Copy)]
pub struct UserDataInput<'a> {
    /// The stack's name (labels the container, prefixes log lines).
    pub stack_name: &'a str,
    pub region: &'a str,
    /// `fs-…`: the stack's EFS file system.
    pub efs_id: &'a str,
    pub db_name: &'a str,
    pub db_user: &'a str,
    /// ARN of the stack's Secrets Manager secret: all eight `secrets::WORDPRESS_KEY_NAMES` (a
    /// missing one fails the boot), and once the database exists its password under
    /// `SECRET_PASSWORD_FIELD` and its `host:port` under `SECRET_HOST_FIELD`.
    pub secret_id: &'a str,
    /// The version of the secret these instances read (its `VersionId`).
    pub secret_version: &'a str,
    pub image: &'a str,
    /// PHP statements appended to wp-config.php.
    pub config_extra: Option<&'a str>,
    /// The target group's health check path; the provider's health file or a static file is
    /// served there when it names one.
    pub health_check_path: &'a str,
    /// What users open (`spec`'s URL: scheme and host, no path): `WP_HOME` and `WP_SITEURL`,
    /// and the URL WordPress is installed at.
    pub site_url: &'a str,
    /// The install's title, first administrator and e-mail (`None`: `wordpress@<site host>`).
    pub site_title: &'a str,
    pub admin_user: &'a str,
    pub admin_email: Option<&'a str>,
    /// The stack's CloudWatch Logs group (`logs.enabled`): the container's awslogs driver and
    /// the shipped boot log write there. `None`: the journal only.
    pub log_group: Option<&'a str>,
}

/// The cloud-init document (`#cloud-config`).
pub fn render(input: &UserDataInput) -> String {
    let script = boot_script(input);
    let mut document = String::from(
        "#cloud-config\n\
         # WordPress HA stack instance, rendered by terraform-provider-wordpress.\n\
         write_files:\n",
    );
    document.push_str(&format!("  - path: {BOOT_SCRIPT_PATH}\n"));
    document.push_str("    owner: root:root\n");
    // Root-only: only root needs it, and it says where the secret is.
    document.push_str("    permissions: '0700'\n");
    document.push_str("    content: |\n");
    for line in script.lines() {
        if line.is_empty() {
            document.push('\n');
        } else {
            document.push_str("      ");
            document.push_str(line);
            document.push('\n');
        }
    }
    document.push_str(&format!("runcmd:\n  - [{BOOT_SCRIPT_PATH}]\n"));
    document
}

/// `render`, gzip-compressed and base64-encoded as EC2 launch templates take user data.
pub fn render_base64(input: &UserDataInput) -> String {
    BASE64.encode(compressed(&render(input)))
}

/// The document gzip-compressed: what EC2 counts against `USER_DATA_MAX_BYTES`. The same
/// document always gives the same bytes (no time or name in the gzip header), so the launch
/// template changes only when the document does.
pub fn compressed(document: &str) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(document.as_bytes());
    encoder.finish().unwrap_or_default()
}

/// The document a launch template's user data (base64) holds: decompressed when gzip'd (what
/// `render_base64` writes), as is when plain (what versions written before compression hold).
pub fn document_text(user_data_base64: &str) -> Option<String> {
    let bytes = BASE64.decode(user_data_base64.trim()).ok()?;
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return String::from_utf8(bytes).ok();
    }
    let mut text = String::new();
    GzDecoder::new(bytes.as_slice())
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// Whether two documents (`render_base64`) differ at most in what running instances need not
/// be replaced for: the secret version they name, which they follow by themselves (see "A new
/// password without an outage"), and the install's values, which only an install reads (see
/// "The site installed at first boot").
pub fn same_for_running_instances(a_base64: &str, b_base64: &str) -> bool {
    let without_lines = |encoded: &str| {
        let text = document_text(encoded)?;
        let mut lines: Vec<&str> = text.lines().collect();
        // The rendered lines only: the first of each, one line as validation keeps them.
        for start in FOLLOWED_LINES {
            let at = lines
                .iter()
                .position(|line| line.trim_start().starts_with(start))?;
            lines.remove(at);
        }
        Some(lines.join("\n"))
    };
    match (without_lines(a_base64), without_lines(b_base64)) {
        (Some(a), Some(b)) => a == b,
        _ => a_base64 == b_base64,
    }
}

/// How the script's lines that running instances do without start (see `rendered_values`).
const FOLLOWED_LINES: [&str; 4] = [
    "readonly SECRET_VERSION=",
    "readonly SITE_TITLE=",
    "readonly ADMIN_USER=",
    "readonly ADMIN_EMAIL=",
];

/// The boot script alone, exactly as the document's `write_files` entry carries it.
pub fn boot_script(input: &UserDataInput) -> String {
    without_comment_lines(SCRIPT_TEMPLATE).replacen(VALUES_MARKER, &rendered_values(input), 1)
}

/// The template without its comment-only lines (the shebang, shellcheck directives and the
/// values marker stay): the comments are for whoever maintains the script, and the 16 KiB of
/// user data are better spent on the user's `config_extra`. Done before values are put in, so
/// a value can never lose a line. (No line of a multi-line string in the script may therefore
/// start with `#`.)
fn without_comment_lines(template: &str) -> String {
    let mut kept = String::with_capacity(template.len());
    for line in template.lines() {
        let trimmed = line.trim_start();
        let comment = trimmed.starts_with('#')
            && !trimmed.starts_with("#!")
            && !trimmed.starts_with("# shellcheck")
            && trimmed != VALUES_MARKER;
        if !comment {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    kept
}

/// The readonly variables at the top of the script: the only place values enter it.
fn rendered_values(input: &UserDataInput) -> String {
    let health_check_path = served_health_check_path(input.health_check_path).unwrap_or("");
    let values = [
        ("SCRIPT_PATH", BOOT_SCRIPT_PATH.to_string()),
        ("STACK_NAME", input.stack_name.to_string()),
        ("STACK_REGION", input.region.to_string()),
        ("EFS_ID", input.efs_id.to_string()),
        ("SECRET_ID", input.secret_id.to_string()),
        ("SECRET_VERSION", input.secret_version.to_string()),
        ("SECRET_PASSWORD_FIELD", SECRET_PASSWORD_FIELD.to_string()),
        ("SECRET_HOST_FIELD", SECRET_HOST_FIELD.to_string()),
        ("SECRET_KEY_NAMES", WORDPRESS_KEY_NAMES.join(" ")),
        ("IMAGE", input.image.to_string()),
        ("HEALTH_CHECK_PATH", health_check_path.to_string()),
        ("CLI_IMAGE", cli_image(input.image)),
        (
            "SECRET_ADMIN_PASSWORD_FIELD",
            SECRET_ADMIN_PASSWORD_FIELD.to_string(),
        ),
        ("SITE_URL", input.site_url.to_string()),
        ("SITE_TITLE", input.site_title.to_string()),
        ("ADMIN_USER", input.admin_user.to_string()),
        ("ADMIN_EMAIL", admin_email(input)),
        ("CONTAINER_ENV", container_env(input)),
        ("LOG_GROUP", input.log_group.unwrap_or("").to_string()),
    ];
    let mut block =
        String::from("# Values rendered from the stack's spec (no secret among them).\n");
    for (name, value) in values {
        block.push_str(&format!("readonly {name}={}\n", shell_quote(&value)));
    }
    block.trim_end().to_string()
}

/// The WP-CLI image for a WordPress image: the `cli` tag of the same repository when that is
/// an official-image repository (named `wordpress`: Docker Hub's, its public ECR mirror, a
/// private mirror of it), else the official one through public ECR.
pub fn cli_image(image: &str) -> String {
    let without_digest = image.split('@').next().unwrap_or(image);
    let name_start = without_digest.rfind('/').map_or(0, |slash| slash + 1);
    let repository = match without_digest[name_start..].find(':') {
        Some(colon) => &without_digest[..name_start + colon],
        None => without_digest,
    };
    if repository.rsplit('/').next() == Some("wordpress") {
        format!("{repository}:cli")
    } else {
        defaults::WORDPRESS_CLI_IMAGE.to_string()
    }
}

/// The administrator's e-mail: the given one, else `wordpress@<site host>`, the address
/// WordPress itself sends from.
pub fn admin_email(input: &UserDataInput) -> String {
    if let Some(email) = input.admin_email {
        return email.to_string();
    }
    let host = input
        .site_url
        .split("://")
        .last()
        .unwrap_or(input.site_url)
        .split(['/', ':'])
        .next()
        .unwrap_or_default();
    format!("wordpress@{host}")
}

/// The rendered part of the container's `--env-file`: one `NAME=value` line per variable. The
/// script appends the secret's lines (`WORDPRESS_DB_HOST` and `WORDPRESS_DB_PASSWORD` once the
/// secret has them, then each key) at boot.
pub fn container_env(input: &UserDataInput) -> String {
    [
        env_line("WORDPRESS_DB_NAME", input.db_name),
        env_line("WORDPRESS_DB_USER", input.db_user),
        env_line(
            "WORDPRESS_CONFIG_EXTRA",
            &config_extra_php(input.config_extra, input.site_url),
        ),
    ]
    .join("\n")
}

/// One env-file line; a value cannot span lines there, so line breaks and NULs are dropped.
fn env_line(name: &str, value: &str) -> String {
    let single_line: String = value
        .chars()
        .filter(|c| !matches!(c, '\n' | '\r' | '\0'))
        .collect();
    format!("{name}={single_line}")
}

/// The one-line PHP for `WORDPRESS_CONFIG_EXTRA`: the X-Forwarded-Proto fix, the user's PHP
/// (base64-encoded, so that no character of it needs escaping anywhere on the way), then
/// [`MYSQL_TLS_PHP`], `WP_HOME` and `WP_SITEURL` at `site_url` unless the user's PHP defined
/// them.
pub fn config_extra_php(config_extra: Option<&str>, site_url: &str) -> String {
    let mut php = FORWARDED_PROTO_PHP.to_string();
    if let Some(extra) = config_extra.filter(|extra| !extra.trim().is_empty()) {
        php.push_str(&format!(
            " eval(base64_decode(\"{}\"));",
            BASE64.encode(extra)
        ));
    }
    php.push_str(MYSQL_TLS_PHP);
    let url = php_string(site_url);
    for constant in ["WP_HOME", "WP_SITEURL"] {
        php.push_str(&format!(
            " if (!defined(\"{constant}\")) {{ define(\"{constant}\", {url}); }}"
        ));
    }
    php
}

/// A PHP double-quoted string literal holding exactly `value` (double quotes, like
/// `FORWARDED_PROTO_PHP`'s, keep the script's single quoting readable).
fn php_string(value: &str) -> String {
    let escaped = value
        .replace('\\', r"\\")
        .replace('"', r#"\""#)
        .replace('$', r"\$");
    format!("\"{escaped}\"")
}

/// The path the instances serve a file on: the provider's health file, or a static page.
pub fn served_health_check_path(path: &str) -> Option<&str> {
    if path == PROVIDER_HEALTH_CHECK_PATH {
        return Some(path);
    }
    static_health_check_path(path)
}

/// The health check path when it names a static file the script can provide (`/healthz.html`,
/// `/status/ok.txt`); `None` for paths WordPress itself must answer (`/`, `/wp-login.php`,
/// anything with a query), which are left to WordPress.
pub fn static_health_check_path(path: &str) -> Option<&str> {
    let segments: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    let segment_ok = |segment: &&str| {
        !segment.is_empty()
            && *segment != "."
            && *segment != ".."
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    };
    let file_name = segments.last()?;
    let serves_php = file_name.to_ascii_lowercase().ends_with(".php");
    (segments.iter().all(segment_ok) && !serves_php).then_some(path)
}

/// A bash word that expands to exactly `value`, never to anything else. (Bash strings cannot
/// hold NUL: NULs are dropped.)
pub fn shell_quote(value: &str) -> String {
    let value = &value.replace('\0', "");
    let plain = value
        .chars()
        .all(|c| c == '\n' || c == '\t' || (' '..='~').contains(&c));
    if plain {
        return format!("'{}'", value.replace('\'', r"'\''"));
    }
    let mut quoted = String::from("$'");
    let mut utf8 = [0u8; 4];
    for c in value.chars() {
        match c {
            '\\' => quoted.push_str(r"\\"),
            '\'' => quoted.push_str(r"\'"),
            '\n' => quoted.push_str(r"\n"),
            ' '..='~' => quoted.push(c),
            _ => {
                for byte in c.encode_utf8(&mut utf8).bytes() {
                    quoted.push_str(&format!("\\x{byte:02x}"));
                }
            }
        }
    }
    quoted.push('\'');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_values_are_single_quoted() {
        assert_eq!(shell_quote("fs-123"), "'fs-123'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(
            shell_quote("$(reboot) `id` \"x\""),
            "'$(reboot) `id` \"x\"'"
        );
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn other_characters_become_byte_escapes_so_the_document_stays_ascii() {
        assert_eq!(shell_quote("a\rb"), r"$'a\x0db'");
        assert_eq!(shell_quote("caf\u{e9} 'x' \\"), r"$'caf\xc3\xa9 \'x\' \\'");
        assert_eq!(shell_quote("\u{2028}"), r"$'\xe2\x80\xa8'");
        assert_eq!(
            shell_quote("\u{0}\u{7f}\u{85}\u{feff}"),
            r"$'\x7f\xc2\x85\xef\xbb\xbf'"
        );
        assert_eq!(shell_quote("a\u{0}b"), "'ab'");
    }

    #[test]
    fn only_static_file_paths_get_a_health_check_file() {
        for path in [
            "/healthz.html",
            "/status/ok.txt",
            "/wp-content/health-check.html",
            "/ping",
        ] {
            assert_eq!(static_health_check_path(path), Some(path));
        }
        for path in [
            "/",
            "",
            "healthz.html",
            "/wp-login.php",
            "/x/../etc/passwd",
            "/a?b=1",
            "/a//b",
            "/index.PHP",
            "/a:b",
        ] {
            assert_eq!(static_health_check_path(path), None, "{path}");
        }
    }

    #[test]
    fn config_extra_is_one_line_and_carries_the_users_php_exactly() {
        let url = "https://blog.example.com";
        let site = r#" if (!defined("WP_HOME")) { define("WP_HOME", "https://blog.example.com"); } if (!defined("WP_SITEURL")) { define("WP_SITEURL", "https://blog.example.com"); }"#;
        assert_eq!(
            config_extra_php(None, url),
            format!("{FORWARDED_PROTO_PHP}{MYSQL_TLS_PHP}{site}")
        );
        assert_eq!(
            config_extra_php(Some("  \n"), url),
            format!("{FORWARDED_PROTO_PHP}{MYSQL_TLS_PHP}{site}")
        );
        let extra = "define('WP_DEBUG', true);\n$x = \"$(id)\";";
        let php = config_extra_php(Some(extra), url);
        assert!(
            php.ends_with(site),
            "the user's PHP may define WP_HOME first: {php}"
        );
        assert!(!php.contains('\n'));
        assert!(php.starts_with(FORWARDED_PROTO_PHP));
        let encoded = php
            .split("base64_decode(\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("encoded extra");
        assert_eq!(BASE64.decode(encoded).expect("base64"), extra.as_bytes());
    }

    #[test]
    fn a_url_is_a_php_literal_whatever_it_holds() {
        assert_eq!(php_string("http://a.example"), r#""http://a.example""#);
        assert_eq!(php_string(r#"x"\$y'"#), r#""x\"\\\$y'""#);
    }

    #[test]
    fn the_providers_health_file_is_served_and_other_php_is_not() {
        assert_eq!(
            served_health_check_path(PROVIDER_HEALTH_CHECK_PATH),
            Some(PROVIDER_HEALTH_CHECK_PATH)
        );
        assert_eq!(served_health_check_path("/other.php"), None);
        assert_eq!(served_health_check_path("/"), None);
        assert_eq!(served_health_check_path("/ok.html"), Some("/ok.html"));
    }

    #[test]
    fn the_cli_image_comes_from_the_wordpress_images_repository() {
        for (image, cli) in [
            (defaults::WORDPRESS_IMAGE, defaults::WORDPRESS_CLI_IMAGE),
            ("wordpress:6.5-php8.2-apache", "wordpress:cli"),
            ("wordpress", "wordpress:cli"),
            (
                "docker.io/library/wordpress@sha256:0123",
                "docker.io/library/wordpress:cli",
            ),
            (
                "registry.example.com:5000/mirror/wordpress:6",
                "registry.example.com:5000/mirror/wordpress:cli",
            ),
            ("ghcr.io/acme/blog:1.2", defaults::WORDPRESS_CLI_IMAGE),
            ("bitnami/wordpress-nginx:6", defaults::WORDPRESS_CLI_IMAGE),
        ] {
            assert_eq!(cli_image(image), cli, "{image}");
        }
    }

    #[test]
    fn env_file_values_never_span_lines() {
        assert_eq!(env_line("A", "x\ny\rz\0"), "A=xyz");
    }
}
