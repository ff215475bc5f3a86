//! The full-screen terminal UI.
//!
//! - `app`: the root state (active tab, the one open dialog, shared state) and dispatch;
//!   `app_fleet` its part for a fleet (the Fleet screen's actions, switching authors);
//! - `fleet/`: the Fleet screen (several authors): its state, drawing and background reader;
//! - `tabs/`: one component per tab, each owning its state, drawing and hints;
//! - `modal`: the dialogs; `form`: the forms' fields and focus; `widgets`: drawing helpers;
//! - `action` + `keymap`: named actions and the one key table;
//! - `effect`: effects asked of the runtime and messages it answers with;
//! - `runtime`: runs effects against the setup service; `reads`: one read in flight per
//!   question (askers while it runs share one follow-up); `terminal`: raw mode and restoring.
//!
//! The loop waits on terminal input, results of background tasks and (only while something
//! animates) a spinner tick; it draws only after a change, so an idle screen costs no CPU.
//! Each author the screen works on has a session: a runtime and the channel its answers come
//! back on (a fleet gets a new one per author, so nothing the previous author's tasks still
//! send can reach the screen).

pub mod action;
pub mod app;
pub mod app_fleet;
mod app_mouse;
pub mod doctor;
pub mod effect;
pub mod fleet;
pub mod form;
pub mod historypane;
pub mod keymap;
pub mod logpane;
pub mod migrate;
pub mod modal;
pub mod nav;
pub mod ops;
pub mod reads;
pub mod runtime;
pub mod scroll;
pub mod state;
pub mod tabs;
pub mod terminal;
pub mod theme;
pub mod ui;
pub mod widgets;

use crate::setup::Setup;
use app::App;
use crossterm::event::{Event, EventStream, KeyEventKind};
use effect::{Effect, Msg};
use fleet::poll::FleetPoll;
use fleet::{FleetEntry, FleetView};
use futures::StreamExt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

pub use fleet::FleetAuthor;
pub use state::HeaderInfo;

pub struct TuiOptions {
    pub header: HeaderInfo,
    pub keymap: keymap::Keymap,
    /// Base URL of the sandbox (enables the emulated Console key).
    pub sandbox_url: Option<String>,
    /// Where `AEM-Adobe-IMS.crt` is written.
    pub cert_dir: PathBuf,
    pub tenant: Option<String>,
    /// Capture the mouse (click tabs and rows, scroll). Off by default: it takes over text selection.
    pub mouse: bool,
    /// Seconds between queue polls on the Replication tab.
    pub poll_interval: Duration,
    /// Hide every action that changes AEM.
    pub read_only: bool,
    /// Ring the terminal bell when a new alert appears.
    pub bell: bool,
}

/// One author's runtime and the channel its answers come back on.
struct Session {
    rt: runtime::Runtime,
    rx: UnboundedReceiver<Msg>,
}

impl Session {
    fn start(
        setup: Setup,
        sandbox_url: Option<String>,
        tenant: Option<String>,
        opts: &TuiOptions,
    ) -> Session {
        let (tx, rx) = unbounded_channel::<Msg>();
        let rt = runtime::Runtime::new(
            setup,
            sandbox_url,
            opts.cert_dir.clone(),
            tenant,
            crate::monitor::PollConfig::with_interval(opts.poll_interval),
            tx,
        );
        Session { rt, rx }
    }
}

/// The fleet: its authors (each with its setup service), the background reader and its views.
struct Fleet {
    authors: Arc<[FleetAuthor]>,
    poll: FleetPoll,
    rx: UnboundedReceiver<FleetView>,
}

impl Fleet {
    /// The session of `profile`'s author (none when it has no setup service).
    fn session(&self, profile: &str, opts: &TuiOptions) -> Option<Session> {
        let a = self.authors.iter().find(|a| a.member.profile == profile)?;
        let setup = a.member.setup.as_ref().ok()?.clone();
        Some(Session::start(
            setup,
            a.sandbox_url.clone(),
            a.member.tenant.clone(),
            opts,
        ))
    }
}

fn new_app(opts: &TuiOptions) -> App {
    let mut app = App::new(opts.header.clone(), opts.keymap.clone());
    app.shared.read_only = opts.read_only;
    app.tabs.replication.bell = opts.bell;
    app.tabs.replication.poll_secs = opts.poll_interval.as_secs_f64();
    app
}

/// Runs the TUI on one author until the operator quits.
pub async fn run(setup: Setup, opts: TuiOptions) -> io::Result<()> {
    let app = new_app(&opts);
    let mut session = Session::start(setup, opts.sandbox_url.clone(), opts.tenant.clone(), &opts);
    session.rt.run(Effect::Load);
    run_loop(app, Some(session), None, &opts).await
}

/// Runs the TUI on a fleet, opening on the Fleet screen, until the operator quits.
pub async fn run_fleet(authors: Vec<FleetAuthor>, opts: TuiOptions) -> io::Result<()> {
    let mut app = new_app(&opts);
    app.fleet = Some(fleet::FleetScreen::new(
        authors.iter().map(FleetEntry::of).collect(),
    ));
    let authors: Arc<[FleetAuthor]> = authors.into();
    let (tx, rx) = unbounded_channel();
    let poll = FleetPoll::spawn(authors.clone(), tx);
    let fleet = Fleet { authors, poll, rx };
    run_loop(app, None, Some(fleet), &opts).await
}

async fn next_msg(session: &mut Option<Session>) -> Option<Msg> {
    match session {
        Some(s) => s.rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn next_view(fleet: &mut Option<Fleet>) -> Option<FleetView> {
    match fleet {
        Some(f) => f.rx.recv().await,
        None => std::future::pending().await,
    }
}

async fn run_loop(
    mut app: App,
    mut session: Option<Session>,
    mut fleet: Option<Fleet>,
    opts: &TuiOptions,
) -> io::Result<()> {
    let theme = theme::Theme::from_env();
    let (_guard, mut terminal) = terminal::TerminalGuard::enter(opts.mouse)?;
    let mut events = EventStream::new();
    let mut ticker = tokio::time::interval(Duration::from_millis(120));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    #[cfg(unix)]
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut dirty = true;
    // A test hook (feature `test-hooks`, which only the test suite turns on): fail after the
    // first frame, so the tests can see the terminal restored after a panic and after an error.
    #[cfg(feature = "test-hooks")]
    let mut test_fault = std::env::var("BRANDLINK_TEST_FAULT").ok();
    loop {
        if dirty {
            let mut clicks = app::ClickMap::default();
            terminal.draw(|f| clicks = ui::draw(f, &app, &theme))?;
            app.clicks = clicks;
            dirty = false;
        }
        #[cfg(feature = "test-hooks")]
        #[allow(clippy::panic, reason = "the test hook's purpose is to panic")]
        match test_fault.take().as_deref() {
            Some("panic") => panic!("test fault: a panic inside the terminal UI"),
            Some("error") => return Err(io::Error::other("test fault: a terminal error")),
            _ => {}
        }
        if app.quit {
            break;
        }
        let animating = app.animating();
        #[cfg(unix)]
        let term = sigterm.recv();
        #[cfg(not(unix))]
        let term = std::future::pending::<Option<()>>();
        let effects = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) if k.kind == KeyEventKind::Press => { dirty = true; app.on_key(k) }
                Some(Ok(Event::Paste(text))) => { dirty = true; app.on_paste(&text); vec![] }
                Some(Ok(Event::Mouse(m))) if opts.mouse => { dirty = true; app.on_mouse(m) }
                Some(Ok(Event::Resize(..))) => { dirty = true; vec![] }
                Some(Ok(_)) => vec![],
                Some(Err(_)) | None => break,
            },
            Some(msg) = next_msg(&mut session) => {
                dirty = true;
                on_messages(&mut app, msg, session.as_mut().map(|s| &mut s.rx), fleet.is_some())
            }
            Some(view) = next_view(&mut fleet) => {
                dirty = true;
                app.on_fleet(view);
                while let Some(more) = fleet.as_mut().and_then(|f| f.rx.try_recv().ok()) {
                    app.on_fleet(more);
                }
                vec![]
            }
            _ = ticker.tick(), if animating => { app.shared.tick = app.shared.tick.wrapping_add(1); dirty = true; vec![] }
            _ = term => { app.quit = true; vec![] }
        };
        // Poll the queues only while the Replication tab shows them, the fleet only while the
        // Fleet screen shows.
        if let Some(s) = &mut session {
            let wanted = app.wanted_monitor();
            if s.rt.monitored() != wanted.as_slice() {
                s.rt.watch(&wanted);
                app.tabs.replication.reset_monitor(&wanted);
            }
        }
        if let Some(f) = &fleet {
            f.poll.show(app.on_fleet_screen());
        }
        if carry_out(effects, &mut session, fleet.as_ref(), &mut terminal, opts)? {
            dirty = true;
        }
    }
    if let Some(s) = &mut session {
        s.rt.cancel();
    }
    Ok(())
}

/// Applies a session's answer and every one already waiting (then the screen draws once). In
/// a fleet, an operation that ended has the fleet read its author again.
fn on_messages(
    app: &mut App,
    first: Msg,
    rx: Option<&mut UnboundedReceiver<Msg>>,
    in_fleet: bool,
) -> Vec<Effect> {
    let ends = |m: &Msg| ops::Operation::answered_by(m).is_some_and(|o| o.descriptor().ends_busy);
    let mut ended = ends(&first);
    let mut fx = app.on_msg(first);
    if let Some(rx) = rx {
        while let Ok(more) = rx.try_recv() {
            ended |= ends(&more);
            fx.extend(app.on_msg(more));
        }
    }
    if ended && in_fleet {
        fx.push(Effect::FleetRefresh(
            app.current_profile().map(str::to_string),
        ));
    }
    fx
}

/// Carries out what the screen asked: the terminal's own effects here, a new author's session,
/// the fleet's reads, and the rest as one batch in the current session (a question asked by
/// several results at once is read once). Returns whether the screen needs drawing.
fn carry_out(
    effects: Vec<Effect>,
    session: &mut Option<Session>,
    fleet: Option<&Fleet>,
    terminal: &mut ratatui::DefaultTerminal,
    opts: &TuiOptions,
) -> io::Result<bool> {
    let mut dirty = false;
    let mut work = Vec::with_capacity(effects.len());
    for e in effects {
        match e {
            Effect::Suspend => {
                terminal::suspend(terminal, opts.mouse)?;
                dirty = true;
            }
            Effect::Bell => terminal::bell(),
            Effect::Author(profile) => {
                // What was asked before the switch was for the author being left.
                work.clear();
                if let Some(s) = session {
                    s.rt.stop_reads();
                }
                *session = fleet.and_then(|f| f.session(&profile, opts));
            }
            Effect::FleetRefresh(profile) => {
                if let Some(f) = fleet {
                    f.poll.refresh(profile);
                }
            }
            other => work.push(other),
        }
    }
    if let Some(s) = session {
        s.rt.run_all(work);
    }
    Ok(dirty)
}
