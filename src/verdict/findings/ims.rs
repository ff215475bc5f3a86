//! The Brand Portal IMS configuration: one of it, its credential, whether AEM obtains a token
//! with it (Test Connection), and the JWT key pair.

use super::*;

pub(super) fn others_note(list: &[ImsConfig]) -> String {
    let others: Vec<String> = list
        .iter()
        .filter(|c| !c.is_brand_portal())
        .map(|c| c.label())
        .collect();
    if others.is_empty() {
        String::new()
    } else {
        format!(
            "; other integrations' configurations, left alone: {}",
            others.join(", ")
        )
    }
}

pub(super) fn ims_config(ev: &Evidence) -> Finding {
    let id = "ims.config";
    let list = match &ev.ims {
        Ok(l) => l,
        Err(e) => return Finding::fail(id, format!("cannot read the IMS configurations: {e}")),
    };
    let others = others_note(list);
    let bp: Vec<&ImsConfig> = list.iter().filter(|c| c.is_brand_portal()).collect();
    match bp.as_slice() {
        [] => Finding::fail(id, format!("no Brand Portal IMS configuration{others}"))
            .fix("create it with OAuth Server-to-Server (the Developer Console's credential)")
            .command("brandlink account create")
            .source(CONFIGURE),
        [c] => Finding::ok(id, format!("one Brand Portal IMS configuration: {} ({}){others}", c.label(), c.auth_type)),
        many => Finding::fail(
            id,
            format!(
                "{} Brand Portal IMS configurations: {}{others}",
                many.len(),
                many.iter().map(|c| c.label()).collect::<Vec<_>>().join(", ")
            ),
        )
        .cause("Adobe allows one IMS configuration for Brand Portal; with several, which one AEM uses is undefined")
        .fix("keep the one the cloud configuration names and delete the others (backed up first)")
        .command("brandlink account delete --ims PID")
        .source(CONFIGURE),
    }
}

pub(super) fn ims_credential(ev: &Evidence, bp: Option<&ImsConfig>) -> Finding {
    let id = "ims.credential";
    let Some(c) = bp else {
        return Finding::skip(id, "no single Brand Portal IMS configuration to look at");
    };
    match c.auth_type {
        AuthType::Jwt => {
            // Whether IMS still takes it is the token check's to say; retired it is either way.
            let f = Finding::warn(id, format!("{} uses a JWT credential, which Adobe has retired", c.label()))
                .cause("no new JWT credentials since 2024; existing ones were switched off or converted by 2026-03-01, after which IMS refuses them")
                .source(JWT_EOL);
            if ev.oauth_support == OauthSupport::No {
                f.fix("update AEM to 6.5.21 (SP21), then migrate the configuration in place to OAuth Server-to-Server")
            } else {
                f.fix("migrate it in place to OAuth Server-to-Server (same configuration, same client id)")
                    .command("brandlink account migrate")
                    .remedy(Remedy::Migrate)
            }
        }
        AuthType::OauthServerToServer => {
            let mut missing = Vec::new();
            if c.client_id.trim().is_empty() {
                missing.push("the client id");
            }
            if c.org_id.as_deref().is_none_or(|o| o.trim().is_empty()) {
                missing.push("the org id");
            }
            if c.scopes.is_empty() {
                missing.push("the scopes");
            }
            if !c.has_secret {
                missing.push("a paired customizer (customizer.type) holding the client secret");
            }
            if missing.is_empty() {
                Finding::ok(
                    id,
                    format!(
                        "OAuth Server-to-Server: client {}, org {}, {} scopes, client secret stored",
                        c.client_id,
                        c.org_id.as_deref().unwrap_or(""),
                        c.scopes.len()
                    ),
                )
            } else {
                Finding::fail(id, format!("{} lacks {}", c.label(), missing.join(", ")))
                    .cause("AEM cannot request a token without them")
                    .fix("enter the Developer Console's OAuth Server-to-Server values again")
                    .command(update_command(c))
                    .source(IMS_DOC)
            }
        }
    }
}

/// `brandlink account update` with the flags for what an OAuth configuration lacks.
pub(super) fn update_command(c: &ImsConfig) -> String {
    let mut cmd = String::from("brandlink account update");
    if c.client_id.trim().is_empty() {
        cmd.push_str(" --api-key ID");
    }
    if c.org_id.as_deref().is_none_or(|o| o.trim().is_empty()) {
        cmd.push_str(" --org-id ORG");
    }
    if c.scopes.is_empty() {
        cmd.push_str(" --scopes LIST");
    }
    if !c.has_secret {
        cmd.push_str(" --secret");
    }
    cmd
}

pub(super) fn token(ev: &Evidence, test: bool) -> Finding {
    let id = "ims.token";
    let Some(run) = &ev.test else {
        // No Test Connection with this read: AEM's own record (logs, Check Health) decides.
        let _ = test;
        return match ev.facts().token() {
            super::super::TokenState::Refused(c) => {
                let f = Finding::fail(id, format!("AEM cannot obtain a token: {}", c.kind.label()))
                    .explained(&c)
                    .source(TROUBLESHOOTING);
                if c.kind == CauseKind::JwtRetired {
                    f.remedy(Remedy::Migrate)
                } else {
                    f
                }
            }
            super::super::TokenState::Obtained => Finding::ok(
                id,
                "AEM's log shows it obtains a token and Brand Portal accepts it (no Test Connection run)",
            ),
            super::super::TokenState::Unknown => Finding::skip(
                id,
                "no Test Connection run, and AEM's logs do not say whether it obtains a token",
            ),
        };
    };
    let t = match run {
        Ok(t) => t,
        Err(e) => return Finding::fail(id, format!("Test Connection could not run: {e}")),
    };
    if t.success {
        return Finding::ok(
            id,
            format!(
                "AEM obtained a token with what it stores, and Brand Portal accepted it (Test Connection on {})",
                t.agent
            ),
        );
    }
    let f = |what: &str| {
        Finding::fail(id, format!("Test Connection on {} failed: {what}", t.agent))
            .source(TROUBLESHOOTING)
    };
    let facts = ev.facts();
    // A needed bundle down stops every replication: the test says nothing about the token.
    if let Some(c) = &facts.bundle {
        return Finding::warn(
            id,
            format!(
                "Test Connection on {} failed: {}; whether AEM obtains a token is known once it is Active",
                t.agent,
                c.label()
            ),
        )
        .explained(c)
        .source(TROUBLESHOOTING);
    }
    match facts.explain(&ev.test_entries()) {
        Some(c) => {
            // The other side failing (an outage, a timeout) while AEM obtains its token: the
            // token is fine, and the queues' lines say whether anything waits.
            let f = if c.kind.transient() && facts.token() == super::super::TokenState::Obtained
            {
                Finding::warn(
                    id,
                    format!(
                        "AEM obtains its token, but Test Connection on {} failed: {}",
                        t.agent,
                        c.kind.label()
                    ),
                )
                .source(TROUBLESHOOTING)
            } else {
                f(c.kind.label())
            };
            let f = f.explained(&c);
            match c.kind {
                CauseKind::JwtRetired => f.remedy(Remedy::Migrate),
                CauseKind::Timeout => f.remedy(Remedy::CloseConnection(
                    ev.agents.iter().map(|a| a.info.id.clone()).collect(),
                )),
                _ => f,
            }
        }
        None => f(&t.summary).fix(
            "read the agent log (brandlink agents --test shows the transcript) and fix what it reports",
        ),
    }
}

pub(super) fn days_left(c: &CertSummary, now: i64) -> Option<i64> {
    parse_java_date(&c.not_after).map(|t| (t - now).div_euclid(86_400))
}

pub(super) fn keypair(ev: &Evidence, bp: Option<&ImsConfig>) -> Finding {
    let id = "jwt.certificate";
    let Some(c) = bp else {
        return Finding::skip(id, "no single Brand Portal IMS configuration to look at");
    };
    if c.auth_type != AuthType::Jwt {
        return Finding::skip(id, "not needed: OAuth Server-to-Server uses no key pair");
    }
    let Some(alias) = c.keypair_alias.as_deref().filter(|a| !a.is_empty()) else {
        return Finding::fail(id, "the JWT configuration names no key pair alias")
            .fix("migrate to OAuth Server-to-Server, which needs none")
            .command("brandlink account migrate")
            .remedy(Remedy::Migrate);
    };
    let ks = match &ev.keystore {
        Err(e) => {
            return Finding::fail(
                id,
                format!("cannot read the keystore of brandportal-imsconfig-service: {e}"),
            );
        }
        Ok(None) => {
            return Finding::fail(id, "the service user brandportal-imsconfig-service does not exist")
                .fix("it comes with the Brand Portal packages of AEM; migrate to OAuth Server-to-Server, which needs no key")
                .command("brandlink account migrate");
        }
        Ok(Some(ks)) => ks,
    };
    let Some(entry) = ks.alias(alias) else {
        return Finding::fail(id, format!("alias '{alias}' is not in the keystore of brandportal-imsconfig-service"))
            .cause("AEM cannot sign the JWT without its private key")
            .fix("migrate to OAuth Server-to-Server (no key needed), or create a key pair again and upload its certificate")
            .command("brandlink account migrate")
            .remedy(Remedy::Migrate);
    };
    let Some(leaf) = entry.chain.first() else {
        return Finding::warn(id, format!("alias '{alias}' holds no certificate"));
    };
    let day = crate::evidence::view::java_date_day(&leaf.not_after);
    match days_left(leaf, ev.read_at) {
        Some(d) if d < 0 => Finding::fail(id, format!("the certificate of alias '{alias}' expired on {day}"))
            .cause("IMS refuses a JWT signed for an expired certificate; publishing fails with 401")
            .fix("migrate to OAuth Server-to-Server (no certificate), or create a new certificate and upload it to the Developer Console")
            .command("brandlink account migrate")
            .remedy(Remedy::Migrate)
            .source(JWT_EOL),
        Some(d) if d < CERT_WARN_DAYS => Finding::warn(id, format!("the certificate of alias '{alias}' expires in {d} days ({day})"))
            .cause("Adobe mails the project's technical contact before it expires; after that, IMS refuses the JWT")
            .fix("migrate to OAuth Server-to-Server before then")
            .command("brandlink account migrate")
            .remedy(Remedy::Migrate),
        Some(d) => Finding::ok(id, format!("alias '{alias}', certificate valid until {day} ({d} days)")),
        None => Finding::warn(id, format!("alias '{alias}': the certificate's end date ({}) could not be read", leaf.not_after)),
    }
}
