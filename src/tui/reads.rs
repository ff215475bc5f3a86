//! One read in flight per question. The TUI asks AEM the same things from many places — the
//! start, `r`, a queue that blocks or recovers, the result of an action, a retry after a failed
//! read, a blocked queue's cause, a followed log — and often several at once (four queues
//! recover in the same second). Each [`Question`] has at most one read in flight: asking while
//! it runs marks it "again after this one" (one follow-up, however many asked), so the
//! follow-up starts after every asker's reason and answers them all. Asks made while a batch
//! of effects is carried out ([`Reads::hold`]) are started together once it ends: asking twice
//! in one batch is one read.
//!
//! A blocked queue's cause comes from the same read as the integration (the whole evidence),
//! so the status read answers both: the agents asked about are taken when the read starts.
//! Timers ("read again in 3 s", a followed log) ask through the same door when they fire, and
//! an ask now replaces the timer waiting for the same question.

use super::effect::{Msg, UiError};
use crate::setup::Setup;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;

/// What the runtime reads AEM for. Each is idempotent: one read answers every asker.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Question {
    /// The integration (steps, agents), with the causes of the blocked queues asked about.
    Status,
    /// Every doctor check (with one Test Connection).
    Doctor,
    /// One agent's log.
    Log(String),
}

/// A read in flight.
struct Flight {
    id: u64,
    /// Asked again while it ran: read once more when it ends.
    again: bool,
    handle: Option<JoinHandle<()>>,
    /// The blocked agents this read answers (given back if it is cancelled).
    explaining: BTreeSet<String>,
}

#[derive(Default)]
struct Book {
    flights: HashMap<Question, Flight>,
    /// Blocked agents whose cause the next status read answers.
    explain: BTreeSet<String>,
    /// Timers waiting to ask (one per question), with their number.
    timers: HashMap<Question, (u64, JoinHandle<()>)>,
    /// Asked during a batch, started when it ends.
    held: Option<Vec<Question>>,
    next_id: u64,
    /// Numbers status reads as they start (`Msg::Loaded` carries it: only a newer one shows).
    generation: u64,
}

/// The coalescer: cheap to clone, shared with the tasks it starts.
#[derive(Clone)]
pub struct Reads {
    book: Arc<Mutex<Book>>,
    setup: Setup,
    tenant: Option<String>,
    tx: UnboundedSender<Msg>,
}

impl Reads {
    pub fn new(setup: Setup, tenant: Option<String>, tx: UnboundedSender<Msg>) -> Self {
        Reads {
            book: Arc::default(),
            setup,
            tenant,
            tx,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Book> {
        // Nothing panics while holding it; if something did, the book is still usable.
        self.book.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks `q` now: a read starts, or the one in flight is asked to run once more. A timer
    /// waiting for `q` is dropped (this read answers it).
    pub fn ask(&self, q: Question) {
        let mut b = self.lock();
        if let Some((_, t)) = b.timers.remove(&q) {
            t.abort();
        }
        self.ask_in(&mut b, q);
    }

    /// Asks why `agent`'s queue is blocked: answered by the next status read.
    pub fn explain(&self, agent: String) {
        let mut b = self.lock();
        b.explain.insert(agent);
        self.ask_in(&mut b, Question::Status);
    }

    /// Asks `q` after `wait`, replacing any timer waiting for it.
    pub fn ask_later(&self, q: Question, wait: Duration) {
        let mut b = self.lock();
        b.next_id += 1;
        let id = b.next_id;
        let this = self.clone();
        let key = q.clone();
        let timer = tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            let mut b = this.lock();
            if b.timers.get(&key).is_some_and(|(n, _)| *n == id) {
                b.timers.remove(&key);
                this.ask_in(&mut b, key);
            }
        });
        if let Some((_, old)) = b.timers.insert(q, (id, timer)) {
            old.abort();
        }
    }

    /// Stops the read of `q` in flight, its follow-up and its timer. The blocked agents it was
    /// to explain wait for the next status read.
    pub fn cancel(&self, q: &Question) {
        let mut b = self.lock();
        if let Some((_, t)) = b.timers.remove(q) {
            t.abort();
        }
        if let Some(held) = &mut b.held {
            held.retain(|h| h != q);
        }
        if let Some(mut f) = b.flights.remove(q) {
            if let Some(h) = f.handle.take() {
                h.abort();
            }
            b.explain.append(&mut f.explaining);
        }
    }

    /// Stops every read in flight, its follow-up and every timer.
    pub fn cancel_all(&self) {
        let mut b = self.lock();
        for (_, (_, t)) in b.timers.drain() {
            t.abort();
        }
        for (_, mut f) in b.flights.drain() {
            if let Some(h) = f.handle.take() {
                h.abort();
            }
        }
        b.explain.clear();
        if let Some(held) = &mut b.held {
            held.clear();
        }
    }

    /// Until [`Reads::release`], asks are gathered and then started together.
    pub fn hold(&self) {
        self.lock().held.get_or_insert_with(Vec::new);
    }

    /// Starts what was asked since [`Reads::hold`].
    pub fn release(&self) {
        let mut b = self.lock();
        for q in b.held.take().unwrap_or_default() {
            self.ask_in(&mut b, q);
        }
    }

    /// Nothing in flight, waiting or held.
    pub fn settled(&self) -> bool {
        let b = self.lock();
        b.flights.is_empty() && b.timers.is_empty() && b.held.as_ref().is_none_or(Vec::is_empty)
    }

    fn ask_in(&self, b: &mut Book, q: Question) {
        if let Some(held) = &mut b.held {
            if !held.contains(&q) {
                held.push(q);
            }
            return;
        }
        if let Some(f) = b.flights.get_mut(&q) {
            f.again = true;
            return;
        }
        b.next_id += 1;
        let id = b.next_id;
        let this = self.clone();
        let key = q.clone();
        // The book is locked until the flight is recorded, so the task finds it.
        let handle = tokio::spawn(async move { this.fly(key, id).await });
        b.flights.insert(
            q,
            Flight {
                id,
                again: false,
                handle: Some(handle),
                explaining: BTreeSet::new(),
            },
        );
    }

    /// Reads `q` until nobody asked again while it ran.
    async fn fly(self, q: Question, id: u64) {
        loop {
            self.answer(&q, id).await;
            let mut b = self.lock();
            match b.flights.get_mut(&q) {
                Some(f) if f.id == id && f.again => {
                    f.again = false;
                    f.explaining.clear();
                }
                Some(f) if f.id == id => {
                    b.flights.remove(&q);
                    return;
                }
                // Cancelled: a newer flight (or none) owns the question.
                _ => return,
            }
        }
    }

    /// One read of `q`, answered to the screen.
    async fn answer(&self, q: &Question, id: u64) {
        let tenant = self.tenant.as_deref();
        match q {
            Question::Status => {
                let (generation, blocked) = {
                    let mut b = self.lock();
                    b.generation += 1;
                    let generation = b.generation;
                    let blocked = std::mem::take(&mut b.explain);
                    if let Some(f) = b.flights.get_mut(q).filter(|f| f.id == id) {
                        f.explaining = blocked.clone();
                    }
                    (generation, blocked.into_iter().collect::<Vec<_>>())
                };
                let read = self.setup.status(tenant, &blocked).await;
                for (agent, cause) in read.causes {
                    let _ = self.tx.send(Msg::Explained(agent, cause));
                }
                let r = read.integration.map(Box::new).map_err(UiError::from);
                let _ = self.tx.send(Msg::Loaded(generation, r));
            }
            Question::Doctor => {
                let r = self.setup.doctor(tenant, true).await;
                let _ = self.tx.send(Msg::Doctor(Box::new(r)));
            }
            Question::Log(agent) => {
                let r = self.setup.agent_log(agent).await.map_err(UiError::from);
                let _ = self.tx.send(Msg::Log(agent.clone(), r));
            }
        }
    }
}
