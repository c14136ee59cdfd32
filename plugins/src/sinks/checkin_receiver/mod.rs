//! The check-in receiver: the server side of the check-in API. It runs standalone
//! (`switchboard checkin-receiver`, configured like the original by `CHECKIN_*` environment
//! variables) or inside the bot as the sink `[Sink.checkin_receiver]`.

mod cli;
mod db;
mod db_postgres;
mod db_sqlite;
mod receiver;
mod routes;
mod row_index;
mod settings;
mod standalone;
mod validate;
mod wire;

#[cfg(test)]
mod listener_tests;
#[cfg(test)]
mod sink_tests;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use switchboard_api::config::{ConfigError, ConfigSection, SectionSpec};
use switchboard_api::http::{ListenerKeys, ListenerSettings, TlsFiles};
use switchboard_api::sink::SinkFilter;
use switchboard_api::{Context, Event, ListenerAddr, Plugin, PluginBuilder, RouteSpec, Sink};

pub use db::{DbTarget, ReceiverDb, ReceiverDbError, SqliteSync};
pub use receiver::Receiver;
pub use routes::{
    receiver_filter, receiver_intake, receiver_limits, routes, sink_filter, ReceiverFilter,
    DRAIN_LIMIT, MAX_BODY,
};
pub use settings::{receiver_secret, ReceiverSettings, SettingsError};
pub use standalone::StandaloneReceiver;
pub use validate::{parse_checkin, BodyError, CheckinRecord};

pub const SECTION: &str = "Sink.checkin_receiver";
/// The bus topic of every check-in the sink stores; the payload is the check-in as JSON.
pub const TOPIC: &str = "checkin.received";

switchboard_api::config_section! {
    /// The check-in API receiver as a sink in the bot (the same routes as `switchboard
    /// checkin-receiver`). Off unless the section exists. Its listener keys are every sink's,
    /// with the original's port and body limit as defaults.
    #[section(
        "Sink.checkin_receiver",
        plugin,
        example_commented,
        defaults = &[("port", "9999"), ("max_body_size", "4096")]
    )]
    pub struct ReceiverSection {
        /// The listener and limit keys every sink accepts.
        pub listener: ListenerKeys,
        /// The bearer secret clients send.
        #[key(
            env = "CHECKIN_API_SECRET",
            default_doc = "(required)",
            example = "YOUR_SECRET"
        )]
        pub secret: Option<String>,
        /// The SQLite file check-ins are stored in, relative to this file.
        #[key(default = "data/checkins.db")]
        pub db_path: String,
        /// A `postgres://` URL; when set, check-ins go to PostgreSQL instead of `db_path`.
        #[key(
            env = "CHECKIN_DATABASE_URL",
            example = "postgres://checkin:secret@127.0.0.1:5432/checkins"
        )]
        pub database_url: Option<String>,
    }
}

pub struct CheckinReceiverPlugin;

impl Plugin for CheckinReceiverPlugin {
    fn name(&self) -> &str {
        "checkin_receiver"
    }

    fn subcommands(&self) -> Vec<Arc<dyn switchboard_api::cli::Subcommand>> {
        vec![Arc::new(cli::ReceiverCli)]
    }

    fn config_sections(&self) -> Vec<SectionSpec> {
        vec![ReceiverSection::spec().clone()]
    }

    fn build(&self, builder: &mut PluginBuilder<'_>) -> Result<(), ConfigError> {
        let config = builder.config();
        let view = config.view(SECTION, ReceiverSection::spec());
        if !view.exists() || !view.enabled() {
            return Ok(());
        }
        let section: ReceiverSection = view.read()?;
        let listener = ListenerSettings::from_keys(section.listener, &view, config)?;
        let secret_raw = section.secret.unwrap_or_default();
        let secret = receiver_secret(&secret_raw).ok_or_else(|| {
            ConfigError::at(
                switchboard_api::config::Origin::Default,
                "a secret is required: set `secret` or the environment variable CHECKIN_API_SECRET",
            )
            .in_section(SECTION)
            .for_key("secret")
        })?;
        let url = section.database_url.filter(|u| !u.is_empty());
        let target = match url {
            Some(url) => DbTarget::Postgres(url),
            None => DbTarget::Sqlite(config.resolve(section.db_path), SqliteSync::Full),
        };
        builder.add_sink(CheckinReceiverSink {
            listener,
            secret,
            target,
        });
        Ok(())
    }
}

/// The receiver as a [`Sink`]: on the bot's shared listener, behind the shared intake
/// (counted as `checkin_receiver`).
pub struct CheckinReceiverSink {
    listener: ListenerSettings,
    secret: switchboard_api::http::signing::Secret,
    target: DbTarget,
}

impl Sink for CheckinReceiverSink {
    fn name(&self) -> &str {
        "checkin_receiver"
    }

    fn listener(&self) -> ListenerAddr {
        self.listener.addr.clone()
    }

    fn tls(&self) -> Option<TlsFiles> {
        self.listener.tls.clone()
    }

    fn listener_configured_at(&self) -> Option<String> {
        Some(self.listener.configured_at.clone())
    }

    fn routes(&self) -> Vec<RouteSpec> {
        routes()
    }

    fn filter(&self, ctx: Context) -> SinkFilter {
        let counters = ctx.sink_counters().for_sink(self.name());
        let receiver =
            Receiver::lazy(self.secret.clone(), self.target.clone()).on_accept(move |record| {
                ctx.publish(Event::custom(
                    TOPIC,
                    serde_json::json!({
                        "packet_hash": record.packet_hash,
                        "username": record.username,
                        "message": record.message,
                        "channel": record.channel,
                        "timestamp": record.timestamp,
                        "source_bot": record.source_bot,
                    }),
                ));
            });
        let intake = receiver_intake(
            self.name(),
            self.listener.limits.clone(),
            counters,
            &receiver,
        );
        sink_filter(&intake, Arc::new(receiver))
    }
}
