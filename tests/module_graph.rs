//! ARCHITECTURE.md's import rules, checked on the real module graph: every file under `src/` is
//! parsed (syn), every path it names (`use` trees, expressions, types, macros' paths) is resolved
//! to the top-level module it reaches (`crate::x`, `super::…` climbing out, `brandlink::x`), and
//! the edges between layers are compared with the table below. A new edge fails here until the
//! table (and ARCHITECTURE.md) say it is allowed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// Modules every layer may use: small leaves with no knowledge of AEM.
const LEAVES: &[&str] = &["when", "words", "fsutil", "net", "config"];

/// Which layers each layer may import (besides itself and the leaves).
const ALLOWED: &[(&str, &[&str])] = &[
    ("aem", &[]),
    ("ims", &[]),
    ("evidence", &["aem", "ims"]),
    ("verdict", &["aem", "evidence"]),
    ("setup", &["aem", "ims", "evidence", "verdict"]),
    ("monitor", &["aem", "evidence", "verdict"]),
    // `aem` only in the files that build the client (checked below).
    (
        "cli",
        &[
            "setup", "monitor", "tui", "sandbox", "verdict", "ims", "aem",
        ],
    ),
    ("tui", &["setup", "monitor", "verdict", "ims"]),
    ("sandbox", &[]),
    ("when", &[]),
    ("words", &[]),
    ("fsutil", &[]),
    ("net", &[]),
    ("config", &[]),
];

/// Files of a front end that may name the AEM client: building it and mapping its errors.
const CLIENT_BUILDERS: &[&str] = &["cli/context.rs", "cli/output.rs", "cli/cmd/sandbox.rs"];

/// Where `AemClient`, the handle that can write, may be named: the layer that defines it, the
/// setup service that writes with it, and the files that build one for a front end (the
/// profile's client, the demo's). Everyone else holds the setup service or an `aem::Reader`.
const CLIENT_LAYERS: &[&str] = &["aem", "setup"];
const CLIENT_FILES: &[&str] = &["cli/context.rs", "cli/cmd/sandbox.rs"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("src is readable").flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `src/aem/client.rs` → `["aem", "client"]`; `src/aem/mod.rs` → `["aem"]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|l| l == "mod" || l == "lib") {
        parts.pop();
    }
    parts
}

/// Every path a file names, as its segments, with the inline module it was named in.
#[derive(Default)]
struct Paths {
    /// The inline `mod x { … }` nesting at the current point.
    inline: Vec<String>,
    found: Vec<(Vec<String>, Vec<String>)>,
}

impl Paths {
    fn push(&mut self, segs: Vec<String>) {
        if !segs.is_empty() {
            self.found.push((self.inline.clone(), segs));
        }
    }
    fn use_tree(&mut self, prefix: &mut Vec<String>, t: &syn::UseTree) {
        match t {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut s = prefix.clone();
                s.push(n.ident.to_string());
                self.push(s);
            }
            syn::UseTree::Rename(r) => {
                let mut s = prefix.clone();
                s.push(r.ident.to_string());
                self.push(s);
            }
            syn::UseTree::Glob(_) => self.push(prefix.clone()),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }
}

impl<'a> Visit<'a> for Paths {
    fn visit_item_use(&mut self, u: &'a syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &u.tree);
    }
    fn visit_path(&mut self, p: &'a syn::Path) {
        self.push(p.segments.iter().map(|s| s.ident.to_string()).collect());
        syn::visit::visit_path(self, p);
    }
    fn visit_item_mod(&mut self, m: &'a syn::ItemMod) {
        // `#[cfg(test)] mod tests` may reach anything it tests with.
        let test_only = m.attrs.iter().any(|a| {
            a.path().is_ident("cfg")
                && matches!(&a.meta, syn::Meta::List(l) if l.tokens.to_string().contains("test"))
        });
        if test_only {
            return;
        }
        self.inline.push(m.ident.to_string());
        syn::visit::visit_item_mod(self, m);
        self.inline.pop();
    }
    fn visit_macro(&mut self, m: &'a syn::Macro) {
        self.visit_path(&m.path);
        // Paths inside a macro's tokens (`format!("{}", crate::x::y())`): read them as
        // expressions when they parse as such.
        if let Ok(args) = m.parse_body_with(
            syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated,
        ) {
            for e in &args {
                self.visit_expr(e);
            }
        }
    }
}

/// The top-level module a path reaches from module `at`, if it leaves `at`'s layer.
fn target(at: &[String], segs: &[String]) -> Option<String> {
    let first = segs.first()?;
    match first.as_str() {
        "crate" | "brandlink" => segs.get(1).cloned(),
        "super" | "self" => {
            let mut here = at.to_vec();
            let mut rest = segs;
            while let Some(s) = rest.first() {
                match s.as_str() {
                    "super" => {
                        here.pop();
                    }
                    "self" => {}
                    _ => break,
                }
                rest = &rest[1..];
            }
            if here.is_empty() {
                rest.first().cloned()
            } else {
                here.first().cloned()
            }
        }
        _ => None,
    }
}

/// The absolute module path (from the crate root) a path names from module `at`, when it
/// starts at the crate or climbs with `super`/`self`.
fn absolute(at: &[String], segs: &[String]) -> Option<Vec<String>> {
    let first = segs.first()?;
    match first.as_str() {
        "crate" | "brandlink" => Some(segs[1..].to_vec()),
        "super" | "self" => {
            let mut here = at.to_vec();
            let mut rest = segs;
            while let Some(s) = rest.first() {
                match s.as_str() {
                    "super" => {
                        here.pop();
                    }
                    "self" => {}
                    _ => break,
                }
                rest = &rest[1..];
            }
            here.extend(rest.iter().cloned());
            Some(here)
        }
        _ => None,
    }
}

/// Edges between the modules right under `layer` (e.g. `tui::app` → `tui::tabs`).
fn inner_edges(layer: &str) -> BTreeSet<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src.join(layer), &mut files);
    let mut out = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("source is readable");
        let ast = syn::parse_file(&text).expect("parses");
        let module = module_of(&src, &f);
        let mut v = Paths::default();
        v.visit_file(&ast);
        for (inline, segs) in v.found {
            let mut at = module.clone();
            at.extend(inline);
            let (Some(from), Some(to)) = (at.get(1), absolute(&at, &segs)) else {
                continue;
            };
            if to.first().map(String::as_str) == Some(layer)
                && let Some(to) = to.get(1)
                && to != from
            {
                out.insert((from.clone(), to.clone()));
            }
        }
    }
    out
}

/// The cycles of a graph, each as the path that closes it.
fn cycles(edges: &BTreeSet<(String, String)>) -> Vec<Vec<String>> {
    let nodes: BTreeSet<&String> = edges.iter().flat_map(|(a, b)| [a, b]).collect();
    let mut found = Vec::new();
    for start in nodes {
        // Depth-first from each node, back to it through larger nodes only (each cycle once).
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        while let Some((at, path)) = stack.pop() {
            for (_, next) in edges.iter().filter(|(a, _)| *a == at) {
                if next == start {
                    found.push(path.clone());
                } else if next > start && !path.contains(next) {
                    let mut p = path.clone();
                    p.push(next.clone());
                    stack.push((next.clone(), p));
                }
            }
        }
    }
    found
}

struct Edge {
    from_file: String,
    from: String,
    to: String,
    path: String,
}

fn edges() -> Vec<Edge> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("source is readable");
        let ast = syn::parse_file(&text)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", f.display()));
        let module = module_of(&src, &f);
        let mut v = Paths::default();
        v.visit_file(&ast);
        let shown = f
            .strip_prefix(&src)
            .expect("under src")
            .display()
            .to_string();
        for (inline, segs) in v.found {
            let mut at = module.clone();
            at.extend(inline);
            let Some(to) = target(&at, &segs) else {
                continue;
            };
            let from = at.first().cloned().unwrap_or_default();
            if from.is_empty() || from == "main" || to == from {
                continue;
            }
            out.push(Edge {
                from_file: shown.clone(),
                from,
                to,
                path: segs.join("::"),
            });
        }
    }
    out
}

#[test]
fn layers_import_only_what_architecture_md_allows() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut bad = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for e in edges() {
        seen.insert((e.from.clone(), e.to.clone()));
        let Some(ok) = allowed.get(e.from.as_str()) else {
            bad.insert(format!(
                "{}: module `{}` is not in the table",
                e.from_file, e.from
            ));
            continue;
        };
        if !ok.contains(&e.to.as_str()) && !LEAVES.contains(&e.to.as_str()) {
            bad.insert(format!(
                "{} ({}) imports {} via {}",
                e.from_file, e.from, e.to, e.path
            ));
        }
    }
    assert!(bad.is_empty(), "imports against the rules:\n{}", {
        let v: Vec<String> = bad.into_iter().collect();
        v.join("\n")
    });
    // The graph was read at all: the layers' known edges are there.
    for (from, to) in [
        ("setup", "verdict"),
        ("verdict", "evidence"),
        ("evidence", "aem"),
    ] {
        assert!(
            seen.contains(&(from.to_string(), to.to_string())),
            "{from} → {to} not found: the reader missed paths"
        );
    }
}

#[test]
fn the_front_ends_never_hold_the_aem_client() {
    let mut bad = Vec::new();
    for e in edges() {
        if (e.from == "tui" || e.from == "cli")
            && e.to == "aem"
            && !CLIENT_BUILDERS.iter().any(|b| e.from_file.ends_with(b))
        {
            bad.push(format!("{} names {}", e.from_file, e.path));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn only_the_setup_service_and_the_client_builders_name_the_aem_client() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut bad = Vec::new();
    let mut seen = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("source is readable");
        let ast = syn::parse_file(&text).expect("parses");
        let mut v = Paths::default();
        v.visit_file(&ast);
        if !v
            .found
            .iter()
            .any(|(_, segs)| segs.iter().any(|s| s == "AemClient"))
        {
            continue;
        }
        let layer = module_of(&src, &f).first().cloned().unwrap_or_default();
        let shown = f
            .strip_prefix(&src)
            .expect("under src")
            .display()
            .to_string();
        seen.insert(layer.clone());
        if !CLIENT_LAYERS.contains(&layer.as_str()) && !CLIENT_FILES.contains(&shown.as_str()) {
            bad.push(shown);
        }
    }
    assert!(
        bad.is_empty(),
        "these hold an AemClient: give them the setup service or an aem::Reader\n{}",
        bad.join("\n")
    );
    assert!(
        seen.contains("aem") && seen.contains("setup") && seen.contains("cli"),
        "the reader found the client where it is named: {seen:?}"
    );
}

/// The reader itself: a planted edge of each kind is found.
#[test]
fn the_graph_reader_finds_every_kind_of_path() {
    let code = r#"
        use crate::aem::{client::AemClient, queue as q};
        use super::super::setup::*;
        fn f() -> crate::ims::Token { crate::monitor::x(); format!("{}", crate::verdict::y()) }
        mod inner { use super::super::super::super::tui::App; }
        #[cfg(test)] mod tests { use crate::sandbox::Sandbox; }
    "#;
    let ast = syn::parse_file(code).expect("parses");
    let mut v = Paths::default();
    v.visit_file(&ast);
    let at = vec!["cli".to_string(), "cmd".to_string(), "x".to_string()];
    let mut reached: BTreeSet<String> = BTreeSet::new();
    for (inline, segs) in v.found {
        let mut here = at.clone();
        here.extend(inline);
        if let Some(t) = target(&here, &segs) {
            reached.insert(t);
        }
    }
    let want: BTreeSet<String> = ["aem", "cli", "ims", "monitor", "verdict", "tui"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(reached, want);
}

/// The terminal UI's modules form no cycle: dialogs and tabs share what they both name through
/// leaves (`nav`, `action`, `effect`…), so each can change without the other.
#[test]
fn the_terminal_ui_has_no_cycle_between_its_modules() {
    let edges = inner_edges("tui");
    assert!(
        edges.contains(&("app".to_string(), "tabs".to_string())),
        "the reader found the TUI's edges: {edges:?}"
    );
    let found = cycles(&edges);
    assert!(found.is_empty(), "cycles: {found:?}");
}
