//! One descriptor per operation the TUI runs: the effect that asks for it, the answer that
//! ends it, how the runtime runs it (beside the running operation, or as it, and how far a
//! cancel reaches) and what is read again once its answer is applied. The runtime starts an
//! effect only through its entry here, and the root ends the busy header and refreshes by it,
//! so adding an operation is its `Effect` and `Msg`, one entry below, its work in the runtime
//! and what its answer shows.
//!
//! The reads that only ask (the integration, the doctor, a log, a blocked queue's cause) and
//! the runtime's own controls (cancel, suspend, the bell…) are not operations: `reads.rs` and
//! the runtime carry them out.

use super::effect::{Effect, Msg};
use std::time::Duration;

/// How the runtime runs an operation, and how far a cancel (Esc) reaches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runs {
    /// Beside the running operation (a plan, a queue action, a test, the bundle): a cancel
    /// does not reach it.
    Beside,
    /// As the one running operation, which only reads: a cancel stops it at once.
    StopsAnywhere,
    /// As the one running operation, writing in whole steps: a cancel stops it after the step
    /// in progress (it then says what was done and how to undo or complete it).
    StopsBetweenSteps,
    /// As the one running operation, one write in several requests: it must finish.
    MustFinish,
}

/// What is read again once an operation's answer is applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refresh {
    /// The integration (the header shows it being read).
    Load,
    /// The integration again after a pause.
    LoadLater(Duration),
    /// The doctor's checks.
    Doctor,
    /// The queue pollers, now.
    Monitor,
}

impl Refresh {
    pub fn effect(self) -> Effect {
        match self {
            Refresh::Load => Effect::Load,
            Refresh::LoadLater(wait) => Effect::LoadLater(wait),
            Refresh::Doctor => Effect::Doctor,
            Refresh::Monitor => Effect::MonitorRefresh,
        }
    }
}

/// An operation's descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Descriptor {
    pub runs: Runs,
    /// Its answer ends the operation the header shows as busy.
    pub ends_busy: bool,
    /// Read again, in this order, after its answer.
    pub refresh: &'static [Refresh],
}

/// The table: each entry generates its name, its descriptor and how its effect and answer are
/// recognised.
macro_rules! operations {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident {
            asked: $effect:pat,
            answer: $answer:pat,
            runs: $runs:ident,
            ends_busy: $ends:literal,
            refresh: [$($refresh:expr),* $(,)?] $(,)?
        }
    )*) => {
        /// Every operation the TUI runs.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Operation {
            $($(#[doc = $doc])* $name,)*
        }

        impl Operation {
            /// Every operation, in the table's order.
            pub const ALL: &[Operation] = &[$(Operation::$name),*];

            pub fn descriptor(self) -> Descriptor {
                match self {
                    $(Operation::$name => Descriptor {
                        runs: Runs::$runs,
                        ends_busy: $ends,
                        refresh: const { &[$($refresh),*] },
                    },)*
                }
            }

            /// The operation an effect asks for (`None`: a read or a control of the runtime).
            pub fn asked_by(effect: &Effect) -> Option<Operation> {
                match effect {
                    $($effect => Some(Operation::$name),)*
                    _ => None,
                }
            }

            /// The operation a message answers (`None`: a read's answer, a poll, a cancel).
            pub fn answered_by(msg: &Msg) -> Option<Operation> {
                match msg {
                    $($answer => Some(Operation::$name),)*
                    _ => None,
                }
            }
        }
    };
}

operations! {
    /// Step 1: a key pair in the service user's keystore, its certificate written to disk.
    CreateCertificate {
        asked: Effect::CreateCertificate { .. },
        answer: Msg::CertCreated(_),
        runs: StopsBetweenSteps,
        ends_busy: true,
        refresh: [Refresh::Load],
    }
    /// The sandbox's Console: a project for the certificate, its credentials into the form.
    FetchConsole {
        asked: Effect::FetchConsole { .. },
        answer: Msg::ConsoleFetched(_),
        runs: StopsAnywhere,
        ends_busy: true,
        refresh: [],
    }
    /// Step 2: the IMS configuration, after IMS accepted the values.
    CreateAccount {
        asked: Effect::CreateAccount { .. },
        answer: Msg::AccountCreated(_),
        runs: MustFinish,
        ends_busy: true,
        refresh: [Refresh::Load],
    }
    /// Check Health. It reads the integration again itself, when AEM's verdict was recorded.
    CheckHealth {
        asked: Effect::CheckHealth { .. },
        answer: Msg::Health(_),
        runs: StopsAnywhere,
        ends_busy: true,
        refresh: [],
    }
    /// Step 3: the cloud configuration, then waiting for the four agents.
    CreateCloud {
        asked: Effect::CreateCloud { .. },
        answer: Msg::CloudCreated(_),
        runs: StopsBetweenSteps,
        ends_busy: true,
        refresh: [Refresh::Load],
    }
    /// Close Connection on the agents that lack it (the doctor's fix; backed up first).
    CloseConnection {
        asked: Effect::CloseConnection,
        answer: Msg::ClosedConnection(_),
        runs: StopsBetweenSteps,
        ends_busy: true,
        refresh: [Refresh::Load, Refresh::Doctor],
    }
    /// The upgrade the operator confirmed: back up, delete, configure anew.
    RunUpgrade {
        asked: Effect::RunUpgrade(_),
        answer: Msg::UpgradeDone(_),
        runs: StopsBetweenSteps,
        ends_busy: true,
        refresh: [Refresh::Load],
    }
    /// JWT to OAuth Server-to-Server in place. The retried queues get a moment to drain
    /// before the integration is read once more.
    RunMigration {
        asked: Effect::RunMigration { .. },
        answer: Msg::Migrated(_),
        runs: StopsBetweenSteps,
        ends_busy: true,
        refresh: [
            Refresh::Load,
            Refresh::Monitor,
            Refresh::LoadLater(Duration::from_secs(3)),
        ],
    }
    /// A change to the Brand Portal IMS configuration (backed up, then tested).
    UpdateAccount {
        asked: Effect::RunUpdate { .. },
        answer: Msg::AccountChanged(_, "updated"),
        runs: StopsBetweenSteps,
        ends_busy: true,
        refresh: [Refresh::Load],
    }
    /// Deleting the Brand Portal IMS configuration and its customizer (backed up first).
    DeleteAccount {
        asked: Effect::DeleteAccount,
        answer: Msg::AccountChanged(_, "deleted"),
        runs: StopsBetweenSteps,
        ends_busy: true,
        refresh: [Refresh::Load],
    }
    /// IMS asked and the change to the IMS configuration worked out, for its dialog.
    PlanUpdate {
        asked: Effect::PlanUpdate { .. },
        answer: Msg::UpdatePlanned(..),
        runs: Beside,
        ends_busy: true,
        refresh: [],
    }
    /// A queue action (retry, pause, resume, clear).
    Queue {
        asked: Effect::Queue(..),
        answer: Msg::QueueDone(..),
        runs: Beside,
        ends_busy: true,
        refresh: [Refresh::Monitor],
    }
    /// The sandbox's "Publish to Brand Portal" for sample assets.
    PublishSample {
        asked: Effect::PublishSample(_),
        answer: Msg::Published(_),
        runs: Beside,
        ends_busy: false,
        refresh: [],
    }
    /// What an upgrade would remove, for its dialog.
    PlanUpgrade {
        asked: Effect::PlanUpgrade(_),
        answer: Msg::UpgradePlanned(_),
        runs: Beside,
        ends_busy: false,
        refresh: [],
    }
    /// The sandbox Console's values of a credential, for the migration dialog.
    FetchCredential {
        asked: Effect::FetchCredential { .. },
        answer: Msg::CredentialFetched(_),
        runs: Beside,
        ends_busy: false,
        refresh: [],
    }
    /// What the migration would change, for its dialog.
    PlanMigration {
        asked: Effect::PlanMigration { .. },
        answer: Msg::MigrationPlanned(_),
        runs: Beside,
        ends_busy: false,
        refresh: [],
    }
    /// The support bundle, written to the current folder.
    SupportBundle {
        asked: Effect::SupportBundle,
        answer: Msg::BundleWritten(_),
        runs: Beside,
        ends_busy: false,
        refresh: [],
    }
    /// Test Connection, one task per agent. The tab reads the integration again once every
    /// agent answered.
    Test {
        asked: Effect::Test(_),
        answer: Msg::Tested(..),
        runs: Beside,
        ends_busy: false,
        refresh: [],
    }
}

/// What the runtime answers is applied through this: whether it ends the busy header, and
/// what to read again after it.
pub fn after(msg: &Msg) -> Option<Descriptor> {
    Operation::answered_by(msg).map(Operation::descriptor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::effect::UiError;

    #[test]
    fn the_account_s_two_changes_are_told_apart_by_their_answer() {
        let changed = |what| Msg::AccountChanged(Err(UiError::failed("x")), what);
        assert_eq!(
            Operation::answered_by(&changed("updated")),
            Some(Operation::UpdateAccount)
        );
        assert_eq!(
            Operation::answered_by(&changed("deleted")),
            Some(Operation::DeleteAccount)
        );
    }

    #[test]
    fn reads_and_controls_are_not_operations() {
        for e in [Effect::Load, Effect::Doctor, Effect::Cancel, Effect::Bell] {
            assert_eq!(Operation::asked_by(&e), None, "{e:?}");
        }
        assert_eq!(
            Operation::answered_by(&Msg::Cancelled(crate::tui::effect::Cancelled::Stopped)),
            None
        );
    }

    #[test]
    fn every_operation_that_runs_alone_ends_the_busy_header() {
        for op in Operation::ALL {
            let d = op.descriptor();
            assert!(d.runs == Runs::Beside || d.ends_busy, "{op:?}");
        }
    }
}
