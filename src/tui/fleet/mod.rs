//! The Fleet screen: one row per profile of the config file, read in the background by
//! [`poll`] through the setup service's fleet read (the same rows `brandlink fleet status`
//! prints: `verdict::fleet::Row`), failing authors first, the fleet's own findings below. This
//! module is its state — the authors, what was last read of them, the sorted order and the
//! selection (kept on the same author when the order changes) — and the actions the screen
//! offers; [`draw`] draws it. It never awaits.

pub mod draw;
pub mod poll;

use super::action::Action;
use super::nav::Hint;
use super::state::HeaderInfo;
use crate::setup::fleet::Member;
use crate::verdict::fleet::{Row, Summary};
use crate::verdict::{Finding, Status};

/// One author of the fleet as the front end built it from its profile.
pub struct FleetAuthor {
    /// The profile, its URL, tenant and setup service (or why there is none).
    pub member: Member,
    /// What the header shows while this author's tabs are open.
    pub header: HeaderInfo,
    /// The sandbox's base URL when the author is one (its emulated Console).
    pub sandbox_url: Option<String>,
}

/// What the screen knows of an author before anything is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FleetEntry {
    pub profile: String,
    pub header: HeaderInfo,
    /// Why its tabs cannot open (no password, a profile value that cannot be used).
    pub unbuilt: Option<String>,
}

impl FleetEntry {
    pub fn of(a: &FleetAuthor) -> FleetEntry {
        FleetEntry {
            profile: a.member.profile.clone(),
            header: a.header.clone(),
            unbuilt: a.member.setup.as_ref().err().map(|u| u.message.clone()),
        }
    }
}

/// The Brand Portal IMS configuration of an author still on JWT (what the migration needs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwtConfig {
    pub pid: String,
    pub client_id: String,
    /// The organization its claims name (the migration keeps it).
    pub org_id: String,
}

/// One author as last read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorView {
    pub profile: String,
    /// The fleet table's row; `None` until the first read ends.
    pub row: Option<Row>,
    /// Why it could not be read, in words.
    pub error: Option<String>,
    /// Its JWT configuration, when it has one.
    pub jwt: Option<JwtConfig>,
}

impl AuthorView {
    pub fn reading(profile: &str) -> AuthorView {
        AuthorView {
            profile: profile.to_string(),
            row: None,
            error: None,
            jwt: None,
        }
    }

    /// Failing (read or not) first, then those not read yet, then the healthy ones.
    fn rank(&self) -> u8 {
        match &self.row {
            Some(r) if !r.ok => 0,
            None => 1,
            Some(_) => 2,
        }
    }
}

/// What the poller sends: every author in the config's order, the fleet's findings over
/// those read, and the summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FleetView {
    pub authors: Vec<AuthorView>,
    pub findings: Vec<Finding>,
    /// `None` until an author has been read.
    pub summary: Option<Summary>,
}

/// What an action on the Fleet screen asks of the root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FleetOut {
    None,
    /// Open this author's four tabs.
    Open(String),
    /// Run the doctor on this author.
    Doctor(String),
    /// Open the migration dialog for this author's JWT configuration.
    Migrate(String, JwtConfig),
    /// Read every author again (credentials refused are tried once more).
    Refresh,
    /// Say this in the status line.
    Info(String),
}

/// The Fleet screen's state.
#[derive(Debug)]
pub struct FleetScreen {
    pub entries: Vec<FleetEntry>,
    pub view: FleetView,
    /// Indexes into `view.authors`, in the order shown.
    order: Vec<usize>,
    /// Position in `order`.
    pub selected: usize,
    /// The operator moved the selection (until then it stays on the top row).
    moved: bool,
    /// The author whose tabs the runtime holds now (opened, or asked for its doctor).
    pub current: Option<String>,
    /// The screen shows (else the current author's tabs do).
    pub showing: bool,
}

impl FleetScreen {
    pub fn new(entries: Vec<FleetEntry>) -> FleetScreen {
        let view = FleetView {
            authors: entries
                .iter()
                .map(|e| AuthorView::reading(&e.profile))
                .collect(),
            ..FleetView::default()
        };
        let mut s = FleetScreen {
            entries,
            view,
            order: vec![],
            selected: 0,
            moved: false,
            current: None,
            showing: true,
        };
        s.sort();
        s
    }

    /// A new read of the fleet: sorted again, the selection staying on the same author (on
    /// the top row until the operator moves it).
    pub fn set_view(&mut self, view: FleetView) {
        let keep = self
            .selected()
            .filter(|_| self.moved)
            .map(|a| a.profile.clone());
        self.view = view;
        self.sort();
        self.selected = keep
            .and_then(|p| self.rows().position(|a| a.profile == p))
            .unwrap_or(0);
    }

    fn sort(&mut self) {
        let authors = &self.view.authors;
        let mut order: Vec<usize> = (0..authors.len()).collect();
        // Stable: within a rank, the config's order.
        order.sort_by_key(|i| authors[*i].rank());
        self.order = order;
    }

    /// The authors in the order shown.
    pub fn rows(&self) -> impl Iterator<Item = &AuthorView> {
        self.order.iter().filter_map(|i| self.view.authors.get(*i))
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    pub fn selected(&self) -> Option<&AuthorView> {
        self.order
            .get(self.selected)
            .and_then(|i| self.view.authors.get(*i))
    }

    pub fn entry(&self, profile: &str) -> Option<&FleetEntry> {
        self.entries.iter().find(|e| e.profile == profile)
    }

    /// Authors read so far.
    pub fn read_count(&self) -> usize {
        self.view.authors.iter().filter(|a| a.row.is_some()).count()
    }

    /// The fleet's findings that are not ok.
    pub fn problems(&self) -> impl Iterator<Item = &Finding> {
        self.view
            .findings
            .iter()
            .filter(|f| matches!(f.status, Status::Warn | Status::Fail))
    }

    /// Moves the selection; the other actions say what the root should do.
    pub fn on_action(&mut self, action: Action, read_only: bool) -> FleetOut {
        let last = self.len().saturating_sub(1);
        if matches!(
            action,
            Action::Up
                | Action::Down
                | Action::PageUp
                | Action::PageDown
                | Action::Top
                | Action::Bottom
        ) {
            self.moved = true;
        }
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(last),
            Action::PageUp => self.selected = self.selected.saturating_sub(10),
            Action::PageDown => self.selected = (self.selected + 10).min(last),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = last,
            Action::Refresh => return FleetOut::Refresh,
            Action::Activate | Action::Doctor | Action::Migrate => {
                return self.on_author(action, read_only);
            }
            _ => {}
        }
        FleetOut::None
    }

    /// ⏎, `D` or `m` on the selected author.
    fn on_author(&self, action: Action, read_only: bool) -> FleetOut {
        let Some(a) = self.selected() else {
            return FleetOut::None;
        };
        if let Some(why) = self.entry(&a.profile).and_then(|e| e.unbuilt.as_ref()) {
            return FleetOut::Info(format!("{}: {why}", a.profile));
        }
        match action {
            Action::Activate => FleetOut::Open(a.profile.clone()),
            Action::Doctor => FleetOut::Doctor(a.profile.clone()),
            _ if read_only => FleetOut::Info("read-only mode: the migration is off".to_string()),
            _ => match &a.jwt {
                Some(c) => FleetOut::Migrate(a.profile.clone(), c.clone()),
                None if a.row.as_ref().is_some_and(|r| r.aem_version.is_some()) => {
                    FleetOut::Info(format!("{} has no JWT configuration to migrate", a.profile))
                }
                None => FleetOut::Info(format!(
                    "{} has not been read: its configuration is not known yet",
                    a.profile
                )),
            },
        }
    }

    /// What the hint bar offers on the screen.
    pub fn hints(&self, read_only: bool) -> Vec<Hint> {
        let sel = self.selected();
        let openable =
            sel.is_some_and(|a| self.entry(&a.profile).is_some_and(|e| e.unbuilt.is_none()));
        let jwt = sel.is_some_and(|a| a.jwt.is_some());
        vec![
            Hint::when(Action::Activate, openable).named("open"),
            Hint::when(Action::Doctor, openable),
            Hint::when(Action::Migrate, openable && jwt && !read_only).named("migrate…"),
            Hint::on(Action::Refresh).named("read all again"),
            Hint::on(Action::Up),
            Hint::on(Action::Down),
        ]
    }
}

#[cfg(test)]
mod tests;
