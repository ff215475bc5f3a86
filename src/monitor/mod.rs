//! The live monitor of the Brand Portal agents' queues: pollers in background tasks send
//! immutable snapshots; the model keeps history, trends and alerts; the TUI, `queues --watch`
//! and the exporter all read from it.

pub mod exporter;
pub mod model;
pub mod poller;

pub use model::{Alert, AlertKind, AlertRules, BlockCause, MonitorModel, QueueView, Snapshot};
pub use poller::{PollConfig, Pollers, poll_cycle, poll_once};
