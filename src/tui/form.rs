//! A form: labelled fields and buttons with one focus, an edit mode, and its own validation
//! errors. The Certificate, Account and Cloud Service tabs each own one; which items show is
//! the tab's decision (passed in as `items`), so a field can come and go without losing input.

use super::action::Action;
use super::theme::Theme;
use super::widgets::{TextInput, fit};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// How an item behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// Shown as bullets and a length, never the value.
    Masked,
    /// Pasted JSON; shown on one line.
    Multiline,
    /// Chosen with Enter; the tab says what it shows.
    Choice,
    Button,
}

/// A tab's field and button ids.
pub trait FormItem: Copy + Eq + std::fmt::Debug {
    fn label(self) -> &'static str;
    fn kind(self) -> Kind;
    /// The value a new form starts with (the setup layer's default, which the CLI's arguments
    /// also use; empty where there is none).
    fn initial(self) -> String {
        String::new()
    }
}

/// What Enter on an item asks of the tab.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation<I> {
    Choice(I),
    Button(I),
}

#[derive(Debug)]
pub struct Form<I: FormItem> {
    inputs: Vec<(I, TextInput)>,
    focus: usize,
    editing: bool,
    dirty: bool,
    /// Validation errors of the last submit.
    pub errors: Vec<String>,
}

impl<I: FormItem> Form<I> {
    /// A form with these text items, each starting at its [`FormItem::initial`] value.
    pub fn of(items: &[I]) -> Self {
        let initial: Vec<(I, String)> = items.iter().map(|i| (*i, i.initial())).collect();
        let pairs: Vec<(I, &str)> = initial.iter().map(|(i, v)| (*i, v.as_str())).collect();
        Self::new(&pairs)
    }

    /// A form with these text items and their initial values.
    pub fn new(initial: &[(I, &str)]) -> Self {
        let inputs = initial
            .iter()
            .map(|(i, v)| {
                let mut input = match i.kind() {
                    Kind::Masked => TextInput::masked(),
                    Kind::Multiline => TextInput::multiline(),
                    _ => TextInput::default(),
                };
                input.set(v);
                (*i, input)
            })
            .collect();
        Form {
            inputs,
            focus: 0,
            editing: false,
            dirty: false,
            errors: vec![],
        }
    }

    /// A field's value as a secret (for masked fields: the client secret, passwords).
    pub fn secret(&self, item: I) -> secrecy::SecretString {
        self.inputs
            .iter()
            .find(|(i, _)| *i == item)
            .map(|(_, t)| t.secret())
            .unwrap_or_default()
    }

    pub fn value(&self, item: I) -> &str {
        self.inputs
            .iter()
            .find(|(i, _)| *i == item)
            .map(|(_, t)| t.value())
            .unwrap_or("")
    }

    fn input_mut(&mut self, item: I) -> Option<&mut TextInput> {
        self.inputs
            .iter_mut()
            .find(|(i, _)| *i == item)
            .map(|(_, t)| t)
    }

    /// Sets a value (from the program, not the operator: the form stays clean).
    pub fn set(&mut self, item: I, value: &str) {
        if let Some(t) = self.input_mut(item) {
            t.set(value);
        }
    }

    pub fn editing(&self) -> bool {
        self.editing
    }
    pub fn stop_editing(&mut self) {
        self.editing = false;
    }
    /// Input the operator typed and has not submitted.
    pub fn dirty(&self) -> bool {
        self.dirty
    }
    pub fn mark_clean(&mut self) {
        self.dirty = false;
    }

    pub fn focused(&self, items: &[I]) -> Option<I> {
        items
            .get(self.focus.min(items.len().saturating_sub(1)))
            .copied()
    }

    /// Puts the focus on `item` (when it shows).
    pub fn focus_on(&mut self, items: &[I], item: I) {
        if let Some(i) = items.iter().position(|x| *x == item) {
            self.focus = i;
        }
    }

    pub fn move_focus(&mut self, items: &[I], delta: isize) {
        let n = items.len();
        if n == 0 {
            return;
        }
        let cur = self.focus.min(n - 1) as isize;
        self.focus = (cur + delta).rem_euclid(n as isize) as usize;
    }

    /// Tab / Shift-Tab: the next field, editing it when it takes text.
    pub fn next_field(&mut self, items: &[I], delta: isize) {
        self.move_focus(items, delta);
        self.editing = self
            .focused(items)
            .is_some_and(|i| matches!(i.kind(), Kind::Text | Kind::Masked | Kind::Multiline));
    }

    /// Enter: ends editing (and moves on), starts editing a text field, or hands a choice or
    /// a button to the tab.
    pub fn activate(&mut self, items: &[I]) -> Option<Activation<I>> {
        if self.editing {
            self.editing = false;
            self.move_focus(items, 1);
            return None;
        }
        let item = self.focused(items)?;
        match item.kind() {
            Kind::Choice => Some(Activation::Choice(item)),
            Kind::Button => Some(Activation::Button(item)),
            _ => {
                self.editing = true;
                None
            }
        }
    }

    /// Moving around and Enter, as every form tab handles them; Enter on a choice or a button
    /// comes back for the tab to act on.
    pub fn navigate(&mut self, action: Action, items: &[I]) -> Option<Activation<I>> {
        match action {
            Action::Up => self.move_focus(items, -1),
            Action::Down => self.move_focus(items, 1),
            Action::NextField => self.next_field(items, 1),
            Action::PrevField => self.next_field(items, -1),
            Action::Back => self.stop_editing(),
            Action::Activate => return self.activate(items),
            _ => {}
        }
        None
    }

    /// A key typed while editing.
    pub fn type_key(&mut self, items: &[I], ev: KeyEvent) {
        let Some(item) = self.focused(items) else {
            return;
        };
        let Some(input) = self.input_mut(item) else {
            return;
        };
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        match ev.code {
            KeyCode::Char('u') if ctrl => input.clear(),
            KeyCode::Char(c) if !ctrl => input.insert(c),
            KeyCode::Backspace => input.backspace(),
            KeyCode::Delete => input.delete(),
            KeyCode::Left => input.left(),
            KeyCode::Right => input.right(),
            KeyCode::Home => input.home(),
            KeyCode::End => input.end(),
            _ => return,
        }
        self.dirty = true;
    }

    /// Bracketed paste into the focused text field (replacing it unless already editing).
    pub fn paste(&mut self, items: &[I], text: &str) {
        let Some(item) = self.focused(items) else {
            return;
        };
        if matches!(item.kind(), Kind::Choice | Kind::Button) {
            return;
        }
        let editing = self.editing;
        let Some(input) = self.input_mut(item) else {
            return;
        };
        if !editing {
            input.clear();
        }
        input.paste(text);
        self.editing = true;
        self.dirty = true;
    }

    /// One line per item (label, value); the focused item reversed, the edited one underlined
    /// with the cursor in it. `choice` says what a choice item shows.
    pub fn draw(
        &self,
        f: &mut Frame,
        area: Rect,
        items: &[I],
        theme: &Theme,
        choice: &dyn Fn(I) -> String,
    ) {
        let focused = self.focused(items);
        for (row, item) in items.iter().enumerate() {
            let y = area.y + row as u16;
            if y >= area.y + area.height {
                break;
            }
            let is_focus = Some(*item) == focused;
            let rect = Rect {
                x: area.x,
                y,
                width: area.width,
                height: 1,
            };
            if item.kind() == Kind::Button {
                let style = if is_focus { theme.selected } else { theme.key };
                let line = Line::from(vec![
                    Span::raw("  "),
                    Span::styled(format!("[ {} ]", item.label()), style),
                ]);
                f.render_widget(Paragraph::new(line), rect);
                continue;
            }
            let editing = is_focus && self.editing;
            let value = match item.kind() {
                Kind::Choice => choice(*item),
                _ => self
                    .inputs
                    .iter()
                    .find(|(i, _)| i == item)
                    .map(|(_, t)| t.display())
                    .unwrap_or_default(),
            };
            let style = if editing {
                theme.editing
            } else if is_focus {
                theme.selected
            } else {
                theme.text
            };
            let marker = if is_focus { "›" } else { " " };
            let label = format!("{marker} {:<22}", item.label());
            let room = area.width.saturating_sub(27) as usize;
            let shown = fit(&value, room, editing);
            let line = Line::from(vec![
                Span::styled(label, if is_focus { theme.title } else { theme.dim }),
                Span::styled(format!(" {shown} "), style),
            ]);
            f.render_widget(Paragraph::new(line), rect);
            if editing && item.kind() != Kind::Choice {
                let col = self
                    .inputs
                    .iter()
                    .find(|(i, _)| i == item)
                    .map(|(_, t)| t.cursor_col())
                    .unwrap_or(0)
                    .min(room);
                f.set_cursor_position((area.x + 25 + col as u16, y));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum F {
        Name,
        Secret,
        Pick,
        Go,
    }
    impl FormItem for F {
        fn label(self) -> &'static str {
            "x"
        }
        fn kind(self) -> Kind {
            match self {
                F::Name => Kind::Text,
                F::Secret => Kind::Masked,
                F::Pick => Kind::Choice,
                F::Go => Kind::Button,
            }
        }
    }

    #[test]
    fn focus_edit_and_activate() {
        let items = [F::Name, F::Secret, F::Pick, F::Go];
        let mut form = Form::new(&[(F::Name, "a"), (F::Secret, "")]);
        assert_eq!(form.activate(&items), None);
        assert!(form.editing());
        form.type_key(
            &items,
            KeyEvent::new(KeyCode::Char('b'), KeyModifiers::NONE),
        );
        assert_eq!(form.value(F::Name), "ab");
        assert!(form.dirty());
        form.next_field(&items, 1);
        assert_eq!(form.focused(&items), Some(F::Secret));
        assert!(form.editing());
        form.next_field(&items, 1);
        assert!(!form.editing(), "a choice is not typed into");
        assert_eq!(form.activate(&items), Some(Activation::Choice(F::Pick)));
        form.focus_on(&items, F::Go);
        assert_eq!(form.activate(&items), Some(Activation::Button(F::Go)));
        form.paste(&items, "ignored");
        form.focus_on(&items, F::Secret);
        form.paste(&items, "s3cret");
        assert_eq!(form.value(F::Secret), "s3cret");
        assert!(!format!("{form:?}").contains("s3cret"));
    }
}
