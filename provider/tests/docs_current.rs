//! The checked-in docs (`docs/`) are exactly what the binary generates from the schema today.

use std::path::{Path, PathBuf};
use std::process::Command;

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-wordpress");
const REGENERATE: &str = "run `cargo run -p terraform-provider-wordpress -- docs` and commit docs/";

fn checked_in_docs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("docs")
}

/// Every file under `dir`, as paths relative to it, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if let Ok(relative) = path.strip_prefix(root) {
                out.push(relative.to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn checked_in_docs_match_the_schema() {
    let generated = tempfile::tempdir().expect("temp dir");
    let run = Command::new(BINARY)
        .args(["docs", "--out"])
        .arg(generated.path())
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .expect("run the docs command");
    assert!(
        run.status.success(),
        "docs command failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );

    let fresh = files_under(generated.path());
    assert!(
        fresh.contains(&PathBuf::from("index.md"))
            && fresh.contains(&PathBuf::from("resources/ha_stack.md")),
        "the generator wrote {fresh:?}"
    );
    let docs = checked_in_docs();
    let mut problems = Vec::new();
    for file in &fresh {
        let want = std::fs::read_to_string(generated.path().join(file)).expect("generated file");
        match std::fs::read_to_string(docs.join(file)) {
            Ok(have) if have == want => {}
            Ok(_) => problems.push(format!("docs/{} is out of date", file.display())),
            Err(_) => problems.push(format!("docs/{} is missing", file.display())),
        }
    }
    for file in files_under(&docs) {
        let generated_here = fresh.contains(&file);
        let is_markdown = file.extension().is_some_and(|e| e == "md");
        if is_markdown && !generated_here {
            problems.push(format!("docs/{} is not generated any more", file.display()));
        }
    }
    assert!(problems.is_empty(), "{}; {REGENERATE}", problems.join("; "));
}
