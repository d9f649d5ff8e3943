//! A scratch machine the boot script runs on: every system command replaced by a recording
//! stub (`calls.log`), every path under a scratch root, and state files that let the stubs
//! answer like the real thing across runs (a secret per version, failures to count down).
//! `state/site` plays the database WP-CLI installs into: machines whose `state/site` and
//! `mnt/efs` are links to one directory are a fleet sharing a database and a file system.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output};

use stack_model::userdata::{self, render, TEST_ROOT_VARIABLE};

use super::{extract_script, require_tool, write_file, Fixture};

/// Commands the script may not really run here; each stub appends its argv to `calls.log`.
/// State files in `state/` let the stubs answer like the real thing across runs.
pub const STUBS: &[(&str, &str)] = &[
    ("dnf", ""),
    ("systemctl", ""),
    ("chown", ""),
    ("sleep", ""),
    (
        "aws",
        r#"if [ "$1" = logs ]; then
  if [ "$2" = put-log-events ]; then
    for arg in "$@"; do
      case "$arg" in file://*) cp "${arg#file://}" "$STATE/shipped-events.json" ;; esac
    done
  fi
  exit 0
fi
if [ "$2" = describe-secret ]; then
  current=$(cat "$STATE/current-version" 2>/dev/null) || { echo '{}'; exit 0; }
  printf '{"%s": ["AWSCURRENT"], "wpha-older": ["AWSPREVIOUS"]}\n' "$current"
  exit 0
fi
fails_left=$(cat "$STATE/secret-failures" 2>/dev/null || echo 0)
if [ "$fails_left" -gt 0 ]; then
  echo $((fails_left - 1)) > "$STATE/secret-failures"
  echo "Unable to locate credentials" >&2
  exit 253
fi
while [ $# -gt 0 ]; do
  if [ "$1" = --version-id ]; then version=$2; fi
  shift
done
if [ -e "$STATE/secret-$version.json" ]; then cat "$STATE/secret-$version.json"; else cat "$STATE/secret.json"; fi
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
  pull)
    fails_left=$(cat "$STATE/pull-failures" 2>/dev/null || echo 0)
    if [ "$fails_left" -gt 0 ]; then
      echo $((fails_left - 1)) > "$STATE/pull-failures"
      echo "toomanyrequests: Rate exceeded" >&2
      exit 1
    fi ;;
  container) [ -e "$STATE/container" ] ;;
  rm) rm -f "$STATE/container" ;;
  run)
    site="$STATE/site"
    mkdir -p "$site"
    case " $* " in
      *" wp core "*)
        fails_left=$(cat "$site/db-failures" 2>/dev/null || echo 0)
        if [ "$fails_left" -gt 0 ]; then
          echo $((fails_left - 1)) > "$site/db-failures"
          echo "Error: Error establishing a database connection." >&2
          exit 1
        fi ;;
    esac
    case " $* " in
      *" wp core is-installed "*) [ -e "$site/installed" ] ;;
      *" wp core install "*)
        IFS= read -r password
        printf '%s\n' "$password" >> "$site/install-passwords"
        if [ -e "$site/installing" ]; then echo overlap >> "$site/overlaps"; fi
        touch "$site/installing"
        command -p sleep 0.5
        rm -f "$site/installing"
        touch "$site/installed" ;;
      *)
        if [ -e "$STATE/container" ]; then echo "Conflict: name already in use" >&2; exit 125; fi
        echo 1 >> "$STATE/containers-started"
        touch "$STATE/container" ;;
    esac ;;
  *) echo "unexpected docker $*" >&2; exit 2 ;;
esac"#,
    ),
];

pub struct Machine {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    pub stubs: PathBuf,
    pub state: PathBuf,
    /// Where the script runs: hostile values try to create files here.
    pub work: PathBuf,
    pub script: PathBuf,
}

impl Machine {
    /// A machine booting `fixture`'s user data, whose secret holds `fixture`'s values.
    pub fn for_fixture(fixture: &Fixture) -> Self {
        let machine = Machine::new(&render(&fixture.input()));
        write_file(&machine.state.join("secret.json"), &fixture.secret_json());
        machine
    }

    pub fn new(document: &str) -> Self {
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

    /// The first boot, as cloud-init runs the script: without arguments.
    pub fn boot(&self) -> Output {
        self.run(&[])
    }

    /// One run of the secret watcher, as its systemd timer starts it.
    pub fn watch(&self) -> Output {
        self.run(&["watch-secret"])
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run bash")
    }

    /// The script with `args`, as `run` starts it, to start in the background.
    pub fn command(&self, args: &[&str]) -> Command {
        let path = format!(
            "{}:{}",
            self.stubs.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut command = Command::new("bash");
        command
            .arg(&self.script)
            .args(args)
            .current_dir(&self.work)
            .env("PATH", path)
            .env("STATE", &self.state)
            .env(TEST_ROOT_VARIABLE, &self.root);
        command
    }

    pub fn boot_ok(&self) {
        self.assert_ok(self.boot(), "boot");
    }

    pub fn watch_ok(&self) {
        self.assert_ok(self.watch(), "watch-secret");
    }

    /// Runs the script with `args` and fails the test when it fails.
    pub fn assert_ran(&self, args: &[&str]) {
        self.assert_ok(self.run(args), &args.join(" "));
    }

    fn assert_ok(&self, output: Output, what: &str) {
        assert!(
            output.status.success(),
            "{what} failed ({}):\n{}\ncalls:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr),
            self.calls().join("\n")
        );
    }

    pub fn calls(&self) -> Vec<String> {
        fs::read_to_string(self.state.join("calls.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    pub fn take_calls(&self) -> Vec<String> {
        let calls = self.calls();
        let _ = fs::remove_file(self.state.join("calls.log"));
        calls
    }

    pub fn file(&self, relative: &str) -> String {
        let path = self.root.join(relative);
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    pub fn mode(&self, relative: &str) -> u32 {
        fs::metadata(self.root.join(relative))
            .expect("stat")
            .permissions()
            .mode()
            & 0o777
    }

    pub fn containers_started(&self) -> usize {
        fs::read_to_string(self.state.join("containers-started"))
            .unwrap_or_default()
            .lines()
            .count()
    }

    pub fn root_path(&self, relative: &str) -> String {
        self.root.join(relative).display().to_string()
    }
}

/// The boot's read of the version its user data names.
pub fn secret_fetch(fixture: &Fixture) -> String {
    secret_fetch_of(fixture, &fixture.secret_version)
}

/// A read of `version` of the fixture's secret.
pub fn secret_fetch_of(fixture: &Fixture, version: &str) -> String {
    format!(
        "aws secretsmanager get-secret-value --secret-id {} --version-id {version} --region {} \
         --query SecretString --output text",
        fixture.secret_id, fixture.region
    )
}

/// The watcher's question: which version is current (metadata only).
pub fn secret_describe(fixture: &Fixture) -> String {
    format!(
        "aws secretsmanager describe-secret --secret-id {} --region {} \
         --query VersionIdsToStages --output json",
        fixture.secret_id, fixture.region
    )
}

/// The env file the container must get: the rendered variables, then the secret's.
pub fn expected_env_file(fixture: &Fixture) -> String {
    format!(
        "{}\n{}\n",
        userdata::container_env(&fixture.input()),
        fixture.secret_env_lines().join("\n")
    )
}
