//! The four tabs. Each is a component that owns its state and answers the same questions:
//! what an action does ([`Component::on_action`]), how it looks ([`Component::draw`], which
//! returns where it can be clicked), and which actions it offers now ([`Component::hints`],
//! for the hint bar). Results of background work reach a tab through its own typed methods.

pub mod account;
pub mod account_life;
pub mod certificate;
pub mod cloud;
pub mod replication;
mod replication_detail;
mod replication_rows;

use super::action::Action;
use super::effect::Effect;
use super::keymap::Scope;
use super::modal::Modal;
pub use super::nav::{Hint, Tab};
use super::state::Shared;
use super::theme::Theme;
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

/// What a component asks of the root besides effects.
#[derive(Debug)]
pub enum Out {
    Effect(Effect),
    Open(Modal),
    Goto(Tab),
}

impl From<Effect> for Out {
    fn from(e: Effect) -> Self {
        Out::Effect(e)
    }
}

/// Where a drawn tab can be clicked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clicks {
    /// Screen row of the first list row and how many rows follow (the agents).
    pub rows: Option<(u16, usize)>,
}

pub trait Component {
    /// The key scope of this tab while moving around.
    fn scope(&self) -> Option<Scope>;
    /// A field is being typed into.
    fn editing(&self) -> bool {
        false
    }
    fn on_action(&mut self, action: Action, cx: &mut Shared) -> Vec<Out>;
    /// A key that is no action, while editing.
    fn on_text(&mut self, _ev: KeyEvent, _cx: &Shared) {}
    fn on_paste(&mut self, _text: &str, _cx: &Shared) {}
    /// A click on row `index` of [`Clicks::rows`].
    fn on_click_row(&mut self, _index: usize) {}
    /// Input typed and not submitted.
    fn dirty(&self) -> bool {
        false
    }
    /// The tab is left: stop editing, forget validation errors.
    fn on_leave(&mut self) {}
    fn draw(&self, f: &mut Frame, area: Rect, cx: &Shared, theme: &Theme) -> Clicks;
    fn hints(&self, cx: &Shared) -> Vec<Hint>;
}

/// The four tabs' states.
#[derive(Debug, Default)]
pub struct Tabs {
    pub certificate: certificate::CertificateTab,
    pub account: account::AccountTab,
    pub cloud: cloud::CloudTab,
    pub replication: replication::ReplicationTab,
}

impl Tabs {
    pub fn get(&self, tab: Tab) -> &dyn Component {
        match tab {
            Tab::Certificate => &self.certificate,
            Tab::Account => &self.account,
            Tab::Cloud => &self.cloud,
            Tab::Replication => &self.replication,
        }
    }
    pub fn get_mut(&mut self, tab: Tab) -> &mut dyn Component {
        match tab {
            Tab::Certificate => &mut self.certificate,
            Tab::Account => &mut self.account,
            Tab::Cloud => &mut self.cloud,
            Tab::Replication => &mut self.replication,
        }
    }
    pub fn dirty(&self) -> bool {
        Tab::ALL.iter().any(|t| self.get(*t).dirty())
    }
}
