//! The configuration reference as the code declares it, and the shipped files generated from
//! it: the section tables in `docs/*.md` and `config.ini.example`. A test compares the files
//! with what this regenerates; `scripts/config-reference` writes them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use switchboard_api::config::core::PLUGINS;
use switchboard_api::config::reference::{
    fill_example, fill_markdown, missing_regions, RegionError,
};
use switchboard_api::config::SectionSpec;
use switchboard_api::plugin::{Plugin, Source};

use super::assemble::all_sections;

/// The page that must hold every section.
pub const REFERENCE_PAGE: &str = "docs/configuration.md";
/// The example config, every section and key.
pub const EXAMPLE: &str = "config.ini.example";
/// The folder of the docs pages; any of them may hold section regions.
pub const DOCS_DIR: &str = "docs";

#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    #[error("{}: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: {error}", path.display())]
    Region { path: PathBuf, error: RegionError },
    #[error("{}: no `BEGIN GENERATED` region for {}; add one under the section's heading", path.display(), sections.join(", "))]
    Missing {
        path: PathBuf,
        sections: Vec<String>,
    },
}

/// Every section the reference documents: the core's, `[Plugin.NAME]` after `[Plugins]`, then
/// each plugin's in registration order.
pub fn documented_sections(plugins: &[(Source, Arc<dyn Plugin>)]) -> Vec<SectionSpec> {
    let mut sections = all_sections(plugins);
    let at = sections
        .iter()
        .position(|s| s.pattern == PLUGINS)
        .map_or(sections.len(), |i| i + 1);
    sections.insert(at, switchboard_local_plugins::reference_section());
    sections
}

/// One generated file: where it is (relative to the repository), what it holds now and what
/// the code says it should hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: PathBuf,
    pub current: String,
    pub expected: String,
}

impl GeneratedFile {
    /// The first line where the file differs from what is expected, numbered from 1, with
    /// both versions of it.
    pub fn first_difference(&self) -> Option<(usize, &str, &str)> {
        let mut current = self.current.lines();
        let mut expected = self.expected.lines();
        for number in 1.. {
            match (current.next(), expected.next()) {
                (None, None) => return None,
                (a, b) if a == b => {}
                (a, b) => return Some((number, a.unwrap_or("(end)"), b.unwrap_or("(end)"))),
            }
        }
        None
    }
}

/// Every docs page with section regions, and the example, regenerated from `sections`.
/// `docs/configuration.md` must hold a region for every section.
pub fn generated_files(
    repo: &Path,
    sections: &[SectionSpec],
) -> Result<Vec<GeneratedFile>, ReferenceError> {
    let mut files = Vec::new();
    for path in docs_pages(repo)? {
        let current = read(repo, &path)?;
        let region = |error| ReferenceError::Region {
            path: path.clone(),
            error,
        };
        if path == Path::new(REFERENCE_PAGE) {
            let missing = missing_regions(&current, sections).map_err(region)?;
            if !missing.is_empty() {
                return Err(ReferenceError::Missing {
                    path,
                    sections: missing,
                });
            }
        }
        let expected = fill_markdown(&current, sections).map_err(region)?;
        files.push(GeneratedFile {
            path,
            current,
            expected,
        });
    }
    let path = PathBuf::from(EXAMPLE);
    let current = read(repo, &path)?;
    let expected = fill_example(&current, sections).map_err(|error| ReferenceError::Region {
        path: path.clone(),
        error,
    })?;
    files.push(GeneratedFile {
        path,
        current,
        expected,
    });
    Ok(files)
}

/// The Markdown pages under `docs/`, relative to the repository, sorted.
fn docs_pages(repo: &Path) -> Result<Vec<PathBuf>, ReferenceError> {
    let dir = repo.join(DOCS_DIR);
    let entries = std::fs::read_dir(&dir).map_err(|error| ReferenceError::Read {
        path: dir.clone(),
        error,
    })?;
    let mut pages: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .filter(|name| name.to_string_lossy().ends_with(".md"))
        .map(|name| Path::new(DOCS_DIR).join(name))
        .collect();
    pages.sort();
    Ok(pages)
}

fn read(repo: &Path, path: &Path) -> Result<String, ReferenceError> {
    std::fs::read_to_string(repo.join(path)).map_err(|error| ReferenceError::Read {
        path: path.to_path_buf(),
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_difference_names_the_line() {
        let file = GeneratedFile {
            path: "x".into(),
            current: "a\nb\nc\n".into(),
            expected: "a\nB\nc\n".into(),
        };
        assert_eq!(file.first_difference(), Some((2, "b", "B")));
        let longer = GeneratedFile {
            expected: "a\nb\nc\nd\n".into(),
            ..file.clone()
        };
        assert_eq!(longer.first_difference(), Some((4, "(end)", "d")));
        let same = GeneratedFile {
            expected: file.current.clone(),
            ..file
        };
        assert_eq!(same.first_difference(), None);
    }

    #[test]
    fn plugin_name_comes_after_plugins() {
        let titles: Vec<String> = documented_sections(&[])
            .iter()
            .map(SectionSpec::title)
            .collect();
        assert_eq!(
            titles,
            [
                "[Bot]",
                "[Plugins]",
                "[Plugin.NAME]",
                "[Store]",
                "[Command.NAME]"
            ]
        );
    }
}
