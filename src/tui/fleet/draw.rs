//! Draws the Fleet screen: the table (failing authors first), the selected author's details,
//! the fleet's own findings and the summary. Narrow terminals leave out the URL and the first
//! failure's column; the details line under the table says both for the selected author.

use super::{AuthorView, FleetScreen};
use crate::tui::state::Shared;
use crate::tui::theme::Theme;
use crate::tui::widgets::{fit, spinner, wrapped_height};
use crate::verdict::Status;
use crate::verdict::fleet::Row as FleetRow;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

/// From this inner width on, the table has the URL and first-failure columns.
const WIDE: u16 = 110;

/// The screen in `area` (inside the body's border).
pub fn draw(f: &mut Frame, area: Rect, s: &FleetScreen, cx: &Shared, theme: &Theme) {
    let details = detail_lines(s, theme);
    let below = below_lines(s, theme);
    let details_h = wrapped_height(&details, area.width).min(3);
    // The table keeps room for its header and three authors (it scrolls to the selected one);
    // the findings give way first, and what is left stays empty below.
    let rows = u16::try_from(s.len()).unwrap_or(u16::MAX).saturating_add(1);
    let table_min = rows.min(4);
    let below_h = wrapped_height(&below, area.width)
        .min(area.height.saturating_sub(table_min + details_h + 1));
    let table_h = rows.min(area.height.saturating_sub(details_h + below_h + 1));
    let [table, _, detail, lower, _] = Layout::vertical([
        Constraint::Length(table_h),
        Constraint::Length(1),
        Constraint::Length(details_h),
        Constraint::Length(below_h),
        Constraint::Min(0),
    ])
    .areas(area);
    draw_table(f, table, s, cx, theme);
    f.render_widget(Paragraph::new(details).wrap(Wrap { trim: false }), detail);
    f.render_widget(Paragraph::new(below).wrap(Wrap { trim: false }), lower);
}

fn draw_table(f: &mut Frame, area: Rect, s: &FleetScreen, cx: &Shared, theme: &Theme) {
    let wide = area.width >= WIDE;
    let mut header = vec!["", "PROFILE"];
    let mut widths = vec![Constraint::Length(1), Constraint::Length(12)];
    if wide {
        header.push("URL");
        widths.push(Constraint::Length(24));
    }
    header.extend(["AEM", "CRED", "STATE", "QUEUE", "DOCTOR"]);
    widths.extend([
        Constraint::Length(9),
        Constraint::Length(5),
        Constraint::Length(19),
        Constraint::Length(14),
        Constraint::Length(11),
    ]);
    if wide {
        header.push("FIRST FAILURE");
        widths.push(Constraint::Min(10));
    }
    let rows: Vec<Row> = s
        .rows()
        .map(|a| table_row(a, wide, cx.tick, theme))
        .collect();
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.title))
        .row_highlight_style(theme.selected)
        .column_spacing(1);
    let mut state = TableState::default().with_selected((!s.is_empty()).then_some(s.selected));
    f.render_stateful_widget(table, area, &mut state);
}

/// `12✓ 1! 3✗`: the doctor's counts.
fn counts(r: &FleetRow) -> String {
    let c = r.counts;
    format!("{}✓ {}! {}✗", c.ok, c.warn, c.fail)
}

fn table_row(a: &AuthorView, wide: bool, tick: u64, theme: &Theme) -> Row<'static> {
    let Some(r) = &a.row else {
        let mut cells = vec![
            Cell::from(Span::styled(spinner(tick), theme.dim)),
            Cell::from(a.profile.clone()),
        ];
        if wide {
            cells.push(Cell::from(""));
        }
        cells.extend([
            Cell::from(""),
            Cell::from(""),
            Cell::from(Span::styled("reading…", theme.dim)),
        ]);
        return Row::new(cells);
    };
    // An author that could not be read has its error, and nothing else, to show.
    let unread = a.error.is_some();
    let (mark, style) = match (r.ok, unread) {
        (true, _) => (Span::styled("✓", theme.ok), theme.text),
        (false, true) => (Span::styled("✗", theme.error), theme.error),
        (false, false) => (Span::styled("✗", theme.error), theme.text),
    };
    let mut cells = vec![Cell::from(mark), Cell::from(fit(&r.profile, 12, false))];
    if wide {
        cells.push(Cell::from(fit(&r.aem_url, 24, false)));
    }
    let queue_style = if r.blocked.is_empty() {
        theme.text
    } else {
        theme.warn
    };
    cells.extend([
        Cell::from(r.aem_version.clone().unwrap_or_else(|| "-".into())),
        Cell::from(r.credential_word()),
        Cell::from(Span::styled(r.state.clone(), state_style(r, unread, theme))),
        Cell::from(Span::styled(r.pending_word(), queue_style)),
        Cell::from(counts(r)),
    ]);
    if wide {
        let why = a.error.clone().or(r.first_failure.clone());
        cells.push(Cell::from(Span::styled(
            if r.ok {
                String::new()
            } else {
                why.unwrap_or_default()
            },
            theme.dim,
        )));
    }
    Row::new(cells).style(style)
}

fn state_style(r: &FleetRow, unread: bool, theme: &Theme) -> Style {
    if unread {
        theme.error
    } else if r.state == "working" {
        theme.ok
    } else if r.ok {
        theme.text
    } else {
        theme.warn
    }
}

/// The selected author: its URL, and why it fails (or that it is healthy).
fn detail_lines(s: &FleetScreen, theme: &Theme) -> Vec<Line<'static>> {
    let Some(a) = s.selected() else {
        return vec![Line::styled("no profiles in the config file", theme.dim)];
    };
    let url = s
        .entry(&a.profile)
        .map(|e| e.header.url.clone())
        .unwrap_or_default();
    let mut spans = vec![
        Span::styled(format!("› {}", a.profile), theme.title),
        Span::styled(format!("  {url}"), theme.dim),
    ];
    let unbuilt = s.entry(&a.profile).and_then(|e| e.unbuilt.clone());
    let (text, style) = match (&a.row, unbuilt) {
        (_, Some(why)) => (why, theme.error),
        (None, None) => ("reading…".to_string(), theme.dim),
        (Some(r), None) if r.ok => ("healthy: ⏎ opens its four tabs".to_string(), theme.ok),
        (Some(r), None) => (
            a.error
                .clone()
                .or(r.first_failure.clone())
                .unwrap_or_else(|| r.state.clone()),
            theme.error,
        ),
    };
    spans.push(Span::raw("  "));
    spans.push(Span::styled(text, style));
    if let Some(r) = &a.row
        && !r.blocked.is_empty()
    {
        spans.push(Span::styled(
            format!("  · blocked: {}", r.blocked.join(", ")),
            theme.warn,
        ));
    }
    vec![Line::from(spans)]
}

/// The fleet's own findings that are not ok, then the summary.
fn below_lines(s: &FleetScreen, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines: Vec<Line<'static>> = s
        .problems()
        .map(|f| {
            let style = if f.status == Status::Fail {
                theme.error
            } else {
                theme.warn
            };
            Line::from(vec![
                Span::styled(format!("{} {} ", f.status.mark(), f.id), style),
                Span::raw(f.finding.clone()),
            ])
        })
        .collect();
    let total = s.len();
    let read = s.read_count();
    let summary = match &s.view.summary {
        Some(sum) if read == total => summary_line(sum),
        Some(sum) => format!("{} (read {read} of {total} so far)", summary_line(sum)),
        None => format!("reading {total} authors…"),
    };
    lines.push(Line::styled(summary, theme.dim));
    lines
}

/// The summary's figures (the failing fleet finding is on its own line above).
fn summary_line(s: &crate::verdict::fleet::Summary) -> String {
    format!(
        "{}: {} ok, {} failing, {} not read · {} on JWT, {} on OAuth · fleet checks: {} ok, {} !, {} ✗",
        crate::words::count(s.authors as u64, "author", "authors"),
        s.healthy,
        s.failing,
        s.unread,
        s.jwt,
        s.oauth,
        s.fleet.ok,
        s.fleet.warn,
        s.fleet.fail
    )
}
