//! Bus throughput: one publisher, four subscribers.
//!
//! `cargo bench --bench bus`. Events are published in batches no larger than the bus holds,
//! then every subscriber drains the batch, so nothing lags and every event reaches all four.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use switchboard_api::Event;
use switchboard_runtime::Bus;

const SUBSCRIBERS: usize = 4;
const BATCH: usize = 1024;

fn one_publisher_four_subscribers(c: &mut Criterion) {
    let mut group = c.benchmark_group("bus");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("publish_1024_to_4_subscribers", |b| {
        let bus = Bus::new(BATCH);
        let mut subscribers: Vec<_> = (0..SUBSCRIBERS).map(|_| bus.subscribe()).collect();
        let event = Event::custom("bench", serde_json::Value::Null);
        b.iter_batched(
            || event.clone(),
            |event| {
                for _ in 0..BATCH {
                    bus.publish(event.clone());
                }
                let mut received = 0;
                for subscriber in &mut subscribers {
                    while let Some(event) = subscriber.try_recv() {
                        std::hint::black_box(&event);
                        received += 1;
                    }
                }
                assert_eq!(received, BATCH * SUBSCRIBERS);
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();

    let mut threaded = c.benchmark_group("bus_threaded");
    const TOTAL: usize = 200_000;
    threaded.throughput(Throughput::Elements(TOTAL as u64));
    threaded.sample_size(20);
    threaded.bench_function("publish_200k_to_4_subscriber_tasks", |b| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .expect("runtime");
        b.iter(|| {
            runtime.block_on(async {
                let bus = Bus::new(TOTAL);
                let tasks: Vec<_> = (0..SUBSCRIBERS)
                    .map(|_| {
                        let mut sub = bus.subscribe();
                        tokio::spawn(async move {
                            let mut n = 0;
                            while n < TOTAL {
                                if sub.recv().await.is_none() {
                                    break;
                                }
                                n += 1;
                            }
                            n
                        })
                    })
                    .collect();
                let event = Event::custom("bench", serde_json::Value::Null);
                for _ in 0..TOTAL {
                    bus.publish(event.clone());
                }
                for task in tasks {
                    assert_eq!(task.await.expect("subscriber"), TOTAL);
                }
            })
        })
    });
    threaded.finish();
}

criterion_group!(benches, one_publisher_four_subscribers);
criterion_main!(benches);
