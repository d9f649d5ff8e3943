//! Readers behind `architecture.rs`: the workspace's dependency closure from `cargo metadata`,
//! and the import graph between sibling modules of a source tree.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Each workspace crate → every package it reaches through normal and build dependencies.
pub fn workspace_dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // Only the packages this machine builds: other platforms' would need downloading.
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--filter-platform",
        ])
        .arg(host_triple())
        .current_dir(&root)
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata JSON");
    let names: BTreeMap<&str, &str> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap_or(""),
                p["name"].as_str().unwrap_or(""),
            )
        })
        .collect();
    // Edges that ship with a crate: normal and build dependencies, never dev-dependencies.
    let mut edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for node in metadata["resolve"]["nodes"].as_array().expect("resolve") {
        let id = node["id"].as_str().unwrap_or("");
        let deps = node["deps"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        let shipped = deps.iter().filter(|dep| {
            dep["dep_kinds"]
                .as_array()
                .is_some_and(|kinds| kinds.iter().any(|k| k["kind"].as_str() != Some("dev")))
        });
        edges.insert(id, shipped.filter_map(|dep| dep["pkg"].as_str()).collect());
    }
    let mut closure = BTreeMap::new();
    for member in metadata["workspace_members"].as_array().expect("members") {
        let start = member.as_str().unwrap_or("");
        let mut seen = BTreeSet::new();
        let mut stack = edges.get(start).cloned().unwrap_or_default();
        while let Some(id) = stack.pop() {
            if seen.insert(id) {
                stack.extend(edges.get(id).cloned().unwrap_or_default());
            }
        }
        let reached = seen.iter().map(|id| names[id].to_string()).collect();
        closure.insert(names[start].to_string(), reached);
    }
    closure
}

fn host_triple() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let output = Command::new(rustc)
        .arg("-vV")
        .output()
        .expect("rustc -vV runs");
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(|line| line.strip_prefix("host: "))
        .expect("rustc names its host")
        .to_string()
}

/// Import circles between sibling modules below `src`: each is the list of modules of one
/// strongly connected component, named by their full path.
pub fn module_cycles(src: &Path) -> Vec<Vec<String>> {
    let files = module_files(src);
    let known: BTreeSet<Vec<String>> = files.iter().map(|(module, _)| module.clone()).collect();
    // parent module → sibling → siblings it imports
    let mut graphs: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (module, path) in &files {
        let text = std::fs::read_to_string(path).expect("readable source");
        for target in referenced_paths(&production_part(&text), module) {
            let common = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            if common >= module.len() || common >= target.len() {
                continue; // a module naming its own descendants or ancestors
            }
            let parent = module[..common].to_vec();
            let mut sibling = parent.clone();
            sibling.push(target[common].clone());
            if known.contains(&sibling) {
                graphs
                    .entry(parent)
                    .or_default()
                    .entry(module[common].clone())
                    .or_default()
                    .insert(target[common].clone());
            }
        }
    }
    let mut cycles = Vec::new();
    for (parent, graph) in graphs {
        for component in strongly_connected(&graph) {
            if component.len() > 1 {
                let prefix = parent.join("::");
                cycles.push(
                    component
                        .into_iter()
                        .map(|m| {
                            if prefix.is_empty() {
                                m
                            } else {
                                format!("{prefix}::{m}")
                            }
                        })
                        .collect(),
                );
            }
        }
    }
    cycles
}

/// Every production source file below `src` with its module path (`lib.rs` is the root);
/// binaries under `src/bin` and test-only files are left out.
fn module_files(src: &Path) -> Vec<(Vec<String>, PathBuf)> {
    let mut found = Vec::new();
    let mut dirs = vec![(src.to_path_buf(), Vec::<String>::new())];
    while let Some((dir, module)) = dirs.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .expect("readable dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() {
                if name != "bin" && name != "tests" {
                    let mut child = module.clone();
                    child.push(name.to_string());
                    dirs.push((path, child));
                }
                continue;
            }
            let Some(stem) = name.strip_suffix(".rs") else {
                continue;
            };
            if stem == "tests" || stem.ends_with("_tests") {
                continue;
            }
            let mut path_of = module.clone();
            if !matches!(stem, "mod" | "lib" | "main") {
                path_of.push(stem.to_string());
            }
            found.push((path_of, path));
        }
    }
    found
}

/// The text before the first `#[cfg(test)]`, without comments and literals.
fn production_part(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                i += 1;
            }
            i += 2;
        } else if c == 'r' && matches!(next, Some('#') | Some('"')) && is_raw_start(&chars, i) {
            let hashes = chars[i + 1..].iter().take_while(|&&h| h == '#').count();
            i += 2 + hashes;
            let closing: String = std::iter::once('"')
                .chain("#".repeat(hashes).chars())
                .collect();
            while i < chars.len() && !chars[i..].iter().collect::<String>().starts_with(&closing) {
                i += 1;
            }
            i += closing.len();
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && (chars.get(i + 2) == Some(&'\'') || next == Some('\\')) {
            // a char literal (a lifetime has no closing quote two characters on)
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_raw_start(chars: &[char], i: usize) -> bool {
    let before = i.checked_sub(1).map(|b| chars[b]);
    !before.is_some_and(|b| b.is_alphanumeric() || b == '_')
        && chars[i + 1..]
            .iter()
            .find(|&&c| c != '#')
            .is_some_and(|&c| c == '"')
}

/// Module-relative paths (`crate::…`, `super::…`, `self::…`) named in `text`, in `use`
/// trees and inline, resolved to absolute module paths from `module`.
fn referenced_paths(text: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut raw: Vec<String> = Vec::new();
    for statement in text.split(';') {
        if let Some(pos) = statement.find("use ") {
            let before = &statement[..pos];
            let starts_item = before.trim_end().is_empty()
                || before.trim_end().ends_with('}')
                || before.trim_end().ends_with(')')
                || before.trim_end().ends_with("pub")
                || before.trim_end().ends_with(']');
            if starts_item {
                let tree: String = statement[pos + 4..].split_whitespace().collect();
                raw.extend(expand_use_tree(&tree));
            }
        }
    }
    raw.extend(inline_paths(text));
    raw.iter()
        .filter_map(|path| resolve(path, module))
        .collect()
}

/// `a::{b, c::{d, self}}` → `a::b`, `a::c::d`, `a::c`.
fn expand_use_tree(tree: &str) -> Vec<String> {
    let Some(open) = tree.find('{') else {
        return vec![tree.split(" as ").next().unwrap_or(tree).to_string()];
    };
    let prefix = tree[..open].trim_end_matches("::");
    let close = tree.rfind('}').unwrap_or(tree.len());
    let inner = &tree[open + 1..close];
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    let mut out = Vec::new();
    for part in parts.into_iter().filter(|p| !p.is_empty()) {
        for rest in expand_use_tree(part) {
            if rest == "self" {
                out.push(prefix.to_string());
            } else if prefix.is_empty() {
                out.push(rest);
            } else {
                out.push(format!("{prefix}::{rest}"));
            }
        }
    }
    out
}

fn inline_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for anchor in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(found) = text[from..].find(anchor) {
            let start = from + found;
            let before = text[..start].chars().next_back();
            from = start + anchor.len();
            if before.is_some_and(|b| b.is_alphanumeric() || b == '_' || b == ':') {
                continue;
            }
            let end = text[start..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .map_or(text.len(), |e| start + e);
            out.push(text[start..end].trim_end_matches(':').to_string());
        }
    }
    out
}

fn resolve(path: &str, module: &[String]) -> Option<Vec<String>> {
    let mut segments = path.split("::").filter(|s| !s.is_empty());
    let mut base: Vec<String> = match segments.next()? {
        "crate" => Vec::new(),
        "self" => module.to_vec(),
        "super" => module[..module.len().checked_sub(1)?].to_vec(),
        _ => return None,
    };
    for segment in segments {
        match segment {
            "super" => {
                base.pop()?;
            }
            "self" | "*" => {}
            name => base.push(name.to_string()),
        }
    }
    Some(base)
}

/// Tarjan's strongly connected components of a small graph.
fn strongly_connected(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        components: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, node: &'a str) {
            let n = self.index.len();
            self.index.insert(node, n);
            self.low.insert(node, n);
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in self.graph.get(node).into_iter().flatten() {
                let next = next.as_str();
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(top);
                    component.push(top.to_string());
                    if top == node {
                        break;
                    }
                }
                component.sort();
                self.components.push(component);
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node.as_str()) {
            walk.visit(node);
        }
    }
    walk.components
}

#[cfg(test)]
mod checks {
    use super::*;

    #[test]
    fn use_trees_expand() {
        assert_eq!(
            expand_use_tree("crate::tiers::{self,security,network::{ensure_tags,Foo}}"),
            vec![
                "crate::tiers",
                "crate::tiers::security",
                "crate::tiers::network::ensure_tags",
                "crate::tiers::network::Foo"
            ]
        );
    }
}
