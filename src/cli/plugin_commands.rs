//! Subcommands that plugins add (`checkin`, `checkin-receiver`, ...), and the config and store
//! the binary lends them.

use super::logging::say;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use switchboard_api::cli::{CliError, CliHost, Subcommand};
use switchboard_api::config::{Config, ConfigErrors};
use switchboard_api::{async_trait, Store};
use switchboard_runtime::bot::{open_store, specs};

/// Every built-in plugin's subcommands.
pub fn all() -> Vec<Arc<dyn Subcommand>> {
    switchboard_plugins::builtins()
        .iter()
        .flat_map(|plugin| plugin.subcommands())
        .collect()
}

/// Runs `subcommand` and turns its error into `error: ...` and exit 1.
pub async fn run(subcommand: &dyn Subcommand, args: &clap::ArgMatches) -> ExitCode {
    match subcommand.run(args, &BinaryHost).await {
        Ok(code) => code,
        Err(e) => {
            say!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

pub(super) struct BinaryHost;

#[async_trait]
impl CliHost for BinaryHost {
    fn load_config(&self, path: Option<&Path>) -> Result<Config, ConfigErrors> {
        Config::load(path)
    }

    async fn open_store(&self, config: &Config) -> Result<Arc<dyn Store>, CliError> {
        let (core, errors) = specs::read(config);
        if let Some(e) = errors.into_iter().next() {
            return Err(e.into());
        }
        Ok(open_store(&core).await?)
    }
}
