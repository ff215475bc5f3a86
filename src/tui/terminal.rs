//! The terminal's modes: raw mode and the alternate screen via ratatui, plus bracketed paste and
//! (optionally) the mouse. A guard restores everything on every exit path, panics included.

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use std::io;

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

impl TerminalGuard {
    pub fn enter(mouse: bool) -> io::Result<(TerminalGuard, ratatui::DefaultTerminal)> {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            disable_extras();
            prev(info);
        }));
        let terminal = ratatui::try_init()?;
        enable_extras(mouse)?;
        Ok((TerminalGuard, terminal))
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        disable_extras();
        ratatui::restore();
    }
}

/// Ctrl-Z: give the terminal back, stop, and redraw everything on `fg`.
pub fn suspend(terminal: &mut ratatui::DefaultTerminal, mouse: bool) -> io::Result<()> {
    disable_extras();
    ratatui::restore();
    #[cfg(unix)]
    {
        let _ = signal_hook::low_level::raise(signal_hook::consts::SIGTSTP);
    }
    *terminal = ratatui::try_init()?;
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
