//! `switchboard check-config`: every problem at once, exit 1 when there is any.

use super::logging::say;
use std::process::ExitCode;

use switchboard_runtime::bot::{discover_and_assemble, StartupError};

use super::start::{builtins, loader};
use super::ConfigArgs;

pub async fn run(args: ConfigArgs) -> ExitCode {
    let config = match loader(&args, false)() {
        Ok(config) => config,
        Err(errors) => return report(&StartupError::Config(errors)),
    };
    let (assembly, _local) = discover_and_assemble(&config, &builtins()).await;
    match assembly {
        Err(e) => report(&e),
        Ok(assembly) => {
            for warning in config.inline_comment_warnings() {
                say!("warning: {warning}");
            }
            let refusals = assembly.registry.refusals();
            for refusal in &refusals {
                say!("warning: local plugin refused: {refusal}");
            }
            if args.strict && !refusals.is_empty() {
                say!(
                    "error: --strict: {} local plugin(s) refused",
                    refusals.len()
                );
                return ExitCode::FAILURE;
            }
            let files: Vec<String> = config
                .files()
                .iter()
                .map(|f| f.display().to_string())
                .collect();
            let source = if files.is_empty() {
                "built-in defaults".to_string()
            } else {
                files.join(" + ")
            };
            println!(
                "config OK ({source}): {} plugins, {} commands, {} connectors, {} services, {} sinks",
                assembly.registry.plugins.len(),
                assembly.registry.commands.len(),
                assembly.registry.connectors.len(),
                assembly.registry.services.len(),
                assembly.registry.sinks.len(),
            );
            ExitCode::SUCCESS
        }
    }
}

fn report(error: &StartupError) -> ExitCode {
    let text = error.to_string();
    let count = text.lines().count();
    for line in text.lines() {
        say!("error: {line}");
    }
    say!("{count} error(s); nothing was started");
    ExitCode::FAILURE
}
