//! One file per tab.

pub mod account;
pub mod certificate;
pub mod cloud;
pub mod replication;

use super::app::{App, Tab};
use super::theme::Theme;
use super::ui::style_for;
use crate::setup::StepStatus;
use ratatui::text::{Line, Span};

/// The step's verdict and reason, as the first lines of a tab.
pub fn step_lines(app: &App, tab: Tab, theme: &Theme) -> Vec<Line<'static>> {
    let Some(s) = app.snapshot.as_ref() else {
        return vec![];
    };
    let r = s.step(tab.step());
    let mut lines = vec![];
    let (word, reason) = match &r.status {
        StepStatus::Done => ("Done", None),
        StepStatus::Pending(x) => ("To do", Some(x.clone())),
        StepStatus::Failing(x) => ("Failing", Some(x.clone())),
    };
    let mut head = vec![Span::styled(
        format!("{word}: "),
        style_for(&r.status, theme),
    )];
    head.push(Span::raw(if r.detail.is_empty() {
        reason.clone().unwrap_or_default()
    } else {
        r.detail.clone()
    }));
    lines.push(Line::from(head));
    if let Some(reason) = reason.filter(|_| !r.detail.is_empty()) {
        lines.push(Line::from(vec![
            Span::styled("  → ", theme.dim),
            Span::raw(reason),
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
