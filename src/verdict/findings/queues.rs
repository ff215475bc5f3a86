//! The queues: blocked (with the cause from the agent log), retried heads, old items, pauses.

use super::*;

pub(super) fn queue_errors(ev: &Evidence) -> Option<Finding> {
    let (a, e) = ev
        .agents
        .iter()
        .find_map(|a| a.queue.as_ref().err().map(|e| (a, e)))?;
    Some(Finding::fail(
        "queues.blocked",
        format!("cannot read the queue of {}: {e}", a.info.id),
    ))
}

pub(super) fn log_cause(facts: &Facts, a: &AgentEvidence) -> Option<super::super::causes::Cause> {
    facts.agent_cause(&a.info.id)
}

pub(super) fn blocked(ev: &Evidence) -> Finding {
    let id = "queues.blocked";
    if ev.agents.is_empty() {
        return Finding::skip(id, "no Brand Portal agents");
    }
    if let Some(f) = queue_errors(ev) {
        return f;
    }
    let stuck: Vec<&AgentEvidence> = ev
        .agents
        .iter()
        .filter(|a| a.queue.as_ref().is_ok_and(|q| q.blocked))
        .collect();
    if stuck.is_empty() {
        return Finding::ok(id, "no queue is blocked");
    }
    let items: usize = stuck
        .iter()
        .filter_map(|a| a.queue.as_ref().ok())
        .map(|q| q.items.len())
        .sum();
    let finding = format!(
        "{} of {} queues blocked ({}; {items} items listed)",
        stuck.len(),
        ev.agents.len(),
        ids(&stuck)
    );
    let facts = ev.facts();
    // A blocked queue publishes nothing, whatever the cause: green means working.
    let Some(c) = stuck.iter().find_map(|a| log_cause(&facts, a)) else {
        let c = super::super::causes::unexplained_block();
        let mut f = Finding::fail(id, format!("{finding}: {}", c.kind.label()))
            .cause(c.cause)
            .fix(c.fix)
            .source(TROUBLESHOOTING);
        f.command = c.command;
        return f;
    };
    let f = Finding::fail(id, format!("{finding}: {}", c.label()))
        .explained(&c)
        .source(TROUBLESHOOTING);
    match c.kind {
        CauseKind::JwtRetired => f.remedy(Remedy::Migrate),
        CauseKind::Timeout => f.remedy(Remedy::CloseConnection(
            stuck.iter().map(|a| a.info.id.clone()).collect(),
        )),
        _ => f,
    }
}

pub(super) fn retries(ev: &Evidence) -> Finding {
    let id = "queues.retries";
    let heads: Vec<(&str, &crate::aem::queue::QueueItem)> = ev
        .agents
        .iter()
        .filter_map(|a| Some((a.info.id.as_str(), a.queue.as_ref().ok()?.items.first()?)))
        .filter(|(_, item)| item.attempts > RETRIES_WARN)
        .collect();
    match heads.iter().max_by_key(|(_, i)| i.attempts) {
        None if ev.agents.is_empty() => Finding::skip(id, "no Brand Portal agents"),
        None => Finding::ok(
            id,
            format!("no head item tried more than {RETRIES_WARN} times"),
        ),
        Some((agent, item)) => Finding::warn(
            id,
            format!(
                "the head item of {agent} ({}) was tried {} times{}",
                item.path,
                item.attempts,
                if heads.len() > 1 {
                    format!(", and {} more queues retry their head", heads.len() - 1)
                } else {
                    String::new()
                }
            ),
        )
        .cause("every attempt fails the same way; the items behind it wait")
        .fix(
            "run Test Connection and fix what it reports (the queues.blocked line names the cause)",
        )
        .source(TROUBLESHOOTING),
    }
}

pub(super) fn wait_words(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("{s} seconds"),
        s if s < 7200 => format!("{} minutes", s / 60),
        s if s < 172_800 => format!("{} hours", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}

pub(super) fn oldest(ev: &Evidence) -> Finding {
    let id = "queues.oldest";
    if ev.agents.is_empty() {
        return Finding::skip(id, "no Brand Portal agents");
    }
    let now_ms = ev.read_at * 1000;
    let oldest = ev
        .agents
        .iter()
        .filter_map(|a| {
            let q = a.queue.as_ref().ok()?;
            q.items
                .iter()
                .filter(|i| i.time > 0)
                .min_by_key(|i| i.time)
                .map(|i| (a.info.id.as_str(), i))
        })
        .min_by_key(|(_, i)| i.time);
    match oldest {
        None => Finding::ok(id, "the queues are empty"),
        Some((agent, item)) => {
            let age = (now_ms - item.time) / 1000;
            if age > OLDEST_WARN_SECS {
                Finding::warn(id, format!("the oldest item ({}, on {agent}) has waited {}", item.path, wait_words(age)))
                    .cause("items should reach Brand Portal within minutes")
                    .fix("see queues.blocked and queues.paused; if neither, the tenant is slow: watch the queues (brandlink queues --watch)")
                    .source(TROUBLESHOOTING)
            } else {
                Finding::ok(
                    id,
                    format!("the oldest item has waited {}", wait_words(age.max(0))),
                )
            }
        }
    }
}

pub(super) fn paused(ev: &Evidence) -> Finding {
    let id = "queues.paused";
    if ev.agents.is_empty() {
        return Finding::skip(id, "no Brand Portal agents");
    }
    let held: Vec<&AgentEvidence> = ev
        .agents
        .iter()
        .filter(|a| a.queue.as_ref().is_ok_and(|q| q.paused))
        .collect();
    if held.is_empty() {
        return Finding::ok(id, "no queue is paused");
    }
    let since: Vec<String> = held
        .iter()
        .map(|a| {
            let when = a.log.as_ref().ok().and_then(|l| {
                l.iter()
                    .rev()
                    .find(|l| l.event == crate::evidence::LogEvent::QueuePaused)
                    .and_then(|l| l.time.clone())
            });
            match when {
                Some(t) => format!("{} since {t}", a.info.id),
                None => format!("{} (the log does not say since when)", a.info.id),
            }
        })
        .collect();
    Finding::warn(id, format!("paused: {}", since.join(", ")))
        .cause("a paused queue holds its items; AEM lifts a pause after about an hour, so someone may have paused it on purpose")
        .fix("resume it when the work that needed the pause is done: in AEM on the agent's queue page, or on the Replication tab of `brandlink`")
        .remedy(Remedy::Resume(held.iter().map(|a| a.info.id.clone()).collect()))
}
