//! One section of the reference in `docs/configuration.md`: its description and a table of
//! its keys.

use super::text::{one_line, paragraphs, wrap};
use super::{default_words, env_sentence};
use crate::config::{KeySpec, SectionSpec};

/// The width the description's paragraphs are wrapped to, as the hand-written pages are.
const WIDTH: usize = 100;

/// The section's description, then `| key | type | default | meaning |`, one row per key.
pub fn section_markdown(spec: &SectionSpec) -> String {
    let mut out = String::new();
    for paragraph in paragraphs(spec.doc) {
        for line in wrap(&paragraph, WIDTH) {
            out.push_str(&line);
            out.push('\n');
        }
        out.push('\n');
    }
    out.push_str("| key | type | default | meaning |\n|---|---|---|---|\n");
    for key in &spec.keys {
        out.push_str(&row(key));
        out.push('\n');
    }
    out
}

fn row(key: &KeySpec) -> String {
    let default = match (key.default, key.default_doc) {
        (Some(value), _) if !value.is_empty() => format!("`{value}`"),
        _ => default_words(key),
    };
    let mut meaning = one_line(key.doc);
    if let Some(env) = env_sentence(key) {
        meaning.push(' ');
        meaning.push_str(&env);
    }
    format!(
        "| `{}` | {} | {} | {} |",
        key.name,
        cell(&key.kind.describe()),
        cell(&default),
        cell(&meaning)
    )
}

/// Text that may stand in a table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ValueKind;

    #[test]
    fn a_section_is_its_description_and_a_row_per_key() {
        let spec = SectionSpec::new(
            "Notes.*",
            " Notes, one\n per team.\n",
            vec![
                KeySpec::new("keep", ValueKind::Duration, " How long.\n").default("1d"),
                KeySpec::new("key", ValueKind::Text, " The | key.\n").env("NOTES_KEY"),
                KeySpec::new("who", ValueKind::List, "").optional(false),
            ],
        )
        .plugin();
        assert_eq!(
            section_markdown(&spec),
            "Notes, one per team.\n\n\
             | key | type | default | meaning |\n|---|---|---|---|\n\
             | `enabled` | boolean | `true` | Set to false to turn this off without deleting the section. |\n\
             | `keep` | duration | `1d` | How long. |\n\
             | `key` | text | (none) | The \\| key. The environment variable `NOTES_KEY`, when set, wins over the files. |\n\
             | `who` | list | (required) |  |\n"
        );
    }
}
