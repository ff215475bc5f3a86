//! What only a fleet shows: rules over many authors' reads, each judged on its own first by
//! the same rulebook. Pure functions of [`Author`]s (the few facts of one read the rules look
//! at), so each rule is tried on synthetic fleets.
//!
//! - `fleet.authors`: one author listed under two profiles (same URL);
//! - `fleet.tenants`: one Brand Portal tenant configured on two authors (Adobe maps a tenant to
//!   exactly one author);
//! - `fleet.jwt`: authors still on JWT, counted;
//! - `fleet.oauth`: service-pack levels, and the authors that cannot use OAuth Server-to-Server.

use super::report::{Counts, Finding, Report, Status};
use super::steps::StepStatus;
use crate::evidence::{AuthType, Evidence, OauthSupport};
use serde::Serialize;
use std::collections::BTreeMap;

const BP_FAQ: &str = "Adobe, Brand Portal: FAQ";
const JWT_EOL: &str =
    "Adobe Developer Console: JWT credentials end of life, migration to OAuth Server-to-Server";

/// The facts of one author the fleet's rules look at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Author {
    pub profile: String,
    pub aem_url: String,
    /// Whether the author could be read at all.
    pub read: bool,
    /// `6.5.21.0`, from the product string.
    pub version: Option<String>,
    pub oauth_support: OauthSupport,
    /// The Brand Portal IMS configuration's type (JWT when any of them is JWT).
    pub credential: Option<AuthType>,
    /// The tenants its cloud configurations name (normalised).
    pub tenants: Vec<String>,
    /// Items waiting in the Brand Portal queues (`at_least` when a depth was capped).
    pub pending: Option<u64>,
    pub pending_at_least: bool,
    /// Brand Portal agents whose queue is blocked.
    pub blocked: Vec<String>,
}

impl Author {
    /// An author that could not be read: only its configured URL is known.
    pub fn unread(profile: &str, aem_url: &str) -> Author {
        Author {
            profile: profile.to_string(),
            aem_url: aem_url.to_string(),
            read: false,
            version: None,
            oauth_support: OauthSupport::Unknown,
            credential: None,
            tenants: vec![],
            pending: None,
            pending_at_least: false,
            blocked: vec![],
        }
    }

    /// The facts of one read.
    pub fn from_evidence(profile: &str, aem_url: &str, ev: &Evidence) -> Author {
        let bp = ev.bp_ims();
        let credential = if bp.iter().any(|c| c.auth_type == AuthType::Jwt) {
            Some(AuthType::Jwt)
        } else {
            bp.first().map(|c| c.auth_type)
        };
        let mut tenants: Vec<String> = ev
            .clouds
            .as_ref()
            .map(|l| l.iter().map(|c| normalise(&c.tenant_url)).collect())
            .unwrap_or_default();
        tenants.sort();
        tenants.dedup();
        let depths: Vec<_> = ev.agents.iter().map(|a| a.depth.as_ref()).collect();
        let pending = (!depths.is_empty() && depths.iter().all(Option::is_some))
            .then(|| depths.iter().flatten().map(|d| d.count).sum());
        Author {
            profile: profile.to_string(),
            aem_url: aem_url.to_string(),
            read: true,
            version: version(ev.readiness.product.as_deref()),
            oauth_support: ev.oauth_support,
            credential,
            tenants,
            pending,
            pending_at_least: depths.iter().flatten().any(|d| d.at_least),
            blocked: ev
                .agents
                .iter()
                .filter(|a| a.queue.as_ref().is_ok_and(|q| q.blocked))
                .map(|a| a.info.id.clone())
                .collect(),
        }
    }

    /// Whether this author can hold an OAuth Server-to-Server configuration today.
    pub fn can_use_oauth(&self) -> bool {
        matches!(self.oauth_support, OauthSupport::Yes)
    }

    fn label(&self) -> String {
        format!("{} ({})", self.profile, self.aem_url)
    }
}

/// `6.5.21.0` from `Adobe Experience Manager (6.5.21.0)`.
fn version(product: Option<&str>) -> Option<String> {
    let p = product?;
    let v = p
        .rsplit_once('(')
        .map(|(_, v)| v.trim_end_matches(')'))
        .unwrap_or(p)
        .trim();
    v.starts_with(|c: char| c.is_ascii_digit())
        .then(|| v.to_string())
}

/// A URL as compared across profiles: no trailing slash, lower case.
pub fn normalise(url: &str) -> String {
    url.trim().trim_end_matches('/').to_ascii_lowercase()
}

fn names(authors: &[&Author]) -> String {
    authors
        .iter()
        .map(|a| a.profile.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every fleet rule, in a stable order.
pub fn findings(authors: &[Author]) -> Vec<Finding> {
    vec![
        same_author(authors),
        shared_tenants(authors),
        jwt(authors),
        oauth_levels(authors),
    ]
}

/// The same author under two profiles: every count and the tenant rule would see it twice.
pub fn same_author(authors: &[Author]) -> Finding {
    let id = "fleet.authors";
    let mut by_url: BTreeMap<String, Vec<&Author>> = BTreeMap::new();
    for a in authors {
        by_url.entry(normalise(&a.aem_url)).or_default().push(a);
    }
    let twice: Vec<String> = by_url
        .iter()
        .filter(|(_, l)| l.len() > 1)
        .map(|(url, l)| format!("{url} as {}", names(l)))
        .collect();
    if twice.is_empty() {
        return Finding::ok(
            id,
            format!(
                "{} profiles, {} different authors",
                authors.len(),
                by_url.len()
            ),
        );
    }
    Finding::warn(
        id,
        format!("the same author is listed twice: {}", twice.join("; ")),
    )
    .cause("two profiles name one URL, so the fleet counts and changes that author twice")
    .fix("keep one profile per author in the config file (remove or correct the other)")
}

/// One tenant on two authors: Adobe maps a Brand Portal tenant to exactly one author.
pub fn shared_tenants(authors: &[Author]) -> Finding {
    let id = "fleet.tenants";
    // tenant → distinct authors (by URL), first profile of each.
    let mut by_tenant: BTreeMap<&str, BTreeMap<String, &Author>> = BTreeMap::new();
    for a in authors.iter().filter(|a| a.read) {
        for t in &a.tenants {
            by_tenant
                .entry(t.as_str())
                .or_default()
                .entry(normalise(&a.aem_url))
                .or_insert(a);
        }
    }
    if by_tenant.is_empty() {
        return Finding::skip(id, "no author read has a Brand Portal cloud configuration");
    }
    let shared: Vec<(&str, Vec<&Author>)> = by_tenant
        .iter()
        .filter(|(_, on)| on.len() > 1)
        .map(|(t, on)| (*t, on.values().copied().collect()))
        .collect();
    let Some((first_tenant, first_on)) = shared.first() else {
        return Finding::ok(
            id,
            format!(
                "{}, each on one author",
                crate::words::count(by_tenant.len() as u64, "tenant", "tenants")
            ),
        );
    };
    let lines: Vec<String> = shared
        .iter()
        .map(|(t, on)| {
            let list: Vec<String> = on.iter().map(|a| a.label()).collect();
            format!("{t} is configured on {}", list.join(" and "))
        })
        .collect();
    let keep = first_on[0];
    let others: Vec<&&Author> = first_on.iter().skip(1).collect();
    let other = others.first().map(|a| a.profile.as_str()).unwrap_or("");
    Finding::fail(id, lines.join("; "))
        .cause("Adobe maps a Brand Portal tenant to exactly one AEM author: contributions and Asset Sourcing reach one of them only, and both publish into the same tenant")
        .fix(format!(
            "keep {first_tenant} on one author (say {}) and remove it from the other ({}): its agents, cloud configuration and MAC user, backed up",
            keep.profile,
            others.iter().map(|a| a.profile.as_str()).collect::<Vec<_>>().join(", ")
        ))
        .command(format!("brandlink --profile {other} upgrade --tenant {first_tenant}"))
        .source(BP_FAQ)
}

/// Authors still on JWT, which Adobe has retired.
pub fn jwt(authors: &[Author]) -> Finding {
    let id = "fleet.jwt";
    let known: Vec<&Author> = authors.iter().filter(|a| a.credential.is_some()).collect();
    if known.is_empty() {
        return Finding::skip(id, "no author read has a Brand Portal IMS configuration");
    }
    let on_jwt: Vec<&Author> = known
        .iter()
        .copied()
        .filter(|a| a.credential == Some(AuthType::Jwt))
        .collect();
    if on_jwt.is_empty() {
        return Finding::ok(
            id,
            format!(
                "all {} with an IMS configuration use OAuth Server-to-Server",
                crate::words::count(known.len() as u64, "author", "authors")
            ),
        );
    }
    let list = names(&on_jwt);
    Finding::warn(
        id,
        format!(
            "{} of {} still on JWT: {list}",
            on_jwt.len(),
            crate::words::count(known.len() as u64, "author", "authors")
        ),
    )
    .cause("Adobe retired JWT service-account credentials: IMS refuses them since 2026")
    .fix("migrate them in place to OAuth Server-to-Server (their profiles need oauth_scopes, org_id and client_secret_env)")
    .command(format!(
        "brandlink fleet migrate --profiles {}",
        on_jwt
            .iter()
            .map(|a| a.profile.as_str())
            .collect::<Vec<_>>()
            .join(",")
    ))
    .source(JWT_EOL)
}

/// Service-pack levels across the fleet; a failure when some author cannot use OAuth.
pub fn oauth_levels(authors: &[Author]) -> Finding {
    let id = "fleet.oauth";
    let read: Vec<&Author> = authors.iter().filter(|a| a.read).collect();
    if read.is_empty() {
        return Finding::skip(id, "no author could be read");
    }
    let mut levels: BTreeMap<String, usize> = BTreeMap::new();
    for a in &read {
        *levels
            .entry(a.version.clone().unwrap_or_else(|| "unknown".into()))
            .or_default() += 1;
    }
    let spread = levels
        .iter()
        .map(|(v, n)| format!("{v} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let cannot: Vec<&Author> = read
        .iter()
        .copied()
        .filter(|a| matches!(a.oauth_support, OauthSupport::No | OauthSupport::WithHotfix))
        .collect();
    let unknown: Vec<&Author> = read
        .iter()
        .copied()
        .filter(|a| a.oauth_support == OauthSupport::Unknown)
        .collect();
    if !cannot.is_empty() {
        let list: Vec<String> = cannot
            .iter()
            .map(|a| {
                format!(
                    "{} ({})",
                    a.profile,
                    a.version.as_deref().unwrap_or("version unknown")
                )
            })
            .collect();
        return Finding::fail(
            id,
            format!(
                "{} cannot use OAuth Server-to-Server: {} (levels: {spread})",
                crate::words::count(cannot.len() as u64, "author", "authors"),
                list.join(", ")
            ),
        )
        .cause("OAuth Server-to-Server needs AEM 6.5.21 (SP21), or SP11–SP20 with the ims-jwt-compatibility hotfix; below that only JWT works, and Adobe has retired it")
        .fix("update those authors to 6.5.21 or later (or install ims-jwt-compatibility-package-6.5-1.0 on SP11–SP20) before `brandlink fleet migrate`; the migration refuses them until then")
        .source(JWT_EOL);
    }
    if !unknown.is_empty() {
        return Finding::warn(
            id,
            format!(
                "the AEM version of {} could not be read (levels: {spread})",
                names(&unknown)
            ),
        )
        .fix("check /system/console/productinfo on those authors: OAuth Server-to-Server needs 6.5.21 (SP21)");
    }
    Finding::ok(
        id,
        format!("every author read can use OAuth Server-to-Server (levels: {spread})"),
    )
}

/// One author as the fleet table shows it (`row` in `fleet status|doctor --json`).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub profile: String,
    pub aem_url: String,
    pub ok: bool,
    pub aem_version: Option<String>,
    pub credential: Option<AuthType>,
    /// `working`, the first step not done (`Account failing`), or why it was not read.
    pub state: String,
    pub pending: Option<u64>,
    pub pending_at_least: bool,
    pub blocked: Vec<String>,
    pub counts: Counts,
    /// The first failing finding (`id: finding`), else the first step not done.
    pub first_failure: Option<String>,
}

impl Row {
    /// The row of one author: its facts and its report. `unread`: why it was not read (then
    /// that is its state).
    pub fn new(author: &Author, report: &Report, ok: bool, unread: Option<&str>) -> Row {
        let state = match unread {
            Some(why) => why.to_string(),
            None => report
                .steps
                .iter()
                .find_map(|s| match &s.status {
                    StepStatus::Done => None,
                    StepStatus::Pending(_) => Some(format!("{} to do", s.title)),
                    StepStatus::Failing(_) => Some(format!("{} failing", s.title)),
                })
                .unwrap_or_else(|| "working".into()),
        };
        let first_failure = report
            .findings
            .iter()
            .find(|f| f.status == Status::Fail)
            .map(|f| format!("{}: {}", f.id, f.finding))
            .or_else(|| report.steps_not_done().into_iter().next());
        Row {
            profile: author.profile.clone(),
            aem_url: author.aem_url.clone(),
            ok,
            aem_version: author.version.clone(),
            credential: author.credential,
            state,
            pending: author.pending,
            pending_at_least: author.pending_at_least,
            blocked: author.blocked.clone(),
            counts: report.counts,
            first_failure,
        }
    }

    /// `JWT`, `OAuth` or `-`, as the fleet table shows the credential.
    pub fn credential_word(&self) -> &'static str {
        match self.credential {
            Some(AuthType::Jwt) => "JWT",
            Some(AuthType::OauthServerToServer) => "OAuth",
            None => "-",
        }
    }

    /// `12`, `≥200`, `7 (1 blocked)` or `-`: the items waiting, and the blocked agents.
    pub fn pending_word(&self) -> String {
        let n = match self.pending {
            Some(n) => format!("{}{n}", if self.pending_at_least { "≥" } else { "" }),
            None => "-".into(),
        };
        if self.blocked.is_empty() {
            n
        } else {
            format!("{n} ({} blocked)", self.blocked.len())
        }
    }
}

/// The fleet in numbers (`summary` in `fleet status|doctor --json`).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub ok: bool,
    pub authors: usize,
    pub healthy: usize,
    pub failing: usize,
    /// Not read: unreachable, credentials refused, no password.
    pub unread: usize,
    pub jwt: usize,
    pub oauth: usize,
    /// The fleet findings' counts.
    pub fleet: Counts,
    pub line: String,
}

/// Adds up the rows and the fleet findings. `ok` needs every author ok and no fleet finding
/// failing.
pub fn summarize(rows: &[Row], unread: usize, fleet: &[Finding]) -> Summary {
    let fleet_report = Report::from_findings("", None, 0, false, fleet.to_vec());
    let healthy = rows.iter().filter(|r| r.ok).count();
    let jwt = rows
        .iter()
        .filter(|r| r.credential == Some(AuthType::Jwt))
        .count();
    let oauth = rows
        .iter()
        .filter(|r| r.credential == Some(AuthType::OauthServerToServer))
        .count();
    let failing = rows.len().saturating_sub(healthy + unread);
    let ok = healthy == rows.len() && fleet_report.ok;
    let mut line = format!(
        "{}: {healthy} ok, {failing} failing, {unread} not read; {jwt} on JWT, {oauth} on OAuth; fleet checks: {}",
        crate::words::count(rows.len() as u64, "author", "authors"),
        fleet_report.counts_line()
    );
    if let Some(f) = fleet.iter().find(|f| f.status == Status::Fail) {
        line.push_str(&format!(" — {}", f.finding));
    }
    Summary {
        ok,
        authors: rows.len(),
        healthy,
        failing,
        unread,
        jwt,
        oauth,
        fleet: fleet_report.counts,
        line,
    }
}

#[cfg(test)]
mod tests;
