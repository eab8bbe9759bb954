//! Partial dates as sources give them ("2006", "2006-10", "2006-10-15"), kept at their
//! precision: a month-precise date is never stored as the first of the month; and whole days
//! (a link's date) as every input writes them.

/// A whole day written exactly `YYYY-MM-DD` ("2006-1-5" and "2006-02-30" are refused): the
/// `Date` scalar, a link's `linkedOn` in mutations, native records and link sheets, and the day
/// of a Scholix `LinkPublicationDate`.
pub fn parse_day(text: &str) -> Option<chrono::NaiveDate> {
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(at, byte)| match at {
            4 | 7 => byte == b'-',
            _ => byte.is_ascii_digit(),
        });
    // There is no year 0 (PostgreSQL refuses it; SQLite stored it).
    shaped
        .then(|| chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
        .filter(|date| chrono::Datelike::year(date) > 0)
}

/// Why `text` is not a day ([`parse_day`]).
pub fn not_a_day(text: &str) -> String {
    if text.starts_with("0000") {
        return format!("\"{text}\": there is no year 0");
    }
    format!("\"{text}\" is not a YYYY-MM-DD date")
}

/// A date known to the year, month or day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartialDateValue {
    pub year: i32,
    pub month: Option<i32>,
    pub day: Option<i32>,
}

impl PartialDateValue {
    /// `year * 10000 + month * 100 + day`, unknown parts 0: orders dates, and places a less
    /// precise date at the start of its period ("2006" before "2006-01-15").
    pub fn key(&self) -> i64 {
        self.year as i64 * 10_000
            + self.month.unwrap_or(0) as i64 * 100
            + self.day.unwrap_or(0) as i64
    }

    /// The smallest and largest keys of dates within this one: "2006-10" spans
    /// 2006-10-00 ..= 2006-10-99, so ranges include every date of the period at any precision.
    pub fn key_span(&self) -> (i64, i64) {
        let low = self.key();
        let high = match (self.month, self.day) {
            (None, _) => self.year as i64 * 10_000 + 9_999,
            (Some(_), None) => low + 99,
            (Some(_), Some(_)) => low,
        };
        (low, high)
    }

    /// Parses ISO 8601 at any precision; the reason says what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let bad = || format!("\"{text}\" is not a date like 2006, 2006-10 or 2006-10-15");
        let parts: Vec<&str> = text.trim().split('-').collect();
        let number = |part: &str, len: usize| -> Result<i32, String> {
            if part.len() != len || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            part.parse().map_err(|_| bad())
        };
        let (year, month, day) = match parts.as_slice() {
            [y] => (number(y, 4)?, None, None),
            [y, m] => (number(y, 4)?, Some(number(m, 2)?), None),
            [y, m, d] => (number(y, 4)?, Some(number(m, 2)?), Some(number(d, 2)?)),
            _ => return Err(bad()),
        };
        // No source means year 0, and PostgreSQL refuses it; mutations refused it while the
        // importers and filters took it.
        if year == 0 {
            return Err(format!("\"{text}\": there is no year 0"));
        }
        if let Some(m) = month {
            if !(1..=12).contains(&m) {
                return Err(format!("\"{text}\": month {m} is not 1-12"));
            }
            if let Some(d) = day
                && chrono::NaiveDate::from_ymd_opt(year, m as u32, d as u32).is_none()
            {
                return Err(format!("\"{text}\" is not a calendar date"));
            }
        }
        Ok(Self { year, month, day })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_written_in_full() {
        let day = parse_day("2006-10-31").unwrap();
        assert_eq!(day.to_string(), "2006-10-31");
        for bad in [
            "2006-1-5",
            "2006-02-30",
            "2006-10-31T00:00",
            "2006-10",
            " 2006-10-3",
            "",
            "0000-02-29",
        ] {
            assert_eq!(parse_day(bad), None, "{bad}");
        }
        assert_eq!(
            not_a_day("0000-02-29"),
            "\"0000-02-29\": there is no year 0"
        );
    }

    #[test]
    fn parses_every_precision_and_rejects_the_rest() {
        assert_eq!(
            PartialDateValue::parse("2006").unwrap(),
            PartialDateValue {
                year: 2006,
                month: None,
                day: None
            }
        );
        assert_eq!(PartialDateValue::parse("2006-10").unwrap().month, Some(10));
        assert_eq!(PartialDateValue::parse("2011-06-13").unwrap().day, Some(13));
        for zero in ["0000", "0000-10", "0000-02-29"] {
            assert_eq!(
                PartialDateValue::parse(zero).unwrap_err(),
                format!("\"{zero}\": there is no year 0")
            );
        }
        for bad in [
            "",
            "06",
            "2006-13",
            "2006-02-30",
            "2006-1",
            "Oct 2006",
            "2006-10-01-01",
        ] {
            assert!(PartialDateValue::parse(bad).is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn arbitrary_dates_never_panic(text in ".{0,20}") {
            let _ = PartialDateValue::parse(&text);
        }

        /// Valid dates parse, and their key span holds every more precise date inside them.
        #[test]
        fn spans_hold_their_days(year in 1000i32..9999, month in 1i32..=12, day in 1i32..=28) {
            let y = PartialDateValue::parse(&format!("{year:04}")).unwrap();
            let m = PartialDateValue::parse(&format!("{year:04}-{month:02}")).unwrap();
            let d = PartialDateValue::parse(&format!("{year:04}-{month:02}-{day:02}")).unwrap();
            let (low, high) = y.key_span();
            prop_assert!(low <= m.key() && m.key() <= high && low <= d.key() && d.key() <= high);
            let (low, high) = m.key_span();
            prop_assert!(low <= d.key() && d.key() <= high);
        }
    }
}
