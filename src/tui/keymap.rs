//! The one key table: keys to named actions per scope. It drives dispatch, the hint bar, the
//! help overlay and the README's key table; `[keys]` in the config file overrides it.

pub use super::action::Action;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;

/// Where a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Always, even while typing.
    Global,
    /// Moving around (no field being edited).
    Normal,
    /// Typing into a field.
    Editing,
    /// The Account tab, moving around.
    Account,
    /// The Replication tab, moving around.
    Replication,
    /// A scrollable pane (the agent log).
    Pane,
    /// The Cloud Service tab, moving around.
    Cloud,
    /// The Certificate tab, moving around.
    Certificate,
    /// The doctor overlay.
    Doctor,
    /// The Fleet screen (several profiles in the config file).
    Fleet,
}

impl Scope {
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "Anywhere",
            Scope::Normal => "Moving around",
            Scope::Editing => "Editing a field",
            Scope::Account => "Account tab",
            Scope::Replication => "Replication tab",
            Scope::Pane => "Log pane",
            Scope::Cloud => "Cloud Service tab",
            Scope::Certificate => "Certificate tab",
            Scope::Doctor => "Doctor overlay",
            Scope::Fleet => "Fleet screen",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCodeKey,
    pub ctrl: bool,
}

/// The key codes brandlink binds (a small, orderable subset of crossterm's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCodeKey {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    F(u8),
}

impl Key {
    pub const fn ch(c: char) -> Key {
        Key {
            code: KeyCodeKey::Char(c),
            ctrl: false,
        }
    }
    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCodeKey::Char(c),
            ctrl: true,
        }
    }
    pub const fn code(code: KeyCodeKey) -> Key {
        Key { code, ctrl: false }
    }

    pub fn from_event(ev: &KeyEvent) -> Option<Key> {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let code = match ev.code {
            KeyCode::Char(c) => KeyCodeKey::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            KeyCode::Enter => KeyCodeKey::Enter,
            KeyCode::Esc => KeyCodeKey::Esc,
            KeyCode::Tab => KeyCodeKey::Tab,
            KeyCode::BackTab => KeyCodeKey::BackTab,
            KeyCode::Up => KeyCodeKey::Up,
            KeyCode::Down => KeyCodeKey::Down,
            KeyCode::Left => KeyCodeKey::Left,
            KeyCode::Right => KeyCodeKey::Right,
            KeyCode::PageUp => KeyCodeKey::PageUp,
            KeyCode::PageDown => KeyCodeKey::PageDown,
            KeyCode::Home => KeyCodeKey::Home,
            KeyCode::End => KeyCodeKey::End,
            KeyCode::F(n) => KeyCodeKey::F(n),
            _ => return None,
        };
        Some(Key { code, ctrl })
    }

    /// Parses `q`, `ctrl-r`, `enter`, `esc`, `tab`, `backtab`, `up`, `f5`, …
    pub fn parse(s: &str) -> Result<Key, String> {
        let lower = s.trim().to_ascii_lowercase();
        let (ctrl, rest) = match lower
            .strip_prefix("ctrl-")
            .or_else(|| lower.strip_prefix("c-"))
        {
            Some(r) => (true, r.to_string()),
            None => (false, lower.clone()),
        };
        let code = match rest.as_str() {
            "enter" | "return" => KeyCodeKey::Enter,
            "esc" | "escape" => KeyCodeKey::Esc,
            "tab" => KeyCodeKey::Tab,
            "backtab" | "shift-tab" => KeyCodeKey::BackTab,
            "up" => KeyCodeKey::Up,
            "down" => KeyCodeKey::Down,
            "left" => KeyCodeKey::Left,
            "right" => KeyCodeKey::Right,
            "pageup" | "pgup" => KeyCodeKey::PageUp,
            "pagedown" | "pgdn" => KeyCodeKey::PageDown,
            "home" => KeyCodeKey::Home,
            "end" => KeyCodeKey::End,
            f if f.starts_with('f') && f.len() > 1 && f[1..].parse::<u8>().is_ok() => {
                KeyCodeKey::F(f[1..].parse().unwrap_or(1))
            }
            c if c.chars().count() == 1 => {
                let ch = s.trim().chars().last().unwrap_or(' ');
                KeyCodeKey::Char(if ctrl { ch.to_ascii_lowercase() } else { ch })
            }
            _ => {
                return Err(format!(
                    "unknown key '{s}' (use e.g. q, ctrl-r, enter, esc, tab, up, f5)"
                ));
            }
        };
        Ok(Key { code, ctrl })
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCodeKey::Char(' ') => "space".to_string(),
            KeyCodeKey::Char(c) => c.to_string(),
            KeyCodeKey::Enter => "⏎".into(),
            KeyCodeKey::Esc => "esc".into(),
            KeyCodeKey::Tab => "tab".into(),
            KeyCodeKey::BackTab => "S-tab".into(),
            KeyCodeKey::Up => "↑".into(),
            KeyCodeKey::Down => "↓".into(),
            KeyCodeKey::Left => "←".into(),
            KeyCodeKey::Right => "→".into(),
            KeyCodeKey::PageUp => "PgUp".into(),
            KeyCodeKey::PageDown => "PgDn".into(),
            KeyCodeKey::Home => "Home".into(),
            KeyCodeKey::End => "End".into(),
            KeyCodeKey::F(n) => format!("F{n}"),
        };
        if self.ctrl {
            format!("^{}", base.to_uppercase())
        } else {
            base
        }
    }
}

#[derive(Clone, Debug)]
pub struct Binding {
    pub scope: Scope,
    pub keys: Vec<Key>,
    pub action: Action,
    /// Shown in the hint bar (the rest only in help).
    pub hint: bool,
}

#[derive(Clone, Debug)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        let mut bindings = tab_bindings();
        bindings.extend(moving_around());
        Keymap { bindings }
    }
}

fn b(scope: Scope, keys: &[Key], action: Action, hint: bool) -> Binding {
    Binding {
        scope,
        keys: keys.to_vec(),
        action,
        hint,
    }
}

/// The keys of the editing mode, the tabs, panes and overlays.
fn tab_bindings() -> Vec<Binding> {
    use Action::*;
    use KeyCodeKey as K;
    vec![
        b(Scope::Global, &[Key::ctrl('c')], ForceQuit, false),
        b(Scope::Global, &[Key::ctrl('z')], Suspend, false),
        b(Scope::Editing, &[Key::code(K::Enter)], Activate, true),
        b(Scope::Editing, &[Key::code(K::Esc)], Back, true),
        b(
            Scope::Editing,
            &[Key::code(K::Tab), Key::code(K::Down)],
            NextField,
            true,
        ),
        b(
            Scope::Editing,
            &[Key::code(K::BackTab), Key::code(K::Up)],
            PrevField,
            true,
        ),
        b(Scope::Account, &[Key::ch('f')], FetchConsole, true),
        b(Scope::Account, &[Key::ch('c')], CheckHealth, true),
        b(Scope::Account, &[Key::ch('m')], Migrate, true),
        b(Scope::Account, &[Key::ch('x')], DeleteAccount, false),
        b(Scope::Replication, &[Key::ch('t')], TestSelected, true),
        b(Scope::Replication, &[Key::ch('T')], TestAll, true),
        b(Scope::Replication, &[Key::ch('L')], ShowLog, true),
        b(Scope::Replication, &[Key::ch('R')], ForceRetry, false),
        b(Scope::Replication, &[Key::ch('p')], PauseResume, false),
        b(Scope::Replication, &[Key::ch('C')], ClearQueue, false),
        b(Scope::Replication, &[Key::ch('F')], Freeze, false),
        b(Scope::Replication, &[Key::ch('P')], PublishSample, false),
        b(Scope::Replication, &[Key::ch('A')], Alerts, false),
        b(Scope::Replication, &[Key::code(K::PageUp)], PageUp, false),
        b(
            Scope::Replication,
            &[Key::code(K::PageDown)],
            PageDown,
            false,
        ),
        b(Scope::Cloud, &[Key::ch('u')], Upgrade, true),
        b(Scope::Certificate, &[Key::ch('a')], UseAlias, true),
        // The text above a form, when it does not fit.
        b(Scope::Certificate, &[Key::code(K::PageUp)], PageUp, false),
        b(
            Scope::Certificate,
            &[Key::code(K::PageDown)],
            PageDown,
            false,
        ),
        b(Scope::Account, &[Key::code(K::PageUp)], PageUp, false),
        b(Scope::Account, &[Key::code(K::PageDown)], PageDown, false),
        b(Scope::Cloud, &[Key::code(K::PageUp)], PageUp, false),
        b(Scope::Cloud, &[Key::code(K::PageDown)], PageDown, false),
        b(Scope::Pane, &[Key::code(K::Up), Key::ch('k')], Up, true),
        b(Scope::Pane, &[Key::code(K::Down), Key::ch('j')], Down, true),
        b(Scope::Pane, &[Key::code(K::PageUp)], PageUp, true),
        b(Scope::Pane, &[Key::code(K::PageDown)], PageDown, true),
        b(Scope::Pane, &[Key::code(K::Home), Key::ch('g')], Top, false),
        b(
            Scope::Pane,
            &[Key::code(K::End), Key::ch('G')],
            Bottom,
            false,
        ),
        b(Scope::Pane, &[Key::ch('/')], Search, true),
        b(Scope::Pane, &[Key::ch('n')], NextMatch, false),
        b(Scope::Pane, &[Key::ch('N')], PrevMatch, false),
        b(Scope::Pane, &[Key::ch('w')], Wrap, false),
        b(Scope::Pane, &[Key::ch('f')], Follow, true),
        b(Scope::Pane, &[Key::code(K::Esc), Key::ch('q')], Back, true),
    ]
}

/// The keys that move between tabs and screens, everywhere but in a field being edited.
fn moving_around() -> Vec<Binding> {
    use Action::*;
    use KeyCodeKey as K;
    vec![
        b(
            Scope::Normal,
            &[Key::code(K::Tab), Key::code(K::Right), Key::ch('l')],
            NextTab,
            true,
        ),
        b(
            Scope::Normal,
            &[Key::code(K::BackTab), Key::code(K::Left), Key::ch('h')],
            PrevTab,
            false,
        ),
        b(Scope::Normal, &[Key::code(K::Up), Key::ch('k')], Up, false),
        b(
            Scope::Normal,
            &[Key::code(K::Down), Key::ch('j')],
            Down,
            false,
        ),
        b(Scope::Normal, &[Key::code(K::Enter)], Activate, true),
        b(Scope::Normal, &[Key::code(K::Esc)], Back, false),
        b(
            Scope::Normal,
            &[Key::ch('r'), Key::code(K::F(5))],
            Refresh,
            true,
        ),
        b(Scope::Normal, &[Key::ch('D')], Doctor, true),
        b(Scope::Doctor, &[Key::ch('w')], SupportBundle, true),
        b(Scope::Normal, &[Key::ch('H')], History, false),
        b(Scope::Normal, &[Key::ch('1')], GotoCertificate, false),
        b(Scope::Normal, &[Key::ch('2')], GotoAccount, false),
        b(Scope::Normal, &[Key::ch('3')], GotoCloud, false),
        b(Scope::Normal, &[Key::ch('4')], GotoReplication, false),
        b(Scope::Normal, &[Key::ch('0')], Fleet, false),
        b(Scope::Fleet, &[Key::ch('m')], Migrate, true),
        b(
            Scope::Normal,
            &[Key::ch('?'), Key::code(K::F(1))],
            Help,
            true,
        ),
        b(Scope::Normal, &[Key::ch('q')], Quit, true),
    ]
}

impl Keymap {
    /// Applies overrides from the config file (`action = "key"` or `action = ["k1", "k2"]`).
    pub fn with_overrides(
        mut self,
        overrides: &BTreeMap<String, Vec<String>>,
    ) -> Result<Self, String> {
        for (name, keys) in overrides {
            let action: Action = serde_json::from_value(serde_json::Value::String(name.clone()))
                .map_err(|_| format!("[keys] {name}: no such action"))?;
            let parsed = keys
                .iter()
                .map(|k| Key::parse(k).map_err(|e| format!("[keys] {name}: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            let mut found = false;
            for b in self.bindings.iter_mut().filter(|b| b.action == action) {
                b.keys = parsed.clone();
                found = true;
            }
            if !found {
                return Err(format!("[keys] {name}: this action has no key to replace"));
            }
        }
        Ok(self)
    }

    /// The action for a key in the given scopes (checked in order).
    pub fn lookup(&self, key: Key, scopes: &[Scope]) -> Option<Action> {
        scopes.iter().find_map(|s| {
            self.bindings
                .iter()
                .find(|b| b.scope == *s && b.keys.contains(&key))
                .map(|b| b.action)
        })
    }

    /// The first key of `action`, preferring the given scopes, as the hint bar shows it.
    pub fn key_label(&self, action: Action, scopes: &[Scope]) -> Option<String> {
        let in_scope = scopes.iter().find_map(|s| {
            self.bindings
                .iter()
                .find(|b| b.scope == *s && b.action == action)
        });
        in_scope
            .or_else(|| self.bindings.iter().find(|b| b.action == action))
            .and_then(|b| b.keys.first())
            .map(Key::label)
    }

    /// `(keys, description)` pairs for the hint bar.
    pub fn hints(&self, scopes: &[Scope]) -> Vec<(String, &'static str)> {
        scopes
            .iter()
            .flat_map(|s| {
                self.bindings
                    .iter()
                    .filter(move |b| b.scope == *s && b.hint)
            })
            .map(|b| {
                (
                    b.keys.first().map(Key::label).unwrap_or_default(),
                    b.action.describe(),
                )
            })
            .collect()
    }

    /// Every binding, grouped by scope, for the help overlay.
    pub fn help(&self) -> Vec<(Scope, Vec<(String, &'static str)>)> {
        let mut groups: BTreeMap<Scope, Vec<(String, &'static str)>> = BTreeMap::new();
        for b in &self.bindings {
            let keys = b.keys.iter().map(Key::label).collect::<Vec<_>>().join(" ");
            groups
                .entry(b.scope)
                .or_default()
                .push((keys, b.action.describe()));
        }
        groups.into_iter().collect()
    }
}

impl Keymap {
    /// The key table as Markdown, as the README shows it.
    pub fn markdown(&self) -> String {
        let mut out = String::from("| Where | Keys | Action |\n|---|---|---|\n");
        for (scope, keys) in self.help() {
            for (k, d) in keys {
                out.push_str(&format!("| {} | `{}` | {} |\n", scope.title(), k, d));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_key_table_is_current() {
        let readme = include_str!("../../README.md");
        let start = readme
            .find("<!-- keys:start -->\n")
            .expect("README has the key table")
            + "<!-- keys:start -->\n".len();
        let end = readme
            .find("<!-- keys:end -->")
            .expect("README has the key table end");
        assert_eq!(
            &readme[start..end],
            Keymap::default().markdown(),
            "README key table is stale: paste Keymap::default().markdown()"
        );
    }

    #[test]
    fn lookup_by_scope_and_overrides() {
        let km = Keymap::default();
        assert_eq!(
            km.lookup(Key::ch('q'), &[Scope::Global, Scope::Normal]),
            Some(Action::Quit)
        );
        assert_eq!(
            km.lookup(Key::ch('q'), &[Scope::Global, Scope::Editing]),
            None,
            "typing q is text"
        );
        assert_eq!(
            km.lookup(Key::ctrl('c'), &[Scope::Global, Scope::Editing]),
            Some(Action::ForceQuit)
        );
        let mut o = BTreeMap::new();
        o.insert("refresh".to_string(), vec!["ctrl-r".to_string()]);
        let km = km.with_overrides(&o).unwrap();
        assert_eq!(
            km.lookup(Key::ctrl('r'), &[Scope::Normal]),
            Some(Action::Refresh)
        );
        assert_eq!(km.lookup(Key::ch('r'), &[Scope::Normal]), None);
        o.insert("fly".to_string(), vec!["x".to_string()]);
        assert!(
            Keymap::default()
                .with_overrides(&o)
                .unwrap_err()
                .contains("fly")
        );
        assert_eq!(Key::parse("F5").unwrap(), Key::code(KeyCodeKey::F(5)));
        assert_eq!(Key::parse("T").unwrap(), Key::ch('T'));
        assert!(Key::parse("hyper-x").is_err());
    }

    #[test]
    fn hints_and_help_come_from_the_table() {
        let km = Keymap::default();
        let hints = km.hints(&[Scope::Replication, Scope::Normal]);
        assert!(hints.iter().any(|(k, d)| k == "T" && *d == "test all four"));
        let help = km.help();
        assert!(help.iter().any(|(s, _)| *s == Scope::Global));
        let total: usize = help.iter().map(|(_, v)| v.len()).sum();
        assert_eq!(total, km.bindings.len());
    }
}
