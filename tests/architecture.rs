//! The invariants ARCHITECTURE.md states, checked on the source and the manifests: the sandbox
//! is a crate of its own that imports nothing of brandlink, and a production build holds none
//! of it (nor the test hooks); the TUI's state never awaits; no source or test file grows past
//! 600 lines and no function of the source past 120.
//! The import rules between layers are checked on the module graph in `tests/module_graph.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

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

/// `src/` and every crate's `src/` under `crates/`.
fn source_dirs() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = vec!["src".to_string()];
    let mut crates: Vec<String> = std::fs::read_dir(root.join("crates"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("src").is_dir())
        .map(|e| format!("crates/{}/src", e.file_name().to_string_lossy()))
        .collect();
    crates.sort();
    assert!(
        !crates.is_empty(),
        "the workspace's crates are under crates/"
    );
    dirs.extend(crates);
    dirs
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

/// The sandbox crate's `Cargo.toml`, read as TOML.
fn sandbox_manifest() -> toml::Table {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/aem-sandbox/Cargo.toml");
    std::fs::read_to_string(path).unwrap().parse().unwrap()
}

#[test]
fn the_sandbox_stands_apart() {
    // Its own crate, which cannot name brandlink: no dependency of any kind on it...
    let manifest = sandbox_manifest();
    for table in ["dependencies", "dev-dependencies", "build-dependencies"] {
        if let Some(deps) = manifest.get(table).and_then(|d| d.as_table()) {
            assert!(
                !deps.contains_key("brandlink"),
                "crates/aem-sandbox lists brandlink in [{table}]"
            );
        }
    }
    // ...and no line of its source that would need one.
    let mut n_files = 0;
    for f in files("crates/aem-sandbox/src") {
        n_files += 1;
        for (n, l) in code_lines(&f) {
            assert!(
                !l.contains("brandlink::") && !l.contains("use brandlink"),
                "{}:{n} reaches into brandlink: {l}",
                f.display()
            );
        }
    }
    assert!(
        n_files > 10,
        "the sandbox's source is in crates/aem-sandbox/src"
    );
}

/// `cargo tree` of brandlink alone (normal dependencies), with `args`: one package per line.
fn dependency_tree(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "tree",
            "-p",
            "brandlink",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .args(args)
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn names(tree: &str) -> Vec<&str> {
    tree.lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect()
}

#[test]
fn a_production_build_has_no_sandbox() {
    // What only the sandbox uses: the crate itself and its multipart parser.
    let sandbox_only = ["aem-sandbox", "multer"];
    let production = dependency_tree(&["--no-default-features"]);
    for name in sandbox_only {
        assert!(
            !names(&production).contains(&name),
            "`cargo build --no-default-features` builds {name}:\n{production}"
        );
    }
    // The check looks at the right thing: the default build has them.
    let default = dependency_tree(&[]);
    for name in sandbox_only {
        assert!(
            names(&default).contains(&name),
            "the default build lacks {name}"
        );
    }
}

#[test]
fn test_hooks_stay_out_of_default_builds() {
    // The feature that lets BRANDLINK_TEST_FAULT fail the TUI is turned on by the test suite's
    // dev-dependency only, never by a feature a build asks for.
    let manifest: toml::Table =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
            .unwrap()
            .parse()
            .unwrap();
    let features = manifest["features"].as_table().unwrap();
    for (name, enables) in features {
        if name == "test-hooks" {
            continue;
        }
        let enables = enables.as_array().unwrap();
        assert!(
            !enables.iter().any(|e| e.as_str() == Some("test-hooks")),
            "feature {name} turns on test-hooks"
        );
    }
    let dev = manifest["dev-dependencies"]["brandlink"]
        .as_table()
        .unwrap();
    assert_eq!(dev["default-features"].as_bool(), Some(false));
    for f in files("src") {
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, _) in text.match_indices("BRANDLINK_TEST_FAULT") {
            let before = &text[..i];
            let gate = before.rfind("#[cfg(").map(|j| &before[j..]);
            assert!(
                gate.is_some_and(|g| g.starts_with("#[cfg(feature = \"test-hooks\")]")),
                "{} reads BRANDLINK_TEST_FAULT outside #[cfg(feature = \"test-hooks\")]",
                f.display()
            );
        }
    }
}

#[test]
fn the_tui_state_never_awaits() {
    for f in files("src/tui") {
        let shown = f.display().to_string();
        // The loop, the runtime, its coalescer of reads and the fleet's reader do the I/O.
        if [
            "tui/mod.rs",
            "tui/runtime.rs",
            "tui/reads.rs",
            "tui/fleet/poll.rs",
        ]
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
fn no_source_file_grows_past_600_lines() {
    let mut dirs = source_dirs();
    dirs.push("tests".to_string());
    for dir in dirs {
        for f in files(&dir) {
            let n = std::fs::read_to_string(&f).unwrap().lines().count();
            assert!(
                n <= 600,
                "{} has {n} lines: split it by responsibility",
                f.display()
            );
        }
    }
}

/// Every function and method of a file (unit tests' included), with the lines it spans from
/// its `fn` to its closing brace.
#[derive(Default)]
struct FnLengths {
    found: Vec<(String, usize, usize)>,
}

impl FnLengths {
    fn note(&mut self, name: &syn::Ident, sig: &syn::Signature, block: &syn::Block) {
        let start = sig.fn_token.span.start().line;
        let end = block.brace_token.span.close().end().line;
        self.found
            .push((name.to_string(), start, end.saturating_sub(start) + 1));
    }
}

impl<'a> syn::visit::Visit<'a> for FnLengths {
    fn visit_item_fn(&mut self, f: &'a syn::ItemFn) {
        self.note(&f.sig.ident, &f.sig, &f.block);
        syn::visit::visit_item_fn(self, f);
    }
    fn visit_impl_item_fn(&mut self, f: &'a syn::ImplItemFn) {
        self.note(&f.sig.ident, &f.sig, &f.block);
        syn::visit::visit_impl_item_fn(self, f);
    }
    fn visit_trait_item_fn(&mut self, f: &'a syn::TraitItemFn) {
        if let Some(block) = &f.default {
            self.note(&f.sig.ident, &f.sig, block);
        }
        syn::visit::visit_trait_item_fn(self, f);
    }
}

fn function_lengths(text: &str) -> Vec<(String, usize, usize)> {
    let ast = syn::parse_file(text).unwrap();
    let mut v = FnLengths::default();
    syn::visit::Visit::visit_file(&mut v, &ast);
    v.found
}

#[test]
fn no_function_grows_past_120_lines() {
    let mut long = Vec::new();
    let mut n_fns = 0;
    for dir in source_dirs() {
        for f in files(&dir) {
            let text = std::fs::read_to_string(&f).unwrap();
            for (name, line, n) in function_lengths(&text) {
                n_fns += 1;
                if n > 120 {
                    long.push(format!("{}:{line} fn {name} has {n} lines", f.display()));
                }
            }
        }
    }
    assert!(n_fns > 1000, "the reader found the functions ({n_fns})");
    assert!(
        long.is_empty(),
        "split by responsibility:\n{}",
        long.join("\n")
    );
}

/// The reader itself: a function's lines are counted from `fn` to its closing brace, in impls,
/// traits and test modules alike.
#[test]
fn the_function_reader_counts_every_kind_of_function() {
    let code = "fn a() {\n}\nimpl X {\n    fn b(&self) {\n        1;\n    }\n}\n\
                trait T {\n    fn c() {}\n}\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn d() {\n\n\n    }\n}\n";
    let found = function_lengths(code);
    let want: Vec<(String, usize, usize)> = [("a", 1, 2), ("b", 4, 3), ("c", 9, 1), ("d", 14, 4)]
        .iter()
        .map(|(n, l, c)| (n.to_string(), *l, *c))
        .collect();
    assert_eq!(found, want);
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
