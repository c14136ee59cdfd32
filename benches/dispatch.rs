//! Dispatch: one inbound chat message to its reply, through the real built-in commands.
//!
//! `cargo bench --bench dispatch`.

use criterion::{criterion_group, criterion_main, Criterion};
use switchboard_api::{Conversation, Message};
use switchboard_testing::TestBot;

fn dispatch(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let bot = runtime.block_on(TestBot::new(switchboard_plugins::builtins()));
    let message = Message::new(
        "test",
        Conversation::Channel("#general".into()),
        "alice",
        "!ping",
    );
    let chatter = Message::new(
        "test",
        Conversation::Channel("#general".into()),
        "alice",
        "just talking here",
    );
    let mut group = c.benchmark_group("dispatch");
    group.bench_function("ping_to_reply", |b| {
        b.to_async(&runtime).iter(|| async {
            let replies = bot.dispatch(message.clone()).await;
            assert_eq!(replies.len(), 1);
            replies
        })
    });
    group.bench_function("non_command_ignored", |b| {
        b.to_async(&runtime)
            .iter(|| async { bot.dispatch(chatter.clone()).await })
    });
    group.finish();
}

criterion_group!(benches, dispatch);
criterion_main!(benches);
