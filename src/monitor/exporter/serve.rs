//! The exporter's HTTP server: bounded connections, header and lifetime timeouts, and the
//! three pages (`/`, `/metrics`, `/probe`).

use super::probe::{Probes, probe_timeout};
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Duration;

/// What the server answers from: the watched authors' registry and the probe targets.
pub(super) struct Pages {
    pub registry: Registry,
    pub probes: Probes,
}

/// Connections served at once; more wait briefly for a slot (at most as many again), and the
/// rest are closed at once, so a flood never exhausts file descriptors.
pub const MAX_CONNECTIONS: usize = 256;
/// How long a connection may take to send a request's headers (a half-sent request or an idle
/// connection is closed after this).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one connection may live, keep-alive included (Prometheus reconnects).
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(30);
/// How long a connection beyond [`MAX_CONNECTIONS`] waits for a slot (longer than
/// [`HEADER_TIMEOUT`], so idle ones have made room by then).
pub const QUEUE_WAIT: Duration = Duration::from_secs(8);

pub(super) async fn serve(listener: tokio::net::TcpListener, pages: Arc<Pages>) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let queue = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let mut failures = 0u32;
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => {
                failures = 0;
                stream
            }
            Err(e) => {
                // Out of file descriptors (EMFILE) repeats at once: wait, do not spin.
                failures = failures.saturating_add(1);
                if failures == 1 {
                    tracing::warn!("the exporter cannot accept connections: {e}");
                }
                tokio::time::sleep(accept_pause(failures)).await;
                continue;
            }
        };
        let slot = match slots.clone().try_acquire_owned() {
            Ok(s) => s,
            Err(_) => {
                // Full: wait briefly in a bounded queue, or close at once.
                let Ok(place) = queue.clone().try_acquire_owned() else {
                    drop(stream);
                    continue;
                };
                let slots = slots.clone();
                let pages = pages.clone();
                tokio::spawn(async move {
                    let waited = tokio::time::timeout(QUEUE_WAIT, slots.acquire_owned()).await;
                    drop(place);
                    if let Ok(Ok(slot)) = waited {
                        serve_one(stream, pages, slot).await;
                    }
                });
                continue;
            }
        };
        tokio::spawn(serve_one(stream, pages.clone(), slot));
    }
}

async fn serve_one(
    stream: tokio::net::TcpStream,
    pages: Arc<Pages>,
    _slot: tokio::sync::OwnedSemaphorePermit,
) {
    let svc = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let pages = pages.clone();
        async move { Ok::<_, std::convert::Infallible>(respond(&pages, &req).await) }
    });
    let mut b = hyper::server::conn::http1::Builder::new();
    b.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(64 * 1024);
    let conn = b.serve_connection(TokioIo::new(stream), svc);
    let _ = tokio::time::timeout(CONNECTION_LIFETIME, conn).await;
}

type Body = http_body_util::Full<bytes::Bytes>;

fn reply(status: u16, ctype: &'static str, body: String) -> hyper::Response<Body> {
    let mut r = hyper::Response::new(Body::new(body.into()));
    *r.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(ctype),
    );
    r
}

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The header in which Prometheus sends its scrape timeout.
pub const SCRAPE_TIMEOUT_HEADER: &str = "x-prometheus-scrape-timeout-seconds";

async fn respond<B>(pages: &Pages, req: &hyper::Request<B>) -> hyper::Response<Body> {
    match req.uri().path() {
        "/metrics" => {
            let mut body = String::new();
            if prometheus_client::encoding::text::encode(&mut body, &pages.registry).is_err() {
                return reply(500, "text/plain", "cannot encode the metrics".into());
            }
            reply(200, OPENMETRICS, body)
        }
        "/probe" => {
            let name = match pages.probes.target(req.uri().query()) {
                Ok(n) => n,
                Err(e) => return reply(400, "text/plain; charset=utf-8", format!("{e}\n")),
            };
            let header = req
                .headers()
                .get(SCRAPE_TIMEOUT_HEADER)
                .and_then(|v| v.to_str().ok());
            match pages.probes.probe(name, probe_timeout(header)).await {
                Ok(body) => reply(200, OPENMETRICS, body),
                Err(_) => reply(500, "text/plain", "cannot encode the metrics".into()),
            }
        }
        "/" => reply(
            200,
            "text/html",
            "<html><body><h1>brandlink exporter</h1><p><a href=\"/metrics\">/metrics</a>: the watched authors</p><p>/probe?target=PROFILE: one author of the config file, read now</p></body></html>".into(),
        ),
        _ => reply(404, "text/plain", "not found; try /metrics or /probe?target=PROFILE".into()),
    }
}

/// The wait after `failures` failed accepts in a row: 10 ms doubling up to 1 s.
pub fn accept_pause(failures: u32) -> Duration {
    Duration::from_millis(10u64 << failures.min(7)).min(Duration::from_secs(1))
}

#[cfg(test)]
mod accept_tests {
    use super::*;

    #[test]
    fn failed_accepts_wait_longer_up_to_a_second() {
        assert_eq!(accept_pause(1), Duration::from_millis(20));
        assert!(accept_pause(3) > accept_pause(2));
        assert_eq!(accept_pause(50), Duration::from_secs(1));
    }
}
