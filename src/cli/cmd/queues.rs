//! `brandlink queues [--watch]`: the Brand Portal queues through the same monitor model as the
//! Replication tab (history, change markers, alerts).

use crate::cli::args::QueuesArgs;
use crate::cli::context::Context;
use crate::cli::output::{CliError, Report, out, reader_gone};
use crate::monitor::model::AgentHistory;
use crate::monitor::{Alert, AlertRules, MonitorModel, poll_cycle};
use crate::setup::QueueState;
use serde::Serialize;
use std::time::Duration;

/// The head of a queue.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HeadItem {
    pub path: String,
    pub action: String,
    pub attempts: u64,
}

/// One agent's queue, without volatile fields, so a row changes only when the queue does.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueRow {
    pub agent: String,
    /// `idle`, `active`, `blocked`, `paused`, `disabled`, or `unknown`.
    pub state: String,
    pub pending: Option<u64>,
    pub pending_at_least: bool,
    pub trend: Option<String>,
    pub blocked: bool,
    pub paused: bool,
    pub head: Option<HeadItem>,
    pub error: Option<String>,
}

impl QueueRow {
    pub fn of(id: &str, h: &AgentHistory) -> QueueRow {
        let unknown = |pending, error| QueueRow {
            agent: id.to_string(),
            state: "unknown".into(),
            pending,
            pending_at_least: false,
            trend: None,
            blocked: false,
            paused: false,
            head: None,
            error,
        };
        match (&h.latest, &h.error) {
            (_, Some(e)) => unknown(h.pending(), Some(e.clone())),
            (Some(v), None) => QueueRow {
                agent: id.to_string(),
                state: serde_json::to_value(v.state)
                    .ok()
                    .and_then(|s| s.as_str().map(str::to_string))
                    .unwrap_or_else(|| format!("{:?}", v.state).to_lowercase()),
                pending: Some(v.depth.count),
                pending_at_least: v.depth.at_least,
                // `null` when there is no change to show, never "".
                trend: h
                    .trend
                    .map(|t| t.marker().trim().to_string())
                    .filter(|t| !t.is_empty()),
                blocked: v.state == QueueState::Blocked,
                paused: v.state == QueueState::Paused,
                head: v.head().map(|i| HeadItem {
                    path: i.path.clone(),
                    action: i.action.clone(),
                    attempts: i.attempts,
                }),
                error: None,
            },
            (None, None) => unknown(None, None),
        }
    }

    fn line(&self) -> String {
        let head = self
            .head
            .as_ref()
            .map(|h| {
                format!(
                    " head {} ({})",
                    h.path,
                    crate::words::count(h.attempts, "attempt", "attempts")
                )
            })
            .unwrap_or_default();
        match &self.error {
            Some(e) => format!("  {:<24} ERROR {e}", self.agent),
            None => format!(
                "  {:<24} {:<8} pending {}{}{}{head}",
                self.agent,
                self.state,
                if self.pending_at_least { "≥" } else { "" },
                self.pending
                    .map(|p| p.to_string())
                    .unwrap_or_else(|| "null".into()),
                self.trend.as_deref().unwrap_or(""),
            ),
        }
    }
}

/// `queues --json`: `ok`, `tenantUrl`, `totalPending`, `queues[]`, `alerts[]`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuesReport {
    pub ok: bool,
    pub tenant_url: String,
    pub total_pending: u64,
    pub queues: Vec<QueueRow>,
    pub alerts: Vec<Alert>,
}

/// One `queues --watch --json` line: the one-shot report's shape, with the time (RFC 3339) of
/// the poll that changed something.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WatchLine<'a> {
    pub ok: bool,
    pub time: String,
    pub tenant_url: &'a str,
    pub total_pending: u64,
    pub queues: &'a [QueueRow],
    pub alerts: &'a [Alert],
}

/// A check passes when every queue was read, none is blocked and no agent is disabled (its
/// share never arrives), as in `status` and `agents`.
fn healthy(queues: &[QueueRow]) -> bool {
    !queues.is_empty()
        && queues
            .iter()
            .all(|r| r.error.is_none() && !r.blocked && r.state != "disabled")
}

fn rows(model: &MonitorModel) -> Vec<QueueRow> {
    model
        .agents
        .iter()
        .map(|(id, h)| QueueRow::of(id, h))
        .collect()
}

/// Reads the logs once for every blocked queue whose cause is not known yet (once per
/// blocking), so that its alert names the cause.
async fn explain(setup: &crate::setup::Setup, model: &mut MonitorModel) {
    let ids = model.unexplained();
    if ids.is_empty() {
        return;
    }
    for (id, cause) in setup.block_causes(None, &ids).await {
        model.set_cause(&id, cause);
    }
}

pub async fn run(ctx: &Context, a: &QueuesArgs) -> Result<Report, CliError> {
    let setup = ctx.setup()?;
    let (tenant, ids) = setup
        .tenant_and_agent_ids(ctx.tenant_or(&a.tenant).as_deref())
        .await?;
    let mut model = MonitorModel::new(&ids, AlertRules::default());
    if !a.watch {
        for snap in poll_cycle(&setup.reader(), &ids).await {
            model.apply(snap);
        }
        explain(&setup, &mut model).await;
        let queues = rows(&model);
        let alerts = model.alerts(chrono::Utc::now().timestamp_millis());
        let ok = healthy(&queues);
        let mut text = format!(
            "Queues for {tenant}:\n{}\n",
            queues
                .iter()
                .map(QueueRow::line)
                .collect::<Vec<_>>()
                .join("\n")
        );
        for al in &alerts {
            text.push_str(&format!("  ⚠ {}\n", al.message));
            if let Some(fix) = &al.fix {
                text.push_str(&format!("    → {fix}\n"));
            }
        }
        let body = QueuesReport {
            ok,
            tenant_url: tenant,
            total_pending: model.total_pending(),
            queues,
            alerts,
        };
        return Ok(Report::new(ok, text, &body));
    }
    let interval = Duration::from_secs(a.interval.max(1));
    let mut last: Vec<QueueRow> = Vec::new();
    let mut n = 0u64;
    // Whether the last poll reached every agent: a watch that ends on failing polls fails.
    let mut last_ok;
    loop {
        let snaps = poll_cycle(&setup.reader(), &ids).await;
        last_ok = snaps.iter().all(|s| s.result.is_ok());
        for snap in snaps {
            model.apply(snap);
        }
        explain(&setup, &mut model).await;
        let queues = rows(&model);
        let alerts = model.alerts(chrono::Utc::now().timestamp_millis());
        if queues != last {
            let now = chrono::Utc::now().timestamp_millis();
            let text = if ctx.json {
                let line = WatchLine {
                    ok: healthy(&queues),
                    time: crate::when::rfc3339_millis(now).unwrap_or_default(),
                    tenant_url: &tenant,
                    total_pending: model.total_pending(),
                    queues: &queues,
                    alerts: &alerts,
                };
                format!("{}\n", serde_json::to_string(&line).unwrap_or_default())
            } else {
                let mut t = format!(
                    "{} total pending {}\n",
                    crate::when::moment(now),
                    model.total_pending()
                );
                for r in &queues {
                    t.push_str(&format!("{}\n", r.line()));
                }
                for al in &alerts {
                    t.push_str(&format!("  ⚠ {}\n", al.message));
                }
                t
            };
            match out(&text) {
                Ok(()) => {}
                // The reader went away (`| head`): stop quietly.
                Err(e) if reader_gone(&e) => break,
                Err(e) => return Err(CliError::Failed(format!("cannot write the output: {e}"))),
            }
            last = queues;
        }
        n += 1;
        if a.polls.is_some_and(|p| n >= p) {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    if !last_ok {
        eprintln!("error: the last poll could not read every queue (see the lines above)");
    }
    Ok(Report::streamed(last_ok))
}
