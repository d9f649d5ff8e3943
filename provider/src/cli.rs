//! The binary's commands for people: `docs`, `diagram`, `version`.
//!
//! They run only when the go-plugin magic cookie is absent; with it the binary serves Terraform
//! (see `main`). Run without a command, the binary explains that it is a plugin and exits 1, as
//! every Terraform provider does. Commands print to stdout freely: no plugin host is listening.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::server::{ServeError, MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, PROTOCOL_VERSION};
use crate::{diagram, docs};

/// The provider's version, from Cargo.toml (what packaging names the release after).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Debug, Parser)]
#[command(
    name = "terraform-provider-wordpress",
    version,
    about = "Terraform provider wpstack/wordpress: highly available WordPress stacks on AWS.",
    long_about = "Terraform provider wpstack/wordpress: highly available WordPress stacks on AWS.\n\n\
Terraform launches this binary as a plugin. The commands below are for people: generate the \
documentation, draw a stack, print the version."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the registry-style documentation (index.md, resources/ha_stack.md), generated
    /// from the schema.
    Docs {
        /// Directory to write into.
        #[arg(long, default_value = "docs")]
        out: PathBuf,
    },
    /// Draw the AWS objects of each wordpress_ha_stack from `terraform show -json` output
    /// (a state or a saved plan) read from stdin, e.g.
    /// `terraform show -json | terraform-provider-wordpress diagram`.
    Diagram {
        #[arg(long, value_enum, default_value_t = DiagramFormat::Mermaid)]
        format: DiagramFormat,
        /// Read this file instead of stdin.
        #[arg(long)]
        input: Option<PathBuf>,
    },
    /// Print the provider version and the plugin protocol it speaks.
    Version,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagramFormat {
    /// A Mermaid flowchart (renders on GitHub, GitLab and in most Markdown viewers).
    Mermaid,
}

/// Whether a go-plugin host (Terraform, OpenTofu) launched this process.
pub fn launched_by_terraform() -> bool {
    std::env::var(MAGIC_COOKIE_KEY).is_ok_and(|value| value == MAGIC_COOKIE_VALUE)
}

/// Parses the arguments and runs the command; errors go to stderr with exit code 1
/// (clap's usage errors exit 2).
pub fn run_for_people(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
        }
    };
    match execute(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn execute(command: Option<Command>) -> Result<(), String> {
    match command {
        None => Err(format!(
            "{}\n\nFor people, this binary also has commands: docs, diagram, version \
             (see --help).",
            ServeError::NotLaunchedByTerraform
        )),
        Some(Command::Version) => {
            println!("terraform-provider-wordpress {VERSION}");
            println!("plugin protocol {PROTOCOL_VERSION}.0");
            Ok(())
        }
        Some(Command::Docs { out }) => {
            let written = docs::write_all(&out).map_err(|err| err.to_string())?;
            for path in written {
                println!("wrote {}", path.display());
            }
            Ok(())
        }
        Some(Command::Diagram { format, input }) => {
            let text = read_input(input)?;
            let format = match format {
                DiagramFormat::Mermaid => diagram::Format::Mermaid,
            };
            let chart = diagram::render(&text, format).map_err(|err| err.to_string())?;
            print!("{chart}");
            Ok(())
        }
    }
}

fn read_input(input: Option<PathBuf>) -> Result<String, String> {
    match input {
        Some(path) => std::fs::read_to_string(&path)
            .map_err(|err| format!("could not read {}: {err}", path.display())),
        None => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|err| format!("could not read stdin: {err}"))?;
            Ok(text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn docs_writes_to_docs_unless_told_otherwise() {
        let cli = Cli::try_parse_from(["p", "docs"]).expect("parses");
        assert!(matches!(cli.command, Some(Command::Docs { out }) if out == PathBuf::from("docs")));
        let cli = Cli::try_parse_from(["p", "docs", "--out", "/tmp/x"]).expect("parses");
        assert!(matches!(cli.command, Some(Command::Docs { out }) if out == PathBuf::from("/tmp/x")));
    }

    #[test]
    fn diagram_knows_mermaid_only() {
        let cli = Cli::try_parse_from(["p", "diagram", "--format", "mermaid"]).expect("parses");
        assert!(matches!(
            cli.command,
            Some(Command::Diagram { format: DiagramFormat::Mermaid, input: None })
        ));
        assert!(Cli::try_parse_from(["p", "diagram", "--format", "svg"]).is_err());
    }

    #[test]
    fn no_command_is_the_plugin_message() {
        let err = execute(None).expect_err("no command fails");
        assert!(err.contains("This binary is a plugin"), "{err}");
    }
}
