//! The reference docs and the example config, generated from the declared sections: a table
//! per section for `docs/configuration.md` ([`section_markdown`]), and `config.ini.example`
//! ([`example_ini`]). The files keep their hand-written parts; only their marked regions
//! ([`fill_markdown`], [`fill_example`]) are generated, so a test can regenerate them and
//! compare.

mod example;
mod markdown;
mod regions;
mod text;

pub use example::example_ini;
pub use markdown::section_markdown;
pub use regions::{fill_regions, region_names, RegionError, BEGIN, END};

use super::{KeySpec, SectionSpec};

/// The name of the one region of `config.ini.example`: every section.
pub const EXAMPLE_REGION: &str = "sections";

/// A Markdown page with each `BEGIN GENERATED [Section]` region (the section as
/// [`SectionSpec::title`] writes it) holding that section's description and table.
pub fn fill_markdown(text: &str, sections: &[SectionSpec]) -> Result<String, RegionError> {
    fill_regions(text, |name, _| {
        sections
            .iter()
            .find(|s| s.title() == name)
            .map(|spec| format!("\n{}\n", section_markdown(spec)))
    })
}

/// `config.ini.example` with its `BEGIN GENERATED sections` region holding every section.
pub fn fill_example(text: &str, sections: &[SectionSpec]) -> Result<String, RegionError> {
    fill_regions(text, |name, _| {
        (name == EXAMPLE_REGION).then(|| format!("\n{}\n", example_ini(sections)))
    })
}

/// The sections of `sections` that no region of the page holds, as titles.
pub fn missing_regions(text: &str, sections: &[SectionSpec]) -> Result<Vec<String>, RegionError> {
    let present: Vec<String> = region_names(text)?.into_iter().map(|(n, _)| n).collect();
    Ok(sections
        .iter()
        .map(SectionSpec::title)
        .filter(|title| !present.contains(title))
        .collect())
}

/// A key's default in words, without Markdown: the value (`(empty)` for an empty one), what
/// it defaults to when that is not one value, `(required)`, or `(none)`.
pub fn default_words(key: &KeySpec) -> String {
    match (key.default, key.default_doc) {
        (Some(""), _) => "(empty)".into(),
        (Some(value), _) => value.into(),
        (None, Some(words)) => words.into(),
        (None, None) if key.is_required() => "(required)".into(),
        (None, None) => "(none)".into(),
    }
}

/// The sentence a key with an environment variable adds to its documentation.
pub fn env_sentence(key: &KeySpec) -> Option<String> {
    key.env
        .map(|var| format!("The environment variable `{var}`, when set, wins over the files."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ValueKind;

    fn sections() -> Vec<SectionSpec> {
        vec![
            SectionSpec::new("Bot", " The bot.\n", vec![]),
            SectionSpec::new(
                "Notes.*",
                " Notes.\n",
                vec![KeySpec::new("keep", ValueKind::Duration, " How long.\n").default("1d")],
            ),
        ]
    }

    #[test]
    fn a_page_gets_each_named_section_and_says_which_are_missing() {
        let page = "# Reference\n<!-- BEGIN GENERATED [Notes.NAME] -->\nstale\n<!-- END GENERATED -->\nNotes.\n";
        let filled = fill_markdown(page, &sections()).unwrap();
        assert!(
            filled.contains("-->\n\nNotes.\n\n| key | type | default | meaning |\n|---|---|---|---|\n| `keep` | duration | `1d` | How long. |\n\n<!-- END"),
            "{filled}"
        );
        assert_eq!(missing_regions(page, &sections()).unwrap(), ["[Bot]"]);
        let unknown = "<!-- BEGIN GENERATED [Weather] -->\n<!-- END GENERATED -->\n";
        assert_eq!(
            fill_markdown(unknown, &sections()).unwrap_err().to_string(),
            "line 1: `BEGIN GENERATED [Weather]` names nothing the code declares"
        );
    }

    #[test]
    fn the_example_region_holds_every_section() {
        let text = "# Intro\n# BEGIN GENERATED sections\n# END GENERATED\n";
        let filled = fill_example(text, &sections()).unwrap();
        assert!(
            filled.starts_with("# Intro\n# BEGIN GENERATED sections\n\n# [Bot]: The bot.\n[Bot]\n\n# [Notes.NAME]: Notes.\n[Notes.main]\n"),
            "{filled}"
        );
        assert!(
            filled.ends_with("keep = 1d\n\n# END GENERATED\n"),
            "{filled}"
        );
    }
}
