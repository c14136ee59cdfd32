//! Local plugins: one call into a native plugin and into an exec plugin (request encoded, sent,
//! answered, decoded), and a start with 50 native plugins (scan, load, check, init, register).
//!
//! `cargo bench --bench local_plugins` (needs cc and python3, as the tests do).

#[path = "../tests/support/local.rs"]
mod local;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use switchboard_api::config::Config;
use switchboard_api::{Plugin, Source};
use switchboard_local_plugins::{discover, Backend, LocalSet};
use switchboard_plugin_sdk::{CommandRequest, Request};
use switchboard_runtime::bot::assemble_with_local;
use switchboard_testing::TestBot;

fn config_for(dir: &Path) -> Config {
    let text = format!("[Plugins]\nlocal_dir = {}\n", dir.display());
    Config::from_text(dir.join("config.ini"), &text).expect("config")
}

fn command(name: &str) -> Request {
    Request::Command(CommandRequest {
        command: name.into(),
        keyword: name.into(),
        args: String::new(),
        sender: "alice".into(),
        connector: "test".into(),
        channel: Some("#general".into()),
        sender_is_admin: false,
        prefix: "!".into(),
    })
}

/// Loads the one plugin `fill` puts into a fresh plugins folder.
fn load_one(
    runtime: &tokio::runtime::Runtime,
    fill: impl FnOnce(&Path),
) -> (tempfile::TempDir, LocalSet, Arc<dyn Backend>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(&plugins).expect("plugins folder");
    fill(&plugins);
    let set = runtime.block_on(discover(&config_for(dir.path()), &LocalSet::default()));
    assert!(set.failures.is_empty(), "{:?}", set.failures);
    let backend = set.loaded().next().expect("one plugin").backend.clone();
    (dir, set, backend)
}

fn calls(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let bot = runtime.block_on(TestBot::new(Vec::new()));
    let ctx = bot.context().clone();
    let timeout = Duration::from_secs(5);

    let (_native_dir, _native_set, native) = load_one(&runtime, |plugins| {
        std::fs::copy(
            local::cargo_cdylib("faulty-native"),
            plugins.join("libfaulty.so"),
        )
        .expect("copy");
    });
    let (_exec_dir, _exec_set, exec) = load_one(&runtime, |plugins| {
        local::drop_exec_fixture(plugins, "crashy");
    });

    let mut group = c.benchmark_group("local_plugins");
    let fine = command("fine");
    group.bench_function("native_call_round_trip", |b| {
        b.to_async(&runtime).iter(|| async {
            let answer = native
                .call(fine.clone(), &ctx, timeout)
                .await
                .expect("answer");
            assert_eq!(answer["reply"], "fine");
        })
    });
    // The same call after the worker has parked (nothing called it for a millisecond): what
    // an occasional command pays, the wake-up of two sleeping threads included.
    group.bench_function("native_call_after_idle", |b| {
        b.to_async(&runtime).iter_custom(|iterations| {
            let (native, ctx, fine) = (native.clone(), ctx.clone(), fine.clone());
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    let started = std::time::Instant::now();
                    let answer = native.call(fine.clone(), &ctx, timeout).await;
                    total += started.elapsed();
                    assert_eq!(answer.expect("answer")["reply"], "fine");
                }
                total
            }
        })
    });
    let pid = command("pid");
    group.bench_function("exec_call_round_trip", |b| {
        b.to_async(&runtime).iter(|| async {
            let answer = exec.call(pid.clone(), &ctx, timeout).await.expect("answer");
            assert!(answer["reply"].is_string());
        })
    });
    group.finish();
}

fn startup(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let plugins = dir.path().join("plugins");
    for n in 0..50 {
        local::hello_c(
            &plugins.join(format!("libgreet{n:02}.so")),
            Some(&format!("greet{n:02}")),
        );
    }
    let config = config_for(dir.path());
    let builtins: Vec<(Source, Arc<dyn Plugin>)> = switchboard_plugins::builtins()
        .into_iter()
        .map(|p| (Source::Builtin, p))
        .collect();
    let mut group = c.benchmark_group("local_plugins");
    group.sample_size(10);
    group.bench_function("startup_with_50_native_plugins", |b| {
        b.iter(|| {
            let set = runtime.block_on(discover(&config, &LocalSet::default()));
            let assembly = assemble_with_local(&config, &builtins, &set).expect("assembly");
            assert_eq!(set.plugins.len(), 50);
            assert!(assembly.registry.refusals().is_empty());
            (set, assembly)
        })
    });
    group.finish();
}

criterion_group!(benches, calls, startup);
criterion_main!(benches);
