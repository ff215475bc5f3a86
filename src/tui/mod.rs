//! The full-screen terminal UI.
//!
//! - `app`: the root state (active tab, the one open dialog, shared state) and dispatch;
//! - `tabs/`: one component per tab, each owning its state, drawing and hints;
//! - `modal`: the dialogs; `form`: the forms' fields and focus; `widgets`: drawing helpers;
//! - `action` + `keymap`: named actions and the one key table;
//! - `effect`: effects asked of the runtime and messages it answers with;
//! - `runtime`: runs effects against the setup service; `reads`: one read in flight per
//!   question (askers while it runs share one follow-up); `terminal`: raw mode and restoring.
//!
//! The loop waits on terminal input, results of background tasks and (only while something
//! animates) a spinner tick; it draws only after a change, so an idle screen costs no CPU.

pub mod action;
pub mod app;
pub mod doctor;
pub mod effect;
pub mod form;
pub mod historypane;
pub mod keymap;
pub mod logpane;
pub mod migrate;
pub mod modal;
pub mod nav;
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
use futures::StreamExt;
use std::io;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc::unbounded_channel;

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

/// Runs the TUI until the operator quits.
pub async fn run(setup: Setup, opts: TuiOptions) -> io::Result<()> {
    let theme = theme::Theme::from_env();
    let mut app = App::new(opts.header.clone(), opts.keymap.clone());
    app.shared.read_only = opts.read_only;
    app.tabs.replication.bell = opts.bell;
    app.tabs.replication.poll_secs = opts.poll_interval.as_secs_f64();
    let (tx, mut rx) = unbounded_channel::<Msg>();
    let mut rt = runtime::Runtime::new(
        setup,
        opts.sandbox_url.clone(),
        opts.cert_dir.clone(),
        opts.tenant.clone(),
        crate::monitor::PollConfig::with_interval(opts.poll_interval),
        tx,
    );
    let (_guard, mut terminal) = terminal::TerminalGuard::enter(opts.mouse)?;
    let mut events = EventStream::new();
    let mut ticker = tokio::time::interval(Duration::from_millis(120));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    #[cfg(unix)]
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    rt.run(Effect::Load);
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
            Some(msg) = rx.recv() => {
                dirty = true;
                // Take every result that is already waiting, then draw once.
                let mut fx = app.on_msg(msg);
                while let Ok(more) = rx.try_recv() {
                    fx.extend(app.on_msg(more));
                }
                fx
            }
            _ = ticker.tick(), if animating => { app.shared.tick = app.shared.tick.wrapping_add(1); dirty = true; vec![] }
            _ = term => { app.quit = true; vec![] }
        };
        // Poll the queues only while the Replication tab shows them.
        let wanted = app.wanted_monitor();
        if rt.monitored() != wanted.as_slice() {
            rt.watch(&wanted);
            app.tabs.replication.reset_monitor(&wanted);
        }
        let mut work = Vec::with_capacity(effects.len());
        for e in effects {
            match e {
                Effect::Suspend => {
                    terminal::suspend(&mut terminal, opts.mouse)?;
                    dirty = true;
                }
                Effect::Bell => terminal::bell(),
                other => work.push(other),
            }
        }
        // One batch: a question asked by several results at once is read once.
        rt.run_all(work);
    }
    rt.cancel();
    Ok(())
}
