//! Two Felix web console plain-text pages a client reads the author's logs with: the Sling
//! log plugin's tailer (`/system/console/slinglog/tailer.txt`) and the System Properties status
//! dump (`/system/console/status-System Properties.txt`), which tells the time zone the log
//! timestamps are in. Both need console rights: admin only.

use super::http::{self, Request, Response};
use super::logs::{ERROR_LOG, grep_matches};
use super::state::World;

pub const TAILER: &str = "/system/console/slinglog/tailer.txt";
/// The path as the server sees it, percent-decoded (`status-System%20Properties.txt`).
pub const SYSTEM_PROPERTIES: &str = "/system/console/status-System Properties.txt";

fn admin_only(req: &Request) -> Option<Response> {
    (req.user.as_deref() != Some("admin")).then(|| {
        http::error_page(
            403,
            "Forbidden: the web console needs administrative rights",
        )
    })
}

/// `GET tailer.txt?tail=N&grep=PATTERN&name=/logs/error.log`: the last `N` lines (`-1`: all)
/// of the appender `name` that match `grep`.
pub fn tailer(w: &World, req: &Request) -> Response {
    if w.faults.log_tailer_missing {
        return http::not_found(TAILER);
    }
    if w.faults.log_tailer_forbidden {
        return http::error_page(403, &format!("Forbidden: {TAILER}"));
    }
    if let Some(refused) = admin_only(req) {
        return refused;
    }
    let Some(name) = req.params.get("name").filter(|n| !n.is_empty()) else {
        return http::text(
            400,
            "Missing parameter: name (the appender, e.g. /logs/error.log)",
        );
    };
    if name != ERROR_LOG {
        return http::text(404, format!("No appender with name {name}"));
    }
    let tail = match req.params.get("tail").as_deref().map(str::trim) {
        None | Some("") => -1,
        Some(t) => match t.parse::<i64>() {
            Ok(n) => n,
            Err(_) => return http::text(400, format!("tail must be a whole number, got {t}")),
        },
    };
    let grep = req.params.get("grep").unwrap_or_default();
    let mut picked: Vec<&str> = w
        .error_log
        .lines()
        .rev()
        .filter(|l| grep_matches(&grep, l))
        .take(usize::try_from(tail).unwrap_or(usize::MAX))
        .map(String::as_str)
        .collect();
    picked.reverse();
    let mut body = picked.join("\n");
    if !body.is_empty() {
        body.push('\n');
    }
    http::text(200, body)
}

/// `GET status-System Properties.txt`: the JVM's system properties, as the console's
/// configuration status dump lists them.
pub fn system_properties(w: &World, req: &Request) -> Response {
    if let Some(refused) = admin_only(req) {
        return refused;
    }
    let zone = w.dialect.zone();
    let (language, country) = match zone {
        "Asia/Kolkata" => ("en", "IN"),
        _ => ("en", "US"),
    };
    let (java, spec) = super::felix::java_version(w);
    let runtime = format!("{java}+8-LTS");
    let home = format!("/usr/lib/jvm/java-{spec}-openjdk");
    let props = [
        ("file.encoding", "UTF-8"),
        ("file.separator", "/"),
        ("java.home", home.as_str()),
        ("java.runtime.version", runtime.as_str()),
        ("java.specification.version", spec),
        ("java.vendor", "Oracle Corporation"),
        ("java.version", java),
        ("java.vm.name", "Java HotSpot(TM) 64-Bit Server VM"),
        ("line.separator", "\\n"),
        ("os.arch", "amd64"),
        ("os.name", "Linux"),
        ("sling.home", "/opt/aem/author/crx-quickstart"),
        ("sling.run.modes", "author,crx3,crx3tar,samplecontent"),
        ("user.country", country),
        ("user.dir", "/opt/aem/author"),
        ("user.language", language),
        ("user.name", "aem"),
        ("user.timezone", zone),
    ];
    let mut body = String::from("*** System Properties:\n");
    for (k, v) in props {
        body.push_str(&format!("{k} = {v}\n"));
    }
    http::text(200, body)
}
