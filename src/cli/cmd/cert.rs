//! `brandlink cert create|rotate|delete`: step 1, the key pair and `AEM-Adobe-IMS.crt`, and the
//! removal of a key pair nothing signs with any more.

use super::day;
use crate::cli::args::{CertCreate, CertDelete};
use crate::cli::context::{Context, secret_from_env_or_prompt};
use crate::cli::output::{
    CliError, Report, confirm, refuse_change_if_read_only, refuse_if_read_only,
};
use crate::setup::SetupError;
use crate::setup::service::{CertDone, CertFile, CertRequest, KeyRemovalPlan};
use serde::Serialize;

/// `cert create --json`: `alias`, `changed`, `createdKeystore`, `certificate`,
/// `existingNotAfter`, `certificateFile`, `privateKeyFile`.
#[derive(Serialize)]
pub struct CertReport {
    pub ok: bool,
    #[serde(flatten)]
    pub done: CertDone,
}

pub async fn create(ctx: &Context, a: &CertCreate) -> Result<Report, CliError> {
    refuse_if_read_only(ctx.read_only, "this command changes AEM")?;
    let setup = ctx.setup()?;
    let req = CertRequest {
        alias: a.alias.clone(),
        days: a.days,
        common_name: a.cn.clone(),
        out: CertFile::Exact(a.out.clone()),
        save_key: a.save_key.clone(),
    };
    const WHY: &str = "set BRANDLINK_KEYSTORE_PASSWORD: a new keystore needs one, and a lost certificate file is read back from the keystore with it";
    // Asked before the change begins: from then on Ctrl-C and SIGTERM stop between its steps.
    let password = if setup.keystore_password_needed(&req.alias, &req.out).await? {
        Some(
            secret_from_env_or_prompt(
                "BRANDLINK_KEYSTORE_PASSWORD",
                "Keystore password of brandportal-imsconfig-service (a new keystore gets this one): ",
                WHY,
            )
            .map_err(|e| SetupError::Invalid(vec![e.to_string()]))?,
        )
    } else {
        std::env::var("BRANDLINK_KEYSTORE_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty())
            .map(secrecy::SecretString::from)
    };
    let signals = crate::cli::signals::guard();
    let setup = setup.with_stop(signals.stop());
    let done = setup
        .create_certificate(req, || {
            password
                .clone()
                .ok_or_else(|| SetupError::Invalid(vec![WHY.to_string()]))
        })
        .await?;
    let mut text = String::new();
    match (done.info(), &done.certificate_file) {
        (Some(info), Some(file)) => {
            text.push_str(&format!(
                "Created key pair '{}' in the keystore of brandportal-imsconfig-service{}.\n\
                 Certificate: {} ({}, expires {})\n\
                 SHA-1 fingerprint: {}\n",
                done.outcome.alias,
                if done.outcome.created_keystore {
                    " (keystore created)"
                } else {
                    ""
                },
                file.display(),
                info.subject,
                day(info.not_after),
                info.sha1_fingerprint,
            ));
            if let Some(k) = &done.private_key_file {
                text.push_str(&format!(
                    "Private key saved to {} (mode 0600).\n",
                    k.display()
                ));
            }
            text.push_str(
                "Next, in the Adobe Developer Console (Brand Portal tenant's organization): create a project, add the\n\
                 AEM Brand Portal API, upload this certificate, then copy API key, client secret and JWT payload.\n",
            );
        }
        (_, Some(file)) if done.certificate_rewritten => text.push_str(&format!(
            "Alias '{}' already exists (expires {}); AEM was not changed.\n\
             Its certificate was missing at {}: written again from AEM's keystore{}.\n",
            done.outcome.alias,
            done.outcome
                .existing_not_after
                .as_deref()
                .map(crate::when::day_of)
                .unwrap_or_else(|| "?".into()),
            file.display(),
            done.info()
                .map(|i| format!(" (SHA-1 fingerprint {})", i.sha1_fingerprint))
                .unwrap_or_default(),
        )),
        _ => text.push_str(&format!(
            "Alias '{}' already exists (expires {}); nothing changed.\n",
            done.outcome.alias,
            done.outcome
                .existing_not_after
                .as_deref()
                .map(crate::when::day_of)
                .unwrap_or_else(|| "?".into())
        )),
    }
    Ok(Report::new(true, text, &CertReport { ok: true, done }))
}

/// `cert rotate`: a new key pair beside the current one (the current keeps working until the
/// configuration is repointed).
pub async fn rotate(ctx: &Context, a: &CertCreate) -> Result<Report, CliError> {
    refuse_if_read_only(ctx.read_only, "this command changes AEM")?;
    let setup = ctx.setup()?;
    let current = setup.ims_config().await?;
    if let Some(c) = &current
        && c.auth_type == crate::setup::snapshot::AuthType::OauthServerToServer
    {
        return Err(CliError::Usage(
            "the Brand Portal IMS configuration uses OAuth Server-to-Server, which needs no certificate: nothing to rotate".into(),
        ));
    }
    if let Some(c) = &current
        && c.keypair_alias.as_deref() == Some(a.alias.as_str())
    {
        return Err(CliError::Usage(format!(
            "'{}' is the alias in use; rotate to a new one, e.g. --alias {}-{}",
            a.alias,
            a.alias,
            chrono::Utc::now().format("%Y")
        )));
    }
    let mut report = create(ctx, a).await?;
    if report.ok && report.json["changed"] == true {
        report.text = report.text.replace(
            "Next, in the Adobe Developer Console (Brand Portal tenant's organization): create a project, add the\n\
             AEM Brand Portal API, upload this certificate, then copy API key, client secret and JWT payload.\n",
            "",
        );
        report.text.push_str(&format!(
            "Next: upload {} to the same Console project's credential (it holds both certificates meanwhile),\n\
             then repoint AEM: `brandlink account update --key-alias {}` (backed up and tested).\n",
            a.out.display(),
            a.alias
        ));
    }
    Ok(report)
}

/// `cert delete --json`: `ok`, `dryRun`, `plan` (alias, userPath, subject, serialNumber,
/// notAfter, usedBy), `backupDir`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertDeleteReport {
    pub ok: bool,
    pub dry_run: bool,
    pub plan: KeyRemovalPlan,
    pub backup_dir: Option<std::path::PathBuf>,
}

pub async fn delete(ctx: &Context, a: &CertDelete) -> Result<Report, CliError> {
    refuse_change_if_read_only(ctx.read_only, a.change.dry_run, "the delete changes AEM")?;
    let setup = ctx.setup()?;
    let plan = setup.plan_key_removal(a.alias.as_deref()).await?;
    let mut text = format!(
        "Remove the key pair '{}' ({}, serial {}, expires {}) from the keystore of {}.\n",
        plan.alias,
        plan.subject,
        plan.serial_number,
        plan.not_after.get(..10).unwrap_or("?"),
        plan.user_path,
    );
    if !plan.used_by.is_empty() {
        text.push_str(&format!(
            "  ! in use: {} sign(s) with it (JWT); migrate first with `brandlink account migrate`\n",
            plan.used_by.join(", ")
        ));
    } else {
        text.push_str(
            "  No IMS configuration signs with it. The record keeps the certificate's summary, \
             never the private key: a removed key pair cannot be put back.\n",
        );
    }
    if !plan.used_by.is_empty() {
        return Err(CliError::Failed(text.trim_end().to_string()));
    }
    if a.change.dry_run {
        text.push_str("Dry run: nothing was recorded or removed.\n");
        let body = CertDeleteReport {
            ok: true,
            dry_run: true,
            plan,
            backup_dir: None,
        };
        return Ok(Report::new(true, text, &body));
    }
    if !ctx.json {
        eprint!("{text}");
    }
    confirm(
        a.change.yes,
        "delete",
        "This removes the key pair from AEM's keystore",
    )?;
    let signals = crate::cli::signals::guard();
    let setup = setup.with_stop(signals.stop());
    let done = setup.remove_key(&plan, &a.change.backup_root()).await?;
    let text = format!(
        "Removed the key pair '{}'; its record is in {}.\n",
        done.alias,
        done.backup_dir.display()
    );
    let body = CertDeleteReport {
        ok: true,
        dry_run: false,
        plan,
        backup_dir: Some(done.backup_dir),
    };
    Ok(Report::new(true, text, &body))
}
