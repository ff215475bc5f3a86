//! The Account tab's changes to an existing Brand Portal IMS configuration: rotating the client
//! secret, deleting it, and migrating JWT to OAuth Server-to-Server. Each goes through a dialog
//! that shows what happens and asks for a typed word.

use super::Out;
use super::account::{AccountField, AccountTab};
use crate::setup::TestResult;
use crate::setup::lifecycle::{UpdatePlan, UpdateRequest};
use crate::setup::migrate::MigrationDone;
use crate::setup::snapshot::AuthType;
use crate::tui::effect::{Effect, UiResult};
use crate::tui::migrate::MigrateDialog;
use crate::tui::modal::{ConfirmDialog, Modal};
use crate::tui::state::Shared;
use secrecy::SecretString;

impl AccountTab {
    /// "Save changes": what differs from the configuration (and a typed secret) becomes an
    /// update; IMS is asked first when a secret was typed.
    pub(super) fn save_changes(&mut self, cx: &mut Shared) -> Vec<Out> {
        if cx.refuse_read_only("nothing can be changed") {
            return vec![];
        }
        let Some(c) = cx
            .snapshot
            .as_ref()
            .and_then(|s| s.bp_ims_config())
            .cloned()
        else {
            return vec![];
        };
        let v = |f| self.form.value(f).trim().to_string();
        let differs = |new: String, old: &str| (new != old && !new.is_empty()).then_some(new);
        let oauth = c.auth_type == AuthType::OauthServerToServer;
        let req = UpdateRequest {
            title: differs(v(AccountField::Title), &c.title),
            api_key: differs(v(AccountField::ApiKey), &c.client_id),
            scopes: oauth
                .then(|| differs(v(AccountField::Scopes), &c.scopes.join(",")))
                .flatten()
                .map(|s| crate::ims::token::split_scopes(&s)),
            org_id: oauth
                .then(|| differs(v(AccountField::OrgId), c.org_id.as_deref().unwrap_or("")))
                .flatten(),
            key_alias: None,
            verify: true,
            new_secret: false,
        };
        let typed = self.form.value(AccountField::Secret).to_string();
        let secret = (!typed.trim().is_empty()).then(|| SecretString::from(typed));
        let req = UpdateRequest {
            new_secret: secret.is_some(),
            ..req
        };
        let nothing = req.title.is_none()
            && req.api_key.is_none()
            && req.scopes.is_none()
            && req.org_id.is_none()
            && secret.is_none();
        if nothing {
            self.form.errors = vec!["nothing to save: change a value, or type the new client secret (Console → Retrieve client secret)".into()];
            return vec![];
        }
        if !cx.begin("asking IMS and working out the change") {
            return vec![];
        }
        self.form.errors.clear();
        vec![Out::Effect(Effect::PlanUpdate {
            req: Box::new(req),
            secret,
        })]
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
            Ok(d) => self.done(
                format!("{} {what}", d.pid),
                &d.tests,
                &d.backup_dir,
                d.ok,
                cx,
            ),
            Err(e) => cx.error(e.message),
        }
    }

    pub fn on_migrated(&mut self, r: UiResult<Box<MigrationDone>>, cx: &mut Shared) {
        match r {
            Ok(d) => self.done(
                "migrated to OAuth Server-to-Server (same PID)".into(),
                &d.tests,
                &d.backup_dir,
                d.ok,
                cx,
            ),
            Err(e) => cx.error(e.message),
        }
    }

    /// A change went through: the form starts clean and the notice says what the tests said.
    fn done(
        &mut self,
        what: String,
        tests: &[TestResult],
        backup: &std::path::Path,
        ok: bool,
        cx: &mut Shared,
    ) {
        self.form.set(AccountField::Secret, "");
        self.form.mark_clean();
        self.form.errors.clear();
        let passed = tests.iter().filter(|t| t.success).count();
        let tests = if tests.is_empty() {
            String::new()
        } else {
            format!("; Test Connection {passed}/{} ok", tests.len())
        };
        let text = format!("{what}{tests}; backup at {}", backup.display());
        if ok {
            cx.success(text);
        } else {
            cx.error(text);
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
            &c.organization().unwrap_or_default(),
        ))))];
        if cx.header.sandbox {
            out.push(Out::Effect(Effect::FetchCredential {
                client_id: c.client_id.clone(),
            }));
        }
        out
    }
}

/// The typed-word dialog for an update plan (the Account and Certificate tabs share it).
pub fn update_dialog(plan: UpdatePlan, secret: Option<SecretString>) -> Out {
    let mut lines: Vec<String> = vec![format!("{} changes in place:", plan.pid)];
    for c in &plan.changes {
        let show = |v: &Option<Vec<String>>| match v {
            None => "(none)".to_string(),
            Some(v) => v.join(" | "),
        };
        lines.push(format!(
            "  {} {}: {} → {}",
            c.on,
            c.name,
            show(&c.before),
            show(&c.after)
        ));
    }
    lines.push(plan.preflight.message.clone());
    lines.push("The provider and its customizer are backed up first (without secrets); Test Connection runs afterwards.".into());
    Out::Open(Modal::Confirm(Box::new(ConfirmDialog::new(
        "Change the Brand Portal IMS configuration",
        lines,
        "update",
        "changing the IMS configuration",
        Effect::RunUpdate {
            plan: Box::new(plan),
            secret,
        },
    ))))
}
