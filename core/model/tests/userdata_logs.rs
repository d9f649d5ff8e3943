//! Central logs in the boot script, run under bash with stubs (see `userdata_support`): with a
//! log group the container runs with Docker's awslogs driver on the stack's group (never
//! creating one), and the boot's own output is shipped, as one event, to `boot/<instance id>`
//! when the boot ends, also when it fails, while cloud-init's output (the journal) still gets all of it.

mod userdata_support;

use serde_json::Value;
use userdata_support::machine::Machine;
use userdata_support::{write_file, Fixture};

const GROUP: &str = "/wordpress/blog";
const INSTANCE: &str = "i-0123456789abcdef0";

fn machine_with_group() -> Machine {
    let mut fixture = Fixture::ordinary();
    fixture.log_group = Some(GROUP.into());
    let machine = Machine::for_fixture(&fixture);
    // cloud-init's record of the instance id: the script reads it from disk.
    std::fs::create_dir_all(machine.root.join("var/lib/cloud/data")).expect("mkdir");
    write_file(
        &machine.root.join("var/lib/cloud/data/instance-id"),
        &format!("{INSTANCE}\n"),
    );
    machine
}

/// The messages of the events the boot shipped (one: the whole boot log).
fn shipped(machine: &Machine) -> Vec<String> {
    let events = std::fs::read_to_string(machine.state.join("shipped-events.json"))
        .expect("the boot log was shipped");
    let events: Value = serde_json::from_str(&events).expect("PutLogEvents JSON");
    let events = events.as_array().expect("a list of events");
    let mut stamps = events
        .iter()
        .map(|e| e["timestamp"].as_i64().expect("stamp"));
    assert!(stamps.all(|t| t > 1_600_000_000_000), "{events:?}");
    events
        .iter()
        .map(|e| e["message"].as_str().expect("message").to_string())
        .collect()
}

#[track_caller]
fn assert_shipped_last(calls: &[String]) {
    let n = calls.len();
    assert_eq!(
        calls[n - 2],
        format!(
            "aws logs create-log-stream --log-group-name {GROUP} --log-stream-name boot/{INSTANCE} --region us-east-1"
        ),
        "{calls:#?}"
    );
    let put = format!(
        "aws logs put-log-events --log-group-name {GROUP} --log-stream-name boot/{INSTANCE} --region us-east-1 --log-events file://"
    );
    assert!(calls[n - 1].starts_with(&put), "{calls:#?}");
}

#[test]
fn the_container_logs_to_the_group_and_the_boot_log_is_shipped_at_the_end() {
    let machine = machine_with_group();
    let output = machine.boot();
    assert!(output.status.success(), "{output:?}");
    let calls = machine.calls();
    let run = calls
        .iter()
        .find(|c| c.starts_with("docker run"))
        .expect("docker run");
    assert!(
        run.contains(&format!(
            "--log-driver awslogs --log-opt awslogs-group={GROUP} --log-opt awslogs-region=us-east-1 \
             --log-opt awslogs-stream=wordpress/{INSTANCE} --log-opt awslogs-create-group=false \
             --log-opt mode=non-blocking"
        )),
        "{run}"
    );
    assert!(!run.contains("journald"), "{run}");
    assert_shipped_last(&calls);
    let messages = shipped(&machine);
    assert!(
        messages
            .iter()
            .any(|m| m.contains("mounting fs-0123456789abcdef0")),
        "{messages:#?}"
    );
    assert_eq!(messages.len(), 1, "{messages:#?}");
    assert!(
        messages[0].ends_with("[wordpress-ha blog] WordPress is running\n"),
        "{messages:#?}"
    );
    // The journal (cloud-init's capture of the script's output) keeps it too.
    let journal = String::from_utf8_lossy(&output.stdout);
    assert!(journal.contains("WordPress is running"), "{journal}");
    // The temporary events file is gone; the boot log stays on the instance.
    assert!(machine
        .file("etc/wordpress-ha/boot.log")
        .contains("WordPress is running"));
}

#[test]
fn a_failed_boot_is_shipped_too_and_still_fails() {
    let machine = machine_with_group();
    // The mount target never answers: the boot gives up on mounting.
    write_file(&machine.state.join("mount-failures"), "1000\n");
    let output = machine.boot();
    assert!(!output.status.success(), "the boot fails: {output:?}");
    let calls = machine.calls();
    assert!(
        !calls.iter().any(|c| c.starts_with("docker run")),
        "{calls:#?}"
    );
    assert_shipped_last(&calls);
    let messages = shipped(&machine);
    assert!(
        messages
            .iter()
            .any(|m| m.contains("giving up on 'mount_efs_once'")),
        "the reason reaches the group: {messages:#?}"
    );
}

#[test]
fn without_a_group_the_container_logs_to_the_journal_and_nothing_is_shipped() {
    let machine = Machine::for_fixture(&Fixture::ordinary());
    machine.boot_ok();
    let calls = machine.calls();
    assert!(
        !calls.iter().any(|c| c.starts_with("aws logs")),
        "{calls:#?}"
    );
    let run = calls
        .iter()
        .find(|c| c.starts_with("docker run"))
        .expect("docker run");
    assert!(run.contains("--log-driver journald"), "{run}");
}
