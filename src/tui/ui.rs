//! Drawing: header, tab bar, the current tab, notices, the hint bar and overlays. Pure
//! functions of the [`App`]; nothing here blocks.

use super::app::{App, ButtonId, FieldId, Item, Mode, NoticeKind, Tab};
use super::tabs;
use super::theme::Theme;
use super::widgets::spinner;
use crate::setup::StepStatus;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

pub fn draw(f: &mut Frame, app: &App, theme: &Theme) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "terminal too small: brandlink needs {MIN_WIDTH}×{MIN_HEIGHT}, this one is {}×{}",
            area.width, area.height
        );
        f.render_widget(
            Paragraph::new(msg)
                .wrap(Wrap { trim: true })
                .style(theme.warn),
            area,
        );
        return;
    }
    let [header, tabs_area, body, notice, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(10),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(f, header, app, theme);
    draw_tabs(f, tabs_area, app, theme);
    let block = Block::bordered()
        .border_style(theme.border)
        .title(Span::styled(format!(" {} ", app.tab.title()), theme.title));
    let inner = block.inner(body);
    f.render_widget(block, body);
    if let Some(e) = &app.load_error
        && app.snapshot.is_none()
    {
        let p = Paragraph::new(vec![
            Line::styled("Cannot read the integration from AEM:", theme.error),
            Line::raw(e.clone()),
            Line::raw(""),
            Line::styled("r retries; q quits.", theme.dim),
        ])
        .wrap(Wrap { trim: false });
        f.render_widget(p, inner);
    } else if app.snapshot.is_none() {
        f.render_widget(
            Paragraph::new(format!("{} reading AEM…", spinner(app.tick))).style(theme.dim),
            inner,
        );
    } else {
        match app.tab {
            Tab::Certificate => tabs::certificate::draw(f, inner, app, theme),
            Tab::Account => tabs::account::draw(f, inner, app, theme),
            Tab::Cloud => tabs::cloud::draw(f, inner, app, theme),
            Tab::Replication => tabs::replication::draw(f, inner, app, theme),
        }
    }
    draw_notice(f, notice, app, theme);
    draw_hints(f, hints, app, theme);
    match app.mode {
        Mode::Help => draw_help(f, area, app, theme),
        Mode::ConfirmQuit => draw_confirm(f, area, theme),
        Mode::Log => draw_log(f, area, app, theme),
        Mode::ConfirmClear => draw_clear(f, area, app, theme),
        Mode::Upgrade => draw_upgrade(f, area, app, theme),
        _ => {}
    }
}

fn draw_header(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let h = &app.header;
    let stale;
    let (conn, style) = match (&app.load_error, &app.snapshot) {
        (Some(_), Some(s)) => {
            let t = chrono::DateTime::from_timestamp(s.read_at, 0)
                .map(|d| {
                    d.with_timezone(&chrono::Local)
                        .format("%H:%M:%S")
                        .to_string()
                })
                .unwrap_or_default();
            stale = format!("✗ unreachable, showing data from {t}, retrying");
            (stale.as_str(), theme.error)
        }
        (Some(_), None) => ("✗ unreachable, retrying", theme.error),
        (None, Some(s)) if s.readiness.ready() => ("● connected", theme.ok),
        (None, Some(_)) => ("◐ not ready", theme.warn),
        (None, None) => ("… connecting", theme.dim),
    };
    let mut spans = vec![Span::styled(" brandlink ", theme.title)];
    if h.sandbox {
        spans.push(Span::styled("[SANDBOX] ", theme.warn));
    }
    if h.insecure {
        spans.push(Span::styled("[TLS NOT VERIFIED] ", theme.error));
    }
    spans.extend([
        Span::raw(format!("AEM {} as {} ", h.url, h.user)),
        Span::styled(conn, style),
        Span::styled(format!("  IMS {}", h.ims_url), theme.dim),
    ]);
    if app.loading && app.snapshot.is_some() {
        spans.push(Span::styled(format!("  {}", spinner(app.tick)), theme.dim));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn status_mark(s: Option<&StepStatus>, theme: &Theme) -> Span<'static> {
    match s {
        Some(StepStatus::Done) => Span::styled("✓", theme.ok),
        Some(StepStatus::Pending(_)) => Span::styled("○", theme.dim),
        Some(StepStatus::Failing(_)) => Span::styled("✗", theme.error),
        None => Span::styled("·", theme.dim),
    }
}

fn draw_tabs(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut spans = vec![Span::raw(" ")];
    for (i, t) in Tab::ALL.iter().enumerate() {
        let st = app.step_status(*t);
        let style = if *t == app.tab {
            theme.active_tab
        } else {
            theme.text
        };
        spans.push(Span::styled(format!(" {} ", i + 1), style));
        spans.push(status_mark(st.as_ref(), theme));
        spans.push(Span::styled(format!(" {} ", t.title()), style));
        spans.push(Span::styled(" │ ", theme.dim));
    }
    spans.pop();
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_notice(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let line = if let Some(b) = &app.busy {
        Line::from(vec![
            Span::styled(format!(" {} ", spinner(app.tick)), theme.key),
            Span::raw(format!("{b}… (esc cancels)")),
        ])
    } else if let Some(n) = &app.notice {
        let (mark, style) = match n.kind {
            NoticeKind::Info => ("i", theme.text),
            NoticeKind::Success => ("✓", theme.ok),
            NoticeKind::Error => ("✗", theme.error),
        };
        Line::from(vec![
            Span::styled(format!(" {mark} "), style),
            Span::styled(n.text.clone(), style),
        ])
    } else {
        Line::raw("")
    };
    f.render_widget(Paragraph::new(line), area);
}

fn draw_hints(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut spans = Vec::new();
    for (k, d) in app.keymap.hints(&app.scopes()) {
        spans.push(Span::styled(format!(" {k}"), theme.key));
        spans.push(Span::styled(format!(" {d} "), theme.dim));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
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

fn draw_help(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut lines = Vec::new();
    for (scope, keys) in app.keymap.help() {
        lines.push(Line::styled(scope.title(), theme.title));
        for (k, d) in keys {
            lines.push(Line::from(vec![
                Span::styled(format!("  {k:<18}"), theme.key),
                Span::raw(d),
            ]));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(
        "Keys can be changed in the config file's [keys] table.",
        theme.dim,
    ));
    let r = centered(area, 64, area.height.saturating_sub(4));
    f.render_widget(Clear, r);
    let p = Paragraph::new(lines)
        .block(
            Block::bordered()
                .title(" Help — esc closes ")
                .border_style(theme.border),
        )
        .scroll((app.help_scroll, 0));
    f.render_widget(p, r);
}

fn draw_log(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(log) = &app.log else { return };
    let r = centered(
        area,
        area.width.saturating_sub(6),
        area.height.saturating_sub(4),
    );
    f.render_widget(Clear, r);
    let inner_h = r.height.saturating_sub(2) as usize;
    let lines: Vec<Line> = match &log.lines {
        None => vec![Line::styled(
            format!("{} reading the log…", spinner(app.tick)),
            theme.dim,
        )],
        Some(Err(e)) => vec![Line::styled(e.clone(), theme.error)],
        Some(Ok(v)) if v.is_empty() => vec![Line::styled("the log is empty", theme.dim)],
        Some(Ok(v)) => {
            // Only the visible window, ending at the scroll position.
            let end = (log.scroll + 1).min(v.len());
            let start = end.saturating_sub(inner_h);
            v[start..end]
                .iter()
                .map(|l| {
                    let style = if l.message.contains("failed")
                        || l.message.contains("Exception")
                        || l.message.contains("Error")
                    {
                        theme.error
                    } else {
                        theme.text
                    };
                    Line::from(vec![
                        Span::styled(
                            format!("{} ", l.time.clone().unwrap_or_default()),
                            theme.dim,
                        ),
                        Span::styled(l.message.clone(), style),
                    ])
                })
                .collect()
        }
    };
    let total = log
        .lines
        .as_ref()
        .and_then(|r| r.as_ref().ok())
        .map(Vec::len)
        .unwrap_or(0);
    let p = Paragraph::new(lines).block(
        Block::bordered()
            .title(format!(
                " Log of {} — line {}/{} — esc closes ",
                log.agent,
                (log.scroll + 1).min(total),
                total
            ))
            .border_style(theme.border),
    );
    f.render_widget(p, r);
}

fn draw_clear(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(c) = &app.confirm_clear else { return };
    let r = centered(area, 72, 8);
    f.render_widget(Clear, r);
    let p = Paragraph::new(vec![
        Line::styled(format!("Clear the queue of {}?", c.agent), theme.title),
        Line::styled(
            format!(
                "{} item(s) will be dropped: those assets will not reach Brand Portal.",
                c.pending
            ),
            theme.warn,
        ),
        Line::raw("Type the agent id to confirm, then ⏎ (esc cancels):"),
        Line::from(vec![
            Span::raw("> "),
            Span::styled(c.typed.clone(), theme.editing),
        ]),
    ])
    .wrap(Wrap { trim: false })
    .block(
        Block::bordered()
            .title(" Clear queue ")
            .border_style(theme.error),
    );
    f.render_widget(p, r);
}

fn draw_upgrade(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(u) = &app.upgrade else { return };
    let r = centered(area, 90, area.height.saturating_sub(6).max(12));
    f.render_widget(Clear, r);
    let mut lines = Vec::new();
    match (&u.error, &u.plan) {
        (Some(e), _) => lines.push(Line::styled(e.clone(), theme.error)),
        (None, None) => lines.push(Line::styled(
            format!(
                "{} checking the queues and finding what would go…",
                spinner(app.tick)
            ),
            theme.dim,
        )),
        (None, Some(p)) => {
            if let Some(dir) = &u.resume {
                lines.push(Line::styled(
                    format!("An interrupted upgrade is journaled at {dir}; still to delete:"),
                    theme.warn,
                ));
            } else {
                lines.push(Line::styled(
                    format!(
                        "Replace the integration with {}: these go, after a backup:",
                        p.tenant_url
                    ),
                    theme.title,
                ));
            }
            for t in &p.targets {
                lines.push(Line::raw(format!(
                    "  {:<12} {}",
                    format!("{:?}", t.kind),
                    t.path
                )));
            }
            lines.push(Line::raw(""));
            if u.busy.is_empty() {
                lines.push(Line::styled(
                    "All queues are idle. Each agent is checked again just before its delete.",
                    theme.ok,
                ));
                lines.push(Line::raw("Backups go to the state folder (see the README); `brandlink restore` puts them back."));
                lines.push(Line::raw("Type upgrade and ⏎ to go ahead (esc cancels):"));
                lines.push(Line::from(vec![
                    Span::raw("> "),
                    Span::styled(u.typed.clone(), theme.editing),
                ]));
            } else {
                lines.push(Line::styled(
                    "Not all queues are idle; nothing will be changed:",
                    theme.error,
                ));
                for b in &u.busy {
                    lines.push(Line::styled(
                        format!("  {:<24} {:<8} {} pending", b.agent, b.state, b.pending),
                        theme.error,
                    ));
                }
                lines.push(Line::raw("Wait until they drain (the Replication tab shows them), then press esc and u again."));
            }
        }
    }
    let p = Paragraph::new(lines).wrap(Wrap { trim: false }).block(
        Block::bordered()
            .title(" Upgrade ")
            .border_style(theme.warn),
    );
    f.render_widget(p, r);
}

fn draw_confirm(f: &mut Frame, area: Rect, theme: &Theme) {
    let r = centered(area, 50, 5);
    f.render_widget(Clear, r);
    let p = Paragraph::new(vec![
        Line::raw("A form has input that was not submitted."),
        Line::styled("Quit anyway? y / n", theme.warn),
    ])
    .block(Block::bordered().title(" Quit ").border_style(theme.border));
    f.render_widget(p, r);
}

/// Draws a form: one line per field (label, value) and buttons; the focused item reversed,
/// the edited one underlined, with the cursor placed in it.
pub fn draw_form(f: &mut Frame, area: Rect, app: &App, items: &[Item], theme: &Theme) -> u16 {
    let focused = app.focused();
    let mut y = area.y;
    for item in items {
        if y >= area.y + area.height {
            break;
        }
        let is_focus = Some(*item) == focused;
        let row = Rect {
            x: area.x,
            y,
            width: area.width,
            height: 1,
        };
        match item {
            Item::Field(fid) => {
                let value = field_display(app, *fid);
                let editing = is_focus && app.mode == Mode::Editing;
                let style = if editing {
                    theme.editing
                } else if is_focus {
                    theme.selected
                } else {
                    theme.text
                };
                let marker = if is_focus { "›" } else { " " };
                let label = format!("{marker} {:<22}", fid.label());
                let room = area.width.saturating_sub(27) as usize;
                let shown = fit(&value, room, editing);
                let line = Line::from(vec![
                    Span::styled(label, if is_focus { theme.title } else { theme.dim }),
                    Span::styled(format!(" {shown} "), style),
                ]);
                f.render_widget(Paragraph::new(line), row);
                if editing && !fid.is_choice() {
                    let col = app
                        .inputs
                        .get(fid)
                        .map(|i| i.cursor_col())
                        .unwrap_or(0)
                        .min(room);
                    f.set_cursor_position((area.x + 25 + col as u16, y));
                }
            }
            Item::Button(b) => {
                let style = if is_focus { theme.selected } else { theme.key };
                let line = Line::from(vec![
                    Span::raw("  "),
                    Span::styled(format!("[ {} ]", b.label()), style),
                ]);
                f.render_widget(Paragraph::new(line), row);
            }
        }
        y += 1;
    }
    y - area.y
}

/// Fits a value into `room` columns: the end while editing (where the cursor is), else the
/// beginning with an ellipsis.
fn fit(value: &str, room: usize, tail: bool) -> String {
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

fn field_display(app: &App, f: FieldId) -> String {
    match f {
        FieldId::AuthType => format!("‹ {} ›  (⏎ switches)", app.auth_type),
        FieldId::CloudIms => match app.snapshot.as_ref().map(|s| &s.ims_configs) {
            Some(list) if !list.is_empty() => {
                let c = &list[app.cloud_ims.min(list.len() - 1)];
                format!("‹ {} — {} ›", c.title, c.pid)
            }
            _ => "(none yet: create it on the Account tab)".into(),
        },
        other => app
            .inputs
            .get(&other)
            .map(|i| i.display())
            .unwrap_or_default(),
    }
}

/// Form validation errors, one per line.
pub fn error_lines<'a>(app: &'a App, theme: &Theme) -> Vec<Line<'a>> {
    app.form_errors
        .iter()
        .map(|e| {
            Line::from(vec![
                Span::styled("✗ ", theme.error),
                Span::styled(e.as_str(), theme.error),
            ])
        })
        .collect()
}

pub fn kv<'a>(k: &'a str, v: String, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{k:<22}"), theme.dim),
        Span::raw(v),
    ])
}

pub fn para(lines: Vec<Line<'_>>) -> Paragraph<'_> {
    Paragraph::new(lines).wrap(Wrap { trim: false })
}

pub fn button_focused(app: &App, b: ButtonId) -> bool {
    app.focused() == Some(Item::Button(b))
}

pub fn style_for(s: &StepStatus, theme: &Theme) -> Style {
    match s {
        StepStatus::Done => theme.ok,
        StepStatus::Pending(_) => theme.dim,
        StepStatus::Failing(_) => theme.error,
    }
}
