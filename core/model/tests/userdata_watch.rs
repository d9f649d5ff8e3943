//! The secret watcher: the boot installs a systemd timer that runs the script as
//! `watch-secret` every 30 s; each run asks DescribeSecret which version is current and, when
//! it is not the one the container runs with (a new database password), rewrites the env file
//! from it and replaces the container. Run on the stubbed machine of `userdata_script.rs`.

mod userdata_support;

use stack_model::spec::Secret;
use stack_model::userdata::BOOT_SCRIPT_PATH;
use userdata_support::machine::{expected_env_file, secret_describe, secret_fetch_of, Machine};
use userdata_support::{write_file, Fixture};

const NEW_VERSION: &str = "wpha-1111111111111111111111111111111111111111111111aa";
const SERVICE: &str = "etc/systemd/system/wordpress-ha-secret-watch.service";
const TIMER: &str = "etc/systemd/system/wordpress-ha-secret-watch.timer";

/// A machine that booted `fixture` and whose secret now says `current` is the current version.
fn booted(fixture: &Fixture, current: &str) -> Machine {
    let machine = Machine::for_fixture(fixture);
    machine.boot_ok();
    machine.take_calls();
    write_file(&machine.state.join("current-version"), current);
    machine
}

/// The fixture with a new password, stored as `NEW_VERSION` of the machine's secret.
fn rotate_password(machine: &Machine, fixture: &Fixture) -> Fixture {
    let mut rotated = Fixture::ordinary();
    rotated.wordpress_keys = fixture.wordpress_keys.clone();
    rotated.db_password = Some(Secret::new("N3w-pa55word_after-rotation"));
    rotated.secret_version = NEW_VERSION.to_string();
    write_file(
        &machine.state.join(format!("secret-{NEW_VERSION}.json")),
        &rotated.secret_json(),
    );
    write_file(&machine.state.join("current-version"), NEW_VERSION);
    rotated
}

#[test]
fn the_boot_installs_a_timer_that_runs_the_watcher_every_30_seconds() {
    let fixture = Fixture::ordinary();
    let machine = Machine::for_fixture(&fixture);
    machine.boot_ok();
    let service = machine.file(SERVICE);
    assert!(service.contains("Type=oneshot\n"), "{service}");
    assert!(
        service.contains(&format!("ExecStart={BOOT_SCRIPT_PATH} watch-secret\n")),
        "{service}"
    );
    assert!(service.contains("After=docker.service\n"), "{service}");
    let timer = machine.file(TIMER);
    for line in [
        "OnActiveSec=30s",
        "OnUnitActiveSec=30s",
        "RandomizedDelaySec=10s",
        "WantedBy=timers.target",
    ] {
        assert!(timer.lines().any(|l| l == line), "{line} in:\n{timer}");
    }
    let calls = machine.calls();
    let enabled = calls
        .iter()
        .position(|c| c == "systemctl enable --now wordpress-ha-secret-watch.timer")
        .expect("the timer is enabled");
    let started = calls
        .iter()
        .position(|c| c.starts_with("docker run"))
        .expect("docker run");
    assert!(
        started < enabled,
        "the watcher starts once the container runs: {calls:#?}"
    );
}

#[test]
fn the_current_version_leaves_the_container_alone() {
    let fixture = Fixture::ordinary();
    let machine = booted(&fixture, &fixture.secret_version);
    machine.watch_ok();
    assert_eq!(
        machine.calls(),
        [secret_describe(&fixture)],
        "metadata only: no value read, no restart"
    );
    assert_eq!(machine.containers_started(), 1);
}

#[test]
fn a_secret_reporting_no_current_version_changes_nothing() {
    let fixture = Fixture::ordinary();
    let machine = Machine::for_fixture(&fixture);
    machine.boot_ok();
    machine.take_calls();
    machine.watch_ok();
    assert_eq!(machine.calls(), [secret_describe(&fixture)]);
    assert_eq!(machine.containers_started(), 1);
}

#[test]
fn the_database_arriving_in_the_secret_restarts_the_container_with_its_host() {
    let early = Fixture::ordinary().before_the_database();
    let machine = booted(&early, &early.secret_version);
    let mut arrived = Fixture::ordinary();
    arrived.wordpress_keys = early.wordpress_keys.clone();
    arrived.secret_version = NEW_VERSION.to_string();
    write_file(
        &machine.state.join(format!("secret-{NEW_VERSION}.json")),
        &arrived.secret_json(),
    );
    write_file(&machine.state.join("current-version"), NEW_VERSION);

    machine.watch_ok();
    let env = machine.file("etc/wordpress-ha/wordpress.env");
    assert_eq!(env, expected_env_file(&arrived));
    let host = arrived.db_host.as_deref().expect("host");
    assert!(
        env.contains(&format!("WORDPRESS_DB_HOST={host}\n")),
        "{env}"
    );
    assert_eq!(machine.containers_started(), 2, "restarted once");
}

#[test]
fn a_new_version_restarts_the_container_with_the_new_password() {
    let fixture = Fixture::ordinary();
    let machine = booted(&fixture, &fixture.secret_version);
    let rotated = rotate_password(&machine, &fixture);

    let output = machine.watch();
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        machine.take_calls()[..3],
        [
            secret_describe(&fixture),
            secret_fetch_of(&fixture, NEW_VERSION),
            "docker container inspect wordpress".to_string(),
        ]
    );
    assert_eq!(
        machine.file("etc/wordpress-ha/wordpress.env"),
        expected_env_file(&rotated),
        "the rendered variables, then the new version's values"
    );
    assert_eq!(
        machine.mode("etc/wordpress-ha/wordpress.env"),
        0o600,
        "still root-only"
    );
    assert_eq!(machine.containers_started(), 2, "replaced once");
    assert!(machine.state.join("container").exists(), "and running");
    assert_eq!(
        machine.file("etc/wordpress-ha/secret-version"),
        format!("{NEW_VERSION}\n")
    );
    let logged = String::from_utf8_lossy(&output.stderr);
    let password = rotated.db_password.as_ref().expect("rotated");
    assert!(!logged.contains(password.expose()), "{logged}");

    machine.watch_ok();
    assert_eq!(
        machine.calls(),
        [secret_describe(&fixture)],
        "the next look finds nothing new"
    );
    assert_eq!(machine.containers_started(), 2);
}

#[test]
fn a_new_version_that_cannot_be_read_yet_is_tried_again_at_the_next_look() {
    let fixture = Fixture::ordinary();
    let machine = booted(&fixture, &fixture.secret_version);
    let rotated = rotate_password(&machine, &fixture);
    write_file(&machine.state.join("secret-failures"), "1\n");

    let output = machine.watch();
    assert!(!output.status.success(), "the timer's run fails");
    let calls = machine.take_calls();
    assert!(
        calls
            .iter()
            .all(|c| !c.starts_with("docker") && !c.starts_with("sleep")),
        "one try, no restart, no wait: {calls:#?}"
    );
    assert_eq!(
        machine.file("etc/wordpress-ha/wordpress.env"),
        expected_env_file(&fixture),
        "the running container's env file is untouched"
    );
    assert_eq!(
        machine.file("etc/wordpress-ha/secret-version"),
        format!("{}\n", fixture.secret_version)
    );

    machine.watch_ok();
    assert_eq!(
        machine.file("etc/wordpress-ha/wordpress.env"),
        expected_env_file(&rotated)
    );
    assert_eq!(machine.containers_started(), 2);
}

#[test]
fn an_unknown_command_is_refused() {
    let fixture = Fixture::ordinary();
    let machine = Machine::for_fixture(&fixture);
    let output = machine.run(&["reboot"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(machine.calls().is_empty(), "{:#?}", machine.calls());
}
