//! Japan time (docs/api.md): dates are calendar days in Asia/Tokyo, instants carry `+09:00`.
//!
//! Japan has kept UTC+9 without daylight saving since 1951, so a fixed offset is exact and
//! needs no time-zone database (Lambda images may have none).

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};

pub const OFFSET: Offset = Offset::constant(9);

pub fn zone() -> TimeZone {
    TimeZone::fixed(OFFSET)
}

/// The calendar day in Japan at this instant.
pub fn date_of(at: Timestamp) -> Date {
    at.to_zoned(zone()).date()
}

/// Whole seconds from `at` to the next midnight in Japan (rounded up, so never zero): when a
/// limit per Japan day opens again.
pub fn seconds_until_next_day(at: Timestamp) -> u64 {
    let next_day = date_of(at)
        .tomorrow()
        .and_then(|day| day.to_zoned(zone()))
        .map(|midnight| midnight.timestamp());
    match next_day {
        Ok(midnight) => {
            let left = at.duration_until(midnight);
            let whole = u64::try_from(left.as_secs()).unwrap_or(0);
            whole + u64::from(left.subsec_nanos() > 0)
        }
        // The last day jiff knows has no tomorrow; a day's worth is as good an answer.
        Err(_) => 86_400,
    }
}

/// RFC 3339 with `+09:00` to the second, e.g. `2026-11-22T09:00:00+09:00`.
pub fn format_instant(at: Timestamp) -> String {
    whole_seconds(at).display_with_offset(OFFSET).to_string()
}

/// How a mail writes an instant for a person: `2026年11月22日 09:00`.
pub fn format_for_people(at: Timestamp) -> String {
    at.to_zoned(zone())
        .strftime("%Y年%-m月%-d日 %H:%M")
        .to_string()
}

/// How Japanese text writes an amount of yen: `2,777円`.
pub fn format_yen(amount: u64) -> String {
    let digits = amount.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out.push('円');
    out
}

/// How a mail writes a date for a person: `2026年11月22日`.
pub fn format_date_for_people(date: Date) -> String {
    date.strftime("%Y年%-m月%-d日").to_string()
}

/// Sub-second digits mean nothing to a member and make answers noisy.
fn whole_seconds(at: Timestamp) -> Timestamp {
    Timestamp::from_second(at.as_second()).unwrap_or(at)
}

/// `#[serde(with = "instant")]`: writes an instant in Japan time, reads any RFC 3339.
pub mod instant {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_instant(*at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        Timestamp::deserialize(d)
    }
}

/// `#[serde(with = "optional_instant")]`, the same for an instant that may be absent.
pub mod optional_instant {
    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => super::instant::serialize(at, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        Option::<Timestamp>::deserialize(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_print_in_japan_time() {
        let at: Timestamp = "2026-11-22T15:30:00.123456Z".parse().unwrap();
        assert_eq!(format_instant(at), "2026-11-23T00:30:00+09:00");
        assert_eq!(format_for_people(at), "2026年11月23日 00:30");
        assert_eq!(date_of(at).to_string(), "2026-11-23");
    }

    /// docs/glossary.md: Japanese text writes dates without zero padding.
    #[test]
    fn people_read_dates_without_zero_padding() {
        let at: Timestamp = "2027-10-02T00:05:00Z".parse().unwrap();
        assert_eq!(format_for_people(at), "2027年10月2日 09:05");
        let date: Date = "2027-01-05".parse().unwrap();
        assert_eq!(format_date_for_people(date), "2027年1月5日");
        assert_eq!(format_yen(2_777), "2,777円");
        assert_eq!(format_yen(250), "250円");
        assert_eq!(format_yen(1_000_000), "1,000,000円");
    }

    #[test]
    fn the_next_day_begins_at_midnight_in_japan() {
        let nine: Timestamp = "2026-11-22T00:00:00Z".parse().unwrap();
        assert_eq!(seconds_until_next_day(nine), 15 * 3600);
        let last_moment: Timestamp = "2026-11-22T14:59:59.5Z".parse().unwrap();
        assert_eq!(seconds_until_next_day(last_moment), 1);
        let midnight: Timestamp = "2026-11-22T15:00:00Z".parse().unwrap();
        assert_eq!(seconds_until_next_day(midnight), 86_400);
    }
}
