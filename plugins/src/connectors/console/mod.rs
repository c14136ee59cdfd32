//! The console connector: stdin and stdout as the chat, for trying the bot and for tests.

mod parse;
mod stdin_lines;

use std::io::Write;

use switchboard_api::config::core::{connector_keys, ConnectorCommon};
use switchboard_api::config::{ConfigError, KeySpec, SectionSpec, ValueKind};
use switchboard_api::{
    async_trait, Connector, ConnectorError, ConnectorIo, Message, Outbound, OutboundLimits, Plugin,
    PluginBuilder,
};

pub use parse::{format_reply, parse_line, ConsoleLine};
use stdin_lines::{spawn_reader, InputLine};

pub const SECTION: &str = "Connector.console.*";
/// The connector's name when no `[Connector.console.NAME]` section exists.
pub const DEFAULT_NAME: &str = "console";

pub struct ConsolePlugin;

fn section() -> SectionSpec {
    let mut keys = connector_keys();
    keys.push(
        KeySpec::new(
            "exit_on_eof",
            ValueKind::Bool,
            "Shut the bot down when standard input ends (set by `switchboard console`).",
        )
        .default("false"),
    );
    keys.push(
        KeySpec::new(
            "max_input_length",
            ValueKind::Integer,
            "Longest input line in bytes; longer lines are rejected with a message on stderr.",
        )
        .default("4096"),
    );
    SectionSpec::plugin(
        SECTION,
        "The console: standard input and output as a chat.",
        keys,
    )
}

impl Plugin for ConsolePlugin {
    fn name(&self) -> &str {
        "console"
    }

    fn config_sections(&self) -> Vec<SectionSpec> {
        vec![section()]
    }

    fn build(&self, builder: &mut PluginBuilder<'_>) -> Result<(), ConfigError> {
        let config = builder.config();
        let spec = section();
        let mut names: Vec<String> = config.instances(&spec).map(str::to_string).collect();
        let any_connector = config.sections().any(|s| s.name.starts_with("Connector."));
        if names.is_empty() && !config.has_main_file() && !any_connector {
            names.push(DEFAULT_NAME.to_string());
        }
        for name in names {
            let view = config.view(&format!("Connector.console.{name}"), &spec);
            if !view.enabled() {
                continue;
            }
            builder.add_connector(Console {
                name,
                common: ConnectorCommon::read(&view)?,
                exit_on_eof: view.get("exit_on_eof")?,
                max_input_length: view.get("max_input_length")?,
            });
        }
        Ok(())
    }
}

pub struct Console {
    name: String,
    common: ConnectorCommon,
    exit_on_eof: bool,
    max_input_length: usize,
}

#[async_trait]
impl Connector for Console {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &str {
        "console"
    }

    fn limits(&self) -> OutboundLimits {
        self.common.limits
    }

    fn admins(&self) -> Vec<String> {
        self.common.admins.clone()
    }

    fn ignored(&self) -> Vec<String> {
        self.common.ignore.clone()
    }

    async fn run(&self, io: ConnectorIo) -> Result<(), ConnectorError> {
        let mut lines = spawn_reader(std::io::stdin(), self.max_input_length);
        let mut number = 0u64;
        loop {
            let line = tokio::select! {
                _ = io.intake_stopped().cancelled() => return Ok(()),
                line = lines.recv() => line,
            };
            number += 1;
            match line {
                None => break,
                Some(InputLine::Text(text)) if text.trim().is_empty() => {}
                Some(InputLine::Text(text)) => {
                    let line = parse_line(&text);
                    let message =
                        Message::new(&self.name, line.conversation, line.sender, line.text);
                    io.receive(message).await?;
                }
                Some(InputLine::TooLong(length)) => tracing::warn!(
                    line = number,
                    length,
                    max = self.max_input_length,
                    "console input line rejected: longer than max_input_length"
                ),
                Some(InputLine::NotUtf8) => {
                    tracing::warn!(
                        line = number,
                        "console input line rejected: not valid UTF-8"
                    )
                }
            }
        }
        if self.exit_on_eof {
            tracing::info!("console input ended: shutting down");
            io.request_shutdown();
        }
        Ok(())
    }

    async fn send(&self, message: &Outbound) -> Result<(), ConnectorError> {
        let line = format_reply(&message.target, &message.text);
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}")
            .and_then(|()| out.flush())
            .map_err(|source| ConnectorError::Io {
                what: "stdout".into(),
                source,
            })
    }
}
