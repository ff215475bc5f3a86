//! Every front's verdict on one author, gathered into one comparable shape: `status --json`,
//! `doctor --json`, `queues --json` (the binary), the exporter's `/metrics` and the Replication
//! tab's alerts (the monitor model fed as the TUI feeds it: a poll of the four queues, then the
//! cause of each blocked one from the setup service).

use crate::common::{self, Cli, Env};
use brandlink::aem::queue::QueueState;
use brandlink::aem::{AemClient, Connection};
use brandlink::monitor::exporter::{Exporter, Instance};
use brandlink::monitor::{AlertKind, AlertRules, MonitorModel, poll_cycle};
use brandlink::setup::{ImsEndpoint, Setup};
use secrecy::SecretString;
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;

pub fn client(e: &Env) -> AemClient {
    AemClient::new(&Connection::new(
        &e.base,
        "admin",
        SecretString::from(e.sb.admin_password()),
    ))
    .expect("client")
}

pub fn setup(e: &Env) -> Setup {
    Setup::new(
        client(e),
        ImsEndpoint {
            http: reqwest::Client::new(),
            url: e.base.clone(),
        },
    )
}

/// The tenant's agents.
pub async fn agent_ids(e: &Env) -> Vec<String> {
    setup(e)
        .tenant_and_agent_ids(None)
        .await
        .expect("the tenant's agents")
        .1
}

/// How many queues a poll finds blocked.
pub async fn blocked_now(e: &Env, ids: &[String]) -> usize {
    poll_cycle(&client(e).reader(), ids)
        .await
        .into_iter()
        .filter(|s| {
            s.result
                .as_ref()
                .is_ok_and(|v| v.state == QueueState::Blocked)
        })
        .count()
}

/// One front's verdict, in terms every front can be compared on.
#[derive(Clone, Debug, Default)]
pub struct Front {
    pub name: &'static str,
    /// Queues it counts blocked.
    pub blocked: usize,
    /// The cause it names for the blocked queues (the rulebook's words), when it names one.
    pub cause: Option<String>,
    /// The command it advises for the blocked queues.
    pub cause_command: Option<String>,
    /// Every `brandlink …` command it advises, anywhere.
    pub commands: BTreeSet<String>,
}

/// What every front said about one author.
pub struct Fronts {
    pub status_code: i32,
    pub status: Value,
    pub doctor_code: i32,
    pub doctor: Value,
    pub queues_code: i32,
    pub queues: Value,
    /// The Replication tab's alerts, as JSON.
    pub tab_alerts: Value,
    pub tab_blocked: usize,
    /// `/metrics`: (name, agent label, value).
    pub metrics: Vec<(String, Option<String>, f64)>,
}

/// Reads every front. The doctor goes first: its Test Connection writes to the agent logs,
/// which every other front then reads as it is.
pub async fn gather(e: &Env, cli: &Cli) -> Fronts {
    let (doctor_code, doctor) = cli.json(&["doctor"], &[]).await;
    let ((status_code, status), (queues_code, queues), (tab_alerts, tab_blocked), metrics) = tokio::join!(
        cli.json(&["status"], &[]),
        cli.json(&["queues"], &[]),
        replication_tab(e),
        scrape(e),
    );
    Fronts {
        status_code,
        status,
        doctor_code,
        doctor,
        queues_code,
        queues,
        tab_alerts,
        tab_blocked,
        metrics,
    }
}

/// The Replication tab's model after one poll, explained as the TUI explains it
/// (`Effect::ExplainQueue` → `Setup::status` → `on_explained`).
async fn replication_tab(e: &Env) -> (Value, usize) {
    let setup = setup(e);
    let ids = agent_ids(e).await;
    let mut model = MonitorModel::new(&ids, AlertRules::default());
    for snap in poll_cycle(&setup.reader(), &ids).await {
        model.apply(snap);
    }
    let ask: Vec<String> = model.unexplained();
    for (id, cause) in setup.status(None, &ask).await.causes {
        model.set_cause(&id, cause);
    }
    let blocked = model
        .agents
        .values()
        .filter(|h| {
            h.latest
                .as_ref()
                .is_some_and(|v| v.state == QueueState::Blocked)
        })
        .count();
    let alerts = model.alerts(chrono::Utc::now().timestamp_millis());
    (
        serde_json::to_value(&alerts).expect("alerts as JSON"),
        blocked,
    )
}

/// `/metrics` of an exporter started on the author, once it has polled every agent twice (its
/// first cycle also judges the token and the certificate).
async fn scrape(e: &Env) -> Vec<(String, Option<String>, f64)> {
    let x = Exporter::start(
        vec![Instance {
            name: "author".into(),
            reader: client(e).reader(),
            tenant: None,
        }],
        "127.0.0.1:0".parse().expect("address"),
        Duration::from_millis(200),
    )
    .await
    .expect("exporter starts");
    let url = format!("http://{}/metrics", x.addr);
    let polled = |m: &[(String, Option<String>, f64)]| {
        m.iter()
            .filter(|(n, _, _)| n == "brandlink_last_successful_poll_timestamp_seconds")
            .map(|(_, _, v)| *v)
            .fold(None, |a: Option<f64>, v| Some(a.map_or(v, |a| a.min(v))))
    };
    let first = common::eventually(15, "the exporter polls", || async {
        let m = parse(&reqwest::get(&url).await.ok()?.text().await.ok()?);
        polled(&m)
    })
    .await;
    common::eventually(15, "the exporter polls again", || async {
        let m = parse(&reqwest::get(&url).await.ok()?.text().await.ok()?);
        polled(&m).is_some_and(|t| t > first).then_some(m)
    })
    .await
}

fn parse(text: &str) -> Vec<(String, Option<String>, f64)> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (name, labels) = series.split_once('{').unwrap_or((series, ""));
            let agent = labels
                .split(',')
                .find_map(|kv| kv.strip_prefix("agent=\""))
                .map(|a| a.trim_end_matches(['"', '}']).to_string());
            Some((name.to_string(), agent, value.parse().ok()?))
        })
        .collect()
}

/// Every `brandlink …` command advised in a JSON value's strings.
pub fn advised(v: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut walk = vec![v];
    while let Some(v) = walk.pop() {
        match v {
            Value::String(s) => {
                for (i, _) in s.match_indices("brandlink ") {
                    let cmd: String = s[i..]
                        .chars()
                        .take_while(|c| !matches!(c, '`' | ')' | ';' | '\n' | ','))
                        .collect();
                    out.insert(cmd.trim_end_matches(['.', ' ']).to_string());
                }
            }
            Value::Array(a) => walk.extend(a),
            Value::Object(o) => walk.extend(o.values()),
            _ => {}
        }
    }
    out
}

/// The command between backticks in an alert's fix, or after `run: ` in a step.
fn quoted(text: &str, open: &str, close: char) -> Option<String> {
    let start = text.find(open)? + open.len();
    Some(text[start..].split(close).next()?.to_string())
}

impl Fronts {
    pub fn finding(&self, id: &str) -> &Value {
        self.doctor["findings"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["id"] == id))
            .unwrap_or_else(|| panic!("no finding {id}: {}", self.doctor))
    }

    pub fn step(&self, id: &str) -> &Value {
        self.status["steps"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["id"] == id))
            .unwrap_or_else(|| panic!("no step {id}: {}", self.status))
    }

    /// The values of a series (every agent's).
    pub fn series(&self, name: &str) -> Vec<f64> {
        self.metrics
            .iter()
            .filter(|(n, _, _)| n == name)
            .map(|(_, _, v)| *v)
            .collect()
    }

    /// The five fronts' verdicts.
    pub fn views(&self) -> Vec<Front> {
        vec![
            self.doctor_view(),
            self.status_view(),
            alerts_view("queues", &self.queues["alerts"], self.queues_blocked()),
            alerts_view("replication tab", &self.tab_alerts, self.tab_blocked),
            Front {
                name: "exporter",
                blocked: self.series("brandlink_queue_blocked").iter().sum::<f64>() as usize,
                ..Front::default()
            },
        ]
    }

    fn queues_blocked(&self) -> usize {
        self.queues["queues"]
            .as_array()
            .map_or(0, |q| q.iter().filter(|r| r["blocked"] == true).count())
    }

    fn doctor_view(&self) -> Front {
        let f = self.finding("queues.blocked");
        let text = f["finding"].as_str().unwrap_or("");
        let failing = f["status"] == "fail";
        Front {
            name: "doctor",
            blocked: if failing {
                text.split(' ')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0)
            } else {
                0
            },
            cause: failing
                .then(|| text.split_once("listed): ").map(|(_, c)| c.to_string()))
                .flatten(),
            cause_command: f["command"].as_str().map(str::to_string),
            commands: advised(&self.doctor),
        }
    }

    fn status_view(&self) -> Front {
        let blocked = self.status["integration"]["agents"]
            .as_array()
            .map_or(0, |a| {
                a.iter().filter(|a| a["queue"]["blocked"] == true).count()
            });
        let step = self.step("replication");
        let reason = step["status"]["reason"].as_str().unwrap_or("");
        let on_blocked = reason.starts_with("blocked queue");
        // `blocked queue: a, b: <cause> (run: <command>)`
        let cause = reason
            .strip_prefix("blocked queue: ")
            .and_then(|r| r.split(" (run: ").next()?.split_once(": "))
            .map(|(_, c)| c.to_string());
        Front {
            name: "status",
            blocked,
            cause,
            cause_command: on_blocked.then(|| quoted(reason, "(run: ", ')')).flatten(),
            commands: advised(&self.status),
        }
    }
}

fn alerts_view(name: &'static str, alerts: &Value, blocked: usize) -> Front {
    let kind = serde_json::to_value(AlertKind::Blocked).expect("kind");
    let first = alerts
        .as_array()
        .and_then(|a| a.iter().find(|a| a["kind"] == kind));
    let message = first.and_then(|a| a["message"].as_str()).unwrap_or("");
    let fix = first.and_then(|a| a["fix"].as_str()).unwrap_or("");
    Front {
        name,
        blocked,
        cause: message
            .split_once("queue blocked: ")
            .map(|(_, c)| c.to_string()),
        cause_command: quoted(fix, "`", '`'),
        commands: advised(alerts),
    }
}

/// A readable dump of what each front said, for a failing assertion.
pub fn dump(views: &[Front]) -> String {
    views
        .iter()
        .map(|f| format!("{f:?}"))
        .collect::<Vec<_>>()
        .join("\n")
}
