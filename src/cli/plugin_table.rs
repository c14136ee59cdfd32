//! `switchboard plugins`: what would load, and what was refused and why.

use super::logging::say;
use std::process::ExitCode;

use switchboard_runtime::bot::discover_and_assemble;
use switchboard_runtime::registry::PluginState;

use super::start::{builtins, loader};
use super::ConfigArgs;

pub async fn run(args: ConfigArgs, json: bool) -> ExitCode {
    let config = match loader(&args, false)() {
        Ok(config) => config,
        Err(e) => {
            say!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Held until the listing is printed: dropping it stops the exec plugins it started.
    let (assembly, _local) = discover_and_assemble(&config, &builtins()).await;
    let assembly = match assembly {
        Ok(assembly) => assembly,
        Err(e) => {
            say!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let plugins = &assembly.registry.plugins;
    let refused = args.strict && !assembly.registry.refusals().is_empty();
    if json {
        let rows: Vec<serde_json::Value> = plugins
            .iter()
            .map(|p| {
                let (state, reason) = match &p.state {
                    PluginState::Active => ("active", None),
                    PluginState::Idle => ("idle", None),
                    PluginState::Rejected(why) => ("rejected", Some(why.clone())),
                    PluginState::Faulted(why) => ("faulted", Some(why.clone())),
                };
                serde_json::json!({"name": p.name, "kind": p.kinds, "source": p.source.to_string(), "state": state, "reason": reason})
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
        return exit_code(refused);
    }
    let rows: Vec<[String; 4]> = plugins
        .iter()
        .map(|p| {
            [
                p.name.clone(),
                p.kinds.clone(),
                p.source.to_string(),
                p.state.to_string(),
            ]
        })
        .collect();
    let header = ["NAME", "KIND", "SOURCE", "STATE"];
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].len())
            .chain([header[i].len()])
            .max()
            .unwrap_or(0)
    };
    let widths = [width(0), width(1), width(2)];
    for row in std::iter::once(header.map(String::from)).chain(rows) {
        println!(
            "{:w0$}  {:w1$}  {:w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
    }
    exit_code(refused)
}

/// With `--strict`, a refused local plugin makes the listing fail too.
fn exit_code(refused: bool) -> ExitCode {
    if refused {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
