//! What never leaves in a support bundle, removed by structure (secret property names,
//! AEM-encrypted `{…}` values, JWTs, PEM blocks, credentials in log lines), then looked for
//! again in the final bytes of every file. With host redaction, host names, tenant ids and IMS
//! organisations become stand-ins, the same one for the same name in every file.

use crate::aem::osgi::is_secret_property;
use serde_json::Value;
use std::collections::BTreeMap;

pub const REDACTED: &str = "[redacted]";

/// Keys whose value is a secret whatever its shape (besides `is_secret_property`).
fn secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    is_secret_property(key)
        || k == "token"
        || k.ends_with("_token")
        || k.ends_with("accesstoken")
        || k.contains("privatekey")
        || k == "authorization"
        || k == "rep:password"
}

/// Why each kind of thing was removed (for REDACTIONS.md).
pub const KINDS: &[(&str, &str)] = &[
    (
        "secret property",
        "properties named like a secret or password (client secrets, transportPassword, keystore passwords, rep:password) are credentials",
    ),
    (
        "AEM-encrypted value",
        "`{…}` values are AEM's encrypted secrets: decryptable on any author sharing the master key",
    ),
    (
        "JWT",
        "`eyJ…` tokens are bearer credentials (access tokens, signed JWT assertions)",
    ),
    (
        "PEM block",
        "private keys (and every PEM block with them) stay on the author",
    ),
    (
        "password hash",
        "hashes of user passwords (rep:password, SHA-256 with salt) can be cracked offline",
    ),
    (
        "credential in a log line",
        "Basic/Bearer headers and access_token=, client_secret=, password= parameters",
    ),
    (
        "AEM password",
        "the password brandlink logs in with, wherever it appeared literally",
    ),
];

#[derive(Debug, Default)]
pub struct Redactor {
    /// Original → stand-in (host redaction), longest first when applied.
    names: BTreeMap<String, String>,
    /// How many of each kind were removed.
    pub counts: BTreeMap<&'static str, usize>,
    /// Literal secrets to remove (8 characters or more: a shorter one would hide words).
    literals: Vec<String>,
}

impl Redactor {
    pub fn new(literals: Vec<String>) -> Self {
        Redactor {
            literals: literals.into_iter().filter(|l| l.len() >= 8).collect(),
            ..Redactor::default()
        }
    }

    fn count(&mut self, kind: &'static str) {
        *self.counts.entry(kind).or_default() += 1;
    }

    /// Redacts a JSON document by structure: secret keys, then every string.
    pub fn value(&mut self, v: &mut Value) {
        match v {
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    let secret = secret_key(k)
                        && !matches!(x, Value::Null | Value::Bool(_) | Value::Number(_));
                    if secret && !is_already_hidden(x) {
                        // The shape stays (a list stays a list): readers of the file still
                        // parse it.
                        match x {
                            Value::Array(a) => {
                                for e in a.iter_mut() {
                                    *e = Value::String(REDACTED.into());
                                }
                            }
                            _ => *x = Value::String(REDACTED.into()),
                        }
                        self.count("secret property");
                    } else {
                        self.value(x);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| self.value(x)),
            Value::String(s) => *s = self.text(s),
            _ => {}
        }
    }

    /// Redacts free text (a log line, a message).
    pub fn text(&mut self, s: &str) -> String {
        let mut out = s.to_string();
        for l in self.literals.clone() {
            if out.contains(&l) {
                out = out.replace(&l, REDACTED);
                self.count("AEM password");
            }
        }
        let (o, n) = pem_blocks(&out);
        out = o;
        self.counts_add("PEM block", n);
        let (o, n) = replace_words(&out, |w| is_jwt(w).then(|| "[redacted JWT]".to_string()));
        out = o;
        self.counts_add("JWT", n);
        let (o, n) = replace_words(&out, encrypted_or_hash);
        out = o;
        self.counts_add("AEM-encrypted value", n);
        let (o, n) = replace_words(&out, |w| is_key_material(w).then(|| REDACTED.to_string()));
        out = o;
        self.counts_add("PEM block", n);
        let (o, n) = log_credentials(&out);
        out = o;
        self.counts_add("credential in a log line", n);
        out
    }

    fn counts_add(&mut self, kind: &'static str, n: usize) {
        if n > 0 {
            *self.counts.entry(kind).or_default() += n;
        }
    }

    /// Learns a host name (and, for a tenant, its id) to replace.
    pub fn learn_host(&mut self, host: &str) {
        let host = host.to_ascii_lowercase();
        if host.is_empty() || self.names.contains_key(&host) || is_public_adobe(&host) {
            return;
        }
        if let Some(id) = host.strip_suffix(".brand-portal.adobe.com") {
            if !self.names.contains_key(id) {
                let n = self.names.len() + 1;
                self.names.insert(id.to_string(), format!("tenant-{n}"));
            }
            return;
        }
        let n = self.names.len() + 1;
        self.names.insert(host, format!("host-{n}"));
    }

    /// Learns an IMS organisation id (`…@AdobeOrg`).
    pub fn learn_org(&mut self, org: &str) {
        let id = org.trim_end_matches("@AdobeOrg");
        if !id.is_empty() && !self.names.contains_key(id) {
            let n = self.names.len() + 1;
            self.names.insert(id.to_string(), format!("org-{n}"));
        }
    }

    /// Replaces every learned name, longest first, so `wknd-emea` is not read as `wknd`.
    pub fn hosts(&self, text: &str) -> String {
        let mut names: Vec<(&String, &String)> = self.names.iter().collect();
        names.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
        let mut out = text.to_string();
        for (k, v) in names {
            out = replace_ci(&out, k, v);
        }
        out
    }

    /// The names replaced (never written: the bundle lists only how many).
    pub fn learned(&self) -> Vec<&str> {
        self.names.keys().map(String::as_str).collect()
    }
}

fn is_already_hidden(v: &Value) -> bool {
    match v {
        Value::String(s) => s.is_empty() || s == REDACTED,
        Value::Array(a) => a.iter().all(is_already_hidden),
        _ => false,
    }
}

/// Adobe's own public hosts (IMS, the Brand Portal domain) say nothing of the customer.
fn is_public_adobe(host: &str) -> bool {
    host.ends_with("adobelogin.com") || host == "brand-portal.adobe.com"
}

/// ASCII case-insensitive replacement.
fn replace_ci(text: &str, from: &str, to: &str) -> String {
    if from.is_empty() {
        return text.to_string();
    }
    let lower = text.to_ascii_lowercase();
    let from = from.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (i, _) in lower.match_indices(&from) {
        if i < last {
            continue;
        }
        out.push_str(&text[last..i]);
        out.push_str(to);
        last = i + from.len();
    }
    out.push_str(&text[last..]);
    out
}

/// A JWT: three (or two) base64url parts starting `eyJ`.
pub fn is_jwt(w: &str) -> bool {
    let w = w.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_');
    w.starts_with("eyJ")
        && w.len() > 20
        && w.split('.').count() >= 2
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A line of a PEM body (a key split over log lines): 40+ base64 characters of both cases and
/// digits.
fn is_key_material(w: &str) -> bool {
    w.len() >= 40
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
        && w.chars().any(|c| c.is_ascii_uppercase())
        && w.chars().any(|c| c.is_ascii_lowercase())
        && w.chars().any(|c| c.is_ascii_digit())
}

/// `{<16+ hex or base64>}` (AEM's crypto support) or `{SHA-256}…` (a password hash).
fn encrypted_or_hash(w: &str) -> Option<String> {
    let start = w.find('{')?;
    let rest = &w[start + 1..];
    let end = rest.find('}')?;
    let inner = &rest[..end];
    let after = &rest[end + 1..];
    let encrypted = inner.len() >= 16
        && inner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='));
    let hash = inner.starts_with("SHA") && !after.is_empty();
    (encrypted || hash).then(|| format!("{}{REDACTED}", &w[..start]))
}

/// Applies `f` to each whitespace-separated word; counts replacements.
fn replace_words(s: &str, f: impl Fn(&str) -> Option<String>) -> (String, usize) {
    let mut n = 0;
    let mut out = String::with_capacity(s.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String, n: &mut usize| {
        if let Some(r) = f(word) {
            *n += 1;
            out.push_str(&r);
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in s.chars() {
        if c.is_whitespace() || c == '"' || c == ',' {
            flush(&mut word, &mut out, &mut n);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out, &mut n);
    (out, n)
}

/// Removes PEM blocks (`-----BEGIN …-----` to its `-----END …-----`, or to the end).
fn pem_blocks(s: &str) -> (String, usize) {
    let mut out = String::new();
    let mut rest = s;
    let mut n = 0;
    while let Some(i) = rest.find("-----BEGIN ") {
        out.push_str(&rest[..i]);
        n += 1;
        out.push_str("[redacted PEM block]");
        let after = &rest[i..];
        rest = match after.find("-----END ") {
            Some(e) => {
                let tail = &after[e + 9..];
                match tail.find("-----") {
                    Some(k) => &tail[k + 5..],
                    None => "",
                }
            }
            None => "",
        };
    }
    out.push_str(rest);
    // The end of a block that began on an earlier line.
    while let Some(i) = out.find("-----END ") {
        let tail = &out[i + 9..];
        let end = tail.find("-----").map_or(out.len(), |k| i + 9 + k + 5);
        out.replace_range(i..end, "[redacted PEM block end]");
        n += 1;
    }
    (out, n)
}

const PARAMS: &[&str] = &[
    "access_token=",
    "client_secret=",
    "password=",
    "refresh_token=",
    "id_token=",
    "client_assertion=",
    "assertion=",
];

/// `Basic xxx`, `Bearer xxx` and `access_token=xxx`-style parameters in a line.
fn log_credentials(s: &str) -> (String, usize) {
    let mut out = String::with_capacity(s.len());
    let mut n = 0;
    let mut redact_next = false;
    for (i, part) in s.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if redact_next && looks_like_credential(part) {
            out.push_str(REDACTED);
            n += 1;
            redact_next = false;
            continue;
        }
        let lower = part.to_ascii_lowercase();
        redact_next = matches!(
            lower.trim_start_matches(|c: char| !c.is_ascii_alphabetic()),
            "basic" | "bearer"
        );
        out.push_str(&redact_params(part, &mut n));
    }
    (out, n)
}

/// What follows `Basic`/`Bearer` when it is a credential, not a word of prose.
fn looks_like_credential(part: &str) -> bool {
    let p = part.trim_end_matches(['"', '\'', ',', ';', ')']);
    let charset = p
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_' | '.' | '~'));
    let mixed = p
        .chars()
        .any(|c| c.is_ascii_digit() || "+/=._-~".contains(c))
        || (p.chars().any(|c| c.is_ascii_uppercase()) && p.chars().any(|c| c.is_ascii_lowercase()));
    p.len() >= 8 && charset && mixed && p != REDACTED
}

fn redact_params(part: &str, n: &mut usize) -> String {
    let lower = part.to_ascii_lowercase();
    let first = PARAMS
        .iter()
        .filter_map(|p| lower.find(p).map(|i| (i, p.len())))
        .min();
    let Some((i, len)) = first else {
        return part.to_string();
    };
    let start = i + len;
    let value_end = part[start..]
        .find(['&', '"', '\'', ',', ';'])
        .map_or(part.len(), |e| start + e);
    let value = &part[start..value_end];
    let head = &part[..start];
    let tail = redact_params(&part[value_end..], n);
    if value.is_empty() || value == REDACTED {
        format!("{head}{value}{tail}")
    } else {
        *n += 1;
        format!("{head}{REDACTED}{tail}")
    }
}

/// What is still secret-shaped in a file's final bytes (empty: nothing).
pub fn scan(bytes: &[u8], literals: &[String]) -> Vec<&'static str> {
    let text = String::from_utf8_lossy(bytes);
    let mut found = Vec::new();
    if text.contains("-----BEGIN ") || text.contains("PRIVATE KEY") {
        found.push("PEM block");
    }
    if replace_words(&text, |w| is_jwt(w).then(String::new)).1 > 0 {
        found.push("JWT");
    }
    if replace_words(&text, |w| is_key_material(w).then(String::new)).1 > 0 {
        found.push("key material");
    }
    if replace_words(&text, encrypted_or_hash).1 > 0 {
        found.push("AEM-encrypted value or password hash");
    }
    for line in text.lines() {
        if log_credentials(line).1 > 0 {
            found.push("credential in a log line");
            break;
        }
    }
    if literals
        .iter()
        .any(|l| l.len() >= 8 && text.contains(l.as_str()))
    {
        found.push("AEM password");
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_are_removed() {
        let mut r = Redactor::new(vec!["S3cret-admin-pw".into()]);
        let line = "Authorization: Basic YWRtaW46YWRtaW4= Bearer abc.def access_token=xyz&a=1 \
                    client_secret=p8e-1 eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln {0123456789abcdef0123} \
                    {SHA-256}abcd S3cret-admin-pw -----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----";
        let out = r.text(line);
        assert!(
            scan(out.as_bytes(), &["S3cret-admin-pw".into()]).is_empty(),
            "{out}"
        );
        assert!(scan(line.as_bytes(), &[]).len() >= 4);
        let mut v = serde_json::json!({"auth.ims.client.secret": ["p8e"], "transportPassword": "x", "ok": 1});
        r.value(&mut v);
        assert_eq!(v["transportPassword"], REDACTED);
        assert_eq!(v["auth.ims.client.secret"], serde_json::json!([REDACTED]));
    }

    #[test]
    fn a_key_split_over_lines_is_removed() {
        let mut r = Redactor::new(vec![]);
        for l in [
            "01.01.2026 10:00:00 - key -----BEGIN PRIVATE KEY-----",
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQPLANTED",
            "-----END PRIVATE KEY-----",
        ] {
            let out = r.text(l);
            assert!(scan(out.as_bytes(), &[]).is_empty(), "{out}");
        }
    }

    #[test]
    fn hosts_are_consistent() {
        let mut r = Redactor::new(vec![]);
        r.learn_host("wknd.brand-portal.adobe.com");
        r.learn_host("wknd-emea.brand-portal.adobe.com");
        r.learn_host("author.corp.example");
        let a = r.hosts("https://wknd.brand-portal.adobe.com https://WKND-emea.brand-portal.adobe.com author.corp.example");
        assert_eq!(
            a,
            "https://tenant-1.brand-portal.adobe.com https://tenant-2.brand-portal.adobe.com host-3"
        );
    }
}
