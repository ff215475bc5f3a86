//! The frame: header, tab bar, the current tab, the status line, the hint bar and the open
//! dialog. A pure function of the [`App`]; it returns where the frame can be clicked.

use super::action::Action;
use super::app::{App, ClickMap};
use super::tabs::Tab;
use super::theme::Theme;
use super::widgets::{spinner, status_mark, wrapped_height};
use crate::setup::ErrorClass;
use crate::tui::state::NoticeKind;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

pub fn draw(f: &mut Frame, app: &App, theme: &Theme) -> ClickMap {
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
        return ClickMap::default();
    }
    // A long message wraps onto up to three lines instead of being cut.
    let notice_line = notice_line(app, theme);
    let notice_rows = wrapped_height(std::slice::from_ref(&notice_line), area.width).clamp(1, 3);
    let [header, tabs_area, body, notice, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(10),
        Constraint::Length(notice_rows),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(f, header, app, theme);
    let mut clicks = ClickMap {
        tabs: draw_tabs(f, tabs_area, app, theme),
        ..ClickMap::default()
    };
    let fleet = app.fleet.as_ref().filter(|f| f.showing);
    let title = match fleet {
        Some(_) => " Fleet ",
        None => app.tab.title(),
    };
    let block = Block::bordered()
        .border_style(theme.border)
        .title(Span::styled(format!(" {} ", title.trim()), theme.title));
    let inner = block.inner(body);
    f.render_widget(block, body);
    let cx = &app.shared;
    if let Some(fleet) = fleet {
        super::fleet::draw::draw(f, inner, fleet, cx, theme);
    } else if let Some(e) = &cx.load_error
        && cx.snapshot.is_none()
    {
        let p = Paragraph::new(vec![
            Line::styled("Cannot read the integration from AEM:", theme.error),
            Line::raw(e.message.clone()),
            Line::raw(""),
            Line::styled("r retries; q quits.", theme.dim),
        ])
        .wrap(Wrap { trim: false });
        f.render_widget(p, inner);
    } else if cx.snapshot.is_none() {
        f.render_widget(
            Paragraph::new(format!("{} reading AEM…", spinner(cx.tick))).style(theme.dim),
            inner,
        );
    } else {
        clicks.body = app.tabs.get(app.tab).draw(f, inner, cx, theme);
    }
    f.render_widget(
        Paragraph::new(notice_line).wrap(Wrap { trim: false }),
        notice,
    );
    draw_hints(f, hints, app, theme);
    if let Some(m) = &app.modal {
        m.draw(f, area, cx, &app.keymap, theme);
    }
    clicks
}

fn draw_header(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if let Some(fleet) = app.fleet.as_ref().filter(|f| f.showing) {
        let mut spans = vec![Span::styled(" brandlink ", theme.title)];
        if app.shared.header.sandbox {
            spans.push(Span::styled("[SANDBOX] ", theme.warn));
        }
        spans.push(Span::raw(format!(
            "Fleet of {} ",
            crate::words::count(fleet.len() as u64, "author", "authors")
        )));
        spans.push(Span::styled(
            format!(
                " each read every {} s",
                super::fleet::poll::INTERVAL.as_secs()
            ),
            theme.dim,
        ));
        f.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    let cx = &app.shared;
    let h = &cx.header;
    let stale;
    let rejected = cx
        .load_error
        .as_ref()
        .is_some_and(|e| e.class == ErrorClass::Auth);
    let m = &app.tabs.replication.monitor;
    let polls_failing =
        (!m.agents.is_empty() && m.agents.values().all(|h| h.stale_since.is_some())).then(|| {
            let since = m.agents.values().filter_map(|h| h.stale_since).min();
            let error = m.agents.values().find_map(|h| h.error.clone());
            format!(
                "✗ polls failing since {}: {}",
                since.map(crate::when::clock).unwrap_or_default(),
                error.unwrap_or_default()
            )
        });
    let (conn, style) = match (&cx.load_error, &cx.snapshot) {
        (Some(_), _) if rejected => ("✗ credentials rejected (r retries)", theme.error),
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
        // The last read worked, but the live polls of every agent fail now (AEM 503, gone).
        (None, Some(_)) if polls_failing.is_some() => {
            stale = polls_failing.unwrap_or_default();
            (stale.as_str(), theme.error)
        }
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
    if let Some(p) = app.current_profile() {
        spans.push(Span::styled(format!("{p}: "), theme.title));
    }
    spans.push(Span::raw(format!("AEM {} as {} ", h.url, h.user)));
    // `AEM 6.5 LTS SP3, Java 21.0.4`: the version as Adobe names it.
    let version = cx
        .snapshot
        .as_ref()
        .filter(|s| s.aem.version.is_some())
        .map(|s| {
            let java = s
                .aem
                .java
                .as_deref()
                .map(|j| format!(", Java {j}"))
                .unwrap_or_default();
            Span::styled(format!("[{}{java}] ", s.aem.label), theme.dim)
        });
    let ims = Span::styled(format!("  IMS {}", h.ims_url), theme.dim);
    let conn = Span::styled(conn, style);
    // On a narrow terminal the IMS host gives way first, then the version: the connection's
    // state always shows, and nothing is cut in the middle of a word. The spinner's room is
    // kept, so nothing comes and goes with it.
    const SPINNER: usize = 3;
    let room = usize::from(area.width).saturating_sub(SPINNER);
    let width = |v: &[Span]| v.iter().map(Span::width).sum::<usize>();
    if let Some(v) = version.filter(|v| width(&spans) + v.width() + conn.width() <= room) {
        spans.push(v);
    }
    spans.push(conn);
    if width(&spans) + ims.width() <= room {
        spans.push(ims);
    }
    if cx.loading && cx.snapshot.is_some() {
        spans.push(Span::styled(format!("  {}", spinner(cx.tick)), theme.dim));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The tab bar; returns each entry's clickable rectangle.
fn draw_tabs(f: &mut Frame, area: Rect, app: &App, theme: &Theme) -> Vec<(Rect, Tab)> {
    if app.on_fleet_screen() {
        let line = Line::from(vec![
            Span::raw(" "),
            Span::styled(" 0 Fleet ", theme.active_tab),
            Span::styled(
                "  ⏎ opens an author's four tabs; esc or 0 there comes back here",
                theme.dim,
            ),
        ]);
        f.render_widget(Paragraph::new(line), area);
        return vec![];
    }
    let mut spans = vec![Span::raw(" ")];
    let mut x = area.x + 1;
    let mut rects = Vec::new();
    for (i, t) in Tab::ALL.iter().enumerate() {
        let st = app.step_status(*t);
        let style = if *t == app.tab {
            theme.active_tab
        } else {
            theme.text
        };
        let number = format!(" {} ", i + 1);
        let title = format!(" {} ", t.title());
        let width = (number.chars().count() + 1 + title.chars().count()) as u16;
        rects.push((
            Rect {
                x,
                y: area.y,
                width,
                height: 1,
            },
            *t,
        ));
        x += width + 3;
        spans.push(Span::styled(number, style));
        spans.push(status_mark(st.as_ref(), theme));
        spans.push(Span::styled(title, style));
        spans.push(Span::styled(" │ ", theme.dim));
    }
    spans.pop();
    f.render_widget(Paragraph::new(Line::from(spans)), area);
    rects
}

/// The status line: the running operation, else the last message.
fn notice_line(app: &App, theme: &Theme) -> Line<'static> {
    let cx = &app.shared;
    if let Some(b) = &cx.busy {
        Line::from(vec![
            Span::styled(format!(" {} ", spinner(cx.tick)), theme.key),
            Span::raw(match &cx.busy_note {
                Some(note) => format!("{b}… {note}"),
                None => format!("{b}… (esc cancels)"),
            }),
        ])
    } else if let Some(n) = &cx.notice {
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
    }
}

fn draw_hints(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let scopes = app.scopes();
    let hints = app.hints();
    // `App::hints` puts the dialog's or the tab's own first, the general keys after them.
    let own = if app.modal.is_some() {
        hints.len()
    } else if app.editing() {
        0
    } else {
        app.tabs.get(app.tab).hints(&app.shared).len()
    };
    let spans: Vec<(u8, [Span<'static>; 2])> = hints
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let key = app.keymap.key_label(h.action, &scopes).unwrap_or_default();
            let describe = h.label.unwrap_or(h.action.hint());
            let (ks, ds) = if h.enabled {
                (theme.key, theme.dim)
            } else {
                (theme.dim, theme.dim)
            };
            let rank = match h.action {
                Action::Help => HELP,
                Action::Quit => 3,
                _ if !h.enabled => 0,
                _ if i < own => 2,
                _ => 1,
            };
            (
                rank,
                [
                    Span::styled(format!(" {key}"), ks),
                    Span::styled(format!(" {describe} "), ds),
                ],
            )
        })
        .collect();
    let line = fit_hints(spans, usize::from(area.width));
    f.render_widget(Paragraph::new(line), area);
}

/// `? help` gives way to nothing: the help overlay lists every key.
const HELP: u8 = u8::MAX;

/// The hints that fit in `width` columns, whole: when they do not all fit, the lowest rank
/// gives way first (dimmed ones, then the general keys, then the tab's own, then quit), the
/// last of a rank before the first; `? help` stays.
fn fit_hints(mut hints: Vec<(u8, [Span<'static>; 2])>, width: usize) -> Line<'static> {
    let total = |hs: &[(u8, [Span<'static>; 2])]| -> usize {
        hs.iter().flat_map(|(_, s)| s.iter()).map(Span::width).sum()
    };
    while total(&hints) > width {
        let Some(lowest) = hints.iter().map(|(r, _)| *r).filter(|r| *r != HELP).min() else {
            break;
        };
        let Some(i) = hints.iter().rposition(|(r, _)| *r == lowest) else {
            break;
        };
        hints.remove(i);
    }
    // Whatever is left is drawn whole or not at all.
    let mut used = 0;
    let mut spans = Vec::new();
    for (_, pair) in hints {
        let w: usize = pair.iter().map(Span::width).sum();
        if used + w > width {
            break;
        }
        used += w;
        spans.extend(pair);
    }
    Line::from(spans)
}
