//! The rendered user data is a valid cloud-config whose script passes shellcheck, survives the
//! YAML round trip byte for byte, and names what the instance needs.

mod userdata_support;

use std::process::Command;

use stack_model::secrets::WORDPRESS_KEY_NAMES;
use stack_model::userdata::{
    self, render, render_base64, same_for_running_instances, BOOT_SCRIPT_PATH,
    CONFIG_EXTRA_MAX_BYTES, USER_DATA_MAX_BYTES,
};
use userdata_support::{
    extract_script, parse_like_cloud_init, require_tool, run_with_stdin, write_file, Fixture,
};

fn cloud_init_schema_accepts(document: &str) {
    require_tool("cloud-init");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("user-data.yaml");
    write_file(&file, document);
    let output = Command::new("cloud-init")
        .args(["schema", "--config-file"])
        .arg(&file)
        .output()
        .expect("run cloud-init");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("Valid cloud-config"),
        "cloud-init schema refused the document:\n{stdout}\n{}\n--- document ---\n{document}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn shellcheck_accepts(script: &str) {
    require_tool("shellcheck");
    let output = run_with_stdin(
        "shellcheck",
        &["--shell=bash", "--severity=style", "-"],
        script,
    );
    assert!(
        output.status.success(),
        "shellcheck found problems:\n{}\n--- script ---\n{script}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn the_document_passes_cloud_init_schema() {
    cloud_init_schema_accepts(&render(&Fixture::ordinary().input()));
}

#[test]
fn the_document_with_hostile_values_still_passes_cloud_init_schema() {
    cloud_init_schema_accepts(&render(&Fixture::hostile().input()));
}

#[test]
fn the_script_passes_shellcheck() {
    let mut fixture = Fixture::ordinary();
    shellcheck_accepts(&extract_script(&render(&fixture.input())));
    fixture.config_extra = None;
    fixture.health_check_path = "/".into();
    shellcheck_accepts(&extract_script(&render(&fixture.input())));
    shellcheck_accepts(&extract_script(&render(&Fixture::hostile().input())));
}

#[test]
fn cloud_init_reads_back_exactly_the_script_rendered_even_from_hostile_values() {
    for fixture in [Fixture::ordinary(), Fixture::hostile()] {
        let input = fixture.input();
        let document = render(&input);
        assert!(document.is_ascii(), "the document must be pure ASCII");
        let parsed = parse_like_cloud_init(&document);
        assert_eq!(parsed["write_files"][0]["path"], BOOT_SCRIPT_PATH);
        assert_eq!(parsed["write_files"][0]["permissions"], "0700");
        assert_eq!(parsed["runcmd"], serde_json::json!([[BOOT_SCRIPT_PATH]]));
        assert_eq!(
            parsed.as_object().map(|o| o.len()),
            Some(2),
            "only write_files and runcmd: {parsed}"
        );
        assert_eq!(extract_script(&document), userdata::boot_script(&input));
    }
}

#[test]
fn the_document_names_the_efs_id_and_the_secret_and_no_db_endpoint() {
    let fixture = Fixture::ordinary();
    let document = render(&fixture.input());
    assert!(document.starts_with("#cloud-config\n"));
    assert!(
        document.contains(&format!("readonly EFS_ID='{}'", fixture.efs_id)),
        "{document}"
    );
    // The host comes from the secret at boot: the template exists before the database.
    let host = fixture.db_host.as_deref().expect("host");
    assert!(!document.contains(host), "{document}");
    assert!(!document.contains(&format!("WORDPRESS_DB_HOST={host}")));
    assert!(
        document.contains("readonly SECRET_HOST_FIELD='db_host'"),
        "{document}"
    );
    assert!(document.contains("WORDPRESS_DB_NAME=wordpress"));
    assert!(document.contains("WORDPRESS_DB_USER=wordpress"));
    assert!(document.contains(&format!("readonly SECRET_ID='{}'", fixture.secret_id)));
    assert!(document.contains(&format!(
        "readonly SECRET_VERSION='{}'",
        fixture.secret_version
    )));
    assert!(document.contains(&format!(
        "readonly SECRET_KEY_NAMES='{}'",
        WORDPRESS_KEY_NAMES.join(" ")
    )));
    assert!(document.contains("readonly IMAGE='public.ecr.aws/docker/library/wordpress:6-apache'"));
    assert!(document.contains("HTTP_X_FORWARDED_PROTO"));
}

#[test]
fn the_script_carries_the_secret_watcher_the_pull_backoff_the_health_file_and_the_site_url() {
    let fixture = Fixture::ordinary();
    let script = userdata::boot_script(&fixture.input());
    for expected in [
        // The watcher: a timer running the script again as `watch-secret`.
        "readonly SCRIPT_PATH='/usr/local/sbin/wordpress-ha-boot'",
        "ExecStart=$SCRIPT_PATH watch-secret",
        "OnUnitActiveSec=30s",
        "aws secretsmanager describe-secret --secret-id \"$SECRET_ID\"",
        "watch-secret) watch_secret ;;",
        // Pulls back off.
        "retry_backoff \"$PULL_ATTEMPTS\" \"$PULL_FIRST_DELAY_SECONDS\" \"$PULL_MAX_DELAY_SECONDS\"",
        // The provider's PHP health file, mounted where the target group asks.
        "readonly HEALTH_CHECK_PATH='/wordpress-ha-health.php'",
        "echo \"ok\\n\";",
        // WordPress's URL.
        r#"define("WP_HOME", "https://blog.example.com");"#,
        r#"define("WP_SITEURL", "https://blog.example.com");"#,
    ] {
        assert!(script.contains(expected), "{expected:?} missing:\n{script}");
    }
}

#[test]
fn the_document_holds_no_secret_value() {
    for fixture in [Fixture::ordinary(), Fixture::hostile()] {
        let document = render(&fixture.input());
        let encoded = render_base64(&fixture.input());
        let values = fixture
            .db_password
            .iter()
            .chain(fixture.wordpress_keys.values())
            .chain([&fixture.admin_password]);
        for value in values {
            for quoted in [
                value.expose().to_string(),
                userdata::shell_quote(value.expose()),
            ] {
                assert!(!document.contains(&quoted), "a secret value is rendered");
                assert!(!encoded.contains(&quoted));
            }
        }
        assert!(!document.contains("WORDPRESS_DB_PASSWORD="));
        assert!(!document.contains("WORDPRESS_AUTH_KEY="));
    }
}

#[test]
fn rendering_is_deterministic_and_follows_its_input() {
    let fixture = Fixture::ordinary();
    assert_eq!(render(&fixture.input()), render(&fixture.input()));
    let mut other = Fixture::ordinary();
    other.efs_id = "fs-0fedcba9876543210".into();
    assert_ne!(render(&fixture.input()), render(&other.input()));
}

#[test]
fn base64_user_data_is_the_gzipped_document_and_reads_back() {
    use base64::Engine as _;
    let input = Fixture::ordinary();
    let encoded = render_base64(&input.input());
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&encoded)
        .expect("base64");
    assert_eq!(
        bytes[..2],
        [0x1f, 0x8b],
        "gzip, which cloud-init decompresses"
    );
    assert_eq!(encoded, render_base64(&input.input()), "deterministic");
    assert_eq!(
        userdata::document_text(&encoded).as_deref(),
        Some(render(&input.input()).as_str())
    );
    // A plain document (a template version written before compression) reads as it is.
    let plain = base64::engine::general_purpose::STANDARD.encode(render(&input.input()));
    assert_eq!(
        userdata::document_text(&plain).as_deref(),
        Some(render(&input.input()).as_str())
    );
}

#[test]
fn the_rendered_document_matches_its_snapshot() {
    insta::assert_snapshot!(render(&Fixture::ordinary().input()));
}

#[test]
fn the_largest_valid_input_still_fits_ec2_user_data_limit() {
    let mut fixture = Fixture::ordinary();
    fixture.stack_name = "a".repeat(20);
    fixture.db_name = "d".repeat(64);
    fixture.db_user = "u".repeat(16);
    fixture.secret_id = format!(
        "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:{}/wordpress-AbCdEf",
        "a".repeat(20)
    );
    fixture.secret_version = "v".repeat(64);
    fixture.image = format!(
        "{}.example.com/{}:{}",
        "r".repeat(60),
        "i".repeat(60),
        "t".repeat(128)
    );
    // Hardly compressible PHP: base64 of a counter's hash-like bytes, the worst case for gzip.
    let noise: Vec<u8> = (0..CONFIG_EXTRA_MAX_BYTES as u64)
        .map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8)
        .collect();
    let mut extra = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, noise);
    extra.truncate(CONFIG_EXTRA_MAX_BYTES);
    fixture.config_extra = Some(extra);
    fixture.site_title = "t".repeat(200);
    fixture.admin_user = "u".repeat(60);
    fixture.admin_email = Some(format!("{}@example.com", "e".repeat(88)));
    fixture.health_check_path = format!("/{}.html", "h".repeat(200));
    fixture.site_url = format!("https://{}.example.com", "s".repeat(63));
    fixture.log_group = Some(format!("/wordpress/{}", "a".repeat(20)));
    let size = userdata::compressed(&render(&fixture.input())).len();
    assert!(
        size <= USER_DATA_MAX_BYTES,
        "{size} bytes > {USER_DATA_MAX_BYTES}"
    );
    println!("the largest document: {size} of {USER_DATA_MAX_BYTES} bytes");
}

#[test]
fn documents_differing_in_the_secret_version_or_the_install_values_are_the_same_for_running_instances(
) {
    let fixture = Fixture::ordinary();
    let mut rotated = Fixture::ordinary();
    rotated.secret_version = "wpha-a-newer-version".into();
    let mut other_image = Fixture::ordinary();
    other_image.image = "public.ecr.aws/docker/library/wordpress:6.7-apache".into();
    let encoded = |f: &Fixture| render_base64(&f.input());
    // The install's values: only an install reads them, and running instances are past it.
    let mut retitled = Fixture::ordinary();
    retitled.site_title = "Another title".into();
    retitled.admin_user = "someone".into();
    retitled.admin_email = None;
    assert!(same_for_running_instances(
        &encoded(&fixture),
        &encoded(&retitled)
    ));
    let mut moved = Fixture::ordinary();
    moved.site_url = "https://www.example.org".into();
    assert!(!same_for_running_instances(
        &encoded(&fixture),
        &encoded(&moved)
    ));
    assert!(same_for_running_instances(
        &encoded(&fixture),
        &encoded(&rotated)
    ));
    assert!(!same_for_running_instances(
        &encoded(&fixture),
        &encoded(&other_image)
    ));
    assert!(same_for_running_instances(
        &encoded(&fixture),
        &encoded(&fixture)
    ));
}
