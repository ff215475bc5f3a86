//! The procedure as ordered steps, each judged from an [`Integration`] (the view of one read),
//! so a re-run continues where it stopped. Causes come from the same precedence as the
//! doctor's (`diagnosis`), so a step never contradicts a finding.

use super::diagnosis::TokenState;
use super::thresholds::{CERT_WARN_DAYS, EXPECTED_AGENTS};
use crate::evidence::{AuthType, ImsConfig, Integration};
use serde::Serialize;

/// The IMS configurations (of any integration) that sign with the key pair `alias`: JWT
/// configurations that name it. A key pair none of them names is unused.
pub fn key_users(ims: &[ImsConfig], alias: &str) -> Vec<String> {
    ims.iter()
        .filter(|c| c.auth_type == AuthType::Jwt && c.keypair_alias.as_deref() == Some(alias))
        .map(|c| c.pid.clone())
        .collect()
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum StepId {
    Certificate,
    Account,
    CloudService,
    Replication,
}

impl StepId {
    pub const ALL: [StepId; 4] = [
        StepId::Certificate,
        StepId::Account,
        StepId::CloudService,
        StepId::Replication,
    ];
    pub fn title(self) -> &'static str {
        match self {
            StepId::Certificate => "Certificate",
            StepId::Account => "Account",
            StepId::CloudService => "Cloud Service",
            StepId::Replication => "Replication",
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "state", content = "reason", rename_all = "kebab-case")]
pub enum StepStatus {
    Done,
    Pending(String),
    Failing(String),
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StepReport {
    pub id: StepId,
    pub title: &'static str,
    pub status: StepStatus,
    /// What exists, in a line.
    pub detail: String,
    /// Warnings that do not fail the step.
    pub warnings: Vec<String>,
}

impl Integration {
    pub fn steps(&self) -> Vec<StepReport> {
        StepId::ALL.iter().map(|id| self.step(*id)).collect()
    }

    pub fn first_incomplete(&self) -> Option<StepId> {
        self.steps()
            .into_iter()
            .find(|s| s.status != StepStatus::Done)
            .map(|s| s.id)
    }

    /// Only a legacy (`/etc/cloudservices`) Brand Portal configuration: Adobe's procedure
    /// starts with the upgrade, before any other step.
    pub fn legacy_only(&self) -> bool {
        !self.cloud_configs.is_empty() && self.cloud_configs.iter().all(|c| c.legacy)
    }

    pub fn healthy(&self) -> bool {
        self.steps().iter().all(|s| s.status == StepStatus::Done)
    }

    pub fn step(&self, id: StepId) -> StepReport {
        let mut warnings = Vec::new();
        let (status, detail) = match id {
            StepId::Certificate => self.certificate_step(&mut warnings),
            StepId::Account => self.account_step(&mut warnings),
            StepId::CloudService => self.cloud_step(&mut warnings),
            StepId::Replication => self.replication_step(&mut warnings),
        };
        StepReport {
            id,
            title: id.title(),
            status,
            detail,
            warnings,
        }
    }

    /// Step 1: the key pair (not needed with OAuth).
    fn certificate_step(&self, warnings: &mut Vec<String>) -> (StepStatus, String) {
        let oauth = self
            .bp_ims_config()
            .is_some_and(|c| c.auth_type == AuthType::OauthServerToServer);
        match (&self.service_user, &self.certificate) {
            (_, Some(c)) if oauth => (
                StepStatus::Done,
                if key_users(&self.ims_configs, &c.alias).is_empty() {
                    format!(
                        "not needed with OAuth Server-to-Server; the old key pair (alias {}) is unused: `brandlink cert delete --alias {}` removes it",
                        c.alias, c.alias
                    )
                } else {
                    "not needed with OAuth Server-to-Server".to_string()
                },
            ),
            (_, None) if oauth => (StepStatus::Done, "not needed: the IMS configuration uses OAuth Server-to-Server".into()),
            (None, _) => (
                StepStatus::Failing("the service user brandportal-imsconfig-service does not exist on this author".into()),
                String::new(),
            ),
            (Some(_), None) if self.bp_ims_config().is_none() && self.oauth_support.oauth_first() => (
                StepStatus::Done,
                "not needed with OAuth Server-to-Server (AEM 6.5.21+): JWT and its certificate are retired at Adobe".into(),
            ),
            (Some(_), None) => (StepStatus::Pending("no key pair in the keystore of brandportal-imsconfig-service".into()), String::new()),
            (Some(_), Some(c)) => {
                let detail = format!("alias {} ({}), expires {}", c.alias, c.subject, crate::when::day_of(&c.not_after));
                match c.days_left {
                    Some(d) if d < 0 => (StepStatus::Failing(format!("the certificate of alias {} has expired", c.alias)), detail),
                    Some(d) => {
                        if d < CERT_WARN_DAYS {
                            warnings.push(format!("the certificate expires in {d} days: create a new one and upload it to the Console"));
                        }
                        (StepStatus::Done, detail)
                    }
                    None => (StepStatus::Done, detail),
                }
            }
        }
    }

    /// Step 2: the one Brand Portal IMS configuration, and whether IMS accepts its credential.
    fn account_step(&self, warnings: &mut Vec<String>) -> (StepStatus, String) {
        {
            let others = self.other_ims();
            let mut detail_others = String::new();
            if !others.is_empty() {
                detail_others = format!(
                    "; other integrations, left alone: {}",
                    others
                        .iter()
                        .map(|c| c.label())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            match self.bp_ims().as_slice() {
                [] => {
                    if let Some(a) = self.oauth_support.advice() {
                        warnings.push(a.to_string());
                    }
                    // Said before the operator tries: the save itself would fail.
                    if self.oauth_support == crate::evidence::OauthSupport::Yes
                        && let Some(old) = super::bundles::old_ims_bundle(&self.readiness)
                    {
                        warnings.push(format!("{}: {}", old.warning(), old.fix()));
                    }
                    (
                        StepStatus::Pending(if self.oauth_support.oauth_first() {
                            "no Brand Portal IMS configuration: create one with OAuth Server-to-Server".into()
                        } else {
                            "no Brand Portal IMS configuration".into()
                        }),
                        detail_others.trim_start_matches("; ").to_string(),
                    )
                }
                [c] => {
                    let detail = format!(
                        "{} ({}, client {}){detail_others}",
                        c.title, c.auth_type, c.client_id
                    );
                    if c.auth_type == AuthType::Jwt {
                        warnings.push("JWT credentials reached end of life in 2025–2026: migrate to OAuth Server-to-Server".into());
                    }
                    if self.oauth_support == crate::evidence::OauthSupport::Yes
                        && let Some(old) = super::bundles::old_ims_bundle(&self.readiness)
                    {
                        warnings.push(format!("{}: {}", old.warning(), old.fix()));
                    }
                    let token = self.facts().token();
                    if !c.has_secret {
                        (
                            StepStatus::Failing(
                                "the IMS configuration has no client secret".into(),
                            ),
                            detail,
                        )
                    } else if c.auth_type == AuthType::Jwt
                        && c.keypair_alias
                            .as_deref()
                            .is_some_and(|a| self.keystore.alias(a).is_none())
                    {
                        (
                            StepStatus::Failing(format!(
                                "it uses key alias '{}', which is not in the keystore",
                                c.keypair_alias.clone().unwrap_or_default()
                            )),
                            detail,
                        )
                    } else if let TokenState::Refused(cause) = token.clone()
                        && cause.kind.credential_refused()
                    {
                        let run = cause
                            .command
                            .as_deref()
                            .map(|c| format!(" (run: {c})"))
                            .unwrap_or_default();
                        (
                            StepStatus::Failing(format!("{}: {}{run}", cause.cause, cause.fix)),
                            detail,
                        )
                    } else {
                        (StepStatus::Done, detail)
                    }
                }
                many => (
                    StepStatus::Failing(format!(
                        "{} Brand Portal IMS configurations exist; Adobe allows exactly one for Brand Portal",
                        many.len()
                    )),
                    many.iter()
                        .map(|c| c.pid.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            }
        }
    }

    /// Step 3: the Brand Portal cloud configuration and the IMS configuration it names.
    fn cloud_step(&self, warnings: &mut Vec<String>) -> (StepStatus, String) {
        {
            let modern: Vec<_> = self.cloud_configs.iter().filter(|c| !c.legacy).collect();
            let legacy = self.cloud_configs.iter().any(|c| c.legacy);
            match modern.as_slice() {
                [] if legacy => (
                    StepStatus::Failing(
                        "only a legacy (/etc/cloudservices) configuration exists: run the upgrade"
                            .into(),
                    ),
                    String::new(),
                ),
                [] => (
                    StepStatus::Pending("no Brand Portal cloud configuration".into()),
                    String::new(),
                ),
                [c, ..] => {
                    let detail = format!("{} → {}", c.title, c.tenant_url);
                    if modern.len() > 1 {
                        warnings.push(format!(
                            "{} Brand Portal configurations exist",
                            modern.len()
                        ));
                    }
                    match &c.ims_config {
                        Some(id) if self.ims_configs.iter().any(|i| i.is(id)) => {
                            (StepStatus::Done, detail)
                        }
                        Some(id) => (
                            StepStatus::Failing(format!(
                                "it names IMS configuration '{id}', which does not exist"
                            )),
                            detail,
                        ),
                        None => (
                            StepStatus::Failing("it names no IMS configuration".into()),
                            detail,
                        ),
                    }
                }
            }
        }
    }

    /// Step 4: the four agents, their queues and their last Test Connection or delivery.
    fn replication_step(&self, warnings: &mut Vec<String>) -> (StepStatus, String) {
        {
            let n = self.agents.len();
            let enabled = self.enabled_agents();
            let blocked: Vec<&str> = self
                .agents
                .iter()
                .filter(|a| a.queue.as_ref().is_some_and(|q| q.blocked))
                .map(|a| a.info.id.as_str())
                .collect();
            let detail = format!("{n} agents, {enabled} enabled");
            let saved = self.cloud_configs.iter().any(|c| {
                !c.legacy
                    && self
                        .tenant_url
                        .as_deref()
                        .is_some_and(|t| c.tenant_url.trim_end_matches('/').eq_ignore_ascii_case(t))
            });
            if n == 0 {
                (
                    StepStatus::Pending(if saved {
                        "no Brand Portal replication agents for the tenant, though its cloud configuration is saved: save it again (run: brandlink cloud resave)".into()
                    } else {
                        "no Brand Portal replication agents for the tenant".into()
                    }),
                    detail,
                )
            } else if !blocked.is_empty() {
                // The doctor's queues.blocked line and the queue alerts name the same
                // cause and command.
                let c = blocked
                    .iter()
                    .find_map(|a| self.facts().agent_cause(a))
                    .unwrap_or_else(super::causes::unexplained_block);
                let run = c
                    .command
                    .as_ref()
                    .map(|c| format!(" (run: {c})"))
                    .unwrap_or_default();
                let why = format!(": {}{run}", c.label());
                (
                    StepStatus::Failing(format!("blocked queue: {}{why}", blocked.join(", "))),
                    detail,
                )
            } else if enabled < n {
                (
                    StepStatus::Failing(format!(
                        "{} of {n} agents are disabled; all must stay enabled or some assets fail",
                        n - enabled
                    )),
                    detail,
                )
            } else if let Some(a) = self
                .agents
                .iter()
                .find(|a| a.last_outcome.as_ref().is_some_and(|o| !o.ok))
            {
                let o = a.last_outcome.as_ref();
                let why = match self.facts().agent_cause(&a.info.id) {
                    Some(c) => format!(
                        "{}; {}{}",
                        c.label(),
                        c.fix,
                        c.command
                            .map(|c| format!(" (run: {c})"))
                            .unwrap_or_default()
                    ),
                    None => "run Test Connection (`brandlink agents --test`) and read what it says"
                        .into(),
                };
                (
                    StepStatus::Failing(format!(
                        "the last {} of {} failed ({}): {why}",
                        if o.is_some_and(|o| o.test) {
                            "Test Connection"
                        } else {
                            "delivery"
                        },
                        a.info.id,
                        o.and_then(|o| o.time.clone())
                            .unwrap_or_else(|| "time not in the log".into())
                    )),
                    detail,
                )
            } else if self.agents.iter().any(|a| a.last_outcome.is_none()) {
                let untested: Vec<&str> = self
                    .agents
                    .iter()
                    .filter(|a| a.last_outcome.is_none())
                    .map(|a| a.info.id.as_str())
                    .collect();
                (
                    StepStatus::Pending(format!(
                        "no Test Connection or delivery in the log of {}: run Test Connection (`brandlink agents --test`)",
                        if untested.len() == n {
                            format!("the {n} agents")
                        } else {
                            untested.join(", ")
                        }
                    )),
                    detail,
                )
            } else {
                if n != EXPECTED_AGENTS {
                    warnings.push(format!(
                        "{n} Brand Portal agents found; AEM normally creates {EXPECTED_AGENTS}"
                    ));
                }
                (StepStatus::Done, detail)
            }
        }
    }
}
