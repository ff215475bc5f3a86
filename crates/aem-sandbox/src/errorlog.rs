//! The author's `error.log`, kept in memory and bounded, and the log tailer's `grep`.

use super::logs::{LOG_CAPACITY, LogDialect};

use std::collections::VecDeque;

/// A level error.log writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

impl Level {
    fn word(self) -> &'static str {
        match self {
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }
}

/// The author's `crx-quickstart/logs/error.log`, kept in memory and bounded.
#[derive(Clone, Debug, Default)]
pub struct ErrorLog {
    lines: VecDeque<String>,
}

impl ErrorLog {
    /// Appends `dd.MM.yyyy HH:mm:ss.SSS *LEVEL* [thread] logger message`.
    pub fn write(
        &mut self,
        dialect: LogDialect,
        now_ms: i64,
        level: Level,
        thread: &str,
        logger: &str,
        message: &str,
    ) {
        if self.lines.len() >= LOG_CAPACITY {
            self.lines.pop_front();
        }
        self.lines.push_back(format!(
            "{} *{}* [{thread}] {logger} {message}",
            dialect.stamp_millis(now_ms),
            level.word()
        ));
    }

    /// Appends a line as it is (a replayed one).
    pub fn push_raw(&mut self, line: String) {
        if self.lines.len() >= LOG_CAPACITY {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }

    pub fn lines(&self) -> impl DoubleEndedIterator<Item = &String> {
        self.lines.iter()
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// Whether `line` matches the tailer's `grep`: a plain, case-sensitive substring; `a|b`
/// matches either, and `.*` stands for any run of characters. An empty pattern matches all.
pub fn grep_matches(pattern: &str, line: &str) -> bool {
    if pattern.is_empty() {
        return true;
    }
    pattern.split('|').any(|alternative| {
        let mut rest = line;
        for part in alternative.split(".*") {
            match rest.find(part) {
                Some(i) => rest = &rest[i + part.len()..],
                None => return false,
            }
        }
        true
    })
}
