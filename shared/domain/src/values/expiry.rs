use serde::{Deserialize, Serialize};

use super::Invalid;
use crate::timestamp::Timestamp;

/// When a session should expire, as the merchant asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Expiry {
    /// `expiresIn`: an ISO 8601 duration from creation, kept as given (e.g. `PT30M`) so that a
    /// retried request has the same fingerprint.
    In {
        /// The duration as written.
        text: String,
        /// Its length in seconds.
        seconds: i64,
    },
    /// `expiresAt`: an instant.
    At(Timestamp),
}

/// The allowed distance between creation and expiry.
#[derive(Debug, Clone, Copy)]
pub struct ExpiryWindow;

impl ExpiryWindow {
    /// Shortest allowed lifetime.
    pub const MIN: time::Duration = time::Duration::minutes(1);
    /// Longest allowed lifetime.
    pub const MAX: time::Duration = time::Duration::days(31);
    /// Lifetime when none is asked for.
    pub const DEFAULT: time::Duration = time::Duration::hours(24);
}

impl Expiry {
    /// Parses an ISO 8601 duration made of weeks, days, hours, minutes and seconds. Years and
    /// months are refused because their length depends on the calendar.
    pub fn parse_duration(text: &str) -> Result<Self, Invalid> {
        let invalid = || {
            Invalid::new(
                "invalid_duration",
                format!("expected an ISO 8601 duration such as \"PT30M\" or \"P7D\", got {text:?}"),
            )
        };
        // A designator with no number after it ("P", "PT") names no duration at all.
        if text.ends_with(['P', 'T']) {
            return Err(invalid());
        }
        // The parser keeps each unit in 32 bits and wraps beyond; any count that large is far
        // past the longest lifetime whatever its unit, so it is too late, never too soon.
        if whole_numbers(text).any(|digits| digits.parse::<u32>().is_err()) {
            return Err(too_late());
        }
        let seconds = match iso8601::duration(text).map_err(|_| invalid())? {
            iso8601::Duration::Weeks(weeks) => i64::from(weeks) * 7 * 86_400,
            iso8601::Duration::YMDHMS {
                year,
                month,
                day,
                hour,
                minute,
                second,
                millisecond,
            } => {
                if year != 0 || month != 0 {
                    return Err(Invalid::new(
                        "invalid_duration",
                        "years and months vary in length; use days (P30D) or weeks",
                    ));
                }
                let whole = i64::from(day) * 86_400
                    + i64::from(hour) * 3_600
                    + i64::from(minute) * 60
                    + i64::from(second);
                whole + i64::from(millisecond > 0)
            }
        };
        Ok(Self::In {
            text: text.to_owned(),
            seconds,
        })
    }

    /// Parses an RFC 3339 instant.
    pub fn parse_instant(text: &str) -> Result<Self, Invalid> {
        Timestamp::parse_rfc3339(text).map(Self::At).ok_or_else(|| {
            Invalid::new(
                "invalid_timestamp",
                format!(
                    "expected an RFC 3339 instant such as \"2026-12-01T12:00:00Z\", got {text:?}"
                ),
            )
        })
    }

    /// The expiry instant of a session created at `now`, if within [`ExpiryWindow`].
    pub fn resolve(&self, now: Timestamp) -> Result<Timestamp, Invalid> {
        let at = match self {
            Self::In { seconds, .. } => now.plus(time::Duration::seconds(*seconds)),
            Self::At(at) => *at,
        };
        let lifetime = at.since(now);
        if lifetime < ExpiryWindow::MIN {
            return Err(Invalid::new(
                "expiry_too_soon",
                "sessions must live at least 1 minute",
            ));
        }
        if lifetime > ExpiryWindow::MAX {
            return Err(too_late());
        }
        Ok(at)
    }
}

fn too_late() -> Invalid {
    Invalid::new("expiry_too_late", "sessions can live at most 31 days")
}

/// The runs of digits in `text` that are whole counts, not the fraction after a `.` or `,`.
fn whole_numbers(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_ascii_digit() && c != '.' && c != ',')
        .filter_map(|number| number.split(['.', ',']).next())
        .filter(|digits| !digits.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seconds(text: &str) -> Result<i64, &'static str> {
        match Expiry::parse_duration(text) {
            Ok(Expiry::In { seconds, .. }) => Ok(seconds),
            Ok(Expiry::At(_)) => Err("not a duration"),
            Err(e) => Err(e.code),
        }
    }

    #[test]
    fn durations_in_weeks_days_and_time_units_are_understood() {
        assert_eq!(seconds("PT30M"), Ok(1_800));
        assert_eq!(seconds("P7D"), Ok(604_800));
        assert_eq!(seconds("P1W"), Ok(604_800));
        assert_eq!(seconds("PT90M"), Ok(5_400));
        assert_eq!(seconds("P1DT12H"), Ok(129_600));
    }

    #[test]
    fn calendar_units_and_garbage_are_rejected() {
        assert_eq!(seconds("P1M"), Err("invalid_duration"));
        assert_eq!(seconds("P1Y"), Err("invalid_duration"));
        for bad in ["30 minutes", "PT", "", "-PT1M", "1800"] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_fraction_of_a_second_rounds_up() {
        assert_eq!(seconds("PT90.5S"), Ok(91));
        assert_eq!(seconds("PT90S"), Ok(90));
    }

    #[test]
    fn counts_beyond_32_bits_are_too_late_not_wrapped() {
        for huge in [
            "PT4294967356S",
            "PT9999999999M",
            "P4294967296D",
            "PT99999999999999999999999H",
        ] {
            assert_eq!(seconds(huge), Err("expiry_too_late"), "{huge}");
        }
        // A long fraction is no large count.
        assert_ne!(
            seconds("PT61.0000000000000000000001S"),
            Err("expiry_too_late")
        );
    }

    #[test]
    fn the_window_is_one_minute_to_31_days() {
        let now = Timestamp::parse_rfc3339("2026-11-22T00:00:00Z").expect("valid");
        let resolve = |text| Expiry::parse_duration(text).expect("valid").resolve(now);
        assert!(resolve("PT1M").is_ok());
        assert!(resolve("P31D").is_ok());
        assert_eq!(resolve("PT59S").map_err(|e| e.code), Err("expiry_too_soon"));
        assert_eq!(
            resolve("P31DT1S").map_err(|e| e.code),
            Err("expiry_too_late")
        );
        let past = Expiry::parse_instant("2026-11-21T23:00:00Z").expect("valid");
        assert_eq!(
            past.resolve(now).map_err(|e| e.code),
            Err("expiry_too_soon")
        );
    }
}
