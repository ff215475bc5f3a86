//! `brandlink account create|check`: step 2, the IMS technical account configuration.

use crate::cli::args::{AccountCheck, AccountCreate, AccountDelete, AccountMigrate, AccountUpdate};
use crate::cli::context::{Context, secret_from_env_or_prompt};
use crate::cli::output::{
    CliError, Report, confirm, refuse_change_if_read_only, refuse_if_read_only,
};
use crate::ims::payload::PROD_IMS;
use crate::setup::SetupError;
use crate::setup::account::VerdictState;
use crate::setup::actions::{AccountKind, AccountOutcome, AccountSpec, HealthReport, KeySource};
use crate::setup::lifecycle::UpdateRequest;
use crate::setup::migrate::{MigrateRequest, MigrationPlan};
use secrecy::SecretString;
use serde::Serialize;

/// `account create --json`: `changed`, `pid`, `authType`.
#[derive(Serialize)]
pub struct AccountReport {
    pub ok: bool,
    #[serde(flatten)]
    pub outcome: AccountOutcome,
}

/// `account check --json`: `health{pid,authType,healthy,message,expiresInSecs,method,agentTests[]}`.
#[derive(Serialize)]
pub struct HealthCheckReport {
    pub ok: bool,
    pub health: HealthReport,
}

fn read_payload(arg: &str) -> Result<String, CliError> {
    let path = arg.strip_prefix('@').unwrap_or(arg);
    if path == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| CliError::Usage(format!("cannot read the payload from stdin: {e}")))?;
        return Ok(s);
    }
    std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("cannot read the payload file {path}: {e}")))
}

/// The client secret for a check: from the environment or a prompt, or none (then IMS is not
/// asked directly and AEM's verdict decides).
fn optional_client_secret() -> Option<SecretString> {
    secret_from_env_or_prompt(
        "BRANDLINK_CLIENT_SECRET",
        "Client secret (from the Developer Console; empty to let AEM's check decide): ",
        "set BRANDLINK_CLIENT_SECRET",
    )
    .ok()
}

fn client_secret() -> Result<SecretString, SetupError> {
    secret_from_env_or_prompt(
        "BRANDLINK_CLIENT_SECRET",
        "Client secret (from the Developer Console): ",
        "set BRANDLINK_CLIENT_SECRET",
    )
    .map_err(|e| SetupError::Invalid(vec![e.to_string()]))
}

pub async fn create(ctx: &Context, a: &AccountCreate) -> Result<Report, CliError> {
    refuse_if_read_only(ctx.read_only, "this command changes AEM")?;
    let kind = if a.oauth {
        AccountKind::Oauth {
            scopes: crate::ims::token::split_scopes(a.scopes.as_deref().unwrap_or("")),
            org_id: a.org_id.clone().unwrap_or_default(),
        }
    } else {
        AccountKind::Jwt {
            auth_server: a.auth_server.clone(),
            payload: read_payload(a.payload.as_deref().unwrap_or(""))?,
            alias: a.alias.clone(),
        }
    };
    let setup = ctx.setup()?;
    let spec = AccountSpec {
        title: a.title.clone(),
        api_key: a.api_key.clone(),
        client_secret: client_secret()?,
        kind,
    };
    let key = match &a.key_file {
        Some(p) => Some(
            crate::ims::keyfile::load_private_key(p).map_err(|e| CliError::Usage(e.to_string()))?,
        ),
        None => None,
    };
    // From here Ctrl-C and SIGTERM stop before the write, or once the provider and its secret
    // are both written (after the secret's prompt, which they end).
    let signals = crate::cli::signals::guard();
    let setup = setup.with_stop(signals.stop());
    let out = setup.create_account(&spec, !a.no_verify, key).await?;
    let text = if out.changed {
        let mut t = format!(
            "Created the Brand Portal IMS configuration {} ({}).\n",
            out.pid, out.auth_type
        );
        t.push_str(&match out.preflight.state {
            VerdictState::Ok => {
                "  IMS gave a token for these values before they were stored.\n".to_string()
            }
            _ => format!("  ! {}\n", out.preflight.message),
        });
        if !out.other_integrations.is_empty() {
            t.push_str(&format!(
                "  Other integrations' IMS configurations were left alone: {}\n",
                out.other_integrations.join(", ")
            ));
        }
        if out.auth_type == crate::setup::snapshot::AuthType::Jwt {
            t.push_str("  ! JWT credentials are retired at Adobe: on AEM 6.5.21+ (or SP11–SP20 with the hotfix) move to OAuth with `brandlink account migrate`.\n");
        }
        t.push_str("Next: `brandlink cloud create`, then `brandlink account check`.\n");
        t
    } else {
        format!(
            "IMS configuration {} already exists with this API key; nothing changed.\n",
            out.pid
        )
    };
    Ok(Report::new(
        true,
        text,
        &AccountReport {
            ok: true,
            outcome: out,
        },
    ))
}

pub async fn check(ctx: &Context, a: &AccountCheck) -> Result<Report, CliError> {
    let setup = ctx.setup()?.with_ims_choice(a.ims.clone());
    let key = if let Some(p) = &a.key_file {
        KeySource::File(p.clone())
    } else if a.keystore {
        KeySource::Keystore(secret_from_env_or_prompt(
            "BRANDLINK_KEYSTORE_PASSWORD",
            "Keystore password of brandportal-imsconfig-service: ",
            "set BRANDLINK_KEYSTORE_PASSWORD",
        )?)
    } else {
        KeySource::AemSide
    };
    let tenant = ctx.tenant_or(&a.tenant);
    let r = setup
        .check_account(key, || Ok(optional_client_secret()), tenant.as_deref())
        .await?;
    let mut text = format!("{} {}\n", if r.healthy { "✓" } else { "✗" }, r.message);
    for (what, v) in [
        ("IMS accepts the credentials given here", &r.ims),
        ("AEM obtains a token with what it stores", &r.aem),
    ] {
        let mark = match v.state {
            VerdictState::Ok => "✓",
            VerdictState::Failed => "✗",
            VerdictState::Skipped => "–",
        };
        text.push_str(&format!("  {mark} {what}: {}\n", v.message));
    }
    if let Some(s) = r.expires_in_secs {
        text.push_str(&format!(
            "    token valid for {} h {} min\n",
            s / 3600,
            (s % 3600) / 60
        ));
    }
    for t in r.agent_tests.iter().filter(|t| !t.success) {
        for l in &t.explanation {
            text.push_str(&format!("    {l}\n"));
        }
    }
    if ctx.ims_url != PROD_IMS {
        text.push_str(&format!("  (IMS at {})\n", ctx.ims_url));
    }
    let ok = r.healthy;
    Ok(Report::new(ok, text, &HealthCheckReport { ok, health: r }))
}

/// `account migrate --json`: `ok`, `dryRun`, `plan{pid,title,customizerPid,clientId,changes[],
/// preflight,tenantUrl}`, `backupDir`, `tests[]`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MigrateReport {
    pub ok: bool,
    pub dry_run: bool,
    /// Something on the author was written (false: a dry run, or nothing needed changing).
    pub changed: bool,
    pub plan: MigrationPlan,
    pub backup_dir: Option<std::path::PathBuf>,
    pub tests: Vec<crate::setup::TestResult>,
    /// Blocked queues told to retry now.
    pub retried: Vec<String>,
}

/// A re-run that finds the author already as asked: ok, `"changed": false`, exit 0.
fn unneeded(why: String, dry_run: bool) -> Report {
    let body = serde_json::json!({"ok": true, "dryRun": dry_run, "changed": false, "reason": why});
    Report::new(true, format!("{why}.\n"), &body)
}

fn show_values(v: &Option<Vec<String>>) -> String {
    match v {
        None => "(none)".into(),
        Some(v) => v.join(" | "),
    }
}

pub async fn migrate(ctx: &Context, a: &AccountMigrate) -> Result<Report, CliError> {
    refuse_change_if_read_only(ctx.read_only, a.change.dry_run, "the migration changes AEM")?;
    let setup = ctx.setup()?.with_ims_choice(a.ims.clone());
    let secret = client_secret()?;
    let req = MigrateRequest {
        api_key: a.api_key.clone(),
        scopes: crate::ims::token::split_scopes(&a.scopes),
        org_id: a.org_id.as_deref().unwrap_or("").trim().to_string(),
        verify: !a.no_verify,
    };
    let plan = match setup.migration_plan(&req, &secret).await {
        Err(SetupError::Unneeded(why)) => return Ok(unneeded(why, a.change.dry_run)),
        other => other?,
    };
    let mut text = format!(
        "Migrate {} ({}) from JWT to OAuth Server-to-Server, in place (same PID):\n{}{}",
        plan.title,
        plan.pid,
        changes_text(&plan.changes),
        preflight_text(&plan.preflight)
    );
    if a.change.dry_run {
        text.push_str("Dry run: nothing was backed up or changed.\n");
        let body = MigrateReport {
            ok: true,
            dry_run: true,
            changed: false,
            plan,
            backup_dir: None,
            tests: vec![],
            retried: vec![],
        };
        return Ok(Report::new(true, text, &body));
    }
    if !ctx.json {
        eprint!("{text}");
    }
    confirm(
        a.change.yes,
        "migrate",
        "This changes the IMS configuration and its customizer after backing them up",
    )?;
    let root = a.change.backup_root();
    let signals = crate::cli::signals::guard();
    let setup = setup.with_stop(signals.stop());
    let done = crate::cli::progress::while_waiting(
        "migrating: backup, update, Test Connection on the agents",
        setup.migrate(plan, &secret, &root),
    )
    .await?;
    let mut text = format!(
        "Migrated {} to OAuth Server-to-Server (backup: {}).\n{}",
        done.plan.pid,
        done.backup_dir.display(),
        tests_text(&done.tests)
    );
    if !done.retried.is_empty() {
        text.push_str(&format!(
            "  Blocked queues told to retry now: {}\n",
            done.retried.join(", ")
        ));
    }
    if done.tests.is_empty() {
        text.push_str("  No Brand Portal agents to test yet.\n");
    } else if !done.ok {
        text.push_str("Test Connection failed: `brandlink restore --from <backup>` puts the JWT configuration back.\n");
    }
    let ok = done.ok || done.tests.is_empty();
    let body = MigrateReport {
        ok,
        dry_run: false,
        changed: true,
        backup_dir: Some(done.backup_dir),
        tests: done.tests,
        retried: done.retried,
        plan: done.plan,
    };
    Ok(Report::new(ok, text, &body))
}

/// `account update --json` / `account delete --json`: `ok`, `dryRun`, `plan`, `backupDir`,
/// `tests[]`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeReport<P: Serialize> {
    pub ok: bool,
    pub dry_run: bool,
    /// Something on the author was written (false: a dry run, or nothing needed changing).
    pub changed: bool,
    pub plan: P,
    pub backup_dir: Option<std::path::PathBuf>,
    pub tests: Vec<crate::setup::TestResult>,
}

pub(super) fn changes_text(changes: &[crate::setup::migrate::PropertyChange]) -> String {
    changes
        .iter()
        .map(|c| {
            format!(
                "  {:<10} {:<42} {} → {}\n",
                c.on,
                c.name,
                show_values(&c.before),
                show_values(&c.after)
            )
        })
        .collect()
}

fn preflight_text(v: &crate::setup::account::Verdict) -> String {
    match v.state {
        VerdictState::Ok => "  IMS gives a token for the new values.\n".to_string(),
        _ => format!("  ! {}\n", v.message),
    }
}

pub(super) fn tests_text(tests: &[crate::setup::TestResult]) -> String {
    tests
        .iter()
        .map(|t| {
            format!(
                "  {} {:<24} {}\n",
                if t.success { "✓" } else { "✗" },
                t.agent,
                t.summary
            )
        })
        .collect()
}

pub async fn update(ctx: &Context, a: &AccountUpdate) -> Result<Report, CliError> {
    refuse_change_if_read_only(ctx.read_only, a.change.dry_run, "the update changes AEM")?;
    let setup = ctx.setup()?.with_ims_choice(a.ims.clone());
    // A new secret is required with --secret; otherwise the current one, if given, lets IMS
    // check the other new values.
    let secret = if a.secret {
        Some(client_secret()?)
    } else {
        std::env::var("BRANDLINK_CLIENT_SECRET")
            .ok()
            .filter(|s| !s.is_empty())
            .map(SecretString::from)
    };
    let req = UpdateRequest {
        title: a.title.clone(),
        api_key: a.api_key.as_ref().map(|k| k.trim().to_string()),
        scopes: a.scopes.as_deref().map(crate::ims::token::split_scopes),
        org_id: a.org_id.as_ref().map(|o| o.trim().to_string()),
        key_alias: a.key_alias.clone(),
        verify: !a.no_verify,
        new_secret: a.secret,
    };
    let plan = match setup.update_plan(&req, secret.as_ref()).await {
        Err(SetupError::Unneeded(why)) => return Ok(unneeded(why, a.change.dry_run)),
        other => other?,
    };
    let mut text = format!(
        "Update {} in place:\n{}{}",
        plan.pid,
        changes_text(&plan.changes),
        preflight_text(&plan.preflight)
    );
    if a.change.dry_run {
        text.push_str("Dry run: nothing was backed up or changed.\n");
        let body = ChangeReport {
            ok: true,
            dry_run: true,
            changed: false,
            plan,
            backup_dir: None,
            tests: vec![],
        };
        return Ok(Report::new(true, text, &body));
    }
    if !ctx.json {
        eprint!("{text}");
    }
    confirm(
        a.change.yes,
        "update",
        "This changes the IMS configuration after backing it up",
    )?;
    let root = a.change.backup_root();
    let secret_to_store = if a.secret { secret.as_ref() } else { None };
    let signals = crate::cli::signals::guard();
    let setup = setup.with_stop(signals.stop());
    let done = setup.update_account(&plan, secret_to_store, &root).await?;
    let mut text = format!(
        "Updated {} (backup: {}).\n{}",
        done.pid,
        done.backup_dir.display(),
        tests_text(&done.tests)
    );
    if !done.ok {
        text.push_str(&format!(
            "Test Connection failed: `brandlink restore --from {}` puts the previous values back.\n",
            done.backup_dir.display()
        ));
    }
    let body = ChangeReport {
        ok: done.ok,
        dry_run: false,
        changed: true,
        plan,
        backup_dir: Some(done.backup_dir),
        tests: done.tests,
    };
    Ok(Report::new(body.ok, text, &body))
}

pub async fn delete(ctx: &Context, a: &AccountDelete) -> Result<Report, CliError> {
    refuse_change_if_read_only(ctx.read_only, a.change.dry_run, "the delete changes AEM")?;
    let setup = ctx.setup()?.with_ims_choice(a.ims.clone());
    let plan = setup.delete_plan().await?;
    let mut text = format!(
        "Delete the Brand Portal IMS configuration {} ({}){}.\n",
        plan.title,
        plan.pid,
        plan.customizer_pid
            .as_ref()
            .map(|c| format!(" and its customizer {c}"))
            .unwrap_or_default()
    );
    if !plan.named_by.is_empty() {
        text.push_str(&format!(
            "  ! named by {}: Brand Portal publishing stops without it{}\n",
            plan.named_by.join(", "),
            if a.force {
                ""
            } else {
                " (refused without --force)"
            }
        ));
    }
    if a.change.dry_run {
        text.push_str("Dry run: nothing was backed up or deleted.\n");
        let body = ChangeReport {
            ok: true,
            dry_run: true,
            changed: false,
            plan,
            backup_dir: None,
            tests: vec![],
        };
        return Ok(Report::new(true, text, &body));
    }
    if !plan.named_by.is_empty() && !a.force {
        // The service refuses too; say it before asking anything.
        setup
            .delete_account(&plan, false, std::path::Path::new(""))
            .await?;
    }
    if !ctx.json {
        eprint!("{text}");
    }
    confirm(
        a.change.yes,
        "delete",
        "This deletes the IMS configuration after backing it up",
    )?;
    let root = a.change.backup_root();
    let signals = crate::cli::signals::guard();
    let setup = setup.with_stop(signals.stop());
    let done = setup.delete_account(&plan, a.force, &root).await?;
    let text = format!(
        "Deleted {} (backup: {}); `brandlink restore --from {}` re-creates it.\n",
        done.pid,
        done.backup_dir.display(),
        done.backup_dir.display()
    );
    let body = ChangeReport {
        ok: true,
        dry_run: false,
        changed: true,
        plan,
        backup_dir: Some(done.backup_dir),
        tests: vec![],
    };
    Ok(Report::new(true, text, &body))
}
