//! Small widgets and drawing helpers shared by every tab and dialog: an editable text field
//! (masked for secrets, multi-line for the payload), the spinner, key/value lines, step
//! verdicts, centred boxes. Nothing here knows about a particular tab.

use super::theme::Theme;
use crate::setup::{StepReport, StepStatus};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use secrecy::SecretString;
use zeroize::Zeroizing;

/// An editable text value with a cursor. `Debug` never shows the value (it may be a secret),
/// and the value is wiped from memory when the field is dropped or changed; a masked field
/// hands it out only as a [`SecretString`].
#[derive(Clone, Default)]
pub struct TextInput {
    value: Zeroizing<String>,
    /// Cursor as a char index.
    cursor: usize,
    pub masked: bool,
    pub multiline: bool,
}

impl std::fmt::Debug for TextInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextInput")
            .field("chars", &self.value.chars().count())
            .field("masked", &self.masked)
            .finish()
    }
}

impl TextInput {
    pub fn new(value: &str) -> Self {
        TextInput {
            value: Zeroizing::new(value.to_string()),
            cursor: value.chars().count(),
            masked: false,
            multiline: false,
        }
    }
    pub fn masked() -> Self {
        TextInput {
            // Room enough that typing never reallocates (leaving copies behind).
            value: Zeroizing::new(String::with_capacity(1024)),
            masked: true,
            ..Default::default()
        }
    }
    pub fn multiline() -> Self {
        TextInput {
            multiline: true,
            ..Default::default()
        }
    }
    pub fn value(&self) -> &str {
        &self.value
    }
    /// The value of a masked field, as a secret.
    pub fn secret(&self) -> SecretString {
        SecretString::from(self.value.as_str().to_string())
    }
    pub fn set(&mut self, v: &str) {
        self.value.clear();
        self.value.push_str(v);
        self.cursor = self.value.chars().count();
    }
    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }
    fn byte_at(&self, idx: usize) -> usize {
        self.value
            .char_indices()
            .nth(idx)
            .map(|(b, _)| b)
            .unwrap_or(self.value.len())
    }
    pub fn insert(&mut self, c: char) {
        if c == '\n' && !self.multiline {
            return;
        }
        let b = self.byte_at(self.cursor);
        self.value.insert(b, c);
        self.cursor += 1;
    }
    pub fn paste(&mut self, s: &str) {
        for c in s.chars() {
            match c {
                '\r' => {}
                '\n' if !self.multiline => self.insert(' '),
                c => self.insert(c),
            }
        }
    }
    pub fn backspace(&mut self) {
        if self.cursor > 0 {
            self.cursor -= 1;
            let b = self.byte_at(self.cursor);
            self.value.remove(b);
        }
    }
    pub fn delete(&mut self) {
        if self.cursor < self.value.chars().count() {
            let b = self.byte_at(self.cursor);
            self.value.remove(b);
        }
    }
    pub fn left(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }
    pub fn right(&mut self) {
        self.cursor = (self.cursor + 1).min(self.value.chars().count());
    }
    pub fn home(&mut self) {
        self.cursor = 0;
    }
    pub fn end(&mut self) {
        self.cursor = self.value.chars().count();
    }
    pub fn clear(&mut self) {
        self.value.clear();
        self.cursor = 0;
    }
    /// What the screen shows: secrets as bullets, never the value.
    pub fn display(&self) -> String {
        if self.masked {
            if self.value.is_empty() {
                String::new()
            } else {
                format!(
                    "{} ({} characters)",
                    "•".repeat(8),
                    self.value.chars().count()
                )
            }
        } else if self.multiline {
            self.value.split_whitespace().collect::<Vec<_>>().join(" ")
        } else {
            self.value.to_string()
        }
    }
    /// Cursor column within `display()` (single-line, unmasked fields).
    pub fn cursor_col(&self) -> usize {
        if self.masked || self.multiline {
            self.display().chars().count()
        } else {
            self.cursor
        }
    }
}

const FRAMES: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];

pub fn spinner(tick: u64) -> &'static str {
    FRAMES[(tick as usize) % FRAMES.len()]
}

/// `label` padded to a column, then the value.
pub fn kv<'a>(k: &'a str, v: String, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{k:<22}"), theme.dim),
        Span::raw(v),
    ])
}

/// Rows `lines` take when word-wrapped at `width`, as a paragraph draws them.
pub fn wrapped_height(lines: &[Line<'_>], width: u16) -> u16 {
    para(lines.to_vec())
        .line_count(width.max(1))
        .try_into()
        .unwrap_or(u16::MAX)
}

/// A form tab's parts, top to bottom: the context, the form (`form` rows) and what the last
/// action said (`result` lines, wrapped). On a short terminal the context gives way first, so
/// the fields and the errors under them stay on screen.
pub fn form_areas(area: Rect, context: &[Line<'_>], form: u16, result: &[Line<'_>]) -> [Rect; 3] {
    let wanted = wrapped_height(context, area.width).saturating_add(1);
    let below = form.saturating_add(wrapped_height(result, area.width));
    let top = wanted.min(area.height.saturating_sub(below));
    Layout::vertical([
        Constraint::Length(top),
        Constraint::Length(form),
        Constraint::Min(0),
    ])
    .areas(area)
}

/// A wrapping paragraph.
pub fn para(lines: Vec<Line<'_>>) -> Paragraph<'_> {
    Paragraph::new(lines).wrap(Wrap { trim: false })
}

/// A rectangle centred in `area`, clamped to it.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// Fits a value into `room` columns: the end while editing (where the cursor is), else the
/// beginning with an ellipsis.
pub fn fit(value: &str, room: usize, tail: bool) -> String {
    let n = value.chars().count();
    if n <= room {
        value.to_string()
    } else if tail {
        value.chars().skip(n - room).collect()
    } else {
        let mut s: String = value.chars().take(room.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

pub fn style_for(s: &StepStatus, theme: &Theme) -> Style {
    match s {
        StepStatus::Done => theme.ok,
        StepStatus::Pending(_) => theme.dim,
        StepStatus::Failing(_) => theme.error,
    }
}

/// ✓ ○ ✗ for a step (· while unknown).
pub fn status_mark(s: Option<&StepStatus>, theme: &Theme) -> Span<'static> {
    match s {
        Some(StepStatus::Done) => Span::styled("✓", theme.ok),
        Some(StepStatus::Pending(_)) => Span::styled("○", theme.dim),
        Some(StepStatus::Failing(_)) => Span::styled("✗", theme.error),
        None => Span::styled("·", theme.dim),
    }
}

/// The step's verdict and reason, as the first lines of a tab: what to do (or what fails)
/// first, then what exists.
pub fn step_lines(r: StepReport, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![];
    let (word, reason) = match &r.status {
        StepStatus::Done => ("Done", None),
        StepStatus::Pending(x) => ("To do", Some(x.clone())),
        StepStatus::Failing(x) => ("Failing", Some(x.clone())),
    };
    let head = reason.clone().unwrap_or_else(|| r.detail.clone());
    lines.push(Line::from(vec![
        Span::styled(format!("{word}: "), style_for(&r.status, theme)),
        Span::raw(head),
    ]));
    if reason.is_some() && !r.detail.is_empty() {
        lines.push(Line::from(vec![
            Span::styled("  · ", theme.dim),
            Span::styled(r.detail.clone(), theme.dim),
        ]));
    }
    for w in r.warnings {
        lines.push(Line::from(vec![
            Span::styled("  ! ", theme.warn),
            Span::styled(w, theme.warn),
        ]));
    }
    lines
}

/// Validation errors, one ✗ line each.
pub fn error_lines<'a>(errors: &'a [String], theme: &Theme) -> Vec<Line<'a>> {
    errors
        .iter()
        .map(|e| {
            Line::from(vec![
                Span::styled("✗ ", theme.error),
                Span::styled(e.as_str(), theme.error),
            ])
        })
        .collect()
}

/// Agent ids as short as `width` needs while each stays distinct. The whole segments they all
/// start with give way to `…` (`mp_replication_1b89` → `…1b89`); a rest still too long keeps
/// its start (a tenant, say) and its last segment (the index) and loses its middle
/// (`…europe-produ…_1`); the id that is only the shared prefix keeps its start.
pub fn distinct_names(ids: &[&str], width: usize) -> Vec<String> {
    if ids.iter().all(|i| i.chars().count() <= width) {
        return ids.iter().map(|i| i.to_string()).collect();
    }
    let sep = |c: &char| *c == '_' || *c == '-';
    let ids: Vec<Vec<char>> = ids.iter().map(|i| i.chars().collect()).collect();
    let first = ids.first().cloned().unwrap_or_default();
    let mut common = ids.iter().fold(first.len(), |n, id| {
        first
            .iter()
            .zip(id)
            .take(n)
            .take_while(|(a, b)| a == b)
            .count()
    });
    // Whole segments only: `mp_replication_wknd` and `mp_replication_wkndstage` share
    // `mp_replication_`, not `mp_replication_wknd`.
    while common > 0
        && !sep(&first[common - 1])
        && !ids.iter().all(|id| id.get(common).is_none_or(sep))
    {
        common -= 1;
    }
    let lead = if common > 0 { "…" } else { "" };
    let room = width.saturating_sub(lead.chars().count());
    let rests: Vec<&[char]> = ids
        .iter()
        .map(|id| {
            let rest = &id[common.min(id.len())..];
            &rest[rest.iter().take_while(|c| sep(c)).count()..]
        })
        .collect();
    let names = |tail: Option<usize>| -> Vec<String> {
        ids.iter()
            .zip(&rests)
            .map(|(id, rest)| {
                if rest.is_empty() {
                    // The bare prefix (the first agent AEM creates): its start, cut.
                    return cut_end(id, width);
                }
                if rest.len() <= room {
                    return format!("{lead}{}", rest.iter().collect::<String>());
                }
                // The last segment (the index), unless told otherwise.
                let last = rest.iter().rev().position(sep).map_or(0, |p| p + 1);
                let tail = match tail {
                    None => last.min(room / 2),
                    Some(t) => t.min(room.saturating_sub(2)),
                };
                let head = room.saturating_sub(1 + tail);
                format!(
                    "{lead}{}…{}",
                    rest[..head].iter().collect::<String>(),
                    rest[rest.len() - tail..].iter().collect::<String>()
                )
            })
            .collect()
    };
    let distinct =
        |v: &[String]| v.iter().collect::<std::collections::HashSet<_>>().len() == v.len();
    let preferred = names(None);
    if distinct(&preferred) {
        return preferred;
    }
    (1..room)
        .map(|t| names(Some(t)))
        .find(|v| distinct(v))
        .unwrap_or(preferred)
}

/// The start of `id` in `width` columns, `…` where it was cut.
fn cut_end(id: &[char], width: usize) -> String {
    if id.len() <= width {
        id.iter().collect()
    } else {
        id[..width.saturating_sub(1)].iter().collect::<String>() + "…"
    }
}

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A sparkline of the last `width` samples, scaled to their maximum.
pub fn sparkline(samples: &[u64], width: usize) -> String {
    let tail = &samples[samples.len().saturating_sub(width)..];
    let max = tail.iter().copied().max().unwrap_or(0);
    tail.iter()
        .map(|&v| match (v * 7).checked_div(max) {
            Some(level) => BARS[level as usize],
            None => BARS[0],
        })
        .collect()
}

/// A duration in a few characters: `8s`, `3m`, `2h`, `4d`.
pub fn span(ms: i64) -> String {
    let s = (ms / 1000).max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// `now`, `45s ago`, `3m ago`, `2h ago`, `4d ago`.
pub fn ago(now: i64, at: i64) -> String {
    let s = (now.saturating_sub(at) / 1000).max(0);
    match s {
        0..10 => "now".into(),
        10..60 => format!("{s}s ago"),
        60..3600 => format!("{}m ago", s / 60),
        3600..86_400 => format!("{}h ago", s / 3600),
        _ => format!("{}d ago", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn a_secret_field_never_shows_its_value() {
        let mut t = TextInput::masked();
        for c in "p8e-hunter2".chars() {
            t.insert(c);
        }
        assert!(!format!("{t:?}").contains("hunter2"));
        assert!(!t.display().contains("hunter2"));
        assert_eq!(t.secret().expose_secret(), "p8e-hunter2");
        assert!(!format!("{:?}", t.secret()).contains("hunter2"));
        // Typing a long secret does not reallocate (which would leave a copy behind).
        let cap = t.value.capacity();
        for _ in 0..500 {
            t.insert('x');
        }
        assert_eq!(t.value.capacity(), cap);
    }

    #[test]
    fn editing() {
        let mut t = TextInput::new("ab");
        t.left();
        t.insert('x');
        assert_eq!(t.value(), "axb");
        t.backspace();
        t.backspace();
        assert_eq!(t.value(), "b");
        t.end();
        t.paste("c\nd");
        assert_eq!(t.value(), "bc d");
        let mut m = TextInput::masked();
        m.paste("s3cret");
        assert!(!m.display().contains("s3cret"));
        let mut p = TextInput::multiline();
        p.paste("{\r\n \"a\": 1\n}");
        assert_eq!(p.value(), "{\n \"a\": 1\n}");
        assert_eq!(p.display(), "{ \"a\": 1 }");
        assert!(
            !format!("{m:?}").contains("s3cret"),
            "Debug never shows the value"
        );
    }

    #[test]
    fn narrow_names_keep_what_tells_agents_apart() {
        let ids = [
            "mp_replication",
            "mp_replication_1b89",
            "mp_replication_02aa",
            "mp_replication_d243",
        ];
        assert_eq!(distinct_names(&ids, 22), ids.map(String::from).to_vec());
        assert_eq!(
            distinct_names(&ids, 8),
            vec!["mp_repl…", "…1b89", "…02aa", "…d243"]
        );
        let n = distinct_names(&ids, 6);
        let unique: std::collections::HashSet<_> = n.iter().collect();
        assert_eq!(unique.len(), 4, "{n:?}");
        assert!(n.iter().all(|s| s.chars().count() <= 6), "{n:?}");
    }

    #[test]
    fn narrow_names_keep_the_tenant_and_the_index() {
        // Two tenants' agents: the index alone (`…_1`) would not tell them apart.
        let ids = [
            "mp_replication_acme-europe-production_1",
            "mp_replication_acme-europe-production_2",
            "mp_replication_acme-asia-production_1",
            "mp_replication_acme-asia-production_2",
        ];
        let n = distinct_names(&ids, 16);
        assert_eq!(
            n,
            vec![
                "…europe-produ…_1",
                "…europe-produ…_2",
                "…asia-product…_1",
                "…asia-product…_2"
            ]
        );
        // A shared start that ends inside a segment is not cut there.
        let n = distinct_names(&["mp_replication_wknd_1", "mp_replication_wkndstage_1"], 12);
        assert_eq!(n, vec!["…wknd_1", "…wkndstage_1"]);
        // Still distinct when the last segments are the same and the room is small.
        let n = distinct_names(&ids, 6);
        let unique: std::collections::HashSet<_> = n.iter().collect();
        assert_eq!(unique.len(), 4, "{n:?}");
        assert!(n.iter().all(|s| s.chars().count() <= 6), "{n:?}");
    }

    #[test]
    fn sparkline_scales() {
        assert_eq!(sparkline(&[0, 7, 14], 10), "▁▄█");
        assert_eq!(sparkline(&[0, 0], 10), "▁▁");
        assert_eq!(sparkline(&[1, 2, 3, 4], 2).chars().count(), 2);
        assert_eq!(sparkline(&[], 5), "");
    }
}
