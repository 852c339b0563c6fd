//! Times on the wire, as Qinling wrote them: UTC, `YYYY-MM-DD HH:MM:SS.ffffff`.

use qinling_core::Timestamp;

pub(crate) fn format(time: &Timestamp) -> String {
    time.format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

/// Job times, as Qinling wrote them: `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn format_job(time: &Timestamp) -> String {
    time.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A time from a client: RFC 3339, or UTC `YYYY-MM-DD HH:MM[:SS[.f]]` (with a space or a `T`).
pub(crate) fn parse(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&chrono::Utc));
    }
    let text = text.trim_end_matches('Z').replace('T', " ");
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|format| chrono::NaiveDateTime::parse_from_str(&text, format).ok())
        .map(|naive| naive.and_utc())
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    #[test]
    fn client_times_are_read_as_utc() {
        let expected = Utc.with_ymd_and_hms(2026, 11, 24, 9, 5, 0).unwrap();
        for text in ["2026-11-24 09:05", "2026-11-24 09:05:00", "2026-11-24T09:05:00Z", "2026-11-24T10:05:00+01:00"] {
            assert_eq!(parse(text), Some(expected), "{text}");
        }
        assert_eq!(parse("tomorrow"), None);
        assert_eq!(format_job(&expected), "2026-11-24T09:05:00Z");
    }

    #[test]
    fn times_have_microseconds_and_no_zone() {
        let time = Utc.with_ymd_and_hms(2026, 11, 24, 9, 5, 7).unwrap() + chrono::Duration::nanoseconds(1_234_567);
        assert_eq!(format(&time), "2026-11-24 09:05:07.001234");
    }
}
