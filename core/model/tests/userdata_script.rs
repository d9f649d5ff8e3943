//! The boot script, run under bash with every system command replaced by a recording stub and
//! its paths redirected to a scratch root: the right commands in the right order, idempotent
//! on a second boot, patient with a slow mount target, and immune to hostile values.

mod userdata_support;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use stack_model::userdata::{self, render, TEST_ROOT_VARIABLE};
use userdata_support::{extract_script, require_tool, write_file, Fixture};

/// Commands the script may not really run here; each stub appends its argv to `calls.log`.
/// State files in `state/` let the stubs answer like the real thing across runs.
const STUBS: &[(&str, &str)] = &[
    ("dnf", ""),
    ("systemctl", ""),
    ("chown", ""),
    ("sleep", ""),
    (
        "aws",
        r#"fails_left=$(cat "$STATE/secret-failures" 2>/dev/null || echo 0)
if [ "$fails_left" -gt 0 ]; then
  echo $((fails_left - 1)) > "$STATE/secret-failures"
  echo "Unable to locate credentials" >&2
  exit 253
fi
cat "$STATE/secret.json"
echo"#,
    ),
    ("mountpoint", r#"[ -e "$STATE/mounted" ]"#),
    (
        "mount",
        r#"fails_left=$(cat "$STATE/mount-failures" 2>/dev/null || echo 0)
if [ "$fails_left" -gt 0 ]; then
  echo $((fails_left - 1)) > "$STATE/mount-failures"
  echo "mount.nfs4: Connection timed out" >&2
  exit 32
fi
touch "$STATE/mounted""#,
    ),
    (
        "docker",
        r#"case "$1" in
  pull) ;;
  container) [ -e "$STATE/container" ] ;;
  rm) rm -f "$STATE/container" ;;
  run)
    if [ -e "$STATE/container" ]; then echo "Conflict: name already in use" >&2; exit 125; fi
    echo 1 >> "$STATE/containers-started"
    touch "$STATE/container" ;;
  *) echo "unexpected docker $*" >&2; exit 2 ;;
esac"#,
    ),
];

struct Machine {
    _dir: tempfile::TempDir,
    root: PathBuf,
    stubs: PathBuf,
    state: PathBuf,
    /// Where the script runs: hostile values try to create files here.
    work: PathBuf,
    script: PathBuf,
}

impl Machine {
    /// A machine booting `fixture`'s user data, whose secret holds `fixture`'s values.
    fn for_fixture(fixture: &Fixture) -> Self {
        let machine = Machine::new(&render(&fixture.input()));
        write_file(&machine.state.join("secret.json"), &fixture.secret_json());
        machine
    }

    fn new(document: &str) -> Self {
        require_tool("bash");
        let dir = tempfile::tempdir().expect("tempdir");
        let base = dir.path().to_path_buf();
        let machine = Machine {
            root: base.join("root"),
            stubs: base.join("stubs"),
            state: base.join("state"),
            work: base.join("work"),
            script: base.join("boot.sh"),
            _dir: dir,
        };
        for path in [
            &machine.root.join("etc"),
            &machine.stubs,
            &machine.state,
            &machine.work,
        ] {
            fs::create_dir_all(path).expect("mkdir");
        }
        write_file(
            &machine.root.join("etc/fstab"),
            "UUID=abc / xfs defaults,noatime 1 1\n",
        );
        for (name, behaviour) in STUBS {
            let stub = machine.stubs.join(name);
            let body = format!(
                "#!/bin/bash\nprintf '%s' {name} >> \"$STATE/calls.log\"\nprintf ' %s' \"$@\" >> \"$STATE/calls.log\"\necho >> \"$STATE/calls.log\"\n{behaviour}\n"
            );
            write_file(&stub, &body);
            fs::set_permissions(&stub, fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        write_file(&machine.script, &extract_script(document));
        machine
    }

    fn boot(&self) -> Output {
        let path = format!(
            "{}:{}",
            self.stubs.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Command::new("bash")
            .arg(&self.script)
            .current_dir(&self.work)
            .env("PATH", path)
            .env("STATE", &self.state)
            .env(TEST_ROOT_VARIABLE, &self.root)
            .output()
            .expect("run bash")
    }

    fn boot_ok(&self) {
        let output = self.boot();
        assert!(
            output.status.success(),
            "boot script failed ({}):\n{}\ncalls:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr),
            self.calls().join("\n")
        );
    }

    fn calls(&self) -> Vec<String> {
        fs::read_to_string(self.state.join("calls.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn take_calls(&self) -> Vec<String> {
        let calls = self.calls();
        let _ = fs::remove_file(self.state.join("calls.log"));
        calls
    }

    fn file(&self, relative: &str) -> String {
        let path = self.root.join(relative);
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    fn mode(&self, relative: &str) -> u32 {
        fs::metadata(self.root.join(relative))
            .expect("stat")
            .permissions()
            .mode()
            & 0o777
    }

    fn containers_started(&self) -> usize {
        fs::read_to_string(self.state.join("containers-started"))
            .unwrap_or_default()
            .lines()
            .count()
    }

    fn root_path(&self, relative: &str) -> String {
        self.root.join(relative).display().to_string()
    }
}

fn secret_fetch(fixture: &Fixture) -> String {
    format!(
        "aws secretsmanager get-secret-value --secret-id {} --version-id {} --region {} \
         --query SecretString --output text",
        fixture.secret_id, fixture.secret_version, fixture.region
    )
}

/// The env file the container must get: the rendered variables, then the secret's.
fn expected_env_file(fixture: &Fixture) -> String {
    format!(
        "{}\n{}\n",
        userdata::container_env(&fixture.input()),
        fixture.secret_env_lines().join("\n")
    )
}

fn expected_first_boot(machine: &Machine, fixture: &Fixture) -> Vec<String> {
    let efs = machine.root_path("mnt/efs");
    let env_file = machine.root_path("etc/wordpress-ha/wordpress.env");
    let health_file = machine.root_path("etc/wordpress-ha/health-check.html");
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
             --label wordpress-ha.stack={} -v {health_file}:/var/www/html/healthz.html:ro {}",
            fixture.stack_name, fixture.image
        ),
    ]
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
    assert_eq!(machine.file("etc/wordpress-ha/health-check.html"), "OK\n");
    assert_eq!(
        machine.mode("etc/wordpress-ha/health-check.html"),
        0o644,
        "apache must read it"
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
            "docker pull wordpress:6-apache",
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
        2,
        "no staged env files left behind: {leftovers:?}"
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
    assert!(!machine
        .root
        .join("etc/wordpress-ha/health-check.html")
        .exists());
    let run = machine
        .calls()
        .into_iter()
        .find(|c| c.starts_with("docker run"))
        .expect("docker run");
    assert!(!run.contains("/var/www/html/wp-login.php"), "{run}");
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
    for value in std::iter::once(&fixture.db_password).chain(fixture.wordpress_keys.values()) {
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
    for value in std::iter::once(&fixture.db_password).chain(fixture.wordpress_keys.values()) {
        assert!(
            !logged.contains(value.expose()),
            "a secret value was logged"
        );
    }
}
