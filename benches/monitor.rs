//! Monitor benchmarks: parsing and model update for small and huge queues, rendering the
//! Replication tab with 10,000 queued items, and one poll cycle of four agents against the
//! sandbox with 100 ms of latency, concurrent versus one request after another.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

#[path = "../tests/common/fixtures.rs"]
mod fixtures;

use brandlink::aem::queue::{Depth, DepthSource, parse_queue_json};
use brandlink::aem::{AemClient, Connection};
use brandlink::monitor::{MonitorModel, QueueView, Snapshot};
use brandlink::sandbox::{Faults, Sandbox, SandboxConfig, Scenario};
use brandlink::tui::app::App;
use brandlink::tui::effect::Msg;
use brandlink::tui::keymap::Keymap;
use brandlink::tui::theme::Theme;
use brandlink::tui::{HeaderInfo, ui};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secrecy::SecretString;
use std::hint::black_box;
use std::time::Duration;

fn queue_json(n: usize) -> String {
    let items: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"id":"2026/11/25/{i}","path":"/content/dam/wknd/en/asset-{i:05}.jpg","time":1795618456892,"userid":"admin","type":"Activate","lastProcessed":0,"numProcessed":0}}"#))
        .collect();
    format!(
        r#"{{"metaData":{{"root":"queue","queueStatus":{{"agentName":"A","agentId":"mp_replication","isBlocked":false,"isPaused":false,"time":1795618457407,"processingSince":1795618457284,"lastProcessTime":1795618457284,"nextRetryPeriod":-1795618457407}},"fields":["id","path","time","userid","type","lastProcessed","numProcessed"]}},"queue":[{}]}}"#,
        items.join(",")
    )
}

fn parse_and_update(c: &mut Criterion) {
    for n in [50usize, 10_000] {
        let text = queue_json(n);
        let ids = vec!["mp_replication".to_string()];
        let mut model = MonitorModel::new(&ids, Default::default());
        let mut t = 0i64;
        c.bench_function(&format!("parse + model update, {n} items"), |b| {
            b.iter(|| {
                let q = parse_queue_json("mp_replication", black_box(&text)).expect("parses");
                t += 2000;
                let depth = Depth {
                    count: q.items.len() as u64,
                    at_least: false,
                    source: DepthSource::Jmx,
                };
                model.apply(Snapshot {
                    agent: "mp_replication".into(),
                    at: t,
                    result: Ok(QueueView::from_status(q, depth)),
                });
            })
        });
    }
}

fn render_replication(c: &mut Criterion) {
    let mut app = App::new(
        HeaderInfo {
            url: "http://localhost:4502".into(),
            user: "admin".into(),
            ims_url: "https://ims-na1.adobelogin.com".into(),
            sandbox: false,
            insecure: false,
        },
        Keymap::default(),
    );
    app.on_msg(Msg::Loaded(1, Ok(Box::new(fixtures::configured()))));
    let wanted = app.wanted_monitor();
    app.tabs.replication.monitor = MonitorModel::new(&wanted, Default::default());
    let q = parse_queue_json("mp_replication", &queue_json(10_000)).expect("parses");
    let depth = Depth {
        count: 10_000,
        at_least: false,
        source: DepthSource::Jmx,
    };
    app.on_msg(Msg::Monitor(Snapshot {
        agent: "mp_replication".into(),
        at: 1,
        result: Ok(QueueView::from_status(q, depth)),
    }));
    let theme = Theme::new(true);
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("backend");
    c.bench_function("render Replication tab, 10,000 items, 200x50", |b| {
        b.iter(|| {
            terminal
                .draw(|f| {
                    ui::draw(f, black_box(&app), &theme);
                })
                .expect("draws");
        })
    });
}

fn poll_cycle(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (sb, client, ids) = rt.block_on(async {
        let cfg = SandboxConfig {
            scenario: Scenario::Configured,
            seed: Some(1),
            ..SandboxConfig::default()
        };
        let sb = Sandbox::start_local(cfg).await.expect("sandbox");
        sb.set_faults(Faults {
            latency_ms: 100,
            ..Faults::default()
        });
        let client = AemClient::new(&Connection::new(
            &sb.url(),
            "admin",
            SecretString::from(sb.admin_password()),
        ))
        .expect("client");
        let ids: Vec<String> = client
            .brand_portal_agents(&sb.tenant_url())
            .await
            .expect("agents")
            .into_iter()
            .map(|a| a.id)
            .collect();
        (sb, client, ids)
    });
    let mut g = c.benchmark_group("poll cycle, 4 agents, 100 ms latency");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("concurrent (brandlink)", |b| {
        b.iter(|| rt.block_on(brandlink::monitor::poll_cycle(&client.reader(), &ids)))
    });
    g.bench_function("one request after another", |b| {
        b.iter(|| {
            rt.block_on(async {
                for id in &ids {
                    let _ = client.queue(id).await;
                    let _ = client.jmx_agent(id).await;
                }
            })
        })
    });
    g.bench_function("one request", |b| {
        b.iter(|| rt.block_on(async { client.queue(&ids[0]).await.is_ok() }))
    });
    g.finish();
    drop(sb);
}

criterion_group!(benches, parse_and_update, render_replication, poll_cycle);
criterion_main!(benches);
