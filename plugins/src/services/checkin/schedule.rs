//! When the next daily flush is due.

use chrono::{DateTime, Days, NaiveTime, Utc};
use switchboard_core::timezone::BotTimezone;

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

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn denver() -> BotTimezone {
        BotTimezone::parse("America/Denver").unwrap()
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
