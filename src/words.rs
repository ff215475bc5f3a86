//! Counting words for people: "1 attempt", "2 attempts".

/// `n` and the noun in the right number.
pub fn count(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// `text` with its first letter in upper case.
pub fn capitalize(text: &str) -> String {
    let mut c = text.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn singular_and_plural() {
        assert_eq!(super::count(1, "attempt", "attempts"), "1 attempt");
        assert_eq!(super::count(0, "attempt", "attempts"), "0 attempts");
        assert_eq!(
            super::count(3, "more alert", "more alerts"),
            "3 more alerts"
        );
    }
}
