//! Every command and option the README (and the docs it links) shows exists: each
//! `brandlink …` line in a code block or a code span is walked through the real command
//! definition (clap), and every `--flag` on it must be an option of the subcommand it names
//! (its own, or a global one).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

use clap::CommandFactory;

/// The `brandlink …` invocations of a Markdown text: whole lines of code blocks (with `\`
/// continuations joined) and code spans.
fn invocations(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut pending = String::new();
    for line in md.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block {
            let code = line.split(" #").next().unwrap_or("").trim();
            pending.push_str(code.trim_end_matches('\\'));
            pending.push(' ');
            if code.ends_with('\\') {
                continue;
            }
            for part in pending.split(['|', ';']).flat_map(|p| p.split("&&")) {
                if let Some(i) = part.find("brandlink ") {
                    out.push(part[i..].trim().to_string());
                }
            }
            pending.clear();
        } else {
            for (i, span) in line.split('`').enumerate() {
                if i % 2 == 1 && span.starts_with("brandlink ") {
                    out.push(span.to_string());
                }
            }
        }
    }
    out
}

/// What is wrong with one invocation: an unknown subcommand is fine only when the word is
/// clearly an argument; an unknown `--flag` is not.
fn problems(line: &str) -> Vec<String> {
    let root = brandlink::cli::args::Cli::command();
    let mut cmd = &root;
    let mut globals: Vec<String> = root
        .get_arguments()
        .filter(|a| a.is_global_set())
        .filter_map(|a| a.get_long().map(str::to_string))
        .collect();
    let mut out = Vec::new();
    let mut subcommands_done = false;
    let mut value_next = false;
    for word in line.split_whitespace().skip(1) {
        // `status\|doctor` in a table cell: the first of the alternatives.
        let word = word.split("\\|").next().unwrap_or(word);
        let word = word.trim_matches(|c| c == '`' || c == ',' || c == '.' || c == ')' || c == '(');
        if std::mem::take(&mut value_next) && !word.starts_with('-') {
            continue;
        }
        if let Some(flag) = word.strip_prefix("--") {
            let given_inline = flag.contains('=');
            let flag = flag.split('=').next().unwrap_or("");
            let flag = flag.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
            if flag.is_empty() {
                continue;
            }
            let own = cmd.get_arguments().find(|a| a.get_long() == Some(flag));
            let global = root
                .get_arguments()
                .find(|a| a.get_long() == Some(flag) && globals.iter().any(|g| g == flag));
            match own.or(global) {
                Some(a) => value_next = !given_inline && a.get_action().takes_values(),
                None if flag == "help" || flag == "version" => {}
                None => out.push(format!(
                    "`{line}`: --{flag} is not an option of `{}`",
                    cmd.get_name()
                )),
            }
            continue;
        }
        if subcommands_done || word.starts_with('-') || word.starts_with('[') {
            subcommands_done = true;
            continue;
        }
        match cmd.find_subcommand(word) {
            Some(sub) => {
                globals.extend(
                    cmd.get_arguments()
                        .filter(|a| a.is_global_set())
                        .filter_map(|a| a.get_long().map(str::to_string)),
                );
                cmd = sub;
            }
            None if cmd.has_subcommands()
                && word.chars().all(|c| c.is_ascii_lowercase() || c == '-')
                && cmd.get_name() != "brandlink" =>
            {
                out.push(format!(
                    "`{line}`: `{word}` is not a subcommand of `{}`",
                    cmd.get_name()
                ));
                subcommands_done = true;
            }
            None => subcommands_done = true,
        }
    }
    out
}

#[test]
fn every_command_and_option_the_readme_shows_exists() {
    let mut files = vec!["README.md".to_string(), "ARCHITECTURE.md".to_string()];
    if let Ok(dir) = std::fs::read_dir("docs") {
        for e in dir.flatten() {
            files.push(e.path().display().to_string());
        }
    }
    let mut seen = 0;
    let mut wrong = Vec::new();
    for f in files.iter().filter(|f| f.ends_with(".md")) {
        let md = std::fs::read_to_string(f).unwrap();
        for line in invocations(&md) {
            seen += 1;
            wrong.extend(problems(&line).into_iter().map(|p| format!("{f}: {p}")));
        }
    }
    assert!(seen > 30, "the README shows commands ({seen} found)");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_checker_catches_what_does_not_exist() {
    assert!(problems("brandlink status --json").is_empty());
    assert!(problems("brandlink --url http://x account migrate --scopes s --dry-run").is_empty());
    assert!(!problems("brandlink status --no-such-flag").is_empty());
    assert!(!problems("brandlink account frobnicate").is_empty());
    assert!(!problems("brandlink fleet status --nope").is_empty());
    assert!(
        !problems("brandlink status --mouse").is_empty(),
        "a TUI-only flag"
    );
    assert!(problems("brandlink --mouse").is_empty());
    assert_eq!(
        invocations("```sh\nbrandlink a \\\n  --b\n```\nthen `brandlink c --d`").len(),
        2
    );
}

#[test]
fn the_first_screen_holds_the_pitch_a_picture_install_and_the_quick_start() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let first: Vec<&str> = readme.lines().take(50).collect();
    let has = |what: &str| first.iter().any(|l| l.contains(what));
    assert!(first[0].starts_with("# brandlink"));
    assert!(has("!["), "a picture in the first 50 lines");
    assert!(has("## Install") && has("cargo install --locked"));
    assert!(has("cargo run --release -- demo") && has("cargo test"));
    assert!(
        has("AEM_PASSWORD") && has("brandlink --url"),
        "against a real author"
    );
    assert!(readme.contains("## Contents"), "a table of contents");
}

/// Every source file's text, for looking up what the README quotes.
fn source_text() -> String {
    fn walk(dir: &std::path::Path, out: &mut String) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push_str(&std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    let mut out = String::new();
    walk(std::path::Path::new("src"), &mut out);
    out
}

#[test]
fn the_labels_the_readme_quotes_from_the_screens_exist() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let from = readme.find("## The terminal UI").unwrap();
    let to = from + 5 + readme[from + 5..].find("\n## ").unwrap();
    let section = &readme[from..to];
    let src = source_text();
    let mut quoted = Vec::new();
    for (i, part) in section.split('"').enumerate() {
        // Odd parts are between quotes; a config value such as "ctrl-r" is not a label.
        if i % 2 == 1
            && part.len() < 60
            && !part.contains('\n')
            && part.contains(char::is_uppercase)
        {
            quoted.push(part);
        }
    }
    assert!(quoted.len() >= 3, "{quoted:?}");
    let missing: Vec<_> = quoted.iter().filter(|q| !src.contains(*q)).collect();
    assert!(
        missing.is_empty(),
        "the README quotes labels the screens do not have: {missing:?}"
    );
}
