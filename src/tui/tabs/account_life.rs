//! The Account tab's changes to an existing Brand Portal IMS configuration: rotating the client
//! secret, deleting it, and migrating JWT to OAuth Server-to-Server. Each goes through a dialog
//! that shows what happens and asks for a typed word.

use super::Out;
use super::account::{AccountField, AccountTab};
use crate::setup::snapshot::AuthType;
use crate::tui::effect::{Effect, UiResult};
use crate::tui::migrate::MigrateDialog;
use crate::tui::modal::{ConfirmDialog, Modal};
use crate::tui::state::Shared;
use secrecy::SecretString;

impl AccountTab {
    pub(super) fn rotate_secret(&mut self, cx: &mut Shared) -> Vec<Out> {
        if cx.refuse_read_only("the secret cannot be changed") {
            return vec![];
        }
        let typed = self.form.value(AccountField::Secret).to_string();
        if typed.trim().is_empty() {
            self.form.errors =
                vec!["type the new client secret first (Console → Retrieve client secret)".into()];
            return vec![];
        }
        if !cx.begin("asking IMS with the new secret") {
            return vec![];
        }
        self.form.errors.clear();
        vec![Out::Effect(Effect::PlanSecretRotation {
            secret: SecretString::from(typed),
        })]
    }

    /// The rotation's plan: show the change and ask for the word.
    pub fn on_update_planned(
        &mut self,
        r: UiResult<crate::setup::lifecycle::UpdatePlan>,
        secret: SecretString,
        cx: &mut Shared,
    ) -> Vec<Out> {
        let plan = match r {
            Ok(p) => p,
            Err(e) => {
                self.form.errors = vec![e.message];
                return vec![];
            }
        };
        let mut lines: Vec<String> = vec![format!("{} changes in place:", plan.pid)];
        for c in &plan.changes {
            lines.push(format!("  {} {}", c.on, c.name));
        }
        lines.push(plan.preflight.message.clone());
        lines.push("The provider and its customizer are backed up first (without secrets); Test Connection runs afterwards.".into());
        let _ = cx;
        vec![Out::Open(Modal::Confirm(Box::new(ConfirmDialog::new(
            "Store the new client secret",
            lines,
            "rotate",
            "storing the new client secret",
            Effect::RunUpdate {
                plan: Box::new(plan),
                secret,
            },
        ))))]
    }

    pub(super) fn delete(&mut self, cx: &mut Shared) -> Vec<Out> {
        if cx.refuse_read_only("nothing can be deleted") {
            return vec![];
        }
        let Some(s) = cx.snapshot.as_ref() else {
            return vec![];
        };
        let Some(c) = s.bp_ims_config().cloned() else {
            cx.error("there is no Brand Portal IMS configuration to delete");
            return vec![];
        };
        let named: Vec<String> = s
            .cloud_configs
            .iter()
            .filter(|cc| cc.ims_config.as_deref().is_some_and(|id| c.is(id)))
            .map(|cc| cc.path.clone())
            .collect();
        if !named.is_empty() {
            cx.error(format!(
                "{} names it: remove the integration with u on the Cloud Service tab (or `brandlink upgrade --include-ims`) first",
                named.join(", ")
            ));
            return vec![];
        }
        let lines = vec![
            format!("Deletes {} ({}) and its customizer.", c.title, c.pid),
            "Both are backed up first (without the secret); `brandlink restore --from <backup>` re-creates them.".into(),
            "Other integrations' configurations are not touched.".into(),
        ];
        vec![Out::Open(Modal::Confirm(Box::new(ConfirmDialog::new(
            "Delete the Brand Portal IMS configuration",
            lines,
            "delete",
            "backing up and deleting the IMS configuration",
            Effect::DeleteAccount,
        ))))]
    }

    pub fn on_changed(
        &mut self,
        r: UiResult<crate::setup::lifecycle::ChangeDone>,
        what: &str,
        cx: &mut Shared,
    ) {
        match r {
            Ok(d) => {
                self.form.set(AccountField::Secret, "");
                self.form.mark_clean();
                let passed = d.tests.iter().filter(|t| t.success).count();
                let tests = if d.tests.is_empty() {
                    String::new()
                } else {
                    format!("; Test Connection {passed}/{} ok", d.tests.len())
                };
                let text = format!(
                    "{} {what}{tests}; backup at {}",
                    d.pid,
                    d.backup_dir.display()
                );
                if d.ok {
                    cx.success(text);
                } else {
                    cx.error(text);
                }
            }
            Err(e) => cx.error(e.message),
        }
    }

    pub(super) fn migrate(&mut self, cx: &mut Shared) -> Vec<Out> {
        if cx.refuse_read_only("the migration is off") {
            return vec![];
        }
        let Some(c) = cx
            .snapshot
            .as_ref()
            .and_then(|s| s.bp_ims_config())
            .cloned()
        else {
            cx.error("there is no Brand Portal IMS configuration to migrate");
            return vec![];
        };
        if c.auth_type != AuthType::Jwt {
            cx.info("the Brand Portal IMS configuration already uses OAuth Server-to-Server");
            return vec![];
        }
        let mut out = vec![Out::Open(Modal::Migrate(Box::new(MigrateDialog::new(
            &c.pid,
            &c.client_id,
        ))))];
        if cx.header.sandbox {
            out.push(Out::Effect(Effect::FetchCredential {
                client_id: c.client_id.clone(),
            }));
        }
        out
    }
}
