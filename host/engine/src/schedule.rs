//! Job schedules: cron patterns (5 fields, minute resolution; 6 fields with seconds only when the operator
//! allows it) and the next time a pattern fires.

use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use qinling_core::Timestamp;

/// A validated cron pattern.
pub(crate) struct Schedule(Cron);

impl Schedule {
    /// Parses `pattern`; `allow_seconds` accepts a leading seconds field (a 6-field pattern).
    pub(crate) fn parse(pattern: &str, allow_seconds: bool) -> Result<Self, String> {
        let seconds = if allow_seconds { Seconds::Optional } else { Seconds::Disallowed };
        let parser = CronParser::builder().seconds(seconds).year(Year::Disallowed).build();
        parser.parse(pattern).map(Self).map_err(|e| {
            format!(
                "the pattern {pattern:?} is not a valid cron pattern (minute hour day-of-month month day-of-week): {e}"
            )
        })
    }

    /// The first time the pattern fires strictly after `after`.
    pub(crate) fn next_after(&self, after: Timestamp) -> Result<Timestamp, String> {
        self.0.find_next_occurrence(&after, false).map_err(|e| format!("the pattern never fires again: {e}"))
    }

    /// The first time the pattern fires at or after `from`.
    pub(crate) fn next_from(&self, from: Timestamp) -> Result<Timestamp, String> {
        self.0.find_next_occurrence(&from, true).map_err(|e| format!("the pattern never fires again: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn five_field_patterns_fire_on_the_minute() {
        let schedule = Schedule::parse("*/5 * * * *", false).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 11, 24, 10, 2, 30).unwrap();
        assert_eq!(schedule.next_after(at).unwrap(), Utc.with_ymd_and_hms(2026, 11, 24, 10, 5, 0).unwrap());
        let on = Utc.with_ymd_and_hms(2026, 11, 24, 10, 5, 0).unwrap();
        assert_eq!(schedule.next_from(on).unwrap(), on);
        assert_eq!(schedule.next_after(on).unwrap(), Utc.with_ymd_and_hms(2026, 11, 24, 10, 10, 0).unwrap());
    }

    #[test]
    fn seconds_need_the_operator_setting() {
        let err = Schedule::parse("*/2 * * * * *", false).err().unwrap();
        assert!(err.contains("not a valid cron pattern"), "{err}");
        let schedule = Schedule::parse("*/2 * * * * *", true).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 1).unwrap();
        assert_eq!(schedule.next_after(at).unwrap(), Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 2).unwrap());
    }

    #[test]
    fn nonsense_is_refused() {
        assert!(Schedule::parse("every day", false).is_err());
        assert!(Schedule::parse("61 * * * *", false).is_err());
    }
}
