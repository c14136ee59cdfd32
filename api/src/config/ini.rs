//! The INI dialect of `config.ini`: `[Section]` headers, `key = value` (or `key: value`) lines,
//! whole-line comments starting with `#` or `;`. There are no inline comments, so a value such as
//! `channel = #general` means what it says. Keys are case-insensitive; section names are not.

use std::path::Path;

use super::error::{ConfigError, ConfigErrors, Origin};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IniEntry {
    pub key: String,
    pub value: String,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IniSection {
    pub name: String,
    pub line: usize,
    pub entries: Vec<IniEntry>,
}

/// Parses one file's text; every malformed line is reported, not just the first. A UTF-8 byte
/// order mark at the start (which some Windows editors write) is skipped.
pub fn parse(path: &Path, text: &str) -> Result<Vec<IniSection>, ConfigErrors> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut sections: Vec<IniSection> = Vec::new();
    let mut errors = Vec::new();
    let at = |line: usize| Origin::File {
        path: path.to_path_buf(),
        line,
    };

    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let Some(name) = header.strip_suffix(']').map(str::trim) else {
                errors.push(ConfigError::at(
                    at(line_no),
                    format!("section header `{line}` is missing its closing `]`"),
                ));
                continue;
            };
            if name.is_empty() {
                errors.push(ConfigError::at(at(line_no), "empty section name `[]`"));
                continue;
            }
            if let Some(first) = sections.iter().find(|s| s.name == name) {
                errors.push(
                    ConfigError::at(
                        at(line_no),
                        format!(
                            "section appears twice in this file (first at line {})",
                            first.line
                        ),
                    )
                    .in_section(name),
                );
                continue;
            }
            sections.push(IniSection {
                name: name.to_string(),
                line: line_no,
                entries: Vec::new(),
            });
            continue;
        }
        let Some(split) = line.find(['=', ':']) else {
            errors.push(ConfigError::at(
                at(line_no),
                format!("expected `key = value` or a `[Section]` header, found `{line}`"),
            ));
            continue;
        };
        let key = line[..split].trim().to_lowercase();
        let value = line[split + 1..].trim().to_string();
        if key.is_empty() {
            errors.push(ConfigError::at(
                at(line_no),
                "a value with no key before `=`",
            ));
            continue;
        }
        let Some(section) = sections.last_mut() else {
            errors.push(
                ConfigError::at(at(line_no), "key appears before any `[Section]` header")
                    .for_key(&key),
            );
            continue;
        };
        if let Some(first) = section.entries.iter().find(|e| e.key == key) {
            errors.push(
                ConfigError::at(
                    at(line_no),
                    format!(
                        "key set twice in this section (first at line {})",
                        first.line
                    ),
                )
                .in_section(&section.name)
                .for_key(&key),
            );
            continue;
        }
        section.entries.push(IniEntry {
            key,
            value,
            line: line_no,
        });
    }

    if errors.is_empty() {
        Ok(sections)
    } else {
        Err(ConfigErrors(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Vec<IniSection> {
        parse(Path::new("config.ini"), text).expect("valid ini")
    }

    #[test]
    fn a_byte_order_mark_at_the_start_is_skipped() {
        let with_bom = parse_ok("\u{feff}[Bot]\nname = sb\n");
        assert_eq!(with_bom, parse_ok("[Bot]\nname = sb\n"));
        assert_eq!(with_bom[0].name, "Bot");
    }

    fn errors(text: &str) -> Vec<String> {
        parse(Path::new("config.ini"), text)
            .expect_err("invalid ini")
            .0
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn sections_keys_values_and_lines() {
        let sections = parse_ok(
            "; top\n[Bot]\nName = Switchy\nprefix: !\n\n[CheckIn]\nchannel = #meshmonday\n",
        );
        assert_eq!(sections.len(), 2);
        assert_eq!(sections[0].name, "Bot");
        assert_eq!(sections[0].entries[0].key, "name");
        assert_eq!(sections[0].entries[0].value, "Switchy");
        assert_eq!(sections[0].entries[1].value, "!");
        assert_eq!(sections[1].entries[0].value, "#meshmonday");
        assert_eq!(sections[1].entries[0].line, 7);
    }

    #[test]
    fn a_value_may_contain_the_separator_and_a_hash() {
        let sections = parse_ok("[Sink.x]\nurl = http://a:1/b?c=d # not a comment\n");
        assert_eq!(
            sections[0].entries[0].value,
            "http://a:1/b?c=d # not a comment"
        );
    }

    #[test]
    fn every_malformed_line_is_reported_with_its_line() {
        let errs = errors("orphan = 1\n[Bot\n[Bot]\njust words\nname = a\nNAME = b\n[Bot]\n");
        assert_eq!(
            errs,
            vec![
                "config.ini:1: orphan: key appears before any `[Section]` header",
                "config.ini:2: section header `[Bot` is missing its closing `]`",
                "config.ini:4: expected `key = value` or a `[Section]` header, found `just words`",
                "config.ini:6: [Bot] name: key set twice in this section (first at line 5)",
                "config.ini:7: [Bot]: section appears twice in this file (first at line 3)",
            ]
        );
    }
}
