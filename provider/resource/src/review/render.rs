//! The review as text (a terminal, a CI log) or Markdown (a pull-request comment,
//! `$GITHUB_STEP_SUMMARY`), both written from one outline so they say the same.

use stack_model::plan::{PlannedAction, Risk};
use stack_model::pricing::{self, table, CostDelta};

use super::{Review, StackAction, StackReview};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
}

/// One element of the outline.
enum Part {
    Title(String),
    Summary(String),
    Stack {
        address: String,
        action: &'static str,
    },
    Cost(String),
    Paths(&'static str, String),
    Group(&'static str),
    Item {
        line: String,
        labels: Vec<Risk>,
    },
}

pub fn render(review: &Review, format: Format) -> String {
    let parts = outline(review);
    match format {
        Format::Text => text(&parts),
        Format::Markdown => markdown(&parts),
    }
}

fn outline(review: &Review) -> Vec<Part> {
    let mut parts = vec![
        Part::Title("Plan review".to_string()),
        Part::Summary(summary(review)),
    ];
    for stack in &review.stacks {
        parts.push(Part::Stack {
            address: stack.address.clone(),
            action: stack.action.words(),
        });
        for (what, paths) in [
            ("changed arguments", &stack.arguments),
            ("known after apply", &stack.known_after_apply),
        ] {
            if !paths.is_empty() {
                parts.push(Part::Paths(what, paths.join(", ")));
            }
        }
        if stack.risks().contains(&Risk::Cost) || stack.action != StackAction::Update {
            parts.push(Part::Cost(cost(stack)));
        }
        for (group, members) in groups(stack) {
            if members.is_empty() {
                continue;
            }
            parts.push(Part::Group(group));
            parts.extend(members.into_iter().map(|change| Part::Item {
                line: format!(
                    "{} {}: {}",
                    change.action.verb(),
                    change.object,
                    change.detail
                ),
                labels: change.risks.iter().copied().collect(),
            }));
        }
    }
    parts
}

fn summary(review: &Review) -> String {
    if review.stacks.is_empty() {
        return "no wordpress_ha_stack changes".to_string();
    }
    let stacks = match review.stacks.len() {
        1 => "1 stack changes".to_string(),
        n => format!("{n} stacks change"),
    };
    let counts: Vec<String> = Risk::ALL
        .iter()
        .map(|r| format!("{} {}", review.count(*r), r.label()))
        .collect();
    let mut summary = format!("{stacks}: {} change(s)", counts.join(", "));
    if review.other_changes > 0 {
        summary.push_str(&format!(
            "; {} other resource change(s) not reviewed here",
            review.other_changes
        ));
    }
    summary
}

fn cost(stack: &StackReview) -> String {
    match &stack.cost {
        CostDelta::Priced {
            monthly_usd,
            region,
        } => format!(
            "monthly cost {} (on-demand in {region}, prices of {}, the app at its desired or \
             minimum size; usage-billed parts excluded)",
            pricing::format_monthly(*monthly_usd),
            table::AS_OF
        ),
        CostDelta::NoPrice { reason } => format!("monthly cost: no price ({reason})"),
    }
}

/// The changes by their most severe label, most severe first; unlabelled ones last.
fn groups(stack: &StackReview) -> Vec<(&'static str, Vec<&PlannedAction>)> {
    let mut groups: Vec<(&'static str, Vec<&PlannedAction>)> =
        Risk::ALL.iter().map(|r| (r.title(), Vec::new())).collect();
    groups.push(("Other changes", Vec::new()));
    for change in &stack.changes {
        let index = Risk::ALL
            .iter()
            .position(|r| change.risks.contains(r))
            .unwrap_or(Risk::ALL.len());
        groups[index].1.push(change);
    }
    groups
}

fn labels(labels: &[Risk]) -> String {
    let words: Vec<&str> = labels.iter().map(|r| r.label()).collect();
    words.join(", ")
}

fn text(parts: &[Part]) -> String {
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Title(title) => out.push_str(&format!("{title}\n")),
            Part::Summary(summary) => out.push_str(&format!("{summary}\n")),
            Part::Stack { address, action } => out.push_str(&format!("\n{address}: {action}\n")),
            Part::Cost(cost) => out.push_str(&format!("  {cost}\n")),
            Part::Paths(what, paths) => out.push_str(&format!("  {what}: {paths}\n")),
            Part::Group(group) => out.push_str(&format!("  {group}:\n")),
            Part::Item { line, labels: l } if l.is_empty() => {
                out.push_str(&format!("    - {line}\n"));
            }
            Part::Item { line, labels: l } => {
                out.push_str(&format!("    - {line} [{}]\n", labels(l)));
            }
        }
    }
    out
}

fn markdown(parts: &[Part]) -> String {
    let mut out = String::new();
    // Blocks are paragraphs apart; a list's items follow each other.
    let block = |out: &mut String, text: String, item: bool| {
        let continues_list = item && out.lines().last().is_some_and(|l| l.starts_with("- "));
        if !out.is_empty() && !continues_list {
            out.push('\n');
        }
        out.push_str(&text);
        out.push('\n');
    };
    for part in parts {
        let (text, item) = match part {
            Part::Title(title) => (format!("### {title}"), false),
            Part::Summary(summary) => (summary.clone(), false),
            Part::Stack { address, action } => (format!("#### {}: {action}", code(address)), false),
            Part::Cost(cost) => (cost.clone(), false),
            Part::Paths(what, paths) => (format!("{what}: {}", code(paths)), false),
            Part::Group(group) => (format!("**{group}:**"), false),
            Part::Item { line, labels: l } if l.is_empty() => (format!("- {}", code(line)), true),
            Part::Item { line, labels: l } => {
                (format!("- {} **[{}]**", code(line), labels(l)), true)
            }
        };
        block(&mut out, text, item);
    }
    out
}

/// A Markdown code span holding `text` whatever backticks it contains.
fn code(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}
