//! Named actions: what a key means. Components see actions, never keys.

use serde::Deserialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    ForceQuit,
    Suspend,
    Help,
    NextTab,
    PrevTab,
    Up,
    Down,
    Activate,
    Back,
    NextField,
    PrevField,
    Refresh,
    FetchConsole,
    CheckHealth,
    Migrate,
    DeleteAccount,
    UseAlias,
    TestSelected,
    TestAll,
    Upgrade,
    Freeze,
    ForceRetry,
    PauseResume,
    ClearQueue,
    ShowLog,
    PublishSample,
    Alerts,
    Doctor,
    GotoCertificate,
    GotoAccount,
    GotoCloud,
    GotoReplication,
}

impl Action {
    pub fn describe(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::ForceQuit => "quit now",
            Action::Suspend => "suspend",
            Action::Help => "help",
            Action::NextTab => "next tab",
            Action::PrevTab => "previous tab",
            Action::Up => "up",
            Action::Down => "down",
            Action::Activate => "edit / run",
            Action::Back => "back / cancel",
            Action::NextField => "next field",
            Action::PrevField => "previous field",
            Action::Refresh => "re-read AEM",
            Action::FetchConsole => "sandbox: Console credentials",
            Action::CheckHealth => "check health",
            Action::Migrate => "migrate JWT → OAuth…",
            Action::DeleteAccount => "delete the IMS configuration…",
            Action::UseAlias => "use the new key pair (rotation)…",
            Action::TestSelected => "test selected",
            Action::TestAll => "test all four",
            Action::Upgrade => "upgrade (back up, delete, set up anew)…",
            Action::Freeze => "freeze / unfreeze",
            Action::ForceRetry => "force retry",
            Action::PauseResume => "pause / resume queue",
            Action::ClearQueue => "clear queue…",
            Action::ShowLog => "agent log",
            Action::PublishSample => "sandbox: publish 25 sample assets",
            Action::Doctor => "doctor: check everything, offer fixes",
            Action::Alerts => "all alerts, with their causes and fixes",
            Action::GotoCertificate => "Certificate tab",
            Action::GotoAccount => "Account tab",
            Action::GotoCloud => "Cloud Service tab",
            Action::GotoReplication => "Replication tab",
        }
    }

    /// The hint bar's word: shorter where the bar is crowded (the help overlay says it in full).
    pub fn hint(self) -> &'static str {
        match self {
            Action::TestSelected => "test",
            Action::TestAll => "test all",
            Action::ShowLog => "log",
            Action::PublishSample => "publish",
            Action::Doctor => "doctor",
            Action::Alerts => "alerts",
            Action::PauseResume => "pause/resume",
            Action::ForceRetry => "retry",
            Action::ClearQueue => "clear…",
            Action::Freeze => "freeze",
            Action::Upgrade => "upgrade…",
            Action::FetchConsole => "sandbox Console",
            other => other.describe(),
        }
    }
}
