//! Marked regions of a hand-written file that are generated: every line from a comment line
//! that starts `BEGIN GENERATED <name>` (`<!-- BEGIN GENERATED [Bot] -->`, `# BEGIN GENERATED
//! sections`) to one that starts `END GENERATED`. The marker lines stay as they are; what is
//! between them is replaced. The words elsewhere in a line are only words.

/// What starts a region; the word after it names what the region holds.
pub const BEGIN: &str = "BEGIN GENERATED";
/// What ends a region.
pub const END: &str = "END GENERATED";

/// A file whose markers do not pair up, or a region naming something unknown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionError {
    /// A begin marker without a name.
    #[error("line {line}: `{BEGIN}` needs a name after it")]
    Unnamed {
        /// Where.
        line: usize,
    },
    /// A region begun inside another.
    #[error("line {line}: `{BEGIN} {name}` inside the region begun at line {open}")]
    Nested {
        /// Where.
        line: usize,
        /// The inner region's name.
        name: String,
        /// Where the outer one began.
        open: usize,
    },
    /// An end marker with no region open.
    #[error("line {line}: `{END}` without a `{BEGIN}` before it")]
    Unopened {
        /// Where.
        line: usize,
    },
    /// A region never ended.
    #[error("line {line}: `{BEGIN} {name}` is never ended by `{END}`")]
    Unclosed {
        /// Where it began.
        line: usize,
        /// Its name.
        name: String,
    },
    /// A region naming no declared section.
    #[error("line {line}: `{BEGIN} {name}` names nothing the code declares")]
    Unknown {
        /// Where.
        line: usize,
        /// The name.
        name: String,
    },
}

/// A line's text after the comment opener it starts with (`<!--`, `#`, `;` or `//`), if any.
fn marker_text(line: &str) -> &str {
    let line = line.trim_start();
    ["<!--", "#", ";", "//"]
        .iter()
        .find_map(|opener| line.strip_prefix(opener))
        .unwrap_or(line)
        .trim_start()
}

/// The name of each region, with the line it begins at.
pub fn region_names(text: &str) -> Result<Vec<(String, usize)>, RegionError> {
    let mut names = Vec::new();
    fill_regions(text, |name, line| {
        names.push((name.to_string(), line));
        Some(String::new())
    })?;
    Ok(names)
}

/// `text` with each region's lines replaced by `render(name, line)`: the region's new text
/// (whole lines), or `None` for a name it does not know.
pub fn fill_regions(
    text: &str,
    mut render: impl FnMut(&str, usize) -> Option<String>,
) -> Result<String, RegionError> {
    let mut out = String::with_capacity(text.len());
    let mut open: Option<(String, usize)> = None;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let number = index + 1;
        let marker = marker_text(line);
        if let Some(rest) = marker.strip_prefix(BEGIN) {
            let name = rest
                .split_whitespace()
                .next()
                .ok_or(RegionError::Unnamed { line: number })?
                .to_string();
            if let Some((_, begun)) = open {
                return Err(RegionError::Nested {
                    line: number,
                    name,
                    open: begun,
                });
            }
            out.push_str(line);
            let body = render(&name, number).ok_or_else(|| RegionError::Unknown {
                line: number,
                name: name.clone(),
            })?;
            out.push_str(&body);
            open = Some((name, number));
        } else if marker.starts_with(END) {
            if open.take().is_none() {
                return Err(RegionError::Unopened { line: number });
            }
            out.push_str(line);
        } else if open.is_none() {
            out.push_str(line);
        }
    }
    match open {
        Some((name, line)) => Err(RegionError::Unclosed { line, name }),
        None => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upper(name: &str, _line: usize) -> Option<String> {
        matches!(name, "x" | "y").then(|| format!("{}\n", name.to_uppercase()))
    }

    #[test]
    fn regions_are_replaced_and_the_rest_kept() {
        let text = "intro `BEGIN GENERATED` and `END GENERATED` in prose\n<!-- BEGIN GENERATED x -->\nold\nlines\n<!-- END GENERATED -->\nmiddle\n# BEGIN GENERATED y (more words)\n# END GENERATED\n";
        assert_eq!(
            fill_regions(text, upper).unwrap(),
            "intro `BEGIN GENERATED` and `END GENERATED` in prose\n<!-- BEGIN GENERATED x -->\nX\n<!-- END GENERATED -->\nmiddle\n# BEGIN GENERATED y (more words)\nY\n# END GENERATED\n"
        );
        assert_eq!(
            region_names(text).unwrap(),
            [("x".to_string(), 2), ("y".to_string(), 7)]
        );
    }

    #[test]
    fn markers_that_do_not_pair_up_are_named_with_their_line() {
        let err = |text: &str| fill_regions(text, upper).unwrap_err().to_string();
        assert_eq!(
            err("a\nBEGIN GENERATED x\n"),
            "line 2: `BEGIN GENERATED x` is never ended by `END GENERATED`"
        );
        assert_eq!(
            err("END GENERATED\n"),
            "line 1: `END GENERATED` without a `BEGIN GENERATED` before it"
        );
        assert_eq!(
            err("BEGIN GENERATED x\nBEGIN GENERATED y\n"),
            "line 2: `BEGIN GENERATED y` inside the region begun at line 1"
        );
        assert_eq!(
            err("BEGIN GENERATED z\nEND GENERATED\n"),
            "line 1: `BEGIN GENERATED z` names nothing the code declares"
        );
        assert_eq!(
            err("BEGIN GENERATED\n"),
            "line 1: `BEGIN GENERATED` needs a name after it"
        );
    }
}
