//! The Mermaid flowchart of the laid-out stacks.

use std::fmt::Write as _;

use super::{Edge, Group, Shape, Source, StackDiagram, INTERNET};

pub fn mermaid(diagrams: &[StackDiagram]) -> String {
    let mut out = String::from("flowchart LR\n");
    let _ = writeln!(out, "  {INTERNET}((Internet))");
    for (index, diagram) in diagrams.iter().enumerate() {
        let prefix = format!("s{index}");
        if diagram.source == Source::PlannedSpec {
            let _ = writeln!(
                out,
                "  %% {}: objects implied by the plan; ids known after apply",
                diagram.address
            );
        }
        write_group(&mut out, &prefix, &diagram.root, 1);
        for edge in &diagram.edges {
            write_edge(&mut out, &prefix, edge);
        }
        for (name, id) in &diagram.not_drawn {
            let id = id.as_deref().unwrap_or("(known after apply)");
            let _ = writeln!(out, "  %% also owned by {}: {name} = {id}", diagram.address);
        }
    }
    out
}

pub(super) fn mermaid_id(prefix: &str, key: &str) -> String {
    if key == INTERNET {
        return INTERNET.to_string();
    }
    let safe: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("{prefix}_{safe}")
}

pub(super) fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;")
}

fn write_group(out: &mut String, prefix: &str, group: &Group, depth: usize) {
    let indent = "  ".repeat(depth);
    let _ = writeln!(
        out,
        "{indent}subgraph {}[\"{}\"]",
        mermaid_id(prefix, &group.key),
        mermaid_text(&group.title)
    );
    for node in &group.nodes {
        let label = node
            .lines
            .iter()
            .map(|line| mermaid_text(line))
            .collect::<Vec<_>>()
            .join("<br/>");
        let (open, close) = match node.shape {
            Shape::Box => ("[\"", "\"]"),
            Shape::Cylinder => ("[(\"", "\")]"),
            Shape::Circle => ("((\"", "\"))"),
        };
        let _ = writeln!(
            out,
            "{indent}  {}{open}{label}{close}",
            mermaid_id(prefix, &node.key)
        );
    }
    for inner in &group.groups {
        write_group(out, prefix, inner, depth + 1);
    }
    let _ = writeln!(out, "{indent}end");
}

fn write_edge(out: &mut String, prefix: &str, edge: &Edge) {
    let arrow = if edge.dotted { "-.-" } else { "-->" };
    let label = edge.label.map(|l| format!("|{l}|")).unwrap_or_default();
    let _ = writeln!(
        out,
        "  {} {arrow}{label} {}",
        mermaid_id(prefix, &edge.from),
        mermaid_id(prefix, &edge.to)
    );
}
