//! `switchboard run` and `switchboard console`.

use super::logging::say;
use std::process::ExitCode;
use std::sync::Arc;

use switchboard_api::config::{Config, ConfigErrors};
use switchboard_api::{Plugin, Source};
use switchboard_runtime::bot::{self as runtime, BotOptions, ConfigLoader};

use super::ConfigArgs;

pub fn builtins() -> Vec<(Source, Arc<dyn Plugin>)> {
    switchboard_plugins::builtins()
        .into_iter()
        .map(|p| (Source::Builtin, p))
        .collect()
}

/// Loads the config as the subcommand sees it: `console` turns a console connector on (the
/// configured ones, or one named `console`) and makes it end the bot at the end of input.
pub fn loader(args: &ConfigArgs, console: bool) -> ConfigLoader {
    let path = args.config.clone();
    Arc::new(move || -> Result<Config, ConfigErrors> {
        let mut config = Config::load(path.as_deref())?;
        if console {
            let mut consoles: Vec<String> = config
                .sections()
                .filter(|s| s.name.starts_with("Connector.console."))
                .map(|s| s.name.clone())
                .collect();
            if consoles.is_empty() {
                consoles.push("Connector.console.console".into());
            }
            for section in consoles {
                config.set(&section, "exit_on_eof", "true");
                config.set(&section, "enabled", "true");
            }
        }
        Ok(config)
    })
}

pub async fn run(args: ConfigArgs, console: bool) -> ExitCode {
    let options = BotOptions {
        version: env!("CARGO_PKG_VERSION").to_string(),
        strict: args.strict,
        load_config: loader(&args, console),
        store: None,
    };
    match runtime::run(builtins(), options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            say!("error: the bot did not start:\n{e}");
            ExitCode::FAILURE
        }
    }
}
