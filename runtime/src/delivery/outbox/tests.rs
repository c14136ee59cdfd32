//! The outbox keeps what it accepted through a "kill": a run whose connector never sends
//! leaves the rows in the store, and the next run on the same store delivers them in order.
//! A message its connector sends at once is never written; one sent while it is being written
//! leaves no row behind; one whose write failed (the sender hears 503) is never sent.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::*;
use crate::bot::BotHost;
use crate::store::SqliteStore;
use switchboard_api::{Connector, ConnectorError, ConnectorIo, Context, Host, Store};

/// A connector whose `send` never returns, like a transport that is down.
struct Stuck;

#[async_trait::async_trait]
impl Connector for Stuck {
    fn name(&self) -> &str {
        "chat"
    }
    fn kind(&self) -> &str {
        "stuck"
    }
    async fn run(&self, _: ConnectorIo) -> Result<(), ConnectorError> {
        Ok(())
    }
    async fn send(&self, _: &Outbound) -> Result<(), ConnectorError> {
        std::future::pending().await
    }
}

#[derive(Default)]
struct Recorder {
    sent: Mutex<Vec<String>>,
    changed: Notify,
}

#[async_trait::async_trait]
impl Connector for Recorder {
    fn name(&self) -> &str {
        "chat"
    }
    fn kind(&self) -> &str {
        "recorder"
    }
    async fn run(&self, _: ConnectorIo) -> Result<(), ConnectorError> {
        Ok(())
    }
    async fn send(&self, message: &Outbound) -> Result<(), ConnectorError> {
        self.sent.lock().unwrap().push(message.text.clone());
        self.changed.notify_waiters();
        Ok(())
    }
}

impl Recorder {
    async fn wait_for(&self, count: usize) -> Vec<String> {
        let wait = async {
            loop {
                let changed = self.changed.notified();
                let sent = self.sent.lock().unwrap().clone();
                if sent.len() >= count {
                    return sent;
                }
                changed.await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .expect("messages delivered in time")
    }
}

/// A connector that sends only once the test opens its gate, like one held up by flood control.
#[derive(Default)]
struct Gated {
    open: Notify,
    recorder: Recorder,
}

#[async_trait::async_trait]
impl Connector for Gated {
    fn name(&self) -> &str {
        "chat"
    }
    fn kind(&self) -> &str {
        "gated"
    }
    async fn run(&self, _: ConnectorIo) -> Result<(), ConnectorError> {
        Ok(())
    }
    async fn send(&self, message: &Outbound) -> Result<(), ConnectorError> {
        self.open.notified().await;
        self.recorder.send(message).await
    }
}

/// A real store that counts the outbox rows written and can hold each write, once committed,
/// until released. A row whose message mentions `refused` cannot be written, as on a full
/// disk.
struct Watched {
    inner: SqliteStore,
    puts: std::sync::atomic::AtomicUsize,
    put_started: Notify,
    hold_puts: Option<Notify>,
}

impl Watched {
    fn new(hold_puts: bool) -> Arc<Watched> {
        Arc::new(Watched {
            inner: SqliteStore::in_memory().unwrap(),
            puts: Default::default(),
            put_started: Notify::new(),
            hold_puts: hold_puts.then(Notify::new),
        })
    }

    fn puts(&self) -> usize {
        self.puts.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl Store for Watched {
    fn backend(&self) -> &'static str {
        "sqlite"
    }
    async fn get(&self, scope: &str, key: &str) -> Result<Option<String>, StoreError> {
        self.inner.get(scope, key).await
    }
    async fn put(&self, scope: &str, key: &str, value: &str) -> Result<(), StoreError> {
        self.puts.fetch_add(1, Ordering::SeqCst);
        if value.contains("refused") {
            return Err(StoreError::backend("writing a row", "disk full"));
        }
        self.inner.put(scope, key, value).await?;
        self.put_started.notify_one();
        if let Some(hold) = &self.hold_puts {
            hold.notified().await;
        }
        Ok(())
    }
    async fn delete(&self, scope: &str, key: &str) -> Result<bool, StoreError> {
        self.inner.delete(scope, key).await
    }
    async fn list(&self, scope: &str) -> Result<Vec<(String, String)>, StoreError> {
        self.inner.list(scope).await
    }
}

/// A bot's context, and its delivery for what only the runtime does (closing the outbox).
#[derive(Clone)]
struct Bot {
    host: Arc<BotHost>,
    ctx: Context,
}

impl Bot {
    fn new(store: &Arc<dyn Store>) -> Bot {
        let host = BotHost::for_tests(store.clone());
        Bot {
            ctx: host.context("test"),
            host,
        }
    }

    async fn accept(&self, target: Target, text: impl Into<String>) -> Result<(), AcceptError> {
        self.ctx.accept(target, text).await
    }

    fn outbox(&self) -> &crate::delivery::Delivery {
        &self.host.delivery
    }
}

fn started(store: &Arc<dyn Store>, connector: Arc<dyn Connector>) -> (Bot, ScopedStore) {
    started_as(store, connector, "test")
}

/// A bot named `name` (`[Bot] name`), its outbox started on `store`.
fn started_as(
    store: &Arc<dyn Store>,
    connector: Arc<dyn Connector>,
    name: &str,
) -> (Bot, ScopedStore) {
    let bot = Bot::new(store);
    bot.host.delivery.attach(connector);
    let scoped = ScopedStore::new(store.clone(), scope(name));
    bot.host.delivery.open_outbox(
        scoped.clone(),
        bot.host.background_tasks().clone(),
        bot.host.shutdown_signal(),
    );
    (bot, scoped)
}

async fn rows_drained(store: &ScopedStore) {
    let wait = async {
        while !waiting(store).await.is_empty() {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .expect("outbox emptied in time");
}

#[tokio::test]
async fn accepted_messages_survive_a_run_that_never_sent_them() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("bot.db")).unwrap());

    let (first, scoped) = started(&store, Arc::new(Stuck));
    for n in 1..=3 {
        first
            .accept(Target::channel("chat", "#general"), format!("message {n}"))
            .await
            .unwrap();
    }
    assert_eq!(
        waiting(&scoped).await,
        vec!["message 1", "message 2", "message 3"]
    );

    let recorder = Arc::new(Recorder::default());
    let (second, scoped) = started(&store, recorder.clone());
    assert_eq!(
        recorder.wait_for(3).await,
        vec!["message 1", "message 2", "message 3"]
    );
    rows_drained(&scoped).await;

    second
        .accept(Target::direct("chat", "bob"), "after restart")
        .await
        .unwrap();
    assert_eq!(recorder.wait_for(4).await[3], "after restart");
    rows_drained(&scoped).await;
}

#[tokio::test]
async fn an_outbox_takes_nothing_before_start_or_after_close() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let ctx = Bot::new(&store);
    assert!(matches!(
        ctx.accept(Target::channel("chat", "#g"), "early").await,
        Err(AcceptError::Closed)
    ));

    let recorder = Arc::new(Recorder::default());
    let (ctx, scoped) = started(&store, recorder.clone());
    ctx.accept(Target::channel("chat", "#g"), "kept")
        .await
        .unwrap();
    ctx.outbox().close_outbox();
    assert!(matches!(
        ctx.accept(Target::channel("chat", "#g"), "late").await,
        Err(AcceptError::Closed)
    ));
    assert_eq!(recorder.wait_for(1).await, vec!["kept"]);
    rows_drained(&scoped).await;
}

#[tokio::test]
async fn a_message_its_connector_sends_at_once_is_never_written() {
    let watched = Watched::new(false);
    let store: Arc<dyn Store> = watched.clone();
    let recorder = Arc::new(Recorder::default());
    let (ctx, scoped) = started(&store, recorder.clone());
    ctx.outbox().set_sent_wait(Duration::from_secs(30));
    ctx.accept(Target::channel("chat", "#g"), "quick")
        .await
        .unwrap();
    assert_eq!(*recorder.sent.lock().unwrap(), vec!["quick"]);
    assert_eq!(watched.puts(), 0);
    assert!(waiting(&scoped).await.is_empty());
}

#[tokio::test]
async fn a_message_its_connector_holds_up_is_written_then_removed_once_sent() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let gated = Arc::new(Gated::default());
    let (ctx, scoped) = started(&store, gated.clone());
    ctx.accept(Target::channel("chat", "#g"), "held up")
        .await
        .unwrap();
    assert_eq!(waiting(&scoped).await, vec!["held up"]);
    assert!(gated.recorder.sent.lock().unwrap().is_empty());

    gated.open.notify_one();
    assert_eq!(gated.recorder.wait_for(1).await, vec!["held up"]);
    rows_drained(&scoped).await;
}

#[tokio::test]
async fn a_message_sent_while_its_row_is_written_leaves_no_row() {
    let watched = Watched::new(true);
    let store: Arc<dyn Store> = watched.clone();
    let gated = Arc::new(Gated::default());
    let (ctx, scoped) = started(&store, gated.clone());
    let accept = tokio::spawn({
        let ctx = ctx.clone();
        async move { ctx.accept(Target::channel("chat", "#g"), "raced").await }
    });
    // The connector is held past the accept's wait, so the accept starts writing; the
    // message is sent while the write is held, and then the write finishes. Whichever of the
    // accept and the deliverer learns last that both are done deletes the row.
    watched.put_started.notified().await;
    gated.open.notify_one();
    assert_eq!(gated.recorder.wait_for(1).await, vec!["raced"]);
    if let Some(hold) = &watched.hold_puts {
        hold.notify_one();
    }
    accept.await.unwrap().unwrap();
    assert_eq!(watched.puts(), 1);
    rows_drained(&scoped).await;
}

#[tokio::test]
async fn a_sender_hanging_up_while_its_message_is_written_leaves_no_row_behind() {
    let watched = Watched::new(true);
    let store: Arc<dyn Store> = watched.clone();
    let gated = Arc::new(Gated::default());
    let (ctx, scoped) = started(&store, gated.clone());
    // The connector holds the message, so the accept writes it; the sender hangs up (the
    // accept is dropped) once the row is committed, before the accept hears so.
    tokio::select! {
        _ = ctx.accept(Target::channel("chat", "#g"), "abandoned") => panic!("the write is held"),
        _ = watched.put_started.notified() => {}
    }
    if let Some(hold) = &watched.hold_puts {
        hold.notify_one();
    }
    gated.open.notify_one();
    assert_eq!(gated.recorder.wait_for(1).await, vec!["abandoned"]);
    rows_drained(&scoped).await;
}

#[tokio::test]
async fn a_message_whose_write_failed_is_refused_and_never_sent() {
    let watched = Watched::new(false);
    let store: Arc<dyn Store> = watched.clone();
    let gated = Arc::new(Gated::default());
    let (ctx, scoped) = started(&store, gated.clone());
    let accept = |text: &'static str| {
        let ctx = ctx.clone();
        tokio::spawn(async move { ctx.accept(Target::channel("chat", "#g"), text).await })
    };
    // The connector holds the first message, so the second waits in its queue (or in the
    // outbox) when its write fails.
    let (first, refused) = (accept("first"), accept("refused"));
    first.await.unwrap().unwrap();
    assert!(matches!(refused.await.unwrap(), Err(AcceptError::Store(_))));
    accept("third").await.unwrap().unwrap();

    gated.open.notify_one();
    assert_eq!(gated.recorder.wait_for(1).await, vec!["first"]);
    gated.open.notify_one();
    assert_eq!(gated.recorder.wait_for(2).await, vec!["first", "third"]);
    rows_drained(&scoped).await;
}

#[test]
fn rows_round_trip_channels_and_direct_targets() {
    for target in [Target::channel("irc", "#x"), Target::direct("irc", "bob")] {
        let stored = Stored::new(&target, "hi".into());
        let back: Stored = serde_json::from_str(&serde_json::to_string(&stored).unwrap()).unwrap();
        assert_eq!(back.target(), target);
    }
}

#[tokio::test]
async fn a_message_for_a_connector_the_bot_does_not_run_is_refused_not_accepted() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let recorder = Arc::new(Recorder::default());
    let (bot, scoped) = started(&store, recorder.clone());
    let refused = bot.accept(Target::channel("nosuch", "#g"), "lost?").await;
    assert!(
        matches!(&refused, Err(AcceptError::UnknownConnector(name)) if name == "nosuch"),
        "{refused:?}"
    );
    assert!(waiting(&scoped).await.is_empty(), "nothing kept for it");
    bot.accept(Target::channel("chat", "#g"), "delivered")
        .await
        .unwrap();
    assert_eq!(recorder.wait_for(1).await, vec!["delivered"]);
}

/// A connector whose transport is down: every send fails at once; it counts the attempts.
#[derive(Default)]
struct Down {
    attempts: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl Connector for Down {
    fn name(&self) -> &str {
        "chat"
    }
    fn kind(&self) -> &str {
        "down"
    }
    async fn run(&self, _: ConnectorIo) -> Result<(), ConnectorError> {
        Ok(())
    }
    async fn send(&self, _: &Outbound) -> Result<(), ConnectorError> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        Err(ConnectorError::other("network down"))
    }
}

/// Queues `texts` under bot name `name` with a connector that never sends: the rows stay.
async fn strand(store: &Arc<dyn Store>, name: &str, texts: &[&str]) {
    let (bot, scoped) = started_as(store, Arc::new(Stuck), name);
    for text in texts {
        bot.accept(Target::channel("chat", "#general"), *text)
            .await
            .unwrap();
    }
    assert_eq!(waiting(&scoped).await, texts.to_vec());
}

#[tokio::test]
async fn a_renamed_bot_on_sqlite_adopts_and_sends_what_its_former_name_queued() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path().join("bot.db")).unwrap());
    strand(&store, "old name", &["one", "two"]).await;

    adopt::adopt_stranded(&store, "new name").await;
    let recorder = Arc::new(Recorder::default());
    let (_bot, scoped) = started_as(&store, recorder.clone(), "new name");
    assert_eq!(recorder.wait_for(2).await, vec!["one", "two"]);
    rows_drained(&scoped).await;
    assert!(store.list(&scope("old name")).await.unwrap().is_empty());
    assert_eq!(recorder.sent.lock().unwrap().len(), 2, "sent once each");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renamed_bot_on_postgres_leaves_other_names_alone_until_moved() {
    let pg = switchboard_testing::TestPostgres::start();
    let url = pg.database().await;
    let store: Arc<dyn Store> = Arc::new(crate::store::PostgresStore::connect(&url).await.unwrap());
    strand(&store, "old", &["one", "two"]).await;

    adopt::adopt_stranded(&store, "new").await;
    assert_eq!(
        store.list(&scope("old")).await.unwrap().len(),
        2,
        "not taken"
    );

    let outboxes = admin::Outboxes::new(store.clone());
    let moved = outboxes
        .adopt("old", "new", &admin::Selection::All)
        .await
        .unwrap();
    assert_eq!(moved.len(), 2);
    let recorder = Arc::new(Recorder::default());
    let (_bot, scoped) = started_as(&store, recorder.clone(), "new");
    assert_eq!(recorder.wait_for(2).await, vec!["one", "two"]);
    rows_drained(&scoped).await;
    assert!(store.list(&scope("old")).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_message_dropped_while_it_waits_for_a_retry_is_not_tried_again() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let down = Arc::new(Down::default());
    let (bot, scoped) = started(&store, down.clone());
    bot.accept(Target::channel("chat", "#g"), "doomed")
        .await
        .unwrap();
    // The first try and its retry at once both fail; the next would come a second later.
    let wait = async {
        while down.attempts.load(Ordering::SeqCst) < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .expect("two attempts");
    let (key, _) = scoped.list().await.unwrap().remove(0);
    assert!(scoped.delete(&key).await.unwrap());
    tokio::time::sleep(Duration::from_millis(2000)).await;
    assert_eq!(
        down.attempts.load(Ordering::SeqCst),
        2,
        "tried after the drop"
    );
}
