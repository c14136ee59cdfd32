//! A token bucket for a connector's outbound messages.
//!
//! The bucket holds up to `burst` tokens and gains `per_second` of them a second; each message
//! takes one. It is kept as a backlog of time rather than a count of tokens (the GCRA form of
//! a token bucket), in whole nanoseconds, so waits come out exact: at 2 per second the message
//! after a burst waits exactly 500ms, not 499.999999ms and then another nanosecond.
//!
//! Time is [`tokio::time::Instant`], so tests can pause and advance the clock.

use std::time::Duration;

use tokio::time::Instant;

/// Limits how fast a connector sends: `burst` messages at once, then `per_second`.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    /// The time one token takes to refill; `None` when unlimited.
    interval: Option<Duration>,
    /// How far the backlog may reach before a message has to wait: `(burst - 1) * interval`.
    tolerance: Duration,
    /// The time the bucket needs to be full again, as of `updated`.
    backlog: Duration,
    updated: Instant,
}

impl RateLimiter {
    /// A full bucket of `burst` tokens refilling at `per_second`.
    ///
    /// `per_second <= 0` (or NaN) means unlimited. A `burst` of 0 is taken as 1, since a bucket
    /// that holds nothing would never let a message through.
    pub fn new(per_second: f64, burst: u32) -> Self {
        let interval = if per_second > 0.0 {
            // Too slow a rate to represent saturates to the longest wait there is; an infinite
            // rate is a zero interval, which never waits.
            Some(Duration::try_from_secs_f64(per_second.recip()).unwrap_or(Duration::MAX))
        } else {
            None
        };
        let tolerance = interval
            .unwrap_or(Duration::ZERO)
            .saturating_mul(burst.max(1) - 1);
        RateLimiter {
            interval,
            tolerance,
            backlog: Duration::ZERO,
            updated: Instant::now(),
        }
    }

    /// Whether this limiter lets everything through.
    pub fn is_unlimited(&self) -> bool {
        self.interval.is_none()
    }

    /// Takes a token if one is free; otherwise returns how long until the next one is.
    pub fn try_acquire(&mut self) -> Result<(), Duration> {
        let Some(interval) = self.interval else {
            return Ok(());
        };
        let now = Instant::now();
        self.backlog = self
            .backlog
            .saturating_sub(now.saturating_duration_since(self.updated));
        self.updated = now;
        if self.backlog > self.tolerance {
            return Err(self.backlog - self.tolerance);
        }
        self.backlog = self.backlog.saturating_add(interval);
        Ok(())
    }

    /// Waits until a token is free, then takes it.
    ///
    /// Cancel safe: dropped while waiting, it has taken nothing.
    pub async fn acquire(&mut self) {
        while let Err(wait) = self.try_acquire() {
            match Instant::now().checked_add(wait) {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                // Beyond what an instant can hold; `sleep` caps it at tokio's far future.
                None => tokio::time::sleep(wait).await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::time::{advance, Instant};

    use super::RateLimiter;

    const MS: Duration = Duration::from_millis(1);

    #[tokio::test(start_paused = true)]
    async fn a_burst_passes_immediately() {
        let mut limiter = RateLimiter::new(2.0, 3);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.try_acquire(), Ok(()));
        }
        let mut limiter = RateLimiter::new(2.0, 3);
        for _ in 0..3 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn the_message_after_a_burst_waits_exactly_one_interval() {
        let mut limiter = RateLimiter::new(2.0, 3);
        for _ in 0..3 {
            assert_eq!(limiter.try_acquire(), Ok(()));
        }
        assert_eq!(limiter.try_acquire(), Err(500 * MS));
        // A refused attempt takes nothing: asking again says the same.
        assert_eq!(limiter.try_acquire(), Err(500 * MS));

        advance(200 * MS).await;
        assert_eq!(limiter.try_acquire(), Err(300 * MS));
        advance(299 * MS).await;
        assert_eq!(limiter.try_acquire(), Err(MS));
        advance(MS).await;
        assert_eq!(limiter.try_acquire(), Ok(()));
        assert_eq!(limiter.try_acquire(), Err(500 * MS));
    }

    #[tokio::test(start_paused = true)]
    async fn acquire_waits_exactly_one_interval_after_a_burst() {
        let mut limiter = RateLimiter::new(4.0, 2);
        limiter.acquire().await;
        limiter.acquire().await;
        let start = Instant::now();
        limiter.acquire().await;
        assert_eq!(start.elapsed(), 250 * MS);
    }

    #[tokio::test(start_paused = true)]
    async fn ten_messages_at_two_a_second_with_a_burst_of_three_take_three_and_a_half_seconds() {
        let mut limiter = RateLimiter::new(2.0, 3);
        let start = Instant::now();
        let mut sent_at = Vec::new();
        for _ in 0..10 {
            limiter.acquire().await;
            sent_at.push(start.elapsed());
        }
        assert_eq!(start.elapsed(), Duration::from_millis(3500));
        let expected: Vec<Duration> = [0, 0, 0, 500, 1000, 1500, 2000, 2500, 3000, 3500]
            .into_iter()
            .map(Duration::from_millis)
            .collect();
        assert_eq!(sent_at, expected);
    }

    #[tokio::test(start_paused = true)]
    async fn tokens_refill_up_to_the_burst_and_no_more() {
        let mut limiter = RateLimiter::new(2.0, 3);
        for _ in 0..3 {
            assert_eq!(limiter.try_acquire(), Ok(()));
        }
        advance(Duration::from_secs(3600)).await;
        for _ in 0..3 {
            assert_eq!(limiter.try_acquire(), Ok(()));
        }
        assert_eq!(limiter.try_acquire(), Err(500 * MS));
    }

    #[tokio::test(start_paused = true)]
    async fn tokens_refill_gradually() {
        let mut limiter = RateLimiter::new(2.0, 3);
        for _ in 0..3 {
            assert_eq!(limiter.try_acquire(), Ok(()));
        }
        // One second at 2/s is two tokens back, not three.
        advance(Duration::from_secs(1)).await;
        assert_eq!(limiter.try_acquire(), Ok(()));
        assert_eq!(limiter.try_acquire(), Ok(()));
        assert_eq!(limiter.try_acquire(), Err(500 * MS));
        // Half a token's time gives nothing yet.
        advance(250 * MS).await;
        assert_eq!(limiter.try_acquire(), Err(250 * MS));
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_limiter_starts_full() {
        let mut limiter = RateLimiter::new(1.0, 5);
        for _ in 0..5 {
            assert_eq!(limiter.try_acquire(), Ok(()));
        }
        assert_eq!(limiter.try_acquire(), Err(Duration::from_secs(1)));
    }

    #[tokio::test(start_paused = true)]
    async fn unlimited_never_waits() {
        for rate in [0.0, -1.0, f64::NEG_INFINITY, f64::NAN] {
            let mut limiter = RateLimiter::new(rate, 1);
            assert!(limiter.is_unlimited());
            let start = Instant::now();
            for _ in 0..10_000 {
                assert_eq!(limiter.try_acquire(), Ok(()));
            }
            for _ in 0..10_000 {
                limiter.acquire().await;
            }
            assert_eq!(start.elapsed(), Duration::ZERO, "rate {rate}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_infinite_rate_never_waits() {
        let mut limiter = RateLimiter::new(f64::INFINITY, 1);
        let start = Instant::now();
        for _ in 0..1_000 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_zero_is_a_burst_of_one() {
        let mut limiter = RateLimiter::new(10.0, 0);
        assert_eq!(limiter.try_acquire(), Ok(()));
        assert_eq!(limiter.try_acquire(), Err(100 * MS));
    }

    #[tokio::test(start_paused = true)]
    async fn an_absurdly_slow_rate_does_not_panic() {
        let mut limiter = RateLimiter::new(f64::MIN_POSITIVE, u32::MAX);
        assert!(!limiter.is_unlimited());
        assert_eq!(limiter.try_acquire(), Ok(()));
        let mut limiter = RateLimiter::new(f64::MIN_POSITIVE, 1);
        assert_eq!(limiter.try_acquire(), Ok(()));
        assert!(limiter.try_acquire().is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_acquire_takes_nothing() {
        let mut limiter = RateLimiter::new(2.0, 1);
        limiter.acquire().await;
        // Give up on the next one before its token is free.
        let timed_out = tokio::time::timeout(100 * MS, limiter.acquire()).await;
        assert!(timed_out.is_err());
        // 100ms of the 500ms have passed; nothing was taken meanwhile.
        assert_eq!(limiter.try_acquire(), Err(400 * MS));
    }
}
