//! The terminal's modes: raw mode and the alternate screen via ratatui, plus bracketed paste and
//! (optionally) the mouse. A guard restores everything on every exit path, panics included.

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

/// Restores the terminal when dropped, including after `?` and panics.
pub struct TerminalGuard;

fn enable_extras(mouse: bool) -> io::Result<()> {
    crossterm::execute!(io::stdout(), EnableBracketedPaste)?;
    if mouse {
        crossterm::execute!(io::stdout(), EnableMouseCapture)?;
    }
    Ok(())
}

fn disable_extras() {
    let _ = crossterm::execute!(
        io::stdout(),
        DisableBracketedPaste,
        DisableMouseCapture,
        crossterm::cursor::Show
    );
}

/// Whether brandlink holds the terminal (raw mode, alternate screen) right now. Restoring is
/// done once: leaving the alternate screen twice would move the cursor back over what was
/// printed in between (a panic message, the shell's next line).
static HELD: AtomicBool = AtomicBool::new(false);

fn take_terminal() -> io::Result<ratatui::DefaultTerminal> {
    crossterm::terminal::enable_raw_mode()?;
    HELD.store(true, Ordering::SeqCst);
    crossterm::execute!(io::stdout(), crossterm::terminal::EnterAlternateScreen)?;
    ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(io::stdout()))
}

/// Gives the terminal back (cooked mode, main screen, cursor, no mouse or paste mode), once.
fn give_back() {
    if HELD.swap(false, Ordering::SeqCst) {
        disable_extras();
        let _ = crossterm::execute!(io::stdout(), crossterm::terminal::LeaveAlternateScreen);
        let _ = crossterm::terminal::disable_raw_mode();
    }
}

impl TerminalGuard {
    pub fn enter(mouse: bool) -> io::Result<(TerminalGuard, ratatui::DefaultTerminal)> {
        // The terminal is given back before the panic message is printed.
        static HOOK: std::sync::Once = std::sync::Once::new();
        HOOK.call_once(|| {
            let prev = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                give_back();
                prev(info);
            }));
        });
        let guard = TerminalGuard;
        let terminal = take_terminal()?;
        enable_extras(mouse)?;
        Ok((guard, terminal))
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        give_back();
    }
}

/// Ctrl-Z: give the terminal back, stop, and redraw everything on `fg`.
pub fn suspend(terminal: &mut ratatui::DefaultTerminal, mouse: bool) -> io::Result<()> {
    give_back();
    #[cfg(unix)]
    {
        let _ = signal_hook::low_level::raise(signal_hook::consts::SIGTSTP);
    }
    *terminal = take_terminal()?;
    enable_extras(mouse)?;
    terminal.clear()?;
    Ok(())
}

/// The terminal bell.
pub fn bell() {
    use std::io::Write;
    let mut out = io::stdout();
    let _ = out.write_all(b"\x07").and_then(|_| out.flush());
}
