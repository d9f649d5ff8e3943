//! The site installed at first boot: once the container knows its database, a systemd unit
//! runs the script as `install-site`, which runs `wp core is-installed || wp core install`
//! with the official WP-CLI image under a lock on EFS. Two instances starting together install
//! once, a re-run installs nothing, the install waits for the database, and the administrator's
//! password reaches WP-CLI on stdin only. Run on the stubbed machine of `userdata_script.rs`,
//! whose `docker` stub plays WP-CLI against a fake database (`state/site`).

mod userdata_support;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use stack_model::spec::defaults;
use userdata_support::machine::Machine;
use userdata_support::{write_file, Fixture};

const START_INSTALL: &str = "systemctl start --no-block wordpress-ha-install.service";
const UNIT: &str = "etc/systemd/system/wordpress-ha-install.service";
const NEW_VERSION: &str = "wpha-2222222222222222222222222222222222222222222222bb";

fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn installs(site: &Path) -> Vec<String> {
    lines(&site.join("install-passwords"))
}

fn wp_calls(machine: &Machine) -> Vec<String> {
    machine
        .calls()
        .into_iter()
        .filter(|c| c.starts_with("docker run") && c.contains(" wp "))
        .collect()
}

/// `count` booted machines sharing one EFS file system and one database (`shared/site`).
fn fleet(fixture: &Fixture, shared: &Path, count: usize) -> Vec<Machine> {
    fs::create_dir_all(shared.join("efs")).expect("mkdir efs");
    fs::create_dir_all(shared.join("site")).expect("mkdir site");
    (0..count)
        .map(|_| {
            let machine = Machine::for_fixture(fixture);
            fs::create_dir_all(machine.root.join("mnt")).expect("mkdir mnt");
            symlink(shared.join("efs"), machine.root.join("mnt/efs")).expect("link efs");
            symlink(shared.join("site"), machine.state.join("site")).expect("link site");
            machine.boot_ok();
            machine.take_calls();
            machine
        })
        .collect()
}

#[test]
fn the_boot_starts_the_install_in_the_background_and_never_runs_wp_cli_itself() {
    let fixture = Fixture::ordinary();
    let machine = Machine::for_fixture(&fixture);
    machine.boot_ok();
    let calls = machine.calls();
    assert!(calls.contains(&START_INSTALL.to_string()), "{calls:#?}");
    assert!(
        wp_calls(&machine).is_empty(),
        "the boot waits for no install: {calls:#?}"
    );
    let unit = machine.file(UNIT);
    for line in [
        "Type=oneshot",
        "ExecStart=/usr/local/sbin/wordpress-ha-boot install-site",
        "Restart=on-failure",
        "StartLimitIntervalSec=0",
        "After=docker.service",
    ] {
        assert!(unit.lines().any(|l| l == line), "{line} in:\n{unit}");
    }
}

#[test]
fn two_instances_starting_together_install_once_and_a_rerun_installs_nothing() {
    let fixture = Fixture::ordinary();
    let shared = tempfile::tempdir().expect("tempdir");
    let machines = fleet(&fixture, shared.path(), 2);

    let mut running: Vec<_> = machines
        .iter()
        .map(|m| m.command(&["install-site"]).spawn().expect("spawn"))
        .collect();
    for child in &mut running {
        let status = child.wait().expect("wait");
        assert!(status.success(), "install-site failed: {status}");
    }
    let site = shared.path().join("site");
    assert_eq!(
        installs(&site),
        [fixture.admin_password.expose()],
        "one install, with the secret's password"
    );
    assert!(
        lines(&site.join("overlaps")).is_empty(),
        "installs overlapped"
    );
    let install_line = machines
        .iter()
        .flat_map(wp_calls)
        .find(|c| c.contains(" wp core install "))
        .expect("an install call");
    let email = fixture.admin_email.as_deref().expect("email");
    assert!(
        install_line.ends_with(&format!(
            "{} wp core install --url={} --title={} --admin_user={} --admin_email={email} \
             --skip-email --prompt=admin_password",
            defaults::WORDPRESS_CLI_IMAGE,
            fixture.site_url,
            fixture.site_title,
            fixture.admin_user
        )),
        "{install_line}"
    );
    for machine in &machines {
        for call in machine.calls() {
            assert!(
                !call.contains(fixture.admin_password.expose()),
                "the password is an argument: {call}"
            );
        }
        assert!(machine
            .root
            .join("etc/wordpress-ha/site-installed")
            .exists());
    }

    // Run again (a restart of the unit, a second boot): nothing is asked or installed.
    for machine in &machines {
        machine.take_calls();
        machine.assert_ran(&["install-site"]);
        assert!(wp_calls(machine).is_empty(), "{:#?}", machine.calls());
    }
    // A new instance of the fleet (no marker yet) asks once and installs nothing.
    let late = &fleet(&fixture, shared.path(), 1)[0];
    late.assert_ran(&["install-site"]);
    let asked = wp_calls(late);
    assert_eq!(asked.len(), 1, "{asked:#?}");
    assert!(asked[0].ends_with(" wp core is-installed"), "{asked:#?}");
    assert_eq!(installs(&site).len(), 1);
}

#[test]
fn the_install_waits_for_the_database_host_then_follows_the_watcher() {
    let early = Fixture::ordinary().before_the_database();
    let machine = Machine::for_fixture(&early);
    machine.boot_ok();
    assert!(!machine.calls().contains(&START_INSTALL.to_string()));
    machine.take_calls();
    let output = machine.run(&["install-site"]);
    assert!(output.status.success(), "{output:?}");
    assert!(machine.calls().is_empty(), "{:#?}", machine.calls());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no database in the secret yet"));

    // The database reaches the secret: the watcher restarts WordPress, then starts the install.
    let mut arrived = Fixture::ordinary();
    arrived.wordpress_keys = early.wordpress_keys.clone();
    write_file(
        &machine.state.join(format!("secret-{NEW_VERSION}.json")),
        &arrived.secret_json(),
    );
    write_file(&machine.state.join("current-version"), NEW_VERSION);
    machine.watch_ok();
    let calls = machine.take_calls();
    let restarted = calls
        .iter()
        .rposition(|c| c.starts_with("docker run -d"))
        .expect("restarted");
    let started = calls
        .iter()
        .position(|c| c == START_INSTALL)
        .expect("install started");
    assert!(restarted < started, "{calls:#?}");

    machine.assert_ran(&["install-site"]);
    assert_eq!(installs(&machine.state.join("site")).len(), 1);
    let fetched = machine
        .calls()
        .into_iter()
        .find(|c| c.starts_with("aws secretsmanager get-secret-value"))
        .expect("the password is read from the secret");
    assert!(
        fetched.contains(&format!("--version-id {NEW_VERSION} ")),
        "{fetched}"
    );
}

#[test]
fn the_install_is_retried_until_the_database_answers() {
    let fixture = Fixture::ordinary();
    let shared = tempfile::tempdir().expect("tempdir");
    let machine = &fleet(&fixture, shared.path(), 1)[0];
    write_file(&shared.path().join("site/db-failures"), "3\n");
    machine.assert_ran(&["install-site"]);
    let sleeps = machine
        .calls()
        .into_iter()
        .filter(|c| c == "sleep 10")
        .count();
    assert_eq!(sleeps, 1, "{:#?}", machine.calls());
    assert_eq!(installs(&shared.path().join("site")).len(), 1);
}

#[test]
fn a_secret_without_the_admin_password_installs_nothing_and_fails_for_systemd_to_retry() {
    let fixture = Fixture::ordinary();
    let shared = tempfile::tempdir().expect("tempdir");
    let machine = &fleet(&fixture, shared.path(), 1)[0];
    let mut secret: serde_json::Value = serde_json::from_str(&fixture.secret_json()).expect("json");
    secret
        .as_object_mut()
        .expect("object")
        .remove(stack_model::secrets::SECRET_ADMIN_PASSWORD_FIELD);
    write_file(&machine.state.join("secret.json"), &secret.to_string());
    let output = machine.run(&["install-site"]);
    assert!(!output.status.success(), "{output:?}");
    assert!(installs(&shared.path().join("site")).is_empty());
    assert!(!machine
        .root
        .join("etc/wordpress-ha/site-installed")
        .exists());
}
