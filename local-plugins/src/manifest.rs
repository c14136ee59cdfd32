//! `plugin.toml`: names an exec plugin's command, or a native plugin's library in a folder.

use std::path::Path;

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Required for exec plugins; a native plugin's name comes from its descriptor.
    pub name: Option<String>,
    #[serde(default)]
    pub description: String,
    /// The program an exec plugin runs, resolved against the folder when it is a relative path
    /// with a `/`, otherwise looked up on `PATH` (e.g. `python3`).
    pub command: Option<String>,
    #[serde(default)]
    pub args: Vec<String>,
    /// The library a native plugin in a folder loads, relative to the folder.
    pub library: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read plugin.toml: {0}")]
    Read(#[from] std::io::Error),
    #[error("plugin.toml is not valid: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("plugin.toml names both a `command` and a `library`; a plugin is one or the other")]
    Both,
    #[error("plugin.toml names neither a `command` (exec plugin) nor a `library` (native plugin), and the folder holds no single library")]
    Neither,
    #[error("plugin.toml needs a `name` for an exec plugin")]
    NoName,
    #[error("plugin name `{0}` is not valid: use letters, digits, `-` and `_`")]
    BadName(String),
}

impl Manifest {
    pub fn read(path: &Path) -> Result<Manifest, ManifestError> {
        let text = std::fs::read_to_string(path)?;
        let manifest: Manifest = toml::from_str(&text)?;
        if manifest.command.is_some() && manifest.library.is_some() {
            return Err(ManifestError::Both);
        }
        if let Some(name) = &manifest.name {
            if !valid_name(name) {
                return Err(ManifestError::BadName(name.clone()));
            }
        }
        Ok(manifest)
    }
}

/// Plugin names become config sections (`[Plugin.NAME]`) and storage scopes.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Manifest, ManifestError> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("plugin.toml");
        std::fs::write(&path, text).expect("write");
        Manifest::read(&path)
    }

    #[test]
    fn an_exec_manifest_reads_name_command_and_args() {
        let m =
            parse("name = \"roll\"\ncommand = \"python3\"\nargs = [\"roll.py\"]\n").expect("valid");
        assert_eq!(m.name.as_deref(), Some("roll"));
        assert_eq!(m.command.as_deref(), Some("python3"));
        assert_eq!(m.args, vec!["roll.py"]);
    }

    #[test]
    fn bad_manifests_say_what_is_wrong() {
        let unknown = parse("name = \"x\"\ncomand = \"a\"\n")
            .unwrap_err()
            .to_string();
        assert!(unknown.contains("unknown field `comand`"), "{unknown}");
        let both = parse("command = \"a\"\nlibrary = \"b.so\"\n").unwrap_err();
        assert!(matches!(both, ManifestError::Both));
        let name = parse("name = \"a b\"\n").unwrap_err();
        assert!(matches!(name, ManifestError::BadName(_)));
    }
}
