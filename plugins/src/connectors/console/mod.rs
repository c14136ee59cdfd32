//! The console connector: stdin and stdout as the chat, for trying the bot and for tests.

mod parse;
pub(crate) mod stdin_lines;

use std::io::Write;

use switchboard_api::config::core::ConnectorCommon;
use switchboard_api::config::{ConfigError, ConfigSection, SectionSpec};
use switchboard_api::{
    async_trait, Connector, ConnectorError, ConnectorIo, Message, Outbound, OutboundLimits, Plugin,
    PluginBuilder,
};

pub use parse::{format_reply, parse_line, parse_line_for, ConsoleLine};
use stdin_lines::{spawn_reader, InputLine};

/// The connector's name when no `[Connector.console.NAME]` section exists.
pub const DEFAULT_NAME: &str = "console";

pub struct ConsolePlugin;

switchboard_api::config_section! {
    /// The console: standard input and output as a chat. `NAME` is the connector's name;
    /// replies, admins and the ignore list are per connector name. Each section is one console
    /// connector; `switchboard console` turns every one on.
    ///
    /// Input lines: `#channel SENDER: text` (a channel message; `#channel text` and
    /// `#channel: text` come from `console`), `@SENDER text` (a direct
    /// message from SENDER; `@BOTNAME text`, with `[Bot] name`, addresses the bot instead),
    /// anything else a direct message from `console`, so `admins =
    /// console` makes you an admin (to try `!reload`, `!shutdown` and `!ignore`). Output lines:
    /// `[#channel] text` or `[@USER] text`.
    #[section("Connector.console.*", plugin, instance = "console")]
    pub struct ConsoleSection {
        /// The keys every connector accepts.
        pub common: ConnectorCommon,
        /// Shut the bot down when standard input ends (set by `switchboard console`).
        #[key(default = "false")]
        pub exit_on_eof: bool,
        /// Longest input line in bytes; longer lines are rejected with a message on stderr.
        #[key(default = "4096")]
        pub max_input_length: usize,
    }
}

impl Plugin for ConsolePlugin {
    fn name(&self) -> &str {
        "console"
    }

    fn config_sections(&self) -> Vec<SectionSpec> {
        vec![ConsoleSection::spec().clone()]
    }

    fn build(&self, builder: &mut PluginBuilder<'_>) -> Result<(), ConfigError> {
        let config = builder.config();
        let spec = ConsoleSection::spec();
        let mut names: Vec<String> = config.instances(spec).map(str::to_string).collect();
        let any_connector = config.sections().any(|s| s.name.starts_with("Connector."));
        if names.is_empty() && !config.has_main_file() && !any_connector {
            names.push(DEFAULT_NAME.to_string());
        }
        for name in names {
            let view = config.view(&format!("Connector.console.{name}"), spec);
            if !view.enabled() {
                continue;
            }
            let section: ConsoleSection = view.read()?;
            builder.add_connector(Console {
                name,
                bot_name: switchboard_api::config::core::bot_name(config),
                common: section.common,
                exit_on_eof: section.exit_on_eof,
                max_input_length: section.max_input_length,
            });
        }
        Ok(())
    }
}

pub struct Console {
    name: String,
    /// `[Bot] name`: `@NAME text` addresses the bot rather than coming from a user so named.
    bot_name: String,
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
        self.common.limits()
    }

    fn admins(&self) -> Vec<String> {
        self.common.admins()
    }

    fn ignored(&self) -> Vec<String> {
        self.common.ignored()
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
                    let line = parse_line_for(&text, &self.bot_name);
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
        } else {
            // Under `run`, Ctrl-D ends the console's input but not the bot: say so.
            tracing::warn!(
                connector = %self.name,
                "console input ended (Ctrl-D or end of file): the bot keeps running without it; stop it with Ctrl-C, SIGTERM or !shutdown"
            );
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
