//! The model on synthetic histories: throughput, trends, staleness, alerts.

use super::*;
use crate::aem::queue::DepthSource;

fn view(state: QueueState, pending: u64, attempts: u64) -> QueueView {
    let items = (0..pending.min(2))
        .map(|i| QueueItem {
            id: format!("i{i}"),
            path: format!("/p{i}"),
            action: "Activate".into(),
            user: "u".into(),
            time: 0,
            last_processed: None,
            attempts,
        })
        .collect();
    QueueView {
        state,
        depth: Depth {
            count: pending,
            at_least: false,
            source: DepthSource::Jmx,
        },
        next_retry: None,
        last_process_time: None,
        items: Arc::new(items),
    }
}

fn snap(agent: &str, at: i64, v: Result<QueueView, String>) -> Snapshot {
    Snapshot {
        agent: agent.into(),
        at,
        result: v,
    }
}

/// A queue listing items `from..to` (ids `i<n>`), with AEM's last processing time.
fn listed(state: QueueState, from: u64, to: u64, depth: u64, processed: i64) -> QueueView {
    let items = (from..to.min(from + 50))
        .map(|i| QueueItem {
            id: format!("i{i}"),
            path: format!("/p{i}"),
            action: "Activate".into(),
            user: "u".into(),
            time: 0,
            last_processed: None,
            attempts: 0,
        })
        .collect();
    QueueView {
        state,
        depth: Depth {
            count: depth,
            at_least: false,
            source: DepthSource::Jmx,
        },
        next_retry: None,
        last_process_time: Some(processed),
        items: Arc::new(items),
    }
}

#[test]
fn throughput_counts_deliveries_only() {
    let ids = vec!["a".to_string()];
    // A clear: 505 items gone at once, AEM processed nothing.
    let mut m = MonitorModel::new(&ids, AlertRules::default());
    m.apply(snap("a", 0, Ok(listed(QueueState::Active, 0, 505, 505, 1))));
    m.apply(snap("a", 2_000, Ok(listed(QueueState::Idle, 0, 0, 0, 1))));
    assert_eq!(
        m.agents["a"].throughput_per_min(2_000),
        0.0,
        "a clear is no delivery"
    );
    // Paused: nothing leaves, nothing counted, even as items arrive.
    let mut m = MonitorModel::new(&ids, AlertRules::default());
    m.apply(snap("a", 0, Ok(listed(QueueState::Paused, 0, 10, 10, 5))));
    m.apply(snap(
        "a",
        2_000,
        Ok(listed(QueueState::Paused, 0, 30, 30, 5)),
    ));
    assert_eq!(m.agents["a"].throughput_per_min(2_000), 0.0);
    // Busy: 10 delivered every 2 s while 10 arrive: the depth stays, the rate is 300/min.
    let mut m = MonitorModel::new(&ids, AlertRules::default());
    for k in 0..31i64 {
        let from = 10 * k as u64;
        m.apply(snap(
            "a",
            k * 2_000,
            Ok(listed(
                QueueState::Active,
                from,
                from + 200,
                200,
                k * 2_000 + 1,
            )),
        ));
    }
    let rate = m.agents["a"].throughput_per_min(60_000);
    assert!((rate - 300.0).abs() < 1.0, "{rate}");
    // Early on, over the time observed (at least 10 s): no climb from 10 to 300.
    let mut m = MonitorModel::new(&ids, AlertRules::default());
    for k in 0..3i64 {
        let from = 10 * k as u64;
        m.apply(snap(
            "a",
            k * 2_000,
            Ok(listed(
                QueueState::Active,
                from,
                from + 200,
                200,
                k * 2_000 + 1,
            )),
        ));
    }
    assert_eq!(m.agents["a"].throughput_per_min(4_000), 20.0 * 6.0);
    // More left than the list shows: the drop in depth counts.
    let mut m = MonitorModel::new(&ids, AlertRules::default());
    m.apply(snap("a", 0, Ok(listed(QueueState::Active, 0, 500, 500, 1))));
    m.apply(snap(
        "a",
        10_000,
        Ok(listed(QueueState::Active, 120, 500, 380, 9_000)),
    ));
    assert_eq!(m.agents["a"].throughput_per_min(10_000), 720.0);
}

#[test]
fn shared_alerts_are_one_and_name_their_cause() {
    let ids: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
    let mut m = MonitorModel::new(&ids, AlertRules::default());
    for id in &ids {
        m.apply(snap(id, 0, Ok(view(QueueState::Active, 5, 0))));
        m.apply(snap(
            id,
            2_000,
            Err("AEM is starting or restarting (503)".into()),
        ));
    }
    let al = m.alerts(10_000);
    assert_eq!(al.len(), 1, "{al:#?}");
    assert_eq!(
        al[0].message,
        "all 4 agents: no data for 8 s: AEM is starting or restarting (503)"
    );
    for (i, id) in ids.iter().enumerate() {
        m.apply(snap(
            id,
            20_000 + i as i64,
            Ok(view(QueueState::Blocked, 5, 1)),
        ));
    }
    assert_eq!(m.unexplained().len(), 4);
    let cause = BlockCause {
        label: "Brand Portal answers 5xx".into(),
        fix: "wait".into(),
    };
    for id in &ids[..3] {
        m.set_cause(id, Some(cause.clone()));
    }
    assert_eq!(m.unexplained(), vec!["d".to_string()]);
    let al = m.alerts(21_000);
    assert!(
        al.iter().any(
            |a| a.message == "a, b, c: queue blocked: Brand Portal answers 5xx"
                && a.fix.as_deref() == Some("wait")
        ),
        "{al:#?}"
    );
    assert!(
        al.iter().any(|a| a.message == "d: queue blocked"),
        "{al:#?}"
    );
    // Recovery clears the cause with the blocking.
    m.apply(snap("a", 30_000, Ok(view(QueueState::Active, 4, 0))));
    assert_eq!(m.agents["a"].cause, None);
}

#[test]
fn trends_throughput_staleness_and_alerts() {
    let ids: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
    let mut m = MonitorModel::new(&ids, AlertRules::default());
    m.apply(snap("a", 0, Ok(view(QueueState::Active, 100, 0))));
    m.apply(snap("a", 30_000, Ok(view(QueueState::Active, 70, 0))));
    let h = &m.agents["a"];
    assert_eq!(h.trend, Some(Trend::Down));
    assert_eq!(
        h.throughput_per_min(30_000),
        60.0,
        "30 items in the 30 s observed"
    );
    assert_eq!(h.sparkline(), vec![100, 70]);
    m.apply(snap("a", 60_000, Err("AEM did not answer".into())));
    assert_eq!(m.agents["a"].stale_since, Some(60_000));
    assert!(
        m.alerts(90_000)
            .iter()
            .any(|x| x.kind == AlertKind::Stale && x.message.contains("30 s"))
    );
    m.apply(snap("a", 95_000, Ok(view(QueueState::Blocked, 70, 5))));
    assert_eq!(m.agents["a"].stale_since, None);
    let al = m.alerts(95_000);
    assert!(al.iter().any(|x| x.kind == AlertKind::Blocked));
    assert!(al.iter().any(|x| x.kind == AlertKind::Retries));
    // Not draining for more than five minutes.
    m.apply(snap(
        "a",
        30_000 + 6 * 60_000,
        Ok(view(QueueState::Blocked, 70, 6)),
    ));
    assert!(
        m.alerts(30_000 + 6 * 60_000)
            .iter()
            .any(|x| x.kind == AlertKind::NotDraining)
    );
    assert_eq!(m.agents["a"].attempts_trend, Some(Trend::Up));
    m.apply(snap("b", 0, Ok(view(QueueState::Disabled, 3, 0))));
    assert!(m.alerts(0).iter().any(|x| x.kind == AlertKind::Disabled));
    m.note_test(
        "c",
        false,
        &["com.adobe.granite.auth.oauth.AccessTokenProvider failed to get access token".into()],
    );
    assert!(
        m.alerts(0)
            .iter()
            .any(|x| x.kind == AlertKind::TokenFailure)
    );
    m.note_test("c", true, &[]);
    assert!(
        !m.alerts(0)
            .iter()
            .any(|x| x.kind == AlertKind::TokenFailure)
    );
    let three = MonitorModel::new(&ids[..3], AlertRules::default());
    assert!(
        three
            .alerts(0)
            .iter()
            .any(|x| x.kind == AlertKind::MissingAgents)
    );
}

#[test]
fn laggard_is_flagged() {
    let ids: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
    let mut m = MonitorModel::new(&ids, AlertRules::default());
    for (id, n) in [("a", 10), ("b", 12), ("c", 9), ("d", 80)] {
        m.apply(snap(id, 0, Ok(view(QueueState::Active, n, 0))));
    }
    assert_eq!(m.laggard().as_deref(), Some("d"));
    assert_eq!(m.total_pending(), 111);
}

/// A queue of `depth` items listing the first ones from `first` (ids `i<n>`), with AEM's last
/// processing time when it says.
fn queue(state: QueueState, first: u64, depth: u64, processed: Option<i64>) -> QueueView {
    QueueView {
        last_process_time: processed,
        ..listed(state, first, first + depth, depth, 0)
    }
}

#[test]
fn deliveries_by_what_aem_says_of_processing() {
    use QueueState::{Active, Blocked, Disabled, Idle, Paused};
    // (before, after, the author has reported lastProcessTime before, delivered)
    let cases = [
        // Processed in between: what left the head is delivered.
        (
            queue(Active, 0, 10, Some(1)),
            queue(Active, 6, 4, Some(2)),
            true,
            6,
        ),
        // Not processed: a clear, not a delivery.
        (
            queue(Active, 0, 10, Some(1)),
            queue(Idle, 0, 0, Some(1)),
            true,
            0,
        ),
        // The first processing seen.
        (
            queue(Active, 0, 10, None),
            queue(Active, 3, 7, Some(5)),
            true,
            3,
        ),
        // The author restarted: the queue is new, nothing was delivered (the soak's 130/min).
        (
            queue(Active, 0, 130, Some(9)),
            queue(Active, 500, 0, None),
            true,
            0,
        ),
        (
            queue(Active, 0, 130, Some(9)),
            queue(Active, 500, 20, None),
            false,
            0,
        ),
        (
            queue(Blocked, 0, 130, Some(9)),
            queue(Idle, 0, 0, None),
            true,
            0,
        ),
        // Since the restart, not processed yet: a drop is a clear.
        (
            queue(Active, 0, 20, None),
            queue(Active, 0, 0, None),
            true,
            0,
        ),
        // An author that never says: the drop in depth, unless paused or disabled.
        (
            queue(Active, 0, 10, None),
            queue(Active, 4, 6, None),
            false,
            4,
        ),
        (
            queue(Active, 0, 10, None),
            queue(Idle, 0, 0, None),
            false,
            10,
        ),
        (
            queue(Active, 0, 10, None),
            queue(Paused, 0, 0, None),
            false,
            0,
        ),
        (
            queue(Active, 0, 10, None),
            queue(Disabled, 0, 0, None),
            false,
            0,
        ),
    ];
    for (i, (before, after, reports, want)) in cases.iter().enumerate() {
        assert_eq!(
            delivered_between(before, after, *reports),
            *want,
            "case {i}: {:?} → {:?}",
            before.last_process_time,
            after.last_process_time
        );
    }
}

#[test]
fn a_restart_is_not_throughput_but_a_silent_author_still_counts() {
    let ids = vec!["a".to_string()];
    // 130 items waiting and moving slowly; the author restarts (new, empty queues, no
    // lastProcessTime), then new items arrive and wait.
    let mut m = MonitorModel::new(&ids, AlertRules::default());
    m.apply(snap("a", 0, Ok(queue(QueueState::Active, 0, 130, Some(1)))));
    m.apply(snap(
        "a",
        2_000,
        Ok(queue(QueueState::Active, 0, 130, Some(1))),
    ));
    m.apply(snap(
        "a",
        4_000,
        Err("AEM is starting or restarting (503)".into()),
    ));
    m.apply(snap("a", 30_000, Ok(queue(QueueState::Idle, 0, 0, None))));
    m.apply(snap(
        "a",
        32_000,
        Ok(queue(QueueState::Active, 0, 12, None)),
    ));
    m.apply(snap(
        "a",
        34_000,
        Err("AEM is starting or restarting (503)".into()),
    ));
    m.apply(snap("a", 40_000, Ok(queue(QueueState::Active, 0, 5, None))));
    let h = &m.agents["a"];
    assert_eq!(h.throughput_per_min(40_000), 0.0, "{:?}", h.drained);
    assert!(h.drained.is_empty());
    // Once the new queue is processed, deliveries count again.
    m.apply(snap(
        "a",
        42_000,
        Ok(queue(QueueState::Active, 3, 2, Some(41_000))),
    ));
    assert_eq!(m.agents["a"].drained.back(), Some(&(42_000, 3)));
    // An author whose queues never say when they were processed: the drops count.
    let mut m = MonitorModel::new(&ids, AlertRules::default());
    m.apply(snap("a", 0, Ok(queue(QueueState::Active, 0, 30, None))));
    m.apply(snap(
        "a",
        10_000,
        Ok(queue(QueueState::Active, 10, 20, None)),
    ));
    m.apply(snap(
        "a",
        20_000,
        Ok(queue(QueueState::Active, 30, 0, None)),
    ));
    assert_eq!(m.agents["a"].throughput_per_min(20_000), 90.0);
}

proptest::proptest! {
    /// Whatever the queue looked like, a poll without lastProcessTime after one with it counts
    /// nothing; an author that never says counts at least the drop in depth of a working queue;
    /// and nothing counts more than was there.
    #[test]
    fn deliveries_hold_across_restarts(
        first in 0u64..100,
        before_depth in 0u64..400,
        after_first in 0u64..200,
        after_depth in 0u64..400,
        processed in proptest::option::of(1i64..1_000),
        later in proptest::option::of(1i64..2_000),
        reports in proptest::bool::ANY,
        state in proptest::sample::select(vec![
            QueueState::Active, QueueState::Idle, QueueState::Blocked,
            QueueState::Paused, QueueState::Disabled,
        ]),
    ) {
        let before = queue(QueueState::Active, first, before_depth, processed);
        let after = queue(state, after_first, after_depth, later);
        let n = delivered_between(&before, &after, reports);
        if processed.is_some() && later.is_none() {
            proptest::prop_assert_eq!(n, 0, "a restart delivers nothing");
        }
        if processed.is_none() && later.is_none() && !reports
            && !matches!(state, QueueState::Paused | QueueState::Disabled)
        {
            proptest::prop_assert!(n >= before_depth.saturating_sub(after_depth));
        }
        proptest::prop_assert!(n <= before_depth.max(before.items.len() as u64));
    }
}
