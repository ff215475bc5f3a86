//! Small widgets: an editable text field (masked for secrets, multi-line for the payload) and
//! the spinner.

/// An editable text value with a cursor.
#[derive(Clone, Debug, Default)]
pub struct TextInput {
    value: String,
    /// Cursor as a char index.
    cursor: usize,
    pub masked: bool,
    pub multiline: bool,
}

impl TextInput {
    pub fn new(value: &str) -> Self {
        TextInput {
            value: value.to_string(),
            cursor: value.chars().count(),
            masked: false,
            multiline: false,
        }
    }
    pub fn masked() -> Self {
        TextInput {
            masked: true,
            ..Default::default()
        }
    }
    pub fn multiline() -> Self {
        TextInput {
            multiline: true,
            ..Default::default()
        }
    }
    pub fn value(&self) -> &str {
        &self.value
    }
    pub fn set(&mut self, v: &str) {
        self.value = v.to_string();
        self.cursor = self.value.chars().count();
    }
    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }
    fn byte_at(&self, idx: usize) -> usize {
        self.value
            .char_indices()
            .nth(idx)
            .map(|(b, _)| b)
            .unwrap_or(self.value.len())
    }
    pub fn insert(&mut self, c: char) {
        if c == '\n' && !self.multiline {
            return;
        }
        let b = self.byte_at(self.cursor);
        self.value.insert(b, c);
        self.cursor += 1;
    }
    pub fn paste(&mut self, s: &str) {
        for c in s.chars() {
            match c {
                '\r' => {}
                '\n' if !self.multiline => self.insert(' '),
                c => self.insert(c),
            }
        }
    }
    pub fn backspace(&mut self) {
        if self.cursor > 0 {
            self.cursor -= 1;
            let b = self.byte_at(self.cursor);
            self.value.remove(b);
        }
    }
    pub fn delete(&mut self) {
        if self.cursor < self.value.chars().count() {
            let b = self.byte_at(self.cursor);
            self.value.remove(b);
        }
    }
    pub fn left(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }
    pub fn right(&mut self) {
        self.cursor = (self.cursor + 1).min(self.value.chars().count());
    }
    pub fn home(&mut self) {
        self.cursor = 0;
    }
    pub fn end(&mut self) {
        self.cursor = self.value.chars().count();
    }
    pub fn clear(&mut self) {
        self.value.clear();
        self.cursor = 0;
    }
    /// What the screen shows: secrets as bullets, never the value.
    pub fn display(&self) -> String {
        if self.masked {
            if self.value.is_empty() {
                String::new()
            } else {
                format!(
                    "{} ({} characters)",
                    "•".repeat(8),
                    self.value.chars().count()
                )
            }
        } else if self.multiline {
            self.value.split_whitespace().collect::<Vec<_>>().join(" ")
        } else {
            self.value.clone()
        }
    }
    /// Cursor column within `display()` (single-line, unmasked fields).
    pub fn cursor_col(&self) -> usize {
        if self.masked || self.multiline {
            self.display().chars().count()
        } else {
            self.cursor
        }
    }
}

const FRAMES: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];

pub fn spinner(tick: u64) -> &'static str {
    FRAMES[(tick as usize) % FRAMES.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editing() {
        let mut t = TextInput::new("ab");
        t.left();
        t.insert('x');
        assert_eq!(t.value(), "axb");
        t.backspace();
        t.backspace();
        assert_eq!(t.value(), "b");
        t.end();
        t.paste("c\nd");
        assert_eq!(t.value(), "bc d");
        let mut m = TextInput::masked();
        m.paste("s3cret");
        assert!(!m.display().contains("s3cret"));
        let mut p = TextInput::multiline();
        p.paste("{\r\n \"a\": 1\n}");
        assert_eq!(p.value(), "{\n \"a\": 1\n}");
        assert_eq!(p.display(), "{ \"a\": 1 }");
    }
}
