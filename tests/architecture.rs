//! The invariants ARCHITECTURE.md states, checked on the source: the sandbox imports nothing
//! from the rest of the crate; the TUI's state never awaits; no TUI file grows past ~600
//! lines. The import rules between layers are checked on the module graph in
//! `tests/module_graph.rs`.

use std::path::{Path, PathBuf};

fn files(dir: &str) -> Vec<PathBuf> {
    fn walk(p: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(p).unwrap().flatten() {
            let path = e.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|x| x == "rs") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join(dir), &mut out);
    out.sort();
    out
}

fn code_lines(path: &Path) -> Vec<(usize, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(i, l)| (i + 1, l.to_string()))
        .collect()
}

#[test]
fn the_sandbox_stands_apart() {
    for f in files("src/sandbox") {
        for (n, l) in code_lines(&f) {
            let mut rest = l.as_str();
            while let Some(i) = rest.find("crate::") {
                let after = &rest[i + "crate::".len()..];
                assert!(
                    after.starts_with("sandbox"),
                    "{}:{n} reaches outside the sandbox: {l}",
                    f.display()
                );
                rest = after;
            }
        }
    }
}

#[test]
fn the_tui_state_never_awaits() {
    for f in files("src/tui") {
        let shown = f.display().to_string();
        // The loop, the runtime and its coalescer of reads do the I/O.
        if ["tui/mod.rs", "tui/runtime.rs", "tui/reads.rs"]
            .iter()
            .any(|io| shown.ends_with(io))
        {
            continue;
        }
        for (n, l) in code_lines(&f) {
            assert!(
                !l.contains(".await") && !l.contains("async fn"),
                "{shown}:{n} awaits: {l}"
            );
        }
    }
}

#[test]
fn tui_files_stay_small() {
    for f in files("src/tui") {
        let n = std::fs::read_to_string(&f).unwrap().lines().count();
        assert!(n <= 650, "{} has {n} lines", f.display());
    }
}

#[test]
fn the_readme_names_every_key_action() {
    let src = std::fs::read_to_string("src/tui/action.rs").unwrap();
    let readme = std::fs::read_to_string("README.md").unwrap();
    let body = &src[src.find("pub enum Action").unwrap()..];
    let body = &body[..body.find('}').unwrap()];
    let mut missing = Vec::new();
    for line in body.lines().skip(1) {
        let name = line.trim().trim_end_matches(',');
        if name.is_empty() || name.starts_with("//") || name.starts_with('#') {
            continue;
        }
        let mut snake = String::new();
        for (i, c) in name.chars().enumerate() {
            if c.is_uppercase() && i > 0 {
                snake.push('_');
            }
            snake.push(c.to_ascii_lowercase());
        }
        if !readme.contains(&format!("`{snake}`")) {
            missing.push(snake);
        }
    }
    assert!(missing.is_empty(), "README's [keys] list lacks {missing:?}");
}
