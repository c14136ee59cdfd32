use std::fmt;
use std::path::PathBuf;

/// Where a config value came from: a file and line, or the environment, or a built-in default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A line of a config file.
    File {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
    },
    /// An environment variable, by name.
    Env(String),
    /// Set by a command-line option, such as `switchboard console` turning the console on.
    CommandLine,
    /// The key's declared default.
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File { path, line } => write!(f, "{}:{}", path.display(), line),
            Origin::Env(var) => write!(f, "environment variable {var}"),
            Origin::CommandLine => f.write_str("command line"),
            Origin::Default => f.write_str("built-in default"),
        }
    }
}

/// One problem in the configuration, naming where it is and what it concerns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// The file (and line) the problem is at; `None` for problems with no place, such as a
    /// required section that is missing.
    pub origin: Option<Origin>,
    /// The section it concerns, if one.
    pub section: Option<String>,
    /// The key it concerns, if one.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    /// A problem at `origin`.
    pub fn at(origin: Origin, message: impl Into<String>) -> Self {
        ConfigError {
            origin: Some(origin),
            section: None,
            key: None,
            message: message.into(),
        }
    }

    /// The same, in `section`.
    pub fn in_section(mut self, section: &str) -> Self {
        self.section = Some(section.to_string());
        self
    }

    /// The same, about `key`.
    pub fn for_key(mut self, key: &str) -> Self {
        self.key = Some(key.to_string());
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(origin) = &self.origin {
            write!(f, "{origin}: ")?;
        }
        match (&self.section, &self.key) {
            (Some(section), Some(key)) => write!(f, "[{section}] {key}: ")?,
            (Some(section), None) => write!(f, "[{section}]: ")?,
            (None, Some(key)) => write!(f, "{key}: ")?,
            (None, None) => {}
        }
        f.write_str(&self.message)
    }
}

/// Every problem found, so an operator fixes them in one pass.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(error: ConfigError) -> Self {
        ConfigErrors(vec![error])
    }
}
