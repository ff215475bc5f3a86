//! The live monitor on the Replication tab: alerts, the bell, freeze, failing polls, causes, the log pane.

use super::*;

#[test]
fn monitor_on_the_replication_tab() {
    use brandlink::aem::queue::QueueState as S;
    let mut a = loaded(configured(), false);
    assert_eq!(a.wanted_monitor().len(), 4, "polling while the tab shows");
    let wanted = a.wanted_monitor();
    a.tabs.replication.reset_monitor(&wanted);
    let now = 1_798_761_600_000;
    a.shared.clock = Some(now);
    for (i, n) in [40u64, 30, 20].iter().enumerate() {
        a.on_msg(live(
            "mp_replication_a1",
            S::Active,
            *n,
            now - (3 - i as i64) * 2000,
        ));
    }
    a.on_msg(live("mp_replication_b2", S::Blocked, 7, now));
    a.on_msg(live("mp_replication", S::Idle, 0, now));
    let screen = render(&a);
    assert!(screen.contains("total pending 27"), "{screen}");
    assert!(screen.contains("20↓"), "change marker: {screen}");
    assert!(screen.contains("queue blocked"), "alert shown: {screen}");
    // Freeze keeps the figures.
    a.on_action(Action::Freeze);
    a.on_msg(live("mp_replication_a1", S::Active, 5, now));
    assert_eq!(
        a.tabs.replication.pending("mp_replication_a1", &a.shared),
        Some(20)
    );
    a.on_action(Action::Freeze);
    // Clear needs the agent id typed.
    a.tabs.replication.agent_sel = 1;
    assert!(a.on_action(Action::ClearQueue).is_empty());
    assert!(matches!(a.modal, Some(Modal::ClearQueue(_))));
    insta::assert_snapshot!(
        "replication_clear_confirm",
        render(&a)
            .lines()
            .skip(8)
            .take(12)
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The count stays live while the dialog is open.
    let before = match &a.modal {
        Some(Modal::ClearQueue(c)) => c.pending,
        _ => unreachable!(),
    };
    a.on_msg(live(
        "mp_replication_a1",
        S::Active,
        before + 7,
        now + 2_000,
    ));
    assert!(
        matches!(&a.modal, Some(Modal::ClearQueue(c)) if c.pending == before + 7),
        "the dialog's count follows the queue"
    );
    assert!(render(&a).contains(&format!("{} items will be dropped", before + 7)));
    for c in "mp_repl".chars() {
        a.on_key(key(c));
    }
    assert!(
        a.on_key(code(KeyCode::Enter)).is_empty(),
        "not the full id yet"
    );
    for c in "ication_a1".chars() {
        a.on_key(key(c));
    }
    let fx = a.on_key(code(KeyCode::Enter));
    assert!(
        matches!(fx.as_slice(), [Effect::Queue(id, QueueOp::Clear)] if id == "mp_replication_a1")
    );
    a.shared.busy = None;
    // Pause turns into resume on a paused queue; force retry.
    a.on_msg(live("mp_replication_a1", S::Paused, 3, now));
    assert!(matches!(
        a.on_key(key('p')).as_slice(),
        [Effect::Queue(_, QueueOp::Resume)]
    ));
    assert!(matches!(
        a.on_key(key('R')).as_slice(),
        [Effect::Queue(_, QueueOp::ForceRetry)]
    ));
    // The log pane.
    let fx = a.on_key(key('L'));
    assert!(matches!(fx.as_slice(), [Effect::FetchLog(id)] if id == "mp_replication_a1"));
    let lines = (0..300)
        .map(|i| brandlink::aem::agents::LogLine {
            time: Some("25.11.2026 10:00:00".into()),
            message: format!("line {i}"),
        })
        .collect();
    a.on_msg(Msg::Log("mp_replication_a1".into(), Ok(lines)));
    let screen = render(&a);
    assert!(
        screen.contains("line 299") && !screen.contains("line 100 "),
        "the end of the log is shown"
    );
    a.on_key(code(KeyCode::Up));
    assert!(render(&a).contains("line 298"));
    a.on_key(code(KeyCode::Esc));
    assert!(a.modal.is_none());
    // Read-only hides the actions.
    a.shared.read_only = true;
    assert!(a.on_key(key('R')).is_empty());
    assert!(a.shared.notice.as_ref().unwrap().text.contains("read-only"));
    // Leaving the tab stops the polling.
    a.on_action(Action::GotoAccount);
    assert!(a.wanted_monitor().is_empty());
}

#[test]
fn a_long_queue_renders_only_what_fits() {
    use brandlink::aem::queue::QueueState as S;
    let mut a = loaded(configured(), false);
    let wanted = a.wanted_monitor();
    a.tabs.replication.reset_monitor(&wanted);
    let now = 1_798_761_600_000;
    a.shared.clock = Some(now);
    a.on_msg(live("mp_replication", S::Active, 10_000, now));
    let screen = render(&a);
    assert!(screen.contains("items 1–"), "{screen}");
    assert!(screen.contains("of 60 listed; PgUp/PgDn"), "{screen}");
    assert!(screen.contains("oldest item waiting 5s"), "{screen}");
    assert!(
        screen.contains("not draining"),
        "no deliveries seen yet: {screen}"
    );
    // PgDn moves through the list; a new agent starts at the top again.
    a.on_key(code(KeyCode::PageDown));
    let down = render(&a);
    assert!(down.contains("items 11–"), "{down}");
    assert!(down.contains("asset-00010.jpg"), "{down}");
    a.on_key(code(KeyCode::PageUp));
    assert!(render(&a).contains("items 1–"));
}

#[test]
fn the_bell_rings_once_per_new_alert() {
    use brandlink::aem::queue::QueueState as S;
    let mut a = loaded(configured(), false);
    let wanted = a.wanted_monitor();
    a.tabs.replication.reset_monitor(&wanted);
    a.shared.clock = Some(1_798_761_600_000);
    a.tabs.replication.bell = true;
    assert!(
        a.on_msg(live("mp_replication", S::Idle, 0, 1_798_761_600_000))
            .is_empty()
    );
    let fx = a.on_msg(live("mp_replication", S::Blocked, 3, 1_798_761_600_000));
    assert!(
        matches!(
            fx.as_slice(),
            [Effect::Load, Effect::ExplainQueue(agent), Effect::Bell] if agent == "mp_replication"
        ),
        "the bell, the step read again and the log read for the cause: {fx:?}"
    );
    assert!(
        a.on_msg(live("mp_replication", S::Blocked, 3, 1_798_761_600_000))
            .is_empty(),
        "not again for the same alert"
    );
    a.tabs.replication.bell = false;
    assert!(
        a.on_msg(live("mp_replication_a1", S::Disabled, 3, 1_798_761_600_000))
            .is_empty()
    );
}

#[test]
fn freeze_holds_every_figure() {
    use brandlink::aem::queue::QueueState as S;
    let mut a = loaded(configured(), false);
    a.on_action(Action::GotoReplication);
    let t0 = 1_800_000_000_000;
    a.shared.clock = Some(t0);
    a.on_msg(live("mp_replication", S::Active, 40, t0 - 4_000));
    a.on_msg(live("mp_replication", S::Active, 20, t0 - 2_000));
    a.on_action(Action::Freeze);
    let frozen = render(&a);
    assert!(frozen.contains("FROZEN"), "{frozen}");
    // Time passes and polls arrive: nothing on the screen moves.
    a.shared.clock = Some(t0 + 45_000);
    a.on_msg(live("mp_replication", S::Active, 90, t0 + 44_000));
    assert_eq!(
        render(&a),
        frozen,
        "rates, ages and counts stay as they were"
    );
    a.on_action(Action::Freeze);
    assert_ne!(render(&a), frozen, "live again");
}

#[test]
fn failing_polls_keep_the_last_figures_and_say_so() {
    use brandlink::aem::queue::QueueState as S;
    use brandlink::monitor::Snapshot;
    let mut a = loaded(configured(), false);
    a.on_action(Action::GotoReplication);
    let t0 = 1_800_000_000_000;
    a.shared.clock = Some(t0);
    let ids: Vec<String> = a
        .shared
        .snapshot
        .as_ref()
        .map(|s| s.agents.iter().map(|x| x.info.id.clone()).collect())
        .unwrap_or_default();
    for (k, n) in [(6, 50u64), (4, 40), (2, 30)] {
        for id in &ids {
            a.on_msg(live(id, S::Active, n, t0 - k * 1000));
        }
    }
    let good = render(&a);
    assert!(good.contains("● connected"), "{good}");
    let spark: Vec<&str> = good.lines().filter(|l| l.contains('█')).collect();
    assert!(!spark.is_empty(), "{good}");
    // AEM answers 503 to every poll now.
    for id in &ids {
        a.on_msg(Msg::Monitor(Snapshot {
            agent: id.clone(),
            at: t0,
            result: Err("AEM at http://localhost:4502 is starting or restarting (503)".into()),
        }));
    }
    let bad = render(&a);
    assert!(!bad.contains("● connected"), "{bad}");
    assert!(bad.contains("polls failing since"), "{bad}");
    assert!(
        bad.contains(&format!("total pending {}", 30 * ids.len())),
        "the summary adds up the rows: {bad}"
    );
    assert!(
        bad.lines().filter(|l| l.contains('█')).count() >= spark.len(),
        "the sparklines keep the last good figures: {bad}"
    );
}

#[test]
fn blocked_queues_are_explained_and_all_alerts_can_be_opened() {
    use brandlink::aem::queue::QueueState as S;
    use brandlink::monitor::BlockCause;
    let mut a = loaded(configured(), false);
    a.on_action(Action::GotoReplication);
    let t0 = 1_800_000_000_000;
    a.shared.clock = Some(t0);
    let ids: Vec<String> = a
        .shared
        .snapshot
        .as_ref()
        .map(|s| s.agents.iter().map(|x| x.info.id.clone()).collect())
        .unwrap_or_default();
    let mut asked = Vec::new();
    for id in &ids {
        let effects = a.on_msg(live(id, S::Blocked, 60, t0));
        assert!(
            effects.iter().any(|e| matches!(e, Effect::Load)),
            "a queue that blocks has the step read again: {effects:?}"
        );
        for e in effects {
            if let Effect::ExplainQueue(agent) = e {
                asked.push(agent);
            }
        }
    }
    assert_eq!(asked, ids, "each blocked queue's log is read once");
    // A second poll asks nothing more.
    let again = a.on_msg(live(&ids[0], S::Blocked, 60, t0 + 2_000));
    assert!(again.is_empty(), "{again:?}");
    for id in &ids {
        a.on_msg(Msg::Explained(
            id.clone(),
            Some(BlockCause {
                label: "Brand Portal answers 5xx".into(),
                fix: "wait for the tenant to come back".into(),
            }),
        ));
    }
    let screen = render(&a);
    assert!(
        screen.contains("all 4 agents: queue blocked: Brand Portal answers 5xx"),
        "{screen}"
    );
    a.on_key(key('A'));
    assert!(matches!(a.modal, Some(Modal::Alerts { .. })));
    let overlay = render(&a);
    assert!(
        overlay.contains("fix: wait for the tenant to come back"),
        "{overlay}"
    );
    a.on_action(Action::Back);
    // Recovery: the step is read again.
    let effects = a.on_msg(live(&ids[0], S::Active, 59, t0 + 4_000));
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Load)),
        "{effects:?}"
    );
}

#[test]
fn the_log_pane_follows_pages_searches_and_wraps() {
    use std::time::Duration;
    let mut a = loaded(configured(), false);
    a.on_action(Action::GotoReplication);
    let fx = a.on_key(key('L'));
    assert!(matches!(fx.as_slice(), [Effect::FetchLog(_)]), "{fx:?}");
    let agent = match &a.modal {
        Some(Modal::Log(l)) => l.agent.clone(),
        other => panic!("{other:?}"),
    };
    let lines = |n: usize| -> Vec<brandlink::aem::agents::LogLine> {
        (0..n)
            .map(|i| brandlink::aem::agents::LogLine {
                time: Some("25.11.2026 10:00:00".into()),
                message: if i == 1234 {
                    format!(
                        "line {i} Transfer failed: Server returned status code 503 {}",
                        "x".repeat(150)
                    )
                } else {
                    format!("line {i}")
                },
            })
            .collect()
    };
    // Following: the end is shown and the log is read again in 2 s.
    let fx = a.on_msg(Msg::Log(agent.clone(), Ok(lines(3000))));
    assert!(
        matches!(fx.as_slice(), [Effect::FetchLogLater(x, d)] if *x == agent && *d == Duration::from_secs(2)),
        "{fx:?}"
    );
    let s = render(&a);
    assert!(s.contains("line 2999") && s.contains("following"), "{s}");
    // New lines arrive: still at the end.
    a.on_msg(Msg::Log(agent.clone(), Ok(lines(3010))));
    assert!(render(&a).contains("line 3009"));
    // Paging stops following; Home and End.
    a.on_key(code(KeyCode::PageUp));
    let s = render(&a);
    assert!(
        s.contains("line 2989") && !s.contains("line 3009") && s.contains("paused"),
        "{s}"
    );
    let fx = a.on_msg(Msg::Log(agent.clone(), Ok(lines(3020))));
    assert!(fx.is_empty(), "not following: no more reads");
    assert!(
        render(&a).contains("line 2989"),
        "the window stays where it was"
    );
    a.on_key(code(KeyCode::Home));
    assert!(render(&a).contains("line 0 "));
    a.on_key(code(KeyCode::End));
    assert!(render(&a).contains("line 3019"));
    // Search: / 503 ⏎ jumps to the line; n again wraps around to it.
    a.on_key(key('/'));
    for c in "status code 503".chars() {
        a.on_key(key(c));
    }
    assert!(render(&a).contains("/status code 503"));
    a.on_key(code(KeyCode::Enter));
    let s = render(&a);
    assert!(s.contains("line 1235/3020"), "the 1,235th line: {s}");
    assert!(s.contains("search wrapped around"), "from the end: {s}");
    a.on_key(key('n'));
    assert!(render(&a).contains("the only line that matches"));
    // Wrap shows the long line whole.
    let cut = render(&a);
    a.on_key(key('w'));
    let wrapped = render(&a);
    assert!(wrapped.contains("wrapping"), "{wrapped}");
    assert_ne!(cut, wrapped);
    // f follows again (and reads now).
    let fx = a.on_key(key('f'));
    assert!(matches!(fx.as_slice(), [Effect::FetchLog(_)]), "{fx:?}");
    a.on_key(code(KeyCode::Esc));
    assert!(a.modal.is_none());
}
