//! A local plugin's HTTP routes, served in process with `warp::test`: the request goes to the
//! real built plugin as JSON, its JSON answer comes back as the response.

mod support;

use std::sync::Arc;

use serde_json::json;
use support::local::{cargo_cdylib, hello_c};
use switchboard_api::config::Config;
use switchboard_api::sink::{ListenerAddr, RouteSpec};
use switchboard_api::{Plugin, PluginBuilder, Sink};
use switchboard_local_plugins::{discover, LocalSet};
use switchboard_testing::TestBot;

struct Loaded {
    _dir: tempfile::TempDir,
    _set: LocalSet,
    bot: TestBot,
    sink: Arc<dyn Sink>,
}

/// Loads the plugins folder `fill` makes, and returns the bot and the one sink.
async fn load(fill: impl FnOnce(&std::path::Path), config: &str) -> Loaded {
    let dir = tempfile::tempdir().expect("temp dir");
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).expect("plugins folder");
    fill(&plugins);
    let text = format!("[Plugins]\nlocal_dir = {}\n{config}", dir.path().display());
    let config = Config::from_text(dir.path().join("config.ini"), &text).expect("config");
    let set = discover(&config, &LocalSet::default()).await;
    assert!(set.failures.is_empty(), "{:?}", set.failures);
    let plugins: Vec<Arc<dyn Plugin>> = set.plugins.iter().map(|(_, p)| p.clone()).collect();
    let mut builder = PluginBuilder::new(&config);
    plugins[0].build(&mut builder).expect("build");
    let sink = builder
        .into_parts()
        .sinks
        .pop()
        .expect("a sink: the plugin declares routes and its section sets a port");
    let bot = match TestBot::with_config(plugins, &text).await {
        Ok(bot) => bot,
        Err(e) => panic!("the test bot did not start: {e}"),
    };
    Loaded {
        _dir: dir,
        _set: set,
        bot,
        sink,
    }
}

#[tokio::test]
async fn the_native_example_answers_its_route_with_the_plugin_json() {
    let loaded = load(
        |plugins| {
            std::fs::copy(
                cargo_cdylib("hello-native"),
                plugins.join("libhello_native.so"),
            )
            .expect("copy");
        },
        "[Plugin.hello]\ngreeting = Howdy\nport = 8099\n",
    )
    .await;
    let sink = &loaded.sink;
    assert_eq!(
        sink.listener(),
        ListenerAddr {
            bind: "127.0.0.1".into(),
            port: 8099
        }
    );
    assert_eq!(sink.routes(), vec![RouteSpec::new("POST", "/hello")]);
    let filter = sink.filter(loaded.bot.context().clone());

    let ok = warp::test::request()
        .method("POST")
        .path("/hello")
        .json(&json!({"name": "ann"}))
        .reply(&filter)
        .await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["content-type"], "application/json");
    let body: serde_json::Value = serde_json::from_slice(ok.body()).expect("JSON body");
    assert_eq!(body, json!({"greeting": "Howdy, ann!"}));

    let bad = warp::test::request()
        .method("POST")
        .path("/hello")
        .body("not json")
        .reply(&filter)
        .await;
    assert_eq!(bad.status(), 400);
    let body: serde_json::Value = serde_json::from_slice(bad.body()).expect("JSON body");
    assert_eq!(body, json!({"error": "send a JSON body with a `name`"}));

    // As a listener serves it: another method on the path is a JSON 405, like any sink's.
    let served = warp::Filter::recover(filter, switchboard_api::http::unmatched);
    let other = warp::test::request()
        .method("GET")
        .path("/hello")
        .reply(&served)
        .await;
    assert_eq!(other.status(), 405);
    let body: serde_json::Value = serde_json::from_slice(other.body()).expect("JSON body");
    assert_eq!(body["reason"], "method_not_allowed");
}

#[tokio::test]
async fn the_c_example_answers_its_route() {
    let loaded = load(
        |plugins| hello_c(&plugins.join("libhello_c.so"), None),
        "[Plugin.hello-c]\nport = 8098\n",
    )
    .await;
    let filter = loaded.sink.filter(loaded.bot.context().clone());
    let ok = warp::test::request()
        .method("POST")
        .path("/hello-c")
        .body("{}")
        .reply(&filter)
        .await;
    assert_eq!(ok.status(), 200);
    let body: serde_json::Value = serde_json::from_slice(ok.body()).expect("JSON body");
    assert_eq!(body, json!({"greeting": "Hello from C!"}));
}
