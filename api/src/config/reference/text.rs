//! Doc comments as text: paragraphs, and lines wrapped to a width.

/// The paragraphs of a doc comment (as `concat!`ed from `///` lines), each on one line.
pub fn paragraphs(doc: &str) -> Vec<String> {
    let mut paragraphs = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in doc.lines() {
        let line = line.strip_prefix(' ').unwrap_or(line).trim_end();
        if line.trim().is_empty() {
            if !current.is_empty() {
                paragraphs.push(current.join(" "));
                current.clear();
            }
        } else {
            current.push(line.trim_start());
        }
    }
    if !current.is_empty() {
        paragraphs.push(current.join(" "));
    }
    paragraphs
}

/// The whole doc comment on one line.
pub fn one_line(doc: &str) -> String {
    paragraphs(doc).join(" ")
}

/// `text` broken at spaces into lines of at most `width` characters (a longer word stands on
/// a line of its own).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_lines_join_into_paragraphs() {
        let doc = concat!(" One\n", " two.\n", "\n", " Three.\n");
        assert_eq!(paragraphs(doc), ["One two.", "Three."]);
        assert_eq!(one_line(doc), "One two. Three.");
    }

    #[test]
    fn lines_wrap_at_spaces() {
        assert_eq!(wrap("aa bb cc dd", 5), ["aa bb", "cc dd"]);
        assert_eq!(wrap("averylongword x", 4), ["averylongword", "x"]);
    }
}
