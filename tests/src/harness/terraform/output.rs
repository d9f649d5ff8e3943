//! What a Terraform command did ([`TfOutput`]), and reading its JSON output.

use std::fmt;

/// What one Terraform command did.
#[derive(Debug, Clone)]
pub struct TfOutput {
    pub args: Vec<String>,
    /// `None` when the process was killed (by a signal or our timeout).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

impl TfOutput {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Panics, printing the whole output, unless the command exited 0.
    #[track_caller]
    pub fn assert_success(self) -> TfOutput {
        assert!(self.success(), "expected success\n{self}");
        self
    }

    /// Panics, printing the whole output, unless the command failed (ran and exited non-zero).
    #[track_caller]
    pub fn assert_failure(self) -> TfOutput {
        assert!(
            !self.success() && !self.timed_out,
            "expected failure\n{self}"
        );
        self
    }

    /// Panics unless the exit code is exactly `code` (e.g. `plan -detailed-exitcode`: 0 = no
    /// changes, 1 = error, 2 = changes).
    #[track_caller]
    pub fn assert_code(self, code: i32) -> TfOutput {
        assert_eq!(self.code, Some(code), "unexpected exit code\n{self}");
        self
    }

    /// Whether an error diagnostic quotes the configuration line of `attribute`: Terraform
    /// prints the source snippet (`  12:     vpc_cidr = ...`) only when the diagnostic carries an
    /// attribute path that leads to that line.
    pub fn points_at_attribute(&self, attribute: &str) -> bool {
        self.combined()
            .lines()
            .any(|line| quotes_attribute(line, attribute))
    }

    /// stdout then stderr: where Terraform's diagnostics end up depends on the command.
    pub fn combined(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// stdout parsed as JSON (for `output -json`, `show -json`).
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        match serde_json::from_str(&self.stdout) {
            Ok(value) => value,
            Err(err) => panic!("stdout is not JSON ({err})\n{self}"),
        }
    }
}

impl fmt::Display for TfOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = match (self.code, self.timed_out) {
            (_, true) => "killed after the timeout".to_string(),
            (Some(code), false) => code.to_string(),
            (None, false) => "killed by a signal".to_string(),
        };
        writeln!(f, "$ terraform {}  (exit: {code})", self.args.join(" "))?;
        writeln!(f, "--- stdout ---\n{}", self.stdout.trim_end())?;
        write!(f, "--- stderr ---\n{}", self.stderr.trim_end())
    }
}

/// `  12:     name = "x"` (a source snippet line) for attribute `name`.
fn quotes_attribute(line: &str, attribute: &str) -> bool {
    let Some((number, source)) = line.trim_start().split_once(':') else {
        return false;
    };
    let Some(rest) = source.trim_start().strip_prefix(attribute) else {
        return false;
    };
    !number.is_empty()
        && number.chars().all(|c| c.is_ascii_digit())
        && rest.trim_start().starts_with('=')
}

/// `values` of the resource at `address` in `terraform show -json` output (root module).
pub fn find_resource(state: &serde_json::Value, address: &str) -> Option<serde_json::Value> {
    state
        .pointer("/values/root_module/resources")?
        .as_array()?
        .iter()
        .find(|r| r.get("address").and_then(|a| a.as_str()) == Some(address))?
        .get("values")
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_lines_are_recognised_by_attribute() {
        assert!(quotes_attribute(
            "  12:     vpc_cidr = \"10.0.0.0/33\"",
            "vpc_cidr"
        ));
        assert!(quotes_attribute("   7:   name = \"Bad\"", "name"));
        assert!(!quotes_attribute("   7:   name_prefix = \"Bad\"", "name"));
        assert!(!quotes_attribute("Error: vpc_cidr = nonsense", "vpc_cidr"));
        assert!(!quotes_attribute("  on main.tf line 7:", "name"));
    }

    #[test]
    fn resources_are_found_by_address() {
        let state = serde_json::json!({"values": {"root_module": {"resources": [
            {"address": "wordpress_ha_stack.a", "values": {"id": "a"}},
            {"address": "wordpress_ha_stack.b", "values": {"id": "b"}}
        ]}}});
        assert_eq!(
            find_resource(&state, "wordpress_ha_stack.b"),
            Some(serde_json::json!({"id": "b"}))
        );
        assert_eq!(find_resource(&state, "wordpress_ha_stack.c"), None);
    }

    #[test]
    fn output_display_shows_command_code_and_streams() {
        let out = TfOutput {
            args: vec!["plan".into()],
            code: Some(1),
            stdout: "out".into(),
            stderr: "Error: bad".into(),
            timed_out: false,
        };
        let text = out.to_string();
        assert!(text.contains("terraform plan"), "{text}");
        assert!(text.contains("exit: 1"), "{text}");
        assert!(text.contains("Error: bad"), "{text}");
        assert!(!out.success());
    }
}
