//! Every kind of collision, and who wins.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::*;
use switchboard_api::command::{Command, CommandError, CommandSpec, Invocation, Reply};
use switchboard_api::config::Origin;
use switchboard_api::connector::{Connector, ConnectorError, ConnectorIo};
use switchboard_api::context::Context;
use switchboard_api::event::Outbound;
use switchboard_api::plugin::{PluginParts, Source};
use switchboard_api::sink::{ListenerAddr, RouteSpec, Sink, SinkFilter};

struct Cmd(CommandSpec);

#[async_trait::async_trait]
impl Command for Cmd {
    fn spec(&self) -> CommandSpec {
        self.0.clone()
    }
    async fn execute(&self, _: Invocation, _: &Context) -> Result<Reply, CommandError> {
        Ok(Reply::none())
    }
}

struct Conn(&'static str);

#[async_trait::async_trait]
impl Connector for Conn {
    fn name(&self) -> &str {
        self.0
    }
    fn kind(&self) -> &str {
        "fake"
    }
    async fn run(&self, _: ConnectorIo) -> Result<(), ConnectorError> {
        Ok(())
    }
    async fn send(&self, _: &Outbound) -> Result<(), ConnectorError> {
        Ok(())
    }
}

struct Route(&'static str, &'static str);

impl Sink for Route {
    fn name(&self) -> &str {
        "route"
    }
    fn listener(&self) -> ListenerAddr {
        ListenerAddr {
            bind: "127.0.0.1".into(),
            port: 8080,
        }
    }
    fn listener_settings(&self) -> String {
        if self.1.starts_with("/tls") {
            "tls: cert.pem".into()
        } else {
            "plain".into()
        }
    }
    fn routes(&self) -> Vec<RouteSpec> {
        vec![RouteSpec::new(self.0, self.1)]
    }
    fn filter(&self, _: Context) -> SinkFilter {
        use warp::Filter;
        warp::any()
            .map(|| warp::reply::Response::new(Default::default()))
            .boxed()
    }
}

fn builtin(name: &str, parts: PluginParts) -> Candidate {
    Candidate {
        name: name.into(),
        source: Source::Builtin,
        parts,
    }
}

fn local(name: &str, parts: PluginParts) -> Candidate {
    Candidate {
        name: name.into(),
        source: Source::Local(PathBuf::from(format!("local/plugins/{name}.so"))),
        parts,
    }
}

fn commands(specs: Vec<CommandSpec>) -> PluginParts {
    PluginParts {
        commands: specs
            .into_iter()
            .map(|s| Arc::new(Cmd(s)) as Arc<dyn Command>)
            .collect(),
        ..Default::default()
    }
}

fn cmd(name: &str) -> CommandSpec {
    CommandSpec::new(name, "")
}

fn state(registry: &Registry, name: &str) -> PluginState {
    registry
        .plugins
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.state.clone())
        .expect("plugin listed")
}

#[test]
fn a_local_command_named_like_a_builtin_is_refused_and_the_builtin_kept() {
    let registry = build(
        vec![
            builtin("ping", commands(vec![cmd("ping")])),
            local("hello", commands(vec![cmd("hello"), cmd("PING")])),
        ],
        &HashMap::new(),
    )
    .unwrap();
    assert_eq!(
        state(&registry, "hello"),
        PluginState::Rejected(
            "command keyword `ping` is claimed by plugin `ping` (built-in; command `ping`) and by plugin `hello` (local: local/plugins/hello.so; command `ping`)".into()
        )
    );
    // Refused whole: its other command is not registered either.
    assert!(registry.commands.lookup("hello").is_none());
    assert_eq!(
        registry.commands.lookup("ping").map(|e| e.plugin.as_str()),
        Some("ping")
    );
    assert_eq!(registry.rejections.len(), 1);
}

#[test]
fn aliases_collide_with_names_and_with_aliases_case_insensitively() {
    let registry = build(
        vec![
            builtin("ping", commands(vec![cmd("ping").alias("p")])),
            local("a", commands(vec![cmd("alpha").alias("PING")])),
            local("b", commands(vec![cmd("beta").alias("P")])),
            local("c", commands(vec![cmd("gamma").alias("g")])),
        ],
        &HashMap::new(),
    )
    .unwrap();
    assert!(matches!(state(&registry, "a"), PluginState::Rejected(why) if why.contains("`ping`")));
    assert!(
        matches!(state(&registry, "b"), PluginState::Rejected(why) if why.contains("command keyword `p`") && why.contains("alias of `beta`"))
    );
    assert_eq!(state(&registry, "c"), PluginState::Active);
    assert_eq!(
        registry.commands.lookup("G").map(|e| e.spec.name.as_str()),
        Some("gamma")
    );
}

#[test]
fn plugin_names_collide() {
    let registry = build(
        vec![
            builtin("ping", commands(vec![cmd("ping")])),
            local("Ping", commands(vec![cmd("pong")])),
        ],
        &HashMap::new(),
    )
    .unwrap();
    assert!(
        matches!(state(&registry, "Ping"), PluginState::Rejected(why) if why.starts_with("plugin name `ping`"))
    );
}

#[test]
fn an_earlier_local_plugin_wins_over_a_later_one() {
    let registry = build(
        vec![
            local("a", commands(vec![cmd("x")])),
            local("b", commands(vec![cmd("x")])),
        ],
        &HashMap::new(),
    )
    .unwrap();
    assert_eq!(state(&registry, "a"), PluginState::Active);
    assert!(matches!(state(&registry, "b"), PluginState::Rejected(_)));
}

#[test]
fn sink_routes_collide_on_the_same_listener_method_and_path() {
    let sinks = |method, path| PluginParts {
        sinks: vec![Arc::new(Route(method, path)) as Arc<dyn Sink>],
        ..Default::default()
    };
    let registry = build(
        vec![
            builtin("jsonrpc", sinks("POST", "/{conversation}")),
            local("hook", sinks("post", "/{conversation}")),
            local("other", sinks("GET", "/{conversation}")),
        ],
        &HashMap::new(),
    )
    .unwrap();
    assert!(
        matches!(state(&registry, "hook"), PluginState::Rejected(why) if why.starts_with("route `POST /{conversation}` on 127.0.0.1:8080"))
    );
    assert_eq!(state(&registry, "other"), PluginState::Active);
}

#[test]
fn sinks_share_a_listener_only_with_the_same_settings() {
    let sinks = |method, path| PluginParts {
        sinks: vec![Arc::new(Route(method, path)) as Arc<dyn Sink>],
        ..Default::default()
    };
    let registry = build(
        vec![
            builtin("jsonrpc", sinks("POST", "/a")),
            local("same", sinks("POST", "/b")),
            local("tls", sinks("POST", "/tls/c")),
        ],
        &HashMap::new(),
    )
    .unwrap();
    assert_eq!(state(&registry, "same"), PluginState::Active);
    assert_eq!(
        state(&registry, "tls"),
        PluginState::Rejected(
            "listener 127.0.0.1:8080 is claimed by plugin `jsonrpc` (built-in; sink `route` (plain)) and by plugin `tls` (local: local/plugins/tls.so; sink `route` (tls: cert.pem))".into()
        )
    );
}

#[test]
fn connector_names_collide() {
    let conns = |name| PluginParts {
        connectors: vec![Arc::new(Conn(name)) as Arc<dyn Connector>],
        ..Default::default()
    };
    let registry = build(
        vec![
            builtin("console", conns("main")),
            local("irc", conns("main")),
        ],
        &HashMap::new(),
    )
    .unwrap();
    assert!(
        matches!(state(&registry, "irc"), PluginState::Rejected(why) if why.starts_with("connector name `main`"))
    );
    assert_eq!(registry.connectors.len(), 1);
}

#[test]
fn a_plugin_colliding_with_itself_is_refused() {
    let registry = build(
        vec![local("dup", commands(vec![cmd("x").alias("x")]))],
        &HashMap::new(),
    )
    .unwrap();
    assert!(
        matches!(state(&registry, "dup"), PluginState::Rejected(why) if why.contains("alias of `x`"))
    );
}

#[test]
fn builtins_colliding_through_config_aliases_stop_the_start_naming_the_line() {
    let mut overrides = HashMap::new();
    overrides.insert(
        "ping".to_string(),
        CommandOverride {
            enabled: true,
            aliases: vec!["help".into()],
            origin: Some(Origin::File {
                path: "config.ini".into(),
                line: 7,
            }),
            ..Default::default()
        },
    );
    let err = build(
        vec![
            builtin("help", commands(vec![cmd("help")])),
            builtin("ping", commands(vec![cmd("ping")])),
        ],
        &overrides,
    )
    .err()
    .expect("a fatal conflict");
    assert_eq!(
        err.to_string(),
        "command keyword `help` is claimed by plugin `help` (built-in; command `help`) and by plugin `ping` (built-in; alias of `ping` set at config.ini:7)"
    );
}

#[test]
fn every_conflict_is_reported_together() {
    let registry = build(
        vec![
            builtin("core", commands(vec![cmd("a"), cmd("b")])),
            local("x", commands(vec![cmd("a")])),
            local("y", commands(vec![cmd("b")])),
        ],
        &HashMap::new(),
    )
    .unwrap();
    assert_eq!(registry.rejections.len(), 2);
}

#[test]
fn help_and_dispatch_read_one_table_sorted_by_name() {
    let registry = build(
        vec![builtin(
            "core",
            commands(vec![cmd("zeta"), cmd("alpha").alias("a")]),
        )],
        &HashMap::new(),
    )
    .unwrap();
    let names: Vec<&str> = registry
        .commands
        .entries()
        .iter()
        .map(|e| e.spec.name.as_str())
        .collect();
    assert_eq!(names, vec!["alpha", "zeta"]);
    assert_eq!(
        registry.commands.lookup("A").map(|e| e.spec.name.as_str()),
        Some("alpha")
    );
}
