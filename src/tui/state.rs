//! What every part of the screen may read and report into: the integration as last read, the
//! running operation, the status line, and what this session created. Tabs and dialogs own
//! the rest of their state themselves.

use super::effect::UiError;
use crate::setup::Integration;
use secrecy::SecretSlice;

/// Static facts shown in the header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderInfo {
    pub url: String,
    pub user: String,
    pub ims_url: String,
    pub sandbox: bool,
    pub insecure: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    Info,
    Success,
    Error,
}

/// The status line's message.
#[derive(Clone, Debug)]
pub struct Notice {
    pub kind: NoticeKind,
    pub text: String,
}

/// The key pair created in this session (the Console step and Check Health use it).
#[derive(Clone, Debug)]
pub struct Generated {
    pub alias: String,
    pub cert_pem: String,
    pub private_key: SecretSlice<u8>,
}

#[derive(Debug, Default)]
pub struct Shared {
    pub header: HeaderInfo,
    pub snapshot: Option<Integration>,
    /// The last read failed (the snapshot, if any, is older).
    pub load_error: Option<UiError>,
    pub loading: bool,
    /// The one operation that changes AEM, while it runs.
    pub busy: Option<String>,
    /// What esc did to it, when it could not stop at once.
    pub busy_note: Option<String>,
    pub notice: Option<Notice>,
    /// Spinner frame.
    pub tick: u64,
    /// Hide every action that changes AEM.
    pub read_only: bool,
    pub generated: Option<Generated>,
    /// A fixed clock (epoch ms) for reproducible rendering; None = the real time.
    pub clock: Option<i64>,
    /// Where backups of upgrades, updates and migrations go (shown before they run).
    pub backup_root: std::path::PathBuf,
}

impl Shared {
    pub fn now_ms(&self) -> i64 {
        self.clock
            .unwrap_or_else(|| chrono::Utc::now().timestamp_millis())
    }

    pub fn say(&mut self, kind: NoticeKind, text: impl Into<String>) {
        self.notice = Some(Notice {
            kind,
            text: text.into(),
        });
    }
    pub fn info(&mut self, text: impl Into<String>) {
        self.say(NoticeKind::Info, text);
    }
    pub fn success(&mut self, text: impl Into<String>) {
        self.say(NoticeKind::Success, text);
    }
    pub fn error(&mut self, text: impl Into<String>) {
        self.say(NoticeKind::Error, text);
    }

    /// Starts an operation that changes AEM, unless one is running (then says so).
    pub fn begin(&mut self, label: &str) -> bool {
        if let Some(b) = &self.busy {
            self.notice = Some(Notice {
                kind: NoticeKind::Info,
                text: format!("wait: {b} is still running (esc cancels)"),
            });
            return false;
        }
        self.busy = Some(label.to_string());
        true
    }

    /// Refuses an action that changes AEM in read-only mode.
    pub fn refuse_read_only(&mut self, what: &str) -> bool {
        if self.read_only {
            self.info(format!("read-only mode: {what}"));
        }
        self.read_only
    }
}
