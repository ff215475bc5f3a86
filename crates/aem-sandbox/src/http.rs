//! Request parsing (query, form-urlencoded and multipart bodies) and response helpers.

pub use ::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use bytes::Bytes;
use http_body_util::Full;
use serde_json::Value as Json;

pub type Response = hyper::Response<Full<Bytes>>;

/// One request parameter from the query string or the body.
#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    pub value: Bytes,
    pub filename: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Params(pub Vec<Param>);

impl Params {
    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|p| p.name == name)
            .map(|p| String::from_utf8_lossy(&p.value).into_owned())
    }
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|p| p.name == name)
            .map(|p| String::from_utf8_lossy(&p.value).into_owned())
            .collect()
    }
    pub fn bytes(&self, name: &str) -> Option<&Bytes> {
        self.0.iter().find(|p| p.name == name).map(|p| &p.value)
    }
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|p| p.name == name)
    }
    /// Parameter names in first-seen order, without duplicates.
    pub fn names(&self) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for p in &self.0 {
            if !seen.contains(&p.name) {
                seen.push(p.name.clone());
            }
        }
        seen
    }
}

/// A request as the sandbox's handlers see it.
#[derive(Debug)]
pub struct Request {
    pub method: Method,
    /// Percent-decoded path.
    pub path: String,
    pub headers: HeaderMap,
    /// Query parameters followed by body parameters.
    pub params: Params,
    pub body: Bytes,
    /// The authenticated AEM user, once Basic auth has been checked.
    pub user: Option<String>,
}

impl Request {
    pub async fn parse(parts: ::http::request::Parts, body: Bytes) -> Result<Self, String> {
        let path = percent_encoding::percent_decode_str(parts.uri.path())
            .decode_utf8()
            .map_err(|_| "path is not valid UTF-8".to_string())?
            .into_owned();
        let mut params = Vec::new();
        if let Some(q) = parts.uri.query() {
            for (k, v) in form_urlencoded::parse(q.as_bytes()) {
                params.push(Param {
                    name: k.into_owned(),
                    value: Bytes::from(v.into_owned()),
                    filename: None,
                });
            }
        }
        let ctype = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if ctype.starts_with("application/x-www-form-urlencoded") {
            for (k, v) in form_urlencoded::parse(&body) {
                params.push(Param {
                    name: k.into_owned(),
                    value: Bytes::from(v.into_owned()),
                    filename: None,
                });
            }
        } else if ctype.starts_with("multipart/form-data") {
            let boundary = multer::parse_boundary(&ctype).map_err(|e| e.to_string())?;
            let data = body.clone();
            let stream = futures::stream::once(async move { Ok::<Bytes, std::io::Error>(data) });
            let mut mp = multer::Multipart::new(stream, boundary);
            while let Some(field) = mp.next_field().await.map_err(|e| e.to_string())? {
                let name = field.name().unwrap_or("").to_string();
                let filename = field.file_name().map(str::to_string);
                let value = field.bytes().await.map_err(|e| e.to_string())?;
                params.push(Param {
                    name,
                    value,
                    filename,
                });
            }
        }
        Ok(Request {
            method: parts.method,
            path,
            headers: parts.headers,
            params: Params(params),
            body,
            user: None,
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether the client asked for a JSON answer from a POST servlet.
    pub fn wants_json(&self) -> bool {
        self.header("accept")
            .is_some_and(|a| a.contains("application/json"))
            || self.params.get(":accept").as_deref() == Some("application/json")
    }
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn build(status: u16, ctype: &str, body: impl Into<Bytes>) -> Response {
    let mut r = hyper::Response::new(Full::new(body.into()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(ctype) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

pub fn html(status: u16, body: impl Into<String>) -> Response {
    build(status, "text/html;charset=utf-8", body.into())
}

pub fn text(status: u16, body: impl Into<String>) -> Response {
    build(status, "text/plain;charset=utf-8", body.into())
}

pub fn json(status: u16, value: &Json) -> Response {
    build(
        status,
        "application/json;charset=utf-8",
        serde_json::to_vec(value).unwrap_or_default(),
    )
}

pub fn bytes(status: u16, ctype: &str, body: impl Into<Bytes>) -> Response {
    build(status, ctype, body)
}

pub fn empty(status: u16) -> Response {
    build(status, "text/plain", Bytes::new())
}

pub fn redirect(status: u16, location: &str) -> Response {
    let mut r = empty(status);
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// A Jetty-style error page, as AEM's container writes it.
pub fn error_page(status: u16, message: &str) -> Response {
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    html(
        status,
        format!(
            "<html><head><title>{status} {reason}</title></head><body><h1>{reason} ({status})</h1>\
             <p>{}</p><hr/><address>Apache Sling</address></body></html>",
            escape(message)
        ),
    )
}

pub fn not_found(path: &str) -> Response {
    error_page(
        404,
        &format!(
            "The requested URL {path} resulted in an error in org.apache.sling.servlets.get.DefaultGetServlet. No data to render."
        ),
    )
}

pub fn is_json_response(r: &Response) -> bool {
    r.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"))
}
