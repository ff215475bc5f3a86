//! Reads the fleet in the background for the Fleet screen: each author on its own schedule
//! through the setup service's fleet read (`setup::fleet::read_one`: the one reader and the
//! one rulebook, as `brandlink fleet status`), one read in flight per author and at most
//! [`AT_ONCE`] at a time. A healthy or failing author is read again after [`INTERVAL`]; one
//! that could not be read follows the pollers' retry policy (unreachable: back-off up to a
//! minute; credentials refused or no password: not until the operator asks, so a refused
//! password costs one failed login — the client's credential gate holds it meanwhile). Reads
//! start only while the screen shows. A [`FleetView`] is sent only when it differs from the
//! last one sent, so an idle fleet draws nothing.

use super::{AuthorView, FleetAuthor, FleetView, JwtConfig};
use crate::setup::fleet::{AT_ONCE, AuthorRead, read_one};
use crate::setup::snapshot::AuthType;
use crate::verdict;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Between two reads of an author that could be read.
pub const INTERVAL: Duration = Duration::from_secs(15);
/// The longest wait before an author that could not be read is tried again.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The running poller. Dropping it stops it.
pub struct FleetPoll {
    shown: watch::Sender<bool>,
    asks: mpsc::UnboundedSender<Option<String>>,
    task: JoinHandle<()>,
}

impl FleetPoll {
    /// Starts reading `authors`; each changed view goes to `tx`.
    pub fn spawn(authors: Arc<[FleetAuthor]>, tx: mpsc::UnboundedSender<FleetView>) -> FleetPoll {
        let (shown, shown_rx) = watch::channel(true);
        let (asks, asks_rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(Poller::new(authors, tx).run(shown_rx, asks_rx));
        FleetPoll { shown, asks, task }
    }

    /// Whether the screen shows (reads start only then; a read in flight finishes).
    pub fn show(&self, on: bool) {
        self.shown
            .send_if_modified(|s| std::mem::replace(s, on) != on);
    }

    /// Reads again now: every author (`None`, their refused credentials tried once more) or one.
    pub fn refresh(&self, profile: Option<String>) {
        let _ = self.asks.send(profile);
    }
}

impl Drop for FleetPoll {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What the poller knows of one author.
#[derive(Default)]
struct Slot {
    last: Option<AuthorRead>,
    /// Failed reads in a row.
    failures: u32,
    /// When to read it next (`None`: not until asked).
    due: Option<Instant>,
    flying: bool,
}

struct Poller {
    authors: Arc<[FleetAuthor]>,
    slots: Vec<Slot>,
    tx: mpsc::UnboundedSender<FleetView>,
    sent: Option<FleetView>,
}

impl Poller {
    fn new(authors: Arc<[FleetAuthor]>, tx: mpsc::UnboundedSender<FleetView>) -> Poller {
        let now = Instant::now();
        let slots = authors
            .iter()
            .map(|_| Slot {
                due: Some(now),
                ..Slot::default()
            })
            .collect();
        Poller {
            authors,
            slots,
            tx,
            sent: None,
        }
    }

    async fn run(
        mut self,
        mut shown: watch::Receiver<bool>,
        mut asks: mpsc::UnboundedReceiver<Option<String>>,
    ) {
        let mut flying = FuturesUnordered::new();
        loop {
            let on = *shown.borrow_and_update();
            if on {
                let now = Instant::now();
                for (i, s) in self.slots.iter_mut().enumerate() {
                    if flying.len() >= AT_ONCE {
                        break;
                    }
                    if !s.flying && s.due.is_some_and(|d| d <= now) {
                        s.flying = true;
                        let authors = self.authors.clone();
                        flying.push(async move {
                            let read = match authors.get(i) {
                                Some(a) => Some(read_one(&a.member, false).await),
                                None => None,
                            };
                            (i, read)
                        });
                    }
                }
            }
            let next = on
                .then(|| {
                    let waiting = self.slots.iter().filter(|s| !s.flying);
                    waiting.filter_map(|s| s.due).min()
                })
                .flatten();
            tokio::select! {
                Some((i, read)) = flying.next(), if !flying.is_empty() => {
                    if let Some(read) = read {
                        self.settle(i, read);
                    }
                    if !self.send() {
                        return;
                    }
                }
                _ = tokio::time::sleep_until(next.unwrap_or_else(Instant::now)), if next.is_some() => {}
                changed = shown.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
                ask = asks.recv() => match ask {
                    Some(profile) => self.ask(profile.as_deref()),
                    None => return,
                },
            }
        }
    }

    /// A read ended: keep it and plan the next.
    fn settle(&mut self, i: usize, read: AuthorRead) {
        let Some(s) = self.slots.get_mut(i) else {
            return;
        };
        s.flying = false;
        let now = Instant::now();
        s.due = match read.unread_class {
            None => {
                s.failures = 0;
                Some(now + INTERVAL)
            }
            Some(class) => {
                s.failures = s.failures.saturating_add(1);
                class
                    .retry()
                    .delay(s.failures, INTERVAL / 2, MAX_BACKOFF)
                    .map(|wait| now + wait)
            }
        };
        s.last = Some(read);
    }

    /// The operator asked: read now, credentials refused tried once more.
    fn ask(&mut self, profile: Option<&str>) {
        let now = Instant::now();
        for (a, s) in self.authors.iter().zip(self.slots.iter_mut()) {
            if profile.is_some_and(|p| p != a.member.profile) {
                continue;
            }
            if let Ok(setup) = &a.member.setup {
                setup.retry_credentials();
            }
            s.failures = 0;
            s.due = Some(now);
        }
    }

    /// Sends the view if it changed; false when nobody listens any more.
    fn send(&mut self) -> bool {
        let v = view(&self.authors, &self.slots);
        if self.sent.as_ref() == Some(&v) {
            return true;
        }
        self.sent = Some(v.clone());
        self.tx.send(v).is_ok()
    }
}

/// The view of what was read: each author's row as `fleet status` judges it (the `status`
/// verdict), the fleet's own findings over the authors read, the summary.
fn view(authors: &[FleetAuthor], slots: &[Slot]) -> FleetView {
    let reads: Vec<&AuthorRead> = slots.iter().filter_map(|s| s.last.as_ref()).collect();
    let facts: Vec<verdict::fleet::Author> = reads.iter().map(|r| r.author.clone()).collect();
    let findings = verdict::fleet::findings(&facts);
    let rows: Vec<verdict::fleet::Row> = reads.iter().map(|r| r.row(r.status_ok())).collect();
    let unread = reads.iter().filter(|r| r.unread.is_some()).count();
    let summary = (!reads.is_empty()).then(|| verdict::fleet::summarize(&rows, unread, &findings));
    FleetView {
        authors: authors
            .iter()
            .zip(slots)
            .map(|(a, s)| match &s.last {
                Some(r) => AuthorView {
                    profile: a.member.profile.clone(),
                    row: Some(r.row(r.status_ok())),
                    error: r.error.clone(),
                    jwt: jwt_config(r),
                },
                None => AuthorView::reading(&a.member.profile),
            })
            .collect(),
        findings,
        summary,
    }
}

/// The Brand Portal IMS configuration, when it is JWT (the migration's subject).
fn jwt_config(r: &AuthorRead) -> Option<JwtConfig> {
    let c = r.verdict.as_ref()?.integration.as_ref()?.bp_ims_config()?;
    (c.auth_type == AuthType::Jwt).then(|| JwtConfig {
        pid: c.pid.clone(),
        client_id: c.client_id.clone(),
        org_id: c.organization().unwrap_or_default(),
    })
}
