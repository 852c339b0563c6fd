//! Times on the wire, as Qinling wrote them: UTC, `YYYY-MM-DD HH:MM:SS.ffffff`.

use qinling_core::Timestamp;

pub(crate) fn format(time: &Timestamp) -> String {
    time.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn times_have_microseconds_and_no_zone() {
        let time = Utc.with_ymd_and_hms(2026, 11, 24, 9, 5, 7).unwrap() + chrono::Duration::nanoseconds(1_234_567);
        assert_eq!(format(&time), "2026-11-24 09:05:07.001234");
    }
}
