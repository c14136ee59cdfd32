//! The shipped reference (`docs/configuration.md` and any other page with section regions) and
//! `config.ini.example` are what the code declares: a section or key changed in the code and
//! not regenerated fails here. `scripts/config-reference` regenerates them (it runs this test
//! with `SWITCHBOARD_WRITE_REFERENCE=1`).

use std::path::Path;

use switchboard_api::plugin::Source;
use switchboard_runtime::bot::reference::{documented_sections, generated_files};

/// Set to write the regenerated files instead of comparing.
const WRITE: &str = "SWITCHBOARD_WRITE_REFERENCE";

#[test]
fn the_shipped_reference_and_example_are_generated_from_the_code() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let builtins: Vec<_> = switchboard_plugins::builtins()
        .into_iter()
        .map(|p| (Source::Builtin, p))
        .collect();
    let sections = documented_sections(&builtins);
    let files = generated_files(repo, &sections).unwrap_or_else(|e| panic!("{e}"));
    let stale: Vec<_> = files.iter().filter(|f| f.current != f.expected).collect();
    if std::env::var_os(WRITE).is_some() {
        for file in &stale {
            std::fs::write(repo.join(&file.path), &file.expected)
                .unwrap_or_else(|e| panic!("{}: {e}", file.path.display()));
            eprintln!("regenerated {}", file.path.display());
        }
        return;
    }
    let report: Vec<String> = stale
        .iter()
        .filter_map(|file| {
            let (line, shipped, code) = file.first_difference()?;
            Some(format!(
                "{}:{line}: the file has\n    {shipped}\nwhere the code says\n    {code}",
                file.path.display()
            ))
        })
        .collect();
    assert!(
        report.is_empty(),
        "the shipped files differ from the config the code declares; run scripts/config-reference \
         (and commit the result) after changing a section:\n{}",
        report.join("\n")
    );
}
