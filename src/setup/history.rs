//! The change history: every change brandlink makes to an author, one JSON object per line in
//! `$XDG_STATE_HOME/brandlink/changes.jsonl` (0600 in the 0700 state folder). A change writes
//! a `started` line (flushed to disk) before its first write to AEM and a `done`, `failed` or
//! `interrupted` line after it, both with the same `id`, so a crash leaves the `started` line.
//! A record holds names and values, never a secret: the redaction the backups use
//! ([`crate::aem::osgi::is_secret_property`]) and no key material.

use super::error::SetupError;
use super::stop::Interrupted;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::path::{Path, PathBuf};

/// The file's name in the state folder.
pub const FILE: &str = "changes.jsonl";
/// The most a history file is read up to.
const MAX_BYTES: u64 = 32 * 1024 * 1024;
/// What a secret's value is recorded as.
pub const NOT_RECORDED: &str = "(secret, not recorded)";

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Started,
    Done,
    Failed,
    Interrupted,
}

impl State {
    pub fn label(self) -> &'static str {
        match self {
            State::Started => "started",
            State::Done => "done",
            State::Failed => "failed",
            State::Interrupted => "interrupted",
        }
    }
}

/// One value that changes (or is created or removed): never a secret's value.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// What holds it: `provider`, `customizer`, an agent, a path…
    pub on: String,
    pub name: String,
    #[serde(default)]
    pub before: Option<Vec<String>>,
    #[serde(default)]
    pub after: Option<Vec<String>>,
}

impl Change {
    /// A change with secrets and key material left out.
    pub fn new(
        on: impl Into<String>,
        name: impl Into<String>,
        before: Option<Vec<String>>,
        after: Option<Vec<String>>,
    ) -> Self {
        let name = name.into();
        let secret = crate::aem::osgi::is_secret_property(&name);
        let clean = |v: Option<Vec<String>>| {
            v.map(|vals| {
                vals.into_iter()
                    .map(|x| {
                        if secret || x.contains("-----BEGIN") {
                            NOT_RECORDED.to_string()
                        } else {
                            x
                        }
                    })
                    .collect()
            })
        };
        Change {
            on: on.into(),
            before: clean(before),
            after: clean(after),
            name,
        }
    }
    /// Something created: `after` only.
    pub fn added(on: impl Into<String>, name: impl Into<String>, value: impl Into<String>) -> Self {
        Change::new(on, name, None, Some(vec![value.into()]))
    }
}

impl From<&super::lifecycle::PropertyChange> for Change {
    fn from(c: &super::lifecycle::PropertyChange) -> Self {
        Change::new(c.on, c.name.clone(), c.before.clone(), c.after.clone())
    }
}

/// The planned property changes, as recorded.
pub fn property_changes(changes: &[super::lifecycle::PropertyChange]) -> Vec<Change> {
    changes.iter().map(Change::from).collect()
}

/// One line of the history.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// The same for a change's `started` line and its outcome.
    pub id: String,
    /// RFC 3339, UTC.
    pub time: String,
    /// The author, without user or password.
    pub aem_url: String,
    /// Who ran brandlink ($USER, else the user id).
    pub user: String,
    /// `account migrate`, `cert create`, `upgrade`, …
    pub operation: String,
    pub state: State,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub changes: Vec<Change>,
    #[serde(default)]
    pub backup_dir: Option<PathBuf>,
    /// Why it failed, or what went wrong although the change was made.
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub done: Vec<String>,
    #[serde(default)]
    pub not_done: Vec<String>,
    /// The commands that undo or complete an interrupted change.
    #[serde(default)]
    pub next: Vec<String>,
}

fn show(v: &Option<Vec<String>>) -> String {
    match v {
        None => "(none)".into(),
        Some(v) => v.join(" | "),
    }
}

impl Record {
    /// The record for people: a headline, what changed, and how it ended (`with_url`: the
    /// author too).
    pub fn lines(&self, with_url: bool) -> Vec<String> {
        let mut t = vec![format!(
            "{}  {:<11} {}{}  by {}{}",
            self.time,
            self.state.label(),
            self.operation,
            self.target
                .as_ref()
                .map(|x| format!(" {x}"))
                .unwrap_or_default(),
            self.user,
            if with_url {
                format!(" on {}", self.aem_url)
            } else {
                String::new()
            }
        )];
        for c in &self.changes {
            t.push(format!(
                "    {} {}: {} → {}",
                c.on,
                c.name,
                show(&c.before),
                show(&c.after)
            ));
        }
        if let Some(b) = &self.backup_dir {
            t.push(format!("    backup: {}", b.display()));
        }
        if self.state == State::Started {
            t.push("    no outcome recorded: brandlink stopped during this change; check the author (`brandlink status`)".into());
        }
        t.extend(self.done.iter().map(|d| format!("    done: {d}")));
        t.extend(self.not_done.iter().map(|n| format!("    not done: {n}")));
        t.extend(self.next.iter().map(|n| format!("    {n}")));
        if self.state != State::Interrupted
            && let Some(e) = &self.error
        {
            t.push(format!("    ! {e}"));
        }
        t
    }
}

/// What a change is about to do: the `started` line.
pub struct Started {
    pub operation: &'static str,
    pub target: Option<String>,
    pub changes: Vec<Change>,
}

impl Started {
    pub fn new(operation: &'static str, target: Option<String>, changes: Vec<Change>) -> Self {
        Started {
            operation,
            target,
            changes,
        }
    }
}

/// What a finished change reports beyond its state.
#[derive(Default)]
pub struct Outcome {
    /// What the change turned out to be about (the PID it created…), when not known before.
    pub target: Option<String>,
    pub backup_dir: Option<PathBuf>,
    /// Replaces the planned changes (what was actually written).
    pub changes: Option<Vec<Change>>,
    /// A problem although the change was made (a failed Test Connection).
    pub problem: Option<String>,
}

/// A line of the file that could not be read: reported, never fatal.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Unreadable {
    pub line: usize,
    pub error: String,
}

/// The file as read.
#[derive(Clone, Debug, Default)]
pub struct History {
    pub path: PathBuf,
    /// In file order.
    pub records: Vec<Record>,
    pub unreadable: Vec<Unreadable>,
}

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(transparent)]
    Trust(#[from] crate::fsutil::TrustError),
    #[error("{path}: {detail}")]
    Io { path: String, detail: String },
}

/// Where the history is written, and the writing and reading of it.
#[derive(Clone, Debug)]
pub struct Recorder {
    dir: PathBuf,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            dir: crate::config::state_dir(),
        }
    }
}

/// The author's URL without user or password (and without a trailing slash).
pub fn author_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string().trim_end_matches('/').to_string()
        }
        Err(_) => url.trim_end_matches('/').to_string(),
    }
}

/// Who runs brandlink: `$USER`, else the numeric user id.
pub fn local_user() -> String {
    if let Some(u) = std::env::var("USER").ok().filter(|u| !u.trim().is_empty()) {
        return u;
    }
    #[cfg(unix)]
    return format!("uid {}", crate::fsutil::euid());
    #[cfg(not(unix))]
    "unknown".into()
}

impl Recorder {
    /// The history in `dir` (the state folder by default).
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        Recorder { dir: dir.into() }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE)
    }

    /// Appends one line and flushes it to disk.
    fn append(&self, r: &Record) -> Result<(), HistoryError> {
        use std::io::Write;
        crate::fsutil::private_dir(&self.dir)?;
        let path = self.path();
        let io = |e: std::io::Error| HistoryError::Io {
            path: path.display().to_string(),
            detail: e.to_string(),
        };
        if std::fs::symlink_metadata(&path).is_ok() {
            crate::fsutil::check_owned(&path)?;
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
        }
        let mut f = opts.open(&path).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = f.metadata().map_err(io)?.permissions().mode();
            if mode & 0o077 != 0 {
                f.set_permissions(std::fs::Permissions::from_mode(0o600))
                    .map_err(io)?;
            }
        }
        let mut line = serde_json::to_vec(r).map_err(|e| HistoryError::Io {
            path: path.display().to_string(),
            detail: e.to_string(),
        })?;
        line.push(b'\n');
        f.write_all(&line).map_err(io)?;
        f.sync_all().map_err(io)
    }

    /// Writes the `started` line of a change to `aem_url`; the change must not begin when
    /// this fails.
    pub fn start(&self, aem_url: &str, s: Started) -> Result<Entry, SetupError> {
        let record = Record {
            id: uuid::Uuid::new_v4().simple().to_string(),
            time: crate::when::now_rfc3339(),
            aem_url: author_url(aem_url),
            user: local_user(),
            operation: s.operation.to_string(),
            state: State::Started,
            target: s.target,
            changes: s.changes,
            backup_dir: None,
            error: None,
            done: vec![],
            not_done: vec![],
            next: vec![],
        };
        self.append(&record).map_err(|e| {
            SetupError::Local(format!(
                "cannot record the change in the history ({e}); nothing was written to AEM. Make the state folder writable (or set XDG_STATE_HOME to a folder of yours) and run again"
            ))
        })?;
        Ok(Entry {
            recorder: self.clone(),
            record,
        })
    }

    /// Runs `work` between a `started` line and its outcome's line; `outcome` tells what a
    /// finished change did.
    pub async fn record<T, F>(
        &self,
        aem_url: &str,
        start: Started,
        work: F,
        outcome: impl FnOnce(&T) -> Outcome,
    ) -> Result<T, SetupError>
    where
        F: Future<Output = Result<T, SetupError>>,
    {
        let entry = self.start(aem_url, start)?;
        let r = work.await;
        match &r {
            Ok(v) => entry.finish(State::Done, outcome(v), None),
            Err(SetupError::Interrupted(i)) => entry.interrupted(i),
            Err(SetupError::Upgrade(super::upgrade::UpgradeError::Stopped { path, .. })) => {
                let i = Interrupted::new(start_name(&entry))
                    .backup(Path::new(path))
                    .next("to complete it: run the upgrade again (its journal carries on)");
                entry.interrupted(&i)
            }
            Err(e) => entry.finish(State::Failed, Outcome::default(), Some(e.to_string())),
        }
        r
    }

    /// The whole file; lines that do not parse are listed, not fatal. No file: empty.
    pub fn read(&self) -> Result<History, HistoryError> {
        let path = self.path();
        let mut h = History {
            path: path.clone(),
            ..Default::default()
        };
        if std::fs::symlink_metadata(&path).is_err() {
            return Ok(h);
        }
        crate::fsutil::check_owned(&self.dir)?;
        let bytes = crate::fsutil::read_trusted(&self.dir, FILE, MAX_BYTES)?;
        for (n, line) in String::from_utf8_lossy(&bytes).lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Record>(line) {
                Ok(r) => h.records.push(r),
                Err(e) => h.unreadable.push(Unreadable {
                    line: n + 1,
                    error: e.to_string(),
                }),
            }
        }
        Ok(h)
    }
}

fn start_name(e: &Entry) -> &str {
    &e.record.operation
}

impl History {
    /// One record per change (its last line; a change with only its `started` line stays
    /// `started`), newest first; of `aem_url` only when given; at most `limit`.
    pub fn changes(&self, aem_url: Option<&str>, limit: Option<usize>) -> Vec<Record> {
        let wanted = aem_url.map(author_url);
        let mut out: Vec<Record> = Vec::new();
        for r in &self.records {
            if wanted
                .as_ref()
                .is_some_and(|u| *u != author_url(&r.aem_url))
            {
                continue;
            }
            match out.iter_mut().find(|o| o.id == r.id) {
                Some(o) => {
                    let planned = std::mem::take(&mut o.changes);
                    *o = r.clone();
                    if o.changes.is_empty() {
                        o.changes = planned;
                    }
                }
                None => out.push(r.clone()),
            }
        }
        out.reverse();
        out.truncate(limit.unwrap_or(usize::MAX));
        out
    }
}

/// A change under way: its `started` line is on disk.
pub struct Entry {
    recorder: Recorder,
    record: Record,
}

impl Entry {
    /// Writes the outcome's line; a history that cannot be written then is only warned
    /// about (the change itself happened).
    pub fn finish(mut self, state: State, o: Outcome, error: Option<String>) {
        let r = &mut self.record;
        r.time = crate::when::now_rfc3339();
        r.state = state;
        r.error = error.or(o.problem);
        if o.target.is_some() {
            r.target = o.target;
        }
        if let Some(d) = o.backup_dir {
            r.backup_dir = Some(d);
        }
        if let Some(c) = o.changes {
            r.changes = c;
        }
        if let Err(e) = self.recorder.append(&self.record) {
            tracing::warn!(
                "the change was made, but its outcome could not be added to the history: {e}"
            );
        }
    }

    fn interrupted(mut self, i: &Interrupted) {
        self.record.done = i.done.clone();
        self.record.not_done = i.not_done.clone();
        self.record.next = i.next.clone();
        let backup_dir = i.backup_dir.clone();
        self.finish(
            State::Interrupted,
            Outcome {
                backup_dir,
                ..Default::default()
            },
            Some(i.to_string()),
        );
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn secrets_are_never_recorded() {
        let c = Change::new(
            "customizer",
            "auth.token.provider.client.secret",
            None,
            Some(vec!["s3cr3t".into()]),
        );
        assert_eq!(c.after, Some(vec![NOT_RECORDED.to_string()]));
        let k = Change::added("keystore", "key", "-----BEGIN PRIVATE KEY-----\nabc");
        assert_eq!(k.after, Some(vec![NOT_RECORDED.to_string()]));
        assert_eq!(
            author_url("http://admin:pw@localhost:4502/"),
            "http://localhost:4502"
        );
    }

    #[tokio::test]
    async fn lines_are_private_paired_and_bad_ones_reported() {
        let t = tempfile::tempdir().unwrap();
        let rec = Recorder::in_dir(t.path().join("state"));
        let started = Started::new("account update", Some("pid".into()), vec![]);
        let ok: Result<u8, SetupError> = rec
            .record("http://a:4502", started, async { Ok(1) }, |_| Outcome {
                backup_dir: Some("/b".into()),
                ..Default::default()
            })
            .await;
        assert_eq!(ok.unwrap(), 1);
        let e = rec.start("http://b:4502", Started::new("cloud create", None, vec![]));
        drop(e);
        let mode = std::fs::metadata(rec.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let mut text = std::fs::read_to_string(rec.path()).unwrap();
        text.push_str("not json\n");
        std::fs::write(rec.path(), text).unwrap();
        let h = rec.read().unwrap();
        assert_eq!(h.records.len(), 3);
        assert_eq!(h.unreadable.len(), 1);
        assert_eq!(h.unreadable[0].line, 4);
        let all = h.changes(None, None);
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].operation, "cloud create");
        assert_eq!(all[0].state, State::Started);
        assert_eq!(all[1].state, State::Done);
        assert_eq!(all[1].backup_dir.as_deref(), Some(Path::new("/b")));
        assert_eq!(h.changes(Some("http://a:4502/"), Some(5)).len(), 1);
        assert_eq!(h.changes(None, Some(1)).len(), 1);
    }
}
