//! The boot script, run under bash with every system command replaced by a recording stub and
//! its paths redirected to a scratch root: the right commands in the right order, idempotent
//! on a second boot, patient with a slow mount target or registry, and immune to hostile
//! values. Its secret watcher (`watch-secret`) is in `userdata_watch.rs`.

mod userdata_support;

use std::fs;
use std::path::Path;

use userdata_support::machine::{expected_env_file, secret_fetch, Machine};
use userdata_support::{write_file, Fixture};

fn expected_first_boot(machine: &Machine, fixture: &Fixture) -> Vec<String> {
    let efs = machine.root_path("mnt/efs");
    let env_file = machine.root_path("etc/wordpress-ha/wordpress.env");
    let health_file = machine.root_path("etc/wordpress-ha/health-check");
    vec![
        "dnf install -y docker amazon-efs-utils".to_string(),
        format!("mountpoint -q {efs}"),
        format!("mount {efs}"),
        format!("chown 33:33 {efs}/wp-content"),
        "systemctl daemon-reload".to_string(),
        "systemctl enable --now docker".to_string(),
        secret_fetch(fixture),
        format!("docker pull {}", fixture.image),
        "docker container inspect wordpress".to_string(),
        format!(
            "docker run -d --name wordpress --restart always -p 80:80 --env-file {env_file} \
             -v {efs}/wp-content:/var/www/html/wp-content --log-driver journald --log-opt tag=wordpress \
             --label wordpress-ha.stack={} -v {health_file}:/var/www/html/wordpress-ha-health.php:ro {}",
            fixture.stack_name, fixture.image
        ),
        // The site install's unit, started only once the container knows its database.
        "systemctl daemon-reload".to_string(),
    ]
    .into_iter()
    .chain(
        fixture
            .db_host
            .as_ref()
            .map(|_| "systemctl start --no-block wordpress-ha-install.service".to_string()),
    )
    .chain([
        "systemctl daemon-reload".to_string(),
        "systemctl enable --now wordpress-ha-secret-watch.timer".to_string(),
    ])
    .collect()
}

#[test]
fn first_boot_installs_mounts_and_runs_wordpress_in_order() {
    let fixture = Fixture::ordinary();
    let machine = Machine::for_fixture(&fixture);
    machine.boot_ok();
    assert_eq!(machine.calls(), expected_first_boot(&machine, &fixture));

    let fstab_line = format!(
        "{}:/ {} efs _netdev,noresvport,tls 0 0",
        fixture.efs_id,
        machine.root_path("mnt/efs")
    );
    assert_eq!(
        machine.file("etc/fstab"),
        format!("UUID=abc / xfs defaults,noatime 1 1\n{fstab_line}\n")
    );
    assert!(machine.root.join("mnt/efs/wp-content").is_dir());
    assert_eq!(
        machine.file("etc/wordpress-ha/wordpress.env"),
        expected_env_file(&fixture)
    );
    assert_eq!(
        machine.mode("etc/wordpress-ha/wordpress.env"),
        0o600,
        "the env file holds secrets"
    );
    let probe = machine.file("etc/wordpress-ha/health-check");
    assert!(probe.starts_with("<?php\n"), "{probe}");
    assert!(probe.contains(r#"echo "ok\n";"#), "{probe}");
    assert!(
        !probe.to_ascii_lowercase().contains("mysql") && !probe.contains("wp-load"),
        "the probe never asks the database: {probe}"
    );
    assert_eq!(
        machine.mode("etc/wordpress-ha/health-check"),
        0o644,
        "apache must read it"
    );
    assert_eq!(
        machine.file("etc/wordpress-ha/secret-version"),
        format!("{}\n", fixture.secret_version),
        "the watcher compares with the version the container runs"
    );
    assert_eq!(machine.containers_started(), 1);
    assert_eq!(
        machine.file("etc/systemd/system/docker.service.d/wordpress-ha-efs.conf"),
        format!(
            "[Unit]\nRequiresMountsFor={}\n",
            machine.root_path("mnt/efs")
        ),
        "after a reboot, docker must wait for EFS"
    );
}

#[test]
fn an_instance_booting_before_the_database_exists_runs_wordpress_with_the_keys_alone() {
    let fixture = Fixture::ordinary().before_the_database();
    let machine = Machine::for_fixture(&fixture);
    machine.boot_ok();
    assert_eq!(machine.calls(), expected_first_boot(&machine, &fixture));
    let env = machine.file("etc/wordpress-ha/wordpress.env");
    assert_eq!(env, expected_env_file(&fixture));
    assert!(!env.contains("WORDPRESS_DB_HOST"), "{env}");
    assert!(!env.contains("WORDPRESS_DB_PASSWORD"), "{env}");
    assert!(
        env.contains("WORDPRESS_NONCE_SALT="),
        "the keys are there: {env}"
    );
    assert!(machine.state.join("container").exists(), "WordPress runs");
}

#[test]
fn a_second_boot_neither_duplicates_the_mount_nor_starts_a_second_container() {
    let fixture = Fixture::ordinary();
    let machine = Machine::for_fixture(&fixture);
    machine.boot_ok();
    let fstab_after_first = machine.file("etc/fstab");
    machine.take_calls();

    machine.boot_ok();
    assert_eq!(
        machine.file("etc/fstab"),
        fstab_after_first,
        "fstab must not grow"
    );
    let calls = machine.calls();
    let efs = machine.root_path("mnt/efs");
    assert!(
        !calls.contains(&format!("mount {efs}")),
        "already mounted, yet mounted again: {calls:#?}"
    );
    let docker: Vec<&str> = calls
        .iter()
        .map(String::as_str)
        .filter(|c| c.starts_with("docker"))
        .collect();
    assert_eq!(docker.len(), 4, "{docker:#?}");
    assert_eq!(
        &docker[..3],
        [
            format!("docker pull {}", fixture.image).as_str(),
            "docker container inspect wordpress",
            "docker rm --force wordpress"
        ]
    );
    assert!(docker[3].starts_with("docker run -d --name wordpress"));
    assert_eq!(machine.containers_started(), 2, "the container is replaced");
    assert!(
        machine.state.join("container").exists(),
        "exactly one container runs"
    );
    let leftovers: Vec<_> = fs::read_dir(machine.root.join("etc/wordpress-ha"))
        .expect("ls")
        .collect();
    assert_eq!(
        leftovers.len(),
        3,
        "the env file, the health file and the secret version; no staged env file left \
         behind: {leftovers:?}"
    );
}

#[test]
fn the_mount_is_retried_until_the_mount_target_answers() {
    let fixture = Fixture::ordinary();
    let machine = Machine::for_fixture(&fixture);
    write_file(&machine.state.join("mount-failures"), "3\n");
    machine.boot_ok();
    let calls = machine.calls();
    let efs = machine.root_path("mnt/efs");
    let mounts = calls
        .iter()
        .filter(|c| **c == format!("mount {efs}"))
        .count();
    let sleeps = calls.iter().filter(|c| *c == "sleep 10").count();
    assert_eq!((mounts, sleeps), (4, 3), "{calls:#?}");
    assert_eq!(machine.containers_started(), 1);
}

#[test]
fn a_mount_target_that_never_answers_fails_the_boot_before_docker_runs() {
    let fixture = Fixture::ordinary();
    let machine = Machine::for_fixture(&fixture);
    write_file(&machine.state.join("mount-failures"), "1000\n");
    let output = machine.boot();
    assert!(!output.status.success(), "the boot must fail");
    let calls = machine.calls();
    let mounts = calls.iter().filter(|c| c.starts_with("mount ")).count();
    assert_eq!(mounts, 60, "bounded: 60 attempts");
    assert!(calls.iter().all(|c| !c.starts_with("docker")), "{calls:#?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("giving up"));
}

#[test]
fn a_health_check_path_wordpress_answers_itself_gets_no_static_file() {
    let mut fixture = Fixture::ordinary();
    fixture.health_check_path = "/wp-login.php".into();
    let machine = Machine::for_fixture(&fixture);
    machine.boot_ok();
    assert!(!machine.root.join("etc/wordpress-ha/health-check").exists());
    let run = machine
        .calls()
        .into_iter()
        .find(|c| c.starts_with("docker run"))
        .expect("docker run");
    assert!(!run.contains("/var/www/html/wp-login.php"), "{run}");
}

#[test]
fn a_static_health_check_path_gets_a_static_ok_page() {
    let mut fixture = Fixture::ordinary();
    fixture.health_check_path = "/healthz.html".into();
    let machine = Machine::for_fixture(&fixture);
    machine.boot_ok();
    assert_eq!(machine.file("etc/wordpress-ha/health-check"), "OK\n");
    let run = machine
        .calls()
        .into_iter()
        .find(|c| c.starts_with("docker run"))
        .expect("docker run");
    assert!(run.contains(":/var/www/html/healthz.html:ro "), "{run}");
}

#[test]
fn the_image_pull_backs_off_until_the_registry_answers() {
    let fixture = Fixture::ordinary();
    let machine = Machine::for_fixture(&fixture);
    write_file(&machine.state.join("pull-failures"), "4\n");
    machine.boot_ok();
    let calls = machine.calls();
    let pull = format!("docker pull {}", fixture.image);
    let pulls = calls.iter().filter(|c| **c == pull).count();
    let sleeps: Vec<&str> = calls
        .iter()
        .map(String::as_str)
        .filter(|c| c.starts_with("sleep"))
        .collect();
    assert_eq!(pulls, 5, "{calls:#?}");
    assert_eq!(sleeps, ["sleep 5", "sleep 10", "sleep 20", "sleep 40"]);
    assert_eq!(machine.containers_started(), 1);
}

#[test]
fn a_registry_that_never_answers_fails_the_boot_after_bounded_backoff() {
    let fixture = Fixture::ordinary();
    let machine = Machine::for_fixture(&fixture);
    write_file(&machine.state.join("pull-failures"), "1000\n");
    let output = machine.boot();
    assert!(!output.status.success(), "the boot must fail");
    let calls = machine.calls();
    let sleeps: Vec<&str> = calls
        .iter()
        .map(String::as_str)
        .filter(|c| c.starts_with("sleep"))
        .collect();
    assert_eq!(
        sleeps,
        [
            "sleep 5",
            "sleep 10",
            "sleep 20",
            "sleep 40",
            "sleep 80",
            "sleep 120",
            "sleep 120"
        ],
        "doubling, capped at 2 min, 8 tries"
    );
    assert_eq!(machine.containers_started(), 0);
    assert!(
        !calls
            .iter()
            .any(|c| c.contains("wordpress-ha-secret-watch")),
        "no watcher for a container that never ran: {calls:#?}"
    );
}

#[test]
fn wordpress_gets_the_stacks_url_as_wp_home_and_wp_siteurl() {
    let fixture = Fixture::ordinary();
    let machine = Machine::for_fixture(&fixture);
    machine.boot_ok();
    let env_file = machine.file("etc/wordpress-ha/wordpress.env");
    let extra = env_file
        .lines()
        .find_map(|l| l.strip_prefix("WORDPRESS_CONFIG_EXTRA="))
        .expect("WORDPRESS_CONFIG_EXTRA");
    for constant in ["WP_HOME", "WP_SITEURL"] {
        assert!(
            extra.contains(&format!(
                r#"if (!defined("{constant}")) {{ define("{constant}", "https://blog.example.com"); }}"#
            )),
            "{extra}"
        );
    }
}

#[test]
fn hostile_values_reach_the_container_verbatim_and_never_execute() {
    let fixture = Fixture::hostile();
    let machine = Machine::for_fixture(&fixture);
    machine.boot_ok();

    let created: Vec<_> = fs::read_dir(&machine.work)
        .expect("ls")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(created.is_empty(), "a value was executed: {created:?}");
    assert!(!Path::new("PWNED-name").exists());

    let env_file = machine.file("etc/wordpress-ha/wordpress.env");
    assert_eq!(env_file, expected_env_file(&fixture));
    let lines: Vec<&str> = env_file.lines().collect();
    assert_eq!(
        lines.len(),
        13,
        "one line per variable, no injected ones: {lines:#?}"
    );
    assert!(
        lines.iter().all(|l| l.starts_with("WORDPRESS_")),
        "{lines:#?}"
    );
    assert!(lines.contains(&"WORDPRESS_DB_PASSWORD=p'a\"s$s`w\\o!r#d\u{2028}éINJECTED=1"));
    assert!(lines.contains(&"WORDPRESS_DB_USER=it's \\ me"));
    assert!(lines.contains(&"WORDPRESS_AUTH_KEY=k'$(touch PWNED-key)EVIL=1"));

    let run = machine
        .calls()
        .into_iter()
        .find(|c| c.starts_with("docker run"))
        .expect("docker run");
    assert!(
        run.ends_with(&format!(" {}", fixture.image)),
        "the image is one argument: {run}"
    );
    assert!(
        run.contains(&format!(
            "--label wordpress-ha.stack={}",
            fixture.stack_name
        )),
        "{run}"
    );
    let fstab = machine.file("etc/fstab");
    assert!(fstab.contains(&format!("{}:/ ", fixture.efs_id)), "{fstab}");
}

#[test]
fn the_secret_is_fetched_again_until_the_instance_role_can_read_it() {
    let fixture = Fixture::ordinary();
    let machine = Machine::for_fixture(&fixture);
    write_file(&machine.state.join("secret-failures"), "2\n");
    machine.boot_ok();
    let calls = machine.calls();
    let fetches = calls
        .iter()
        .filter(|c| **c == secret_fetch(&fixture))
        .count();
    let sleeps = calls.iter().filter(|c| *c == "sleep 10").count();
    assert_eq!((fetches, sleeps), (3, 2), "{calls:#?}");
    assert_eq!(
        machine.file("etc/wordpress-ha/wordpress.env"),
        expected_env_file(&fixture),
        "failed attempts leave nothing behind in the env file"
    );
    assert_eq!(machine.containers_started(), 1);
}

#[test]
fn a_secret_that_never_becomes_readable_fails_the_boot_before_docker_runs() {
    let fixture = Fixture::ordinary();
    let machine = Machine::for_fixture(&fixture);
    write_file(&machine.state.join("secret-failures"), "1000\n");
    let output = machine.boot();
    assert!(!output.status.success(), "the boot must fail");
    let calls = machine.calls();
    let fetches = calls.iter().filter(|c| c.starts_with("aws ")).count();
    assert_eq!(fetches, 30, "bounded: 30 attempts");
    assert!(calls.iter().all(|c| !c.starts_with("docker")), "{calls:#?}");
    let config: Vec<_> = fs::read_dir(machine.root.join("etc/wordpress-ha"))
        .expect("ls")
        .collect();
    assert!(config.is_empty(), "no env file, staged or not: {config:?}");
}

#[test]
fn a_secret_missing_a_key_fails_the_boot_without_printing_any_value() {
    let mut fixture = Fixture::ordinary();
    let machine = Machine::for_fixture(&fixture);
    fixture.wordpress_keys.remove("NONCE_SALT");
    write_file(&machine.state.join("secret.json"), &fixture.secret_json());
    let output = machine.boot();
    assert!(
        !output.status.success(),
        "instances must never run with keys of their own"
    );
    assert!(machine.calls().iter().all(|c| !c.starts_with("docker")));
    assert!(!machine.root.join("etc/wordpress-ha/wordpress.env").exists());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("NONCE_SALT"),
        "says what is missing: {stderr}"
    );
    for value in fixture
        .db_password
        .iter()
        .chain(fixture.wordpress_keys.values())
    {
        assert!(
            !stderr.contains(value.expose()),
            "a secret value was logged"
        );
    }
}

#[test]
fn the_boot_logs_no_secret_value() {
    let fixture = Fixture::ordinary();
    let machine = Machine::for_fixture(&fixture);
    write_file(&machine.state.join("secret-failures"), "1\n");
    let output = machine.boot();
    assert!(output.status.success());
    let logged = format!(
        "{}{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        machine.calls().join("\n")
    );
    for value in fixture
        .db_password
        .iter()
        .chain(fixture.wordpress_keys.values())
    {
        assert!(
            !logged.contains(value.expose()),
            "a secret value was logged"
        );
    }
}
