//! The doctor overlay (`D` from any tab): the same report as `brandlink doctor`, one line per
//! check, the selected one's cause, fix and command below, and ⏎ to apply the fix brandlink
//! has for it (behind the usual confirmation; never in read-only mode).

use super::action::Action;
use super::effect::Effect;
use super::nav::{DialogOut, Hint, Tab};
use super::state::Shared;
use super::theme::Theme;
use super::widgets::{centered, spinner};
use crate::setup::service::QueueOp;
use crate::verdict::{Finding, Remedy, Report, Status};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

/// A fix that needs its own dialog: the doctor says which, the dialogs build it.
#[derive(Debug)]
pub enum DoctorFix {
    /// Confirm Close Connection on these agents (their backup goes under `backup_root`).
    CloseConnection(Vec<String>),
    /// Plan the upgrade of this tenant's integration.
    Upgrade(String),
}

/// What a key did to the doctor.
pub type DoctorOut = DialogOut<DoctorFix>;

#[derive(Debug, Default)]
pub struct DoctorPanel {
    /// `None` while the checks run.
    pub report: Option<Box<Report>>,
    pub selected: usize,
    /// The finding selected when the report was asked for again (kept across the read).
    keep: Option<&'static str>,
}

impl DoctorPanel {
    /// Opens on the first finding that is not ok; a report read again keeps the finding the
    /// operator had selected (the same id), so an answer arriving late never moves it.
    pub fn set(&mut self, report: Box<Report>) {
        let was = self
            .report
            .as_ref()
            .and_then(|old| old.findings.get(self.selected))
            .map(|f| f.id)
            .or_else(|| self.keep.take());
        let kept = was.and_then(|id| report.findings.iter().position(|n| n.id == id));
        self.selected = kept.unwrap_or_else(|| {
            report
                .findings
                .iter()
                .position(|f| matches!(f.status, Status::Fail | Status::Warn))
                .unwrap_or(0)
        });
        self.report = Some(report);
    }

    /// Clears the report for a new read, remembering the selected finding.
    pub fn read_again(&mut self) {
        self.keep = self.finding().map(|f| f.id);
        self.report = None;
    }

    fn finding(&self) -> Option<&Finding> {
        self.report.as_ref()?.findings.get(self.selected)
    }

    pub fn hints(&self) -> Vec<Hint> {
        let fix = self.finding().is_some_and(|f| f.remedy.is_some());
        vec![
            Hint::on(Action::Up),
            Hint::on(Action::Down),
            Hint::when(Action::Activate, fix).named("fix…"),
            Hint::on(Action::Refresh).named("check again"),
            Hint::on(Action::SupportBundle),
            Hint::on(Action::Back),
        ]
    }

    pub fn on_action(
        &mut self,
        action: Option<Action>,
        cx: &mut Shared,
    ) -> (DoctorOut, Vec<Effect>) {
        let n = self.report.as_ref().map_or(0, |r| r.findings.len());
        match action {
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Action::Down) => self.selected = (self.selected + 1).min(n.saturating_sub(1)),
            Some(Action::Refresh) if self.report.is_some() => {
                self.read_again();
                return (DialogOut::Keep, vec![Effect::Doctor]);
            }
            Some(Action::Back) => return (DialogOut::Close, vec![]),
            Some(Action::Activate) => return self.apply(cx),
            Some(Action::SupportBundle) => {
                cx.info("writing the support bundle (secrets removed)…");
                return (DialogOut::Keep, vec![Effect::SupportBundle]);
            }
            _ => {}
        }
        (DialogOut::Keep, vec![])
    }

    /// The selected finding's fix, behind a confirmation.
    fn apply(&mut self, cx: &mut Shared) -> (DoctorOut, Vec<Effect>) {
        let Some(remedy) = self.finding().and_then(|f| f.remedy.clone()) else {
            if let Some(c) = self.finding().and_then(|f| f.command.clone()) {
                cx.info(format!("no fix from here: run `{c}`"));
            }
            return (DialogOut::Keep, vec![]);
        };
        if cx.refuse_read_only("the doctor's fixes are off") {
            return (DialogOut::Keep, vec![]);
        }
        if let Some(b) = &cx.busy {
            let text = format!("wait: {b} is still running (esc cancels)");
            cx.info(text);
            return (DialogOut::Keep, vec![]);
        }
        match remedy {
            Remedy::CloseConnection(ids) => {
                (DialogOut::Replace(DoctorFix::CloseConnection(ids)), vec![])
            }
            Remedy::Migrate => (DialogOut::Goto(Tab::Account, Action::Migrate), vec![]),
            Remedy::Upgrade(tenant) => (
                DialogOut::Replace(DoctorFix::Upgrade(tenant.clone())),
                vec![Effect::PlanUpgrade(Some(tenant))],
            ),
            Remedy::Resume(ids) => {
                // The checks run again once a queue answered (`App::on_msg`), not beside the
                // resume, which they could read before it is done.
                cx.info(format!("resuming {}", ids.join(", ")));
                // The doctor reads again once a queue answers (a read now could beat it).
                let effects = ids
                    .into_iter()
                    .map(|id| Effect::Queue(id, QueueOp::Resume))
                    .collect();
                self.read_again();
                (DialogOut::Keep, effects)
            }
        }
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, cx: &Shared, theme: &Theme) {
        // Below the header, above the status and hint lines: what a fix or `w` says stays in
        // sight.
        let r = Rect {
            y: area.y + 1,
            height: area.height.saturating_sub(3),
            ..centered(area, area.width.saturating_sub(2).min(130), area.height)
        };
        f.render_widget(Clear, r);
        let Some(report) = &self.report else {
            let p = Paragraph::new(Line::styled(
                format!(
                    "{} checking the integration (one Test Connection)…",
                    spinner(cx.tick)
                ),
                theme.dim,
            ))
            .block(
                Block::bordered()
                    .title(" Doctor ")
                    .border_style(theme.border),
            );
            f.render_widget(p, r);
            return;
        };
        let style = |s: Status| -> Style {
            match s {
                Status::Ok => theme.ok,
                Status::Skip => theme.dim,
                Status::Warn => theme.warn,
                Status::Fail => theme.error,
            }
        };
        let block = Block::bordered()
            .title(format!(" Doctor — {} ", report.counts_line()))
            .border_style(style(report.worst()));
        let inner = block.inner(r);
        f.render_widget(block, r);
        let detail_h = 8u16.min(inner.height / 2);
        let [list, _, detail] = Layout::vertical([
            Constraint::Min(1),
            Constraint::Length(1),
            Constraint::Length(detail_h),
        ])
        .areas(inner);
        let width = report.id_width();
        let rows = usize::from(list.height);
        let start = self.selected.saturating_sub(rows.saturating_sub(1));
        let lines: Vec<Line> = report
            .findings
            .iter()
            .enumerate()
            .skip(start)
            .take(rows)
            .map(|(i, fd)| {
                let mut spans = vec![
                    Span::styled(format!("{} ", fd.status.mark()), style(fd.status)),
                    Span::styled(format!("{:<width$}  ", fd.id), theme.dim),
                    Span::raw(fd.finding.clone()),
                ];
                if i == self.selected {
                    for s in &mut spans {
                        s.style = s.style.patch(theme.selected);
                    }
                }
                Line::from(spans)
            })
            .collect();
        f.render_widget(Paragraph::new(lines), list);
        let mut d = Vec::new();
        if let Some(fd) = self.finding() {
            d.push(Line::styled(fd.finding.clone(), style(fd.status)));
            for (label, value) in fd.details() {
                let style = if label == "see" {
                    theme.dim
                } else {
                    theme.text
                };
                d.push(Line::from(vec![
                    Span::styled(format!("{label}: "), theme.key),
                    Span::styled(value.to_string(), style),
                ]));
            }
            if fd.remedy.is_some() {
                d.push(Line::styled(
                    if cx.read_only {
                        "read-only mode: the fix is not offered here"
                    } else {
                        "⏎ applies the fix (after a confirmation)"
                    },
                    theme.title,
                ));
            }
        }
        f.render_widget(Paragraph::new(d).wrap(Wrap { trim: false }), detail);
    }
}
