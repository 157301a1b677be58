//! RFC 3339 UTC instants with a fixed millisecond format, so that their text sorts in time order
//! (DynamoDB sort keys and filter expressions compare them as strings).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

const FIXED: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// An instant in UTC, rendered as `2026-11-22T04:15:12.123Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// The current instant, truncated to milliseconds.
    pub fn now() -> Self {
        Self::from_datetime(OffsetDateTime::now_utc())
    }

    /// Converts any `OffsetDateTime` to UTC, truncated to milliseconds.
    pub fn from_datetime(at: OffsetDateTime) -> Self {
        let utc = at.to_offset(UtcOffset::UTC);
        let millis = utc.millisecond();
        Self(utc.replace_millisecond(millis).unwrap_or(utc))
    }

    /// Parses any RFC 3339 instant (any offset, any precision).
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        OffsetDateTime::parse(text, &Rfc3339)
            .ok()
            .map(Self::from_datetime)
    }

    /// The instant `by` later.
    pub fn plus(self, by: time::Duration) -> Self {
        Self::from_datetime(self.0.saturating_add(by))
    }

    /// The signed time from `earlier` to `self`.
    pub fn since(self, earlier: Timestamp) -> time::Duration {
        self.0 - earlier.0
    }

    /// The calendar date in UTC.
    pub fn date(self) -> time::Date {
        self.0.date()
    }

    /// Seconds since the Unix epoch, the unit of DynamoDB TTL attributes.
    pub fn unix_seconds(self) -> i64 {
        self.0.unix_timestamp()
    }

    /// The instant at `seconds` after the Unix epoch.
    pub fn from_unix_seconds(seconds: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp(seconds)
            .ok()
            .map(Self::from_datetime)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.format(FIXED) {
            Ok(text) => f.write_str(&text),
            Err(_) => Err(fmt::Error),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse_rfc3339(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 instant: {text}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_utc_with_exactly_three_fraction_digits() {
        let at = Timestamp::parse_rfc3339("2026-11-22T06:15:12.5+02:00").expect("valid");
        assert_eq!(at.to_string(), "2026-11-22T04:15:12.500Z");
    }

    #[test]
    fn text_order_is_time_order() {
        let a = Timestamp::parse_rfc3339("2026-11-22T04:15:09.999Z").expect("valid");
        let b = a.plus(time::Duration::milliseconds(1));
        assert!(a.to_string() < b.to_string());
    }

    #[test]
    fn rejects_text_that_is_not_rfc3339() {
        assert!(Timestamp::parse_rfc3339("2026-11-22 04:15").is_none());
        assert!(Timestamp::parse_rfc3339("tomorrow").is_none());
    }
}
