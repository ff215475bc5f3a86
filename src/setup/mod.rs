//! The integration as data: a snapshot read from AEM, the procedure as ordered steps, idempotent
//! actions, the upgrade plan, and the [`Setup`] service that the TUI and the CLI both call.

pub mod account;
pub mod actions;
pub mod bundle;
pub mod checks;
pub mod console;
pub mod defaults;
pub mod error;
pub mod fleet;
pub mod fleet_migrate;
pub mod health;
pub mod history;
pub mod lifecycle;
pub mod migrate;
pub mod resave;
pub mod service;
pub mod snapshot;
pub mod stop;
pub mod upgrade;

/// The AEM data the front ends show, as the setup service hands it out.
pub use crate::aem::agents::{AgentInfo, LogLine, TestResult};
pub use crate::aem::queue::QueueState;
pub use crate::verdict::steps::{StepId, StepReport, StepStatus};
pub use error::{ErrorClass, SetupError};
pub use service::{ImsEndpoint, Setup};
pub use snapshot::Integration;
pub use stop::{Interrupted, Stop};
