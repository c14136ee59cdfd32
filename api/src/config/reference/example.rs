//! `config.ini.example`: every section and key, each with its documentation as a comment.

use super::text::{one_line, paragraphs, wrap};
use super::{default_words, env_sentence};
use crate::config::{ExampleStyle, SectionSpec, ENABLED};

/// The width comments are wrapped to, `# ` included.
const WIDTH: usize = 96;
/// A space that wrapping does not break at, so that `Default:` stays with its value.
const KEEP: char = '\u{1}';

/// Every section in order, separated by blank lines: its description, its header (a family
/// under its example name) and each key with its documentation and default. A key is written
/// with its example or default; one that may be left out and has no default is commented out,
/// since any value would change what leaving it out means.
pub fn example_ini(sections: &[SectionSpec]) -> String {
    let blocks: Vec<String> = sections.iter().map(section).collect();
    blocks.join("\n")
}

fn section(spec: &SectionSpec) -> String {
    let mut out = String::new();
    let description = paragraphs(spec.doc);
    for (i, paragraph) in description.iter().enumerate() {
        if i == 0 {
            comment(&mut out, &format!("{}: {paragraph}", spec.title()));
        } else {
            out.push_str("#\n");
            comment(&mut out, paragraph);
        }
    }
    if description.is_empty() {
        comment(&mut out, &spec.title());
    }
    let off = match spec.example_style {
        ExampleStyle::DescriptionOnly => return out,
        ExampleStyle::Commented => "# ",
        ExampleStyle::Active | ExampleStyle::Disabled => "",
    };
    out.push_str(&format!("{off}[{}]\n", header(spec)));
    for key in &spec.keys {
        let disabled = spec.example_style == ExampleStyle::Disabled && key.name == ENABLED.name;
        let mut doc = one_line(key.doc);
        if disabled {
            doc.push_str(" Off in this example, so that it starts nothing: set it to true (or delete the line) to turn the section on.");
        }
        if let Some(env) = env_sentence(key) {
            doc.push(' ');
            doc.push_str(&env);
        }
        doc.push_str(&match default_words(key).as_str() {
            "(required)" => " Required.".to_string(),
            words => format!(" Default:{KEEP}{words}"),
        });
        comment(&mut out, doc.trim_start());
        let value = if disabled {
            "false"
        } else {
            key.example.or(key.default).unwrap_or_default()
        };
        let commented = off.is_empty() && key.optional && key.default.is_none() && !key.example_set;
        let line = format!(
            "{}{} = {value}",
            if commented { "# " } else { off },
            key.name
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The section's name in the example: a family's pattern with its example name.
fn header(spec: &SectionSpec) -> String {
    match spec.pattern.strip_suffix('*') {
        Some(prefix) => format!("{prefix}{}", spec.instance.unwrap_or("main")),
        None => spec.pattern.to_string(),
    }
}

fn comment(out: &mut String, text: &str) {
    for line in wrap(text, WIDTH - 2) {
        out.push_str("# ");
        out.push_str(&line.replace(KEEP, " "));
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::KeySpec;
    use crate::config::ValueKind::*;

    fn key(name: &'static str, kind: crate::config::ValueKind, doc: &'static str) -> KeySpec {
        KeySpec::new(name, kind, doc)
    }

    fn notes() -> SectionSpec {
        SectionSpec::new(
            "Notes.*",
            " Notes, one per team.\n",
            vec![
                key("keep", Duration, " How long.\n").default("1d"),
                key("key", Text, " The secret key.\n")
                    .env("NOTES_KEY")
                    .example("s3cret"),
                key("who", List, " Who.\n").optional(false).example("a, b"),
            ],
        )
        .plugin()
        .instance("team")
    }

    #[test]
    fn keys_at_their_default_and_optional_ones_commented() {
        assert_eq!(
            example_ini(&[notes()]),
            "# [Notes.NAME]: Notes, one per team.\n\
             [Notes.team]\n\
             # Set to false to turn this off without deleting the section. Default: true\n\
             enabled = true\n\
             # How long. Default: 1d\n\
             keep = 1d\n\
             # The secret key. The environment variable `NOTES_KEY`, when set, wins over the files.\n\
             # Default: (none)\n\
             # key = s3cret\n\
             # Who. Required.\n\
             who = a, b\n"
        );
    }

    #[test]
    fn an_optional_key_the_example_sets_is_written_active() {
        let mut spec = notes();
        for key in spec.keys.iter_mut().filter(|key| key.name == "key") {
            *key = (*key).example_set(true);
        }
        let shown = example_ini(&[spec]);
        assert!(shown.contains("\nkey = s3cret\n"), "{shown}");
    }

    #[test]
    fn a_section_can_be_commented_out_disabled_or_only_described() {
        let commented = example_ini(&[notes().example_commented()]);
        assert!(commented.contains("\n# [Notes.team]\n"), "{commented}");
        assert!(commented.contains("\n# keep = 1d\n"), "{commented}");
        let disabled = example_ini(&[notes().example_disabled()]);
        assert!(disabled.contains("\nenabled = false\n"), "{disabled}");
        assert_eq!(
            example_ini(&[notes().example_description_only()]),
            "# [Notes.NAME]: Notes, one per team.\n"
        );
    }
}
