//! `brandlink history`: the changes brandlink made, newest first, from the change history
//! (`$XDG_STATE_HOME/brandlink/changes.jsonl`).

use crate::cli::args::HistoryArgs;
use crate::cli::context::Context;
use crate::cli::output::{CliError, Report};
use crate::setup::history::Recorder;

/// `history --json`: an array of records, newest first (see the README's JSON section).
pub fn run(ctx: &Context, a: &HistoryArgs) -> Result<Report, CliError> {
    let h = Recorder::default().read().map_err(|e| {
        CliError::Failed(format!(
            "the change history cannot be read: {e}; fix the file's owner or mode (0600), or move it aside"
        ))
    })?;
    for u in &h.unreadable {
        eprintln!(
            "warning: {} line {} cannot be read ({}); it is left out",
            h.path.display(),
            u.line,
            u.error
        );
    }
    let url = (!a.all).then_some(ctx.url.as_str());
    let records = h.changes(url, a.limit);
    let mut text = String::new();
    if records.is_empty() {
        text.push_str(&format!(
            "No changes recorded{} in {}.\n",
            url.map(|u| format!(" for {u}")).unwrap_or_default(),
            h.path.display()
        ));
    }
    for r in &records {
        for l in r.lines(a.all) {
            text.push_str(&l);
            text.push('\n');
        }
    }
    Ok(Report::new(true, text, &records))
}
