//! The root's part for a fleet: the Fleet screen's actions, and switching the current author.
//! One author's tabs, dialogs and reads are the root's usual state; choosing another author on
//! the Fleet screen (⏎, `D`, `m`) starts that state afresh for it and asks the runtime for its
//! session (`Effect::Author`), while an operation still running on the current one refuses.
//! Pure state, as the rest of the root: the runtime does the I/O.

use super::action::Action;
use super::app::App;
use super::effect::Effect;
use super::fleet::{FleetOut, FleetView, JwtConfig};
use super::keymap::Scope;
use super::migrate::MigrateDialog;
use super::modal::Modal;
use super::nav::{Hint, Tab};
use super::state::{HeaderInfo, Shared};
use super::tabs::Tabs;

impl App {
    /// The Fleet screen shows (not an author's tabs).
    pub fn on_fleet_screen(&self) -> bool {
        self.fleet.as_ref().is_some_and(|f| f.showing)
    }

    /// A new read of the fleet from the background.
    pub fn on_fleet(&mut self, view: FleetView) {
        if let Some(f) = &mut self.fleet {
            f.set_view(view);
        }
    }

    /// The profile whose tabs the runtime holds now.
    pub fn current_profile(&self) -> Option<&str> {
        self.fleet.as_ref().and_then(|f| f.current.as_deref())
    }

    pub(super) fn fleet_scopes(&self) -> Vec<Scope> {
        vec![Scope::Global, Scope::Fleet, Scope::Normal]
    }

    pub(super) fn fleet_hints(&self) -> Vec<Hint> {
        let mut out = self
            .fleet
            .as_ref()
            .map(|f| f.hints(self.shared.read_only))
            .unwrap_or_default();
        out.extend([Hint::on(Action::Help), Hint::on(Action::Quit)]);
        out
    }

    /// The Fleet screen is still reading an author for the first time.
    pub(super) fn fleet_reading(&self) -> bool {
        self.fleet
            .as_ref()
            .is_some_and(|f| f.showing && f.read_count() < f.len())
    }

    /// An action while the Fleet screen shows.
    pub(super) fn on_fleet_action(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Quit if self.tabs.dirty() => self.modal = Some(Modal::ConfirmQuit),
            Action::Quit => self.quit = true,
            Action::Help => self.modal = Some(Modal::Help { scroll: 0 }),
            Action::Back => self.shared.notice = None,
            other => {
                let read_only = self.shared.read_only;
                let Some(f) = &mut self.fleet else {
                    return vec![];
                };
                return match f.on_action(other, read_only) {
                    FleetOut::None => vec![],
                    FleetOut::Info(text) => {
                        self.shared.info(text);
                        vec![]
                    }
                    FleetOut::Refresh => vec![Effect::FleetRefresh(None)],
                    FleetOut::Open(p) => self.open_author(&p),
                    FleetOut::Doctor(p) => self.doctor_of(&p),
                    FleetOut::Migrate(p, c) => self.migrate_of(&p, c),
                };
            }
        }
        vec![]
    }

    /// `0`, or esc on an author's tabs: back to the Fleet screen (the author's session stays,
    /// with whatever runs in it).
    pub(super) fn show_fleet(&mut self) -> Vec<Effect> {
        let Some(f) = &mut self.fleet else {
            self.shared
                .info("one author: the Fleet screen needs several profiles in the config file");
            return vec![];
        };
        f.showing = true;
        let tab = self.tab;
        self.tabs.get_mut(tab).on_leave();
        vec![]
    }

    /// ⏎: the author's four tabs.
    fn open_author(&mut self, profile: &str) -> Vec<Effect> {
        let Some(fx) = self.switch_author(profile) else {
            return vec![];
        };
        if let Some(f) = &mut self.fleet {
            f.showing = false;
        }
        fx
    }

    /// `D`: the doctor overlay on the author, over the Fleet screen.
    fn doctor_of(&mut self, profile: &str) -> Vec<Effect> {
        let Some(mut fx) = self.switch_author(profile) else {
            return vec![];
        };
        self.modal = Some(Modal::Doctor(Box::default()));
        fx.push(Effect::Doctor);
        fx
    }

    /// `m`: the migration dialog of the author's JWT configuration, over the Fleet screen.
    fn migrate_of(&mut self, profile: &str, c: JwtConfig) -> Vec<Effect> {
        let Some(mut fx) = self.switch_author(profile) else {
            return vec![];
        };
        self.modal = Some(Modal::Migrate(Box::new(MigrateDialog::new(
            &c.pid,
            &c.client_id,
            &c.org_id,
        ))));
        if self.shared.header.sandbox {
            fx.push(Effect::FetchCredential {
                client_id: c.client_id,
            });
        }
        fx
    }

    /// Makes `profile` the current author: its state starts afresh and the runtime is asked
    /// for its session. `None` (and a notice) while an operation runs on the current one.
    fn switch_author(&mut self, profile: &str) -> Option<Vec<Effect>> {
        let f = self.fleet.as_mut()?;
        if f.current.as_deref() == Some(profile) {
            return Some(vec![]);
        }
        if let Some(b) = &self.shared.busy {
            let on = f.current.clone().unwrap_or_default();
            let text = format!("wait: {b} is still running on {on} (esc on its tabs cancels)");
            self.shared.info(text);
            return None;
        }
        let header = f.entry(profile)?.header.clone();
        f.current = Some(profile.to_string());
        self.reset_author(header);
        Some(vec![Effect::Author(profile.to_string()), Effect::Load])
    }

    /// A new author's state: its header, every tab empty, no dialog, the guided start; the
    /// operator's settings (read-only, bell, poll interval, backups) kept.
    fn reset_author(&mut self, header: HeaderInfo) {
        let old = std::mem::take(&mut self.shared);
        self.shared = Shared {
            header,
            loading: true,
            read_only: old.read_only,
            clock: old.clock,
            tick: old.tick,
            backup_root: old.backup_root,
            ..Shared::default()
        };
        let (bell, poll_secs) = (self.tabs.replication.bell, self.tabs.replication.poll_secs);
        self.tabs = Tabs::default();
        self.tabs.replication.bell = bell;
        self.tabs.replication.poll_secs = poll_secs;
        self.modal = None;
        self.tab = Tab::Certificate;
        self.guided = true;
        self.load_failures = 0;
        self.read_generation = 0;
    }
}
