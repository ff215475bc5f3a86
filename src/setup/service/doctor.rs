//! The doctor, and the one fix of its own: Close Connection on the Brand Portal agents.

use super::Setup;
use crate::doctor::{self, ReadOptions, Report};

impl Setup {
    /// Runs every doctor check. `test`: one Test Connection (the only action it takes).
    pub async fn doctor(&self, tenant: Option<&str>, test: bool) -> Report {
        let opts = ReadOptions {
            tenant: tenant.map(str::to_string),
            test,
            ims: self.ims_choice.clone(),
        };
        doctor::diagnose(&self.client, &opts).await
    }
}
