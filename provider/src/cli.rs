//! The binary's commands for people: `docs`, `diagram`, `review`, `version`.
//!
//! They run only when the go-plugin magic cookie is absent; with it the binary serves Terraform
//! (see `main`). Run without a command, the binary explains that it is a plugin and exits 1, as
//! every Terraform provider does. Commands print to stdout freely: no plugin host is listening.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use tfplugin::server::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, PROTOCOL_VERSION};

use wp_resource::review::{self, Risk};
use wp_resource::{diagram, docs};

/// The provider's version, from Cargo.toml (what packaging names the release after).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What a person who runs the binary without a command reads: it is Terraform's to run.
const NOT_LAUNCHED_BY_TERRAFORM: &str =
    "This binary is a plugin. It is not meant to be executed directly.\n\
     Terraform runs it: install it as the provider wpstack/wordpress (see the README) \
     and run `terraform plan` or `terraform apply`.";

#[derive(Debug, Parser)]
#[command(
    name = "terraform-provider-wordpress",
    version,
    about = "Terraform provider wpstack/wordpress: highly available WordPress stacks on AWS.",
    long_about = "Terraform provider wpstack/wordpress: highly available WordPress stacks on AWS.\n\n\
Terraform launches this binary as a plugin. The commands below are for people: generate the \
documentation, draw a stack, review a saved plan for CI, print the version."
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
    /// Review a saved plan (`terraform show -json tfplan > tfplan.json`): per stack, the AWS
    /// objects it changes grouped by risk (data-loss, downtime, cost) and the monthly cost
    /// delta at on-demand prices. Exits 3 when a change carries a label named by --fail-on.
    Review {
        /// The plan as JSON; `-` reads stdin.
        plan: PathBuf,
        #[arg(long, value_enum, default_value_t = ReviewFormat::Text)]
        format: ReviewFormat,
        /// Exit 3 if any change carries this label (repeat or comma-separate for several).
        #[arg(long, value_enum, value_delimiter = ',')]
        fail_on: Vec<Gate>,
    },
    /// Print the provider version and the plugin protocol it speaks.
    Version,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReviewFormat {
    /// Plain text for a terminal or a CI log.
    Text,
    /// Markdown for a pull-request comment or `$GITHUB_STEP_SUMMARY`.
    Markdown,
}

/// The labels a CI gate can stop on (a cost change alone never needs approval here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Gate {
    /// A database or file system replaced or deleted, a final snapshot skipped, a DNS record
    /// overwritten.
    DataLoss,
    /// An instance refresh, a database reboot or failover, a listener or DNS change.
    Downtime,
}

impl Gate {
    fn risk(self) -> Risk {
        match self {
            Gate::DataLoss => Risk::DataLoss,
            Gate::Downtime => Risk::Downtime,
        }
    }
}

/// The exit status of a review whose plan carries a label `--fail-on` names.
pub const GATE_EXIT: u8 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagramFormat {
    /// A Mermaid flowchart (renders on GitHub, GitLab and in most Markdown viewers).
    Mermaid,
}

/// Whether a go-plugin host (Terraform, OpenTofu) launched this process.
pub fn launched_by_terraform() -> bool {
    std::env::var(MAGIC_COOKIE_KEY).is_ok_and(|value| value == MAGIC_COOKIE_VALUE)
}

/// Why a command failed; printed on stderr, exit code 1.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(
        "{}\n\nFor people, this binary also has commands: docs, diagram, review, version (see --help).",
        NOT_LAUNCHED_BY_TERRAFORM
    )]
    NoCommand,
    #[error(transparent)]
    Docs(#[from] docs::DocsError),
    #[error(transparent)]
    Diagram(#[from] diagram::DiagramError),
    #[error(transparent)]
    Review(#[from] review::ReviewError),
    #[error("review: the plan has {} changes (--fail-on); approve it before applying", .0.join(" and "))]
    Gated(Vec<&'static str>),
    #[error("could not read {what}: {source}")]
    Read {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("could not write to stdout: {0}")]
    Write(#[source] std::io::Error),
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
        Err(err @ CliError::Gated(_)) => {
            eprintln!("{err}");
            ExitCode::from(GATE_EXIT)
        }
        Err(err) => {
            eprintln!("{err}");
            ExitCode::FAILURE
        }
    }
}

fn execute(command: Option<Command>) -> Result<(), CliError> {
    match command {
        None => Err(CliError::NoCommand),
        Some(Command::Version) => emit(&format!(
            "terraform-provider-wordpress {VERSION}\nplugin protocol {PROTOCOL_VERSION}.0\n"
        )),
        Some(Command::Docs { out }) => {
            let report: String = docs::write_all(&out)?
                .iter()
                .map(|path| format!("wrote {}\n", path.display()))
                .collect();
            emit(&report)
        }
        Some(Command::Diagram { format, input }) => {
            let text = read_input(input)?;
            let format = match format {
                DiagramFormat::Mermaid => diagram::Format::Mermaid,
            };
            emit(&diagram::render(&text, format)?)
        }
        Some(Command::Review {
            plan,
            format,
            fail_on,
        }) => {
            let input = (plan.as_os_str() != "-").then_some(plan);
            let reviewed = review::review_plan(&read_input(input)?)?;
            let format = match format {
                ReviewFormat::Text => review::Format::Text,
                ReviewFormat::Markdown => review::Format::Markdown,
            };
            emit(&review::render(&reviewed, format))?;
            let gates: Vec<Risk> = fail_on.iter().map(|g| g.risk()).collect();
            let hits = reviewed.gate(&gates);
            if hits.is_empty() {
                Ok(())
            } else {
                Err(CliError::Gated(hits.iter().map(|r| r.label()).collect()))
            }
        }
    }
}

fn read_input(input: Option<PathBuf>) -> Result<String, CliError> {
    match input {
        Some(path) => std::fs::read_to_string(&path).map_err(|source| CliError::Read {
            what: path.display().to_string(),
            source,
        }),
        None => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|source| CliError::Read {
                    what: "stdin".to_string(),
                    source,
                })?;
            Ok(text)
        }
    }
}

/// Writes to stdout. A reader that stopped early (`| head`) is not an error.
fn emit(text: &str) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::Write(err)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use std::path::Path;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn docs_writes_to_docs_unless_told_otherwise() {
        let cli = Cli::try_parse_from(["p", "docs"]).expect("parses");
        assert!(matches!(cli.command, Some(Command::Docs { out }) if out == Path::new("docs")));
        let cli = Cli::try_parse_from(["p", "docs", "--out", "/tmp/x"]).expect("parses");
        assert!(matches!(cli.command, Some(Command::Docs { out }) if out == Path::new("/tmp/x")));
    }

    #[test]
    fn diagram_knows_mermaid_only() {
        let cli = Cli::try_parse_from(["p", "diagram", "--format", "mermaid"]).expect("parses");
        assert!(matches!(
            cli.command,
            Some(Command::Diagram {
                format: DiagramFormat::Mermaid,
                input: None
            })
        ));
        assert!(Cli::try_parse_from(["p", "diagram", "--format", "svg"]).is_err());
    }

    #[test]
    fn review_takes_a_plan_a_format_and_gates() {
        let cli = Cli::try_parse_from([
            "p",
            "review",
            "tfplan.json",
            "--format",
            "markdown",
            "--fail-on",
            "data-loss,downtime",
        ])
        .expect("parses");
        let Some(Command::Review {
            plan,
            format,
            fail_on,
        }) = cli.command
        else {
            panic!("not review: {cli:?}");
        };
        assert_eq!(plan, Path::new("tfplan.json"));
        assert_eq!(format, ReviewFormat::Markdown);
        assert_eq!(fail_on, [Gate::DataLoss, Gate::Downtime]);
        assert!(Cli::try_parse_from(["p", "review", "x", "--fail-on", "cost"]).is_err());
    }

    #[test]
    fn no_command_is_the_plugin_message() {
        let err = execute(None).expect_err("no command fails");
        assert!(err.to_string().contains("This binary is a plugin"), "{err}");
    }
}
