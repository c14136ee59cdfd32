//! Subcommands a plugin adds to the `switchboard` command line, e.g. `switchboard checkin list`.
//! A plugin returns them from [`Plugin::subcommands`](crate::Plugin::subcommands); the binary
//! adds them beside its own (`run`, `console`, ...) and knows no plugin by name.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use async_trait::async_trait;

use crate::config::{Config, ConfigError, ConfigErrors};
use crate::store::{Store, StoreError};

/// The options every subcommand that reads the config takes (`--config`, `--strict`).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ConfigArgs {
    /// The config file; without it, ./config.ini when present, else the built-in defaults.
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// Refuse to start when any local plugin is rejected.
    #[arg(long)]
    pub strict: bool,
}

/// Why a subcommand failed; the binary prints it after `error: ` and exits 1.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The config files could not be read.
    #[error("{0}")]
    Config(#[from] ConfigErrors),
    /// A key has a bad value.
    #[error("{0}")]
    ConfigKey(#[from] ConfigError),
    /// The store could not be opened or used.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Anything else, said in a sentence the operator can act on.
    #[error("{0}")]
    Other(Box<dyn std::error::Error + Send + Sync>),
}

impl CliError {
    /// An error from a sentence or from another error type.
    pub fn other(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        CliError::Other(error.into())
    }
}

/// What the binary lends a plugin's subcommand: the config and the bot's store, found the
/// same way `switchboard run` finds them.
#[async_trait]
pub trait CliHost: Send + Sync {
    /// The config `path` names (or `./config.ini`, or the built-in defaults), with the
    /// operator's `local/config.ini` merged on top.
    fn load_config(&self, path: Option<&Path>) -> Result<Config, ConfigErrors>;
    /// The store `[Store]` names: the bot may be running, and both share it.
    async fn open_store(&self, config: &Config) -> Result<Arc<dyn Store>, CliError>;
}

/// One subcommand of `switchboard`.
#[async_trait]
pub trait Subcommand: Send + Sync + 'static {
    /// Its name, help and arguments (clap's builder, or a derive's `augment_args`).
    fn command(&self) -> clap::Command;
    /// Runs it with the arguments clap matched; the exit code is the process's.
    async fn run(&self, args: &clap::ArgMatches, host: &dyn CliHost) -> Result<ExitCode, CliError>;
}
