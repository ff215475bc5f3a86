//! AEM's HTML pages, read with a real HTML parser (html5ever through `scraper`): text with its
//! line structure, elements by id, the first `<pre>`, attribute tables (the JMX console, whose
//! writable attributes hold their value in a form), and inline scripts. Entities of every kind
//! are decoded by the parser.

use ego_tree::NodeRef;
use scraper::{ElementRef, Html, Node, Selector};
use std::sync::LazyLock;

#[allow(
    clippy::panic,
    reason = "only called with the constant selectors below, which a test parses"
)]
fn selector(s: &str) -> Selector {
    Selector::parse(s).unwrap_or_else(|_| panic!("invalid built-in selector {s}"))
}

static TR: LazyLock<Selector> = LazyLock::new(|| selector("tr"));
static PRE: LazyLock<Selector> = LazyLock::new(|| selector("pre"));
static SCRIPT: LazyLock<Selector> = LazyLock::new(|| selector("script"));
static INPUT: LazyLock<Selector> = LazyLock::new(|| selector("input, textarea"));
static OPTION: LazyLock<Selector> = LazyLock::new(|| selector("select option"));

/// Elements after which text continues on a new line.
const BLOCKS: &[&str] = &[
    "p", "div", "tr", "li", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dt",
    "dd", "section", "form", "title",
];

fn collect(node: NodeRef<'_, Node>, breaks: &[&str], out: &mut String) {
    for child in node.children() {
        match child.value() {
            Node::Text(t) => out.push_str(t),
            Node::Element(e) => {
                let name = e.name();
                if matches!(name, "script" | "style") {
                    continue;
                }
                if name == "br" {
                    out.push('\n');
                    continue;
                }
                collect(child, breaks, out);
                if BLOCKS.contains(&name) || breaks.contains(&name) {
                    out.push('\n');
                } else if matches!(name, "td" | "th") {
                    out.push(' ');
                }
            }
            _ => {}
        }
    }
}

fn element_text(e: ElementRef<'_>) -> String {
    let mut out = String::new();
    collect(*e, &[], &mut out);
    out
}

/// The page's text, tags removed and entities decoded; `<br>` and block elements end lines.
pub fn text(html: &str) -> String {
    let doc = Html::parse_document(html);
    let mut out = String::new();
    collect(*doc.root_element(), &[], &mut out);
    out
}

/// The page's non-empty lines, trimmed; `breaks` names further elements that end a line.
pub fn lines(html: &str, breaks: &[&str]) -> Vec<String> {
    let doc = Html::parse_document(html);
    let mut out = String::new();
    collect(*doc.root_element(), breaks, &mut out);
    out.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// The text of the element with this id (Sling's `<div id="Message">`), trimmed.
pub fn text_by_id(html: &str, id: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(&format!("[id=\"{}\"]", id.replace('"', ""))).ok()?;
    doc.select(&sel)
        .next()
        .map(|e| element_text(e).trim().to_string())
}

/// The text of the first `<pre>` (the agent log), if there is one.
pub fn pre_text(html: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    doc.select(&PRE).next().map(element_text)
}

/// What a table cell holds: the value of its form field when it has one (a writable JMX
/// attribute), else its text.
fn cell_value(td: ElementRef<'_>) -> String {
    let field = td.select(&INPUT).find(|i| {
        !matches!(
            i.value()
                .attr("type")
                .map(str::to_ascii_lowercase)
                .as_deref(),
            Some("submit" | "button" | "hidden" | "reset" | "image")
        )
    });
    if let Some(i) = field {
        let kind = i.value().attr("type").map(str::to_ascii_lowercase);
        if matches!(kind.as_deref(), Some("checkbox" | "radio")) {
            return i.value().attr("checked").is_some().to_string();
        }
        if i.value().name() == "textarea" {
            return element_text(i).trim().to_string();
        }
        return i.value().attr("value").unwrap_or("").trim().to_string();
    }
    let mut options = td.select(&OPTION).peekable();
    if options.peek().is_some() {
        let chosen = options.find(|o| o.value().attr("selected").is_some());
        if let Some(o) = chosen {
            return o
                .value()
                .attr("value")
                .map(str::to_string)
                .unwrap_or_else(|| element_text(o))
                .trim()
                .to_string();
        }
    }
    element_text(td).trim().to_string()
}

/// `(name, value)` for every table row with at least two cells: the first cell names the row,
/// the last holds the value.
pub fn name_value_rows(html: &str) -> Vec<(String, String)> {
    let doc = Html::parse_document(html);
    doc.select(&TR)
        .filter_map(|tr| {
            let cells: Vec<ElementRef> = tr
                .children()
                .filter_map(ElementRef::wrap)
                .filter(|e| e.value().name() == "td")
                .collect();
            let (first, last) = (cells.first()?, cells.last()?);
            if cells.len() < 2 {
                return None;
            }
            let name = element_text(*first)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            Some((name, cell_value(*last)))
        })
        .collect()
}

/// The text of the first inline script that contains `needle`.
pub fn script_containing(html: &str, needle: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    doc.select(&SCRIPT)
        .map(|s| s.text().collect::<String>())
        .find(|t| t.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_parse() {
        for s in [&*TR, &*PRE, &*SCRIPT, &*INPUT, &*OPTION] {
            let _ = s;
        }
    }

    #[test]
    fn text_lines_and_entities() {
        let t = lines(
            "<strong>Test to https://x</strong><br> a &amp; b &lt;c&gt; &eacute; &#x27;q&#39;<br/>last",
            &["strong"],
        );
        assert_eq!(t, vec!["Test to https://x", "a & b <c> é 'q'", "last"]);
        assert_eq!(
            text_by_id(r#"<div id="Message">boom &quot;x&quot;</div>"#, "Message").as_deref(),
            Some("boom \"x\"")
        );
        assert_eq!(pre_text("<p>no</p>"), None);
        assert_eq!(
            script_containing(
                "<script>var a = 1;</script><script>configData = {};</script>",
                "configData"
            )
            .as_deref(),
            Some("configData = {};")
        );
    }

    #[test]
    fn writable_attributes_hold_their_value_in_a_form() {
        let html = r##"<table>
          <tr><th>Name</th><th>Value</th></tr>
          <tr><td class="name"><a href="#">QueuePaused</a></td><td>boolean</td>
              <td><form method="post" action="a/QueuePaused"><input type="text" name="value" value="true"><input type="submit" value="Save"></form></td></tr>
          <tr><td>Enabled</td><td><form><input type="checkbox" name="value" checked></form></td></tr>
          <tr><td>Mode</td><td><select name="v"><option value="a">A</option><option value="b" selected>B</option></select></td></tr>
          <tr><td>QueueNumEntries</td><td> 12 </td></tr>
          <tr><td>lonely</td></tr>
        </table>"##;
        let rows = name_value_rows(html);
        assert_eq!(
            rows,
            vec![
                ("QueuePaused".to_string(), "true".to_string()),
                ("Enabled".to_string(), "true".to_string()),
                ("Mode".to_string(), "b".to_string()),
                ("QueueNumEntries".to_string(), "12".to_string()),
            ]
        );
    }
}
