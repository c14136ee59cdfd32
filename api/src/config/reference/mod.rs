//! The reference docs and the example config, generated from the declared sections: a table
//! per section for `docs/configuration.md` ([`section_markdown`]), and `config.ini.example`
//! ([`example_ini`]). The files keep their hand-written parts; only their marked regions
//! ([`fill_regions`]) are generated, so a test can regenerate them and compare.

mod example;
mod markdown;
mod regions;
mod text;

pub use example::example_ini;
pub use markdown::section_markdown;
pub use regions::{fill_regions, region_names, RegionError, BEGIN, END};

use super::KeySpec;

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
