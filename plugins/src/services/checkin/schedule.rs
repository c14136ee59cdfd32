//! When the next daily flush is due.

use chrono::{DateTime, Days, NaiveTime, Utc};
use switchboard_api::timezone::BotTimezone;

/// The first moment after `now` when the wall clock in `zone` reads `at`.
pub fn next_flush(zone: BotTimezone, at: NaiveTime, now: DateTime<Utc>) -> DateTime<Utc> {
    let today = zone.day_of(now);
    let mut day = today;
    loop {
        let candidate = zone.instant_of(day.and_time(at));
        if candidate > now {
            return candidate;
        }
        match day.checked_add_days(Days::new(1)) {
            Some(next) => day = next,
            None => return now,
        }
    }
}

/// Whether a check-in received at `received` (ISO 8601) has already passed the flush that should
/// have sent it, e.g. because the bot was down at `flush_time`. An unreadable time counts as
/// missed, so the check-in goes out rather than waiting.
pub fn missed_its_flush(
    zone: BotTimezone,
    at: NaiveTime,
    received: &str,
    now: DateTime<Utc>,
) -> bool {
    match DateTime::parse_from_rfc3339(received) {
        Ok(received) => next_flush(zone, at, received.with_timezone(&Utc)) <= now,
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn denver() -> BotTimezone {
        BotTimezone::parse("America/Denver").unwrap()
    }

    #[test]
    fn a_check_in_missed_its_flush_once_the_first_flush_after_it_has_passed() {
        let at = NaiveTime::from_hms_opt(23, 59, 0).unwrap();
        let received = "2025-03-03T14:30:00-07:00";
        // Still the same evening in Denver: its flush (23:59 Denver) is ahead.
        let evening = Utc.with_ymd_and_hms(2025, 3, 4, 5, 0, 0).unwrap();
        assert!(!missed_its_flush(denver(), at, received, evening));
        // The next morning: 23:59 Denver went by (the bot was down), so it is overdue.
        let morning = Utc.with_ymd_and_hms(2025, 3, 4, 15, 0, 0).unwrap();
        assert!(missed_its_flush(denver(), at, received, morning));
        // Received after that day's flush time: it waits for the next day's flush.
        let late = "2025-03-03T23:59:30-07:00";
        assert!(!missed_its_flush(denver(), at, late, morning));
        assert!(missed_its_flush(denver(), at, "not a time", morning));
    }

    #[test]
    fn later_today_or_else_tomorrow_in_the_bots_zone() {
        let at = NaiveTime::from_hms_opt(23, 59, 0).unwrap();
        // 14:30 in Denver: today at 23:59 Denver = 06:59 UTC the next day.
        let now = Utc.with_ymd_and_hms(2025, 3, 3, 21, 30, 0).unwrap();
        assert_eq!(
            next_flush(denver(), at, now).to_rfc3339(),
            "2025-03-04T06:59:00+00:00"
        );
        // Exactly at the flush time: the next one is a day later.
        let now = Utc.with_ymd_and_hms(2025, 3, 4, 6, 59, 0).unwrap();
        assert_eq!(
            next_flush(denver(), at, now).to_rfc3339(),
            "2025-03-05T06:59:00+00:00"
        );
    }
}
