//! The integration as data: a snapshot read from AEM, the procedure as ordered steps, and
//! idempotent actions. The TUI and the CLI share all of it.

pub mod actions;
pub mod snapshot;
pub mod steps;
pub mod upgrade;

pub use snapshot::Integration;
pub use steps::{StepId, StepReport, StepStatus};
