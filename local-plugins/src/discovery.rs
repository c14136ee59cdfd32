//! Finding plugins under `<local_dir>/plugins/`: sorted by file name, so the same folder always
//! gives the same order (and the same winner of any collision).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::manifest::{Manifest, ManifestError};

/// What one entry of the plugins folder is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A library, directly in the folder or named by a folder's `plugin.toml`.
    Native {
        /// What the plugin is listed as: the library, or its folder.
        at: PathBuf,
        library: PathBuf,
        /// The name `plugin.toml` gives, which must match the library's own.
        expected_name: Option<String>,
    },
    Exec {
        at: PathBuf,
        manifest: Manifest,
    },
    /// An entry that looks like a plugin but cannot be one; the reason says why.
    Broken {
        at: PathBuf,
        reason: String,
    },
}

impl Found {
    pub fn at(&self) -> &Path {
        match self {
            Found::Native { at, .. } | Found::Exec { at, .. } | Found::Broken { at, .. } => at,
        }
    }
}

const LIBRARY_EXTENSIONS: [&str; 3] = ["so", "dylib", "dll"];

fn is_library(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| LIBRARY_EXTENSIONS.contains(&e))
}

/// Every plugin entry in `dir`, sorted; an absent folder has none.
pub fn scan(dir: &Path) -> Vec<Found> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|path| {
            if path.is_dir() {
                Some(folder(path))
            } else if is_library(&path) {
                Some(match writable_by_others(&path) {
                    Some(reason) => Found::Broken { at: path, reason },
                    None => Found::Native {
                        at: path.clone(),
                        library: path,
                        expected_name: None,
                    },
                })
            } else {
                tracing::debug!(path = %path.display(), "not a plugin: ignored");
                None
            }
        })
        .collect()
}

fn folder(at: PathBuf) -> Found {
    let toml = at.join("plugin.toml");
    if !toml.exists() {
        return Found::Broken {
            reason: "a plugin folder needs a plugin.toml".into(),
            at,
        };
    }
    let manifest = match Manifest::read(&toml) {
        Ok(manifest) => manifest,
        Err(e) => {
            return Found::Broken {
                reason: e.to_string(),
                at,
            }
        }
    };
    if manifest.command.is_some() {
        if manifest.name.is_none() {
            return Found::Broken {
                reason: ManifestError::NoName.to_string(),
                at,
            };
        }
        return Found::Exec { at, manifest };
    }
    let library = match &manifest.library {
        Some(library) => at.join(library),
        None => {
            let libraries: Vec<PathBuf> = std::fs::read_dir(&at)
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .map(|e| e.path())
                        .filter(|p| is_library(p))
                        .collect()
                })
                .unwrap_or_default();
            match <[PathBuf; 1]>::try_from(libraries) {
                Ok([library]) => library,
                Err(_) => {
                    return Found::Broken {
                        reason: ManifestError::Neither.to_string(),
                        at,
                    }
                }
            }
        }
    };
    if let Some(reason) = writable_by_others(&library) {
        return Found::Broken { at, reason };
    }
    Found::Native {
        at,
        library,
        expected_name: manifest.name,
    }
}

/// Loading a library runs its code: refuse one that users other than its owner could replace.
fn writable_by_others(library: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(library).ok()?.permissions().mode();
        if mode & 0o022 != 0 {
            return Some(format!(
                "{} is writable by group or others (mode {:o}); native code is loaded only from files its owner alone can change",
                library.display(),
                mode & 0o777
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = library;
    None
}

/// Changes when any file the plugin is made of changes, so a reload reloads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(Vec<(PathBuf, u64, Option<SystemTime>)>);

pub fn fingerprint(found: &Found) -> Fingerprint {
    let stat = |p: &Path| {
        let meta = std::fs::metadata(p).ok();
        (
            p.to_path_buf(),
            meta.as_ref().map_or(0, |m| m.len()),
            meta.and_then(|m| m.modified().ok()),
        )
    };
    let at = found.at();
    let mut files: Vec<_> = if at.is_dir() {
        std::fs::read_dir(at)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| stat(&e.path()))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        vec![stat(at)]
    };
    if let Found::Native { library, .. } = found {
        files.push(stat(library));
    }
    files.sort();
    Fingerprint(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_sorted_and_classified() {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = dir.path();
        std::fs::write(p.join("b.so"), b"").expect("write");
        std::fs::write(p.join("a.so"), b"").expect("write");
        std::fs::write(p.join("notes.txt"), b"").expect("write");
        std::fs::create_dir(p.join("roll")).expect("dir");
        std::fs::write(
            p.join("roll/plugin.toml"),
            "name = \"roll\"\ncommand = \"python3\"\nargs = [\"roll.py\"]\n",
        )
        .expect("write");
        std::fs::create_dir(p.join("empty")).expect("dir");
        let found = scan(p);
        let names: Vec<String> = found
            .iter()
            .map(|f| {
                f.at()
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(names, vec!["a.so", "b.so", "empty", "roll"]);
        assert!(
            matches!(&found[2], Found::Broken { reason, .. } if reason.contains("needs a plugin.toml"))
        );
        assert!(matches!(&found[3], Found::Exec { .. }));
    }

    #[cfg(unix)]
    #[test]
    fn a_library_others_can_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let library = dir.path().join("open.so");
        std::fs::write(&library, b"").expect("write");
        std::fs::set_permissions(&library, std::fs::Permissions::from_mode(0o666)).expect("chmod");
        let found = scan(dir.path());
        assert!(
            matches!(&found[0], Found::Broken { reason, .. } if reason.contains("writable by group or others (mode 666)")),
            "{found:?}"
        );
    }

    #[test]
    fn a_missing_folder_has_no_plugins() {
        assert!(scan(Path::new("/nonexistent/switchboard/plugins")).is_empty());
    }
}
