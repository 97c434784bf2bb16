//! A crate with tests beside its code.
pub fn parse<'a>(s: &'a str) -> Option<char> {
    let raw = r#"a "quoted" } brace"#;
    let c = '}';
    match s.len() {
        #[cfg(test)]
        0 => None,
        _ => s.chars().next().or(Some(c)).filter(|_| !raw.is_empty()),
    }
}

/* a /* nested */ comment with #[test] in it */
#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn parses() { assert_eq!(parse("x"), Some('x')); let b = b"}\""; let _ = br##"}"#"##; }
}
