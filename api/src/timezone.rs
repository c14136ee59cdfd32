//! The bot's time zone (`[Bot] timezone`): an IANA name such as `America/Denver`, or the
//! system's local zone when unset. Schedules (e.g. the check-in flush) and day boundaries use it.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::config::{FromConfigValue, ValueError, ValueKind};

/// A time zone: a named IANA zone, or the machine's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotTimezone {
    /// A zone from the IANA database.
    Iana(chrono_tz::Tz),
    /// The zone of the machine the bot runs on.
    SystemLocal,
}

impl BotTimezone {
    /// `""` means the system's zone; anything else must be an IANA name.
    pub fn parse(name: &str) -> Result<BotTimezone, ValueError> {
        let name = name.trim();
        if name.is_empty() {
            return Ok(BotTimezone::SystemLocal);
        }
        name.parse::<chrono_tz::Tz>()
            .map(BotTimezone::Iana)
            .map_err(|_| {
                ValueError::Invalid(format!("`{name}` is not an IANA time zone name (e.g. `Europe/Berlin`, `America/Denver`, `UTC`)"))
            })
    }

    /// `instant` as a wall-clock time in this zone, with its UTC offset.
    pub fn at(&self, instant: DateTime<Utc>) -> DateTime<FixedOffset> {
        match self {
            BotTimezone::Iana(tz) => instant.with_timezone(tz).fixed_offset(),
            BotTimezone::SystemLocal => instant.with_timezone(&chrono::Local).fixed_offset(),
        }
    }

    /// The first instant at or after which the wall clock in this zone reads `local`
    /// (a time skipped by a DST change maps to the moment after the gap).
    pub fn instant_of(&self, local: NaiveDateTime) -> DateTime<Utc> {
        fn resolve<Z: TimeZone>(zone: &Z, local: NaiveDateTime) -> DateTime<Utc> {
            let mut probe = local;
            // A DST gap is at most a few hours; step forward until the time exists.
            for _ in 0..(24 * 4) {
                if let Some(t) = zone.from_local_datetime(&probe).earliest() {
                    return t.with_timezone(&Utc);
                }
                probe += chrono::Duration::minutes(15);
            }
            Utc.from_utc_datetime(&local)
        }
        match self {
            BotTimezone::Iana(tz) => resolve(tz, local),
            BotTimezone::SystemLocal => resolve(&chrono::Local, local),
        }
    }

    /// The calendar day of `instant` in this zone.
    pub fn day_of(&self, instant: DateTime<Utc>) -> NaiveDate {
        self.at(instant).date_naive()
    }
}

/// `[Bot] timezone`: an IANA name, or empty for the system's zone.
impl FromConfigValue for BotTimezone {
    const KIND: ValueKind = ValueKind::Text;
    fn from_config_value(raw: &str) -> Result<Self, ValueError> {
        BotTimezone::parse(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iana_names_parse_and_typos_are_explained() {
        assert!(matches!(
            BotTimezone::parse("America/Denver"),
            Ok(BotTimezone::Iana(_))
        ));
        assert_eq!(BotTimezone::parse(""), Ok(BotTimezone::SystemLocal));
        let err = BotTimezone::parse("America/Denvr").unwrap_err().to_string();
        assert!(
            err.contains("America/Denvr") && err.contains("IANA"),
            "{err}"
        );
    }

    #[test]
    fn wall_clock_and_days_follow_the_zone() {
        let tz = BotTimezone::parse("America/Denver").unwrap();
        let instant = Utc.with_ymd_and_hms(2025, 3, 4, 3, 0, 0).unwrap();
        assert_eq!(tz.at(instant).to_rfc3339(), "2025-03-03T20:00:00-07:00");
        assert_eq!(tz.day_of(instant).to_string(), "2025-03-03");
    }

    #[test]
    fn a_time_skipped_by_dst_maps_to_after_the_gap() {
        let tz = BotTimezone::parse("America/Denver").unwrap();
        let skipped = NaiveDate::from_ymd_opt(2025, 3, 9)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(
            tz.instant_of(skipped).to_rfc3339(),
            "2025-03-09T09:00:00+00:00"
        );
    }
}
