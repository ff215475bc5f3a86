//! Many authors at once: each read and judged by the one reader and the one rulebook (as
//! `status` and `doctor` do for one), a bounded number at a time, then the fleet's own rules
//! (`verdict::fleet`) over all of them. An author that cannot be read is a row saying why,
//! never a stop. The migration of a fleet is in `fleet_migrate.rs`.

use super::error::{ErrorClass, SetupError};
use super::service::Setup;
use crate::verdict::fleet::{Author, Row, Summary};
use crate::verdict::{self, Finding, Report, Verdict};
use futures::StreamExt;

/// How many authors are read at once (each with its own request timeouts).
pub const AT_ONCE: usize = 16;

/// One author of the fleet as the front end resolved it from its profile.
pub struct Member {
    pub profile: String,
    /// The author's URL as it may be printed.
    pub aem_url: String,
    /// The profile's tenant, if it names one.
    pub tenant: Option<String>,
    /// The service for this author, or why there is none (no password, bad profile value).
    pub setup: Result<Setup, Unbuilt>,
}

/// Why a member has no service: the table's word for it and the message.
#[derive(Clone, Debug)]
pub struct Unbuilt {
    pub state: &'static str,
    pub message: String,
}

/// One author read and judged.
pub struct AuthorRead {
    pub profile: String,
    pub author: Author,
    /// The verdict of the read; `None` when the author could not be read.
    pub verdict: Option<Verdict>,
    /// The doctor's report: the verdict's, or the one failing finding of an unread author.
    pub report: Report,
    /// Why it was not read: `unreachable`, `credentials refused`, `no password`, `not read`.
    pub unread: Option<&'static str>,
    /// The error in words, when it was not read.
    pub error: Option<String>,
    /// The error's class, when it was not read (whether and when to read it again).
    pub unread_class: Option<ErrorClass>,
}

impl AuthorRead {
    /// The `status` verdict: AEM ready and the doctor's verdict ok (as `brandlink status`).
    pub fn status_ok(&self) -> bool {
        self.verdict.as_ref().is_some_and(|v| {
            v.integration.as_ref().is_some_and(|i| i.readiness.ready()) && v.report.ok
        })
    }

    /// The row of the fleet table, with the verdict `ok` chosen by the command.
    pub fn row(&self, ok: bool) -> Row {
        Row::new(&self.author, &self.report, ok, self.unread)
    }
}

/// The whole fleet, read.
pub struct FleetRead {
    pub authors: Vec<AuthorRead>,
    /// The fleet's own findings.
    pub findings: Vec<Finding>,
}

impl FleetRead {
    /// The summary, each author judged by `ok` (status or doctor).
    pub fn summary(&self, ok: impl Fn(&AuthorRead) -> bool) -> Summary {
        let rows: Vec<Row> = self.authors.iter().map(|a| a.row(ok(a))).collect();
        let unread = self.authors.iter().filter(|a| a.unread.is_some()).count();
        verdict::fleet::summarize(&rows, unread, &self.findings)
    }
}

/// Why an author could not be read, in the fleet table's words.
pub fn unread_state(e: &SetupError) -> &'static str {
    match e.class() {
        ErrorClass::Auth => "credentials refused",
        ErrorClass::Transient => "unreachable",
        ErrorClass::Usage => "bad profile",
        ErrorClass::Failed => "not read",
    }
}

/// Reads and judges every member, at most [`AT_ONCE`] at a time, in the members' order.
/// `test`: the doctor's Test Connection on each author.
pub async fn read(members: Vec<Member>, test: bool) -> FleetRead {
    let authors: Vec<AuthorRead> = futures::stream::iter(members)
        .map(|m| async move { read_one(&m, test).await })
        .buffered(AT_ONCE)
        .collect()
        .await;
    let facts: Vec<Author> = authors.iter().map(|a| a.author.clone()).collect();
    FleetRead {
        findings: verdict::fleet::findings(&facts),
        authors,
    }
}

/// Reads and judges one member (the fleet screen reads each on its own schedule).
pub async fn read_one(m: &Member, test: bool) -> AuthorRead {
    let unread =
        |state: &'static str, class: ErrorClass, message: String, report: Report| AuthorRead {
            profile: m.profile.clone(),
            author: Author::unread(&m.profile, &m.aem_url),
            verdict: None,
            report,
            unread: Some(state),
            error: Some(message),
            unread_class: Some(class),
        };
    let setup = match &m.setup {
        Ok(s) => s,
        Err(why) => {
            let e = crate::aem::AemError::Invalid(why.message.clone());
            let report = verdict::unreadable(&m.aem_url, m.tenant.clone(), &e);
            return unread(why.state, ErrorClass::Usage, why.message.clone(), report);
        }
    };
    match setup.judged(m.tenant.as_deref(), test).await {
        Ok((ev, v)) => AuthorRead {
            profile: m.profile.clone(),
            author: Author::from_evidence(&m.profile, &m.aem_url, &ev),
            report: v.report.clone(),
            verdict: Some(v),
            unread: None,
            error: None,
            unread_class: None,
        },
        Err((e, report)) => unread(unread_state(&e), e.class(), e.to_string(), report),
    }
}
