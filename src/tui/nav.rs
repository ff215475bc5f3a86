//! What every part of the terminal UI names without depending on the others: the four tabs
//! and the hints of the hint bar. A leaf (tabs and dialogs both use it; it uses neither).

use super::action::Action;
use crate::setup::StepId;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tab {
    Certificate,
    Account,
    Cloud,
    Replication,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Certificate, Tab::Account, Tab::Cloud, Tab::Replication];
    pub fn step(self) -> StepId {
        match self {
            Tab::Certificate => StepId::Certificate,
            Tab::Account => StepId::Account,
            Tab::Cloud => StepId::CloudService,
            Tab::Replication => StepId::Replication,
        }
    }
    pub fn from_step(s: StepId) -> Tab {
        match s {
            StepId::Certificate => Tab::Certificate,
            StepId::Account => Tab::Account,
            StepId::CloudService => Tab::Cloud,
            StepId::Replication => Tab::Replication,
        }
    }
    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
    pub fn title(self) -> &'static str {
        self.step().title()
    }
}

/// An action a tab offers now; disabled ones are shown dimmed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hint {
    pub action: Action,
    pub enabled: bool,
    /// What the action does here, when it is not its usual word (⏎ "fix" in the doctor).
    pub label: Option<&'static str>,
}

impl Hint {
    pub fn on(action: Action) -> Hint {
        Hint::when(action, true)
    }
    pub fn when(action: Action, enabled: bool) -> Hint {
        Hint {
            action,
            enabled,
            label: None,
        }
    }
    pub fn named(mut self, label: &'static str) -> Hint {
        self.label = Some(label);
        self
    }
}

/// What a dialog asks after a key: stay, close, quit, close and open `D` instead, or close, go
/// to a tab and take the action there. Generic, so a dialog that opens none names no other.
#[derive(Debug)]
pub enum DialogOut<D> {
    Keep,
    Close,
    Quit,
    /// Close, and open this instead.
    Replace(D),
    /// Close, go to the tab and take the action there (its checks and dialogs apply).
    Goto(Tab, Action),
}

impl<D> DialogOut<D> {
    /// The same outcome with what it opens turned into `E`.
    pub fn map<E>(self, f: impl FnOnce(D) -> E) -> DialogOut<E> {
        match self {
            DialogOut::Keep => DialogOut::Keep,
            DialogOut::Close => DialogOut::Close,
            DialogOut::Quit => DialogOut::Quit,
            DialogOut::Replace(d) => DialogOut::Replace(f(d)),
            DialogOut::Goto(t, a) => DialogOut::Goto(t, a),
        }
    }
}
