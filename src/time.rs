//! UTC timestamps: RFC 3339 (what the catalog writes and we answer) and HTTP dates (S3's
//! `Last-Modified`), through the `time` crate so impossible dates are refused, not wrapped.

use std::time::{SystemTime, UNIX_EPOCH};

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// `2026-11-24T12:31:16.913Z`: always milliseconds and `Z`, as the catalog writes its stamps.
const RFC3339_MILLIS: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// RFC 9110's IMF-fixdate, e.g. `Tue, 10 Feb 2026 09:12:44 GMT`.
const HTTP_DATE: &[BorrowedFormatItem<'_>] = format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

/// The date and time before the offset. RFC 3339 allows `t` or a space for `T`; the fraction
/// may have any number of digits (up to nanoseconds).
const LOCAL: &[BorrowedFormatItem<'_>] = format_description!(
    "[year]-[month]-[day][first [T][t][ ]][hour]:[minute]:[second][optional [.[subsecond]]]"
);

/// A numeric offset such as `+01:00`.
const OFFSET: &[BorrowedFormatItem<'_>] =
    format_description!("[offset_hour sign:mandatory]:[offset_minute]");

/// Seconds since the epoch, now.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Formats a time as `2026-11-24T12:31:16.913Z`.
pub fn format_rfc3339(time: SystemTime) -> String {
    // Cannot fail: an OffsetDateTime has every component the description names, and a String
    // takes any write. Times before the epoch read as the epoch, as they always have here.
    OffsetDateTime::from(time.max(UNIX_EPOCH))
        .format(RFC3339_MILLIS)
        .unwrap_or_default()
}

/// Formats seconds since the epoch as an HTTP date (RFC 9110 IMF-fixdate), e.g.
/// `Tue, 10 Feb 2026 09:12:44 GMT`, as S3 writes `Last-Modified`.
pub fn format_http_date(unix: i64) -> String {
    // Outside years 1..=9999 there is no HTTP date to write; no stored object gets there.
    let at = OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    // Cannot fail, as in format_rfc3339.
    at.format(HTTP_DATE).unwrap_or_default()
}

/// Now, formatted.
pub fn now_rfc3339() -> String {
    format_rfc3339(SystemTime::now())
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` into seconds since the epoch; a stamp without
/// an offset is read as UTC (some registry stamps have none). `None` for an impossible date or
/// time, such as 31 February or hour 99.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let text = text.trim();
    let (local, offset) = split_offset(text)?;
    let local = PrimitiveDateTime::parse(local, LOCAL).ok()?;
    Some(local.assume_offset(offset).unix_timestamp())
}

/// The stamp without its offset, and the offset (UTC when it is `Z` or absent).
fn split_offset(text: &str) -> Option<(&str, UtcOffset)> {
    if let Some(local) = text.strip_suffix(['Z', 'z']) {
        return Some((local, UtcOffset::UTC));
    }
    // `±HH:MM` is the last six characters; the date's own `-`s come before the time.
    let split = text.len().checked_sub(6)?;
    match text.get(split..) {
        Some(offset) if split >= 19 && offset.starts_with(['+', '-']) => {
            let offset = UtcOffset::parse(offset, OFFSET).ok()?;
            Some((&text[..split], offset))
        }
        _ => Some((text, UtcOffset::UTC)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn round_trips_and_offsets() {
        let t = UNIX_EPOCH + Duration::from_millis(1_795_000_000_123);
        let text = format_rfc3339(t);
        assert_eq!(text, "2026-11-18T11:06:40.123Z");
        assert_eq!(parse_rfc3339(&text), Some(1_795_000_000));
        assert_eq!(
            parse_rfc3339("2026-11-18T12:06:40+01:00"),
            Some(1_795_000_000)
        );
        assert_eq!(
            parse_rfc3339("2026-11-18 10:06:40.5-01:00"),
            Some(1_795_000_000)
        );
        assert_eq!(parse_rfc3339("2026-11-18t11:06:40"), Some(1_795_000_000));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2000-02-29T00:00:00Z"), Some(951_782_400));
        assert_eq!(parse_rfc3339("not a date"), None);
        assert_eq!(parse_rfc3339(""), None);
        assert_eq!(
            format_http_date(1_770_714_764),
            "Tue, 10 Feb 2026 09:12:44 GMT"
        );
        assert_eq!(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(format_rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn impossible_dates_and_times_are_refused() {
        assert_eq!(parse_rfc3339("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2026-02-31T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2026-02-29T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2026-04-31T00:00:00Z"), None);
        assert_eq!(parse_rfc3339("2026-11-18T99:00:00Z"), None);
        assert_eq!(parse_rfc3339("2026-11-18T12:60:00Z"), None);
        assert_eq!(parse_rfc3339("2026-11-18T12:00:00+99:00"), None);
        assert_eq!(parse_rfc3339("2026-11-18T12:00:00Zjunk"), None);
    }
}
